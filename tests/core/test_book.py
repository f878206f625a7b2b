"""DecisionBook: decisions show at once, are written in order by one thread, and a slow lock holder or a
full disk never holds up the caller."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from tinydb import TinyDB

from triage.core.book import DecisionBook
from triage.model import Article, Decision
from triage.store import DecisionStore
from triage.store.storage import lock_path

HOLD_LOCK = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def _book(db: Path) -> tuple[DecisionBook, list]:
    store = DecisionStore(db, lock_timeout=20)
    book = DecisionBook(lambda: store)
    seen: list = []
    book.listeners.append(seen.append)
    return book, seen


def _events(db: Path) -> list[dict]:
    with TinyDB(db) as tdb:
        return list(tdb.table("events").all())


def test_a_decision_shows_at_once_while_another_process_holds_the_lock(tmp_path):
    db = tmp_path / "d.json"
    book, seen = _book(db)
    book.decide(["warm-up"], Decision.ARCHIVE).future.result(10)  # the file exists, the lock file too
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path(db)), "2.0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.perf_counter()
        action = book.decide(
            [Article(id="a1", title="T", text="x", source="S", url="https://e/1")], Decision.FLAG
        )
        book.set_note(["a1"], "call the desk")
        returned = time.perf_counter() - t0
        assert returned < 0.2  # the caller never waits for the lock
        assert book.decision("a1") is Decision.FLAG and book.note("a1") == "call the desk"
        assert not action.future.done()
        saved = action.future.result(15)
        assert saved.error == "" and time.perf_counter() - t0 >= 1.5  # it waited for the holder
    finally:
        holder.wait(10)
    book.flush(10)
    book.store.close()
    rows = [e for e in _events(db) if e["article_id"] == "a1"]
    assert [r["action"] for r in rows] == ["decide", "note"]  # written in the order made
    assert rows[-1]["note"] == "call the desk" and rows[-1]["decision"] == "flag"
    assert rows[0]["title"] == "T" and rows[0]["url"] == "https://e/1"
    assert [s.what for s in seen[-2:]] == ["decide", "note"]


def test_undo_shows_the_state_before_the_action_at_once_and_writes_it(tmp_path):
    db = tmp_path / "d.json"
    book, _ = _book(db)
    book.decide(["a1"], Decision.FOLLOW_UP, note="first").future.result(10)
    action = book.decide(["a1"], Decision.ARCHIVE)
    assert action.before == {"a1": (Decision.FOLLOW_UP, "first")}
    undo = book.undo_action(action)
    assert book.decision("a1") is Decision.FOLLOW_UP and book.note("a1") == "first"  # shown at once
    saved = undo.future.result(10)
    assert saved.error == "" and saved.conflicts == [] and [e.action for e in saved.events] == ["undo"]
    assert book.store.current("a1").decision is Decision.FOLLOW_UP  # and on disk


def test_a_full_disk_is_reported_and_the_mark_stays(tmp_path):
    db = tmp_path / "d.json"
    book, seen = _book(db)
    book.decide(["a0"], Decision.FLAG).future.result(10)
    journal = Path(f"{db}.journal")
    journal.unlink(missing_ok=True)
    os.symlink("/dev/full", journal)
    saved = book.decide(["a1"], Decision.ARCHIVE).future.result(10)
    assert saved.error and saved.pending == 1
    assert saved.retrying and not saved.lost  # said by an attribute, not by the words of the message
    assert book.decision("a1") is Decision.ARCHIVE and book.pending == 1
    journal.unlink()
    changed, saved_now = book.poll()
    assert saved_now == 1 and book.pending == 0
    book.store.close()
    assert any(e["article_id"] == "a1" and e["decision"] == "archive" for e in _events(db))


def test_poll_brings_other_processes_decisions_but_never_hides_an_unwritten_one(tmp_path):
    db = tmp_path / "d.json"
    book, _ = _book(db)
    book.load()
    book._writer.submit(time.sleep, 1.0)  # the writer is busy: the next decision waits in the queue
    mine = book.decide(["a1"], Decision.FOLLOW_UP)
    other = DecisionStore(db, user="other")
    other.decide("b1", Decision.FLAG)
    other.decide("a1", Decision.ARCHIVE)  # before ours reaches the file
    other.close()
    changed, _ = book.poll()
    assert changed and book.decision("b1") is Decision.FLAG
    assert book.decision("a1") is Decision.FOLLOW_UP  # what this session just did stays on screen
    mine.future.result(10)
    assert book.decision("a1") is Decision.FOLLOW_UP  # and it is the latest event once written


def test_a_write_that_raises_is_lost_not_retrying(tmp_path):
    class Broken(DecisionStore):
        def decide(self, *args, **kwargs):
            raise RuntimeError("a bug in the store")

    store = Broken(tmp_path / "d.json")
    book = DecisionBook(lambda: store)
    saved = book.decide(["a1"], Decision.FLAG).future.result(10)
    assert saved.lost and not saved.retrying and "a bug in the store" in saved.error
    assert book.decision("a1") is Decision.FLAG and [e.article_id for e in book.unwritten_events()] == ["a1"]
    store.close()


def test_the_mark_shown_at_once_is_the_event_the_store_writes(tmp_path):
    """One builder: the optimistic event and the stored one differ only in who wrote it, when, and the
    batch id the store gives."""
    go = threading.Event()

    class Slow(DecisionStore):
        def decide_many(self, *args, **kwargs):
            go.wait(10)  # the book's mark is looked at before the write happens
            return super().decide_many(*args, **kwargs)

    store = Slow(tmp_path / "d.json")
    book = DecisionBook(lambda: store)
    story = Article(id="a1", title="T" * 5000, text="x", source="S", url="https://e/1", urgency=2,
                    slugline="SLUG", version="3", content_hash="h1")
    book.decide([story, "a1b"], Decision.FLAG, "ring", stories=["a1", "a1"])
    shown = {aid: book.event(aid) for aid in ("a1", "a1b")}
    go.set()
    book.flush(10)
    for aid, early in shown.items():
        stored = store.current(aid)
        assert stored is not None and early is not None and early.batch and stored.batch
        assert replace(early, user=stored.user, host=stored.host, at=stored.at, batch=stored.batch) == stored
    assert shown["a1"].version == "3" and shown["a1"].content_hash == "h1" and shown["a1"].story == "a1"
    assert len(shown["a1"].title) == 2048  # clipped as the store clips it
    store.close()
