"""TUI speed with 10,000 articles whose analysis is cached: first paint, and j held down.

    python tests/bench/tui_bench.py [--articles 10000] [--keys 300] [--no-tmux]

Prints: time from start to the first paint of the full list (in-process with Textual's pilot, and the
installed `triage` in a real terminal under tmux), and keystroke-to-repaint for j (median, p90, max).
The cached analyses are written straight into the analysis cache (this measures the screen, not spaCy).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["minister", "council", "vote", "report", "city", "river", "storm", "market", "bank", "court",
         "police", "border", "energy", "price", "school", "health", "water", "army", "airport", "union",
         "strike", "trade", "plant", "fire", "flood", "law", "budget", "deal"]


def make_inbox(folder: Path, n: int) -> None:
    rnd = random.Random(7)
    folder.mkdir(parents=True)
    for i in range(n):
        title = f"Story {i}: " + " ".join(rnd.choice(WORDS) for _ in range(8)).capitalize()
        paras = []
        for _ in range(4):
            sents = [" ".join(rnd.choice(WORDS) for _ in range(14)).capitalize() + "." for _ in range(3)]
            paras.append(" ".join(sents))
        (folder / f"{i:05d}.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def seed_cache(service) -> None:
    from triage.model import Analysis, Entity

    analyzer = service.analyses.analyzer
    for art in service.catalog.articles():
        first = art.text.split(". ")[:3]
        summary = tuple(s if s.endswith(".") else s + "." for s in first)
        spans = []
        for s in summary:
            i = art.text.find(s)
            spans.append((i, i + len(s)))
        analyzer._cache.put(analyzer.cache_key(art), Analysis(
            summary=summary, spans=tuple(spans),
            entities={"people": (Entity("Ana Lopez", "people", 3),),
                      "places": (Entity("Lyon", "places", 2),)},
            key_terms=("council", "vote"), model="bench"))
    analyzer.flush()


async def pilot_run(settings, inbox: Path, keys: int) -> tuple[float, list[float]]:
    """Keystroke -> repaint is measured inside the app: from the list's key action to the end of the
    next screen update that follows it (Screen._compositor_refresh), at a 30 Hz key repeat."""
    from textual.screen import Screen

    from triage.core.service import TriageService
    from triage.tui.app import make_app
    from triage.tui.widgets.article_list import ArticleList

    pending: list[float] = []
    times: list[float] = []
    original_action = ArticleList.action_down
    original_refresh = Screen._compositor_refresh

    def action(self):
        pending.append(time.perf_counter())
        return original_action(self)

    def refresh(self):
        result = original_refresh(self)
        if pending:
            now = time.perf_counter()
            times.extend((now - t) * 1000 for t in pending)
            pending.clear()
        return result

    ArticleList.action_down = action
    Screen._compositor_refresh = refresh

    start = time.perf_counter()
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    app = make_app(svc)
    async with app.run_test(size=(160, 48)) as pilot:
        while True:
            lists = app.screen.query(ArticleList)
            if lists and len(lists.first().rows) == len(svc.catalog.articles()) > 0:
                break
            await asyncio.sleep(0.002)
        # The rows are set; the next screen update paints them (wait for it, not for idleness:
        # the analysis thread keeps the process busy after the first paint).
        painted = asyncio.Event()
        original = Screen._compositor_refresh

        def first_refresh(self):
            result = original(self)
            painted.set()
            return result

        Screen._compositor_refresh = first_refresh
        await painted.wait()
        Screen._compositor_refresh = refresh
        first_paint = time.perf_counter() - start
        for _ in range(keys):
            app.post_message(__import__("textual.events", fromlist=["Key"]).Key("j", "j"))
            await asyncio.sleep(1 / 30)
        await pilot.pause(0.5)
    ArticleList.action_down = original_action
    Screen._compositor_refresh = original_refresh
    svc.decisions.store.close()
    return first_paint, times


def tmux_first_paint(inbox: Path, db: Path, data: Path, n: int) -> float | None:
    triage = Path(sys.executable).with_name("triage")
    if not shutil.which("tmux") or not triage.exists():
        return None
    session = "triage-bench"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    cmd = f"TRIAGE_DATA_DIR={data} {triage} --db {db} {inbox}; sleep 5"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", cmd], check=True)
    try:
        while time.perf_counter() - start < 60:
            out = subprocess.run(["tmux", "capture-pane", "-pt", session], capture_output=True,
                                 text=True).stdout
            if f"Inbox {n}" in out and "Story" in out:
                return time.perf_counter() - start
            time.sleep(0.02)
        return None
    finally:
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], capture_output=True)
        time.sleep(1)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--keys", type=int, default=300)
    ap.add_argument("--no-tmux", action="store_true")
    args = ap.parse_args()

    from triage.config import load_settings
    from triage.core.service import TriageService

    tmp = Path(tempfile.mkdtemp(prefix="triage-tui-bench-"))
    try:
        inbox = tmp / "inbox"
        t = time.perf_counter()
        make_inbox(inbox, args.articles)
        print(f"wrote {args.articles} article files in {time.perf_counter() - t:.1f} s")
        settings = load_settings(db=tmp / "d.json", data_dir=tmp / "data", inbox=[str(inbox)],
                                 use_user_config=False,
                                 overrides={"watch": {"enabled": False}})
        warm = TriageService(settings, inbox=[inbox], db_path=tmp / "d.json")
        t = time.perf_counter()
        warm.inbox.load()
        print(f"first ingest (cold, fills the ingest cache): {time.perf_counter() - t:.2f} s")
        seed_cache(warm)
        first_paint, times = asyncio.run(pilot_run(settings, inbox, args.keys))
        times.sort()
        print(f"pilot: start -> full list painted ({args.articles} articles, cached analysis): "
              f"{first_paint:.2f} s")
        print(f"pilot: j held down, keystroke -> repaint over {len(times)} keys: "
              f"median {statistics.median(times):.1f} ms, "
              f"p90 {times[int(len(times) * 0.9)]:.1f} ms, max {times[-1]:.1f} ms")
        if not args.no_tmux:
            real = tmux_first_paint(inbox, tmp / "d2.json", tmp / "data", args.articles)
            print("tmux: launch of the installed triage -> list on screen: "
                  + (f"{real:.2f} s (includes Python start-up and imports)" if real else "not measured"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
