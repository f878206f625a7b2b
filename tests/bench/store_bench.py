"""Decision store benchmark: the journaled store beside plain TinyDB JSONStorage at 1k, 10k, 100k events.

Run from the repo root:  python tests/bench/store_bench.py   (about 2-4 minutes)
With --db postgresql://... (or --start-server: a throwaway local cluster, as the tests start one) it
measures the two backends in the same run instead: a durable decide on the TinyDB file and on
PostgreSQL (median, p99), then a desk of simulated editors (50 by default), each its own process and
its own identity (on the file store its own uid in the desk group when run as root; with
--start-server its own role): each decides once every 2 s, takes a story every 4 s (giving back the
last, through the desk record), shows a story every 2 s (presence), and polls refresh() of the store
and the desk (and presence's seen() every second) as an open TUI does: p99 decide and take, and the
slowest fan-out of each, the time from its return until every other editor's refresh() has taken it in. With --history N (and --start-server, or a
--db URL whose role owns the schema) it fills N events by COPY instead and times opening that
history: open, the current decisions of 10,000 articles, every article's, the count, one history.
Each size starts from the same seeded TinyDB file (events over 60 days, 10,000 articles at most).
Measured per storage: open + current decisions of 10,000 articles, decide (durable: fdatasync; the
store compacts every 1000 events in a thread meanwhile), a filtered query. Plain TinyDB inserts are
NOT fsynced (JSONStorage only flushes), so its figures flatter it. Then a kill -9 loop checks that
every acknowledged decision survives. The last line is the summary the project checks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tinydb import TinyDB

from triage.store import DecisionStore, parse_when
from triage.store.events import SCHEMA_VERSION
from triage.store.export import format_decisions

WRITER = ROOT / "tests" / "store" / "writer.py"
SOURCES = ["BBC News", "Reuters", "AFP", "AP", "Guardian", "Wire", "BBC World", "Local"]
USERS = ["ann", "bob", "cho", "dev", "eli"]
DECISIONS = ["follow-up", "archive", "flag", None]


def seed(path: Path, events: int, articles: int, rng: random.Random) -> None:
    """A TinyDB JSON file with `events` decision events over `articles` articles in the last 60 days."""
    now = datetime.now(UTC)
    start = now - timedelta(days=60)
    step = (now - start) / events
    docs = {}
    for n in range(1, events + 1):
        a = rng.randrange(articles)
        decision = rng.choice(DECISIONS)
        docs[str(n)] = {
            "article_id": f"{a:012x}",
            "decision": decision,
            "note": "call the desk back" if n % 7 == 0 else "",
            "user": rng.choice(USERS),
            "host": "newsroom-1",
            "at": (start + step * n).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "title": f"Headline {a}: officials respond to the storm damage in region {a % 97}",
            "source": SOURCES[a % len(SOURCES)],
            "url": f"https://news.example/{a}",
            "action": "decide" if decision else "clear",
            "batch": "",
        }
    meta = {
        "1": {
            "schema_version": SCHEMA_VERSION,
            "app": "triage",
            "created": now.isoformat(),
            "uuid": f"bench{events}",
            "through": events,
        }
    }  # as the store's own compaction writes it
    path.write_text(json.dumps({"events": docs, "meta": meta}))
    os.chmod(path, 0o600)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_store(path: Path, decides: int, articles: int) -> dict[str, float]:
    ids = [f"{a:012x}" for a in range(articles)]
    t0, c0 = time.perf_counter(), time.process_time()
    store = DecisionStore(path, user="bench")
    current = store.current_many(ids[:10_000])
    t_open, c_open = time.perf_counter() - t0, time.process_time() - c0
    assert current
    times = []
    for n in range(decides):
        t = time.perf_counter()
        store.decide(ids[n % len(ids)], DECISIONS[n % 3], "bench")
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    hits = store.query(decision="flag", since=parse_when("30d"), source="bbc", text="storm")
    t_query = time.perf_counter() - t
    t = time.perf_counter()
    every = store.query(history=True, since=parse_when("7d"), user="ann")
    format_decisions(every, "json")
    t_hist = time.perf_counter() - t
    t = time.perf_counter()
    store.close()
    t_close = time.perf_counter() - t
    assert hits is not None
    return {
        "open": t_open,
        "open_cpu": c_open,
        "median": statistics.median(times),
        "p99": pct(times, 0.99),
        "max": max(times),
        "query": t_query,
        "history": t_hist,
        "close": t_close,
        "n": decides,
    }


def bench_plain(path: Path, decides: int, articles: int) -> dict[str, float]:
    ids = [f"{a:012x}" for a in range(articles)]
    t0, c0 = time.perf_counter(), time.process_time()
    db = TinyDB(path)
    table = db.table("events")
    latest = {}
    for doc in table.all():
        latest[doc["article_id"]] = doc
    current = {i: latest[i] for i in ids[:10_000] if i in latest}
    t_open, c_open = time.perf_counter() - t0, time.process_time() - c0
    assert current
    times = []
    for n in range(decides):
        doc = {
            "article_id": ids[n % len(ids)],
            "decision": DECISIONS[n % 3],
            "note": "bench",
            "user": "bench",
            "host": "h",
            "at": datetime.now(UTC).isoformat(),
            "title": "",
            "source": "",
            "url": "",
            "action": "decide",
            "batch": "",
        }
        t = time.perf_counter()
        table.insert(doc)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    since = parse_when("30d").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    hits = [
        d
        for d in table.all()
        if d["decision"] == "flag"
        and d["at"] >= since
        and "bbc" in d["source"].lower()
        and "storm" in d["title"].lower()
    ]
    t_query = time.perf_counter() - t
    db.close()
    assert hits is not None
    return {
        "open": t_open,
        "open_cpu": c_open,
        "median": statistics.median(times),
        "p99": pct(times, 0.99),
        "max": max(times),
        "query": t_query,
        "history": float("nan"),
        "close": 0.0,
        "n": decides,
    }


def kill_loop(directory: Path, kills: int, rng: random.Random) -> tuple[int, int, int]:
    """Writers killed with SIGKILL at random instants; returns (kills, acknowledged, missing)."""
    db = directory / "kill.json"
    acked: set[str] = set()
    for k in range(kills):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(db), f"k{k}", "0", "--compact-every", "25"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.1))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acked.update(f"k{k}-{n}" for n in (first + out).split())
    store = DecisionStore(db)
    missing = len(acked - set(store.current_many()))
    store.close()
    return kills, len(acked), missing


def sharing(path: Path) -> tuple[float, float, float]:
    """An open store (a TUI) while another process runs `triage decide` (which compacts at exit):
    (wall time of that command, of the open store's refresh() that takes it in, of a refresh with
    nothing new)."""
    exe = Path(sys.executable).with_name("triage")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "triage"]
    tui = DecisionStore(path)
    t = time.perf_counter()
    subprocess.run([*cmd, "decide", "shared-1", "flag", "--db", str(path)], capture_output=True, check=True)
    t_cli = time.perf_counter() - t
    t = time.perf_counter()
    assert tui.refresh() and tui.current("shared-1") is not None
    t_refresh = time.perf_counter() - t
    t = time.perf_counter()
    tui.refresh()
    t_idle = time.perf_counter() - t
    tui.close()
    return t_cli, t_refresh, t_idle


def cli_listing(path: Path) -> tuple[float, float]:
    """Wall time of `triage decisions` with filters on the file (a new process, imports included)."""
    exe = Path(sys.executable).with_name("triage")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "triage"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        [
            *cmd,
            "decisions",
            "--db",
            str(path),
            "--decision",
            "flag",
            "--since",
            "30d",
            "--source",
            "bbc",
            "--format",
            "json",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (elapsed, cpu) if proc.returncode == 0 else (float("nan"), float("nan"))


def durable_decides(location: str, decides: int, rescue: Path) -> dict[str, float]:
    """`decides` durable decisions on one store, timed one by one."""
    from triage.store.open import open_store

    store = open_store(location, rescue_dirs=[rescue])
    store.decide("warm-up", "flag")
    times = []
    for n in range(decides):
        t = time.perf_counter()
        store.decide(f"d{n % 500}", DECISIONS[n % 3], "bench")
        times.append(time.perf_counter() - t)
    store.close()
    return {"median": statistics.median(times), "p99": pct(times, 0.99), "max": max(times), "n": decides}


NOBODY = 65534  # the file desk's group (as the e2e tests)
SIM_UID = 21000  # on the file store each simulated editor is its own uid: SIM_UID + n (login: the number)


def _become(uid: int) -> None:
    """This (child) process is now editor `uid`, in the desk's group."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(uid)
    os.umask(0o007)


