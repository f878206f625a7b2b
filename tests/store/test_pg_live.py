"""Live across hosts on PostgreSQL: a decision made by another process reaches this store's refresh()
through LISTEN/NOTIFY; refresh() costs no round trip when nothing changed; a listener that was away
reads the rows again when it reconnects (NOTIFY kept nothing for it)."""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg

from tests.store.conftest import quiet_refreshes

WRITE = ("import sys\nfrom triage.store.open import open_store\n"
         "s = open_store(sys.argv[1], rescue_dirs=[sys.argv[2]])\n"
         "for aid in sys.argv[3:]:\n    s.decide(aid, 'flag', 'from afar')\ns.close()\n")


def decide_elsewhere(pg, user: str, *ids: str) -> float:
    """Another process (its own data folder) decides; the moment its write returned."""
    folder = str(pg.tmp / f"other-{user}")
    proc = subprocess.run([sys.executable, "-c", WRITE, pg.url_for(user), folder, *ids], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic()


def wait_for(store, article_id: str, limit: float = 10.0) -> float:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if store.refresh() and article_id in store.current_many():
            return time.monotonic()
        time.sleep(0.01)
    raise AssertionError(f"{article_id} never arrived")


def test_another_process_decision_reaches_refresh(pg):
    ann = pg.open(user="ann")
    assert ann.refresh() is False
    written = decide_elsewhere(pg, "bob", "b1")
    seen = wait_for(ann, "b1")
    print(f"fan-out after the other process returned: {1000 * (seen - written):.1f} ms")
    event = ann.current("b1")
    assert (event.user, event.note) == ("bob", "from afar")
    assert ann.refresh() is False


def test_refresh_without_news_asks_the_server_nothing(pg):
    ann = pg.open(user="ann")
    ann.decide("a1", "flag")  # its own notification: no fetch for that either
    ann.refresh()
    assert quiet_refreshes(pg, ann.refresh, "ann") == 2  # the store's connection and its listener: untouched


def test_a_listener_that_was_away_reads_the_rows_again(pg):
    ann = pg.open(user="ann")
    with psycopg.connect(pg.server.url(pg.dbname, pg.server.superuser), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'ann'")
    decide_elsewhere(pg, "bob", "while-away-1", "while-away-2")  # notified while nobody listened
    wait_for(ann, "while-away-2")
    assert {"while-away-1", "while-away-2"} <= set(ann.current_many())
    ann.decide("a3", "archive")  # and it writes again
    assert [e.article_id for e in ann.query(history=True)] == ["while-away-1", "while-away-2", "a3"]


def test_a_hostile_notification_payload_costs_a_read_not_the_refresh(pg):
    """Any role may NOTIFY the channels: a payload of thousands of digits (past int()'s limit), or of
    digits that are not ASCII, is news to check, never an exception out of refresh()."""
    from triage.store.open import open_desk

    ann = pg.open(user="ann")
    desk = open_desk(pg.url_for("ann"), host="ann-host")
    try:
        with psycopg.connect(pg.url_for("bob"), autocommit=True) as conn:
            for channel in ("triage_events", "triage_desk"):
                for payload in ("9" * 5000, "\u00b2", "\u0661\u0662"):
                    conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
        time.sleep(0.2)
        for _ in range(3):
            ann.refresh()
            desk.refresh()
        assert ann.last_error == "" and desk.last_error == ""
        decide_elsewhere(pg, "bob", "b1")
        wait_for(ann, "b1")
    finally:
        desk.close()


def test_a_row_inserted_by_hand_without_the_lock_still_reaches_every_reader(pg):
    """Readers catch up by `id > newest seen`, so ids must commit in order: a member's raw INSERT that
    skips the writers' lock (its id drawn, its commit late) would land behind a reader's mark and stay
    unseen by every open TUI. The table takes the lock itself, as triage.desk_acts does."""
    import threading

    cho = pg.open(user="cho")
    bob = pg.open(user="bob")
    pg.open(user="ann").close()
    assert cho.current_many() == {}  # every article's latest is held from now on: news comes by catch-up
    with psycopg.connect(pg.url_for("ann")) as raw:
        raw.execute("INSERT INTO triage.events (uid, article_id, decision, at, action) "
                    "VALUES ('by-hand', 'a1', 'flag', '2026-11-25T10:00:00Z', 'decide')")
        writer = threading.Thread(target=bob.decide, args=("b1", "flag"))
        writer.start()
        writer.join(1.0)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and "b1" not in cho.current_many():
            cho.refresh()
            time.sleep(0.02)
        raw.commit()
    writer.join(10.0)
    wait_for(cho, "a1", limit=12.0)
    assert {"a1", "b1"} <= cho.current_many().keys()
