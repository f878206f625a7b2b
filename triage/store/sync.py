"""Loading a decision store's files into memory and catching up with what other processes wrote.

StoreSync is the reading half of DecisionStore (decisions.py): it parses the TinyDB file and the
journal into the EventLog (migrating older schemas), and under the file lock takes in new journal
lines, or a main file another process compacted, as cheaply as it safely can.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from triage.store.errors import NewerSchemaError, StoreError
from triage.store.events import SCHEMA_VERSION, normalise_doc, utc_now_iso
from triage.store.log import EventLog
from triage.store.storage import JournalStorage, Record, Tables, gc_paused

__all__ = ["StoreSync"]


class StoreSync:
    """The event log of a store and how it is kept in step with the files (DecisionStore sets the fields)."""

    path: Path
    last_error: str
    migrated_backup: Path | None
    _storage: JournalStorage
    _log: EventLog
    _meta: dict[str, Any]
    _extra: Tables
    _unreported: bool

    def _reload(self, tables: Tables | None, records: list[Record]) -> None:
        tables = dict(tables or {})
        version = self._schema_version(tables)
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"{self.path}: written by a newer triage (schema {version}, this one reads up to "
                f"{SCHEMA_VERSION}); it was not opened, so nothing in it is lost."
            )
        raw_events = tables.pop("events", {}) or {}
        self._meta = tables.pop("meta", {}) or {}
        self._extra = tables
        if version < SCHEMA_VERSION and raw_events:
            raw_events = self._migrate(version, raw_events)
        self._log.replace(raw_events)
        self._log.apply(records, self._extra)

    def _schema_version(self, tables: Tables) -> int:
        for doc in (tables.get("meta") or {}).values():
            if isinstance(doc, dict) and isinstance(doc.get("schema_version"), int):
                return doc["schema_version"]
        return 1 if tables.get("events") else SCHEMA_VERSION

    def _migrate(self, version: int, raw_events: dict[str, Any]) -> dict[str, Any]:
        """Bring events of an older schema to the current one, after a backup copy of the file."""
        migrated = {}
        for key, doc in raw_events.items():
            norm = normalise_doc(doc)
            if norm is not None:
                migrated[key] = norm
        self._meta = self._new_meta()
        if self.path.exists():
            try:
                with self._storage.locked():
                    self.migrated_backup = self._storage.backup(f".v{version}.bak")
                    self._storage.compact({"events": migrated, "meta": self._meta, **self._extra})
            except OSError as exc:  # cannot write: use the migrated view in memory, file untouched
                self.last_error = f"{self.path}: could not save the schema upgrade ({exc.strerror or exc})."
        return migrated

    def _new_meta(self) -> dict[str, Any]:
        return {"1": {"schema_version": SCHEMA_VERSION, "app": "triage", "created": utc_now_iso(),
                      "uuid": secrets.token_hex(8)}}

    def _sync_locked(self) -> bool:
        """Take in what other processes wrote (caller holds the file lock); True if events changed."""
        state = self._storage.poll()
        if state == "same":
            return False
        before = self._log.state()
        full = False
        if state == "journal":
            self._log.apply(self._storage.read_new(), self._extra)
        elif not self._reload_cheaply():
            try:
                with gc_paused():
                    self._reload(*self._storage.load())
            except StoreError:
                self._storage.forget()  # not taken in: look again next time, never write over it
                raise
            full = True  # maybe another file altogether (a restored or recovered one)
        changed = full or self._log.state() != before
        self._unreported = self._unreported or changed
        return changed

    def _reload_cheaply(self) -> bool:
        """Catch up without parsing the main file when that is safe (lock held); False: do a full reload.

        Safe when only the journal was replaced, or when another process compacted this same store
        (same uuid in meta): the events this store lacks are then the last ones of the main file,
        read from its end, and the rest is in the new journal.
        """
        if self._storage.main_unchanged():
            self._log.apply(self._storage.reread_journal(), self._extra)
            return True
        tail = self._storage.tail_meta(self._log.max_id)
        uuid = self._meta_doc().get("uuid")
        if tail is None:
            return False
        meta, newer = tail
        if (
            not uuid or meta.get("uuid") != uuid or meta.get("schema_version") != SCHEMA_VERSION
            or not isinstance(meta.get("through"), int) or newer is None
        ):
            return False
        expected = list(range(self._log.max_id + 1, meta["through"] + 1))
        if [doc_id for doc_id, _ in newer] != expected:
            return False
        records = self._storage.adopt_main()
        self._log.apply([("events", doc_id, doc) for doc_id, doc in newer], self._extra)
        self._log.apply(records, self._extra)
        return True

    def _meta_doc(self) -> dict[str, Any]:
        doc = (self._meta or {}).get("1")
        return doc if isinstance(doc, dict) else {}

