"""Moving a desk: its whole history from one store to another (TinyDB file <-> PostgreSQL), by uid.

Every event keeps its user, host, time and uid; an event the destination holds already (same uid)
is skipped, so a copy run twice adds nothing the second time. Events of files from before uids get
one made from their content and place, the same on every run.

The desk's acts (takes, hand-offs, acknowledgements, desk watches) go into PostgreSQL only: there the
schema's owner may write each act in its author's name, as the decisions are. Into a desk folder no
copy is faithful, since a member's acts are believed only from a file that member's uid writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from triage.model import DecisionEvent, DeskAct, Handoff, Take, Watch
from triage.store.api import DeskRecord, Store
from triage.store.events import to_doc

__all__ = ["CopyReport", "DeskSink", "HistorySink", "copy_desk", "copy_history", "with_uids"]


@runtime_checkable
class HistorySink(Store, Protocol):
    """A store that takes events as they are (both backends)."""

    def append_events(self, events: Sequence[DecisionEvent]) -> int:
        """Append events keeping user, host, time and uid; skip uids held; how many were added."""
        ...


@runtime_checkable
class DeskSink(DeskRecord, Protocol):
    """A desk record that takes another desk's acts as they are (PostgreSQL)."""

    def append_acts(self, acts: Sequence[DeskAct], *, takes: Sequence[Take] = (),
                    handoffs: Sequence[Handoff] = (), watches: Sequence[Watch] = ()) -> int:
        """Append acts keeping who, host, time and uid; skip uids held; committed only when the sink then
        says the same takes, hand-offs and watches; how many were added."""
        ...


@dataclass(frozen=True)
class CopyReport:
    """What a copy did."""

    read: int  # events in the source
    added: int  # events new to the destination

    @property
    def already(self) -> int:
        """Events the destination held before (same uid)."""
        return self.read - self.added


def with_uids(events: Sequence[DecisionEvent]) -> list[DecisionEvent]:
    """The events, each with a uid: one without gets a stable one from its content and occurrence."""
    seen: dict[str, int] = {}
    out = []
    for event in events:
        if event.uid:
            out.append(event)
            continue
        body = json.dumps(to_doc(event), sort_keys=True, ensure_ascii=True)
        n = seen[body] = seen.get(body, 0) + 1
        digest = hashlib.sha256(f"{n}\n{body}".encode()).hexdigest()[:16]
        out.append(replace(event, uid=f"copy-{digest}"))
    return out


def copy_history(source: Store, destination: HistorySink) -> CopyReport:
    """Every event of `source`, oldest first, into `destination` (see module docstring)."""
    events = with_uids(source.query(history=True))
    return CopyReport(len(events), destination.append_events(events))


def copy_desk(source: DeskRecord, destination: DeskSink) -> CopyReport:
    """Every act of `source`'s desk, oldest first, into `destination`, with what is in force there."""
    source.refresh()
    acts = source.acts()
    added = destination.append_acts(acts, takes=source.takes(), handoffs=source.handoffs(),
                                    watches=source.watches())
    return CopyReport(len(acts), added)
