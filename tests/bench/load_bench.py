"""CPU time of the in-process paths behind the scale figures (not collected by pytest).

    python tests/bench/load_bench.py [--articles 10000] [--keep DIR] [--profile cold|warm|arrivals]

On the same N-story inbox as scale_bench (scale_bench.make_inbox, from ../shared/eval) it measures,
with time.process_time() (CPU of this process: meaningful on a loaded machine) and wall time:

  cold load        TriageService.load() with a fresh data dir (nothing cached): until all N are read
  cold first batch the same, until the first batch is in the catalog (what the first paint waits on)
  warm load        a second service on the same data dir (ingest cache, duplicate index present)
  arrival          one new story: catalog add (inbox.merge) and the listing() rebuild that follows
                   it (the TUI rebuilds the current view's listing in a worker after each arrival)
  listing          the default view's listing alone, median of 20

`--profile PHASE` prints the top functions of that phase by cumulative time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench  # noqa: E402

from triage.config import load_settings  # noqa: E402
from triage.core.events import LoadProgress  # noqa: E402
from triage.core.service import TriageService, View  # noqa: E402


class Clock:
    """CPU and wall seconds since start."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def read(self) -> tuple[float, float]:
        return time.process_time() - self.cpu, time.perf_counter() - self.wall


def service(root: Path) -> TriageService:
    settings = load_settings(db=root / "decisions.json", inbox=[str(root / "inbox")], data_dir=root / "data",
                             use_user_config=False)
    return TriageService(settings, inbox=[root / "inbox"], db_path=settings.db_path)


def timed_load(root: Path, profile: bool) -> tuple[TriageService, dict[str, float]]:
    svc = service(root)
    first: list[tuple[float, float]] = []
    clock = Clock()

    def listener(event) -> None:
        if isinstance(event, LoadProgress) and not first and len(svc.catalog):
            first.append(clock.read())

    svc.listeners.append(listener)
    prof = cProfile.Profile(time.process_time) if profile else None
    clock = Clock()
    if prof:
        prof.enable()
    svc.inbox.load()
    if prof:
        prof.disable()
        show(prof)
    cpu, wall = clock.read()
    svc.listeners.remove(listener)
    return svc, {"cpu s": round(cpu, 2), "wall s": round(wall, 2),
                 "first batch cpu s": round(first[0][0], 3) if first else None,
                 "first batch wall s": round(first[0][1], 3) if first else None, "stories": len(svc.catalog)}


def arrivals(svc: TriageService, root: Path, n: int, profile: bool) -> dict[str, float]:
    from triage.sources import read_file

    view = View()
    svc.listing(view)  # what the screen shows before the arrivals
    prof = cProfile.Profile(time.process_time) if profile else None
    adds, lists = [], []
    for k in range(3):
        scale_bench.make_inbox(root / "inbox", 1, start=n + 10 + k)
        path = root / "inbox" / f"{n + 10 + k:06d}.txt"
        arts, _problems = read_file(path)
        if prof:
            prof.enable()
        clock = Clock()
        svc.inbox.merge(arts)
        adds.append(clock.read()[0])
        clock = Clock()
        svc.listing(view)
        lists.append(clock.read()[0])
        if prof:
            prof.disable()
        path.unlink()
    if prof:
        show(prof)
    alone = []
    for _ in range(20):
        clock = Clock()
        svc.listing(view)
        alone.append(clock.read()[0])
    hinted = []  # the same walk told which ids have a decision event (what the service can pass)
    for _ in range(20):
        clock = Clock()
        try:
            svc.catalog.listing(view, svc.versions.effective_decision, decided=svc.decisions.decided_ids())
        except TypeError:  # a version of the walk without the hint
            break
        hinted.append(clock.read()[0])
    ms = lambda xs: round(statistics.median(xs) * 1000, 1) if xs else None  # noqa: E731
    return {"add cpu ms": ms(adds), "listing after add cpu ms": ms(lists),
            "listing cpu ms (median of 20)": ms(alone), "listing with decided hint cpu ms": ms(hinted)}


def show(prof: cProfile.Profile, top: int = 35) -> None:
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue(), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="keep the inbox here (reused by the next run)")
    ap.add_argument("--profile", choices=("cold", "warm", "arrivals"))
    ap.add_argument("--skip-cold", action="store_true", help="reuse the data dir of a kept run")
    args = ap.parse_args()
    if not scale_bench.EVAL.is_dir():
        sys.exit(f"needs {scale_bench.EVAL} (the BBC and CNN/DM texts)")
    root = args.keep or Path(tempfile.mkdtemp(prefix="triage-load-"))
    os.environ.pop("TRIAGE_CONFIG", None)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "inbox").is_dir():
            scale_bench.make_inbox(root / "inbox", args.articles)
        n = len(list((root / "inbox").glob("*.txt")))
        rows: dict[str, dict[str, float]] = {}
        if not args.skip_cold:
            shutil.rmtree(root / "data", ignore_errors=True)
            (root / "decisions.json").unlink(missing_ok=True)
            svc, rows["cold load"] = timed_load(root, args.profile == "cold")
            print("cold", rows["cold load"], flush=True)
            svc.live.stop()
        svc, rows["warm load"] = timed_load(root, args.profile == "warm")
        print("warm", rows["warm load"], flush=True)
        rows["arrivals"] = arrivals(svc, root, n, args.profile == "arrivals")
        print("arrivals", rows["arrivals"], flush=True)
        svc.live.stop()
        print(f"\n{n} stories; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, row in rows.items():
            print(f"| {name} | " + " | ".join(f"{k} {v}" for k, v in row.items()) + " |")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
