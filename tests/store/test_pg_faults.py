"""Faults on PostgreSQL lose nothing, played for real: the server down at start, stopped and started
mid-session, the store's connection terminated in the middle of a write, a statement timeout. Every
event lands exactly once (its uid is unique in the table)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from triage.store import PendingWriteError
from triage.store.pg.store import WRITE_LOCK


def uid_count(pg, uid: str) -> int:
    return pg.server.sql("SELECT count(*) FROM triage.events WHERE uid = %s", pg.dbname, (uid,))[0][0]


def test_server_down_at_start_opens_keeps_rescues_and_replays_once(pg, restart):
    pg.open(user="ann").close()  # the role exists
    restart.stop()
    store = pg.open(user="ann")
    assert "No such file" in store.last_error or "connection" in store.last_error
    with pytest.raises(PendingWriteError):
        store.decide("a1", "flag", "while down")
    assert store.pending == 1 and store.current("a1").note == "while down"
    uid = store.current("a1").uid
    result = store.rescue()
    assert result is not None and result.count == 1 and result.path is not None
    assert result.path.parent == pg.tmp / "rescue-ann" and store.pending == 0
    store.close()  # nothing pending any more: it is in the rescue file
    restart.start()
    again = pg.open(user="ann")
    assert again.replayed is not None and again.replayed.count == 1
    [event] = again.replayed.replayed
    assert event.user == "ann" and again.current("a1").note == "while down"
    assert event.uid == uid and uid_count(pg, uid) == 1
    third = pg.open(user="ann")
    assert third.replayed is None and len(third.history("a1")) == 1  # replayed once only


def test_a_store_opened_while_the_server_was_down_is_told_of_what_it_holds_once_back(pg, restart):
    """A reader that opened with no server (the TUI's list: nothing decided) learns, on its first
    connection, that the decisions already there are news to it, not history it has seen."""
    pg.open(user="ann").decide("a1", "flag", "before")
    pg.open(user="ben").close()  # the role exists
    restart.stop()
    late = pg.open(user="ben")
    assert late.current_many() == {} and late.refresh() is False
    restart.start()
    deadline = time.monotonic() + 10
    while not late.refresh():
        assert time.monotonic() < deadline, "the decisions already on the server were never news"
        time.sleep(0.1)
    assert late.current_many()["a1"].note == "before"
    assert late.refresh() is False  # said once


def test_server_restarted_mid_session_writes_pending_once(pg, restart):
    ann, bob = pg.open(user="ann"), pg.open(user="bob")
    ann.decide("a0", "archive")
    restart.stop()
    with pytest.raises(PendingWriteError):
        ann.decide("a1", "flag")
    with pytest.raises(PendingWriteError):
        ann.decide("a2", "follow-up")
    assert ann.pending == 2 and ann.last_error
    restart.start()
    ann.refresh()
    assert ann.pending == 0 and ann.last_error == ""
    for event in ann.query(history=True):
        assert uid_count(pg, event.uid) == 1
    deadline = time.monotonic() + 10
    while "a2" not in bob.current_many() and time.monotonic() < deadline:
        bob.refresh()  # its connection died with the server: it reconnects and reads what it missed
        time.sleep(0.05)
    assert set(bob.current_many()) == {"a0", "a1", "a2"}


def test_a_connection_terminated_mid_write_lands_exactly_once(pg):
    ann = pg.open(user="ann")
    ann.decide("warm", "flag")
    holder = psycopg.connect(pg.server.url(pg.dbname, pg.server.superuser), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s, %s)", WRITE_LOCK)  # the write waits inside its transaction
    outcome: list[object] = []

    def write() -> None:
        try:
            outcome.append(ann.decide("a1", "flag", "cut", uid="cut-uid-1"))
        except PendingWriteError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    waiting = "SELECT pid FROM pg_stat_activity WHERE usename = 'ann' AND wait_event_type = 'Lock'"
    deadline = time.monotonic() + 10
    while not (pids := holder.execute(waiting).fetchall()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pids, "the write never reached the lock"
    holder.execute("SELECT pg_terminate_backend(%s)", (pids[0][0],))
    time.sleep(0.2)
    holder.execute("SELECT pg_advisory_unlock(%s, %s)", WRITE_LOCK)
    holder.close()
    thread.join(30)
    assert outcome  # saved on the second attempt, or pending: either way kept
    assert ann.retry_pending() == 0
    assert uid_count(pg, "cut-uid-1") == 1
    assert [e.uid for e in ann.history("a1")] == ["cut-uid-1"]
    assert [e.uid for e in pg.open(user="bob").history("a1")] == ["cut-uid-1"]


def test_a_statement_timeout_keeps_the_write_pending_then_once(pg):
    from triage.store.open import open_store

    pg.open(user="ann").close()  # the role exists
    store = open_store(pg.url_for("ann", options="-c statement_timeout=300"), rescue_dirs=[pg.tmp / "r"])
    pg.opened.append(store)
    store.decide("warm", "flag")
    holder = psycopg.connect(pg.server.url(pg.dbname, pg.server.superuser), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s, %s)", WRITE_LOCK)
    with pytest.raises(PendingWriteError, match="statement timeout"):
        store.decide("a1", "archive", uid="slow-1")
    assert store.lock_busy and store.pending == 1 and store.current("a1").uid == "slow-1"
    assert store.retry_pending() == 1  # still held
    holder.execute("SELECT pg_advisory_unlock(%s, %s)", WRITE_LOCK)
    holder.close()
    assert store.retry_pending() == 0 and not store.lock_busy
    assert uid_count(pg, "slow-1") == 1 and len(store.history("a1")) == 1
