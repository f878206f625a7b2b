"""The desk on PostgreSQL, played for real: roles that cannot act as each other (the API and raw SQL),
two hosts racing for one story, another host's take and hand-off reaching refresh() through
LISTEN/NOTIFY (also after the listener's backend was terminated), takes and presence aged by the
server's clock (hosts hours off; a SIGKILLed TUI), faults (the server stopped and started, a COMMIT
refused, a wrong password), and `triage store copy` of a desk's acts into PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.cli.conftest import isolate
from tests.colleague import NOBODY, needs_root, shared_folder
from tests.store.conftest import quiet_refreshes
from tests.store.desk_users import Remote
from triage.model import DESK
from triage.store.errors import HeldError, NotYoursError, StoreError
from triage.store.open import open_desk, open_presence
from triage.store.pg.desk import DESK_LOCK, PostgresDesk, PostgresPresence

HOST = """\
import json, os, sys, time
from triage.store.errors import HeldError
from triage.store.open import open_desk, open_presence
url, host, action = sys.argv[1], sys.argv[2], sys.argv[3]
args = sys.argv[4:]
if action == "take":  # take each story once the barrier file exists; say who won each
    desk = open_desk(url, host=host)
    print("ready", flush=True)
    while not os.path.exists(args[0]):
        time.sleep(0.002)
    for article in args[1:]:
        try:
            print(json.dumps({"article": article, "won": desk.take(article, minutes=30).user}), flush=True)
        except HeldError as exc:
            print(json.dumps({"article": article, "held": exc.take.user, "said": str(exc)}), flush=True)
    desk.close()
elif action == "hand":
    desk = open_desk(url, host=host)
    desk.take(args[0], minutes=30)
    print(desk.hand(args[0], args[1], args[2]).uid, flush=True)
    desk.close()
elif action == "show":  # an open TUI showing a story, beating until it is killed
    board = open_presence(url, expiry=float(args[1]), host=host)
    board.show(args[0])
    print("shown", flush=True)
    while True:
        time.sleep(0.2)
        board.beat()
