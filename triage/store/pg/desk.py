"""The desk on PostgreSQL: its record (PostgresDesk: takes, hand-offs, acknowledgements, desk watches)
and its presence (PostgresPresence), beside the decisions in the same database (migration 003).

* Acts are rows of ``triage.desk_acts``, appended and never changed; what is in force is read from
  them in id order. Who acted is the role that wrote the row (``who`` defaults to ``current_user`` and
  row-level security refuses any other name); the server's clock stamps each act and a take's end.
* A take is atomic across hosts by one advisory lock: every write of the desk takes
  ``pg_advisory_xact_lock(DESK_LOCK)``, reads the acts it has not seen yet, checks who holds the story
  and inserts, all in one transaction. Of two takes at the same moment the second waits for the first
  to commit, then sees it and gets HeldError naming the holder. (Desk writes are rare next to
  decisions, so one lock for the desk costs nothing, and it also makes ids commit in order: the table's
  own trigger takes it for raw inserts too, so `id > newest seen` misses no row.) A later take of a
  story supersedes an earlier one: triage writes it only when the earlier is over (given back,
  expired, or ended by the `ended` rule, which is the desk's to apply). A member who goes round triage
  with raw SQL can take a colleague's story over that way, but only in their own name, in the history.
* Live across hosts: an insert notifies ``triage_desk`` with the newest id. ``refresh()`` reads the
  connection's socket without a round trip and fetches rows only after a notification, on reconnecting
  (NOTIFY keeps nothing for a listener that was away) and every few seconds as a safety net.
* Faults: the server down at start is no error (the record opens empty, says why in ``last_error``,
  connects on the next call); a write that cannot be made raises StoreError in one sentence and changes
  nothing; a connection found dead (the server restarted) is replaced and the write sent again once,
  its uid making sure it lands once.
* Presence is a table without history: one row per (role, host, pid), upserted by each beat, stamped by
  the server's clock; rows older than the expiry are gone for every reader, so a killed TUI's row ages
  out. Each role changes only its own rows.
* Moving a desk in (`triage store copy`): ``append_acts`` writes another desk's acts in their authors'
  names, as the schema's owner only, and commits only when the table then reads as the source did.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import pq

from triage.infra.clock import datetime_key, utc_key
from triage.infra.sanitize import sanitize_line
from triage.model import DESK, DeskAct, Handoff, Seen, Take, Watch
from triage.store.deskstate import LIMITS, MAX_TAKE_MINUTES, check_name  # LIMITS: the table's CHECKs too
from triage.store.errors import HeldError, NewerSchemaError, NotYoursError, StoreError
from triage.store.pg import connect
from triage.store.pg.schema import SchemaMissingError

__all__ = ["CHANNEL", "DESK_LOCK", "LIMITS", "MAX_PER_MEMBER", "PostgresDesk", "PostgresPresence", "host_now"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the log file (infra.log) or nowhere: never logging's stderr fallback

T = TypeVar("T")
CHANNEL = "triage_desk"
DESK_LOCK = (0x7472, 3)  # pg_advisory_xact_lock keys every writer of triage.desk_acts takes
EDITOR_ROLE = "triage_desk"
MAX_PER_MEMBER = 64  # presence rows of one role shown at most (one who makes thousands shows these)
_MEMBERS_SECONDS = 30.0  # members() asks the server again after this long
_COLUMNS = "id, uid, kind, article_id, who, host, at, until, to_user, note, ref, title, story"
_CATCH_UP = (f"SELECT clock_timestamp(), a.* FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT {_COLUMNS} "
             f"FROM triage.desk_acts WHERE id > %s) AS a ON true ORDER BY a.id")
_INSERT = ("INSERT INTO triage.desk_acts (uid, kind, article_id, host, until, to_user, note, ref, title, "
           "story) VALUES (%s, %s, %s, %s, clock_timestamp() + %s::interval, %s, %s, %s, %s, %s) "
           f"ON CONFLICT (uid) DO NOTHING RETURNING {_COLUMNS}")
_APPEND = ("INSERT INTO triage.desk_acts (uid, kind, article_id, who, host, at, until, to_user, note, ref, "
           "title, story)")
_MEMBERS = (
    "WITH RECURSIVE desk(oid) AS (SELECT oid FROM pg_roles WHERE rolname = %s "
    "UNION SELECT m.member FROM pg_auth_members m JOIN desk ON m.roleid = desk.oid) "
    "SELECT rolname FROM pg_roles WHERE oid IN (SELECT oid FROM desk) AND rolcanlogin")


def _reason(exc: BaseException) -> str:
    return connect.reason(exc, "the server cancelled it (statement timeout: the desk was busy)")


def host_now() -> datetime:
    """This host's clock, which may be wrong: the desk only ever uses it corrected by the server's."""
    return datetime.now(UTC)


def _stamp(value: object) -> str:
    return datetime_key(value) if isinstance(value, datetime) else ""


@dataclass
class _Fold:
    """What the acts, read in id order, put in force: who holds each story, each hand-off with its
    acknowledgement, each desk watch. An act the rules do not allow (an ack by someone the hand-off was
    not for, a colleague's watch changed) stays in the history and changes nothing."""

    max_id: int = 0
    acts: list[DeskAct] = field(default_factory=list)
    holders: dict[str, Take] = field(default_factory=dict)
    handoffs: dict[str, Handoff] = field(default_factory=dict)
    watches: dict[str, Watch] = field(default_factory=dict)

    def add(self, row: Sequence[Any]) -> DeskAct | None:
        """Take in one row (id and the _COLUMNS after it); the act, or None for one held already."""
        row_id, uid, kind, article_id, who, host, at, until, to, note, ref, title, story = row
        if row_id <= self.max_id:
            return None
        self.max_id = row_id
        when = _stamp(at)
        act = DeskAct(kind=kind, article_id=article_id, user=who, at=when, host=host, to=to, note=note,
                      uid=uid, ref=ref, title=title, story=story)
        self.acts.append(act)
        held = self.holders.get(article_id)
        if kind == "take" and held is not None and held.user == who and ref and ref == held.uid:
            self.holders[article_id] = replace(held, until=_stamp(until), host=host)  # renewed: same take
        elif kind == "take":
            self.holders[article_id] = Take(article_id, who, host, when, _stamp(until), story, title, uid)
        elif kind == "release":
            if held is not None and held.user == who:
                del self.holders[article_id]
        elif kind == "handoff":
            self.handoffs[uid] = Handoff(uid, article_id, who, to, note, when, host, title, story)
        elif kind == "ack":
            handed = self.handoffs.get(ref)
            if handed is not None and not handed.seen and _addressed(handed, who):
                self.handoffs[ref] = replace(handed, seen_by=who, seen_at=when)
        elif kind == "watch":
            watch = self.watches.get(ref)
            if watch is None or watch.owner == who:
                self.watches[ref] = Watch(ref, note, who, True, when)
        elif kind == "unwatch":
            watch = self.watches.get(ref)
            if watch is not None and watch.owner == who:
                del self.watches[ref]
        return act

    def mark(self) -> tuple[int, int, dict[str, Take], dict[str, Handoff], dict[str, Watch]]:
        """The state now, to go back to when a write's transaction fails after taking its rows in."""
        return self.max_id, len(self.acts), dict(self.holders), dict(self.handoffs), dict(self.watches)

    def restore(self, mark: tuple[int, int, dict[str, Take], dict[str, Handoff], dict[str, Watch]]) -> None:
        self.max_id, count, self.holders, self.handoffs, self.watches = mark
        del self.acts[count:]

    def holder(self, article_id: str, now: str) -> Take | None:
        """The take of a story in force at `now` (server time), given back and expired ones not."""
        held = self.holders.get(article_id)
        return held if held is not None and held.until > now else None


class PostgresDesk:
    """The desk's durable record in a PostgreSQL database shared by a newsroom (see module docstring)."""

    def __init__(self, url: str, *, host: str | None = None, read_only: bool = False,
                 connect_timeout: float = 3.0) -> None:
        self.name, self._conninfo, self.user = connect.locate(url, connect_timeout, "triage desk")
        self._role = self.user
        self.host = host if host is not None else socket.gethostname()
        self._read_only = read_only
        self._mutex = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._fold = _Fold()
        self._mine: set[str] = set()  # uids this record wrote (news from others are the rest)
        self._heard = 0  # the newest id a notification named (news when above the newest held)
        self._unreported = False  # others' acts taken in since the last refresh()
        self._offset = timedelta(0)  # the server's clock minus this host's, at the last round trip
        self._health = connect.Health(log, "PostgreSQL desk")
        self._closed = False
        self._members: tuple[float, list[str]] = (0.0, [])
        with self._mutex:
            try:
                self._connect()
            except (NewerSchemaError, SchemaMissingError):
                raise  # the server answered: this database is not one this triage can use
            except psycopg.Error as exc:
                self._failed(exc)

    # ---- state the UI shows ----------------------------------------------------------------------
    @property
    def last_error(self) -> str:
        """The reason of the latest failed write or connection ("" after one that worked)."""
        return self._health.last_error

    @property
    def damage(self) -> str:
        """Rows are checked by the server's constraints: nothing is set aside."""
        return ""

    @property
    def connected(self) -> bool:
        """True while the record holds a working connection to the server."""
        return self._conn is not None and not self._conn.closed and not self._conn.broken

    # ---- the connection --------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._health.failed(f"{self.name}: {_reason(exc)}")
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self._drop()

    def _lost(self, exc: BaseException) -> None:
        self._failed(exc)
        self._drop()

    def _drop(self) -> None:
        connect.close_quietly(self._conn)
        self._conn = None

    def _connect(self) -> psycopg.Connection[Any]:
        """The working connection, connecting, listening and catching up first when there is none."""
        if self.connected:
            assert self._conn is not None
            return self._conn
        self._drop()
        conn, role = connect.open_checked(self._conninfo, self.name)
        try:
            conn.add_notify_handler(lambda note: self._note(note.payload))
            conn.execute(f"LISTEN {CHANNEL}")  # before catching up: nothing falls between the two
        except BaseException:
            conn.close()
            raise
        self._conn, self.user = conn, role or self.user
        self._role = self.user  # the server's word, whatever a caller later sets `user` to
        self._catch_up(conn)  # everything written while we were away: NOTIFY kept none of it
        self._health.checked(time.monotonic())
        return conn

    def _note(self, payload: str) -> None:
        row_id = connect.notified_id(payload)
        self._heard = max(self._heard, row_id if row_id is not None else 1 << 63)

    @property
    def _news(self) -> bool:
        return self._heard > self._fold.max_id

    def _listen(self) -> None:
        """Take in the notifications waiting on the socket (no round trip; raises when it is gone)."""
        for payload in connect.waiting_payloads(self._conn, "the connection"):
            self._note(payload)
        assert self._conn is not None
        if self._conn.pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError("the connection is gone")

    def _catch_up(self, conn: psycopg.Connection[Any]) -> None:
        """Take in the acts written since the newest one held; note when others' arrived."""
        self._heard = 0  # this read answers what was heard; a notification arriving during it is news again
        rows = conn.execute(_CATCH_UP, (self._fold.max_id,)).fetchall()
        if rows:
            self._offset = rows[0][0] - host_now()
        self._take_in(row[1:] for row in rows if row[1] is not None)

    def _take_in(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            act = self._fold.add(row)
            if act is not None and act.uid not in self._mine:
                self._unreported = True

    def _server_now(self) -> str:
        """Now by the server's clock (this host's clock corrected by the last round trip's reading)."""
        return datetime_key(host_now() + self._offset)

    # ---- writing ---------------------------------------------------------------------------------
    def _write(self, what: str, act: Callable[[psycopg.Connection[Any]], T]) -> T:
        """One desk write: lock, catch up, `act` (which checks and inserts), commit. A connection found
        dead on first use is replaced once and the write sent again (its uid lands once)."""
        with self._mutex:
            if self._closed:
                raise StoreError(f"{self.name}: the desk record is closed.")
            if self._read_only:
                raise StoreError(f"{self.name}: the desk record was opened for reading only.")
            for attempt in (1, 2):
                reused = self.connected
                mark = self._fold.mark()
                try:
                    try:
                        conn = self._connect()
                        with conn.transaction():
                            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", DESK_LOCK)
                            self._catch_up(conn)
                            result = act(conn)
                    except BaseException:
                        self._fold.restore(mark)  # rows the failed transaction took in were never written
                        self._heard = 1 << 63  # others' rows it read are read again by the next refresh
                        raise
                except psycopg.OperationalError as exc:
                    if attempt == 1 and reused and self._conn is not None and self._conn.broken:
                        self._drop()
                        continue
                    self._failed(exc)
                    raise StoreError(f"{self.name}: {what} was not saved ({_reason(exc)}).") from None
                except psycopg.Error as exc:
                    self._failed(exc)
                    raise StoreError(f"{self.name}: {what} was not saved ({_reason(exc)}).") from None
                self._health.worked()
                return result
            raise AssertionError("unreachable")

    def _insert(self, conn: psycopg.Connection[Any], uid: str, kind: str, article_id: str = "", *,
                seconds: float | None = None, to: str = "", note: str = "", ref: str = "", title: str = "",
                story: str = "") -> None:
        """Insert one act in the caller's transaction (lock held, caught up) and take it in; an act whose
        uid the table holds already (a write sent again) is left as it is."""
        _check_lengths(article_id=article_id, host=self.host, to=to, note=note, ref=ref, story=story)
        self._mine.add(uid)
        until = timedelta(seconds=seconds) if seconds is not None else None
        rows = conn.execute(_INSERT, (uid, kind, article_id, self.host, until, to, note, ref,
                                      title[:LIMITS["title"]], story)).fetchall()
        self._take_in(rows)

    def take(self, article_id: str, *, minutes: float, story: str = "", title: str = "",
             ended: Callable[[Take], bool] | None = None) -> Take:
        """Take a story for this role for `minutes` (again: renewed); HeldError naming the holder when a
        colleague's take is in force (see module docstring: atomic across hosts)."""
        if not article_id:
            raise ValueError("take: no story given")
        if not 0 < minutes <= MAX_TAKE_MINUTES:
            raise ValueError(f"a take lasts more than 0 and at most {MAX_TAKE_MINUTES} minutes")
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Take:
            held = self._fold.holder(article_id, self._server_now())
            if held is not None and ended is not None and ended(held):
                held = None  # over although in force (decided since): a new take, not a renewal
            if held is not None and held.user != self._role:
                raise HeldError(_held_sentence(held), held)
            renewed = held.uid if held is not None else ""
            self._insert(conn, uid, "take", article_id, seconds=minutes * 60.0, ref=renewed, story=story,
                         title=title)
            taken = self._fold.holders.get(article_id)
            assert taken is not None
            return taken

        return self._write("the take", act)

    def release(self, article_id: str) -> Take | None:
        """Give back this role's take of a story; the take given back (None: none of mine in force)."""
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Take | None:
            held = self._fold.holder(article_id, self._server_now())
            if held is None or held.user != self._role:
                return None
            self._insert(conn, uid, "release", article_id, ref=held.uid, story=held.story, title=held.title)
            return held

        return self._write("giving the story back", act)

    def hand(self, article_id: str, to: str, note: str = "", *, story: str = "",
             title: str = "") -> Handoff:
        """Hand a story on to a colleague (a role name) or to the desk (model.DESK), with a note."""
        if not article_id:
            raise ValueError("hand: no story given")
        check_name(to, "the colleague's name")
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Handoff:
            self._insert(conn, uid, "handoff", article_id, to=to, note=note, story=story,
                         title=title)
            return self._fold.handoffs[uid]

        return self._write("the hand-off", act)

    def acknowledge(self, handoff_uid: str) -> Handoff:
        """Say this role has seen a hand-off addressed to it or to the desk; the hand-off as it stands.
        Again: a no-op. NotYoursError for one addressed to another; KeyError for an unknown uid."""
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Handoff:
            handed = self._fold.handoffs.get(handoff_uid)
            if handed is None:
                raise KeyError(handoff_uid)
            if not _addressed(handed, self._role):
                whom = "a colleague on the desk" if handed.to == DESK else handed.to
                raise NotYoursError(f"{self.name}: the hand-off of {handed.article_id} by {handed.sender} is "
                                    f"for {whom}, so only they acknowledge it.")
            if not handed.seen:
                self._insert(conn, uid, "ack", handed.article_id, ref=handoff_uid, story=handed.story,
                             title=handed.title)
            return self._fold.handoffs[handoff_uid]

        return self._write("the acknowledgement", act)

    def add_watch(self, name: str, query: str) -> Watch:
        """Add (or change, when it is this role's) a desk watch; NotYoursError for a colleague's."""
        check_name(name, "the watch's name", watch=True)
        if not query.strip():
            raise ValueError("a watch needs a query")
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Watch:
            watch = self._fold.watches.get(name)
            if watch is not None and watch.owner != self._role:
                raise NotYoursError(f"{self.name}: the desk watch {name!r} is {watch.owner}'s; pick another "
                                    f"name.")
            if watch is None or watch.query != query:
                self._insert(conn, uid, "watch", ref=name, note=query)
            return self._fold.watches[name]

        return self._write("the watch", act)

    def remove_watch(self, name: str) -> Watch | None:
        """Remove this role's desk watch of that name (None: none); NotYoursError for a colleague's."""
        uid = _new_uid()

        def act(conn: psycopg.Connection[Any]) -> Watch | None:
            watch = self._fold.watches.get(name)
            if watch is None:
                return None
            if watch.owner != self._role:
                raise NotYoursError(f"{self.name}: the desk watch {name!r} is {watch.owner}'s; only they "
                                    f"remove it.")
            self._insert(conn, uid, "unwatch", ref=name)
            return watch

        return self._write("removing the watch", act)

    def append_acts(self, acts: Sequence[DeskAct], *, takes: Sequence[Take] = (),
                    handoffs: Sequence[Handoff] = (), watches: Sequence[Watch] = ()) -> int:
        """Append another desk's acts as they are (who, host, time and uid kept), skipping uids the table
        holds: moving a desk in (`triage store copy`). `takes`, `handoffs` and `watches` are what the
        source says is in force: a take's end comes from them (a take over there ends at its own time
        here), and the copy is committed only when this table then says the same of each, else nothing
        is copied and StoreError says what would differ. Only the schema's owner may write others' names
        and keep their times; StoreError for anyone else. How many acts were added."""
        ends = {t.uid: t.until for t in takes}
        rows = []
        for act in acts:
            if act.kind == "take":
                until = ends.get(act.uid) or ends.get(act.ref) or act.at
            else:
                until = None
            rows.append((act.uid, act.kind, act.article_id, act.user, act.host, act.at, until, act.to,
                         act.note, act.ref, act.title, act.story))
        with self._mutex:
            try:
                conn = self._connect()
                owner = conn.execute("SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class "
                                     "WHERE oid = 'triage.desk_acts'::regclass").fetchone()
                if not owner or not owner[0]:
                    raise StoreError(f"{self.name}: only the schema's owner may copy a desk's acts in (an "
                                     f"editor writes in their own name and at the server's time only).")
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", DESK_LOCK)
                    self._catch_up(conn)
                    trial = deepcopy(self._fold)
                    added: list[Sequence[Any]] = []
                    for start in range(0, len(rows), 500):
                        chunk = rows[start:start + 500]
                        values = ", ".join(["(" + ", ".join(["%s"] * 12) + ")"] * len(chunk))
                        query = (_APPEND + f" VALUES {values} ON CONFLICT (uid) DO NOTHING "
                                 f"RETURNING {_COLUMNS}")
                        added += conn.execute(query.encode(), [v for row in chunk for v in row]).fetchall()
                    for row in sorted(added, key=lambda r: r[0]):
                        trial.add(row)
                    differs = _differs(trial, takes, handoffs, watches)
                    if differs:
                        raise StoreError(f"{self.name}: the desk's acts were not copied: here {differs}.")
            except psycopg.Error as exc:
                self._failed(exc)
                raise StoreError(f"{self.name}: the desk's acts were not copied ({_reason(exc)}).") from None
            self._fold = trial
            self._health.worked()
            return len(added)

    # ---- reading ---------------------------------------------------------------------------------
    def takes(self) -> list[Take]:
        """The takes in force now by the server's clock, oldest first; at most one per story."""
        with self._mutex:
            now = self._server_now()
            return sorted((t for t in self._fold.holders.values() if t.until > now), key=lambda t: t.since)

    def handoffs(self, *, since: str = "") -> list[Handoff]:
        """Hand-offs (at or after `since`, UTC ISO; "": all) with their acknowledgement, oldest first."""
        start = utc_key(since) if since else ""
        with self._mutex:
            return [h for h in self._fold.handoffs.values() if h.at >= start]

    def watches(self) -> list[Watch]:
        """The desk's watches, by name."""
        with self._mutex:
            return sorted(self._fold.watches.values(), key=lambda w: w.name)

    def acts(self, article_id: str | None = None, *, since: str = "") -> list[DeskAct]:
        """The desk's history (of one story, or all; at or after `since`), oldest first."""
        start = utc_key(since) if since else ""
        with self._mutex:
            return [a for a in self._fold.acts
                    if (article_id is None or a.article_id == article_id) and a.at >= start]

    def members(self) -> list[str]:
        """The login roles granted the editor role (directly or through another role) and everyone who
        wrote a desk act; sorted. The roles are asked again after a while (the last answer while the
        server is away); the writers are those of the acts held."""
        with self._mutex:
            asked, roles = self._members
            if not roles or time.monotonic() - asked >= _MEMBERS_SECONDS:
                try:
                    rows = self._connect().execute(_MEMBERS, (EDITOR_ROLE,)).fetchall()
                    roles = [str(r[0]) for r in rows if r[0]]
                    self._members = (time.monotonic(), roles)
                except (psycopg.Error, StoreError) as exc:
                    self._failed(exc)
            return sorted({*roles, *(a.user for a in self._fold.acts)})

    def refresh(self) -> bool:
        """Take in what others wrote; True if anything arrived. Cheap when nothing changed: a read of
        the connection's socket, no round trip. Never waits for a write in progress on another thread."""
        return connect.refresh_without_waiting(self._mutex, closed=lambda: self._closed,
                                               step=self._refresh_step, failed=self._lost,
                                               news=self._take_news)

    def _refresh_step(self, now: float) -> None:
        if not self.connected:
            if self._health.may_try(now):
                self._connect()  # catches up on connecting
                self._health.worked()
            return
        self._listen()
        if self._news or self._health.check_due(now):
            assert self._conn is not None
            self._catch_up(self._conn)  # one statement (autocommit)
            self._health.checked(now)

    def _take_news(self) -> bool:
        news, self._unreported = self._unreported, False
        return news

    def close(self) -> None:
        """Close the connection (every write was durable when it returned: nothing is pending)."""
        with self._mutex:
            self._closed = True
            self._drop()


class PostgresPresence:
    """Who is on the desk now, in ``triage.presence`` (see module docstring): short-lived, never in any
    history. Calls raise StoreError in one sentence while the server is away, and reconnect after."""

    def __init__(self, url: str, *, expiry: float, host: str | None = None,
                 connect_timeout: float = 3.0) -> None:
        self.name, self._conninfo, self.user = connect.locate(url, connect_timeout, "triage desk")
        self.host = host if host is not None else socket.gethostname()
        self.expiry = float(expiry)
        self.pid = os.getpid()
        self._article = ""
        self._left = False
        self._mutex = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._health = connect.Health(log, "PostgreSQL presence")

    @property
    def last_error(self) -> str:
        """The reason of the latest failed call ("" after one that worked)."""
        return self._health.last_error

    def _run(self, what: str, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement on the connection (made, or replaced once when found dead); StoreError."""
        with self._mutex:
            for attempt in (1, 2):
                reused = self._conn is not None and not self._conn.closed and not self._conn.broken
                try:
                    if not reused:
                        self._close()
                        self._conn, role = connect.open_checked(self._conninfo, self.name)
                        self.user = role or self.user
                        self._conn.execute(  # this role's rows from TUIs that died: gone for good
                            "DELETE FROM triage.presence WHERE who = current_user "
                            "AND beat < clock_timestamp() - make_interval(secs => %s)", (self.expiry,))
                    assert self._conn is not None
                    cur = self._conn.execute(statement, params)
                    rows = cur.fetchall() if cur.description else []
                except psycopg.OperationalError as exc:
                    if attempt == 1 and reused and self._conn is not None and self._conn.broken:
                        self._close()
                        continue
                    return self._fail(what, exc)
                except psycopg.Error as exc:
                    return self._fail(what, exc)
                self._health.worked()
                return rows
            raise AssertionError("unreachable")

    def _fail(self, what: str, exc: psycopg.Error) -> list[Any]:
        error = f"{self.name}: {what} ({_reason(exc)})."
        self._health.failed(error)
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self._close()
        raise StoreError(error) from None

    def _close(self) -> None:
        connect.close_quietly(self._conn)
        self._conn = None

    def show(self, article_id: str) -> None:
        """What this TUI has open now ("": nothing); also a beat (and a return after leave())."""
        if type(article_id) is not str or len(article_id) > LIMITS["article_id"]:
            raise ValueError(f"an article id is text of at most {LIMITS['article_id']} characters")
        self._article, self._left = article_id, False
        self._run("presence not shown",
                  "INSERT INTO triage.presence (host, pid, article_id) VALUES (%s, %s, %s) "
                  "ON CONFLICT (who, host, pid) DO UPDATE SET article_id = EXCLUDED.article_id",
                  (self.host, self.pid, article_id))

    def beat(self) -> None:
        """This TUI is still here (the server stamps the time); nothing after leave() until show()."""
        if not self._left:
            self.show(self._article)

    def seen(self) -> list[Seen]:
        """Everyone present now by the server's clock, this TUI included, by user."""
        rows = self._run("presence not read",
                         "SELECT who, host, pid, article_id, since, beat FROM (SELECT *, row_number() OVER "
                         "(PARTITION BY who ORDER BY beat DESC) AS n FROM triage.presence WHERE beat > "
                         "clock_timestamp() - make_interval(secs => %s)) AS live WHERE n <= %s "
                         "ORDER BY who, host, pid", (self.expiry, MAX_PER_MEMBER))
        return [Seen(str(who), str(host), int(pid), str(article), _stamp(since), _stamp(beat))
                for who, host, pid, article, since, beat in rows]

    def leave(self) -> None:
        """This TUI leaves the desk: its row goes at once, and the connection is closed."""
        self._left = True
        try:
            self._run("leaving the desk failed",
                      "DELETE FROM triage.presence WHERE who = current_user AND host = %s AND pid = %s",
                      (self.host, self.pid))
        finally:
            with self._mutex:
                self._close()


def _addressed(handed: Handoff, user: str) -> bool:
    """True when `user` may acknowledge the hand-off: its addressee, or anyone on the desk but its sender
    for one handed to the desk (the same rule as the table's row-level security)."""
    return handed.to == user or (handed.to == DESK and user != handed.sender)


def _check_lengths(**fields: str) -> None:
    """ValueError for a field longer than the table takes (a title is cut to fit instead)."""
    for key, value in fields.items():
        if len(value) > LIMITS[key]:
            raise ValueError(f"{key} is longer than {LIMITS[key]} characters")


def _differs(fold: _Fold, takes: Sequence[Take], handoffs: Sequence[Handoff],
             watches: Sequence[Watch]) -> str:
    """What the fold says otherwise than a source's takes, hand-offs and watches ("" when nothing)."""
    for take in takes:
        held = fold.holders.get(take.article_id)
        if held is None or (held.user, held.uid, held.until) != (take.user, take.uid, take.until):
            return f"the take of {take.article_id} would not be {take.user}'s until {take.until}"
    for handoff in handoffs:
        found = fold.handoffs.get(handoff.uid)
        if found is None or (found.sender, found.to, found.seen_by, found.seen_at) != (
                handoff.sender, handoff.to, handoff.seen_by, handoff.seen_at):
            return f"the hand-off of {handoff.article_id} by {handoff.sender} would read differently"
    for watch in watches:
        found_watch = fold.watches.get(watch.name)
        if found_watch is None or (found_watch.owner, found_watch.query) != (watch.owner, watch.query):
            return f"the desk watch {watch.name!r} would not be {watch.owner}'s"
    return ""


def _new_uid() -> str:
    return "desk-" + secrets.token_hex(10)


def _held_sentence(held: Take) -> str:
    until = held.until[11:16] if len(held.until) >= 16 else held.until
    where = f" on {sanitize_line(held.host)}" if held.host else ""
    return (f"{sanitize_line(held.title or held.article_id)} is taken by {sanitize_line(held.user)}{where} "
            f"until {until} UTC.")
