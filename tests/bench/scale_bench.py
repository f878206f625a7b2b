"""A desk's volume, as a user meets it: the installed `triage` in tmux on N unique stories.

    python tests/bench/scale_bench.py [--articles 10000 100000] [--size 160x48] [--keep DIR]

For each N it writes N unique stories made from ../shared/eval texts (each keeps its own headline
and lead and adds paragraphs of other stories, so duplicate grouping cannot fold them together),
then drives the installed app in tmux and prints one table row:

  cold / warm first paint    launch -> the first story on screen, nothing cached / everything cached
  cold read                  launch -> the top bar's "reading N/M" gone (every story read), nothing cached
  j median / slowest idle    keystroke -> the cursor row moved on screen, 40 presses 0.3 s apart
  j slowest, arrivals        the same while three new stories land in the inbox and another process
                             writes decisions to the same file (`triage decide` in a loop)
  search echo / result       per typed letter -> the letter on screen (median); last letter -> the
                             list filtered (the first row is a matching story)
  summary under cursor       G (an unanalysed story at the bottom) -> its summary bullets on screen
  analysis stories/s         from the top bar's "analysing d/t" over 20 s
  RSS                        the app's processes together (the TUI and its analysis workers), MB

Screen changes are seen with `tmux capture-pane` polled every few milliseconds, so figures include
tmux's own rendering, like a person's. Needs tmux, the installed `triage` next to this Python, and
../shared/eval (BBC and CNN/DM texts: read there, never copied).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
SESSION = "triage-scale"
_SGR_BG = re.compile(r"\x1b\[[0-9;]*48;5;(\d+)")


# -- the corpus -------------------------------------------------------------------------------------
def stories() -> list[tuple[str, list[str]]]:
    out = []
    for name in ("bbc-dev.jsonl", "cnndm-dev.jsonl"):
        for line in (EVAL / name).open(encoding="utf-8"):
            d = json.loads(line)
            paras = [p for p in d["text"].split("\n\n") if p.strip()]
            if len(paras) == 1:  # CNN/DM keeps no paragraph breaks: three sentences a paragraph
                sents = paras[0].split(". ")
                paras = [". ".join(sents[i:i + 3]) for i in range(0, len(sents), 3)]
            title = d["title"] or paras[0][:70].rsplit(" ", 1)[0]
            out.append((title, paras))
    return out


def make_inbox(folder: Path, n: int, seed: int = 11, start: int = 0) -> None:
    """N unique stories: headline and lead of one, paragraphs of four others, two more of its own."""
    base = stories()
    rnd = random.Random(seed + start)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        title, paras = base[i % len(base)]
        others = [base[rnd.randrange(len(base))][1] for _ in range(4)]
        body = [paras[0]] + [o[rnd.randrange(len(o))] for o in others] + paras[1:3]
        (folder / f"{i:06d}.txt").write_text(f"{title} ({i // len(base) + 1})\n\n" + "\n\n".join(body) + "\n",
                                            encoding="utf-8")


# -- tmux -------------------------------------------------------------------------------------------
def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def capture(escapes: bool = False) -> list[str]:
    return tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", SESSION).splitlines()


def strip(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line)


def cursor_row(lines: list[str]) -> tuple[int, str] | None:
    """(screen row, title) of the list row under the cursor: the one row whose background differs."""
    bgs = {}
    for i, line in enumerate(lines[1:-2], 1):
        m = _SGR_BG.search(line)
        if m:
            bgs.setdefault(m.group(1), []).append(i)
    singles = [rows[0] for rows in bgs.values() if len(rows) == 1]
    if not singles:
        return None
    row = singles[0]
    return row, strip(lines[row])[4:60].strip()


def launch(cmd: str, size: str) -> float:
    tmux("kill-session", "-t", SESSION)
    w, h = size.split("x")
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", w, "-y", h, cmd], check=True)
    return start


def wait_screen(pred, timeout: float, escapes: bool = False, step: float = 0.005) -> float | None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if pred(capture(escapes)):
            return time.perf_counter() - start
        time.sleep(step)
    return None


def first_story_shown(lines: list[str]) -> bool:
    return any(re.search(r"\(\d+\)\s", strip(x)) for x in lines[1:6])


def press_j(count: int, gap: float) -> list[float]:
    """Keystroke -> the cursor row on screen is the row that was below it."""
    times = []
    for _ in range(count):
        before = cursor_row(capture(True))
        if before is None:
            time.sleep(gap)
            continue
        lines = capture(True)
        below = strip(lines[before[0] + 1])[4:60].strip() if before[0] + 1 < len(lines) - 2 else None
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "j")
        while time.perf_counter() - t0 < 10:
            now = cursor_row(capture(True))
            moved = now is not None and now[1] != before[1]
            if moved and (below is None or now[1] == below or now[0] != before[0]):
                times.append((time.perf_counter() - t0) * 1000)
                break
            time.sleep(0.003)
        time.sleep(gap)
    return times


def rss_mb(root_cmd: str) -> float:
    """RSS of the triage process and its children, MB."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,rss,args"], capture_output=True,
                         text=True).stdout.splitlines()[1:]
    procs = [(int(p[0]), int(p[1]), int(p[2]), p[3] if len(p) > 3 else "")
             for p in (x.split(None, 3) for x in out)]
    roots = [p for p in procs if root_cmd in p[3] and "tmux" not in p[3] and "sh -c" not in p[3]]
    if not roots:
        return 0.0
    keep = {roots[0][0]}
    changed = True
    while changed:
        changed = False
        for pid, ppid, _r, _a in procs:
            if ppid in keep and pid not in keep:
                keep.add(pid)
                changed = True
    return sum(r for pid, _pp, r, _a in procs if pid in keep) / 1024


