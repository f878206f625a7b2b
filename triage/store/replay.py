"""Rescuer: events that cannot be made durable go to a rescue file; the next start replays them.

``rescue()`` writes the pending events, an event being written right now and events the caller
never handed over to the first rescue place that can be written (rescue.py). ``replay()`` appends
every event of this user's rescue files whose uid the store does not hold yet to the journal in one
durable write, under the file lock and after reading what other processes wrote; an event older than
a later change of its article is left out, so a replay never undoes a newer decision. The files are
removed only after that write is durable, while their own lock is held; if the write fails they stay
for the next start. A rescue file of another user, or one that others may write, is never replayed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from triage.model import DecisionEvent
from triage.store.errors import StoreError
from triage.store.events import at_key, to_event
from triage.store.rescue import (
    ReplayReport,
    RescueResult,
    Waiting,
    locked_rescue_files,
    rescue_candidates,
    rescue_docs,
    retire,
    waiting_rescue_files,
    write_rescue,
)
from triage.store.sync import EventJournal, reason_of

__all__ = ["Rescuer"]

Doc = dict[str, Any]


class Rescuer:
    """The rescue files of one decisions file, and the journal that takes their events back."""

    def __init__(self, journal: EventJournal, dirs: Sequence[Path], *, user: str, host: str) -> None:
        self.journal = journal
        self.dirs = list(dirs)
        self.user = user
        self.host = host

    def waiting(self) -> Waiting:
        """The rescue files there are for this store (looked at, not read, not replayed)."""
        return waiting_rescue_files(self.journal.path, self.dirs)

    def _any_exists(self) -> bool:
        for target, _ in rescue_candidates(self.journal.path, self.dirs):
            try:
                os.stat(target, follow_symlinks=False)
                return True
            except OSError:
                continue
        return False

    # ---- writing ---------------------------------------------------------------------------------
    def rescue(self, extra: Sequence[DecisionEvent] = (), timeout: float = 2.0) -> RescueResult | None:
        """See DecisionStore.rescue."""
        journal = self.journal
        got = journal.mutex.acquire(timeout=max(0.0, timeout))
        try:
            # before pending: a failed write moves its docs there, then clears this
            inflight = list(journal.inflight)
            pending = list(journal.log.pending)
            docs = rescue_docs(inflight + pending, extra, user=self.user, host=self.host)
            if not docs:
                return None
            result = write_rescue(journal.path, docs, dirs=self.dirs, timeout=timeout)
            if result.path is not None and got:
                moved = {id(d) for d in pending}
                journal.log.pending = [d for d in journal.log.pending if id(d) not in moved]
            return result
        finally:
            if got:
                journal.mutex.release()

    # ---- replaying -------------------------------------------------------------------------------
    def replay(self, *, timeout: float = 2.0) -> ReplayReport | None:
        """Replay the rescue files into the journal; None when there are none (the usual case)."""
        if not self._any_exists():
            return None
        journal = self.journal
        with locked_rescue_files(journal.path, self.dirs, timeout=timeout) as (files, problems, refused):
            kept_aside = tuple(p for p, _ in problems)
            if not files:
                if not problems and not refused:
                    return None
                return ReplayReport(paths=kept_aside, error="; ".join(r for _, r in problems),
                                    kept=kept_aside, refused=tuple(refused))
            paths = tuple(f.path for f in files)
            damaged = sum(f.damaged for f in files)
            counts = {"already": 0, "superseded": 0}
            try:
                with journal.mutex, journal.storage.locked():
                    journal.sync_locked()
                    replayed = self._new_events(files, counts)
                    journal.flush_locked(replayed)
            except (OSError, StoreError) as exc:
                return ReplayReport(paths=paths, damaged=damaged, error=reason_of(exc), kept=paths,
                                    refused=tuple(refused))
            kept = []
            for found in files:
                try:
                    renamed = retire(found)
                except OSError:
                    renamed = found.path  # replayed events are skipped by uid next time: harmless to keep
                if renamed is not None:
                    kept.append(renamed)
            return ReplayReport(
                replayed=tuple(to_event(d) for d in replayed), already=counts["already"],
                superseded=counts["superseded"], paths=paths, damaged=damaged, kept=tuple(kept),
                refused=tuple(refused),
            )

    def _new_events(self, files: list[Any], counts: dict[str, int]) -> list[Doc]:
        """The rescued events to write: not held yet, and not older than a later change of their article."""
        log = self.journal.log
        seen = {d.get("uid") for d in log.docs if type(d.get("uid")) is str}
        seen.update(d.get("uid") for d in log.pending)
        newest: dict[str, str] = {}
        out: list[Doc] = []
        for found in files:
            for doc in found.docs:
                uid, aid = doc["uid"], doc["article_id"]
                if uid in seen:
                    counts["already"] += 1
                    continue
                seen.add(uid)
                if aid not in newest:
                    latest = log.latest(aid)
                    newest[aid] = at_key(latest.get("at")) if latest is not None else ""
                at = at_key(doc.get("at"))
                if newest[aid] and at and at < newest[aid]:
                    counts["superseded"] += 1
                    continue
                newest[aid] = max(newest[aid], at)
                out.append(doc)
        return out
