"""Extractive summariser: a small linear model over sentence features, then selection with a hard
no-repeat rule.

The weights (weights.json beside this module) were fit on the BBC and CNN/DailyMail dev sets with
cross-validation by article (tests/bench/train_summary_weights.py); they are a few numbers, shipped
in the package. The features include each one scaled by the summary's brevity, so the same model
keeps to the lead when 3 sentences are asked of a 30-sentence story and lets the whole text compete
when 7 of 16 are asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np

from .features import FEATURES, regime, sentence_features
from .sentences import Sentence, split_sentences
from .version import SUMMARIZER_VERSION

__all__ = [
    "Linear",
    "REPEAT_SHARE",
    "SUMMARIZER_VERSION",
    "Weights",
    "choose",
    "lead_mask",
    "load_weights",
    "near_repeat",
    "score_sentences",
    "select",
    "summarize_doc",
    "summarize_sentences",
    "summarize_text",
    "summary_length",
    "word_bigrams",
]

MIN_TOKENS = 4  # shorter sentences are chosen only when nothing else is left
# Two sentences that share at least this share of the shorter one's word bigrams say the same thing.
REPEAT_SHARE = 0.5
_WORD = re.compile(r"\w+")


class Linear:
    """Standardisation and linear coefficients over FEATURES (features it does not name weigh 0)."""

    def __init__(self, data: dict[str, Any]):
        names = list(data["features"])
        idx = [names.index(f) if f in names else -1 for f in FEATURES]

        def pick(key: str, fill: float) -> np.ndarray:
            return np.array([data[key][i] if i >= 0 else fill for i in idx], dtype=np.float64)

        self.mean = pick("mean", 0.0)
        self.std = pick("std", 1.0)
        self.coef = pick("coef", 0.0)
        self.intercept = float(data.get("intercept", 0.0))

    def logit(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.std) @ self.coef + self.intercept


class Weights:
    """The shipped model: one linear model over FEATURES, or two ("long" for summaries that are long
    for the story, "brief" for short ones) blended by features.regime; the lead bonus; the regime's
    saturation."""

    def __init__(self, data: dict[str, Any]):
        self.long = Linear(data["long"] if "long" in data else data)
        self.brief = Linear(data["brief"]) if "brief" in data else None
        # logit added to the lead (the first k story sentences), times the brief regime's weight
        self.lead_bonus = float(data.get("lead_bonus", 0.0))
        self.saturate = float(data.get("saturate", 1.0))  # see features.regime
        self.version = str(data.get("version", "0"))


@lru_cache(maxsize=1)
def load_weights() -> Weights:
    """The shipped weights (read once)."""
    text = resources.files("triage.analysis").joinpath("weights.json").read_text(encoding="utf-8")
    return Weights(json.loads(text))


def score_sentences(
    feats: np.ndarray, weights: Weights | None = None, lead: np.ndarray | None = None, beta: float = 0.0
) -> np.ndarray:
    """Probability-like score (0..1) of each sentence belonging in the summary: with two models,
    (1 - beta) long + beta brief logits (beta: the brief regime's weight); `lead` (that weight on the
    lead sentences, 0 elsewhere) raises the lead's logit by the weights' lead bonus."""
    w = weights or load_weights()
    z = w.long.logit(feats)
    if w.brief is not None and beta > 0:
        z = (1.0 - beta) * z + beta * w.brief.logit(feats)
    if lead is not None and w.lead_bonus:
        z = z + w.lead_bonus * lead
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def lead_mask(sents: Sequence[Sentence], k: int, saturate: float = 1.0) -> np.ndarray:
    """The brief regime's weight (features.regime) on the first k story sentences of a fair length,
    0 elsewhere."""
    out = np.zeros(len(sents))
    b = regime(k, sum(1 for s in sents if not s.furniture), saturate)
    if b <= 0:
        return out
    taken = 0
    for i, s in enumerate(sents):
        if taken >= k:
            break
        if not s.furniture and s.n_tokens >= MIN_TOKENS:
            out[i] = b
            taken += 1
    return out


def word_bigrams(text: str) -> frozenset[tuple[str, str]]:
    """The set of lower-cased word bigrams of a text."""
    words = _WORD.findall(text.lower())
    return frozenset(pairwise(words))


def near_repeat(a: frozenset, b: frozenset, share: float = REPEAT_SHARE) -> bool:
    """True when two bigram sets share at least `share` of the smaller one (same sentence, or nearly)."""
    if not a or not b:
        return False
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & big) >= share * len(small)


def select(
    scores: np.ndarray,
    k: int,
    eligible: Sequence[bool],
    bigrams: Sequence[frozenset],
    chosen: Sequence[int] = (),
) -> list[int]:
    """Add sentences to `chosen`, best score first, until k: only eligible ones, never a near-repeat
    of one already chosen. Returned in text order."""
    out = list(chosen)
    for i in np.argsort(-scores, kind="stable"):
        if len(out) >= k:
            break
        i = int(i)
        if not eligible[i] or i in out or any(near_repeat(bigrams[i], bigrams[j]) for j in out):
            continue
        out.append(i)
    return sorted(out)


def summary_length(
    n_sentences: int, sentences: int, ratio: float = 0.0, min_sentences: int = 2, max_sentences: int = 6
) -> int:
    """How many sentences to show: `sentences`, or `ratio` of the text bounded by min/max."""
    if ratio > 0:
        k = round(ratio * n_sentences)
        return max(min_sentences, min(max_sentences, k))
    return max(1, sentences)


def summarize_sentences(
    sents: Sequence[Sentence], title: str, k: int, weights: Weights | None = None
) -> list[Sentence]:
    """The k best sentences, in text order: never furniture while story sentences are left, never two
    that repeat each other, never none when the text has a sentence."""
    if not sents or k <= 0:
        return []
    w = weights or load_weights()
    feats, _ = sentence_features(sents, title, k, w.saturate)
    beta = regime(k, sum(1 for s in sents if not s.furniture), w.saturate)
    return choose(sents, score_sentences(feats, w, lead_mask(sents, k, w.saturate), beta), k)


def choose(sents: Sequence[Sentence], scores: np.ndarray, k: int) -> list[Sentence]:
    """The k best-scored sentences under the furniture, length and no-repeat rules, in text order."""
    if not sents or k <= 0:
        return []
    bigrams = [word_bigrams(s.text) for s in sents]
    story = [not s.furniture for s in sents]
    # story sentences of a fair length first, then short ones; furniture only for a text that has
    # nothing else by our guess (a wrong guess must not empty the summary)
    chosen = select(
        scores, k, [ok and s.n_tokens >= MIN_TOKENS for ok, s in zip(story, sents, strict=True)], bigrams
    )
    if len(chosen) < k:
        chosen = select(scores, k, story, bigrams, chosen)
    if not chosen:
        chosen = select(scores, k, [True] * len(sents), bigrams)
    return [sents[i] for i in chosen]


def summarize_doc(doc: Any, title: str, k: int) -> tuple[list[Sentence], list[Sentence]]:
    """(summary sentences, all sentences) of a processed Doc."""
    sents = split_sentences(doc)
    return summarize_sentences(sents, title, k), sents


def summarize_text(title: str, text: str, k: int, nlp: Any = None) -> list[str]:
    """The k key sentences of `text` (exact substrings, in article order); loads the model if nlp is None."""
    if nlp is None:
        from .pipeline import load_pipeline

        nlp = load_pipeline().nlp
    chosen, _ = summarize_doc(nlp(text), title, k)
    return [s.text for s in chosen]
