"""Fit the summariser's linear weights on both dev sets with cross-validation by article.

    python tests/bench/train_summary_weights.py [--folds 5] [--cnndm-weight 1] [--l2 1] [--write]
                                                [--cache FILE]

Data: ../shared/eval/bbc-dev.jsonl (539 BBC articles, extractive references: a sentence is positive
when it is in the reference) and ../shared/eval/cnndm-dev.jsonl (100 CNN/DailyMail stories with
abstractive highlights: the positives are the greedy ROUGE oracle, the sentences that together best
match the highlights, at most k). Each article is analysed exactly as the Analyzer does (headline
analysed but never chosen, furniture marked) and gets the reference's k.

Model: L2 logistic regression (Newton steps, numpy only) over triage.analysis.features.FEATURES, the
CNN/DM sentences weighted by --cnndm-weight. Cross-validation: article i of each set is in fold
i mod F; each fold is summarised by weights fit on the other folds, with the summariser itself
(summarize_sentences: hard no-repeat rule, furniture rules). Prints the CV ROUGE of each set, the
share of summaries holding a near-repeated pair, and empty summaries; --write fits on all of both
sets and writes triage/analysis/weights.json. The texts are not in the repository: the script exits
with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# ../shared beside the repository (a git worktree one level deeper finds it beside its parent)
EVAL = next((p / "eval" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
            ROOT.parent / "shared" / "eval")
SETS = ("bbc-dev", "cnndm-dev")

from triage.analysis.analyzer import doc_input
from triage.analysis.features import FEATURES, sentence_features
from triage.analysis.pipeline import load_pipeline
from triage.analysis.sentences import split_sentences
from triage.analysis.summarize import Weights, summarize_sentences

_scorer = None


def scorer():
    global _scorer
    if _scorer is None:
        from rouge_score import rouge_scorer

        _scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    return _scorer


def rouge_each(cand: list[str], ref: list[str]) -> list[float]:
    s = scorer().score("\n".join(ref), "\n".join(cand))
    return [100 * s[m].fmeasure for m in ("rouge1", "rouge2", "rougeLsum")]


def rouge(cands, refs) -> list[float]:
    vals = [rouge_each(c, r) for c, r in zip(cands, refs)]
    m = [statistics.mean(v[i] for v in vals) for i in range(3)]
    return m + [sum(m) / 3]


def norm(s: str) -> str:
    return " ".join(s.split())


def oracle(sents, ref: list[str], k: int) -> list[int]:
    """Greedy ROUGE oracle: add the sentence that most raises ROUGE-1 + ROUGE-2 F1, while it rises, up to k."""
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < k:
        top = None
        for i, s in enumerate(sents):
            if i in chosen or s.furniture:
                continue
            r = rouge_each([sents[j].text for j in sorted([*chosen, i])], ref)
            if top is None or r[0] + r[1] > top[0]:
                top = (r[0] + r[1], i)
        if top is None or top[0] <= best:
            break
        best, chosen = top[0], [*chosen, top[1]]
    return chosen


def prepare(name: str, rows: list[dict], nlp) -> list[dict]:
    """Per article: sentences as the Analyzer makes them, labels, reference sentences."""
    out = []
    inputs = [doc_input(r["title"], r["text"]) for r in rows]
    docs = nlp.pipe([t for t, _ in inputs], batch_size=16)
    refs = nlp.pipe([r["summary"] for r in rows], batch_size=32)
    for r, d, rd, (_, offset) in zip(rows, docs, refs, inputs):
        sents = split_sentences(d, offset)
        ref = [s.text.strip() for s in rd.sents if s.text.strip()]
        if name.startswith("bbc"):
            whole = norm(r["summary"])
            y = np.array([1.0 if norm(s.text) in whole else 0.0 for s in sents])
        else:
            y = np.zeros(len(sents))
            y[oracle(sents, ref, r["k"])] = 1.0
        out.append({"id": r["id"], "set": name, "k": r["k"], "title": r["title"], "sents": sents, "y": y, "ref": ref})
    return out


def fit_logreg(X, y, w, l2=1.0, iters=30) -> dict:
    """Weighted L2 logistic regression by Newton's method on standardised features."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std < 1e-9] = 1.0
    Z = np.hstack([(X - mean) / std, np.ones((len(X), 1))])
    b = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ b)))
        g = Z.T @ (w * (p - y)) + reg * b
        H = (Z * (w * p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(len(b))
        step = np.linalg.solve(H, g)
        b -= step
        if np.abs(step).max() < 1e-7:
            break
    return {"features": list(FEATURES), "mean": mean.tolist(), "std": std.tolist(), "coef": b[:-1].tolist(),
            "intercept": float(b[-1])}


def fit(items, cnndm_weight: float, l2: float) -> dict:
    X = np.vstack([it["X"] for it in items])
    y = np.concatenate([it["y"] for it in items])
    w = np.concatenate([np.full(len(it["y"]), cnndm_weight if it["set"].startswith("cnndm") else 1.0)
                        for it in items])
    return fit_logreg(X, y, w, l2)


def repeats(summary: list[str]) -> bool:
    """Two sentences sharing at least half of the shorter one's word bigrams (the bench's definition)."""
    import re

    grams = []
    for s in summary:
        w = re.findall(r"\w+", s.lower())
        grams.append(set(pairwise(w)))
    return any(a and b and len(a & b) >= 0.5 * min(len(a), len(b))
               for i, a in enumerate(grams) for b in grams[i + 1:])


def summaries(items, wdata) -> list[list[str]]:
    w = Weights(wdata)
    return [[s.text for s in summarize_sentences(it["sents"], it["title"], it["k"], w)] for it in items]


def load_items(args) -> dict[str, list[dict]]:
    cache = Path(args.cache) if args.cache else None
    if cache and cache.exists():
        items = pickle.loads(cache.read_bytes())
    else:
        nlp = load_pipeline().nlp
        items = {}
        for name in SETS:
            path = EVAL / f"{name}.jsonl"
            if not path.exists():
                print(f"{path} not found: {name} left out", file=sys.stderr)
                continue
            rows = [json.loads(line) for line in path.open(encoding="utf-8")]
            t = time.time()
            items[name] = prepare(name, rows[: args.limit or None], nlp)
            print(f"prepared {name}: {len(items[name])} articles in {time.time() - t:.0f}s", file=sys.stderr)
        if cache:
            cache.write_bytes(pickle.dumps(items))
    if "bbc-dev" not in items:
        sys.exit(f"{EVAL / 'bbc-dev.jsonl'} not found: the dev sets live in ../shared/eval beside the repository")
    for group in items.values():
        for it in group:
            it["X"], _ = sentence_features(it["sents"], it["title"], it["k"])
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--cnndm-weight", type=float, default=1.0, help="weight of a CNN/DM sentence in the fit")
    ap.add_argument("--write", action="store_true", help="fit on all of both sets and write weights.json")
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles of each set")
    ap.add_argument("--cache", default="", help="a local file (outside the repo) to keep parsed sentences")
    args = ap.parse_args()
    items = load_items(args)
    cv: dict[str, list[tuple[str, list[str], list[str]]]] = {name: [] for name in items}
    for f in range(args.folds):
        train = [it for group in items.values() for i, it in enumerate(group) if i % args.folds != f]
        test = [it for group in items.values() for i, it in enumerate(group) if i % args.folds == f]
        wd = fit(train, args.cnndm_weight, args.l2)
        for it, summary in zip(test, summaries(test, wd)):
            cv[it["set"]].append((it["id"], summary, it["ref"]))
    result = {}
    for name, rows in cv.items():
        rows.sort()
        cands, refs = [c for _, c, _ in rows], [r for _, _, r in rows]
        r1, r2, rl, mean = rouge(cands, refs)
        rep = sum(repeats(c) for c in cands)
        empty = sum(not c for c in cands)
        result[name] = round(mean, 2)
        print(f"CV {args.folds}-fold {name:10s} l2={args.l2} cnndm_weight={args.cnndm_weight}  R1 {r1:.2f}  "
              f"R2 {r2:.2f}  RLsum {rl:.2f}  mean {mean:.2f}  repeats {rep}/{len(cands)}  empty {empty}")
    all_items = [it for group in items.values() for it in group]
    wd = fit(all_items, args.cnndm_weight, args.l2)
    for name, c in sorted(zip(FEATURES, wd["coef"]), key=lambda x: -abs(x[1]))[:12]:
        print(f"  {name:18s} {c:+.3f}")
    if args.write:
        wd.update(version=time.strftime("%Y%m%d%H%M"), cv_mean=result, l2=args.l2, cnndm_weight=args.cnndm_weight,
                  trained_on=", ".join(f"{n} ({len(g)} articles)" for n, g in items.items())
                  + "; logistic regression; labels: extractive reference (BBC), greedy ROUGE oracle (CNN/DM)")
        path = ROOT / "triage" / "analysis" / "weights.json"
        path.write_text(json.dumps(wd, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
