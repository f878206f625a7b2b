"""What the review table shows: filters and sort orders over decision events, as pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from triage.infra.clock import datetime_key
from triage.model import DecisionEvent
from triage.tui.format import story_word

__all__ = [
    "COLUMNS",
    "DECISION_FILTERS",
    "MAX_ROWS",
    "RANGES",
    "ReviewFilter",
    "filter_events",
    "sort_events",
    "time_bounds",
]

DECISION_FILTERS = ("all", "follow-up", "flag", "archive", "cleared")
RANGES = ("all", "today", "7d", "30d")
COLUMNS = ("when", "decision", "title", "source", "user", "note")
# The table never holds more rows than this: a DataTable measures every cell it is given (about 0.1 ms
# a row), and no one scrolls 100,000 rows. The status line says how many match; filters narrow it down.
MAX_ROWS = 1000


@dataclass(frozen=True)
class ReviewFilter:
    """What the review table shows: decision, time range (as typed), user, source and text filters."""

    decision: str = "all"  # one of DECISION_FILTERS
    since: str = ""  # '', 'today', '7d', '30d', an ISO date or date-time (what parse_when accepts)
    until: str = ""
    user: str = ""
    source: str = ""
    text: str = ""


def time_bounds(flt: ReviewFilter, parse_when: Callable[..., datetime]) -> tuple[str | None, str | None]:
    """The filter's since/until as inclusive UTC keys; a whole day as `until` includes that day.

    `parse_when` is the service's (today, yesterday, 7d, 30d, ISO dates: local days); ValueError
    with a plain reason for anything else.
    """
    since = datetime_key(parse_when(flt.since)) if flt.since.strip() else None
    until = datetime_key(parse_when(flt.until, end=True)) if flt.until.strip() else None
    return since, until


def filter_events(
    events: Iterable[DecisionEvent],
    flt: ReviewFilter,
    *,
    since: str | None = None,
    until: str | None = None,
    hay: dict[str, str] | None = None,
    tags: Mapping[str, tuple[str, ...]] | None = None,
) -> list[DecisionEvent]:
    """The events matching a filter (since/until: UTC keys from time_bounds), through the one event
    query the store and `triage decisions` use (`hay`: article id -> haystack(event), read only):
    `user` is one login name (casefolded), a source "tag:T" the feeds tagged T in `tags`."""
    from triage.core import EventQuery

    query = EventQuery(decision=flt.decision, since=since, until=until, user=flt.user.strip() or None,
                       source=flt.source.strip() or None, text=flt.text.strip() or None, tags=tags,
                       history=True)
    return query.select(events, hay=hay)


_SORT_KEYS = {
    "when": lambda ev: ev.at,
    "decision": story_word,
    "title": lambda ev: ev.title.casefold(),
    "source": lambda ev: ev.source.casefold(),
    "user": lambda ev: ev.user.casefold(),
    "note": lambda ev: ev.note.casefold(),
}


def sort_events(events: list[DecisionEvent], column: str, descending: bool) -> list[DecisionEvent]:
    """Events sorted by one column; ties stay newest first."""
    out = sorted(events, key=_SORT_KEYS["when"], reverse=True)
    if column != "when":
        out.sort(key=_SORT_KEYS[column], reverse=descending)
    elif not descending:
        out.reverse()
    return out
