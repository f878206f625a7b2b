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
  latency    two installed TUIs in tmux (80x24 each) on one inbox and one group-shared decisions file,
             the second as uid 65534 through setpriv (as tests/e2e/test_desk_tmux.py does): presence
             (editor A moves the cursor onto a story, so its reading pane shows it -> "◦A" on that row
             in B's screen) and take (A presses h -> "A has it" on that row in B's screen; A presses
             h again -> gone from B's), N trials each a random 0.3-1.3 s apart; median and slowest.
             Both TUIs keep the default store.poll_seconds (0.5 s; the docs' "at a 1 s poll" figures are from
             when the default was 1 s). Goal: slowest at most 2 s.
  j-under-load  `j` -> the cursor row moved on screen (tmux capture, as scale_bench.py measures it)
             in one installed TUI on N stories made as scale_bench.py makes them, alone, then
             while 9 simulated editors (each its own process and uid, in the desk group) use the desk
             record, presence and store directly: a show every 1-2 s, a take (the previous one given
             back) every 3-6 s, a decision every ~10 s, half of them on the stories of the list's
             first screen, then alone again once their presence expired (the machine's other load
             changes meanwhile: the two "alone" rows bracket it). Goal: median at most 50 ms.
  size       10 simulated editors (each its own process and uid) do an hour of desk work, compressed:
             each works through its hour's schedule as fast as the real record objects write it (an
             act every 30-60 simulated s: take, give back, hand on with a note, acknowledge, decide;
             presence shown every 10 simulated s), all ten at once. Then the size of everything the
             desk keeps: the desk folder (members' files, presence, lock) and the decisions file with
             its journal.

The last line of each subcommand is its summary.
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
    print("ready", flush=True)
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
    for p in procs:  # each has imported triage and waits for the go file: they start together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
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


# ---- the desk on one host: a shared folder, editors as other uids, TUIs in tmux ---------------------
NOBODY = 65534  # the desk's group, and the colleague B's uid (as the e2e tests)
SIM_UID = 20000  # simulated editors are uids SIM_UID+1, +2, ... (no passwd entry: their login is the number)
TRIAGE = Path(sys.executable).with_name("triage")


def need_root_tmux() -> str:
    """Why the tmux/uid benchmarks cannot run here ("" when they can)."""
    if shutil.which("tmux") is None:
        return "tmux is not installed"
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv (other editors are other uids)"
    if not TRIAGE.exists():
        return f"needs the installed triage at {TRIAGE}"
    return ""


def make_desk(top: Path) -> tuple[Path, Path, Path]:
    """A desk as on a shared host: a setgid folder of the group NOBODY holding the decisions file (made
    group-shared, with its desk folder), an inbox folder everyone reads, a config saying group_share.
    (decisions file, inbox, config)."""
    from triage.store.deskfolder import check_folder
    from triage.store.open import desk_folder, open_store

    top.mkdir(parents=True, exist_ok=True)
    top.chmod(0o755)
    shared = top / "desk"
    shared.mkdir(exist_ok=True)
    os.chown(shared, os.geteuid(), NOBODY)
    shared.chmod(0o2770)
    inbox = top / "inbox"
    inbox.mkdir(exist_ok=True)
    inbox.chmod(0o755)
    db = shared / "decisions.json"
    store = open_store(db, group_share=True)
    store.close()
    check_folder(desk_folder(db), True, create=True)
    cfg = top / "group.toml"
    cfg.write_text("[store]\ngroup_share = true\n", encoding="utf-8")
    cfg.chmod(0o644)
    return db, inbox, cfg


def readable(path: Path) -> None:
    """Let the other uids read a folder's files (an inbox)."""
    for p in path.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)