"""


def host_env(pg, name: str) -> dict[str, str]:
    """A host of its own: its own home and data folders."""
    home = pg.tmp / f"host-{name}"
    (home / "data").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"), "XDG_CONFIG_HOME": str(home / "config")}


def on_host(pg, user: str, action: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", HOST, pg.url_for(user), f"{user}-host", action, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=host_env(pg, user))


def finished(proc: subprocess.Popen[str]) -> list[str]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.splitlines()


@pytest.fixture
def desk(pg):
    """Opens PostgresDesk records as given roles; closes them afterwards."""
    opened: list[PostgresDesk] = []

    def open_as(user: str, host: str = "", **kw) -> PostgresDesk:
        pg.server.role(user)
        record = open_desk(pg.url_for(user), host=host or f"{user}-host", **kw)
        assert isinstance(record, PostgresDesk)
        opened.append(record)
        return record

    yield open_as
    for record in opened:
        record.close()


def arrives(record: PostgresDesk, test, limit: float = 10.0) -> float:
    """refresh() until `test()` holds; the moment it did (AssertionError after `limit`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        record.refresh()
        if test():
            return time.monotonic()
        time.sleep(0.005)
    raise AssertionError("never arrived")


# ---- identity --------------------------------------------------------------------------------------
def test_the_act_names_the_role_not_what_the_client_says(desk):
    ann, bob = desk("ann"), desk("bob")
    bob.take("b1", minutes=30)
    ann.user = "bob"  # a client that lies about who it is...
    taken = ann.take("a1", minutes=30)
    handed = ann.hand("a2", "cho", "check the figures")
    assert (taken.user, handed.sender) == ("ann", "ann")  # ...is named by its role all the same
    with pytest.raises(HeldError, match="taken by bob"):
        ann.take("b1", minutes=30)  # ...and bob's take is not hers to renew
    cho = desk("cho")
    assert [(a.kind, a.user) for a in cho.acts()] == [("take", "bob"), ("take", "ann"), ("handoff", "ann")]
    assert cho.acknowledge(handed.uid).seen_by == "cho"


def test_a_role_cannot_write_or_change_anothers_acts_or_presence_even_in_raw_sql(desk, pg):
    bob = desk("bob")
    for_bob = bob.hand("a1", "cho", "to cho")  # a hand-off neither ann nor bob may acknowledge
    to_desk = bob.hand("a5", DESK, "anyone")  # one anyone but bob may acknowledge
    bob.take("a2", minutes=30)
    bobs_board = PostgresPresence(pg.url_for("bob"), expiry=60, host="bob-host")
    bobs_board.show("a2")
    desk("ann")
    with psycopg.connect(pg.url_for("ann"), autocommit=True) as conn:
        for forged in (
                "INSERT INTO triage.desk_acts (uid, kind, article_id, who, until) VALUES "
                "('f1', 'take', 'a3', 'bob', now() + interval '1 hour')",
                "INSERT INTO triage.desk_acts (uid, kind, article_id, who, to_user) VALUES "
                "('f2', 'handoff', 'a3', 'bob', 'cho')",
                "INSERT INTO triage.desk_acts (uid, kind, article_id, who, ref) VALUES "
                f"('f3', 'ack', 'a1', 'cho', '{for_bob.uid}')",
                # in her own name, but of a hand-off that is cho's to acknowledge
                f"INSERT INTO triage.desk_acts (uid, kind, article_id, ref) VALUES ('f4', 'ack', 'a1', "
                f"'{for_bob.uid}')",
                "INSERT INTO triage.presence (who, host, pid, article_id) VALUES ('bob', 'h', 1, 'a3')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(forged)
        for statement in ("UPDATE triage.desk_acts SET who = 'ann'", "DELETE FROM triage.desk_acts"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # append-only for the desk
                conn.execute(statement)
        # bob's presence row is not hers: invisible to her UPDATE and DELETE
        assert conn.execute("UPDATE triage.presence SET article_id = 'x' WHERE who = 'bob'").rowcount == 0
        assert conn.execute("DELETE FROM triage.presence WHERE who = 'bob'").rowcount == 0
        # her own rows she may write, and only in her name
        row = conn.execute("INSERT INTO triage.desk_acts (uid, kind, article_id, until) VALUES "
                           "('own', 'take', 'a4', now() + interval '1 minute') RETURNING who").fetchone()
        assert row == ("ann",)
        # her own times are the server's: a take dated in the past, or for ten years, is not
        row = conn.execute("INSERT INTO triage.desk_acts (uid, kind, article_id, at, until) VALUES ('old', "
                           "'take', 'a6', '2001-01-01', now() + interval '10 years') RETURNING "
                           "now() - at < interval '1 minute', until - at <= interval '7 days'").fetchone()
        assert row == (True, True)
        conn.execute("INSERT INTO triage.presence (host, pid, article_id) VALUES ('ann-host', 7, 'a4')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE triage.presence SET who = 'bob' WHERE who = 'ann'")
    [bobs] = [s for s in bobs_board.seen() if s.user == "bob"]
    assert bobs.article_id == "a2"
    cho = desk("cho")
    assert [(a.uid, a.user) for a in cho.acts("a4")] == [("own", "ann")]
    assert {(t.article_id, t.user) for t in cho.takes()} == {("a2", "bob"), ("a4", "ann"), ("a6", "ann")}
    assert not cho.handoffs()[0].seen  # no forged acknowledgement landed
    with psycopg.connect(pg.url_for("bob"), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO triage.desk_acts (uid, kind, article_id, ref) "
                         f"VALUES ('f5', 'ack', 'a5', '{to_desk.uid}')")
    bobs_board.leave()


def test_a_member_who_may_create_functions_cannot_unstamp_her_own_times(desk, pg):
    """The stamping trigger runs as the member: with a schema she may create in (public, before
    PostgreSQL 15) put first on her search_path, a pg_has_role of her own would keep her times."""
    desk("ann")
    pg.server.sql("CREATE SCHEMA IF NOT EXISTS mine", pg.dbname)
    pg.server.sql("GRANT USAGE, CREATE ON SCHEMA mine TO ann", pg.dbname)
    with psycopg.connect(pg.url_for("ann"), autocommit=True) as conn:
        conn.execute("CREATE FUNCTION mine.pg_has_role(name, oid, text) RETURNS boolean "
                     "LANGUAGE sql AS 'SELECT true'")
        conn.execute("SET search_path = mine, pg_catalog")
        row = conn.execute("INSERT INTO triage.desk_acts (uid, kind, article_id, at, until) VALUES ('old', "
                           "'take', 'a6', '2001-01-01', now() + interval '10 years') RETURNING "
                           "now() - at < interval '1 minute', until - at <= interval '7 days'").fetchone()
    assert row == (True, True)


def test_nobody_acknowledges_or_removes_what_is_not_theirs(desk):
    ann, bob, cho = desk("ann"), desk("bob"), desk("cho")
    to_bob = ann.hand("a1", "bob", "yours")
    to_desk = ann.hand("a2", DESK, "anyone")
    with pytest.raises(NotYoursError, match="for bob"):
        cho.acknowledge(to_bob.uid)
    with pytest.raises(NotYoursError, match="a colleague"):
        ann.acknowledge(to_desk.uid)  # the sender does not acknowledge their own hand-off to the desk
    with pytest.raises(KeyError):
        cho.acknowledge("no-such-uid")
    assert cho.acknowledge(to_desk.uid).seen_by == "cho"
    assert bob.acknowledge(to_desk.uid).seen_by == "cho"  # seen once: a second ack is a no-op
    assert bob.acknowledge(to_bob.uid).seen_by == "bob"
    arrives(ann, lambda: [a.kind for a in ann.acts()].count("ack") == 2)  # the others' acts, on refresh()
    ann.add_watch("ukraine", "Ukraine OR Kyiv")
    with pytest.raises(NotYoursError, match="ann's"):
        bob.add_watch("ukraine", "Kiev")
    with pytest.raises(NotYoursError, match="ann's"):
        bob.remove_watch("ukraine")
    arrives(cho, lambda: [(w.query, w.owner) for w in cho.watches()] == [("Ukraine OR Kyiv", "ann")])
    assert ann.remove_watch("ukraine") is not None
    arrives(cho, lambda: cho.watches() == [])


def test_members_are_the_editor_roles_and_those_who_wrote(desk, pg):
    pg.server.sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'outsider') THEN "
                  "CREATE ROLE outsider LOGIN; END IF; "
                  "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'night_desk') THEN "
                  "CREATE ROLE night_desk NOLOGIN IN ROLE triage_desk; END IF; END $$")
    pg.server.sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eve') THEN "
                  "CREATE ROLE eve LOGIN IN ROLE night_desk; END IF; END $$")  # an editor through a group
    pg.server.sql("INSERT INTO triage.desk_acts (uid, kind, article_id, who, until) VALUES "
                  "('copied', 'take', 'z1', 'zoe', now())", pg.dbname)  # a copied act: zoe is no role
    ann = desk("ann")
    desk("bob")
    members = ann.members()
    assert {"ann", "bob", "eve", "zoe"} <= set(members) and members == sorted(members)
    assert not {"outsider", "night_desk", "triage_desk", pg.server.superuser} & set(members)


