"""The decision store: durable, shareable decision events in a TinyDB file (the only importer of tinydb)."""

from triage.infra.when import parse_when
from triage.store.decisions import DecisionStore
from triage.store.errors import CorruptStoreError, NewerSchemaError, PendingWriteError, StoreError
from triage.store.events import at_key, iso_key, new_uid, utc_now_iso
from triage.store.query import EventQuery, haystack
from triage.store.recover import recover
from triage.store.rescue import ReplayReport, RescueResult
from triage.store.undo import UndoConflict, UndoResult

__all__ = [
    "CorruptStoreError",
    "DecisionStore",
    "EventQuery",
    "NewerSchemaError",
    "PendingWriteError",
    "ReplayReport",
    "RescueResult",
    "StoreError",
    "UndoConflict",
    "UndoResult",
    "at_key",
    "haystack",
    "iso_key",
    "new_uid",
    "parse_when",
    "recover",
    "utc_now_iso",
]
