"""Session undo: take back this session's own events, and only those (DecisionStore.undo_own).

An article's event E written by this store instance can be undone while no other writer has
changed the article since: every event after E in the file (there may be none) was written by this
same instance. The article then returns to the state just before E (the (decision, note) of the
event before it, or no decision), or to a state the caller gives. Otherwise the article is left
alone and reported as a conflict naming the later change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triage.infra.sanitize import sanitize_line
from triage.model import DecisionEvent
from triage.store.events import decision_or_none, to_event

__all__ = ["SessionUndo", "UndoConflict", "UndoResult", "plan_undo"]

Doc = dict[str, Any]


@dataclass(frozen=True)
class UndoConflict:
    """An article that undo_own left alone, and why."""

    article_id: str
    latest: DecisionEvent | None  # the later change by someone else that blocks the undo, when there is one
    reason: str  # one plain, terminal-safe phrase naming the article and why


def _changed_by(article_id: str, event: DecisionEvent) -> str:
    who = sanitize_line(event.user) or "someone"
    if event.host:
        who += f"@{sanitize_line(event.host)}"
    when = sanitize_line(event.at)[:16].replace("T", " ")
    return f"{sanitize_line(article_id)}: changed since by {who}" + (f" at {when} UTC" if when else "")


@dataclass(frozen=True)
class UndoResult:
    """What undo_own did: the undo events written, the articles left alone, whether it is on disk."""

    events: tuple[DecisionEvent, ...]  # one "undo" event per article taken back
    conflicts: tuple[UndoConflict, ...]  # articles someone else changed since: not touched
    saved: bool = True  # False: the undo events are held in memory and retried (like a pending decision)
    error: str = ""  # why they are not saved yet

    @property
    def done(self) -> bool:
        """True if at least one article was taken back."""
        return bool(self.events)


def plan_undo(
    targets: Sequence[DecisionEvent], history: Callable[[str], list[Doc]], own: set[str],
    states: Mapping[str, tuple[str | None, str]] | None,
) -> tuple[list[tuple[str, str | None, str, Doc]], list[UndoConflict]]:
    """Which articles to take back to which (decision, note): ([(id, decision, note, latest doc)], conflicts).

    `targets` are this session's events (one per article; a later one of the same article wins),
    `history(id)` an article's events oldest first, `own` the uids this instance wrote.
    """
    chosen: dict[str, DecisionEvent] = {}
    for event in targets:
        chosen[event.article_id] = event
    plan: list[tuple[str, str | None, str, Doc]] = []
    conflicts: list[UndoConflict] = []
    for article_id, event in chosen.items():
        docs = history(article_id)
        at = next((i for i in range(len(docs) - 1, -1, -1) if docs[i].get("uid") == event.uid), None)
        if not event.uid or at is None:
            why = f"{sanitize_line(article_id)}: the change to undo is not in the decisions file"
            conflicts.append(UndoConflict(article_id, None, why))
            continue
        if event.uid not in own:
            why = f"{sanitize_line(article_id)}: the change to undo was not made in this session"
            conflicts.append(UndoConflict(article_id, None, why))
            continue
        other = next((d for d in docs[at + 1:] if d.get("uid") not in own), None)
        if other is not None:
            latest = to_event(other)
            conflicts.append(UndoConflict(article_id, latest, _changed_by(article_id, latest)))
            continue
        if states is not None and article_id in states:
            decision, note = states[article_id]
        elif at > 0:
            before = docs[at - 1]
            decision, note = decision_or_none(before.get("decision")), _text_or_empty(before.get("note"))
        else:
            decision, note = None, ""
        plan.append((article_id, decision, note, docs[-1]))
    return plan, conflicts


def _text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


class SessionUndo:
    """The events one store instance wrote: what its undo_own may take back (and nothing else)."""

    def __init__(self) -> None:
        self._own: set[str] = set()

    def remember(self, uid: str) -> None:
        """Note an event this instance wrote."""
        self._own.add(uid)

    def plan(self, targets: Sequence[DecisionEvent], history: Callable[[str], list[Doc]],
             states: Mapping[str, tuple[str | None, str]] | None
             ) -> tuple[list[tuple[str, str | None, str, Doc]], list[UndoConflict]]:
        """plan_undo over this instance's own events."""
        return plan_undo(targets, history, self._own, states)