class Term:
    """One installed TUI in its own tmux session, as root or (uid) through setpriv, in its own HOME."""

    def __init__(self, top: Path, name: str, args: str, uid: int = 0, size: str = "80x24") -> None:
        self.session = f"desk-bench-{name}-{os.getpid()}"
        home = top / f"home-{name}"
        home.mkdir(exist_ok=True)
        os.chown(home, uid, uid if uid else 0)
        env = {"HOME": home, "XDG_DATA_HOME": home / "data", "XDG_CONFIG_HOME": home / "cfg",
               "TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": f"{TRIAGE.parent}:/usr/bin:/bin"}
        prefix = " ".join(f"{k}={v}" for k, v in env.items())
        who = f"setpriv --reuid={uid} --regid={NOBODY} --clear-groups " if uid else ""
        cmd = f"cd / && {prefix} {who}{TRIAGE} {args}; sleep 600"
        w, h = size.split("x")
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", w, "-y", h, cmd], check=True)

    def screen(self, escapes: bool = False) -> list[str]:
        return subprocess.run(["tmux", "capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.session],
                              capture_output=True, text=True).stdout.splitlines()

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True)

    def wait(self, predicate, timeout: float, step: float = 0.01, escapes: bool = False) -> float | None:
        """Seconds until predicate(screen lines) holds (None: not within `timeout`)."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if predicate(self.screen(escapes)):
                return time.perf_counter() - start
            time.sleep(step)
        return None

    def close(self) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, "q"], capture_output=True)
        time.sleep(1.0)
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


def become(uid: int) -> None:
    """This (child) process is now the simulated editor `uid`, in the desk's group."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(uid)
    os.umask(0o007)


def fork_editor(uid: int, work, *args) -> int:
    """A child process that becomes editor `uid` and runs work(*args); its pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            become(uid)
            work(*args)
        except BaseException:  # noqa: BLE001 - said, and the child ends
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


def reap(pids: list[int]) -> int:
    """Wait for the children; how many failed."""
    failed = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        failed += status != 0
    return failed


def ms_(values: list[float]) -> str:
    if not values:
        return "none"
    return f"median {statistics.median(values) * 1000:.0f} ms, slowest {max(values) * 1000:.0f} ms"


# ---- latency -----------------------------------------------------------------------------------------
TOKEN = re.compile(r"Desk story (\d\d)")


def row_of(lines: list[str], number: str) -> str:
    """The list row of story `number` ("" when not on screen)."""
    return next((line for line in lines[1:] if f"Desk story {number}" in line), "")


def cmd_latency(args: argparse.Namespace) -> None:
    from scale_bench import strip

    why = need_root_tmux()
    if why:
        print(f"skipped: {why}")
        return
    top = Path(tempfile.mkdtemp(prefix="triage-desk-latency-"))
    rng = random.Random(args.seed)
    a = b = None
    try:
        db, inbox, cfg = make_desk(top)
        topics = ["harbour cranes idle", "grain prices rise", "rail strike called", "river flood warning",
                  "power cut in the north", "court rules on data", "school year starts", "ferry runs again"]
        for n in range(args.stories):
            (inbox / f"s{n:02d}.txt").write_text(
                f"Desk story {n:02d}: {topics[n % len(topics)]}\n\nThe desk wrote this text for the "
                f"benchmark. It says that story {n} happened today.\n", encoding="utf-8")
        readable(inbox)
        run = f"--config {top / 'group.toml'} --db {db} {inbox}"
        a = Term(top, "a", run)
        b = Term(top, "b", run, uid=NOBODY)
        for term in (a, b):
            if term.wait(lambda ls: sum(bool(TOKEN.search(x)) for x in ls) >= 5, 90) is None:
                sys.exit("a TUI did not show the stories:\n" + "\n".join(term.screen()))
        time.sleep(3.0)  # both on the desk, first polls done
        from triage.config import load_settings

        poll = load_settings(use_user_config=False).store.poll_seconds
        print(f"two TUIs 80x24 (A root, B uid {NOBODY}) on {args.stories} stories, store.poll_seconds {poll:g} "
              f"(default); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)

        def under_cursor() -> str:
            got = cursor_row(a.screen(escapes=True))
            m = TOKEN.search(got[1]) if got else None
            return m.group(1) if m else ""

        shows, takes, gives, misses = [], [], [], 0
        for n in range(args.trials):
            before = under_cursor()
            key = "j" if n % 2 == 0 else "k"
            t0 = time.perf_counter()
            a.keys(key)
            now = ""
            while time.perf_counter() - t0 < 5 and now in ("", before):
                now = under_cursor()
            got = b.wait(lambda ls, now=now: "◦root" in row_of(ls, now), 10, step=0.005)
            if got is None:
                misses += 1
            else:
                shows.append(time.perf_counter() - t0)
            time.sleep(rng.uniform(0.3, 1.3))
        for _n in range(args.trials):
            story = under_cursor()
            t0 = time.perf_counter()
            a.keys("h")
            got = b.wait(lambda ls, s=story: "root has it" in row_of(ls, s), 10, step=0.005)
            if got is None:
                misses += 1
            else:
                takes.append(time.perf_counter() - t0)
            a.wait(lambda ls, s=story: "mine" in row_of(ls, s), 5)
            time.sleep(rng.uniform(0.3, 1.3))
            t0 = time.perf_counter()
            a.keys("h")
            got = b.wait(lambda ls, s=story: row_of(ls, s) and "has it" not in row_of(ls, s), 10, step=0.005)
            if got is None:
                misses += 1
            else:
                gives.append(time.perf_counter() - t0)
            time.sleep(rng.uniform(0.3, 1.3))
        bar = strip(b.screen()[0]) if b.screen() else ""
        print(f"presence (A's cursor onto a story -> '◦root' on its row in B), {len(shows)} trials: {ms_(shows)}")
        print(f"take (A presses h -> 'root has it' on the row in B), {len(takes)} trials: {ms_(takes)}")
        print(f"give back (A presses h again -> gone from the row in B), {len(gives)} trials: {ms_(gives)}")
        print(f"B's top bar: {bar.strip()[:78]!r}; not seen within 10 s: {misses}")
        slowest = max(shows + takes + gives) if shows or takes or gives else float("nan")
        print(f"desk latency between two TUIs: presence {ms_(shows)}; take {ms_(takes)}; slowest of all "
              f"{slowest:.2f} s (goal <= 2 s)")
    finally:
        for term in (a, b):
            if term is not None:
                term.close()
        shutil.rmtree(top, ignore_errors=True)


# ---- j under load ------------------------------------------------------------------------------------
def story_ids(inbox: Path) -> dict[str, str]:
    """Each inbox story's id (as the TUI reads it), by its title."""
    from triage.sources.registry import read_file

    ids = {}
    for path in sorted(inbox.iterdir()):
        articles, _ = read_file(path)
        if articles:
            ids[articles[0].title] = articles[0].id
    return ids


