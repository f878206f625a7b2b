"""DecisionStore: append-only decision events in a TinyDB file, durable, shared and fast.

Semantics (what the TUI and CLI rely on):

* Every change is a new event; the current decision of an article is its latest event, whose
  decision may be None (cleared or undone). Events are ordered by their TinyDB doc id, which is
  assigned under the file lock, so all processes agree on the order.
* ``decide`` never erases a note: an empty ``note`` keeps the article's current note; ``set_note``
  replaces it (also with ""). ``decide`` with only an id carries title/source/url forward from the
  article's latest event.
* ``undo`` treats an article's history as a stack of states (decision, note): every decide, clear
  or note event pushes a state, every undo event pops one. Undo writes a new event (action "undo")
  holding the state below the top, so repeated undo walks further back, down to "no decision".
  An article with nothing left to undo gets no event. Undo acts on the latest change of the
  article, whoever made it (the file is shared).
* A write is durable (fdatasync of the journal) before the call returns. If it cannot be written
  (disk full, read-only, permission, lock timeout) the event is still accepted in memory (current()
  and history() show it), ``pending`` counts it, a PendingWriteError says why, and it is retried
  first on the next write, on ``refresh()``, ``retry_pending()`` and ``close()``.
* Every event has a unique ``uid``. ``undo_own`` takes back only this instance's own events (see
  undo.py); ``rescue()`` moves events that cannot be made durable to a rescue file (rescue.py), and
  opening a store replays rescue files once (replay.py; ``replayed`` says what it did).
* Plain TinyDB readers see the events once compacted: ``close()`` compacts when this store wrote
  anything, and every ``compact_every`` journal records a compaction runs in a background thread
  (``background_compaction=False``: in the writing call), holding the lock only to rename.
* ``refresh()`` is a stat of two files when nothing changed; after another process compacted it
  reads only the end of the main file (see ``_reload_cheaply``), so an open TUI can poll it often.
"""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from triage.model import Article, Decision, DecisionEvent
from triage.store.errors import LockTimeoutError, PendingWriteError, StoreError
from triage.store.events import (
    decision_or_none,
    new_uid,
    to_doc,
    to_event,
    undo_target,
    utc_now_iso,
)
from triage.store.log import EventLog
from triage.store.query import decision_value, event_filter
from triage.store.replay import replay_rescue
from triage.store.rescue import ReplayReport, RescueResult, default_rescue_dirs, write_rescue
from triage.store.storage import JournalStorage, Tables, gc_paused
from triage.store.sync import StoreSync
from triage.store.undo import UndoConflict, UndoResult, plan_undo

__all__ = ["DecisionStore"]

Doc = dict[str, Any]


