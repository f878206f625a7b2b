"""Sentence features for the summariser: position, headline overlap, TF-ISF salience, centrality,
entities, numbers, quotes, captions and length, and the same again scaled by how short the summary is
for the story. One row per sentence, columns named in FEATURES.

Why the second half: with 7 sentences to pick out of 16 (the BBC set) the whole text competes; with
3 or 4 out of 30 (CNN/DailyMail, the summary panel) the lead carries the story. A linear model over
`x` and `brevity * x` learns both regimes at once and moves smoothly between them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .furniture import caption_score
from .sentences import STOP_WORDS, Sentence, quote_share, stem

__all__ = [
    "BASE_FEATURES",
    "FEATURES",
    "brevity",
    "regime",
    "sentence_features",
    "tfisf_matrix",
    "title_words",
]

BASE_FEATURES = (
    "first",  # the first sentence of the text
    "inv_pos",  # 1 / (position + 1)
    "rel_pos",  # position / number of sentences
    "para_first",  # first sentence of its paragraph
    "inv_para",  # 1 / (paragraph + 1)
    "log_len",  # log(1 + tokens)
    "rel_len",  # tokens / longest sentence's tokens
    "short",  # fewer than 7 tokens
    "title",  # share of the headline's content words found in the sentence
    "centroid",  # cosine of the sentence's TF-ISF vector with the document's
    "centrality",  # mean cosine with the other sentences
    "salience",  # mean log document frequency of the sentence's content words
    "mean_tf",  # mean document frequency of the content words / the most frequent word's
    "sum_tf",  # sum of the same, over the text's largest such sum
    "entities",  # share of tokens inside named entities
    "numbers",  # has a number
    "quote",  # share of characters inside double quotes
    "quote_start",  # begins with a quotation mark
    "question",  # ends with ? or !
    "last",  # the last sentence
    "caption",  # reads like a picture caption ("X (pictured) ...", "Label: ...")
)
# Each base feature again, times `brevity` (0 when the summary is long for the story, up to 1).
FEATURES = BASE_FEATURES + tuple(f"brief_{f}" for f in BASE_FEATURES)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_QUOTE_START = tuple("\"“«„'‘")


def title_words(title: str) -> set[str]:
    """Stems of the headline's content words."""
    return {stem(w) for w in _WORD.findall(title) if w.lower() not in STOP_WORDS and len(w) > 1}


def tfisf_matrix(sents: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Row-normalised TF-ISF sentence vectors, the normalised document vector, and the vocabulary."""
    vocab: dict[str, int] = {}
    for s in sents:
        for w in s.words:
            vocab.setdefault(w, len(vocab))
    n = len(sents)
    m = np.zeros((n, max(len(vocab), 1)), dtype=np.float64)
    for i, s in enumerate(sents):
        for w, c in Counter(s.words).items():
            m[i, vocab[w]] = 1.0 + math.log(c)
    sf = (m > 0).sum(axis=0)
    isf = np.log((n + 1) / (sf + 0.5))
    m *= isf
    doc = m.sum(axis=0)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    m = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    dn = np.linalg.norm(doc)
    return m, (doc / dn if dn > 0 else doc), list(vocab)


def brevity(k: int, n: int) -> float:
    """How short a k-sentence summary is for an n-sentence story: 0 at k >= 0.4 n, towards 1 as k/n -> 0."""
    return min(1.0, max(0.0, 1.0 - 2.5 * k / n)) if n > 0 else 0.0


def regime(k: int, n: int, saturate: float = 1.0) -> float:
    """The weight of the brief regime: brevity / saturate, at most 1 (saturate 0.5: every summary of
    a fifth of the story or less is wholly brief)."""
    return min(1.0, brevity(k, n) / saturate) if saturate > 0 else brevity(k, n)


def sentence_features(
    sents: Sequence[Sentence], title: str, k: int = 0, saturate: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(features [n, len(FEATURES)], TF-ISF sentence vectors [n, vocab]) for the sentences of one text,
    for a summary of k sentences (k = 0: no brevity columns, they stay 0); the brief columns are the
    base ones times `regime(k, n, saturate)`.

    Positions count story sentences only: furniture (bylines, crossheads) does not push the lead down.
    """
    n = len(sents)
    nb = len(BASE_FEATURES)
    f = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return f, np.zeros((0, 1))
    vec, doc, _ = tfisf_matrix(sents)
    sims = vec @ vec.T
    centrality = (sims.sum(axis=1) - np.diag(sims)) / max(n - 1, 1)
    centroid = vec @ doc
    tw = title_words(title)
    df = Counter(w for s in sents for w in s.words)
    longest = max(s.n_tokens for s in sents) or 1
    top = max(df.values(), default=1)
    sum_tf = np.array([sum(df[w] for w in s.words) / top for s in sents])
    max_sum = sum_tf.max() or 1.0
    last_para = sents[-1].para
    n_story = sum(1 for s in sents if not s.furniture) or n
    pos = -1
    for i, s in enumerate(sents):
        pos += 0 if s.furniture else 1
        p = max(pos, 0)
        words = set(s.words)
        text = s.text
        f[i, :nb] = (
            1.0 if p == 0 and not s.furniture else 0.0,
            1.0 / (p + 1),
            p / n_story,
            1.0 if s.para_index == 0 else 0.0,
            1.0 / (s.para + 1),
            math.log1p(s.n_tokens),
            s.n_tokens / longest,
            1.0 if s.n_tokens < 7 else 0.0,
            len(tw & words) / len(tw) if tw else 0.0,
            centroid[i],
            centrality[i],
            (sum(math.log(df[w]) for w in s.words) / len(s.words)) if s.words else 0.0,
            sum_tf[i] / len(s.words) if s.words else 0.0,
            sum_tf[i] / max_sum,
            s.n_entity_tokens / s.n_tokens if s.n_tokens else 0.0,
            1.0 if s.n_numbers else 0.0,
            quote_share(text),
            1.0 if text.startswith(_QUOTE_START) else 0.0,
            1.0 if text.rstrip("\"”’'").endswith(("?", "!")) else 0.0,
            1.0 if (i == n - 1 or s.para == last_para and n > 3) else 0.0,
            caption_score(text),
        )
    b = regime(k, n_story, saturate)
    if b > 0:
        f[:, nb:] = f[:, :nb] * b
    return f, vec