def on_screen(lines: list[str], ids: dict[str, str]) -> list[str]:
    """The ids of the stories whose rows the list shows now (matched by the start of their titles)."""
    from scale_bench import strip

    found = []
    for line in lines[1:-1]:
        row = re.split(r"\s{2,}|▕", strip(line).strip())[0]
        whole = re.match(r"(?:[⊙◦]\S+ )*(.*?\(\d+\))", row)  # scale_bench's titles end "(N)"
        shown = whole.group(1) if whole else re.sub(r"^(?:[⊙◦]\S+ )*", "", row).split("…")[0].strip()
        if len(shown) >= 12:
            found += [aid for title, aid in ids.items() if title.startswith(shown)][:1]
    return found


def colleague(db: str, ids: list[str], newest: list[str], stop: str, seed: int) -> None:
    """A simulated editor at work until the `stop` file appears: shows a story every 1-2 s, takes one
    (giving back the last) every 3-6 s, decides one every ~10 s, and polls the desk as a TUI does."""
    from triage.store.errors import HeldError
    from triage.store.open import open_desk, open_presence, open_store

    rng = random.Random(seed)
    desk = open_desk(db, group_share=True)
    board = open_presence(db, expiry=30, group_share=True)
    store = open_store(db, group_share=True)
    pick = lambda: rng.choice(newest if rng.random() < 0.5 else ids)  # noqa: E731
    now = time.monotonic()
    next_show, next_take, next_decide, next_poll = now, now + rng.uniform(0, 6), now + rng.uniform(0, 10), now
    held = ""
    while not os.path.exists(stop):
        now = time.monotonic()
        if now >= next_show:
            board.show(pick())
            next_show = now + rng.uniform(1, 2)
        if now >= next_take:
            if held:
                desk.release(held)
            held = pick()
            try:
                desk.take(held, minutes=30)
            except HeldError:
                held = ""
            next_take = now + rng.uniform(3, 6)
        if now >= next_decide:
            store.decide(pick(), rng.choice(["flag", "follow-up", "archive"]), "bench")
            next_decide = now + rng.uniform(8, 12)
        if now >= next_poll:
            desk.refresh()
            store.refresh()
            board.seen()
            next_poll = now + 1.0
        time.sleep(0.05)
    if held:
        desk.release(held)
    board.leave()
    store.close()
    desk.close()


