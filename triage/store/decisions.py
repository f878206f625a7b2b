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
  undo.py); ``rescue()`` moves events that cannot be made durable to a rescue file, and opening a
  store replays this user's own rescue files once (replay.py; ``replayed`` says what it did).
* Plain TinyDB readers see the events once compacted: ``close()`` compacts when this store wrote
  anything, and every ``compact_every`` journal records a compaction runs in a background thread
  (``background_compaction=False``: in the writing call), holding the lock only to rename
  (compaction.py).
* A damaged journal line (anything another user may have written: see lines.py) is skipped and
  kept; ``damage`` says so in one sentence, and nothing is compacted until ``triage recover``.
* ``refresh()`` is a stat of two files when nothing changed; after another process compacted it
  reads only the end of the main file (see sync.py), so an open TUI can poll it often.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from triage.model import Decision, DecisionEvent
from triage.store.compaction import Compactor
from triage.store.errors import PendingWriteError, StoreError
from triage.store.events import to_doc, to_event
from triage.store.query import EventQuery
from triage.store.replay import Rescuer, pick_new
from triage.store.rescue import ReplayReport, RescueResult, Waiting, default_rescue_dirs
from triage.store.sync import EventJournal, reason_of
from triage.store.writing import DecisionWriter

__all__ = ["DecisionStore"]

Doc = dict[str, Any]


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (containers)
        return str(os.getuid())


