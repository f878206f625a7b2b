"""Ingest benchmarks (not collected by pytest). Run: .venv/bin/python tests/bench/ingest_bench.py [N]

1. Rescan of an inbox of N (default 10,000) text files with nothing new, with the ingest cache
   (target <= 1 s). Each file is a headline and six real paragraphs drawn from the demo articles;
   every 100th file is a near-duplicate of the one before (shortest paragraph cut): N/100 groups.
2. Feed file parsing: triage's read_file on the real NASA feeds vs feedparser.parse on the same bytes,
   measured in one run (target: within 1.5x of feedparser).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from triage.sources import load, read_file

SHARED = REPO / ".." / "shared" / "samples"


def _paragraphs() -> list[str]:
    out = []
    for _title, rest in _demo():
        out.extend(p.strip() for p in rest.split("\n\n") if len(p.split()) > 12)
    return out


def _demo() -> list[tuple[str, str]]:
    src = SHARED / "demo" if (SHARED / "demo").is_dir() else REPO / "triage" / "demo" / "inbox"
    out = []
    for p in sorted(src.glob("[0-9]*.txt")):
        title, _, rest = p.read_text(encoding="utf-8").partition("\n")
        out.append((title, rest))
    return out


def bench_rescan(n: int) -> dict[str, float]:
    """N distinct articles: each a headline and 6 real paragraphs drawn (seeded) from the demo texts."""
    import random

    rng = random.Random(7)
    paras = _paragraphs()
    demo = _demo()
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        prev: list[str] = []
        for i in range(n):
            sub = inbox / f"desk{i // 1000:02d}"
            if i % 1000 == 0:
                sub.mkdir(parents=True)
            title = demo[i % len(demo)][0]
            if i % 100 == 99:  # every 100th file: another outlet's copy of the previous story, shortest paragraph cut
                short = min(prev, key=len)
                body = "\n\n".join(p for p in prev if p is not short)
            else:
                prev = rng.sample(paras, 6)
                body = "\n\n".join(prev)
            (sub / f"{i:05d}.txt").write_text(f"{title} ({i})\n\n{body}\n", encoding="utf-8")
        cache = Path(tmp) / "cache.sqlite"
        t0 = time.perf_counter()
        cold = load([inbox], cache_path=cache)
        t_cold = time.perf_counter() - t0
        warm_times = []
        for _ in range(3):
            t0 = time.perf_counter()
            warm = load([inbox], cache_path=cache)
            warm_times.append(time.perf_counter() - t0)
        assert len(warm.articles) == len(cold.articles) == n, (len(warm.articles), len(cold.articles))
        assert not warm.problems
        # One new file among N.
        title, rest = demo[0]
        (inbox / "new.txt").write_text(f"{title} (new)\n{rest}", encoding="utf-8")
        t0 = time.perf_counter()
        one_new = load([inbox], cache_path=cache)
        t_one_new = time.perf_counter() - t0
        assert len(one_new.articles) == n + 1
    return {"cold": t_cold, "warm": min(warm_times), "warm_median": statistics.median(warm_times),
            "one_new": t_one_new, "groups": float(len(warm.groups))}


def bench_feeds(rounds: int = 20) -> dict[str, float]:
    import feedparser

    files = sorted((SHARED / "feeds").glob("*.xml"))
    if not files:
        return {}
    datas = [f.read_bytes() for f in files]
    ours, theirs, theirs_plain = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for d in datas:
            feedparser.parse(d)
        theirs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for d in datas:  # the options triage uses (no HTML sanitising: we turn HTML into plain text)
            feedparser.parse(d, sanitize_html=False, resolve_relative_uris=False)
        theirs_plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for f in files:
            read_file(f)
        ours.append(time.perf_counter() - t0)
    return {"feedparser": min(theirs), "feedparser_same_options": min(theirs_plain), "triage": min(ours),
            "ratio": min(ours) / min(theirs), "ratio_same_options": min(ours) / min(theirs_plain)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    r = bench_rescan(n)
    print(f"rescan {n} text files: cold {r['cold']:.2f} s, nothing new {r['warm']:.3f} s "
          f"(median {r['warm_median']:.3f} s; target <= 1 s), one new file {r['one_new']:.2f} s, "
          f"{int(r['groups'])} duplicate groups")
    f = bench_feeds()
    if f:
        print(f"feed files (NASA x2): feedparser.parse {f['feedparser'] * 1000:.1f} ms (defaults), "
              f"{f['feedparser_same_options'] * 1000:.1f} ms (sanitize_html=False as triage uses it); "
              f"triage read_file {f['triage'] * 1000:.1f} ms: {f['ratio']:.2f}x / "
              f"{f['ratio_same_options']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
