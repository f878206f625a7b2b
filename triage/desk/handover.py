"""The shift's handover: for a period, what each editor followed up or flagged (with notes), the takes and
hand-offs still open, hand-offs nobody acknowledged, undecided flashes and bulletins, kills, withholds and
corrections that came in, and watch hits nobody opened. Built from the decisions, the desk's record and
the stories at hand (the open TUI's catalog, or the inbox the CLI read); as Markdown and as JSON.

"Nobody opened" is what the desk can know: a story nobody decided, took, handed or acknowledged, and
that I did not open (what a colleague opened is theirs alone, never shared).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from triage.desk.desk import Desk, handed_on
from triage.desk.watching import article_matches
from triage.infra.clock import datetime_key, utc_key
from triage.infra.sanitize import escape_forbidden, sanitize_line
from triage.model import DESK, Article, Decision, DecisionEvent, Handoff, Take

if TYPE_CHECKING:
    from triage.store.api import Store

__all__ = ["Handover", "WatchHit", "build_handover", "handover_json", "handover_markdown"]


@dataclass(frozen=True)
class WatchHit:
    """A story a watch matched in the period that nobody opened."""

    watch: str
    article: Article


@dataclass(frozen=True)
class Handover:
    """What the desk did and left in a period (`since` .. `until`, UTC stamps)."""

    since: str
    until: str
    editors: dict[str, list[DecisionEvent]] = field(default_factory=dict)  # follow-ups and flags by editor
    takes: list[Take] = field(default_factory=list)
    open_handoffs: list[Handoff] = field(default_factory=list)  # not acknowledged, not decided since
    unacknowledged: list[Handoff] = field(default_factory=list)  # made in the period, never acknowledged
    flashes: list[Article] = field(default_factory=list)  # undecided flashes and bulletins
    kills: list[Article] = field(default_factory=list)  # withheld or cancelled
    corrections: list[Article] = field(default_factory=list)  # a newer version of a story seen before
    watch_hits: list[WatchHit] = field(default_factory=list)
    stories_known: bool = True  # False: no stories were at hand (the CLI without an inbox)


def _in(stamp: str, since: str) -> bool:
    key = utc_key(stamp)
    return bool(key) and key >= since


def _undecided(event: DecisionEvent | None) -> bool:
    return event is None or event.decision is None


def build_handover(desk: Desk, store: Store | None, articles: Iterable[Article] | None, *, since: timedelta,
                   event_of: Callable[[str], DecisionEvent | None],
                   match: Callable[[str], list[str]] | None = None, default_language: str = "") -> Handover:
    """The handover of the period ending now. `articles`: the stories at hand (list rows; None: none
    known); `event_of(id)`: a story's latest decision event; `match(query)`: the rows a watch matches
    (else each story is read against it). `store` None: nothing was decided there yet."""
    now = datetime.now(UTC)
    start = datetime_key(now - since)
    events: list[DecisionEvent] = []
    if store is not None:
        store.refresh()  # what the other editors wrote up to now
        events = store.query(since=now - since, history=True)
    editors: dict[str, dict[str, DecisionEvent]] = {}
    for event in events:  # oldest first: an editor's later act on a story replaces the earlier one
        kept = editors.setdefault(event.user, {})
        if event.decision in (Decision.FOLLOW_UP, Decision.FLAG) or (event.action == "note" and event.note):
            kept[event.story or event.article_id] = event
        else:  # archived, cleared or undone since: not what the shift left
            kept.pop(event.story or event.article_id, None)
    record = desk.record
    record.refresh()
    handoffs = record.handoffs()
    takes = desk.takes_in_force()
    later = handed_on(handoffs)
    open_handoffs = [h for h in handoffs if desk.is_open(h) and h.uid not in later]
    unacknowledged = [h for h in handoffs if not h.seen and _in(h.at, start)]
    stories = list(articles) if articles is not None else []
    fresh = [a for a in stories if _in(a.received, start) or (a.updated and _in(a.updated_at, start))]
    flashes = [a for a in fresh if a.urgency in (1, 2) and not a.killed and _undecided(event_of(a.id))]
    kills = [a for a in fresh if a.killed]
    corrections = [a for a in fresh if a.updated and not a.killed and _in(a.updated_at, start)]
    touched = {act.article_id for act in record.acts(since=start)}
    touched |= {e.article_id for e in events} | set(desk.opened())
    by_id = {a.id: a for a in fresh}
    hits: list[WatchHit] = []
    for watch in desk.all_watches():
        if match is not None:
            rows = [by_id[r] for r in match(watch.query) if r in by_id]
        else:
            rows = [a for a in fresh if article_matches(a, watch.query, default_language)]
        hits += [WatchHit(watch.name, a) for a in rows if a.id not in touched and _undecided(event_of(a.id))]
    return Handover(
        since=start, until=datetime_key(now),
        editors={user: sorted(kept.values(), key=lambda e: utc_key(e.at))
                 for user, kept in sorted(editors.items()) if kept},
        takes=takes, open_handoffs=open_handoffs, unacknowledged=unacknowledged, flashes=flashes,
        kills=kills, corrections=corrections, watch_hits=hits, stories_known=articles is not None)


# -- as JSON -----------------------------------------------------------------------------------------
def _story(a: Article) -> dict[str, Any]:
    return {"article_id": a.id, "title": a.title, "source": a.source, "urgency": a.urgency,
            "pubstatus": a.pubstatus, "received": a.received, "updated_at": a.updated_at if a.updated else ""}


def _handoff(h: Handoff) -> dict[str, Any]:
    return {"article_id": h.article_id, "title": h.title, "from": h.sender, "to": h.to, "note": h.note,
            "at": h.at, "seen": h.seen, "seen_by": h.seen_by, "seen_at": h.seen_at}


def handover_json(h: Handover) -> str:
    """The handover as one JSON object; characters a terminal could act on are \\u escapes."""
    doc = {
        "since": h.since, "until": h.until,
        "editors": {user: [{"article_id": e.article_id, "title": e.title,
                            "decision": e.decision.value if e.decision else None, "note": e.note, "at": e.at}
                           for e in events] for user, events in h.editors.items()},
        "takes": [{"article_id": t.article_id, "title": t.title, "user": t.user, "since": t.since,
                   "until": t.until} for t in h.takes],
        "open_handoffs": [_handoff(x) for x in h.open_handoffs],
        "unacknowledged": [_handoff(x) for x in h.unacknowledged],
        "flashes": [_story(a) for a in h.flashes],
        "kills": [_story(a) for a in h.kills],
        "corrections": [_story(a) for a in h.corrections],
        "watch_hits": [{"watch": w.watch, **_story(w.article)} for w in h.watch_hits],
        "stories_known": h.stories_known,
    }
    return escape_forbidden(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


# -- as Markdown -------------------------------------------------------------------------------------
def _md(value: Any) -> str:
    from triage.store.export import md_escape

    return md_escape(value)


def _when(stamp: str) -> str:
    return sanitize_line(stamp)[:16].replace("T", " ")


def _to(h: Handoff) -> str:
    return "the desk" if h.to == DESK else _md(h.to)


def _title(title: str, article_id: str) -> str:
    return _md(title) or f"`{_md(article_id)}`"


def handover_markdown(h: Handover) -> str:
    """The handover as a Markdown briefing, every stored text escaped and sanitised."""
    out = [f"# Handover {_when(h.since)} – {_when(h.until)} UTC", ""]

    def section(heading: str, lines: list[str], empty: str) -> None:
        out.extend([f"## {heading} ({len(lines)})", ""])
        out.extend(lines or [empty])
        out.append("")

    lines = []
    for user, events in h.editors.items():
        lines.append(f"- **{_md(user)}**")
        for e in events:
            word = e.decision.label if e.decision else "note"
            note = f": {_md(e.note)}" if e.note else ""
            lines.append(f"  - {word}: {_title(e.title, e.article_id)}{note}")
    out.extend(["## Followed up and flagged", ""])
    out.extend(lines or ["Nothing followed up or flagged."])
    out.append("")
    section("Takes still open", [f"- {_title(t.title, t.article_id)}: {_md(t.user)} until {_when(t.until)}"
                                 for t in h.takes], "No story is taken.")
    section("Hand-offs still open", [
        f"- {_title(x.title, x.article_id)}: {_md(x.sender)} to {_to(x)}, {_when(x.at)}"
        + (f": {_md(x.note)}" if x.note else "") for x in h.open_handoffs], "No hand-off is open.")
    section("Hand-offs not acknowledged", [
        f"- {_title(x.title, x.article_id)}: {_md(x.sender)} to {_to(x)}, {_when(x.at)}"
        for x in h.unacknowledged], "Every hand-off was acknowledged.")
    if not h.stories_known:
        out += ["No inbox was read: flashes, kills, corrections and watch hits are not reported "
                "(give INBOX folders, or set [paths] inbox).", ""]
        return "\n".join(out)

    def stories(items: list[Article]) -> list[str]:
        return [f"- {_title(a.title, a.id)} ({_md(a.source)}"
                + (f", urgency {a.urgency})" if a.urgency else ")") for a in items]

    section("Undecided flashes and bulletins", stories(h.flashes), "None.")
    section("Kills and withholds", stories(h.kills), "None.")
    section("Corrections and new versions", stories(h.corrections), "None.")
    section("Watch hits nobody opened", [f"- {_md(w.watch)}: {_title(w.article.title, w.article.id)}"
                                         for w in h.watch_hits], "None.")
    return "\n".join(out)