# ---- takes -----------------------------------------------------------------------------------------
def test_two_hosts_racing_for_a_story_exactly_one_wins_and_the_other_is_told_who(desk, pg):
    for user in ("ann", "bob"):
        pg.server.role(user)
    stories = [f"flash-{n}" for n in range(5)]
    barrier = pg.tmp / "go"
    hosts = [on_host(pg, user, "take", str(barrier), *stories) for user in ("ann", "bob")]
    for proc in hosts:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    # hold the desk's lock so that both hosts' first takes are queued behind it at the same moment
    with psycopg.connect(pg.server.url(pg.dbname, pg.server.superuser), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", DESK_LOCK)
        barrier.touch()
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE usename IN ('ann', 'bob') "
                   "AND wait_event_type = 'Lock'")
        deadline = time.monotonic() + 30
        while holder.execute(waiting).fetchone() != (2,) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert holder.execute(waiting).fetchone() == (2,), "both takes should wait on the lock"
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", DESK_LOCK)
    results = [json.loads(line) for proc in hosts for line in finished(proc)]
    cho = desk("cho")
    for story in stories:
        [won] = [r["won"] for r in results if r["article"] == story and "won" in r]
        [lost] = [r for r in results if r["article"] == story and "held" in r]
        assert lost["held"] == won and f"taken by {won} on {won}-host" in lost["said"]
        assert [t.user for t in cho.takes() if t.article_id == story] == [won]
        assert [a.user for a in cho.acts(story)] == [won]  # the loser wrote nothing


