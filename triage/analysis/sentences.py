"""Sentence segmentation on a spaCy Doc: paragraph breaks are hard boundaries, wire furniture is marked.

Returns plain records with character offsets into the analysed text and the per-token facts the
summariser and the entity/key-term code need, so nothing downstream holds spaCy objects.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .furniture import is_summary_furniture, leading_furniture

__all__ = [
    "STOP_WORDS",
    "Sentence",
    "doc_text",
    "is_summary_furniture",
    "remember_text",
    "split_sentences",
    "stem",
]

_PARA_BREAK = re.compile(r"\n[ \t]*\n\s*")
_HAS_WORD = re.compile(r"\w")
_QUOTES = '"“”«»„‟'
# A line of its own (ended by a single line break) that is no sentence: short, no closing punctuation,
# no list bullet. Above a story's first sentence that is a header: the headline repeated, a kicker, a
# desk line ("Försvar TT").
# A header line (its leading spaces skipped by the caller: a pattern that began with them would cost
# quadratic time when searched over a run of spaces).
_HEADER_LINE = re.compile(r"([^\s•*–—-][^\n]{0,79})\n(?=[^\S\n]*\S)")
_HEADER_WORDS = 6

# spaCy's English stop words plus reporting verbs that carry no topic.
try:
    from spacy.lang.en.stop_words import STOP_WORDS as _SPACY_STOP
except ImportError:  # pragma: no cover
    _SPACY_STOP: frozenset[str] = frozenset()  # type: ignore[no-redef]
STOP_WORDS = frozenset(_SPACY_STOP) | {
    "said",
    "says",
    "told",
    "added",
    "according",
    "like",
    "year",
    "years",
    "mr",
    "mrs",
    "ms",
    "also",
    "new",
    "would",
    "could",
    "one",
    "two",
    "week",
    "time",
}


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A cheap, stable English stem for lower-cased words (plural and common suffixes)."""
    w = word.lower().replace("’", "'")
    w = w.removesuffix("'s")
    if len(w) > 4:
        for suf, rep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
            if w.endswith(suf) and not w.endswith("ss") and len(w) - len(suf) >= 3:
                return w[: len(w) - len(suf)] + rep
    return w


@dataclass
class Sentence:
    """One sentence: offsets into the text, its paragraph, and per-token facts."""

    start: int
    end: int
    text: str
    index: int = 0  # position among all sentences of the text
    para: int = 0  # paragraph number
    para_index: int = 0  # position inside its paragraph
    furniture: bool = False
    words: list[str] = field(default_factory=list)  # stems of content words (no stop words, alpha)
    n_tokens: int = 0  # tokens that are not punctuation or space
    n_entity_tokens: int = 0
    n_numbers: int = 0


def doc_text(doc: Any) -> str:
    """doc.text, joined once per Doc (the property makes a Token for every token each time it is read),
    or the text the Doc was made from, as `remember_text` kept it (spaCy's tokenizer keeps every
    character: they are the same)."""
    text = doc.user_data.get("triage_text")
    if text is None:
        text = doc.user_data["triage_text"] = doc.text
    return text


def remember_text(doc: Any, text: str) -> Any:
    """The Doc, knowing the text it was made from (so that `doc_text` need not join its tokens)."""
    last = doc[-1] if len(doc) else None
    if (last.idx + len(last.text_with_ws) if last is not None else 0) == len(text):
        doc.user_data["triage_text"] = text
    return doc


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PARA_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _past_header_lines(text: str, a: int, b: int, title: str) -> int:
    """Where the story starts in its first paragraph text[a:b], past header lines above it."""
    pos = a
    while True:
        start = pos
        while start < b and text[start] != "\n" and text[start].isspace():
            start += 1
        m = _HEADER_LINE.match(text, start, b)
        if not m:
            return pos
        line = m.group(1).strip()
        if line != title and (len(line.split()) > _HEADER_WORDS or line[-1] in '.!?:;,"”’)'):
            return pos
        pos = m.end()


def _trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _fragment(prev: str, nxt: str) -> bool:
    """True when `nxt` continues `prev`: it starts in lower case ("... lowered his ." + "voice, grown ...").

    The Daily Mail's pages turned line breaks into " . ", which the sentence model often takes for
    sentence ends; a sentence does not start with a lower-case word ("iPhone" excepted).
    """
    c = nxt[0]
    if not c.islower() or (len(nxt) > 1 and nxt[1].isupper()):
        return False
    return not prev.rstrip().endswith(("?", "!", ":")) or prev.endswith(" .")


