"""The decision store: durable, shareable decision events in a TinyDB file (the only importer of tinydb)."""

from triage.store.decisions import DecisionStore
from triage.store.errors import CorruptStoreError, NewerSchemaError, PendingWriteError, StoreError
from triage.store.recover import recover
from triage.store.when import parse_when

__all__ = [
    "CorruptStoreError",
    "DecisionStore",
    "NewerSchemaError",
    "PendingWriteError",
    "StoreError",
    "parse_when",
    "recover",
]