def test_a_take_renews_is_given_back_and_expires_by_the_servers_clock(desk):
    ann, bob = desk("ann"), desk("bob")
    first = ann.take("a1", minutes=30)
    again = ann.take("a1", minutes=60)  # taking it again renews it: the same take, a later end
    assert (again.uid, again.since) == (first.uid, first.since) and again.until > first.until
    assert ann.takes() == [again]
    assert bob.release("a1") is None  # not bob's to give back
    with pytest.raises(HeldError, match="ann"):
        bob.take("a1", minutes=30)
    decided = bob.take("a1", minutes=30, ended=lambda take: take.user == "ann")  # ann's was decided meanwhile
    assert decided.user == "bob"
    assert bob.release("a1").uid != again.uid and bob.takes() == []
    short = ann.take("a2", minutes=0.01)  # 0.6 s
    assert [t.article_id for t in ann.takes()] == ["a2"]
    time.sleep(1.0)
    assert ann.takes() == [] and bob.take("a2", minutes=30).user == "bob"
    assert short.until < bob.takes()[0].since
    arrives(ann, lambda: len(ann.acts()) == 6)
    assert [(a.kind, a.user) for a in ann.acts()] == [("take", "ann"), ("take", "ann"), ("take", "bob"),
                                                      ("release", "bob"), ("take", "ann"), ("take", "bob")]


def test_a_host_whose_clock_is_hours_wrong_still_sees_takes_end_by_the_servers(desk, monkeypatch):
    from datetime import timedelta

    from triage.store.pg import desk as pg_desk

    ann = desk("ann")
    right_now = pg_desk.host_now
    monkeypatch.setattr(pg_desk, "host_now", lambda: right_now() + timedelta(hours=2))
    ahead = desk("bob")  # its clock says two hours later than the server's
    ann.take("a1", minutes=30)
    arrives(ahead, lambda: bool(ahead.takes()))  # in force for it too, though its clock is past `until`
    with pytest.raises(HeldError, match="ann"):
        ahead.take("a1", minutes=30)
    mine = ahead.take("a2", minutes=30)
    assert mine.since[:13] == ann.takes()[0].since[:13]  # stamped by the server, not by its clock
    monkeypatch.setattr(pg_desk, "host_now", lambda: right_now() - timedelta(hours=2))
    behind = desk("cho")  # and this one's, two hours earlier
    ann.take("a3", minutes=0.01)
    arrives(behind, lambda: any(a.article_id == "a3" for a in behind.acts()))
    time.sleep(1.0)
    assert sorted(t.article_id for t in behind.takes()) == ["a1", "a2"]  # a3 ended by the server's clock


def test_a_reader_writes_nothing(desk):
    reader = desk("ann", read_only=True)
    with pytest.raises(StoreError, match="reading only"):
        reader.take("a1", minutes=30)
    assert reader.takes() == [] and reader.acts() == []


# ---- live across hosts -----------------------------------------------------------------------------
def test_another_hosts_take_and_hand_off_reach_refresh(desk, pg):
    ann = desk("ann")
    assert ann.refresh() is False
    pg.server.role("bob")
    [uid] = finished(on_host(pg, "bob", "hand", "b1", "ann", "over to you"))
    written = time.monotonic()
    seen = arrives(ann, lambda: any(h.uid == uid for h in ann.handoffs()))
    print(f"take + hand-off seen {1000 * (seen - written):.1f} ms after the other host's write returned")
    assert [(t.article_id, t.user, t.host) for t in ann.takes()] == [("b1", "bob", "bob-host")]
    assert [(h.sender, h.to, h.note) for h in ann.handoffs()] == [("bob", "ann", "over to you")]
    assert ann.refresh() is False