def _desk_editor(location: str, name: str, everyone: list[str], seconds: float, period: float, poll: float,
                 take_period: float, start: float, rescue: str, out: str, seed: int) -> None:
    """One editor, in its own process (and, on the file store, its own uid; on PostgreSQL its own role):
    from `start` for `seconds`, decides every `period` s, takes a story every `take_period` s (giving
    back the last), shows a story (presence) every 2 s; refresh() of the store and the desk every
    `poll` s and presence's seen() every 1 s, as an open TUI does; writes what it did and when it saw
    the others' decisions and takes to `out` (json)."""
    from triage.store.open import open_desk, open_presence, open_store

    rng = random.Random(seed)
    share = not is_url(location)
    store = open_store(location, group_share=share, rescue_dirs=[rescue])
    desk = open_desk(location, group_share=share)
    board = open_presence(location, expiry=30, group_share=share)
    records: list[tuple[str, str, str, float, float]] = []
    expected = {other: 1 for other in everyone if other != name}
    seen_takes: set[str] = set()
    next_decide, next_take, next_show, next_seen = (start + rng.uniform(0, period), start + rng.uniform(0, take_period),
                                                   start + rng.uniform(0, 2), start + rng.uniform(0, 1))
    next_poll = start + rng.uniform(0, poll)  # each TUI's poll at its own phase
    d = k = 0
    held = ""
    shown: list[float] = []
    while time.monotonic() < start - 0.05:
        time.sleep(0.05)
    while time.monotonic() < start + seconds + 3.0:
        now = time.monotonic()
        working = now < start + seconds
        wrote = False
        if working and now >= next_decide:
            d += 1
            t = time.perf_counter()
            store.decide(f"{name}-{d}", "flag", "desk")
            records.append(("decide", name, f"{name}-{d}", time.monotonic(), time.perf_counter() - t))
            wrote = True
            next_decide += period
        if working and now >= next_take:
            k += 1
            t = time.perf_counter()
            if held:
                desk.release(held)
            held = f"{name}-t{k}"
            desk.take(held, minutes=30)
            records.append(("take", name, held, time.monotonic(), time.perf_counter() - t))
            wrote = True
            next_take += take_period
        if working and now >= next_show:
            t = time.perf_counter()
            board.show(f"{rng.choice(everyone)}-{max(1, d)}")
            shown.append(time.perf_counter() - t)
            next_show += 2.0
        polling = now >= next_poll
        if polling:
            next_poll += poll
        # what arrived: by this refresh, or taken in by one of my own writes (each catches up first)
        if (polling and store.refresh()) or wrote:
            at = time.monotonic()
            for other, n in expected.items():
                while store.current(f"{other}-{n}") is not None:
                    records.append(("seen", name, f"{other}-{n}", at, 0.0))
                    n += 1
                expected[other] = n
        if (polling and desk.refresh()) or wrote:
            at = time.monotonic()
            for take in desk.takes():
                if not take.article_id.startswith(f"{name}-t") and take.article_id not in seen_takes:
                    seen_takes.add(take.article_id)
                    records.append(("seen", name, take.article_id, at, 0.0))
        if now >= next_seen:
            t = time.perf_counter()
            people = len(board.seen())
            records.append(("people", name, str(people), time.monotonic(), time.perf_counter() - t))
            next_seen += 1.0
        soon = min(next_poll, next_seen, *((next_decide, next_take, next_show) if working else ()))
        time.sleep(max(0.0, min(soon - time.monotonic(), poll)))
    if held:
        desk.release(held)
    board.leave()
    store.close()
    desk.close()
    Path(out).write_text(json.dumps({"records": records, "show": shown}))


