"""What the background side tells a UI: one frozen dataclass per kind of event.

Listeners receive these from background threads; a UI posts them on to its event loop and handles
each kind in its own method (see `ServiceEvent.handler_name`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from triage.catalog.catalog import Change
    from triage.core.book import Saved

__all__ = [
    "AnalysisStopped",
    "Analysed",
    "ArticlesChanged",
    "DecisionsChanged",
    "DeskChanged",
    "LoadProgress",
    "Notice",
    "ServiceEvent",
    "StatusText",
    "WriteSettled",
]


@dataclass(frozen=True)
class ServiceEvent:
    """Base of every event the service emits."""

    @classmethod
    def handler_name(cls) -> str:
        """The method a UI handles it with: ArticlesChanged -> on_articles_changed."""
        return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


@dataclass(frozen=True)
class ArticlesChanged(ServiceEvent):
    """Stories arrived, changed or left (a load batch, the watcher, a feed refresh). `loading` is
    True for a batch of the inbox's first read (not news to announce)."""

    change: Change
    loading: bool = False


@dataclass(frozen=True)
class LoadProgress(ServiceEvent):
    """The progressive inbox load: `done` of `total` files read; `finished` once all are."""

    done: int
    total: int
    finished: bool = False


@dataclass(frozen=True)
class DecisionsChanged(ServiceEvent):
    """Decisions changed on disk (another process, or a replay); `saved_now` earlier refused writes landed."""

    saved_now: int = 0


@dataclass(frozen=True)
class DeskChanged(ServiceEvent):
    """The desk changed: presence, takes, hand-offs or watches (mine, or another editor's within a
    second). `for_me` lists hand-offs to me that arrived since the last such event (a notice);
    `watch_hits` the stories a watch matches that it did not before."""

    for_me: tuple[str, ...] = ()  # story ids newly handed to me
    watch_hits: tuple[str, ...] = ()  # story ids that newly match a watch (ui.bell_on_watch rings)


@dataclass(frozen=True)
class Analysed(ServiceEvent):
    """Summaries are ready for `ids` (none: the analysis cache was read); `failures` are (id, why)."""

    ids: tuple[str, ...] = ()
    failures: tuple[tuple[str, str], ...] = ()
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class AnalysisStopped(ServiceEvent):
    """Background analysis cannot go on (the model would not load, the workers keep dying)."""

    reason: str


@dataclass(frozen=True)
class WriteSettled(ServiceEvent):
    """The writer thread finished a decision or note: written, or refused and kept for a retry."""

    saved: Saved


@dataclass(frozen=True)
class Notice(ServiceEvent):
    """A sentence for the person: `severity` is information, warning or error."""

    text: str
    severity: Literal["information", "warning", "error"] = "information"


@dataclass(frozen=True)
class StatusText(ServiceEvent):
    """A short activity text for the status bar ("fetching feeds 2/5"); empty clears it."""

    text: str = ""