def test_refresh_without_news_asks_the_server_nothing(desk, pg):
    ann = desk("ann")
    ann.take("a1", minutes=30)  # its own notification: nothing to fetch for that either
    ann.refresh()
    assert quiet_refreshes(pg, ann.refresh, "ann", "triage desk") == 1


def test_a_notification_naming_an_id_far_ahead_costs_one_read_not_one_every_refresh(desk, pg):
    ann = desk("ann")
    desk("bob")
    with psycopg.connect(pg.url_for("bob"), autocommit=True) as conn:  # any role may NOTIFY
        conn.execute("SELECT pg_notify('triage_desk', '2000000000000000000')")
    time.sleep(0.2)
    ann.refresh()  # reads what is new (nothing): the notification is answered
    assert quiet_refreshes(pg, ann.refresh, "ann", "triage desk") == 1


def test_a_listener_that_was_terminated_reads_what_it_missed(desk, pg):
    ann = desk("ann")
    ann.take("a0", minutes=30)
    pg.server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'ann' "
                  "AND application_name = 'triage desk'")
    pg.server.role("bob")
    [uid] = finished(on_host(pg, "bob", "hand", "b1", "ann", "while you were away"))  # nobody listened
    written = time.monotonic()
    seen = arrives(ann, lambda: any(h.uid == uid for h in ann.handoffs()))
    print(f"after pg_terminate_backend: seen {1000 * (seen - written):.1f} ms after the write returned")
    assert ann.last_error == "" and [t.article_id for t in ann.takes()] == ["a0", "b1"]
    ann.release("a0")  # and it writes again
    assert [t.article_id for t in desk("cho").takes()] == ["b1"]


# ---- presence --------------------------------------------------------------------------------------
def test_a_schema_made_newer_mid_session_is_said_not_raised_by_refresh(desk, pg):
    ann = desk("ann")
    ann.take("a1", minutes=30)
    pg.server.sql("INSERT INTO triage.schema_migrations (version, name) VALUES (999, '999_later.sql')",
                  pg.dbname)
    pg.server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'ann'")
    deadline = time.monotonic() + 10
    while "newer triage" not in ann.last_error and time.monotonic() < deadline:
        assert ann.refresh() is False
        time.sleep(0.05)
    assert "newer triage" in ann.last_error and [t.article_id for t in ann.takes()] == ["a1"]
    with pytest.raises(StoreError, match="newer triage"):
        ann.take("a2", minutes=30)


def test_a_wrong_password_is_never_said(desk, pg, tmp_path, monkeypatch):
    from triage.store.api import DeskRecord, PresenceBoard

    pg.server.sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pw_editor') THEN "
                  "CREATE ROLE pw_editor LOGIN IN ROLE triage_desk; END IF; END $$")
    pg.server.sql("ALTER ROLE pw_editor PASSWORD 'Right-pw-1'")
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:pw_editor:Wrong-pw-9\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    url = pg.server.url(pg.dbname, "pw_editor")
    record, board = PostgresDesk(url), PostgresPresence(url, expiry=30)
    assert isinstance(record, DeskRecord) and isinstance(board, PresenceBoard)
    with pytest.raises(StoreError) as took:
        record.take("a1", minutes=5)
    with pytest.raises(StoreError) as shown:
        board.show("a1")
    for said in (record.last_error, str(took.value), str(shown.value)):
        assert "password authentication failed" in said
        assert "Wrong-pw-9" not in said and "Right-pw-1" not in said
    record.close()


def test_presence_show_seen_leave(pg):
    for user in ("ann", "bob"):
        pg.server.role(user)
    ann = open_presence(pg.url_for("ann"), expiry=30, host="h1")
    bob = open_presence(pg.url_for("bob"), expiry=30, host="h2")
    assert isinstance(ann, PostgresPresence)
    ann.show("a1")
    bob.show("")
    [first] = [s for s in bob.seen() if s.user == "ann"]
    assert (first.host, first.pid, first.article_id) == ("h1", os.getpid(), "a1")
    ann.beat()  # a beat keeps what is open and since when
    [beaten] = [s for s in bob.seen() if s.user == "ann"]
    assert beaten.since == first.since and beaten.beat > first.beat
    ann.show("a2")
    [moved] = [s for s in bob.seen() if s.user == "ann"]
    assert moved.article_id == "a2" and moved.since > first.since
    assert [s.user for s in ann.seen()] == ["ann", "bob"]
    ann.leave()
    assert [s.user for s in bob.seen()] == ["bob"]
    ann.beat()  # a timer's beat after leaving does not bring it back...
    assert [s.user for s in bob.seen()] == ["bob"]
    ann.show("a3")  # ...showing a story again does
    assert [(s.user, s.article_id) for s in bob.seen()] == [("ann", "a3"), ("bob", "")]
    ann.leave()
    bob.leave()
    assert pg.server.sql("SELECT count(*) FROM triage.presence", pg.dbname) == [(0,)]  # no history kept


