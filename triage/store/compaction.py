"""Compactor: when and how a store folds its journal into the main TinyDB file.

Every ``compact_every`` journal records a compaction runs, in a background thread by default, holding
the file lock only to take a snapshot and to rename; a journal ten times over (a bulk write) is
compacted in the writing call. While anything read is damaged, nothing is compacted (see
JournalStorage.prepare): rewriting would drop it.
"""

from __future__ import annotations

import threading

from triage.store.errors import StoreError
from triage.store.sync import EventJournal, reason_of

__all__ = ["Compactor"]


class Compactor:
    """Compaction of one EventJournal (see module docstring)."""

    def __init__(self, journal: EventJournal, *, compact_every: int = 1000, background: bool = True) -> None:
        self.journal = journal
        self.compact_every = compact_every
        self.background = background
        self._after = compact_every
        self._thread: threading.Thread | None = None
        journal.after_flush = self.maybe_compact_locked

    def maybe_compact_locked(self) -> None:
        """Compact when the journal has grown past the threshold (the journal's lock is held)."""
        storage = self.journal.storage
        if self.compact_every <= 0 or storage.journal_records < self._after or storage.damage:
            return
        # a journal ten times over (bulk writes: a script, a big multi-select) is compacted right here,
        # so it stays bounded and no compaction is left running behind a burst
        bulk = storage.journal_records >= 10 * self.compact_every
        if not self.background or bulk:
            try:
                self.compact_locked()
            except (OSError, StoreError) as exc:  # the events are safe in the journal; try again later
                self._failed(exc)
            return
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._in_background, name="triage-store-compact",
                                            daemon=True)
            self._thread.start()

    def _failed(self, exc: OSError | StoreError) -> None:
        self.journal.last_error = (f"could not compact {self.journal.path} ({reason_of(exc)}); "
                                   f"events are safe in the journal")
        self._after = self.journal.storage.journal_records + max(1, self.compact_every // 4)

    def compact_locked(self) -> None:
        """Compact now (the journal's lock and mutex are held, and it is synced)."""
        self.journal.storage.compact(self.journal.tables())
        self._after = self.compact_every

    def _in_background(self) -> None:
        """Compaction off the caller's thread: only the snapshot and the final rename hold the locks."""
        journal, storage = self.journal, self.journal.storage
        try:
            with journal.mutex:
                if journal.closed:
                    return
                with storage.locked():
                    journal.sync_locked()
                    point, tables = storage.point(), journal.tables()
            tmp = storage.prepare(tables)  # the slow part: decisions go on meanwhile
            try:
                with journal.mutex, storage.locked():
                    journal.sync_locked()
                    if storage.install(tmp, point):
                        self._after = self.compact_every
            finally:
                if tmp.exists():  # not installed (an error): do not leave it behind
                    tmp.unlink(missing_ok=True)
        except (OSError, StoreError) as exc:
            with journal.mutex:
                self._failed(exc)

    def join(self) -> None:
        """Wait for a background compaction to end (not from inside it)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def compact(self) -> None:
        """Fold the journal into the main file now; StoreError says why when something damaged forbids it."""
        self.join()
        journal = self.journal
        with journal.mutex, journal.storage.locked():
            journal.sync_locked()
            self.compact_locked()

    def close(self, want: bool) -> None:
        """The compaction at close (mutex held by the caller): failures only set last_error."""
        journal = self.journal
        if not want or journal.log.pending:
            return
        try:
            with journal.storage.locked():
                journal.sync_locked()
                if journal.storage.journal_records and not journal.storage.damage:
                    self.compact_locked()
        except (OSError, StoreError) as exc:
            journal.last_error = (f"{journal.path}: could not compact ({reason_of(exc)}); "
                                  f"events are safe in the journal.")
