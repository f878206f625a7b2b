"""EventJournal: a store's events in memory kept in step with its files, and the one way to write them.

It parses the TinyDB file and the journal into the EventLog (migrating older schemas), takes in,
under the file lock, new journal lines or a main file another process compacted as cheaply as it
safely can, and appends new events in one durable write (or keeps them pending when that fails).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triage.model import DecisionEvent
from triage.store.errors import LockTimeoutError, NewerSchemaError, PendingWriteError, StoreError
from triage.store.events import SCHEMA_VERSION, normalise_doc, to_event, utc_now_iso
from triage.store.log import EventLog
from triage.store.storage import JournalStorage, Record, Tables, gc_paused

__all__ = ["EventJournal", "reason_of"]

Doc = dict[str, Any]


def reason_of(exc: OSError | StoreError) -> str:
    """The reason of a failed write in a few words."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class EventJournal:
    """The event log of one decisions file, its lock and its storage (see module docstring)."""

    def __init__(self, path: Path, *, group_share: bool = False, lock_timeout: float = 10.0,
                 read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only  # never writes: an older schema is upgraded in memory only
        self.storage = JournalStorage(path, group_share=group_share, lock_timeout=lock_timeout)
        self.mutex = threading.RLock()
        self.log = EventLog()
        self.meta: dict[str, Any] = {}
        self.extra: Tables = {}
        self.last_error = ""  # the reason of the latest failed write or compaction, for the UI
        self.lock_busy = False  # that failure was the lock, held elsewhere past lock_timeout
        self.migrated_backup: Path | None = None  # backup copy made when an older schema was upgraded
        self.wrote = False
        self.closed = False
        self.inflight: list[Doc] = []  # events being written right now (the mutex is held meanwhile)
        self.after_flush: Callable[[], None] = lambda: None  # runs under the lock after each durable write
        self._unreported = False  # events of other processes loaded since the last take_news()

    def open(self) -> None:
        """Read the files (a missing store is empty)."""
        with self.mutex, self.storage.locked(create=False), gc_paused():
            self._reload(*self.storage.load())

    @property
    def damage(self) -> str:
        """One sentence about damaged lines skipped on reading ("" when there are none)."""
        return self.storage.damage

    # ---- loading ---------------------------------------------------------------------------------
    def _reload(self, tables: Tables | None, records: list[Record]) -> None:
        tables = dict(tables or {})
        version = self._schema_version(tables)
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"{self.path}: written by a newer triage (schema {version}, this one reads up to "
                f"{SCHEMA_VERSION}); it was not opened, so nothing in it is lost."
            )
        raw_events = tables.pop("events", {}) or {}
        self.meta = tables.pop("meta", {}) or {}
        self.extra = tables
        if version < SCHEMA_VERSION and raw_events:
            raw_events = self._migrate(version, raw_events)
        skipped = self.log.replace(raw_events)
        entries = f"{skipped} entr{'y' if skipped == 1 else 'ies'}"
        self.storage.held_back = (
            f"{self.path}: {entries} of the events table are not events; "
            f"the file is kept as it is (not compacted): run `triage recover --db {self.path}` to set them "
            f"aside and keep every event." if skipped else ""
        )
        self.log.apply(records, self.extra)

    def _schema_version(self, tables: Tables) -> int:
        for doc in (tables.get("meta") or {}).values():
            if isinstance(doc, dict) and type(doc.get("schema_version")) is int:
                return doc["schema_version"]
        return 1 if tables.get("events") else SCHEMA_VERSION

    def _migrate(self, version: int, raw_events: dict[str, Any]) -> dict[str, Any]:
        """Bring events of an older schema to the current one, after a backup copy of the file."""
        migrated = {}
        for key, doc in raw_events.items():
            norm = normalise_doc(doc)
            if norm is not None:
                migrated[key] = norm
        self.meta = self.new_meta()
        if self.path.exists() and not self.read_only:
            try:
                with self.storage.locked():
                    self.migrated_backup = self.storage.backup(f".v{version}.bak")
                    self.storage.compact({"events": migrated, "meta": self.meta, **self.extra})
            except (OSError, StoreError) as exc:  # cannot write: the migrated view in memory, file untouched
                self.last_error = f"{self.path}: could not save the schema upgrade ({reason_of(exc)})."
        return migrated

    def new_meta(self) -> dict[str, Any]:
        """The meta table of a new file."""
        return {"1": {"schema_version": SCHEMA_VERSION, "app": "triage", "created": utc_now_iso(),
                      "uuid": secrets.token_hex(8)}}

    def meta_doc(self) -> dict[str, Any]:
        """The meta document ({} when there is none)."""
        doc = (self.meta or {}).get("1")
        return doc if isinstance(doc, dict) else {}

    # ---- catching up -----------------------------------------------------------------------------
    def sync_locked(self) -> bool:
        """Take in what other processes wrote (caller holds the file lock); True if events changed."""
        state = self.storage.poll()
        if state == "same":
            return False
        before = self.log.state()
        full = False
        if state == "journal":
            self.log.apply(self.storage.read_new(), self.extra)
        elif not self._reload_cheaply():
            try:
                with gc_paused():
                    self._reload(*self.storage.load())
            except StoreError:
                self.storage.forget()  # not taken in: look again next time, never write over it
                raise
            full = True  # maybe another file altogether (a restored or recovered one)
        changed = full or self.log.state() != before
        self._unreported = self._unreported or changed
        return changed

    def _reload_cheaply(self) -> bool:
        """Catch up without parsing the main file when that is safe (lock held); False: do a full reload.

        Safe when only the journal was replaced, or when another process compacted this same store
        (same uuid in meta): the events this store lacks are then the last ones of the main file,
        read from its end, and the rest is in the new journal.
        """
        if self.storage.main_unchanged():
            self.log.apply(self.storage.reread_journal(), self.extra)
            return True
        tail = self.storage.tail_meta(self.log.max_id)
        uuid = self.meta_doc().get("uuid")
        if tail is None:
            return False
        meta, newer = tail
        if (
            not uuid or meta.get("uuid") != uuid or meta.get("schema_version") != SCHEMA_VERSION
            or type(meta.get("through")) is not int or newer is None
        ):
            return False
        if max(0, meta["through"] - self.log.max_id) != len(newer):  # a made-up "through": no huge range
            return False
        expected = list(range(self.log.max_id + 1, meta["through"] + 1))
        if [doc_id for doc_id, _ in newer] != expected:
            return False
        records = self.storage.adopt_main()
        self.log.apply([("events", doc_id, doc) for doc_id, doc in newer], self.extra)
        self.log.apply(records, self.extra)
        return True

    def take_news(self) -> bool:
        """True if events of other processes were taken in since the last call."""
        changed, self._unreported = self._unreported, False
        return changed

    # ---- writing ---------------------------------------------------------------------------------
    def write(self, build: Callable[[], list[Doc]]) -> list[DecisionEvent]:
        """Build events from fresh state under the lock and make them durable, or keep them pending."""
        with self.mutex:
            if self.closed:
                raise StoreError(f"{self.path}: the decision store is closed.")
            if self.read_only:
                raise StoreError(f"{self.path}: the decision store was opened for reading only.")
            docs: list[Doc] | None = None
            try:
                with self.storage.locked():
                    self.sync_locked()
                    docs = self.inflight = build()  # seen by a rescue() that cannot take the mutex
                    self.flush_locked(docs)
                    self.last_error = ""
                    self.after_flush()
            except (OSError, StoreError) as exc:
                if docs is None:
                    docs = build()
                self.log.pending.extend(docs)
                self.inflight = []
                self.last_error = reason = reason_of(exc)
                self.lock_busy = isinstance(exc, LockTimeoutError)
                raise PendingWriteError(
                    f"{self.path}: decision not saved yet ({reason}); {len(self.log.pending)} kept in memory "
                    f"and retried.", [to_event(d) for d in docs],
                ) from exc
            finally:
                self.inflight = []
            return [to_event(d) for d in docs]

    def flush_locked(self, docs: list[Doc]) -> None:
        """Append pending events and `docs` to the journal in one durable write (lock held)."""
        batch = self.log.pending + docs
        if not batch:
            return
        records = [("events", self.log.max_id + n, doc) for n, doc in enumerate(batch, 1)]
        self.storage.append(records)
        self.log.pending = []
        self.log.apply(records, self.extra)
        self.wrote = True

    def retry_pending(self) -> int:
        """Try to write pending events now; returns how many are still pending (0: all saved)."""
        with self.mutex:
            if not self.log.pending:
                return 0
            try:
                with self.storage.locked():
                    self.sync_locked()
                    self.flush_locked([])
                    self.after_flush()
                self.last_error = ""
                self.lock_busy = False
            except (OSError, StoreError) as exc:
                self.last_error = reason_of(exc)
                self.lock_busy = isinstance(exc, LockTimeoutError)
            return len(self.log.pending)

    def refresh(self) -> bool:
        """Retry pending events, take in what others wrote; True if others' events arrived (take_news)."""
        with self.mutex:
            if self.closed:
                return False
            if self.log.pending:
                self.retry_pending()
            if self.storage.poll() != "same":
                with self.storage.locked(create=False):
                    self.sync_locked()
            return self.take_news()

    def tables(self) -> Tables:
        """A snapshot of everything committed, as TinyDB tables (safe to encode without the mutex)."""
        if not self.meta_doc():
            self.meta = self.new_meta()
        meta = dict(self.meta)
        doc = meta["1"] = dict(self.meta_doc())
        doc.setdefault("uuid", secrets.token_hex(8))  # files from before uuids get one now
        doc["through"] = self.log.max_id  # the newest event in the main file: see _reload_cheaply
        self.meta = meta
        tables: Tables = {"events": self.log.events_table(), "meta": meta}
        tables.update({name: dict(table) for name, table in self.extra.items()})
        return tables