def test_a_member_cannot_flood_the_desk_or_store_unbounded_text(desk, pg):
    from triage.store.pg.desk import MAX_PER_MEMBER

    desk("ann")
    bob = desk("bob")
    with psycopg.connect(pg.url_for("ann"), autocommit=True) as conn:
        conn.execute("INSERT INTO triage.presence (host, pid) SELECT 'h', g FROM generate_series(1, 500) g")
        for statement in ("INSERT INTO triage.presence (host, pid, article_id) "
                          "VALUES ('h', 0, repeat('x', 9999))",
                          "INSERT INTO triage.desk_acts (uid, kind, article_id, until) "
                          "VALUES ('long', 'take', repeat('x', 9999), now())",
                          "INSERT INTO triage.desk_acts (uid, kind, article_id, to_user, note) "
                          "VALUES ('long', 'handoff', 'a1', 'bob', repeat('x', 99999))"):
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(statement)
    board = PostgresPresence(pg.url_for("bob"), expiry=30, host="h2")
    board.show("b1")
    seen = board.seen()
    assert len([s for s in seen if s.user == "ann"]) == MAX_PER_MEMBER and ("bob", "b1") in {
        (s.user, s.article_id) for s in seen}
    with pytest.raises(ValueError):
        board.show("x" * 9999)
    with pytest.raises(ValueError):
        bob.hand("a1", "ann", "x" * 99999)
    with pytest.raises(ValueError):
        bob.hand("a1", "two words")
    assert bob.take("a1", minutes=5, title="T" * 5000).title == "T" * 1000  # a title is cut to fit
    board.leave()


def test_a_killed_tuis_presence_ages_out_by_the_servers_clock(pg):
    for user in ("ann", "bob"):
        pg.server.role(user)
    proc = on_host(pg, "bob", "show", "b7", "2")
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "shown"
        ann = PostgresPresence(pg.url_for("ann"), expiry=2, host="h1")
        assert [(s.user, s.article_id) for s in ann.seen()] == [("bob", "b7")]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert [s.user for s in ann.seen()] == ["bob"]  # not gone at once: it ages out
    deadline = time.monotonic() + 20
    while ann.seen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ann.seen() == []
    # a beat stamped in the future by hand counts for nothing: the server stamps it
    with psycopg.connect(pg.url_for("ann"), autocommit=True) as conn:
        conn.execute("INSERT INTO triage.presence (host, pid, article_id, beat) "
                     "VALUES ('h9', 9, 'a9', now() + interval '1 day')")
    deadline = time.monotonic() + 20
    while ann.seen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ann.seen() == []


# ---- faults ----------------------------------------------------------------------------------------
def one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text and text.endswith(".")
    return text


def test_the_server_stopped_and_started_mid_session(desk, pg, restart):
    ann, bob = desk("ann"), desk("bob")
    board = PostgresPresence(pg.url_for("ann"), expiry=30, host="h1")
    ann.take("a1", minutes=30)
    board.show("a1")
    restart.stop()
    with pytest.raises(StoreError) as failed:
        ann.take("a2", minutes=30)
    assert one_sentence(failed.value).startswith(pg.server.url(pg.dbname, "ann").split("?")[0])
    assert ann.last_error and [t.article_id for t in ann.takes()] == ["a1"]  # nothing changed
    with pytest.raises(StoreError) as failed:
        board.show("a2")
    one_sentence(failed.value)
    assert bob.refresh() is False and bob.last_error  # it says so, and keeps what it held
    restart.start()
    assert ann.take("a2", minutes=30).user == "ann"
    board.show("a2")
    assert [(s.user, s.article_id) for s in board.seen()] == [("ann", "a2")]
    arrives(bob, lambda: len(bob.takes()) == 2)
    assert bob.last_error == ""
    board.leave()


