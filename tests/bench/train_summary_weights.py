"""Fit the summariser's linear weights on ../shared/eval/bbc-dev.jsonl with k-fold cross-validation.

    python tests/bench/train_summary_weights.py [--folds 5] [--write]

Labels: a sentence is positive when it appears in the human extractive reference. Logistic
regression (L2, Newton steps, numpy only) over triage.analysis.features.FEATURES. Prints the
cross-validated ROUGE (each fold scored by weights fit on the other folds) for a few MMR settings;
--write fits on all of dev and writes triage/analysis/weights.json with the best CV setting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEV = ROOT / ".." / "shared" / "eval" / "bbc-dev.jsonl"

from triage.analysis.analyzer import doc_input
from triage.analysis.features import FEATURES, sentence_features
from triage.analysis.pipeline import load_pipeline
from triage.analysis.sentences import split_sentences
from triage.analysis.summarize import Weights, summarize_sentences


def norm(s: str) -> str:
    return " ".join(s.split())


def prepare(rows, nlp):
    """Per article: sentences, features, TF-ISF vectors, labels, reference sentences."""
    out = []
    inputs = [doc_input(r["title"], r["text"]) for r in rows]
    docs = nlp.pipe([t for t, _ in inputs], batch_size=16)
    refs = nlp.pipe([r["summary"] for r in rows], batch_size=32)
    for r, d, rd, (_, offset) in zip(rows, docs, refs, inputs):
        sents = split_sentences(d, offset)  # as the Analyzer does: headline analysed, never chosen
        feats, vec = sentence_features(sents, r["title"])
        ref = norm(r["summary"])
        y = np.array([1.0 if norm(s.text) in ref else 0.0 for s in sents])
        out.append({"id": r["id"], "k": r["k"], "title": r["title"], "sents": sents, "X": feats, "vec": vec, "y": y,
                        "ref": [s.text.strip() for s in rd.sents if s.text.strip()]})
    return out


def fit_logreg(X, y, l2=1.0, iters=25):
    """L2-regularised logistic regression by Newton's method on standardised features."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std < 1e-9] = 1.0
    Z = np.hstack([(X - mean) / std, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w)))
        g = Z.T @ (p - y) + reg * w
        H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return {"features": list(FEATURES), "mean": mean.tolist(), "std": std.tolist(), "coef": w[:-1].tolist(),
                "intercept": float(w[-1])}


_scorer = None


def rouge(cands, refs):
    global _scorer
    from rouge_score import rouge_scorer

    _scorer = _scorer or rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    vals = []
    for c, r in zip(cands, refs):
        s = _scorer.score("\n".join(r), "\n".join(c))
        vals.append([s[m].fmeasure for m in ("rouge1", "rouge2", "rougeLsum")])
    m = [100 * statistics.mean(v[i] for v in vals) for i in range(3)]
    return m + [sum(m) / 3]


def summaries(items, wdata, lam, lead_ratio=0.3):
    """The summariser itself (summarize_sentences) with candidate weights."""
    w = Weights({**wdata, "mmr_lambda": lam, "lead_ratio": lead_ratio})
    return [[s.text for s in summarize_sentences(it["sents"], it["title"], it["k"], w)] for it in items]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--lead-ratio", type=float, default=0.3, help="the lead rule shipped (see summarize.py)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--cache", default="", help="a local file to keep the parsed sentences between runs")
    args = ap.parse_args()
    rows = [json.loads(l) for l in DEV.open(encoding="utf-8")]
    if args.limit:
        rows = rows[: args.limit]
    t = time.time()
    items = None
    if args.cache and Path(args.cache).exists():
        import pickle

        items = pickle.loads(Path(args.cache).read_bytes())
        for it, r in zip(items, rows):
            it["X"], it["vec"] = sentence_features(it["sents"], r["title"])
            it["title"] = r["title"]
    if items is None:
        items = prepare(rows, load_pipeline().nlp)
        if args.cache:
            import pickle

            Path(args.cache).write_bytes(pickle.dumps(items))
    print(f"prepared {len(items)} articles in {time.time() - t:.0f}s", file=sys.stderr)
    settings = [(lam, lr) for lr in (0.0, 0.3) for lam in (1.0, 0.9, 0.8)]
    folds = [items[i :: args.folds] for i in range(args.folds)]
    cv = {st: [] for st in settings}
    for f in range(args.folds):
        train = [it for g, fold in enumerate(folds) if g != f for it in fold]
        wd = fit_logreg(np.vstack([it["X"] for it in train]), np.concatenate([it["y"] for it in train]), args.l2)
        for st in settings:
            cv[st].append((summaries(folds[f], wd, *st), [it["ref"] for it in folds[f]]))
    best = None
    for st in settings:
        cands = [c for cs, _ in cv[st] for c in cs]
        refs = [r for _, rs in cv[st] for r in rs]
        r1, r2, rl, mean = rouge(cands, refs)
        print(f"CV {args.folds}-fold  mmr_lambda={st[0]:.1f} lead_ratio={st[1]:.1f}  R1 {r1:.2f}  R2 {r2:.2f}"
              f"  RLsum {rl:.2f}  mean {mean:.2f}")
        if st[1] == args.lead_ratio and (best is None or mean > best[1]):
            best = (st[0], mean)
    wd = fit_logreg(np.vstack([it["X"] for it in items]), np.concatenate([it["y"] for it in items]), args.l2)
    for name, c in zip(FEATURES, wd["coef"]):
        print(f"  {name:12s} {c:+.3f}")
    if args.write:
        wd.update(mmr_lambda=best[0], lead_ratio=args.lead_ratio, version=time.strftime("%Y%m%d%H%M"), cv_mean=round(best[1], 2),
                  trained_on="bbc-dev (539 articles), logistic regression, labels from the extractive reference")
        path = ROOT / "triage" / "analysis" / "weights.json"
        path.write_text(json.dumps(wd, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path} (mmr_lambda {best[0]}, CV mean {best[1]:.2f})")


if __name__ == "__main__":
    main()