def is_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def desk(locations: list[str], editors: int, seconds: float, period: float, poll: float, tmp: Path,
         take_period: float = 4.0) -> dict[str, float]:
    """A desk of `editors` on one store, each in its own process (see the module docstring); figures
    in seconds. `locations`: one per editor (on PostgreSQL each its own role), or one for all."""
    names = [f"ed{n:02d}" for n in range(editors)]
    file_store = not is_url(locations[0])
    uids = os.geteuid() == 0 and file_store
    if uids:  # the desk's shared folder: setgid, of the desk group, as on a shared host
        top = tmp / "shared"
        top.mkdir()
        os.chown(top, 0, NOBODY)
        top.chmod(0o2770)
        locations = [str(top / "desk.json")]
        names = [str(SIM_UID + n) for n in range(editors)]  # what the file desk calls them: their uid
    outs = tmp / "out"
    outs.mkdir(exist_ok=True)
    outs.chmod(0o1777)
    (tmp / "rescue").mkdir(exist_ok=True)
    (tmp / "rescue").chmod(0o1777)
    if uids:
        from triage.store.deskfolder import check_folder
        from triage.store.open import desk_folder, open_store

        open_store(locations[0], group_share=True).close()  # the file, of the group, before anyone writes
        check_folder(desk_folder(locations[0]), True, create=True)
    start = time.monotonic() + 3.0 + editors * 0.1  # every store opened before the first decision
    pids = []
    for n, name in enumerate(names):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                if uids:
                    _become(SIM_UID + n)
                _desk_editor(locations[n % len(locations)], name, names, seconds, period, poll, take_period,
                             start, str(tmp / "rescue" / name), str(outs / f"{name}.json"), n)
            except BaseException:  # noqa: BLE001 - said; the child ends
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    failed = 0
    for pid in pids:
        failed += os.waitpid(pid, 0)[1] != 0
    records, shows = [], []
    for name in names:
        path = outs / f"{name}.json"
        if path.exists():
            got = json.loads(path.read_text())
            records += [tuple(r) for r in got["records"]]
            shows += got["show"]
    made = {kind: {aid: (at, took) for k, _, aid, at, took in records if k == kind} for kind in ("decide", "take")}
    seen: dict[str, list[float]] = {}
    for kind, _, aid, at, _ in records:
        if kind == "seen":
            seen.setdefault(aid, []).append(at)
    out: dict[str, float] = {"failed": failed, "editors": len(names), "identities": len(names) if uids or
                             len(locations) > 1 else 1}
    for kind in ("decide", "take"):
        acts = made[kind]
        fanout = [max(seen[aid]) - acts[aid][0] for aid in acts if len(seen.get(aid, ())) == editors - 1]
        durations = [took for _, took in acts.values()]
        out.update({f"{kind}s": len(acts), f"{kind}_median": statistics.median(durations),
                    f"{kind}_p99": pct(durations, 0.99), f"{kind}_fan_median": statistics.median(fanout),
                    f"{kind}_fan_p99": pct(fanout, 0.99), f"{kind}_fan_max": max(fanout),
                    f"{kind}_incomplete": sum(1 for aid in acts if len(seen.get(aid, ())) != editors - 1)})
    looks = [took for kind, _, _, _, took in records if kind == "people"]
    people = [int(aid) for kind, _, aid, _, _ in records if kind == "people"]
    out.update({"show_p99": pct(shows, 0.99), "seen_p99": pct(looks, 0.99), "people_max": max(people),
                "people_median": statistics.median(people)})
    return out


