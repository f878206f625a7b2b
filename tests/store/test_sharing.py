"""Several processes on one store: no event overwrites another; open stores see the others. The first
tests run on both backends (a TinyDB file, PostgreSQL), the rest on the file's own mechanics."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.store.conftest import caught_up
from triage.store import DecisionStore, PendingWriteError

WRITER = Path(__file__).with_name("writer.py")


def test_concurrent_writer_processes_lose_nothing_on_either_store(backend, tmp_path):
    writers, count = 4, 150
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, str(WRITER), backend.where(f"user{k}"), f"w{k}", str(count),
                          "--user", f"user{k}", "--start-when", str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k in range(writers)
    ]
    time.sleep(0.5)
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(out.split()) == count
    events = backend.open().query(history=True)
    assert len(events) == writers * count and len({e.uid for e in events}) == writers * count
    by_writer: dict[str, list[int]] = {}
    for event in events:
        prefix, n = event.article_id.split("-")
        assert event.user == f"user{prefix[1:]}"  # the file: the writer's login; PostgreSQL: its role
        by_writer.setdefault(prefix, []).append(int(n))
    assert by_writer == {f"w{k}": list(range(1, count + 1)) for k in range(writers)}
    owners = [e.article_id.split("-")[0] for e in events]
    assert sum(1 for x, y in itertools.pairwise(owners) if x != y) > writers  # at the same time


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    db = tmp_path / "d.json"
    writers, count = 4, 200
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, str(WRITER), str(db), f"w{k}", str(count), "--compact-every", "45",
                          "--user", f"user{k}", "--start-when", str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k in range(writers)
    ]
    time.sleep(0.5)  # all started and waiting at the barrier
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(out.split()) == count
    data = json.loads(db.read_text())  # every writer closed, so the main file holds everything
    events = data["events"]
    assert sorted(int(k) for k in events) == list(range(1, writers * count + 1))  # unique, no gaps
    by_writer: dict[str, list[int]] = {}
    for key in sorted(events, key=int):
        doc = events[key]
        prefix, n = doc["article_id"].split("-")
        assert doc["user"] == f"user{prefix[1:]}"
        by_writer.setdefault(prefix, []).append(int(n))
    assert by_writer == {f"w{k}": list(range(1, count + 1)) for k in range(writers)}  # each in its own order
    owners = [events[k]["article_id"].split("-")[0] for k in sorted(events, key=int)]
    switches = sum(1 for x, y in itertools.pairwise(owners) if x != y)
    assert switches > writers  # they really wrote at the same time


def test_refresh_sees_another_process_within_a_poll(tmp_path):
    db = tmp_path / "d.json"
    mine = DecisionStore(db, user="ann")
    mine.decide("a1", "flag")
    assert mine.refresh() is False  # nothing new: a stat, no reload
    proc = subprocess.run([sys.executable, str(WRITER), str(db), "other", "3", "--user", "bob"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loads = mine._journal.storage.full_loads
    assert mine.refresh() is True
    assert mine._journal.storage.full_loads <= loads + 1  # one read of what changed, no more (no clock here)
    cur = mine.current_many()
    assert set(cur) == {"a1", "other-1", "other-2", "other-3"} and cur["other-2"].user == "bob"
    assert mine.refresh() is False
    # my next decision lands after theirs, and a reopened store agrees on the order
    mine.decide("a1", "archive")
    mine.close()
    order = [e.article_id for e in DecisionStore(db).query(history=True)]
    assert order == ["a1", "other-1", "other-2", "other-3", "a1"]


def test_refresh_after_incremental_growth(backend):
    a = backend.open(user="ann")
    b = backend.open(user="bob")
    b.decide("x1", "flag")
    assert caught_up(a) and a.current("x1").user == "bob"
    a.decide("x1", "archive")
    assert caught_up(b) and b.current("x1").decision.value == "archive"
    assert b.undo("x1")[0].decision.value == "flag"  # undo acts on the latest change, whoever made it
    b.close()  # the file: compacts, so a sees a replaced main file and reloads
    assert caught_up(a)
    assert [e.action for e in a.history("x1")] == ["decide", "decide", "undo"]
    a.close()


def test_refresh_reports_events_taken_in_by_a_write(backend):
    a = backend.open(user="ann")
    b = backend.open(user="bob")
    a.decide("x1", "flag")
    assert a.refresh() is False
    b.decide("x2", "archive")
    a.decide("x3", "flag")  # a's write reads b's event first
    assert a.current("x2").user == "bob"
    assert a.refresh() is True  # so a UI polling refresh() learns about x2
    assert a.refresh() is False
    a.close()
    b.close()


def test_a_file_replaced_by_a_newer_schema_stops_writes(tmp_path):
    db = tmp_path / "d.json"
    old = DecisionStore(db)
    old.decide("a1", "flag")
    newer = {"events": {}, "meta": {"1": {"schema_version": 99}}}
    db.write_text(json.dumps(newer))  # as if a newer triage rewrote it
    with pytest.raises(PendingWriteError, match="newer triage"):
        old.decide("a2", "flag")
    with pytest.raises(PendingWriteError):
        old.decide("a3", "flag")  # still refused on the next try, not written over
    assert json.loads(db.read_text()) == newer
    assert old.pending == 2


def test_refresh_after_another_process_compacts_does_not_reparse(tmp_path):
    db = tmp_path / "d.json"
    seed = DecisionStore(db)
    seed.decide_many([f"s{n}" for n in range(500)], "archive")
    seed.close()
    tui = DecisionStore(db, user="ann")
    loads = tui._journal.storage.full_loads
    cli = DecisionStore(db, user="bob")
    cli.decide("x1", "flag")
    assert tui.refresh() is True  # a journal line: read incrementally
    cli.decide("x2", "flag")
    cli.close()  # compacts: new main file, emptied journal
    tui.decide("x3", "follow-up")  # a write takes in the compaction first
    other = DecisionStore(db, user="cho")
    other.decide("x4", "archive")
    other.close()
    assert tui.refresh() is True
    assert tui._journal.storage.full_loads == loads  # caught up from the meta at the end of the file
    assert {k for k in tui.current_many() if k.startswith("x")} == {"x1", "x2", "x3", "x4"}
    tui.close()
    fresh = DecisionStore(db)
    assert len(fresh) == 504
    assert [e.article_id for e in fresh.query(history=True)][-4:] == ["x1", "x2", "x3", "x4"]


def test_a_different_file_moved_in_is_read_in_full(tmp_path):
    db = tmp_path / "d.json"
    tui = DecisionStore(db)
    tui.decide("a1", "flag")
    tui.compact()
    other = DecisionStore(tmp_path / "other.json")
    other.decide("b1", "archive")
    other.close()
    (tmp_path / "other.json").replace(db)  # e.g. a recovered file put in place
    loads = tui._journal.storage.full_loads
    assert tui.refresh() is True
    assert tui._journal.storage.full_loads == loads + 1
    assert set(tui.current_many()) == {"b1"}


def test_a_reader_refreshing_while_writers_compact_ends_with_the_same_view(tmp_path):
    db = tmp_path / "d.json"
    seed = DecisionStore(db)
    seed.decide("seed", "flag")
    seed.close()
    stop, go = tmp_path / "stop", tmp_path / "go"
    reader = subprocess.Popen([sys.executable, str(WRITER), str(db), "r", "0", "--read-until", str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writers = [
        subprocess.Popen([sys.executable, str(WRITER), str(db), f"w{k}", "150", "--compact-every", "7",
                          "--start-when", str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k in range(3)
    ]
    time.sleep(0.5)
    go.touch()
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = json.loads(out)
    truth = [[e.article_id, e.decision.value] for e in DecisionStore(db).query(history=True)]
    assert len(truth) == 451 and seen["view"] == truth
    assert seen["refreshes"] > 10
    assert seen["full_loads"] < 5  # dozens of compactions, caught up from the end of the file


def test_an_event_added_with_plain_tinydb_is_seen_and_kept(tmp_path):
    from tinydb import TinyDB

    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide_many(["a1", "a2"], "flag")
    s.compact()
    with TinyDB(db) as plain:  # plain JSONStorage: rewrites the file, meta untouched
        plain.table("events").insert({"article_id": "hand", "decision": "archive", "note": "", "user": "x",
                                      "host": "h", "at": "2026-01-01T00:00:00.000000Z", "title": "",
                                      "source": "", "url": "", "action": "decide", "batch": ""})
    assert s.refresh() is True and s.current("hand").decision.value == "archive"
    s.decide("a3", "flag")
    s.close()
    assert [e.article_id for e in DecisionStore(db).query(history=True)] == ["a1", "a2", "hand", "a3"]


def test_a_plain_tinydb_insert_does_not_hide_a_journal_event(tmp_path):
    from tinydb import TinyDB

    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide("a1", "flag")
    s.compact()
    s.decide("a2", "archive")  # id 2, only in the journal so far
    with TinyDB(db) as plain:  # sees only the main file, so takes id 2 too
        plain.table("events").insert({"article_id": "hand", "decision": "flag"})
    s.refresh()
    assert {"a1", "a2", "hand"} <= set(s.current_many())
    s.close()
    again = DecisionStore(db)
    assert sorted(again.current_many()) == ["a1", "a2", "hand"]
    assert len(again) == 3


def test_threads_of_one_process_share_a_store(backend):
    import threading

    store = backend.open(compact_every=50)  # the file: background compactions while the threads write
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for n in range(150):
                store.decide(f"t{k}-{n}", "flag")
                if n % 25 == 0:
                    store.refresh()
                    store.current_many()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store.close()
    if backend.kind == "file":
        data = json.loads(Path(backend.location).read_text())
        assert sorted(int(k) for k in data["events"]) == list(range(1, 601))
    events = backend.open().query(history=True)
    assert len(events) == 600 and len({e.article_id for e in events}) == 600


def test_tinydb_api_writes_through_journal_storage_are_seen(tmp_path):
    from tinydb import TinyDB

    from triage.store.storage import JournalStorage

    db = tmp_path / "d.json"
    store = DecisionStore(db)
    store.decide("a1", "flag")
    store.compact()
    with TinyDB(db, storage=JournalStorage) as tdb:
        tdb.table("events").insert({"article_id": "via-tinydb", "decision": "archive"})
    assert store.refresh() is True
    assert store.current("via-tinydb").decision.value == "archive"
    store.close()
