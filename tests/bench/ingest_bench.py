"""Ingest benchmarks (not collected by pytest). Run: .venv/bin/python tests/bench/ingest_bench.py [N]

1. Rescan of an inbox of N (default 10,000) text files with nothing new, with the ingest cache
   (target <= 1 s). Each file is a headline and six real paragraphs drawn from the demo articles;
   every 100th file is a near-duplicate of the one before (shortest paragraph cut): N/100 groups.
2. Feed file parsing: triage's read_file on the real NASA feeds vs feedparser.parse on the same bytes,
   measured in one run (target: within 1.5x of feedparser).
3. NewsML-G2: a folder of N news items made from IPTC's LISTING 2 example (varied guids, the BBC texts
   of /work/shared/eval/bbc-dev.jsonl as NITF bodies; the demo articles' paragraphs without it) vs the
   same stories as plain text files, read in one run (target: at most 2x per item), both through `load`
   and with `read_file` file by file in one process. Generated in a temp dir, never committed.
   `ingest_bench.py N newsml` runs this one alone.
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

# The shared folder beside the checkout (/work/main -> /work/shared) or beside the worktrees' folder.
_SHARED_ROOT = next((d for d in (REPO.parent / "shared", REPO.parent.parent / "shared") if d.is_dir()),
                    REPO.parent / "shared")
SHARED = _SHARED_ROOT / "samples"


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
            if (
                i % 100 == 99
            ):  # every 100th file: another outlet's copy of the previous story, shortest paragraph cut
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
    return {
        "cold": t_cold,
        "warm": min(warm_times),
        "warm_median": statistics.median(warm_times),
        "one_new": t_one_new,
        "groups": float(len(warm.groups)),
    }


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
    return {
        "feedparser": min(theirs),
        "feedparser_same_options": min(theirs_plain),
        "triage": min(ours),
        "ratio": min(ours) / min(theirs),
        "ratio_same_options": min(ours) / min(theirs_plain),
    }


BBC = _SHARED_ROOT / "eval" / "bbc-dev.jsonl"
G2_EXAMPLE = REPO / "tests/sources/data/wire/newsml-g2/examples/LISTING_2_NewsML-G2_Text_Document.xml"


def _g2_item(template: str, n: int, title: str, paragraphs: list[str]) -> str:
    from xml.sax.saxutils import escape

    head, rest = template.split("<contentSet>", 1)
    tail = rest.split("</contentSet>", 1)[1]
    head = head.replace("US-FINANCE-FED", f"BBC-{n:05d}")
    head = head.replace('Fed to halt QE to avert "bubble"', escape(title))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'{head}<contentSet><inlineXML contenttype="application/nitf+xml"><nitf '
        f'xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.head><hedline><hl1>{escape(title)}'
        f"</hl1></hedline></body.head><body.content>{body}</body.content></body></nitf></inlineXML>"
        f"</contentSet>{tail}"
    )


def bench_newsml(n: int, rounds: int = 3) -> dict[str, float]:
    """N NewsML-G2 items vs the same N stories as .txt, each read with `load` (no cache, no grouping)."""
    import json

    if BBC.is_file():
        stories = [json.loads(line) for line in BBC.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:  # without the shared eval set: the demo articles' paragraphs, six a story
        paras = _paragraphs()
        stories = [{"title": t, "text": "\n\n".join(paras[i * 6 % len(paras):][:6] or paras[:6])}
                   for i, (t, _r) in enumerate(_demo())]
    template = G2_EXAMPLE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        g2, txt = Path(tmp) / "g2", Path(tmp) / "txt"
        g2.mkdir()
        txt.mkdir()
        for i in range(n):
            s = stories[i % len(stories)]
            title = f"{s['title']} ({i})"
            paras = [p.strip() for p in s["text"].split("\n\n") if p.strip()]
            (g2 / f"{i:05d}.xml").write_text(_g2_item(template, i, title, paras), encoding="utf-8")
            (txt / f"{i:05d}.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
        t_g2, t_txt = [], []
        for _ in range(rounds):  # interleaved, so both see the same machine load
            t0 = time.perf_counter()
            rg = load([g2])
            t_g2.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rt = load([txt])
            t_txt.append(time.perf_counter() - t0)
        assert len(rg.articles) == len(rt.articles) == n and not rg.problems, rg.problems[:3]
        assert all(
            a.version == "11" and a.guid.endswith(f"BBC-{int(Path(a.path).stem):05d}") for a in rg.articles
        )
        # The readers alone, one process, file by file: no loader, no helper processes.
        g_files, t_files = sorted(g2.iterdir()), sorted(txt.iterdir())
        r_g2, r_txt = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for f in g_files:
                read_file(f)
            r_g2.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for f in t_files:
                read_file(f)
            r_txt.append(time.perf_counter() - t0)
    g, t = min(t_g2), min(t_txt)
    rg_, rt_ = min(r_g2), min(r_txt)
    return {"g2_ms": g / n * 1000, "txt_ms": t / n * 1000, "ratio": g / t,
            "read_g2_ms": rg_ / n * 1000, "read_txt_ms": rt_ / n * 1000, "read_ratio": rg_ / rt_}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    if "newsml" in sys.argv[2:]:
        _print_newsml(n)
        return
    r = bench_rescan(n)
    print(
        f"rescan {n} text files: cold {r['cold']:.2f} s, nothing new {r['warm']:.3f} s "
        f"(median {r['warm_median']:.3f} s; target <= 1 s), one new file {r['one_new']:.2f} s, "
        f"{int(r['groups'])} duplicate groups"
    )
    f = bench_feeds()
    if f:
        print(
            f"feed files (NASA x2): feedparser.parse {f['feedparser'] * 1000:.1f} ms (defaults), "
            f"{f['feedparser_same_options'] * 1000:.1f} ms (sanitize_html=False as triage uses it); "
            f"triage read_file {f['triage'] * 1000:.1f} ms: {f['ratio']:.2f}x / "
            f"{f['ratio_same_options']:.2f}x (target <= 1.5x)"
        )
    _print_newsml(n)


def _print_newsml(n: int) -> None:
    g = bench_newsml(n)
    if g:
        print(
            f"NewsML-G2 {n} items with load(): {g['g2_ms']:.2f} ms per item; same stories as .txt "
            f"{g['txt_ms']:.2f} ms per item: {g['ratio']:.2f}x (target <= 2x)"
        )
        print(
            f"NewsML-G2 {n} items, read_file one by one in one process: {g['read_g2_ms']:.2f} ms per item; "
            f".txt {g['read_txt_ms']:.2f} ms per item: {g['read_ratio']:.2f}x (target <= 2x)"
        )


if __name__ == "__main__":
    main()