def backends(urls: list[str], decides: int, editors: int, seconds: float, poll: float = 1.0) -> int:
    """The two backends in one run (see the module docstring). `urls`: PostgreSQL, one per editor or one."""
    from triage.store.open import store_name

    url = urls[0]
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        directory = Path(tmp)
        directory.chmod(0o755)
        file_db = str(directory / "desk.json")
        print(f"durable decide, {decides} each (the file: fdatasync of the journal; PostgreSQL: a commit); "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        for name, location in (("TinyDB file", file_db), ("PostgreSQL", url)):
            r = durable_decides(location, decides, directory / "rescue")
            print(f"  {name:<12} median {ms(r['median']):6.2f} ms  p99 {ms(r['p99']):6.2f} ms  "
                  f"max {ms(r['max']):6.1f} ms")
        print(f"{editors} editors, each its own process, for {seconds:.0f} s: a decision every 2 s, a take every "
              f"4 s (the last given back), a presence show every 2 s; refresh() of store and desk every "
              f"{poll:g} s and presence seen() every 1 s (an open TUI polls both every store.poll_seconds, 0.5 s by default)")
        summary = []
        for name, locations in (("TinyDB file", [str(directory / "desk2.json")]), ("PostgreSQL", urls)):
            sub = directory / name.split()[0]
            sub.mkdir()
            r = desk(locations, editors, seconds, 2.0, poll, sub)
            who = (f"{int(r['identities'])} identities" + (" (uids)" if name.startswith("TinyDB") else " (roles)")
                   if r["identities"] > 1 else "one identity")
            print(f"  {name:<12} {who}, failed {int(r['failed'])}, load average {os.getloadavg()[0]:.1f}")
            for kind, what in (("decide", "decides"), ("take", "takes")):
                print(f"    {int(r[kind + 's'])} {what}: median {ms(r[kind + '_median']):6.2f} ms  p99 "
                      f"{ms(r[kind + '_p99']):6.2f} ms; fan-out to all {editors - 1} others: median "
                      f"{ms(r[kind + '_fan_median']):6.0f} ms  p99 {ms(r[kind + '_fan_p99']):6.0f} ms  slowest "
                      f"{ms(r[kind + '_fan_max']):6.0f} ms ({int(r[kind + '_incomplete'])} not seen by all)")
            print(f"    presence: show p99 {ms(r['show_p99']):.1f} ms, seen() p99 {ms(r['seen_p99']):.1f} ms, "
                  f"people seen median {r['people_median']:.0f} (most {int(r['people_max'])})")
            summary.append(f"{name}: p99 decide {ms(r['decide_p99']):.1f} ms, slowest fan-out decision "
                           f"{ms(r['decide_fan_max']):.0f} ms / take {ms(r['take_fan_max']):.0f} ms")
        print(f"(PostgreSQL: {store_name(url)})")
        print(f"desk of {editors}: " + "; ".join(summary) + " (goal <= 1 s fan-out)")
    return 0


def fill_history(owner_url: str, events: int, articles: int, rng: random.Random) -> float:
    """`events` decision events over `articles` articles in the last 60 days, by COPY; seconds taken."""
    import psycopg

    now = datetime.now(UTC)
    step = timedelta(days=60) / events
    start = now - timedelta(days=60)
    t = time.perf_counter()
    with psycopg.connect(owner_url, autocommit=True) as conn, conn.cursor().copy(
            "COPY triage.events (uid, article_id, decision, note, username, host, at, title, source, url, "
            "action) FROM STDIN") as copy:
        for n in range(events):
            a = rng.randrange(articles)
            decision = rng.choice(DECISIONS)
            copy.write_row((f"bench-{n}", f"{a:012x}", decision, "call the desk back" if n % 7 == 0 else "",
                            rng.choice(USERS), "newsroom-1",
                            (start + step * n).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                            f"Headline {a}: officials respond to the storm damage in region {a % 97}",
                            SOURCES[a % len(SOURCES)], f"https://news.example/{a}",
                            "decide" if decision else "clear"))
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("ANALYZE triage.events")
        conn.execute("ANALYZE triage.latest")
    return time.perf_counter() - t


def history_open(owner_url: str, url: str, events: int, articles: int, rng: random.Random,
                 runs: int = 5) -> int:
    """Opening a long history on PostgreSQL (see the module docstring); the medians of `runs` runs."""
    from triage.store.open import open_store

    print(f"filling {events:,} events over {articles:,} articles by COPY ...", flush=True)
    print(f"  filled in {fill_history(owner_url, events, articles, rng):.1f} s")
    wanted = [f"{a:012x}" for a in rng.sample(range(articles), 10_000)]
    times: dict[str, list[float]] = {"open": [], "cur10k": [], "all": [], "again": [], "len": [],
                                     "history": [], "decide": []}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        for run in range(runs):
            t0 = time.perf_counter()
            store = open_store(url, rescue_dirs=[Path(tmp)])
            t1 = time.perf_counter()
            current = store.current_many(wanted)
            t2 = time.perf_counter()
            count = len(store)
            t3 = time.perf_counter()
            store.history(wanted[run])
            t4 = time.perf_counter()
            store.decide(wanted[-1 - run], "flag", "bench")
            t5 = time.perf_counter()
            every = store.current_many()
            t6 = time.perf_counter()
            store.current_many()
            t7 = time.perf_counter()
            store.close()
            for key, took in (("open", t1 - t0), ("cur10k", t2 - t1), ("len", t3 - t2), ("history", t4 - t3),
                              ("decide", t5 - t4), ("all", t6 - t5), ("again", t7 - t6)):
                times[key].append(took)
    med = {key: statistics.median(values) for key, values in times.items()}
    print(f"opening {count:,} events ({len(every):,} articles; {len(current):,} of the 10,000 asked have "
          f"a decision), median of {runs}:")
    print(f"  open {ms(med['open']):.0f} ms; current of 10,000 articles {ms(med['cur10k']):.0f} ms; "
          f"first paint's store part {ms(med['open'] + med['cur10k']):.0f} ms")
    print(f"  count {ms(med['len']):.0f} ms; one history {ms(med['history']):.1f} ms; first decide "
          f"{ms(med['decide']):.1f} ms; every article's current ({len(every):,}) {ms(med['all']):.0f} ms, "
          f"asked again (a poll's reload) {ms(med['again']):.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process (filling included) {peak:.0f} MB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="", help="a postgresql:// URL: compare the two backends")
    parser.add_argument("--start-server", action="store_true",
                        help="start a throwaway PostgreSQL (Debian's initdb/pg_ctl) and compare on it")
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the simulated desk decides")
    parser.add_argument("--poll", type=float, default=0.5,
                        help="seconds between each editor's refresh() (an open TUI: store.poll_seconds, 0.5 s)")
    parser.add_argument("--one-role", action="store_true",
                        help="with --start-server: every editor the same role (else each its own)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--decides", type=int, default=2000, help="durable decides timed per size (store)")
    parser.add_argument("--kills", type=int, default=200, help="kill -9 rounds (0: skip)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--history", type=int, default=0,
                        help="with --start-server or --db: fill this many events and time opening them")
    parser.add_argument("--articles", type=int, default=200_000, help="articles the --history events are over")
    args = parser.parse_args()
    if args.start_server:
        from tests.store.conftest import PgServer, pg_bindir

        bindir = pg_bindir()
        if bindir is None:
            print("no PostgreSQL server binaries (initdb, pg_ctl) here", file=sys.stderr)
            return 1
        server = PgServer(bindir, Path(tempfile.mkdtemp(prefix="triage-pg-bench-")))
        server.init()
        server.stop("fast")
        with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nmax_connections = {max(200, 4 * args.editors + 40)}\n")  # four a TUI
        server.start()
        server.template()
        try:
            dbname = server.new_db()
            url = server.url(dbname, server.role("bench"))
            urls = [server.url(dbname, server.role(f"ed{n:02d}")) for n in range(args.editors)]
            if args.history:
                return history_open(server.url(dbname, server.superuser), url, args.history, args.articles,
                                    random.Random(args.seed))
            return backends([url] if args.one_role else urls, args.decides, args.editors, args.seconds,
                            args.poll)
        finally:
            server.stop("fast")
            import shutil

            shutil.rmtree(server.root, ignore_errors=True)
    if args.db and args.history:
        return history_open(args.db, args.db, args.history, args.articles, random.Random(args.seed))
    if args.db:
        return backends([args.db], args.decides, args.editors, args.seconds, args.poll)
    rng = random.Random(args.seed)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    shared: list[tuple[int, float, float, float]] = []
    summary: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        directory = Path(tmp)
        for size in sizes:
            articles = min(10_000, size)
            base = directory / f"seed-{size}.json"
            seed(base, size, articles, rng)
            ours, plain = directory / f"store-{size}.json", directory / f"plain-{size}.json"
            for target in (ours, plain):
                target.write_bytes(base.read_bytes())
            plain_n = max(5, min(200, 2_000_000 // size))
            store = bench_store(ours, args.decides, articles)
            cli = cli_listing(ours)
            shared.append((size, *sharing(ours)))
            tiny = bench_plain(plain, plain_n, articles)
            rows.append((size, "triage journal", store, cli))
            rows.append((size, "plain TinyDB", tiny, (float("nan"), float("nan"))))
            if size == max(sizes):
                summary = {
                    "median": store["median"],
                    "p99": store["p99"],
                    "plain": tiny["median"],
                    "size": size,
                }
            print(f"  ... {size} events done", file=sys.stderr, flush=True)
        header = (
            f"{'events':>7}  {'storage':<15} {'open+cur10k (cpu)':>19} {'decides':>7} {'median':>8} {'p99':>8} "
            f"{'max':>8} {'query':>8} {'hist7d':>8} {'close':>8} {'cli list (cpu)':>16}"
        )
        print(header)
        print("-" * len(header))
        for size, name, r, cli in rows:
            print(
                f"{size:>7}  {name:<15} {ms(r['open']):>8.0f}ms ({ms(r['open_cpu']):>5.0f}ms) {int(r['n']):>7} {ms(r['median']):>6.2f}ms "
                f"{ms(r['p99']):>6.2f}ms {ms(r['max']):>6.1f}ms {ms(r['query']):>6.1f}ms "
                f"{ms(r['history']):>6.1f}ms {ms(r['close']):>6.1f}ms {ms(cli[0]):>6.0f}ms ({ms(cli[1]):>4.0f}ms)"
            )
        print(
            "(store decides are fdatasync'ed; a compaction every 1000 runs in a thread meanwhile; plain TinyDB inserts are not "
            "fsync'ed; query = flag + 30d + source + text over all events; cli list = a new `triage "
            "decisions` process with filters; (cpu) = CPU time, which does not grow when other work "
            "shares the machine)"
        )
        for size, t_cli, t_refresh, t_idle in shared:
            print(
                f"sharing at {size:>6} events: `triage decide` in another process {ms(t_cli):6.0f}ms; the open "
                f"store's refresh() then {ms(t_refresh):6.1f}ms; refresh() with nothing new {ms(t_idle):.3f}ms"
            )
        if args.kills:
            kills, acked, missing = kill_loop(directory, args.kills, rng)
            print(f"kill -9 loop: {kills} kills, {acked} acknowledged events, {missing} missing")
    print(
        f"store: decide median {ms(summary['median']):.2f} ms p99 {ms(summary['p99']):.2f} ms at "
        f"{int(summary['size'])} events; plain TinyDB median {ms(summary['plain']):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
