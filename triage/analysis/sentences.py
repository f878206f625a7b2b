"""Sentence segmentation on a spaCy Doc: paragraph breaks are hard boundaries, wire furniture is marked.

Returns plain records with character offsets into the analysed text and the per-token facts the
summariser and the entity/key-term code need, so nothing downstream holds spaCy objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["STOP_WORDS", "Sentence", "is_furniture", "split_sentences", "stem"]

_PARA_BREAK = re.compile(r"\n[ \t]*\n\s*")
_HAS_WORD = re.compile(r"\w")
_QUOTES = "\"“”«»„‟"

try:  # the sources' cleaning knows wire furniture best; fall back to a small check of our own
    from triage.text import is_furniture as _sources_is_furniture
except ImportError:  # pragma: no cover - depends on the sources package
    _sources_is_furniture = None

_CROSSHEAD = re.compile(r"^\s*[-–—]\s*\S.{0,80}\s[-–—]\s*$")
_DISCLAIMER = re.compile(
    r"has not been edited by .{0,40}staff|published (?:from|on) a syndicated (?:feed|channel)"
    r"|^\s*\(?(?:AFP|AP|Reuters|PTI|IANS|ANI)\)?\s*$|^\s*(?:advertisement|read more|click here)\b"
    r"|\b(?:PUBLISHED|UPDATED):\s*\.|^\s*By\s+\.\s",
    re.IGNORECASE,
)

# spaCy's English stop words plus reporting verbs that carry no topic.
try:
    from spacy.lang.en.stop_words import STOP_WORDS as _SPACY_STOP
except ImportError:  # pragma: no cover
    _SPACY_STOP = frozenset()
STOP_WORDS = frozenset(_SPACY_STOP) | {
    "said", "says", "told", "added", "according", "like", "year", "years", "mr", "mrs", "ms", "also",
    "new", "would", "could", "one", "two", "week", "time",
}


def is_furniture(line: str) -> bool:
    """True for a wire-copy line that is not story text (crosshead, disclaimer, agency credit)."""
    if _sources_is_furniture is not None and _sources_is_furniture(line):
        return True
    return bool(_CROSSHEAD.match(line) or _DISCLAIMER.search(line))


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


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PARA_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def split_sentences(doc: Any, offset: int = 0) -> list[Sentence]:
    """The sentences of a processed Doc, never crossing a paragraph break, with token facts.

    With `offset`, the Doc's text is a headline block followed by the article text from that
    character on: only the article's sentences are returned, with offsets into the article text.
    """
    text = doc.text
    paras = [(max(a, offset), b) for a, b in _paragraph_spans(text) if b > offset]
    # sentence boundaries from the model, cut again at every paragraph break
    cuts: list[tuple[int, int]] = []
    for s in doc.sents:
        a, b = s.start_char, s.end_char
        for pa, pb in paras:
            lo, hi = max(a, pa), min(b, pb)
            if lo < hi:
                lo, hi = _trimmed(text, lo, hi)
                if lo < hi and _HAS_WORD.search(text, lo, hi):
                    cuts.append((lo, hi))
    cuts.sort()
    sents: list[Sentence] = []
    p = 0
    para_furniture = {i: is_furniture(text[a:b]) for i, (a, b) in enumerate(paras)}
    last_para = -1
    for a, b in cuts:
        while p + 1 < len(paras) and a >= paras[p][1]:
            p += 1
        pi = 0 if p != last_para else sents[-1].para_index + 1
        last_para = p
        t = text[a:b]
        sents.append(Sentence(a, b, t, len(sents), p, pi, para_furniture[p] or is_furniture(t)))
    if not sents:
        return sents
    # token facts, one pass over the doc
    i = 0
    for tok in doc:
        if tok.is_space or tok.is_punct:
            continue
        c = tok.idx
        while i < len(sents) and c >= sents[i].end:
            i += 1
        if i >= len(sents):
            break
        if c < sents[i].start:
            continue
        s = sents[i]
        s.n_tokens += 1
        if tok.ent_type:
            s.n_entity_tokens += 1
        if tok.like_num:
            s.n_numbers += 1
        low = tok.lower_
        if tok.is_alpha and len(low) > 1 and low not in STOP_WORDS and not tok.is_stop:
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
