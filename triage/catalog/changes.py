"""What an update of a story added: its new sentences, whether that is news, and one line saying so.

Agencies resend a story as it develops. Two versions are compared sentence by sentence, after
folding away case, punctuation, quote styles and spacing, so a resend that only fixes punctuation,
moves a byline or adds wire furniture (crossheads, "(Reporting by ...)") adds nothing. Pure
functions: no I/O, no third-party imports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from triage.infra.text import is_furniture

__all__ = ["Update", "compare"]

# A sentence ends at . ! ? (or a closing quote after one) followed by space and a capital, quote or
# digit; paragraphs always end one. Good enough to tell which sentences are new: both versions are
# cut the same way.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’»)]*\s+(?=["'“‘«(]?[A-Z0-9\u00C0-\u024F\u0400-\u04FF])""")
_WORD = re.compile(r"\w+")
MIN_NEW_WORDS = 4  # shorter new sentences ("He added.") are not news on their own


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, paragraph by paragraph, furniture paragraphs left out."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        if para.strip() and not re.fullmatch(r"\n\s*\n", para) and not is_furniture(para):
            start = pos + (len(para) - len(para.lstrip()))
            body = para.strip()
            last = 0
            for m in _SENTENCE_END.finditer(body):
                spans.append((start + last, start + m.start()))
                last = m.end()
            spans.append((start + last, start + len(body)))
        pos += len(para)
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _key(sentence: str) -> str:
    folded = unicodedata.normalize("NFKC", sentence).casefold()
    return " ".join(_WORD.findall(folded))


@dataclass(frozen=True)
class Update:
    """How a newer version differs from an older one."""

    spans: tuple[tuple[int, int], ...]  # char spans of the new sentences in the newer text
    sentences: tuple[str, ...]  # their text
    removed: int  # sentences of the older version that are gone

    @property
    def news(self) -> bool:
        """True when the update adds material (not only punctuation, furniture or a byline)."""
        return any(len(_WORD.findall(s)) >= MIN_NEW_WORDS for s in self.sentences)

    def line(self) -> str:
        """One line for the summary panel: what the update added."""
        if not self.sentences:
            return "This update changes no sentence of substance." if not self.removed else \
                f"This update removes {self.removed} sentence{'s' if self.removed != 1 else ''}."
        n = len(self.sentences)
        first = " ".join(self.sentences[0].split())
        if len(first) > 120:
            first = first[:119].rstrip() + "…"
        more = f" (+{n - 1} more)" if n > 1 else ""
        return f"Update adds {n} sentence{'s' if n != 1 else ''}: “{first}”{more}"


def compare(old_text: str, new_text: str, old_title: str = "", new_title: str = "") -> Update:
    """The sentences of `new_text` (and a rewritten headline) that `old_text` did not have."""
    old_keys = {_key(old_text[a:b]) for a, b in _sentences(old_text)}
    if old_title:
        old_keys.add(_key(old_title))
    fresh: list[tuple[int, int]] = []
    for a, b in _sentences(new_text):
        k = _key(new_text[a:b])
        if k and k not in old_keys:
            fresh.append((a, b))
    new_keys = {_key(new_text[a:b]) for a, b in _sentences(new_text)}
    removed = sum(1 for k in old_keys if k and k not in new_keys and k != _key(old_title))
    return Update(tuple(fresh), tuple(new_text[a:b] for a, b in fresh), removed)

