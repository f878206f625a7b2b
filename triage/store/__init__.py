"""The decision store: durable, shareable decision events in a TinyDB file (the only importer of tinydb)."""

from typing import TYPE_CHECKING

from triage.infra.when import parse_when
from triage.store.api import Store
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
    "Store",
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


if TYPE_CHECKING:  # mypy checks that the file store has the interface's every member and signature

    def _file_store_is_a_store(store: DecisionStore) -> Store:
        return store