def _sentence_spans(doc: Any) -> list[tuple[int, int]]:
    """(start_char, end_char) of the model's sentences, as doc.sents gives them, from one attribute
    array (doc.sents makes a Token object for every token)."""
    from spacy.attrs import IDX, LENGTH, SENT_START

    # SENT_START is -1 inside a sentence: as uint64 that is a big int, slow to convert
    rows = doc.to_array([SENT_START, IDX, LENGTH]).astype("int64").tolist()
    spans: list[tuple[int, int]] = []
    start = end = -1
    for i, (sent_start, idx, length) in enumerate(rows):
        if i == 0 or sent_start == 1:
            if start >= 0:
                spans.append((start, end))
            start = idx
        end = idx + length
    if start >= 0:
        spans.append((start, end))
    return spans


def _boundaries(doc: Any, text: str, paras: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets: the model's sentences cut at paragraph breaks, furniture that
    starts a sentence (byline, time stamp, dateline) cut off, lower-case fragments joined to the
    sentence before them."""
    cuts: list[tuple[int, int]] = []
    p = 0
    skip = 0  # story text starts again here (after a run of leading furniture)
    for a, b in _sentence_spans(doc):
        while p < len(paras) and paras[p][1] <= a:
            p += 1
        q = p
        while q < len(paras) and paras[q][0] < b:
            pa, pb = paras[q]
            lo, hi = max(a, pa), min(b, pb)
            if lo >= skip:
                skip = leading_furniture(text, lo, pb)
            lo = max(lo, skip)
            if lo < hi:
                lo, hi = _trimmed(text, lo, hi)
                if lo < hi and _HAS_WORD.search(text, lo, hi):
                    prev = cuts[-1] if cuts else None
                    if prev and pa <= prev[0] and _fragment(text[prev[0] : prev[1]], text[lo:hi]):
                        cuts[-1] = (prev[0], hi)
                    else:
                        cuts.append((lo, hi))
            q += 1
    return cuts


def split_sentences(doc: Any, offset: int = 0) -> list[Sentence]:
    """The sentences of a processed Doc, never crossing a paragraph break, with token facts.

    With `offset`, the Doc's text is a headline block followed by the article text from that
    character on: only the article's sentences are returned, with offsets into the article text.
    Bylines, time stamps and datelines at the start of a paragraph are left out of its first
    sentence; a short paragraph or sentence that is furniture as a whole is marked `furniture`.
    """
    text = doc_text(doc)
    paras = [(max(a, offset), b) for a, b in _paragraph_spans(text) if b > offset]
    paras = [(a, b) for a, b in paras if a < b]
    if paras:  # header lines above the first sentence (the headline repeated, a desk line) are no story
        paras[0] = (_past_header_lines(text, *paras[0], " ".join(text[:offset].split())), paras[0][1])
    cuts = _boundaries(doc, text, paras)
    sents: list[Sentence] = []
    p = 0
    # a guess costs one sentence at most: a paragraph is judged whole only when it is one sentence
    per_para = Counter(bisect_right([pa for pa, _ in paras], a) - 1 for a, _ in cuts)
    para_furniture = [
        per_para[i] == 1 and is_summary_furniture(text[leading_furniture(text, a, b) : b])
        for i, (a, b) in enumerate(paras)
    ]
    last_para = -1
    for a, b in cuts:
        while p + 1 < len(paras) and a >= paras[p][1]:
            p += 1
        pi = 0 if p != last_para else sents[-1].para_index + 1
        last_para = p
        t = text[a:b]
        sents.append(Sentence(a, b, t, len(sents), p, pi, para_furniture[p] or is_summary_furniture(t)))
    if not sents:
        return sents
    # token facts, one pass over the doc's attribute array (no Token objects: this runs on every token)
    from spacy.attrs import ENT_TYPE, IDX, IS_ALPHA, IS_PUNCT, IS_SPACE, IS_STOP, LENGTH, LIKE_NUM

    rows = doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT, ENT_TYPE, LIKE_NUM, IS_ALPHA, IS_STOP]).tolist()
    i = 0
    n_sents = len(sents)
    for c, length, space, punct, ent, num, alpha, stop in rows:
        if space or punct:
            continue
        while i < n_sents and c >= sents[i].end:
            i += 1
        if i >= n_sents:
            break
        s = sents[i]
        if c < s.start:
            continue
        s.n_tokens += 1
        if ent:
            s.n_entity_tokens += 1
        if num:
            s.n_numbers += 1
        if alpha and length > 1 and not stop:
            low = text[c : c + length].lower()
            if low not in STOP_WORDS:
                s.words.append(stem(low))
    if offset:
        for s in sents:
            s.start -= offset
            s.end -= offset
    return sents


def quote_share(text: str) -> float:
    """Share of the sentence's characters inside double quotes (0..1)."""
    inside, n, total = False, 0, 0
    for ch in text:
        if ch in _QUOTES:
            inside = not inside
            continue
        total += 1
        if inside:
            n += 1
    return n / total if total else 0.0