def cursor_row(lines: list[str]) -> tuple[int, str] | None:
    """(screen row, its text) of the list row under the cursor: the one row whose background differs
    (scale_bench's, with the list's last screen row included: the cursor sits there once it scrolls)."""
    from scale_bench import _SGR_BG, strip

    bgs: dict[str, list[int]] = {}
    for i, line in enumerate(lines[1:-1], 1):
        m = _SGR_BG.search(line)
        if m:
            bgs.setdefault(m.group(1), []).append(i)
    singles = [rows[0] for rows in bgs.values() if len(rows) == 1]
    return (singles[0], strip(lines[singles[0]])[:60].strip()) if singles else None


def press_j(term: Term, count: int, gap: float) -> list[float]:
    """Keystroke -> the cursor row on screen is another row (as scale_bench.press_j), seconds; from the
    list's top."""
    term.keys("g")
    time.sleep(0.5)
    times = []
    for _ in range(count):
        before = cursor_row(term.screen(True))
        if before is None:
            time.sleep(gap)
            continue
        t0 = time.perf_counter()
        term.keys("j")
        while time.perf_counter() - t0 < 10:
            now = cursor_row(term.screen(True))
            if now is not None and now != before:
                times.append(time.perf_counter() - t0)
                break
            time.sleep(0.002)
        time.sleep(gap)
    return times


