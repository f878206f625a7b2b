"""The decision store: durable, shareable decision events in a TinyDB file (the only importer of tinydb)."""

from triage.store.decisions import DecisionStore
from triage.store.errors import CorruptStoreError, NewerSchemaError, PendingWriteError, StoreError
from triage.store.events import new_uid
from triage.store.recover import recover
from triage.store.rescue import ReplayReport, RescueResult
from triage.store.undo import UndoConflict, UndoResult
from triage.infra.when import parse_when

__all__ = [
    "CorruptStoreError",
    "DecisionStore",
    "NewerSchemaError",
    "PendingWriteError",
    "ReplayReport",
    "RescueResult",
    "StoreError",
    "UndoConflict",
    "UndoResult",
    "new_uid",
    "parse_when",
    "recover",
]