def analysing(lines: list[str]) -> tuple[int, int] | None:
    m = re.search(r"analysing ([\d,]+)/([\d,]+)", strip(lines[0]) if lines else "")
    return (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) if m else None


# -- one size ---------------------------------------------------------------------------------------
def run(n: int, root: Path, size: str, triage: Path, warm_runs: int = 5) -> dict[str, object]:
    inbox, data, db = root / "inbox", root / "data", root / "decisions.json"
    t = time.perf_counter()
    if not inbox.exists():
        make_inbox(inbox, n)
    print(f"[{n}] corpus ready ({time.perf_counter() - t:.0f} s)", flush=True)
    shutil.rmtree(data, ignore_errors=True)
    # Everything kept beside the decisions file too: the desk folder holds the shared analysis, which
    # would otherwise make a "cold" start read the summaries of the last run.
    shutil.rmtree(db.with_name(db.name + ".desk"), ignore_errors=True)
    for kept in (db, db.with_name(db.name + ".journal"), db.with_name(db.name + ".lock")):
        kept.unlink(missing_ok=True)
    subprocess.run(["sync"])
    # a cold page cache too
    subprocess.run(["sh", "-c", "echo 3 > /proc/sys/vm/drop_caches"], capture_output=True)
    cmd = f"TRIAGE_DATA_DIR={data} {triage} --db {db} {inbox}; sleep 600"
    row: dict[str, object] = {"articles": n}

    start = launch(cmd, size)
    got = wait_screen(first_story_shown, 120)
    row["cold paint s"] = round(time.perf_counter() - start, 2) if got is not None else None
    print(f"[{n}] cold first paint {row['cold paint s']} s", flush=True)
    # Wait until the whole inbox is read (the top bar's "reading N/M" gone).
    got = wait_screen(lambda ls: bool(ls) and "reading" not in strip(ls[0]), 900, step=0.1)
    row["cold read s"] = round(time.perf_counter() - start, 1) if got is not None else None
    print(f"[{n}] cold read {row['cold read s']} s", flush=True)
    time.sleep(2)

    idle = press_j(40, 0.3)
    row["j median ms"] = round(statistics.median(idle), 1) if idle else None
    row["j slowest ms"] = round(max(idle), 1) if idle else None

    # Three stories arrive (and another process writes decisions) while j is pressed.
    writer = subprocess.Popen(
        ["sh", "-c", f"while true; do {triage} decide scale-bench-{{$$}} flag --db {db} >/dev/null 2>&1; "
                     "sleep 0.5; done"],
        start_new_session=True)
    arrivals = []
    t0 = time.perf_counter()
    arrive_at = [0.3, 1.3, 2.3]
    busy: list[float] = []
    while time.perf_counter() - t0 < 6:
        if arrive_at and time.perf_counter() - t0 >= arrive_at[0]:
            arrive_at.pop(0)
            make_inbox(inbox, 1, start=n + 10 + len(arrivals))
            arrivals.append(time.perf_counter())
        busy += press_j(1, 0.12)
    os.killpg(writer.pid, 15)
    row["j median, arrivals ms"] = round(statistics.median(busy), 1) if busy else None
    row["j slowest, arrivals ms"] = round(max(busy), 1) if busy else None
    row["j p95, arrivals ms"] = round(sorted(busy)[int(len(busy) * 0.95) - 1], 1) if len(busy) > 2 else None

    # Search: echo per letter, then the result.
    tmux("send-keys", "-t", SESSION, "/")
    time.sleep(0.5)
    word = "profit"
    echoes = []
    for k in range(1, len(word) + 1):
        t1 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, word[k - 1])
        typed = word[:k]
        got = wait_screen(lambda ls, typed=typed: any(
            strip(x).startswith("▊") and strip(x).strip("▊▎ ") == typed for x in ls[-5:]), 5, step=0.002)
        if got is not None:
            echoes.append((time.perf_counter() - t1) * 1000)
        time.sleep(0.08)
    t_last = time.perf_counter()
    shown = re.compile(rf"/{word} \(\d[\d,]*\)")
    got = wait_screen(lambda ls: bool(ls) and shown.search(strip(ls[0])) is not None, 10)
    row["search echo ms"] = round(statistics.median(echoes), 1) if echoes else None
    row["search result ms"] = round((time.perf_counter() - t_last) * 1000, 1) if got is not None else None
    tmux("send-keys", "-t", SESSION, "Escape")
    time.sleep(1)

    # The summary of the story under the cursor: from the bottom of the list (read last, so analysed
    # last), page up until the cursor lands on a story not analysed yet ("Analysing…" in the panel),
    # then time until its summary shows.
    row["summary s"] = None
    tmux("send-keys", "-t", SESSION, "G")
    time.sleep(0.5)
    for _ in range(80):
        before = cursor_row(capture(True))
        tmux("send-keys", "-t", SESSION, "PageUp")
        t2 = time.perf_counter()
        was = (before or (0, ""))[1]
        if wait_screen(lambda ls, was=was: (cursor_row(ls) or (0, ""))[1] != was, 10, escapes=True) is None:
            break
        if not any("Analysing" in strip(x) for x in capture()):
            time.sleep(0.05)
            continue
        got = wait_screen(lambda ls: any("• " in strip(x) for x in ls)
                          and not any("Analysing" in strip(x) for x in ls), 60, step=0.01)
        row["summary s"] = round(time.perf_counter() - t2, 2) if got is not None else None
        break

    first = analysing(capture())
    time.sleep(20)
    second = analysing(capture())
    row["analysis /s"] = round((second[0] - first[0]) / 20, 1) if first and second else None
    row["RSS MB"] = round(rss_mb(str(triage)), 0)
    tmux("send-keys", "-t", SESSION, "q")
    time.sleep(3)

    # Warm: everything cached, plus a few new files since the last run; `warm_runs` starts.
    warm = []
    for k in range(warm_runs):
        make_inbox(inbox, 3, start=n + 100 + 3 * k)
        start = launch(cmd, size)
        got = wait_screen(first_story_shown, 60)
        if got is not None:
            warm.append(round(time.perf_counter() - start, 2))
        time.sleep(2)
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(2)
        tmux("kill-session", "-t", SESSION)
    row["warm paint s"] = f"{min(warm)}-{max(warm)}" if len(warm) > 1 else (warm[0] if warm else None)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--size", default="160x48")
    ap.add_argument("--warm-runs", type=int, default=5, help="warm starts measured (min-max shown)")
    ap.add_argument("--keep", type=Path, help="keep corpora here (reused by the next run)")
    args = ap.parse_args()
    triage = Path(sys.executable).with_name("triage")
    if not shutil.which("tmux") or not triage.exists():
        sys.exit("needs tmux and the installed triage next to this Python")
    if not EVAL.is_dir():
        sys.exit(f"needs {EVAL} (the BBC and CNN/DM texts)")
    base = args.keep or Path(tempfile.mkdtemp(prefix="triage-scale-"))
    rows = []
    try:
        for n in args.articles:
            rows.append(run(n, base / f"n{n}", args.size, triage, args.warm_runs))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        tmux("kill-session", "-t", SESSION)
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    cols = list(rows[0])
    print("\n| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
