"""Decision events as stored documents: field names, normalisation, fast conversion to DecisionEvent.

The stored keys are those files and tables have always held; where DecisionEvent's attribute is named
otherwise (`version` holds the text's hash, `wire_version` the agency's version) KEY_TO_ATTR maps them,
here and nowhere else. Files written before the rename, and triage versions before it sharing one
file or database, so read and write the same documents.
"""

from __future__ import annotations

import secrets
from dataclasses import MISSING, fields
from typing import Any

from triage.infra.clock import datetime_key, now_iso, utc_key
from triage.model import Decision, DecisionEvent
from triage.store.lines import TEXT_FIELDS, check_event

__all__ = [
    "EVENT_KEYS", "KEY_TO_ATTR", "SCHEMA_VERSION", "WIRE_KEYS",
    "at_key", "decision_or_none", "fitted_event", "iso_key",
    "new_uid",
    "normalise_doc", "to_doc", "to_event", "undo_target", "utc_now_iso",
]

SCHEMA_VERSION = 2
WIRE_KEYS = ("urgency", "slugline", "wire_version")  # optional: events written before them lack them
EVENT_KEYS = ("article_id", "decision", "note", "user", "host", "at", "title", "source", "url", "action",
              "batch", "uid", "version", *WIRE_KEYS, "story")
# stored key -> DecisionEvent attribute, where the two differ (the stored keys stay as files hold them)
KEY_TO_ATTR = {"version": "content_hash", "wire_version": "version"}
ACTIONS = ("decide", "clear", "undo", "note")

_DECISIONS: dict[Any, Decision | None] = {d.value: d for d in Decision}
_DEFAULTS: dict[str, Any] = {
    f.name: (f.default if f.default is not MISSING else None) for f in fields(DecisionEvent)
}
_DEFAULTS.update(uid="", content_hash="")
_KEYSET = frozenset(EVENT_KEYS)
_ATTRS = tuple((key, KEY_TO_ATTR.get(key, key)) for key in EVENT_KEYS)
_FAST = hasattr(DecisionEvent, "__dict__") and "__slots__" not in DecisionEvent.__dict__


def new_uid() -> str:
    """A unique event id (64 random bits as hex): a replayed or retried event is recognised by it."""
    return secrets.token_hex(8)


# The clock is written once (triage.infra.clock); the store's names for it.
utc_now_iso = now_iso
iso_key = datetime_key
at_key = utc_key


def decision_or_none(value: Any) -> str | None:
    """A stored decision value if it is a known one, else None (a hand-written document may hold anything)."""
    try:
        return value if value in _DECISIONS else None
    except TypeError:  # unhashable
        return None


def to_event(doc: dict[str, Any]) -> DecisionEvent:
    """A stored document as a DecisionEvent (missing fields take the dataclass defaults)."""
    values = dict(_DEFAULTS)
    if doc.keys() <= _KEYSET:  # the usual case: nothing but event fields (some may be missing)
        values.update(doc)
        values["content_hash"] = doc.get("version", "")
        values["version"] = values.pop("wire_version", "")
    else:
        for key, attr in _ATTRS:
            if key in doc:
                values[attr] = doc[key]
    try:
        values["decision"] = _DECISIONS.get(values["decision"])
    except TypeError:  # an unhashable value written by hand (a list): no decision
        values["decision"] = None
    if _FAST:
        event = object.__new__(DecisionEvent)
        event.__dict__.update(values)  # frozen: set once here, as dataclass __init__ would
        return event
    return DecisionEvent(**values)


def to_doc(event: DecisionEvent) -> dict[str, Any]:
    """A DecisionEvent as a stored document (decision as its string value, null when cleared)."""
    doc = {key: getattr(event, attr) for key, attr in _ATTRS}
    doc["decision"] = event.decision.value if event.decision is not None else None
    return doc


def normalise_doc(doc: dict[str, Any]) -> dict[str, Any] | None:
    """An event document from any schema version in the current shape; None if it is not an event."""
    if not isinstance(doc, dict) or not isinstance(doc.get("article_id"), (str, int)):
        return None
    out: dict[str, Any] = {key: "" for key in EVENT_KEYS}
    for key in EVENT_KEYS:
        value = doc.get(key)
        if value is not None:
            out[key] = value if isinstance(value, str) else str(value)
    urgency = doc.get("urgency")
    out["urgency"] = urgency if type(urgency) is int and 0 <= urgency <= 9 else None
    if not out["at"]:
        out["at"] = str(doc.get("time") or doc.get("timestamp") or "")
    raw = doc.get("decision")
    try:
        out["decision"] = Decision.parse(raw).value if isinstance(raw, str) and raw.strip() else None
    except ValueError:
        out["decision"] = None
    if out["action"] not in ACTIONS:
        out["action"] = "decide" if out["decision"] else "clear"
    return out


def fitted_event(doc: Any) -> dict[str, Any] | None:
    """A main-file entry as an event whose every field has its type: as it is when it passes
    check_event; else a copy with text fields as text (null as ""), an unknown decision or urgency as
    none. None when it is not an event at all (no article_id that is text). Nothing else changes, so
    what someone wrote by hand is still shown as written (sanitised on the way out)."""
    if not check_event(doc):
        return doc
    if type(doc) is not dict or type(doc.get("article_id")) is not str:
        return None
    out = dict(doc)
    for key in (*TEXT_FIELDS, "at"):
        value = out.get(key)
        if key in out and type(value) is not str:
            out[key] = "" if value is None else str(value)
    if decision_or_none(out.get("decision")) is None:
        out["decision"] = None
    urgency = out.get("urgency")
    if urgency is not None and (type(urgency) is not int or not 0 <= urgency <= 9):
        out["urgency"] = None
    return out


def undo_target(history: list[dict[str, Any]]) -> tuple[str | None, str] | None:
    """The (decision, note) an undo returns an article to, or None when there is nothing to undo.

    The history is a stack of states: decide, clear and note events push one, undo events pop one.
    """
    stack: list[tuple[str | None, str]] = [(None, "")]
    for doc in history:
        if doc.get("action") == "undo":
            if len(stack) > 1:
                stack.pop()
            stack[-1] = (doc.get("decision"), doc.get("note", ""))
        else:
            stack.append((doc.get("decision"), doc.get("note", "")))
    return stack[-2] if len(stack) >= 2 else None
