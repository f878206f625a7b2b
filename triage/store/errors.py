"""Errors raised by the decision store; each message is one sentence naming the file and the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.model import DecisionEvent, Take

__all__ = ["CorruptStoreError", "HeldError", "LockTimeoutError", "NewerSchemaError", "NotYoursError",
           "PendingWriteError", "StoreError"]


class StoreError(Exception):
    """The decisions file cannot be used: the message names the file and the reason."""


class LockTimeoutError(StoreError):
    """Another process held the file lock for longer than the store waits (it is busy, not broken)."""


class CorruptStoreError(StoreError):
    """The decisions file (or its journal) does not parse; it is left exactly as it is."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class NewerSchemaError(StoreError):
    """The file was written by a newer triage; it is not opened, so nothing in it is lost."""


class PendingWriteError(StoreError):
    """A decision was accepted in memory but could not be made durable yet; it is retried later.

    `events` are the accepted events (already visible through current()/history()).
    """

    def __init__(self, message: str, events: list[DecisionEvent]) -> None:
        super().__init__(message)
        self.events = events


class HeldError(StoreError):
    """A story another editor holds (`take`: theirs, still in force); the message names them."""

    def __init__(self, message: str, take: Take) -> None:
        super().__init__(message)
        self.take = take


class NotYoursError(StoreError):
    """An act on a record that is another editor's (their watch, a hand-off addressed to someone
    else); the message names whose it is. Nobody acts in another's name."""
