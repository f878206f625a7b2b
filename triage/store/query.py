"""Filters over stored event documents (what DecisionStore.query and the review screen select)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from triage.model import Decision
from triage.store.events import at_key

__all__ = ["decision_value", "event_filter"]

_CLEAR_WORDS = ("clear", "cleared", "none", "undecided")
_TEXT_FIELDS = ("title", "note", "source", "url", "article_id")


def decision_value(decision: Decision | str | None) -> str | None:
    """The stored value of a decision: 'follow-up' | 'archive' | 'flag', or None for clear; ValueError else."""
    if decision is None:
        return None
    if isinstance(decision, Decision):
        return decision.value
    if decision.strip().lower() in _CLEAR_WORDS:
        return None
    return Decision.parse(decision).value


def event_filter(*, decision: Decision | str | None = None, since: datetime | None = None,
                 until: datetime | None = None, user: str | None = None, source: str | None = None,
                 text: str | None = None, history: bool = False) -> Callable[[dict[str, Any]], bool]:
    """A predicate over event documents; see DecisionStore.query for the meaning of each filter."""
    want: Any = ...  # ...: any decision; "decided": any but cleared; else the stored value (None: cleared)
    if isinstance(decision, str) and decision.strip().lower() == "all":
        want = ...
    elif decision is not None:
        want = decision_value(decision)
    elif not history:
        want = "decided"
    lo = at_key(since.isoformat()) if since else ""
    hi = at_key(until.isoformat()) if until else ""
    user_cf = user.casefold() if user else None
    source_cf = source.casefold() if source else None
    text_cf = text.casefold() if text else None

    def keep(doc: dict[str, Any]) -> bool:
        value = doc.get("decision")
        if want == "decided":
            if value is None:
                return False
        elif want is not ... and value != want:
            return False
        if lo or hi:
            at = at_key(doc.get("at") or "")
            if not at or (lo and at < lo) or (hi and at > hi):
                return False
        if user_cf is not None and str(doc.get("user") or "").casefold() != user_cf:
            return False
        if source_cf is not None and source_cf not in str(doc.get("source") or "").casefold():
            return False
        if text_cf is not None:
            hay = " ".join(str(doc.get(k) or "") for k in _TEXT_FIELDS)
            if text_cf not in hay.casefold():
                return False
        return True

    return keep
