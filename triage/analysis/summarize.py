"""Extractive summariser: a small linear model over sentence features, then MMR redundancy control.

The weights (weights.json beside this module) were fit on the BBC dev set with cross-validation by
tests/bench/train_summary_weights.py; they are a few numbers, shipped in the package.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .features import FEATURES, sentence_features
from .sentences import Sentence, split_sentences
from .version import SUMMARIZER_VERSION

__all__ = ["SUMMARIZER_VERSION", "Weights", "load_weights", "score_sentences", "select", "summarize_doc",
           "summarize_text", "summary_length"]

MIN_TOKENS = 4  # shorter sentences are chosen only when nothing else is left


class Weights:
    """Standardisation and linear coefficients for FEATURES, plus the MMR trade-off."""

    def __init__(self, data: dict[str, Any]):
        names = list(data["features"])
        idx = [names.index(f) if f in names else -1 for f in FEATURES]
        pick = lambda key, fill: np.array([data[key][i] if i >= 0 else fill for i in idx], dtype=np.float64)
        self.mean = pick("mean", 0.0)
        self.std = pick("std", 1.0)
        self.coef = pick("coef", 0.0)
        self.intercept = float(data.get("intercept", 0.0))
        self.mmr_lambda = float(data.get("mmr_lambda", 1.0))
        self.version = str(data.get("version", "0"))
        self.lead_ratio = float(data.get("lead_ratio", 0.3))


@lru_cache(maxsize=1)
def load_weights() -> Weights:
    """The shipped weights (read once)."""
    text = resources.files("triage.analysis").joinpath("weights.json").read_text(encoding="utf-8")
    return Weights(json.loads(text))


def score_sentences(feats: np.ndarray, weights: Weights | None = None) -> np.ndarray:
    """Probability-like score (0..1) of each sentence belonging in the summary."""
    w = weights or load_weights()
    z = ((feats - w.mean) / w.std) @ w.coef + w.intercept
    return 1.0 / (1.0 + np.exp(-z))


def select(scores: np.ndarray, vec: np.ndarray, k: int, lam: float, eligible: Sequence[bool]) -> list[int]:
    """Pick k sentence indices by maximal marginal relevance; returned in text order."""
    cand = [i for i in range(len(scores)) if eligible[i]]
    chosen: list[int] = []
    sims = vec @ vec.T if len(vec) else np.zeros((0, 0))
    while cand and len(chosen) < k:
        if chosen and lam < 1.0:
            red = sims[np.ix_(cand, chosen)].max(axis=1)
            val = lam * scores[cand] - (1.0 - lam) * red
        else:
            val = scores[cand]
        best = cand[int(np.argmax(val))]
        chosen.append(best)
        cand.remove(best)
    return sorted(chosen)


def summary_length(n_sentences: int, sentences: int, ratio: float = 0.0, min_sentences: int = 2,
                   max_sentences: int = 6) -> int:
    """How many sentences to show: `sentences`, or `ratio` of the text bounded by min/max."""
    if ratio > 0:
        k = round(ratio * n_sentences)
        return max(min_sentences, min(max_sentences, k))
    return max(1, sentences)


def summarize_sentences(sents: Sequence[Sentence], title: str, k: int, weights: Weights | None = None,
                        lead_ratio: float | None = None) -> list[Sentence]:
    """The k best sentences (never furniture), in text order.

    News puts what matters first. When the summary is short for the article (k below `lead_ratio`
    of its sentences, e.g. 3 highlights of a 40-sentence story), the first sentence is kept and the
    rest are chosen among the first 2k sentences; otherwise the whole text competes.
    """
    if not sents or k <= 0:
        return []
    feats, vec = sentence_features(sents, title)
    w = weights or load_weights()
    lead_ratio = w.lead_ratio if lead_ratio is None else lead_ratio
    scores = score_sentences(feats, w)
    eligible = [not s.furniture and s.n_tokens >= MIN_TOKENS for s in sents]
    chosen: list[int] = []
    n_ok = sum(eligible)
    if n_ok and k < lead_ratio * n_ok:
        ok = [i for i, e in enumerate(eligible) if e]
        window = set(ok[: 2 * k])
        chosen = [ok[0]]
        eligible = [i in window and i != ok[0] for i in range(len(sents))]
        scores = scores.copy()
    chosen = sorted(chosen + select(scores, vec, k - len(chosen), w.mmr_lambda, eligible))
    if len(chosen) < k:  # short texts: allow short sentences, still never furniture
        eligible = [not s.furniture and s.n_tokens >= MIN_TOKENS for s in sents]
        rest = [eligible[i] and i not in chosen for i in range(len(sents))]
        chosen = sorted(chosen + select(scores, vec, k - len(chosen), 1.0, rest))
    if len(chosen) < k:
        rest = [not s.furniture and i not in chosen for i, s in enumerate(sents)]
        chosen = sorted(chosen + select(scores, vec, k - len(chosen), 1.0, rest))
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
