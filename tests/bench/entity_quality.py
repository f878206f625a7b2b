"""Entity precision and recall per kind against hand-made gold lists: the 50 demo articles, and 50
CNN stories of ../shared/eval/cnndm-dev2.jsonl (gold by story id; the texts are read from there).

    python tests/bench/entity_quality.py [--gold demo|cnndm-dev2|all] [--errors] [--missed] [--all]

The gold list (tests/data/entities-demo-gold.jsonl, see tests/data/README.md) names the people,
places and organisations of each article in triage/demo/demo, with the other forms the article uses
("Ricardo Rosselló Nevares|Rosselló"), and an `optional` list of names that may be shown under some
kinds without being wrong or required (products, events, sports clubs named after their town; a
"people:" prefix allows the people kind as well).

Each article is read as the app reads it (triage.sources) and analysed by the Analyzer (no cache),
so what is scored is exactly the chips a reader sees (at most 12 per kind; --all: every entity).
A shown entity is right when its text is a form of a gold entity of that kind, not yet shown;
it is left out of the count when it is an optional name allowed for that kind; anything else is
wrong: junk, a wrong kind, or a second chip for someone already shown. Recall: gold entities shown
under their kind, by their text or a merged variant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "tests" / "data" / "entities-demo-gold.jsonl"
CNN_GOLD = ROOT / "tests" / "data" / "entities-cnndm-dev2-gold.jsonl"
# ../shared beside the repository (a git worktree one level deeper finds it beside its parent)
EVAL = next(
    (p / "eval" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT.parent / "shared" / "eval",
)
CNN_TEXTS = EVAL / "cnndm-dev2.jsonl"
DEMO = ROOT / "triage" / "demo" / "demo"
KINDS = ("people", "places", "organisations")


def norm(name: str) -> str:
    """Case, accents, quotes, spacing and a leading "the" ignored."""
    s = unicodedata.normalize("NFKD", name.replace("’", "'"))
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    s = " ".join(s.split())
    return s.removeprefix("the ")


def load_gold(path: Path = GOLD) -> dict[str, dict]:
    """file name -> {kind: [set of normalised forms, ...], "optional": [(kinds, forms)]}."""
    out = {}
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        entry: dict = {k: [{norm(a) for a in e.split("|")} for e in row[k]] for k in KINDS}
        opt = []
        for e in row.get("optional", []):
            kinds = {"places", "organisations", "groups", "other"}
            if e.startswith("people:"):
                kinds.add("people")
                e = e[len("people:") :]
            opt.append((kinds, {norm(a) for a in e.split("|")}))
        entry["optional"] = opt
        out[row.get("file") or row["id"]] = entry
    return out


def score(gold: dict[str, dict], predicted: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]]):
    """Per kind: right, wrong, ignored, gold found, gold total; and the list of mistakes."""
    stats = {k: defaultdict(int) for k in KINDS}
    mistakes, missed = [], []
    for name, g in gold.items():
        shown = predicted.get(name, {})
        for kind in KINDS:
            found: set[int] = set()
            for text, _variants in shown.get(kind, []):
                t = norm(text)
                hit = next((i for i, forms in enumerate(g[kind]) if t in forms), None)
                if hit is not None and hit not in found:
                    stats[kind]["right"] += 1
                    found.add(hit)
                    continue
                if hit is None and any(kind in ks and t in forms for ks, forms in g["optional"]):
                    stats[kind]["ignored"] += 1
                    continue
                stats[kind]["wrong"] += 1
                why = (
                    "shown twice"
                    if hit is not None
                    else next(
                        (f"is {k}" for k in KINDS if k != kind and any(t in f for f in g[k])), "not in gold"
                    )
                )
                mistakes.append((name, kind, text, why))
            for i, forms in enumerate(g[kind]):  # recall: by text or by a merged variant
                shown_forms = {norm(v) for text, vs in shown.get(kind, []) for v in (text, *vs)}
                if i in found or shown_forms & forms:
                    stats[kind]["found"] += 1
                else:
                    missed.append((name, kind, min(forms)))
            stats[kind]["gold"] += len(g[kind])
    return stats, mistakes, missed


def predict(limit_all: bool, gold: str = "demo") -> dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]]:
    """What the Analyzer shows for the demo articles (by file name) or the CNN gold stories (by id)."""
    from triage.analysis import Analyzer

    if gold == "demo":
        from triage.sources import load

        result = load([str(DEMO)])
        articles = [a for a in result.articles if a.path]
        names = [Path(a.path).name for a in articles]
    else:
        from triage.model import Article

        wanted = set(load_gold(CNN_GOLD))
        rows = [json.loads(line) for line in CNN_TEXTS.open(encoding="utf-8")]
        articles = [Article(id=r["id"], title=r["title"], text=r["text"]) for r in rows if r["id"] in wanted]
        names = [a.id for a in articles]
    an = Analyzer(cache_path=None)
    out = {}
    if limit_all:
        import triage.analysis.entities as ent

        original = ent.group_entities
        ent.group_entities = lambda mentions, limit=12, **kw: original(mentions, limit=1000, **kw)
    for name, (_, analysis) in zip(names, an.analyze_many(articles), strict=True):
        out[name] = {k: [(e.text, e.variants) for e in analysis.entities.get(k, ())] for k in KINDS}
    return out


def report(title: str, gold: dict, predicted: dict, args) -> None:
    missing = set(gold) - set(predicted)
    if missing:
        sys.exit(f"articles not read: {sorted(missing)}")
    stats, mistakes, missed = score(gold, predicted)
    print(f"entities on {title} ({'all' if args.all else 'as shown, 12 per kind'})")
    print(
        f"{'kind':14s} {'precision':>9s} {'recall':>7s} {'right':>6s} {'wrong':>6s} {'optional':>8s} "
        f"{'gold':>5s}"
    )
    for kind in KINDS:
        s = stats[kind]
        shown = s["right"] + s["wrong"]
        p = s["right"] / shown if shown else 0.0
        r = s["found"] / s["gold"] if s["gold"] else 0.0
        print(
            f"{kind:14s} {p:9.3f} {r:7.3f} {s['right']:6d} {s['wrong']:6d} {s['ignored']:8d} {s['gold']:5d}"
        )
    if args.errors:
        for name, kind, text, why in mistakes:
            print(f"  {name[:40]:40s} {kind:13s} {text!r}: {why}")
    if args.missed:
        for name, kind, text in missed:
            print(f"  missed {name[:40]:40s} {kind:13s} {text!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", choices=["demo", "cnndm-dev2", "all"], default="all")
    ap.add_argument("--errors", action="store_true", help="list every wrong chip")
    ap.add_argument("--missed", action="store_true", help="list every gold entity not shown")
    ap.add_argument("--all", action="store_true", help="score every entity, not only the 12 per kind shown")
    args = ap.parse_args()
    if args.gold in ("demo", "all"):
        t = time.perf_counter()
        predicted = predict(args.all)
        report(
            f"{len(load_gold())} demo articles, {time.perf_counter() - t:.1f}s with model load",
            load_gold(),
            predicted,
            args,
        )
    if args.gold in ("cnndm-dev2", "all"):
        if not CNN_TEXTS.exists():
            print(f"{CNN_TEXTS} not found: the CNN gold set is skipped", file=sys.stderr)
            return
        gold = load_gold(CNN_GOLD)
        report(f"{len(gold)} CNN stories of cnndm-dev2", gold, predict(args.all, "cnndm-dev2"), args)


if __name__ == "__main__":
    main()