def test_a_write_refused_at_commit_leaves_nothing_behind(desk, pg):
    ann = desk("ann")
    pg.server.sql("CREATE FUNCTION triage.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.article_id = 'doomed' THEN RAISE EXCEPTION 'refused at commit'; END IF; "
                  "RETURN NULL; "
                  "END $$", pg.dbname)
    pg.server.sql("CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON triage.desk_acts DEFERRABLE INITIALLY "
                  "DEFERRED FOR EACH ROW EXECUTE FUNCTION triage.refuse()", pg.dbname)
    with pytest.raises(StoreError, match="refused at commit") as failed:
        ann.take("doomed", minutes=30)  # the row was inserted and read back; the COMMIT failed
    one_sentence(failed.value)
    assert ann.takes() == [] and ann.acts() == []  # nothing of it stays in what the record shows
    assert ann.take("fine", minutes=30).article_id == "fine"
    assert [a.article_id for a in ann.acts()] == ["fine"]


def test_a_restart_between_calls_costs_nothing(desk, pg, restart):
    ann = desk("ann")
    board = PostgresPresence(pg.url_for("ann"), expiry=30, host="h1")
    ann.take("a1", minutes=30)
    board.show("a1")
    restart.stop()
    restart.start()
    assert ann.take("a2", minutes=30).user == "ann"  # the dead connection is replaced, the write sent once
    board.show("a2")
    assert [(s.user, s.article_id) for s in board.seen()] == [("ann", "a2")]
    assert [a.article_id for a in desk("bob").acts()] == ["a1", "a2"]
    board.leave()


def test_the_server_down_at_start_opens_empty_and_says_why(desk, pg, restart):
    desk("ann").close()  # the role exists
    restart.stop()
    ann = desk("ann")
    assert ann.last_error and ann.takes() == []
    with pytest.raises(StoreError) as failed:
        ann.hand("a1", "bob")
    one_sentence(failed.value)
    restart.start()
    assert ann.hand("a1", "bob").sender == "ann" and ann.last_error == ""


