"""Store semantics on both backends (decide, undo, notes, queries), then the TinyDB file's own: modes,
schema, plain TinyDB."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from tinydb import TinyDB

from tests.store.conftest import caught_up
from triage.model import Article, Decision
from triage.store import CorruptStoreError, DecisionStore, NewerSchemaError, parse_when
from triage.store.storage import JournalStorage, journal_path


@pytest.fixture
def db(tmp_path):
    return tmp_path / "decisions.json"


@pytest.fixture
def store(backend):
    """A store of user ann on host h1: a TinyDB file, or PostgreSQL as the role ann."""
    return backend.open(user="ann", host="h1")


def article(n: int, source: str = "Wire") -> Article:
    return Article(id=f"a{n}", title=f"Title {n}", text="Body.", source=source, url=f"https://x.test/{n}")


def test_decide_copies_article_fields_and_is_current(store):
    ev = store.decide(article(1), Decision.FLAG, "check")
    assert (ev.article_id, ev.decision, ev.note) == ("a1", Decision.FLAG, "check")
    assert (ev.user, ev.host) == ("ann", "h1")
    assert (ev.title, ev.source, ev.url, ev.action) == ("Title 1", "Wire", "https://x.test/1", "decide")
    assert datetime.fromisoformat(ev.at).tzinfo is not None
    assert store.current("a1") == ev
    assert store.current("nope") is None


def test_decide_by_id_carries_title_and_note_forward(store):
    store.decide(article(1), "flag", "keep me")
    ev = store.decide("a1", "archive")
    assert (ev.title, ev.source, ev.note, ev.decision) == ("Title 1", "Wire", "keep me", Decision.ARCHIVE)
    cleared = store.decide("a1", None)
    assert cleared.decision is None and cleared.action == "clear"
    assert [e.decision for e in store.history("a1")] == [Decision.FLAG, Decision.ARCHIVE, None]


def test_set_note_keeps_decision_and_can_erase(store):
    store.decide("a1", "follow-up", "first")
    ev = store.set_note("a1", "second")
    assert (ev.decision, ev.note, ev.action) == (Decision.FOLLOW_UP, "second", "note")
    assert store.set_note("a1", "").note == ""
    assert store.current("a1").decision == Decision.FOLLOW_UP


def test_undo_walks_back_and_stops(store):
    store.decide("a1", "flag", "n1")
    store.decide("a1", "archive")
    store.set_note("a1", "n2")
    states = []
    for _ in range(4):
        events = store.undo("a1")
        states.append([(e.decision, e.note, e.action) for e in events])
    assert states == [
        [(Decision.ARCHIVE, "n1", "undo")],
        [(Decision.FLAG, "n1", "undo")],
        [(None, "", "undo")],
        [],  # nothing left to undo: no event
    ]
    assert store.current("a1").decision is None
    store.decide("a1", "follow-up")  # a new change after undos is undoable again
    assert store.undo(["a1"])[0].decision is None


def test_decide_many_one_batch_and_undo_many(store):
    events = store.decide_many([article(1), "a2", article(3)], Decision.ARCHIVE, "bulk")
    assert len({e.batch for e in events}) == 1 and events[0].batch
    assert events[0].title == "Title 1" and events[1].title == ""
    undone = store.undo(["a1", "a2", "a3", "never"])
    assert [e.article_id for e in undone] == ["a1", "a2", "a3"]
    assert all(e.decision is None for e in undone)


def test_current_many_and_query_filters(store, backend):
    store.decide(article(1, "BBC News"), "flag", "call the mayor")
    store.decide(article(2, "Reuters"), "archive")
    store.decide(article(3, "BBC World"), "follow-up")
    store.decide("a2", None)
    other = backend.open(user="bob", host="h2")
    other.decide(article(4, "AFP"), "flag")
    other.close()
    assert caught_up(store)
    cur = store.current_many()
    assert set(cur) == {"a1", "a2", "a3", "a4"} and cur["a2"].decision is None
    assert set(store.current_many(["a1", "zz"])) == {"a1"}
    def ids(evs):
        return [e.article_id for e in evs]
    assert ids(store.query()) == ["a1", "a3", "a4"]  # cleared left out, oldest first
    assert ids(store.query(decision="flag")) == ["a1", "a4"]
    assert ids(store.query(decision=Decision.FOLLOW_UP)) == ["a3"]
    assert ids(store.query(decision="clear")) == ["a2"]
    assert ids(store.query(decision="all")) == ["a1", "a3", "a2", "a4"]
    assert ids(store.query(user="BOB")) == ["a4"]
    assert ids(store.query(source="bbc")) == ["a1", "a3"]
    assert ids(store.query(text="MAYOR")) == ["a1"]
    assert len(store.query(history=True)) == 5
    assert ids(store.query(history=True, decision="archive")) == ["a2"]
    now = datetime.now(UTC)
    assert len(store.query(since=now - timedelta(minutes=5))) == 3
    assert store.query(since=now + timedelta(minutes=5)) == []
    assert store.query(until=now - timedelta(days=1)) == []
    assert len(store.query(since=parse_when("today"), until=parse_when("today", end=True))) == 3


def test_parse_when_forms():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when("12h", now=now) == now - timedelta(hours=12)
    assert parse_when("2026-11-01T10:00:00+00:00") == datetime(2026, 11, 1, 10, tzinfo=UTC)
    start, end = parse_when("2026-11-01"), parse_when("2026-11-01", end=True)
    assert end - start == timedelta(days=1, microseconds=-1) and start.tzinfo is not None
    assert parse_when("today", now=now) <= now <= parse_when("today", end=True, now=now)
    for bad in ("soon", "", "2026-13-01", "7x"):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_file_is_plain_tinydb_after_close_and_journal_storage_sees_all(db):
    s = DecisionStore(db)
    s.decide("a1", "flag")
    s.decide("a2", "archive")
    # before compaction: the journaled storage through TinyDB sees both events
    with TinyDB(db, storage=JournalStorage) as tdb:
        assert sorted(d["article_id"] for d in tdb.table("events").all()) == ["a1", "a2"]
    s.close()
    assert os.path.getsize(journal_path(db)) == 0
    data = json.loads(db.read_text())
    assert set(data) >= {"events", "meta"} and len(data["events"]) == 2
    with TinyDB(db) as tdb:
        assert tdb.table("meta").all()[0]["schema_version"] == 2
        assert [d["decision"] for d in tdb.table("events").all()] == ["flag", "archive"]


def test_compaction_every_n_keeps_everything(db):
    s = DecisionStore(db, compact_every=5, background_compaction=False)
    for n in range(12):
        s.decide(f"a{n}", "flag")
    assert len(json.loads(db.read_text())["events"]) == 10  # compacted at 5 and 10
    s.close()
    again = DecisionStore(db)
    assert len(again) == 12 and len(again.current_many()) == 12


def test_background_compaction_keeps_decisions_made_meanwhile(db):
    seed = DecisionStore(db, background_compaction=False)
    seed.decide_many([f"s{n}" for n in range(20_000)], "archive")  # a big file: compaction takes a while
    seed.close()
    s = DecisionStore(db, compact_every=10)
    for n in range(10):
        s.decide(f"a{n}", "flag")  # the 10th starts a compaction in a thread
    for n in range(30):
        s.decide(f"b{n}", "follow-up")  # ... and these land while it writes
    s._compactor.join()
    data = json.loads(db.read_text())
    assert {f"a{n}" for n in range(10)} <= {d["article_id"] for d in data["events"].values()}
    # what came after the snapshot moved to a fresh journal: main + journal hold each event once
    assert len(data["events"]) + journal_path(db).read_bytes().count(b"\n") == 20_040
    assert not s.last_error
    s.close()
    data = json.loads(db.read_text())
    assert len(data["events"]) == 20_040 and os.path.getsize(journal_path(db)) == 0
    ids = [int(k) for k in data["events"]]
    assert ids == list(range(1, 20_041))
    assert len(DecisionStore(db).current_many()) == 20_040


def test_a_bulk_write_is_compacted_before_the_call_returns(db):
    s = DecisionStore(db, compact_every=5)  # background compaction, but 60 > 10 x 5
    s.decide_many([f"a{n}" for n in range(60)], "flag")
    assert len(json.loads(db.read_text())["events"]) == 60
    assert os.path.getsize(journal_path(db)) == 0
    s.close()


def test_reading_creates_no_files(tmp_path):
    s = DecisionStore(tmp_path / "sub" / "d.json")
    assert s.current_many() == {} and s.query() == []
    s.close()
    assert not (tmp_path / "sub").exists()


def test_new_files_mode_0600_and_0660_with_group_share(tmp_path):
    old = os.umask(0o022)
    try:
        for share, mode in ((False, 0o600), (True, 0o660)):
            db = tmp_path / f"share-{share}.json"
            s = DecisionStore(db, group_share=share)
            s.decide("a1", "flag")
            assert stat.S_IMODE(os.stat(journal_path(db)).st_mode) == mode
            s.close()
            assert stat.S_IMODE(os.stat(db).st_mode) == mode
            assert stat.S_IMODE(os.stat(str(db) + ".lock").st_mode) == mode
        nested = tmp_path / "new-dir" / "d.json"
        s = DecisionStore(nested, group_share=True)
        s.decide("a1", "flag")
        s.close()
        assert stat.S_IMODE(os.stat(nested.parent).st_mode) == 0o770
    finally:
        os.umask(old)


def test_compaction_keeps_an_existing_files_mode(db):
    s = DecisionStore(db)
    s.decide("a1", "flag")
    s.close()
    os.chmod(db, 0o640)
    s = DecisionStore(db)
    s.decide("a2", "flag")
    s.close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o640


def test_compaction_keeps_the_files_group(db):
    s = DecisionStore(db, group_share=True)
    s.decide("a1", "flag")
    s.close()
    other_gid = 65534 if os.stat(db).st_gid != 65534 else 1
    try:
        os.chown(db, -1, other_gid)
    except PermissionError:
        pytest.skip("cannot change the group here")
    s = DecisionStore(db, group_share=True)
    s.decide("a2", "flag")
    s.close()  # the main file is replaced by a new one: same group, same mode
    st = os.stat(db)
    assert st.st_gid == other_gid and stat.S_IMODE(st.st_mode) == 0o660


def test_older_schema_is_migrated_after_a_backup(db):
    with TinyDB(db) as tdb:  # schema 1: plain TinyDB events, no meta, older field names
        tdb.table("events").insert({"article_id": "old1", "decision": "Flag", "note": "n",
                                    "time": "2025-01-02T03:04:05+00:00"})
        tdb.table("events").insert({"article_id": "old2", "decision": "", "user": "zoe"})
    original = db.read_bytes()
    s = DecisionStore(db)
    assert s.migrated_backup is not None and s.migrated_backup.read_bytes() == original
    cur = s.current_many()
    assert cur["old1"].decision == Decision.FLAG and cur["old1"].at.startswith("2025-01-02")
    assert cur["old2"].decision is None and cur["old2"].action == "clear"
    s.close()
    data = json.loads(db.read_text())
    assert data["meta"]["1"]["schema_version"] == 2
    assert set(data["events"]["1"]) >= {"host", "action", "batch", "at"}


def test_newer_schema_is_refused_and_left_alone(db):
    db.write_text(json.dumps({"events": {}, "meta": {"1": {"schema_version": 99}}}))
    before = db.read_bytes()
    with pytest.raises(NewerSchemaError, match=str(db)):
        DecisionStore(db)
    assert db.read_bytes() == before


def test_unknown_decision_is_a_value_error(store):
    with pytest.raises(ValueError):
        store.decide("a1", "maybe")
    assert store.current("a1") is None


def test_closed_store_refuses_writes(backend):
    s = backend.open()
    s.close()
    with pytest.raises(Exception, match="closed"):
        s.decide("a1", "flag")


def test_not_a_tinydb_file_is_corrupt(db):
    db.write_text("[1, 2, 3]")
    with pytest.raises(CorruptStoreError, match="recover"):
        DecisionStore(db)
    assert db.read_text() == "[1, 2, 3]"
