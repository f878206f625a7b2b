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
EVAL = next(
    (p / "eval" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT.parent / "shared" / "eval",
)
SETS = ("bbc-dev", "cnndm-dev", "cnndm-dev2")

from triage.analysis.analyzer import doc_input  # noqa: E402 - after the sys.path entry above
from triage.analysis.features import BASE_FEATURES, FEATURES, regime, sentence_features  # noqa: E402
from triage.analysis.pipeline import load_pipeline  # noqa: E402
from triage.analysis.sentences import is_summary_furniture, split_sentences  # noqa: E402
from triage.analysis.summarize import Weights, choose, lead_mask, score_sentences  # noqa: E402

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


def norm(s: str) -> str:
    return " ".join(s.split())


def oracle(sents, ref: list[str], k: int) -> list[int]:
    """Greedy ROUGE oracle: add the sentence that most raises ROUGE-1 + ROUGE-2 F1 while it rises, up to k."""
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
    for r, d, rd, (_, offset) in zip(rows, docs, refs, inputs, strict=True):
        sents = split_sentences(d, offset)
        ref = [s.text.strip() for s in rd.sents if s.text.strip()]
        if name.startswith("bbc"):
            whole = norm(r["summary"])
            y = np.array([1.0 if norm(s.text) in whole else 0.0 for s in sents])
        else:
            y = np.zeros(len(sents))
            y[oracle(sents, ref, r["k"])] = 1.0
        out.append(
            {"id": r["id"], "set": name, "k": r["k"], "title": r["title"], "sents": sents, "y": y, "ref": ref}
        )
    return out


def fit_logreg(X, y, w, l2=1.0, names=FEATURES, iters=30) -> dict:
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
    return {
        "features": list(names),
        "mean": mean.tolist(),
        "std": std.tolist(),
        "coef": b[:-1].tolist(),
        "intercept": float(b[-1]),
    }


def fit(items, cnndm_weight: float, l2: float, balance: bool = False, experts: str = "") -> dict:
    """Fit on items; a CNN/DM sentence weighs cnndm_weight; with balance, every set weighs the same in
    all. With experts: two models over the base features, "long" with each story weighted by
    1 - beta (its brief regime's weight) and "brief" by beta (plus a little of the other, so that
    each has rows to learn from whatever the training sets)."""
    X = np.vstack([it["X"] for it in items])
    y = np.concatenate([it["y"] for it in items])
    rows: dict[str, int] = {}
    for it in items:
        rows[it["set"]] = rows.get(it["set"], 0) + len(it["y"])
    mean_rows = sum(rows.values()) / len(rows)
    w = np.concatenate(
        [
            np.full(
                len(it["y"]),
                (cnndm_weight if it["set"].startswith("cnndm") else 1.0)
                * (mean_rows / rows[it["set"]] if balance else 1.0),
            )
            for it in items
        ]
    )
    if not experts:
        return fit_logreg(X, y, w, l2)
    beta = np.concatenate([np.full(len(it["y"]), it["beta"]) for it in items])
    nb = len(BASE_FEATURES) if experts == "base" else len(FEATURES)
    names = FEATURES[:nb]
    long = fit_logreg(X[:, :nb], y, w * (1.0 - beta + 0.02), l2, names)
    brief = fit_logreg(X[:, :nb], y, w * (beta + 0.02), l2, names)
    return {"long": long, "brief": brief}


def repeats(summary: list[str]) -> bool:
    """Two sentences sharing at least half of the shorter one's word bigrams (the bench's definition)."""
    import re

    grams = []
    for s in summary:
        w = re.findall(r"\w+", s.lower())
        grams.append(set(pairwise(w)))
    return any(
        a and b and len(a & b) >= 0.5 * min(len(a), len(b))
        for i, a in enumerate(grams)
        for b in grams[i + 1 :]
    )


def summary(it, w: Weights) -> list[str]:
    """What summarize_sentences returns, from the item's precomputed features."""
    scores = score_sentences(it["X"], w, lead_mask(it["sents"], it["k"], w.saturate), it["beta"])
    return [s.text for s in choose(it["sents"], scores, it["k"])]


def lead(it) -> list[str]:
    """Lead-k over triage's sentences: the first k story sentences."""
    return [s.text for s in it["sents"] if not s.furniture][: it["k"]]


_scores: dict[tuple[str, tuple[str, ...]], list[float]] = {}


def score_rows(rows: list[tuple[dict, list[str]]]) -> list[float]:
    """Mean R1, R2, RLsum and their mean over (item, summary) rows (each pair scored once)."""
    vals = []
    for it, cand in rows:
        key = (it["id"], tuple(cand))
        if key not in _scores:
            _scores[key] = rouge_each(cand, it["ref"])
        vals.append(_scores[key])
    m = [statistics.mean(v[i] for v in vals) for i in range(3)]
    return m + [sum(m) / 3]


def cross_validate(items: dict[str, list[dict]], args, bonuses: list[float]) -> dict:
    """{(scheme, set): {bonus: [R1, R2, RLsum, mean, repeats]}} for 5-fold CV by article (all sets
    trained together; "5-fold#i" is fold i alone, "5-fold" the folds pooled) and leave-one-set-out
    (fit on the other sets)."""
    out: dict = {}
    schemes: list[tuple[str, list[dict], list[dict]]] = []
    for f in range(args.folds):
        train = [it for g in items.values() for i, it in enumerate(g) if i % args.folds != f]
        test = [it for g in items.values() for i, it in enumerate(g) if i % args.folds == f]
        schemes.append((f"{args.folds}-fold#{f + 1}", train, test))
    if len(items) > 1:
        for name in items:
            train = [it for n, g in items.items() if n != name for it in g]
            schemes.append(("leave-set-out", train, items[name]))
    got: dict = {}
    for scheme, train, test in schemes:
        wd = fit(train, args.cnndm_weight, args.l2, args.balance, args.experts)
        for b in bonuses:
            w = Weights({**wd, "lead_bonus": b, "saturate": args.saturate})
            for it in test:
                row = (it, summary(it, w))
                got.setdefault((scheme, it["set"]), {}).setdefault(b, []).append(row)
                if "#" in scheme:  # each fold alone, and the folds pooled
                    got.setdefault((scheme.split("#")[0], it["set"]), {}).setdefault(b, []).append(row)
    for key, by_bonus in got.items():
        out[key] = {b: [*score_rows(rows), sum(repeats(c) for _, c in rows)] for b, rows in by_bonus.items()}
        out[key]["lead"] = score_rows([(it, lead(it)) for it, _ in next(iter(by_bonus.values()))])
    return out


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
        sys.exit(
            f"{EVAL / 'bbc-dev.jsonl'} not found: the dev sets live in ../shared/eval beside the repository"
        )
    for group in items.values():
        for it in group:
            for s in it["sents"]:  # a cache made before a furniture rule was added
                s.furniture = s.furniture or is_summary_furniture(s.text)
            it["X"], _ = sentence_features(it["sents"], it["title"], it["k"], args.saturate)
            it["beta"] = regime(it["k"], sum(1 for s in it["sents"] if not s.furniture), args.saturate)
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--cnndm-weight", type=float, default=1.0, help="weight of a CNN/DM sentence in the fit")
    ap.add_argument("--balance", action="store_true", help="every set weighs the same in the fit")
    ap.add_argument(
        "--experts",
        choices=["", "base", "full"],
        default="",
        help="two models (long, brief) blended by the regime, over the base or all features",
    )
    ap.add_argument("--saturate", type=float, default=1.0, help="brevity at which the brief regime is whole")
    ap.add_argument("--bonus", default="0,1,2,3,4,6", help="lead bonuses (logits) to cross-validate")
    ap.add_argument(
        "--lead-bonus", type=float, default=None, help="the bonus to write (default: the best by CV)"
    )
    ap.add_argument("--write", action="store_true", help="fit on all sets and write weights.json")
    ap.add_argument("--no-cv", action="store_true", help="no CV (--write a chosen --lead-bonus)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles of each set")
    ap.add_argument("--sets", default=",".join(SETS), help="which sets, comma-separated")
    ap.add_argument("--cache", default="", help="a local file (outside the repo) to keep parsed sentences")
    args = ap.parse_args()
    items = load_items(args)
    items = {n: g[: args.limit or None] for n, g in items.items() if n in args.sets.split(",")}
    bonuses = [float(b) for b in args.bonus.split(",")]
    cv = {} if args.no_cv else cross_validate(items, args, bonuses)
    print(
        f"l2={args.l2} cnndm_weight={args.cnndm_weight} balance={args.balance}; mean of R1, R2, RLsum, "
        "gap to Lead-k on the same sentences"
    )
    print(f"{'scheme':14s} {'set':11s} {'Lead-k':>7s} " + " ".join(f"{'b=' + str(b):>14s}" for b in bonuses))
    worst = {b: 1e9 for b in bonuses}
    for (scheme, name), by_bonus in sorted(cv.items()):
        base = by_bonus["lead"][3]
        cells = []
        for b in bonuses:
            m = by_bonus[b][3]
            cells.append(f"{m:6.2f} ({m - base:+5.2f})")
            if not name.startswith("bbc") and "#" not in scheme:
                worst[b] = min(worst[b], m - base)
        print(f"{scheme:14s} {name:11s} {base:7.2f} " + " ".join(f"{c:>14s}" for c in cells))
    for (scheme, name), by_bonus in sorted(cv.items()):
        for b in bonuses:
            r1, r2, rl, m, rep = by_bonus[b]
            print(
                f"  detail {scheme:14s} {name:11s} b={b:<4} R1 {r1:.2f} R2 {r2:.2f} RLsum {rl:.2f} "
                f"mean {m:.2f} repeats {rep}/{len(items[name])}"
            )
    print(
        "worst CNN/DM gap to Lead-k over both schemes: "
        + ", ".join(f"b={b}: {v:+.2f}" for b, v in worst.items())
    )
    best = args.lead_bonus if args.lead_bonus is not None else max(bonuses, key=lambda b: worst[b])
    all_items = [it for group in items.values() for it in group]
    wd = fit(all_items, args.cnndm_weight, args.l2, args.balance, args.experts)
    for part, model in ((p, wd[p]) for p in ("long", "brief")) if args.experts else (("", wd),):
        pairs = zip(model["features"], model["coef"], strict=True)
        for name, c in sorted(pairs, key=lambda x: -abs(x[1]))[:8]:
            print(f"  {part:5s} {name:18s} {c:+.3f}")
    if args.write:
        wd.update(
            lead_bonus=best,
            saturate=args.saturate,
            version=time.strftime("%Y%m%d%H%M"),
            l2=args.l2,
            cnndm_weight=args.cnndm_weight,
            balance=args.balance,
            experts=args.experts,
            cv_mean={f"{sc} {n}": round(v[best][3], 2) for (sc, n), v in cv.items()},
            trained_on=", ".join(f"{n} ({len(g)} articles)" for n, g in items.items())
            + "; logistic regression; labels: extractive reference (BBC), greedy ROUGE oracle (CNN/DM)",
        )
        path = ROOT / "triage" / "analysis" / "weights.json"
        path.write_text(json.dumps(wd, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path} (lead bonus {best})")


if __name__ == "__main__":
    main()
