"""PostgresStore: the decision record in PostgreSQL, with the semantics of the TinyDB file store.

* Events are rows of ``triage.events``, appended and never changed; their order is the ``id`` the
  server gives. Every write is one transaction that first takes an advisory lock, so ids commit in
  order and a reader that asks for ``id > newest seen`` misses nothing; under that lock the store
  reads what others wrote before it builds the events (undo and undo_own act on fresh history).
* Who acted is the role that wrote the row: the insert leaves ``username`` to the column's default
  (``current_user``) and row-level security refuses any other name.
* Every event has a unique ``uid`` (a unique column): a write whose fate is unknown (a connection cut
  during COMMIT) is simply sent again, ``ON CONFLICT (uid) DO NOTHING``, and lands exactly once.
* A write that cannot be made durable (server down, restarted, connection cut, statement timeout)
  keeps its events pending in memory, shown by current() and history(), retried on the next write,
  refresh(), retry_pending() and close(); rescue() moves them to a rescue file, replayed once by uid
  when a later store first reaches the server.
* The server down at start is no error: the store opens empty, says why in ``last_error`` and
  connects on the next write or refresh().
* A mirror of the events in memory answers every read. ``refresh()`` reads the LISTEN connection's
  socket without a round trip and fetches new rows only after a notification, on reconnecting (NOTIFY
  keeps nothing for a listener that was away) and every few seconds as a safety net.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import psycopg
from psycopg import errors as pg_errors

from triage.infra.sanitize import sanitize_line
from triage.model import Decision, DecisionEvent
from triage.store.errors import NewerSchemaError, PendingWriteError, StoreError
from triage.store.events import (
    EVENT_KEYS,
    to_doc,
    to_event,
)
from triage.store.pg.connect import (
    Health,
    close_quietly,
    locate,
    notified_id,
    open_checked,
    reason,
    refresh_without_waiting,
    waiting_payloads,
)
from triage.store.pg.conninfo import rescue_key
from triage.store.pg.mirror import SELECT, ServerMirror, row_doc
from triage.store.pg.schema import SchemaMissingError
from triage.store.query import EventQuery
from triage.store.replay import Rescuer, pick_new
from triage.store.rescue import (
    ReplayReport,
    RescueResult,
    Waiting,
    default_rescue_dirs,
)
from triage.store.writing import DecisionWriter

__all__ = ["PostgresStore"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # the log file (infra.log) or nowhere: never logging's stderr fallback

Doc = dict[str, Any]
CHANNEL = "triage_events"
WRITE_LOCK = (0x7472, 1)  # pg_advisory_xact_lock keys every writer of triage.events takes
_COLUMNS = ("uid", "article_id", "decision", "note", "host", "at", "title", "source", "url", "action",
            "batch", "version", "urgency", "slugline", "wire_version", "story")


def _reason(exc: BaseException) -> str:
    return reason(exc, "the server cancelled the write (statement timeout)")


def _busy(exc: BaseException) -> bool:
    return isinstance(exc, (pg_errors.QueryCanceled, pg_errors.LockNotAvailable))


class PostgresStore(DecisionWriter):
    """Decision events in a PostgreSQL database shared by a newsroom (see module docstring)."""

    def __init__(self, url: str, *, host: str | None = None,
                 rescue_dirs: Sequence[str | os.PathLike[str]] | None = None, replay: bool = True,
                 connect_timeout: float = 3.0, read_only: bool = False) -> None:
        super().__init__()
        self.name, self._conninfo, self.user = locate(url, connect_timeout, "triage")
        self.host = host if host is not None else socket.gethostname()
        dirs = rescue_dirs if rescue_dirs is not None else default_rescue_dirs()
        self.rescue_dirs = [Path(d) for d in dirs]
        self._rescue_path = self.rescue_dirs[0] / rescue_key(url)
        self._mutex = threading.RLock()
        self._log = ServerMirror(self._fetch)
        self._recent: dict[str, Doc] = {}  # the rows the last write inserted, by uid
        self._events: dict[str, tuple[Doc, DecisionEvent]] = {}  # article id -> its latest doc, as an event
        self._conn: psycopg.Connection[Any] | None = None
        self._listen: psycopg.Connection[Any] | None = None
        self._health = Health(log, "PostgreSQL store")
        self._lock_busy = False
        self._unreported = False
        self._closed = False
        self._inflight: list[Doc] = []  # events being written right now (seen by rescue())
        self._built = False  # the write in progress has built its events
        self._want_replay = replay and not read_only
        self._read_only = read_only  # a reader: never replays, never writes
        self.replayed: ReplayReport | None = None
        self._rescuer = Rescuer(self._rescue_path, self.rescue_dirs[1:], mutex=self._mutex, log=self._log,
                                inflight=lambda: self._inflight, who=lambda: (self.user, self.host),
                                make_parent=True)
        self._opened = False  # True once __init__ is over: a first connection later is a late one
        with self._mutex:
            try:
                self._connect()
            except (NewerSchemaError, SchemaMissingError):
                raise  # the server answered: this database is not one this triage can use
            except (psycopg.Error, StoreError) as exc:
                self._failed(exc)
            self._opened = True

    # ---- state the UI shows ----------------------------------------------------------------------
    @property
    def last_error(self) -> str:
        """The reason of the latest failed write or connection ("" after one that worked)."""
        return self._health.last_error

    @property
    def lock_busy(self) -> bool:
        """True when that failure was contention (another writer held the lock past the timeout)."""
        return self._lock_busy

    @property
    def damage(self) -> str:
        """Rows are checked by the server's constraints and again on reading: nothing is set aside."""
        return ""

    @property
    def pending(self) -> int:
        """Events accepted in memory but not yet durable (they are retried)."""
        return len(self._log.pending)

    def waiting_rescue(self) -> Waiting:
        """This user's rescue files for this server that no start has replayed yet."""
        return self._rescuer.waiting()

    @property
    def connected(self) -> bool:
        """True while the store holds a working connection to the server."""
        return self._conn is not None and not self._conn.closed

    # ---- the connections -------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._health.failed(f"{self.name}: {_reason(exc)}")
        self._lock_busy = _busy(exc)
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self._drop()

    def _worked(self) -> None:
        self._health.worked()
        self._lock_busy = False

    def _lost(self, exc: BaseException) -> None:
        self._failed(exc)
        self._drop()

    def _drop(self) -> None:
        for conn in (self._conn, self._listen):
            close_quietly(conn)
        self._conn = self._listen = None

    def _connect(self) -> psycopg.Connection[Any]:
        """The working connection, connecting (and catching up, replaying) first when there is none."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self._drop()
        conn, role = open_checked(self._conninfo, self.name)
        try:
            listen = psycopg.connect(self._conninfo, autocommit=True)
            listen.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            conn.close()
            raise
        self._conn, self._listen = conn, listen
        self.user = role or self.user
        self._catch_up(conn)  # everything written while we were away: NOTIFY kept none of it
        self._health.checked(time.monotonic())
        if self._want_replay:
            self._want_replay = False
            self.replayed = self._replay(conn)
        return conn

    def _catch_up(self, conn: psycopg.Connection[Any]) -> bool:
        """Take in the rows written since the newest one held; True if any came from others. The first
        time only the newest id is read: older rows are read when asked for (mirror.py)."""
        if not self._log.started:
            row = conn.execute("SELECT coalesce(max(id), 0) FROM triage.events").fetchone()
            newest = int(row[0]) if row else 0
            self._log.start(newest)
            # Opened while the server was away, a reader was told "nothing decided": what the server
            # holds is news to it now (the TUI's list reloads), not history it already has.
            arrived = self._opened and newest > 0
            self._unreported = self._unreported or arrived
            return arrived
        rows = conn.execute(SELECT + " WHERE id > %s ORDER BY id", (self._log.max_id,)).fetchall()
        return self._take(rows, own=set())

    def _fetch(self, query: str, params: Sequence[Any]) -> list[Sequence[Any]] | None:
        """The mirror's reads, on the working connection (in a write, inside its transaction); None when
        there is none (a read never waits to connect) or it fails."""
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            return None
        try:
            return conn.execute(query, params).fetchall()
        except psycopg.Error as exc:
            if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise  # inside a write's transaction: the write fails and keeps its events pending
            self._failed(exc)
            return None

    def _take(self, rows: Iterable[Sequence[Any]], own: set[str]) -> bool:
        others = False
        pending = {d["uid"]: d for d in self._log.pending}
        for row in rows:
            found = row_doc(row)
            if found is None or found[0] <= self._log.max_id:
                continue
            row_id, doc = found
            self._log.add(row_id, doc)
            if doc["uid"] in pending:  # a retried write that had landed after all: kept once
                self._log.pending.remove(pending.pop(doc["uid"]))
            elif doc["uid"] not in own:
                others = True
        self._unreported = self._unreported or others
        return others

    def _listener_news(self) -> bool:
        """True when a notification names a row newer than those held (no round trip; raises if gone)."""
        payloads = waiting_payloads(self._listen, "the notification connection")
        ids = [notified_id(payload) for payload in payloads]
        return any(row_id is None or row_id > self._log.max_id for row_id in ids)

    # ---- writing ---------------------------------------------------------------------------------
    def _insert(self, conn: psycopg.Connection[Any], docs: list[Doc]) -> list[tuple[int, Doc]]:
        """Insert events (lock held, in the caller's transaction); those new to the table as (id, doc),
        each doc naming the user the server recorded. A uid already there is left as it is."""
        if not docs:
            return []
        row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
        query = (f"INSERT INTO triage.events ({', '.join(_COLUMNS)}) VALUES "
                 + ", ".join([row] * len(docs)) + " ON CONFLICT (uid) DO NOTHING RETURNING id, uid, username")
        values = [doc.get(key) for doc in docs for key in _COLUMNS]
        by_uid = {doc["uid"]: doc for doc in docs}
        rows = conn.execute(query.encode(), values).fetchall()
        return sorted((row_id, {**by_uid[uid], "user": user}) for row_id, uid, user in rows)

    def _commit_local(self, written: list[tuple[int, Doc]], *, settled: bool = True) -> None:
        """After a commit: the rows just written into the mirror; with `settled` nothing is pending any
        more (each pending event was inserted, or found already there by its uid)."""
        self._recent = {doc["uid"]: doc for _, doc in written}
        for row_id, doc in written:
            if row_id > self._log.max_id:
                self._log.add(row_id, doc)
        if settled:
            self._log.pending = []

    def _transact(self, build: Callable[[], list[Doc]]) -> list[Doc]:
        """One write: lock, catch up, build, insert pending + built, commit. A connection found dead
        on first use (the server restarted meanwhile) is replaced once: the write is sent again, and
        its uids make sure it lands once."""
        docs: list[Doc] | None = None  # built once: a second attempt sends the same events (same uids)
        for attempt in (1, 2):
            reused = self.connected
            conn = self._connect()
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", WRITE_LOCK)
                    self._catch_up(conn)
                    if docs is None:
                        docs = self._inflight = build()
                        self._built = True
                    written = self._insert(conn, self._log.pending + docs)
            except psycopg.OperationalError:
                if attempt == 2 or not reused or not conn.broken:
                    raise
                self._drop()
                continue
            self._commit_local(written)
            return docs
        raise AssertionError("unreachable")

    def _write(self, build: Callable[[], list[Doc]]) -> list[DecisionEvent]:
        """Build events from fresh state under the server's lock; durable, or pending when that fails."""
        with self._mutex:
            if self._closed:
                raise StoreError(f"{self.name}: the decision store is closed.")
            if self._read_only:
                raise StoreError(f"{self.name}: the decision store was opened for reading only.")
            self._built = False
            try:
                docs = self._transact(build)
            except (psycopg.Error, StoreError) as exc:
                docs = self._inflight if self._built else build()
                self._log.pending.extend(docs)
                self._failed(exc)
                raise PendingWriteError(
                    f"{self.name}: decision not saved yet ({_reason(exc)}); {len(self._log.pending)} kept in "
                    f"memory and retried.", [to_event(d) for d in docs]) from exc
            finally:
                self._inflight = []
            self._worked()
            return [to_event(d) for d in self._written(docs)]

    def _written(self, docs: list[Doc]) -> list[Doc]:
        """The mirror's copies of `docs` (the server named their user), in the order given."""
        out = []
        for doc in docs:
            latest = self._recent.get(doc["uid"]) or self._log.latest(doc["article_id"])
            out.append(latest if latest is not None and latest["uid"] == doc["uid"] else doc)
        return out

    def retry_pending(self) -> int:
        """Try to write pending events now; returns how many are still pending (0: all saved)."""
        with self._mutex:
            if not self._log.pending or self._closed:
                return len(self._log.pending)
            try:
                self._transact(list)
                self._worked()
            except (psycopg.Error, StoreError) as exc:
                self._failed(exc)
            return len(self._log.pending)

    def append_events(self, events: Sequence[DecisionEvent]) -> int:
        """Append events as they are (user, host, at and uid kept), skipping uids the table holds:
        moving a desk's history in (`triage store copy`). Only the schema's owner may write other
        editors' names (row-level security); StoreError otherwise. How many were added."""
        docs = [to_doc(e) for e in events]
        with self._mutex:
            try:
                conn = self._connect()
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", WRITE_LOCK)
                    columns = ("username", *_COLUMNS)
                    added = 0
                    for start in range(0, len(docs), 1000):
                        chunk = docs[start:start + 1000]
                        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
                        query = (f"INSERT INTO triage.events ({', '.join(columns)}) VALUES "
                                 + ", ".join([row] * len(chunk)) + " ON CONFLICT (uid) DO NOTHING")
                        values = [(d["user"] or self.user) if key == "username" else d.get(key)
                                  for d in chunk for key in columns]
                        cur = conn.execute(query.encode(), values)
                        added += max(cur.rowcount, 0)
                    # A uid the table held already must be the same event: a member may have put a row
                    # of their own under a colleague's uid (uids are readable in the shared file), and
                    # skipping it would keep theirs in place of the colleague's. Checked in the same
                    # transaction: any difference rolls the whole copy back.
                    if added < len(docs):
                        wrong = self._not_as_copied(conn, docs)
                        if wrong:
                            raise StoreError(f"{self.name}: nothing copied: {wrong}")
                self._catch_up(conn)
            except pg_errors.InsufficientPrivilege as exc:
                raise StoreError(f"{self.name}: only the schema's owner may copy other editors' events in "
                                 f"({_reason(exc)}).") from None
            except psycopg.Error as exc:
                self._failed(exc)
                raise StoreError(f"{self.name}: the events could not be written ({_reason(exc)}).") from None
            return added

    def _not_as_copied(self, conn: psycopg.Connection[Any], docs: list[dict[str, Any]]) -> str:
        """What a row already in the table under one of `docs`' uids says otherwise ("" when nothing)."""
        by_uid = {d["uid"]: d for d in docs}
        fields = ("article_id", "decision", "note", "action", "at")
        for start in range(0, len(docs), 1000):
            part = [d["uid"] for d in docs[start:start + 1000]]
            for uid, user, *values in conn.execute(
                    f"SELECT uid, username, {', '.join(fields)} FROM triage.events WHERE uid = ANY(%s)",
                    (part,)).fetchall():
                doc = by_uid[uid]
                if user != (doc["user"] or self.user) or tuple(values) != tuple(doc.get(f) for f in fields):
                    return (f"the event {sanitize_line(uid)} is there already, but as another event "
                            f"({sanitize_line(user)}'s); a member may have put it in a colleague's place")
        return ""

    # ---- the writer's primitives (writing.py; _write above) ---------------------------------------
    def _latest(self, article_id: str) -> Doc | None:
        return self._log.latest(article_id)

    def _history(self, article_id: str) -> list[Doc]:
        return self._log.history(article_id)

    # ---- public API: reading ---------------------------------------------------------------------
    def current(self, article_id: str) -> DecisionEvent | None:
        """The latest event of an article (its decision may be None: cleared), or None if never decided."""
        with self._mutex:
            doc = self._log.latest(article_id)
            return to_event(doc) if doc is not None else None

    def current_many(self, ids: Iterable[str] | None = None) -> dict[str, DecisionEvent]:
        """Latest event per article, for the given ids (those with events) or for every article."""
        with self._mutex:
            if ids is None:
                return {aid: self._event(aid, doc) for aid, (_, doc) in self._log.latest_all().items()}
            return {aid: self._event(aid, doc) for aid, doc in self._log.latest_many(ids).items()}

    def _event(self, article_id: str, doc: Doc) -> DecisionEvent:
        """An article's latest event as a DecisionEvent, made once (a poll asks for every one again)."""
        made = self._events.get(article_id)
        if made is None or made[0] is not doc:
            made = self._events[article_id] = (doc, to_event(doc))
        return made[1]

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first (pending ones last)."""
        with self._mutex:
            return [to_event(d) for d in self._log.history(article_id)]

    def query(self, where: EventQuery | None = None, *, decision: Decision | str | None = None,
              since: datetime | None = None, until: datetime | None = None, user: str | None = None,
              source: str | None = None, text: str | None = None,
              history: bool = False) -> list[DecisionEvent]:
        """Filtered events, oldest first: the current one per article, or every event with history=True."""
        if where is None:
            where = EventQuery(decision=decision, since=since, until=until, user=user, source=source,
                               text=text, history=history)
        keep = where.doc_test()
        with self._mutex:
            if where.history:
                docs = [d for d in self._log.every_event() if keep(d)]
            else:
                chosen = sorted((p, d) for p, d in self._log.latest_all().values() if keep(d))
                docs = [d for _, d in chosen]
            return [to_event(d) for d in docs]

    def __len__(self) -> int:
        """Number of events, pending ones included."""
        return len(self._log)

    def refresh(self) -> bool:
        """Retry pending events and take in what others wrote; True if others' events arrived.

        Cheap when nothing changed: a read of the notification socket, no round trip. Never waits
        for a write in progress on another thread (that write takes in the news itself)."""
        return refresh_without_waiting(self._mutex, closed=lambda: self._closed, step=self._refresh_step,
                                       failed=self._lost, news=self._take_news)

    def _refresh_step(self, now: float) -> None:
        if not self.connected:
            if not self._health.may_try(now):
                return
            self._connect()  # catches up on connecting
            self._worked()
        if self._log.pending:
            self.retry_pending()  # catches up as it writes
        elif self._listener_news() or self._health.check_due(now):
            self._catch_up(self._connect())  # one statement (autocommit)
            self._health.checked(now)

    def _take_news(self) -> bool:
        news, self._unreported = self._unreported, False
        return news

    # ---- faults and closing ----------------------------------------------------------------------
    def discard_pending(self) -> list[DecisionEvent]:
        """Give up the events that are not durable: they are never written later; the events dropped."""
        with self._mutex:
            dropped, self._log.pending = self._log.pending, []
            return [to_event(d) for d in dropped]

    def rescue(self, *, extra: Sequence[DecisionEvent] = (), timeout: float = 2.0) -> RescueResult | None:
        """Write what is not durable to this user's rescue file for this server, replayed once by the
        next store that reaches it; None if nothing is pending. Never raises for I/O."""
        return self._rescuer.rescue(extra, timeout)

    def _replay(self, conn: psycopg.Connection[Any]) -> ReplayReport | None:
        """Write this user's rescued events for this server (uid not in the table, not superseded)."""

        def write(wanted: list[Doc], counts: dict[str, int]) -> list[Doc]:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", WRITE_LOCK)
                self._catch_up(conn)
                held = {row[0] for row in conn.execute("SELECT uid FROM triage.events WHERE uid = ANY(%s)",
                                                       ([d["uid"] for d in wanted],))}
                docs = [{key: doc.get(key) for key in EVENT_KEYS}
                        for doc in pick_new(wanted, held, self._log.latest, counts)]
                written = self._insert(conn, docs)
            self._commit_local(written, settled=False)
            return self._written(docs)

        return self._rescuer.replay(write, failures=(psycopg.Error,), reason=_reason)

    def compact(self) -> None:
        """Nothing to fold: the server keeps the rows as they are written."""

    def close(self, compact: bool | None = None) -> None:
        """Retry pending events and close the connections; PendingWriteError if some were not saved."""
        with self._mutex:
            if self._closed:
                return
            if self._log.pending:
                self.retry_pending()
            self._closed = True
            self._drop()
            if self._log.pending:
                lost = [to_event(d) for d in self._log.pending]
                raise PendingWriteError(f"{self.name}: {len(lost)} decision(s) could not be saved "
                                        f"({self._health.last_error}).", lost)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

