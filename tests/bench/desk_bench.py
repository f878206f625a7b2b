"""The desk's figures: several editors' triage on one host, one inbox and one decisions file.

    python tests/bench/desk_bench.py analysis [--stories 1000] [--tuis 3] [--processes 2] [--repeat 1]

Subcommands (one function each, `cmd_<name>`; more parts of the desk add theirs):

  analysis   analysis CPU seconds for N services started together on the same new inbox, each in its
             own process and data folder as each editor's TUI runs it (the live side: load, then the
             analysis pool's worker processes), against one service alone on the same stories. The
             CPU is the worker processes' own (user + system, from /proc just before they end);
             the services' own CPU (their threads: reading, the desk's polling) is shown beside it.
             Stories are made from ../shared/eval texts as scale_bench.py makes them (read there,
             never copied). Goal: N = 3 at most 1.3 times one alone. `--unshared` adds the N
             services with desk.shared_analysis off, each analysing everything (as before). Then
             one more editor starts on the inbox the desk has analysed ("1 more, later"): it
             should analyse nothing and start no worker process; "wall s" is from its start to
             every summary in hand (the inbox's reading included).

The last line of each subcommand is its summary.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# One editor's service, headless, in its own process: waits for the go file, runs the live side as
# the TUI does until every story has its summary, and prints what its analysis did.
SERVICE = r'''
import json, os, resource, sys, threading, time
from pathlib import Path

def cpu_of(pid):
    """User + system CPU seconds of a running process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0

def main():
    from triage.config import load_settings
    from triage.core import events
    from triage.core.service import TriageService

    inbox, db, data, go, processes, share = sys.argv[1:7]
    settings = load_settings(db=Path(db), data_dir=Path(data), inbox=[inbox], use_user_config=False,
                             overrides={"analysis": {"processes": int(processes)},
                                        "desk": {"shared_analysis": share == "1"},
                                        "store": {"poll_seconds": 0}})
    svc = TriageService(settings)
    loaded = threading.Event()
    svc.listeners.append(lambda e: loaded.set() if isinstance(e, events.LoadProgress) and e.finished
                         else None)
    while not os.path.exists(go):
        time.sleep(0.005)
    started = time.monotonic()
    svc.start()
    loaded.wait(600)
    analyses = svc.analyses
    pids, worker_cpu = set(), {}
    while True:
        pool = analyses.pool
        if pool is not None:
            for pid in pool.worker_pids():
                pids.add(pid)
                worker_cpu[pid] = cpu_of(pid)
        leaders = svc.catalog.leaders()
        if leaders and all(a in analyses.known or analyses.analyzer.cached(svc.catalog.article(a))
                           for a in leaders):
            break
        time.sleep(0.1)
    took = time.monotonic() - started
    for pid in pool.worker_pids():
        worker_cpu[pid] = cpu_of(pid)
    out = {"stories": len(leaders), "computed": pool.computed, "from_desk": pool.from_desk,
           "workers": len(pids), "worker_cpu": sum(worker_cpu.values()), "seconds": took}
    svc.close()
    out["service_cpu"] = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    print(json.dumps(out))

if __name__ == "__main__":
    main()
'''


def run_services(root: Path, inbox: Path, n: int, processes: int, share: bool = True,
                 fresh: bool = True) -> list[dict]:
    """N services started at one moment on `inbox` and one decisions file in `root` (`fresh`: a new
    desk, nothing analysed; else the desk as the last run left it, each service a new editor with
    nothing cached); each one's figures."""
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    script = root / "service.py"
    script.write_text(SERVICE, encoding="utf-8")
    tag = str(time.monotonic_ns())
    go = root / f"go-{tag}"
    procs = [subprocess.Popen([sys.executable, str(script), str(inbox), str(root / "decisions.json"),
                               str(root / f"data-{tag}-{i}"), str(go), str(processes), "1" if share else "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
             for i in range(n)]
    time.sleep(2.0)  # each has imported triage and waits
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            sys.exit(f"a service failed:\n{err[-3000:]}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def cmd_analysis(args: argparse.Namespace) -> None:
    import scale_bench  # the same stories the scale benchmark makes

    repo = HERE.parents[1]  # ../shared beside the repository, or beside its parent (a git worktree)
    scale_bench.EVAL = next((p / "shared" / "eval" for p in (repo.parent, repo.parent.parent)
                             if (p / "shared" / "eval").is_dir()), scale_bench.EVAL)
    make_inbox = scale_bench.make_inbox
    top = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="triage-desk-bench-"))
    inbox = top / "inbox"
    if not inbox.is_dir():
        make_inbox(inbox, args.stories)
    print(f"{args.stories} new stories, services with {args.processes} analysis processes each, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<24} {'worker CPU s':>12} {'service CPU s':>13} {'wall s':>7} {'computed':>22} "
          f"{'from desk':>16} {'workers':>7}")
    ratios: list[float] = []
    before: list[float] = []
    try:
        for r in range(args.repeat):
            rows = {}
            runs = [(1, True), (args.tuis, True)] + ([(args.tuis, False)] if args.unshared else [])
            for n, share in runs:
                outs = run_services(top / f"run{r}-{n}{'' if share else '-unshared'}", inbox, n,
                                    args.processes, share)
                cpu = sum(o["worker_cpu"] for o in outs)
                rows[n if share else -n] = cpu
                name = f"{n} at once{'' if share else ', unshared'} #{r + 1}"
                print(f"{name:<24} {cpu:12.1f} {sum(o['service_cpu'] for o in outs):13.1f} "
                      f"{max(o['seconds'] for o in outs):7.1f} "
                      f"{'+'.join(str(o['computed']) for o in outs):>22} "
                      f"{'+'.join(str(o['from_desk']) for o in outs):>16} "
                      f"{sum(o['workers'] for o in outs):7d}", flush=True)
                if sum(o["computed"] for o in outs) != outs[0]["stories"]:
                    print(f"  note: {sum(o['computed'] for o in outs)} analyses for {outs[0]['stories']} stories")
            ratios.append(rows[args.tuis] / rows[1])
            if args.unshared:
                before.append(rows[-args.tuis] / rows[1])
            [late] = run_services(top / f"run{r}-{args.tuis}", inbox, 1, args.processes, fresh=False)
            print(f"{f'1 more, later #{r + 1}':<24} {late['worker_cpu']:12.1f} {late['service_cpu']:13.1f} "
                  f"{late['seconds']:7.1f} {late['computed']:>22} {late['from_desk']:>16} {late['workers']:7d}",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)
    each = ", ".join(f"{x:.2f}" for x in ratios)
    if before:
        print(f"unshared (as before), {args.tuis} TUIs against 1: {statistics.median(before):.2f}x")
    print(f"analysis CPU, {args.tuis} TUIs together against 1 alone: {statistics.median(ratios):.2f}x "
          f"(each run: {each}; goal <= 1.3x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analysis", help="analysis CPU of N TUIs started together against one alone")
    a.add_argument("--stories", type=int, default=1000)
    a.add_argument("--tuis", type=int, default=3)
    a.add_argument("--processes", type=int, default=2, help="analysis.processes of each service")
    a.add_argument("--repeat", type=int, default=1)
    a.add_argument("--keep", help="work in this folder and keep it")
    a.add_argument("--unshared", action="store_true",
                   help="also run the N services with desk.shared_analysis off (as before)")
    a.set_defaults(run=cmd_analysis)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
