"""Peak memory and throughput of `triage summarize --jsonl` on many articles.

    python tests/bench/summarize_memory.py [--articles 10000]

Articles are the BBC dev texts (../shared/eval) repeated with a numbered headline, so every one is a
new version (nothing is served from a cache; --no-cache is passed as well). Prints the largest
resident set of any one process (ru_maxrss, what `/usr/bin/time -v` reports), the peak of the sum of
RSS and of PSS (proportional: pages shared copy-on-write with worker processes counted once) over the
process tree, sampled every 0.2 s, and articles per second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / ".." / "shared" / "eval" / "bbc-dev.jsonl"


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _kb(path: str, field: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10_000)
    args = ap.parse_args()
    if not DEV.exists():
        sys.exit(f"{DEV} not found: the BBC dev set lives in ../shared/eval beside the repository")
    rows = [json.loads(line) for line in DEV.open(encoding="utf-8")]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"triage-bench-{os.getpid()}.jsonl"
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(args.articles):
            r = rows[i % len(rows)]
            f.write(
                json.dumps({"id": f"{r['id']}-{i}", "title": f"{r['title']} ({i})", "text": r["text"]}) + "\n"
            )
    peak = {"rss": 0, "pss": 0}
    t = time.perf_counter()
    with tmp.open("rb") as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "summarize", "--jsonl", "--no-cache"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                pids = _tree(proc.pid)
                peak["rss"] = max(peak["rss"], sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids))
                peak["pss"] = max(peak["pss"], sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
                time.sleep(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        lines = sum(1 for _ in proc.stdout)  # type: ignore[union-attr]
        err = proc.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
        code = proc.wait()
        done.set()
        th.join()
    dt = time.perf_counter() - t
    tmp.unlink()
    if code != 0 or lines != args.articles:
        sys.exit(f"triage summarize failed: exit {code}, {lines} lines: {err[-400:]}")
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{args.articles} articles in {dt:.0f} s: {args.articles / dt:.1f} articles/s")
    print(f"peak RSS, largest single process: {maxrss:.0f} MB")
    print(f"peak RSS summed over the process tree: {peak['rss'] / 1024:.0f} MB")
    print(f"peak PSS summed over the process tree (shared pages once): {peak['pss'] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