class DecisionStore(DecisionWriter):
    """Decision events for articles, kept in one TinyDB file that several processes may share.

    A DecisionWriter (the rules of each change, shared with the PostgreSQL store) over an EventJournal
    (the events, the files, the lock, writing), with a Compactor and a Rescuer (rescue files and
    their replay).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, group_share: bool = False, compact_every: int = 1000,
        user: str | None = None, host: str | None = None, lock_timeout: float = 10.0,
        background_compaction: bool = True, rescue_dirs: Sequence[str | os.PathLike[str]] | None = None,
        replay: bool = True, read_only: bool = False,
    ) -> None:
        super().__init__()
        self.path = Path(path).expanduser()
        self.user = user if user is not None else _login_name()
        self.host = host if host is not None else socket.gethostname()
        self._journal = EventJournal(self.path, group_share=group_share, lock_timeout=lock_timeout,
                                     read_only=read_only)
        self._compactor = Compactor(self._journal, compact_every=compact_every,
                                    background=background_compaction)
        dirs = [Path(d) for d in rescue_dirs] if rescue_dirs is not None else default_rescue_dirs()
        journal = self._journal
        self._rescuer = Rescuer(self.path, dirs, mutex=journal.mutex, log=journal.log,
                                inflight=lambda: journal.inflight, who=lambda: (self.user, self.host))
        journal.open()
        # None: nothing found (or not looked for: a reader never replays)
        self.replayed: ReplayReport | None = self._replay() if replay and not read_only else None

    # ---- state the UI shows ----------------------------------------------------------------------
    @property
    def last_error(self) -> str:
        """The reason of the latest failed write or compaction ("" after a write that worked)."""
        return self._journal.last_error

    @property
    def lock_busy(self) -> bool:
        """True when that failure was the lock, held elsewhere past lock_timeout."""
        return self._journal.lock_busy

    @property
    def migrated_backup(self) -> Path | None:
        """The backup copy made when an older schema was upgraded (None: none made)."""
        return self._journal.migrated_backup

    @property
    def damage(self) -> str:
        """One sentence about damaged lines or entries that were skipped and kept ("" when none)."""
        return self._journal.damage

    @property
    def rescue_dirs(self) -> list[Path]:
        """The fallback places of rescue files, in order."""
        return self._rescuer.dirs

    def waiting_rescue(self) -> Waiting:
        """This user's rescue files of this store that no start has replayed yet (the next store
        opened to write replays them)."""
        return self._rescuer.waiting()

    @property
    def compact_every(self) -> int:
        """Journal records between compactions (0: never by itself)."""
        return self._compactor.compact_every

    def append_events(self, events: Sequence[DecisionEvent]) -> int:
        """Append events as they are (user, host, at and uid kept), skipping uids the file holds: a
        desk's history moved in (`triage store copy`). How many were added; PendingWriteError as decide."""
        added: list[Doc] = []

        def build() -> list[Doc]:
            log = self._journal.log
            held = {d.get("uid") for d in log.docs} | {d.get("uid") for d in log.pending}
            added[:] = []
            for doc in (to_doc(e) for e in events):
                if doc["uid"] and doc["uid"] not in held:
                    held.add(doc["uid"])
                    added.append(doc)
            return list(added)

        self._journal.write(build)
        return len(added)

    def _replay(self) -> ReplayReport | None:
        journal = self._journal

        def write(docs: list[Doc], counts: dict[str, int]) -> list[Doc]:
            with journal.mutex, journal.storage.locked():
                journal.sync_locked()
                log = journal.log
                held = {d.get("uid") for d in log.docs if type(d.get("uid")) is str}
                held.update(d.get("uid") for d in log.pending)
                replayed = pick_new(docs, held, log.latest, counts)
                journal.flush_locked(replayed)
                return replayed

        return self._rescuer.replay(write, failures=(OSError, StoreError), reason=reason_of)

    # ---- the writer's primitives (writing.py) -----------------------------------------------------
    def _latest(self, article_id: str) -> Doc | None:
        return self._journal.log.latest(article_id)

    def _history(self, article_id: str) -> list[Doc]:
        return self._journal.log.history(article_id)

    def _write(self, build: Callable[[], list[Doc]]) -> list[DecisionEvent]:
        return self._journal.write(build)

    # ---- public API: reading ---------------------------------------------------------------------
    def current(self, article_id: str) -> DecisionEvent | None:
        """The latest event of an article (its decision may be None: cleared), or None if never decided."""
        with self._journal.mutex:
            doc = self._journal.log.latest(article_id)
            return to_event(doc) if doc is not None else None

    def current_many(self, ids: Iterable[str] | None = None) -> dict[str, DecisionEvent]:
        """Latest event per article, for the given ids (those with events) or for every article."""
        with self._journal.mutex:
            latest = self._journal.log.latest_all()
            if ids is None:
                return {aid: to_event(doc) for aid, (_, doc) in latest.items()}
            return {aid: to_event(latest[aid][1]) for aid in ids if aid in latest}

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        with self._journal.mutex:
            return [to_event(d) for d in self._journal.log.history(article_id)]

    def query(self, where: EventQuery | None = None, *, decision: Decision | str | None = None,
              since: datetime | None = None, until: datetime | None = None, user: str | None = None,
              source: str | None = None, text: str | None = None,
              history: bool = False) -> list[DecisionEvent]:
        """Filtered events, oldest first: the current one per article, or every event with history=True.

        `where` is an EventQuery (triage.store.query says what each filter means); the keywords build
        one when it is not given. Without a decision, current mode leaves out articles with neither a
        decision nor a note.
        """
        if where is None:
            where = EventQuery(decision=decision, since=since, until=until, user=user, source=source,
                               text=text, history=history)
        keep = where.doc_test()
        log = self._journal.log
        with self._journal.mutex:
            if where.history:
                docs = [d for d in log.docs if keep(d)] + [d for d in log.pending if keep(d)]
            else:
                chosen = [(p, d) for p, d in log.latest_all().values() if keep(d)]
                chosen.sort(key=lambda item: item[0])
                docs = [d for _, d in chosen]
            return [to_event(d) for d in docs]

    def __len__(self) -> int:
        """Number of events, pending ones included."""
        return len(self._journal.log)

    # ---- sharing, pending writes, closing --------------------------------------------------------
    @property
    def pending(self) -> int:
        """Events accepted in memory but not yet durable (they are retried)."""
        return len(self._journal.log.pending)

    def refresh(self) -> bool:
        """Cheap stat check for events other processes wrote; load them.

        True if events of other processes arrived since the last refresh(), including those taken in
        while this store was writing (every write first reads what others wrote).
        """
        return self._journal.refresh()

    def retry_pending(self) -> int:
        """Try to write pending events now; returns how many are still pending (0: all saved)."""
        return self._journal.retry_pending()

    def discard_pending(self) -> list[DecisionEvent]:
        """Give up the events that are not durable: they are never written later (not by close() either).

        For a caller that reports failure and ends (``triage decide`` exits 1: a script that retries
        must not find the event written twice). Returns the events dropped.
        """
        log = self._journal.log
        with self._journal.mutex:
            dropped, log.pending = log.pending, []
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
        return self._rescuer.rescue(extra, timeout)

    def compact(self) -> None:
        """Fold the journal into the main TinyDB file now (atomic replace), so plain TinyDB sees everything.

        StoreError when damaged lines are kept (see `damage`): rewriting would drop them."""
        self._compactor.compact()

    def close(self, compact: bool | None = None) -> None:
        """Retry pending events, compact (by default when this store wrote anything), and close.

        Raises PendingWriteError if events still could not be saved. A failed compaction does not
        raise: the events are safe in the journal; `last_error` says why.
        """
        journal = self._journal
        self._compactor.join()  # outside the mutex: the compaction thread needs it to finish
        with journal.mutex:
            if journal.closed:
                return
            journal.retry_pending()
            self._compactor.close(journal.wrote if compact is None else compact)
            journal.closed = True
            if journal.log.pending:
                lost = [to_event(d) for d in journal.log.pending]
                raise PendingWriteError(
                    f"{self.path}: {len(lost)} decision(s) could not be saved ({journal.last_error}).", lost
                )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