def cmd_j_under_load(args: argparse.Namespace) -> None:
    import scale_bench

    why = need_root_tmux()
    repo = HERE.parents[1]
    scale_bench.EVAL = next((p / "shared" / "eval" for p in (repo.parent, repo.parent.parent)
                             if (p / "shared" / "eval").is_dir()), scale_bench.EVAL)
    if not why and not scale_bench.EVAL.is_dir():
        why = f"needs {scale_bench.EVAL} (the BBC and CNN/DM texts)"
    if why:
        print(f"skipped: {why}")
        return
    top = Path(tempfile.mkdtemp(prefix="triage-desk-j-"))
    term = None
    pids: list[int] = []
    stop = top / "stop"
    try:
        db, inbox, cfg = make_desk(top)
        scale_bench.make_inbox(inbox, args.stories)
        readable(inbox)
        ids = story_ids(inbox)
        every = list(ids.values())
        term = Term(top, "j", f"--config {cfg} --db {db} {inbox}", size=args.size)
        if term.wait(lambda ls: bool(ls) and "reading" not in scale_bench.strip(ls[0])
                     and cursor_row(term.screen(True)) is not None, 300, step=0.2) is None:
            sys.exit("the TUI did not finish reading the inbox:\n" + "\n".join(term.screen()))
        time.sleep(2.0)
        newest = on_screen(term.screen(), ids)  # the list's first screen: what the editor sees
        print(f"one TUI {args.size} on {len(ids)} stories ({len(newest)} on its first screen); {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        rows = []
        alone = press_j(term, args.presses, 0.3)
        rows.append(("alone", alone, os.getloadavg()[0]))
        print(f"  alone: {ms_(alone)} ({len(alone)} presses)", flush=True)
        term.keys("g")
        time.sleep(1.0)
        newest = list(dict.fromkeys(newest + on_screen(term.screen(), ids)))
        print(f"  {len(newest)} stories on the list's first screen", flush=True)
        pids = [fork_editor(SIM_UID + k, colleague, str(db), every, newest, str(stop), k)
                for k in range(1, args.editors + 1)]
        time.sleep(5.0)
        spy = None
        if args.profile:  # where the TUI's time goes meanwhile (py-spy, sampling its threads)
            shell = subprocess.run(["tmux", "display-message", "-p", "-t", term.session, "#{pane_pid}"],
                                   capture_output=True, text=True).stdout.strip()
            tui = subprocess.run(["pgrep", "-P", shell, "-f", "triage"], capture_output=True,
                                 text=True).stdout.split()
            spy = subprocess.Popen(["py-spy", "record", "-p", tui[0], "-d", str(int(args.presses * 0.35)),
                                    "-r", "200", "-f", "raw", "--threads", "-o", args.profile, "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        busy = press_j(term, args.presses, 0.3)
        if spy is not None:
            spy.wait(60)
        print(f"  with {args.editors} editors: {ms_(busy)} ({len(busy)} presses)", flush=True)
        rows.append((f"{args.editors} others", busy, os.getloadavg()[0]))
        screen = term.screen()
        top_bar = scale_bench.strip(screen[0])
        marks = sum(("has it" in x or "◦" in x or "⊙" in x) for x in screen)
        stop.touch()
        failed = reap(pids)
        pids = []
        print(f"  the top bar then: {top_bar.strip()[:110]!r}; simulated editors failed: {failed}")
        print(f"  rows on screen showing a colleague (a take or a reader) then: {marks}")
        time.sleep(35.0)  # their presence expires: the desk is quiet again (the machine's other load stays)
        after = press_j(term, args.presses, 0.3)
        rows.append(("alone again", after, os.getloadavg()[0]))
        print(f"  alone again: {ms_(after)} ({len(after)} presses)", flush=True)
        for name, values, load in rows:
            p95 = sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else float("nan")
            print(f"  {name:<12} median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
                  f"slowest {max(values) * 1000:6.1f} ms  (load {load:.1f})")
        print(f"j under load: median {statistics.median(busy) * 1000:.1f} ms, slowest {max(busy) * 1000:.1f} ms "
              f"with {args.editors} editors at work (alone: median {statistics.median(alone) * 1000:.1f} ms); "
              f"goal <= 50 ms median")
    finally:
        stop.touch()
        if pids:
            reap(pids)
        if term is not None:
            term.close()
        shutil.rmtree(top, ignore_errors=True)


# ---- size --------------------------------------------------------------------------------------------
def editors_hour(db: str, me: int, everyone: list[str], hour: float, seed: int, out: str) -> None:
    """One simulated editor's hour (see the module docstring), as fast as the record writes it."""
    from triage.store.errors import HeldError
    from triage.store.open import open_desk, open_presence, open_store

    rng = random.Random(seed)
    desk = open_desk(db, group_share=True)
    board = open_presence(db, expiry=30, group_share=True)
    store = open_store(db, group_share=True)
    events: list[tuple[float, str]] = [(t, "show") for t in range(0, int(hour), 10)]
    t = rng.uniform(0, 60)
    while t < hour:
        events.append((t, "act"))
        t += rng.uniform(30, 60)
    events.sort()
    stories = [f"story-{n:04d}" for n in range(400)]
    held: list[str] = []
    count: dict[str, int] = {}
    started = time.perf_counter()
    for _at, what in events:
        if what == "show":
            board.show(rng.choice(stories))
            count["show"] = count.get("show", 0) + 1
            continue
        desk.refresh()
        mine = [h for h in desk.handoffs() if h.to == desk.user and not h.seen]
        kind = rng.choices(["take", "give", "hand", "ack", "decide"], [3, 1, 1, 1 if mine else 0, 3])[0]
        if kind == "give" and not held:
            kind = "take"
        if kind == "take":
            story = rng.choice(stories)
            try:
                desk.take(story, minutes=30, title=f"Story {story}")
                held.append(story)
            except HeldError:
                kind = "held"
        elif kind == "give":
            desk.release(held.pop(0))
        elif kind == "hand":
            desk.hand(rng.choice(stories), rng.choice([u for u in everyone if u != desk.user]),
                      "check the figures in this one, please")
        elif kind == "ack":
            desk.acknowledge(mine[0].uid)
        else:  # decide one I hold (the take ends with it), else any
            mine_held = bool(held)
            story = held.pop(0) if held else rng.choice(stories)
            store.decide(story, rng.choice(["flag", "follow-up", "archive"]), "bench")
            if mine_held:  # as the TUI's desk does after a decision: my take of it is given back
                desk.release(story)
        count[kind] = count.get(kind, 0) + 1
    count["seconds"] = time.perf_counter() - started
    # presence stays (an editor still at the desk): it is measured as it stands
    store.close()
    desk.close()
    Path(out).write_text(json.dumps(count))


def tree_size(path: Path) -> tuple[int, int]:
    """(files, bytes) under a folder."""
    files = size = 0
    for p in path.rglob("*"):
        if p.is_file():
            files += 1
            size += p.stat().st_size
    return files, size


def cmd_size(args: argparse.Namespace) -> None:
    from triage.store.open import desk_folder

    if os.geteuid() != 0:
        print("skipped: needs root (each simulated editor is its own uid)")
        return
    top = Path(tempfile.mkdtemp(prefix="triage-desk-size-"))
    try:
        db, _inbox, _cfg = make_desk(top)
        everyone = [str(SIM_UID + k) for k in range(1, args.editors + 1)]
        outs = [top / f"count-{k}.json" for k in range(1, args.editors + 1)]
        for out in outs:
            out.touch()
            os.chown(out, SIM_UID + outs.index(out) + 1, NOBODY)
        t0 = time.perf_counter()
        pids = [fork_editor(SIM_UID + k, editors_hour, str(db), SIM_UID + k, everyone, args.hours * 3600.0, k,
                            str(outs[k - 1])) for k in range(1, args.editors + 1)]
        failed = reap(pids)
        took = time.perf_counter() - t0
        counts: dict[str, float] = {}
        for out in outs:
            for k, v in json.loads(out.read_text() or "{}").items():
                counts[k] = counts.get(k, 0) + v
        folder = desk_folder(db)
        entries = sorted(folder.iterdir())
        members = [p for p in entries if p.name.endswith(".jsonl")]
        presence = [p for p in entries if p.name.endswith(".presence")]
        others = [p for p in entries if p not in members and p not in presence]
        decisions = sorted(p for p in db.parent.iterdir() if p.name.startswith(db.name) and p.is_file())
        kb = lambda paths: sum(p.stat().st_size for p in paths if p.is_file()) / 1024  # noqa: E731
        lines = sum(len(p.read_bytes().splitlines()) for p in members)
        print(f"{args.editors} editors, {args.hours:g} simulated hour(s) each, run at once in {took:.1f} s "
              f"(failed: {failed}); load average {os.getloadavg()[0]:.1f}")
        acts = {k: int(v) for k, v in counts.items() if k != "seconds"}
        print(f"  done: {acts}")
        print(f"  members' files ({len(members)}, {lines} lines) {kb(members):8.1f} KiB")
        print(f"  presence files ({len(presence)})          {kb(presence):8.1f} KiB")
        print(f"  else in the desk folder ({', '.join(p.name for p in others)}) {kb(others):.1f} KiB "
              f"(whole folder {tree_size(folder)[1] / 1024:.1f} KiB)")
        for p in decisions:
            print(f"  {p.name:<32} {p.stat().st_size / 1024:8.1f} KiB")
        total = tree_size(folder)[1] + sum(p.stat().st_size for p in decisions)
        print(f"desk size after {args.editors} editors x {args.hours:g} h: {total / 1024:.0f} KiB in all "
              f"(desk folder {tree_size(folder)[1] / 1024:.0f} KiB, of it presence {kb(presence):.1f} KiB; "
              f"decisions {sum(p.stat().st_size for p in decisions) / 1024:.0f} KiB)")
    finally:
        shutil.rmtree(top, ignore_errors=True)


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
    lat = sub.add_parser("latency", help="presence and take latency between two TUIs in tmux")
    lat.add_argument("--trials", type=int, default=12)
    lat.add_argument("--stories", type=int, default=30)
    lat.add_argument("--seed", type=int, default=5)
    lat.set_defaults(run=cmd_latency)
    j = sub.add_parser("j-under-load", help="j in one TUI while 9 simulated editors work the desk")
    j.add_argument("--stories", type=int, default=2000)
    j.add_argument("--editors", type=int, default=9)
    j.add_argument("--presses", type=int, default=40)
    j.add_argument("--size", default="120x40")
    j.add_argument("--profile", help="write py-spy's samples of the TUI under load here (raw stacks)")
    j.set_defaults(run=cmd_j_under_load)
    z = sub.add_parser("size", help="what the desk keeps after 10 editors' simulated hour")
    z.add_argument("--editors", type=int, default=10)
    z.add_argument("--hours", type=float, default=1.0)
    z.set_defaults(run=cmd_size)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
