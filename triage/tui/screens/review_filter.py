"""What the review table shows: filters and sort orders over decision events, as pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from triage.model import Decision, DecisionEvent
from triage.tui.format import decision_word, utc_key

__all__ = [
    "COLUMNS",
    "DECISION_FILTERS",
    "MAX_ROWS",
    "RANGES",
    "ReviewFilter",
    "filter_events",
    "haystack",
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
    since = utc_key(parse_when(flt.since)) if flt.since.strip() else None
    until = utc_key(parse_when(flt.until, end=True)) if flt.until.strip() else None
    return since, until


def haystack(ev: DecisionEvent) -> str:
    """The text the text filter looks in: title, note, source, user, id and url, casefolded."""
    return f"{ev.title}\n{ev.note}\n{ev.source}\n{ev.user}\n{ev.article_id}\n{ev.url}".casefold()


def filter_events(
    events: Iterable[DecisionEvent],
    flt: ReviewFilter,
    *,
    since: str | None = None,
    until: str | None = None,
    hay: dict[str, str] | None = None,
    tags: dict[str, tuple[str, ...]] | None = None,
) -> list[DecisionEvent]:
    """The events matching a filter (since/until: UTC keys from time_bounds); pure (`hay`, article id
    -> haystack(event), is only read: a missing entry is worked out).

    `user` matches one user exactly (casefolded); a source filter "tag:T" matches the sources (feeds)
    tagged T in `tags` (source name -> tags), any other a part of the source's name. The one place the
    review screen matches events: the store's event query replaces it at this call."""
    want_dec: object = ...
    if flt.decision == "cleared":
        want_dec = None
    elif flt.decision != "all":
        want_dec = Decision(flt.decision)
    user = flt.user.strip().casefold()
    source = flt.source.strip().casefold()
    tagged: set[str] | None = None
    if source.startswith("tag:"):
        tag = source[4:].strip()
        tagged = {name.casefold() for name, ts in (tags or {}).items() if tag in (t.casefold() for t in ts)}
    terms = flt.text.casefold().split()
    out: list[DecisionEvent] = []
    for ev in events:
        if want_dec is not ... and ev.decision is not want_dec:
            continue
        if since is not None and ev.at < since:
            continue
        if until is not None and ev.at > until:
            continue
        if user and user != ev.user.casefold():
            continue
        if tagged is not None:
            if ev.source.casefold() not in tagged:
                continue
        elif source and source not in ev.source.casefold():
            continue
        if terms:
            h = hay.get(ev.article_id) if hay is not None else None
            if h is None:
                h = haystack(ev)
            if any(t not in h for t in terms):
                continue
        out.append(ev)
    return out


_SORT_KEYS = {
    "when": lambda ev: ev.at,
    "decision": lambda ev: decision_word(ev.decision),
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