# ---- moving a desk ---------------------------------------------------------------------------------
def triage(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    """The installed `triage` command."""
    command = str(Path(sys.executable).with_name("triage"))
    return subprocess.run([command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def a_desk(desk) -> PostgresDesk:
    """Takes (one renewed, one given back), hand-offs (one seen), watches (one removed); a reader."""
    ann, bob = desk("ann"), desk("bob")
    ann.take("a1", minutes=30)
    ann.take("a1", minutes=45)
    bob.take("b1", minutes=30)
    bob.release("b1")
    bob.acknowledge(ann.hand("a2", "bob", "the figures").uid)
    ann.hand("a3", DESK, "anyone")
    bob.add_watch("ukraine", "Ukraine OR Kyiv")
    ann.add_watch("old", "x")
    ann.remove_watch("old")
    reader = desk("cho")
    arrives(reader, lambda: len(reader.acts()) == 10)
    return reader


def test_store_copy_takes_a_desks_acts_into_postgresql_as_they_are_and_is_safe_twice(desk, pg, tmp_path,
                                                                                     monkeypatch):
    isolate(monkeypatch, tmp_path)
    source = a_desk(desk)
    other = pg.server.new_db()
    owner = pg.server.url(other, pg.server.superuser)  # writing others' names in: the owner's job
    first = triage("store", "copy", pg.url_for("cho"), owner, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Copied 10 of 10 desk act(s) (0 already there)." in first.stdout
    again = triage("store", "copy", pg.url_for("cho"), owner, cwd=tmp_path)
    assert again.returncode == 0 and "Copied 0 of 10 desk act(s)" in again.stdout
    moved = PostgresDesk(pg.server.url(other, "cho"))
    try:
        assert moved.acts() == source.acts()  # who, host, when, uid, what: all kept
        assert moved.takes() == source.takes() and moved.handoffs() == source.handoffs()
        assert moved.watches() == source.watches()
    finally:
        moved.close()


def test_store_copy_of_a_desk_is_refused_when_it_would_not_be_faithful(desk, pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    a_desk(desk)
    other = pg.server.new_db()
    editor = triage("store", "copy", pg.url_for("cho"), pg.server.url(other, "cho"), cwd=tmp_path)
    assert editor.returncode == 1 and "only the schema's owner may copy a desk's acts in" in editor.stderr
    pg.server.role("dee")
    there = PostgresDesk(pg.server.url(other, "dee"))
    try:
        there.add_watch("ukraine", "Kyiv")  # the destination's own watch of that name is dee's
        copied = triage("store", "copy", pg.url_for("cho"), pg.server.url(other, pg.server.superuser),
                        cwd=tmp_path)
        assert copied.returncode == 1
        said = "the desk's acts were not copied: here the desk watch 'ukraine' would not be bob's"
        assert said in copied.stderr
        assert len(copied.stderr.strip().splitlines()) == 1
        there.refresh()
        assert [a.user for a in there.acts()] == ["dee"]  # nothing was copied
    finally:
        there.close()
    back = triage("store", "copy", pg.url_for("cho"), str(tmp_path / "back.json"), cwd=tmp_path)
    assert back.returncode == 0 and "the desk's 10 act(s) (takes, hand-offs, watches) stay in" in back.stderr


@needs_root
def test_store_copy_takes_a_desk_folder_into_postgresql_with_each_members_acts_as_theirs(pg, tmp_path,
                                                                                      monkeypatch):
    """Two real uids on one host (root and 65534, through a forked child); the owner copies their desk."""
    from triage.store.decisions import DecisionStore

    isolate(monkeypatch, tmp_path)
    folder = shared_folder()
    try:
        db = folder / "decisions.json"
        DecisionStore(db, group_share=True, rescue_dirs=[tmp_path / "r"]).close()
        mine = open_desk(str(db), group_share=True)
        colleague = Remote(lambda: open_desk(str(db), group_share=True), uid=NOBODY, gid=NOBODY)
        try:
            mine.take("a1", minutes=30)
            mine.take("a1", minutes=45)  # renewed
            handed = colleague.hand("a2", mine.user, "the figures")
            colleague.take("b1", minutes=30)
            colleague.add_watch("ukraine", "Ukraine OR Kyiv")
            mine.refresh()
            mine.acknowledge(handed.uid)
            mine.hand("a3", DESK, "anyone")
            colleague.refresh()
            source_view = (colleague.acts(), colleague.takes(), colleague.handoffs(), colleague.watches())
        finally:
            colleague.stop()
        owner = pg.server.url(pg.dbname, pg.server.superuser)
        first = triage("store", "copy", str(db), owner, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "Copied 7 of 7 desk act(s) (0 already there)." in first.stdout
        again = triage("store", "copy", str(db), owner, cwd=tmp_path)
        assert again.returncode == 0 and "Copied 0 of 7 desk act(s)" in again.stdout
        moved = PostgresDesk(pg.url_for("cho"))
        try:
            assert (moved.acts(), moved.takes(), moved.handoffs(), moved.watches()) == source_view
            assert {a.user for a in moved.acts()} == {mine.user, colleague.user}  # each one's own
        finally:
            moved.close()
    finally:
        import shutil

        shutil.rmtree(folder.parent, ignore_errors=True)


def test_store_copy_of_a_desk_where_nothing_was_decided_yet_copies_its_acts(pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    db = tmp_path / "decisions.json"  # never made: nothing decided, but a story was taken
    mine = open_desk(str(db))
    taken = mine.take("a1", minutes=30)
    mine.close()
    copied = triage("store", "copy", str(db), pg.server.url(pg.dbname, pg.server.superuser), cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert "nothing decided there yet; only the desk's acts are copied" in copied.stderr
    assert "Copied 1 of 1 desk act(s) (0 already there)." in copied.stdout and not db.exists()
    moved = PostgresDesk(pg.url_for("cho"))
    try:
        assert moved.takes() == [taken]
    finally:
        moved.close()