def _text(value: Any) -> str:
    """A stored text field as a string (a document written by hand may hold anything)."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (containers)
        return str(os.getuid())


class DecisionStore(StoreSync):
    """Decision events for articles, kept in one TinyDB file that several processes may share."""

    def __init__(
        self, path: str | os.PathLike[str], *, group_share: bool = False, compact_every: int = 1000,
        user: str | None = None, host: str | None = None, lock_timeout: float = 10.0,
        background_compaction: bool = True, rescue_dirs: Sequence[str | os.PathLike[str]] | None = None,
        replay: bool = True,
    ) -> None:
        self.path = Path(path).expanduser()
        self.compact_every = compact_every
        self.user = user if user is not None else _login_name()
        self.host = host if host is not None else socket.gethostname()
        self.last_error = ""  # the reason of the latest failed write or compaction, for the UI
        self.lock_busy = False  # that failure was the lock, held elsewhere past lock_timeout
        self.migrated_backup: Path | None = None  # backup copy made when an older schema was upgraded
        self._storage = JournalStorage(self.path, group_share=group_share, lock_timeout=lock_timeout)
        self._mutex = threading.RLock()
        self._log = EventLog()
        self._meta: dict[str, Any] = {}
        self._extra: Tables = {}
        self._wrote = False
        self._unreported = False  # events of other processes loaded since the last refresh()
        self._closed = False
        self._compact_after = compact_every
        self.background_compaction = background_compaction
        self._compactor: threading.Thread | None = None
        self._own_uids: set[str] = set()  # events this instance wrote: what undo_own may take back
        self._inflight: list[Doc] = []  # events being written right now (the mutex is held meanwhile)
        self.rescue_dirs = [Path(d) for d in rescue_dirs] if rescue_dirs is not None else default_rescue_dirs()
        self.replayed: ReplayReport | None = None  # what opening replayed from rescue files (None: none found)
        with self._mutex, self._storage.locked(create=False), gc_paused():
            self._reload(*self._storage.load())
        if replay:
            self.replayed = replay_rescue(self)

    # ---- writing ---------------------------------------------------------------------------------
    def _new_doc(self, article_id: str, decision: str | None, note: str, action: str, batch: str,
                 title: Any, source: Any, url: Any, uid: str = "", version: Any = None) -> Doc:
        uid = uid or new_uid()
        self._own_uids.add(uid)
        if version is None:  # a note or an undo: about the version the article's last event was on
            version = (self._log.latest(article_id) or {}).get("version", "")
        return {
            "article_id": article_id, "decision": decision, "note": _text(note), "user": self.user,
            "host": self.host, "at": utc_now_iso(), "title": _text(title), "source": _text(source),
            "url": _text(url), "action": action, "batch": batch, "uid": uid, "version": _text(version),
        }

    def _write(self, build: Callable[[], list[Doc]]) -> list[DecisionEvent]:
        """Build events from fresh state under the lock and make them durable, or keep them pending."""
        with self._mutex:
            if self._closed:
                raise StoreError(f"{self.path}: the decision store is closed.")
            docs: list[Doc] | None = None
            try:
                with self._storage.locked():
                    self._sync_locked()
                    docs = self._inflight = build()  # seen by a rescue() that cannot take the mutex
                    self._flush_locked(docs)
                    self.last_error = ""
                    self._maybe_compact_locked()
            except (OSError, StoreError) as exc:
                if docs is None:
                    docs = build()
                self._log.pending.extend(docs)
                self._inflight = []
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.last_error = reason
                self.lock_busy = isinstance(exc, LockTimeoutError)
                events = [to_event(d) for d in docs]
                raise PendingWriteError(
                    f"{self.path}: decision not saved yet ({reason}); {len(self._log.pending)} kept in memory "
                    f"and retried.", events,
                ) from exc
            finally:
                self._inflight = []
            return [to_event(d) for d in docs]

    def _flush_locked(self, docs: list[Doc]) -> None:
        """Append pending events and `docs` to the journal in one durable write (lock held)."""
        batch = self._log.pending + docs
        if not batch:
            return
        records = [("events", self._log.max_id + n, doc) for n, doc in enumerate(batch, 1)]
        self._storage.append(records)
        self._log.pending = []
        self._log.apply(records, self._extra)
        self._wrote = True

    def _maybe_compact_locked(self) -> None:
        if self.compact_every <= 0 or self._storage.journal_records < self._compact_after:
            return
        # a journal ten times over (bulk writes: a script, a big multi-select) is compacted right here,
        # so it stays bounded and no compaction is left running behind a burst
        bulk = self._storage.journal_records >= 10 * self.compact_every
        if not self.background_compaction or bulk:
            try:
                self._compact_locked()
            except OSError as exc:  # the events are safe in the journal; try again a little later
                self._compaction_failed(exc)
            return
        if self._compactor is None or not self._compactor.is_alive():
            self._compactor = threading.Thread(target=self._compact_in_background, name="triage-store-compact",
                                               daemon=True)
            self._compactor.start()

    def _compaction_failed(self, exc: OSError) -> None:
        self.last_error = f"could not compact {self.path} ({exc.strerror or exc}); events are safe in the journal"
        self._compact_after = self._storage.journal_records + max(1, self.compact_every // 4)

    def _tables(self) -> Tables:
        """A snapshot of everything committed, as TinyDB tables (safe to encode without the mutex)."""
        if not self._meta_doc():
            self._meta = self._new_meta()
        meta = dict(self._meta)
        doc = meta["1"] = dict(self._meta_doc())
        doc.setdefault("uuid", secrets.token_hex(8))  # files from before uuids get one now
        doc["through"] = self._log.max_id  # the newest event in the main file: see _reload_cheaply
        self._meta = meta
        tables: Tables = {"events": self._log.events_table(), "meta": meta}
        tables.update({name: dict(table) for name, table in self._extra.items()})
        return tables

    def _compact_locked(self) -> None:
        self._storage.compact(self._tables())
        self._compact_after = self.compact_every

    def _compact_in_background(self) -> None:
        """Compaction off the caller's thread: only the snapshot and the final rename hold the locks."""
        try:
            with self._mutex:
                if self._closed:
                    return
                with self._storage.locked():
                    self._sync_locked()
                    point, tables = self._storage.point(), self._tables()
            tmp = self._storage.prepare(tables)  # the slow part: decisions go on meanwhile
            try:
                with self._mutex, self._storage.locked():
                    self._sync_locked()
                    if self._storage.install(tmp, point):
                        self._compact_after = self.compact_every
            finally:
                if tmp.exists():  # not installed (an error): do not leave it behind
                    tmp.unlink(missing_ok=True)
        except OSError as exc:
            with self._mutex:
                self._compaction_failed(exc)
        except StoreError as exc:
            self.last_error = str(exc)

    def _join_compaction(self) -> None:
        compactor = self._compactor
        if compactor is not None and compactor is not threading.current_thread():
            compactor.join()

    def _decide_doc(self, article: Article | str, value: str | None, note: str, batch: str,
                    title: str, source: str, url: str, uid: str = "") -> Doc:
        version = ""
        if isinstance(article, Article):
            article_id = article.id
            title, source, url = title or article.title, source or article.source, url or article.url
            version = article.content_hash  # which version of the story was decided
        else:
            article_id = str(article)
        if not article_id:
            raise ValueError("an article id is required")
        latest = self._log.latest(article_id)
        if latest is not None:
            title, source, url = title or latest.get("title"), source or latest.get("source"), url or latest.get("url")
            note = note or latest.get("note")
        return self._new_doc(article_id, value, note, "decide" if value else "clear", batch, title, source, url,
                             uid, version)

    # ---- public API: changes ---------------------------------------------------------------------
    def decide(self, article: Article | str, decision: Decision | str | None, note: str = "", *,
               batch: str = "", title: str = "", source: str = "", url: str = "", uid: str = "") -> DecisionEvent:
        """Record a decision (None or "clear": clear it) durably; returns the event written.

        `uid`: the event's id when the caller made one (new_uid()) to know the event before it is
        written, e.g. to rescue it if the write never happens; by default a new one.
        """
        value = decision_value(decision)
        return self._write(lambda: [self._decide_doc(article, value, note, batch, title, source, url, uid)])[0]

    def decide_many(self, articles: Sequence[Article | str], decision: Decision | str | None,
                    note: str = "", *, uids: Sequence[str] | None = None) -> list[DecisionEvent]:
        """The same decision for several articles: one batch id, one durable write (`uids`: as in decide)."""
        value = decision_value(decision)
        batch = secrets.token_hex(6)
        given = list(uids) if uids is not None else [""] * len(articles)
        if len(given) != len(articles):
            raise ValueError("uids must give one id per article")
        return self._write(lambda: [self._decide_doc(a, value, note, batch, "", "", "", u)
                                    for a, u in zip(articles, given)])

    def undo(self, article_ids: str | Sequence[str]) -> list[DecisionEvent]:
        """Return each article to the state before its latest change (see module docstring)."""
        ids = [article_ids] if isinstance(article_ids, str) else list(article_ids)
        batch = secrets.token_hex(6) if len(ids) > 1 else ""

        def build() -> list[Doc]:
            docs = []
            for article_id in ids:
                history = self._log.history(article_id)
                target = undo_target(history)
                if target is None:
                    continue
                decision, note = target
                last = history[-1]
                docs.append(self._new_doc(article_id, decision, note, "undo", batch,
                                          last.get("title"), last.get("source"), last.get("url")))
            return docs

        return self._write(build)

    def set_note(self, article_id: str, note: str, *, uid: str = "") -> DecisionEvent:
        """Replace the note of an article (also with ""), keeping its current decision (`uid`: as in decide)."""

        def build() -> list[Doc]:
            latest = self._log.latest(article_id) or {}
            return [self._new_doc(article_id, decision_or_none(latest.get("decision")), note, "note", "",
                                  latest.get("title"), latest.get("source"), latest.get("url"), uid)]

        return self._write(build)[0]

    def undo_own(self, events: Sequence[DecisionEvent], *,
                 states: Mapping[str, tuple[Decision | str | None, str]] | None = None,
                 uids: Mapping[str, str] | None = None) -> UndoResult:
        """Take back events this store instance wrote (a decision, a note, a batch), never anyone else's.

        Atomic: under the file lock, after reading what other processes wrote, each article goes back
        to the state just before its event (or to ``states[article_id]`` = (decision, note) when
        given) only while no other writer changed it since; those are returned as conflicts and left
        alone. One "undo" event per article, all in one durable write (several: one batch id). Never
        raises for I/O: when the write cannot be made durable the events are kept pending (shown,
        retried) and ``saved`` is False. `uids`: article id -> the id of its undo event (as in decide).
        """
        wanted = list(events)
        made = dict(uids or {})
        given = {k: (decision_value(d), n) for k, (d, n) in states.items()} if states is not None else None
        conflicts: list[UndoConflict] = []

        def build() -> list[Doc]:
            plan, found = plan_undo(wanted, self._log.history, self._own_uids, given)
            conflicts[:] = found
            batch = secrets.token_hex(6) if len(plan) > 1 else ""
            return [self._new_doc(aid, decision, note, "undo", batch, last.get("title"), last.get("source"),
                                  last.get("url"), made.get(aid, "")) for aid, decision, note, last in plan]

        try:
            written = self._write(build)
        except PendingWriteError as exc:
            return UndoResult(tuple(exc.events), tuple(conflicts), saved=False, error=self.last_error)
        return UndoResult(tuple(written), tuple(conflicts))

    # ---- public API: reading ---------------------------------------------------------------------
    def current(self, article_id: str) -> DecisionEvent | None:
        """The latest event of an article (its decision may be None: cleared), or None if never decided."""
        with self._mutex:
            doc = self._log.latest(article_id)
            return to_event(doc) if doc is not None else None

    def current_many(self, ids: Iterable[str] | None = None) -> dict[str, DecisionEvent]:
        """Latest event per article, for the given ids (those with events) or for every article."""
        with self._mutex:
            latest = self._log.latest_all()
            if ids is None:
                return {aid: to_event(doc) for aid, (_, doc) in latest.items()}
            return {aid: to_event(latest[aid][1]) for aid in ids if aid in latest}

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        with self._mutex:
            return [to_event(d) for d in self._log.history(article_id)]

    def query(self, *, decision: Decision | str | None = None, since: datetime | None = None,
              until: datetime | None = None, user: str | None = None, source: str | None = None,
              text: str | None = None, history: bool = False) -> list[DecisionEvent]:
        """Filtered events, oldest first: the current one per article, or every event with history=True.

        Without `decision`, current mode leaves out cleared articles; decision="clear" selects only
        cleared ones, decision="all" every article. `since`/`until` are inclusive bounds on `at`;
        `user` matches exactly, `source` and `text` (title, note, source, url, id) as case-insensitive
        substrings.
        """
        keep = event_filter(decision=decision, since=since, until=until, user=user, source=source,
                            text=text, history=history)
        with self._mutex:
            if history:
                docs = [d for d in self._log.docs if keep(d)] + [d for d in self._log.pending if keep(d)]
            else:
                chosen = [(p, d) for p, d in self._log.latest_all().values() if keep(d)]
                chosen.sort(key=lambda item: item[0])
                docs = [d for _, d in chosen]
            return [to_event(d) for d in docs]

    def __len__(self) -> int:
        """Number of events, pending ones included."""
        return len(self._log)

    # ---- sharing, pending writes, closing --------------------------------------------------------
    @property
    def pending(self) -> int:
        """Events accepted in memory but not yet durable (they are retried)."""
        return len(self._log.pending)

    def refresh(self) -> bool:
        """Cheap stat check for events other processes wrote; load them.

        True if events of other processes arrived since the last refresh(), including those taken in
        while this store was writing (every write first reads what others wrote).
        """
        with self._mutex:
            if self._closed:
                return False
            if self._log.pending:
                self.retry_pending()
            if self._storage.poll() != "same":
                with self._storage.locked(create=False):
                    self._sync_locked()
            # also report what other processes wrote that a decide() of ours took in on the way
            changed, self._unreported = self._unreported, False
            return changed

    def retry_pending(self) -> int:
        """Try to write pending events now; returns how many are still pending (0: all saved)."""
        with self._mutex:
            if not self._log.pending:
                return 0
            try:
                with self._storage.locked():
                    self._sync_locked()
                    self._flush_locked([])
                    self._maybe_compact_locked()
                self.last_error = ""
                self.lock_busy = False
            except (OSError, StoreError) as exc:
                self.last_error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.lock_busy = isinstance(exc, LockTimeoutError)
            return len(self._log.pending)

    def discard_pending(self) -> list[DecisionEvent]:
        """Give up the events that are not durable: they are never written later (not by close() either).

        For a caller that reports failure and ends (``triage decide`` exits 1: a script that retries
        must not find the event written twice). Returns the events dropped.
        """
        with self._mutex:
            dropped, self._log.pending = self._log.pending, []
            return [to_event(d) for d in dropped]

    def rescue(self, *, extra: Sequence[DecisionEvent] = (), timeout: float = 2.0) -> RescueResult | None:
        """Write the events that are not durable to a rescue file, replayed by the next start; None if none.

        ``<decisions file>.rescue`` (0600, JSON lines, fsynced), else a private fallback place (see
        triage.store.rescue); the result says where. Written are: the pending events, an event being
        written by another thread right now, and `extra` (events the caller accepted but never handed
        to the store, e.g. a writer queue's; one without a uid gets one). Pending events written
        there leave the pending list, so close() does not write them as well; the replay skips any
        event whose uid is already saved, so one that lands after all is never written twice.
        Safe in a signal handler and at interpreter exit: no lock is waited for longer than `timeout`
        seconds (if another thread holds the store, its state is read without the lock). Never
        raises for I/O: with no writable place ``path`` is None and the events stay pending.
        """
        got = self._mutex.acquire(timeout=max(0.0, timeout))
        try:
            inflight = list(self._inflight)  # before pending: a failed write moves its docs there, then clears this
            pending = list(self._log.pending)
            docs, seen = [], set()
            for doc in inflight + pending + [self._extra_doc(e) for e in extra]:
                if doc["uid"] not in seen:
                    seen.add(doc["uid"])
                    docs.append(doc)
            if not docs:
                return None
            result = write_rescue(self.path, docs, dirs=self.rescue_dirs, timeout=timeout)
            if result.path is not None and got:
                moved = {id(d) for d in pending}
                self._log.pending = [d for d in self._log.pending if id(d) not in moved]
            return result
        finally:
            if got:
                self._mutex.release()

    def _extra_doc(self, event: DecisionEvent) -> Doc:
        doc = to_doc(event)
        doc["uid"] = doc["uid"] or new_uid()
        doc["user"] = doc["user"] or self.user
        doc["host"] = doc["host"] or self.host
        doc["at"] = doc["at"] or utc_now_iso()
        return doc

    def compact(self) -> None:
        """Fold the journal into the main TinyDB file now (atomic replace), so plain TinyDB sees everything."""
        self._join_compaction()
        with self._mutex, self._storage.locked():
            self._sync_locked()
            self._compact_locked()

    def close(self, compact: bool | None = None) -> None:
        """Retry pending events, compact (by default when this store wrote anything), and close.

        Raises PendingWriteError if events still could not be saved. A failed compaction does not
        raise: the events are safe in the journal; `last_error` says why.
        """
        self._join_compaction()  # outside the mutex: the compaction thread needs it to finish
        with self._mutex:
            if self._closed:
                return
            self.retry_pending()
            want = self._wrote if compact is None else compact
            if want and not self._log.pending:
                try:
                    with self._storage.locked():
                        self._sync_locked()
                        if self._storage.journal_records:
                            self._compact_locked()
                except (OSError, StoreError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                    self.last_error = f"{self.path}: could not compact ({reason}); events are safe in the journal."
            self._closed = True
            if self._log.pending:
                lost = [to_event(d) for d in self._log.pending]
                raise PendingWriteError(
                    f"{self.path}: {len(lost)} decision(s) could not be saved ({self.last_error}).", lost
                )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
