"""Rescuer: events that cannot be made durable go to a rescue file; the next start replays them.

``rescue()`` writes the pending events, an event being written right now and events the caller
never handed over to the first rescue place that can be written (rescue.py). ``replay()`` hands
every event of this user's rescue files whose uid the store does not hold yet to the backend's
write, one durable write under its lock after reading what others wrote; an event older than a
later change of its article is left out, so a replay never undoes a newer decision. The files are
removed only after that write is durable, while their own lock is held; if the write fails they stay
for the next start. A rescue file of another user, or one that others may write, is never replayed.
The same for both backends: each gives its lock, its pending list and its write.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from triage.infra.atomic import make_dirs
from triage.model import DecisionEvent
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

__all__ = ["Rescuer", "pick_new"]

Doc = dict[str, Any]
Counts = dict[str, int]
# the backend's replay write: (the rescued events, counts) -> the events written, raising on failure
ReplayWrite = Callable[[list[Doc], Counts], list[Doc]]


class Pending(Protocol):
    """What holds a store's pending events (not yet durable)."""

    pending: list[Doc]


def pick_new(docs: Iterable[Doc], held: set[Any], latest: Callable[[str], Doc | None],
             counts: Counts) -> list[Doc]:
    """The rescued events to write: uid not in `held`, and not older than a later change of their
    article (`latest`); `counts` gains "already" and "superseded"."""
    newest: dict[str, str] = {}
    out: list[Doc] = []
    for doc in docs:
        uid, aid = doc["uid"], doc["article_id"]
        if uid in held:
            counts["already"] += 1
            continue
        held.add(uid)
        if aid not in newest:
            last = latest(aid)
            newest[aid] = at_key(last.get("at")) if last is not None else ""
        at = at_key(doc.get("at"))
        if newest[aid] and at and at < newest[aid]:
            counts["superseded"] += 1
            continue
        newest[aid] = max(newest[aid], at)
        out.append(doc)
    return out


class Rescuer:
    """The rescue files of one store: `path` names its own one, `dirs` the fallback places."""

    def __init__(self, path: Path, dirs: Sequence[Path], *, mutex: threading.RLock, log: Pending,
                 inflight: Callable[[], list[Doc]], who: Callable[[], tuple[str, str]],
                 make_parent: bool = False) -> None:
        self.path = path
        self.dirs = list(dirs)
        self._mutex = mutex
        self._log = log
        self._inflight = inflight
        self._who = who
        self._make_parent = make_parent  # the own place's folder is made when missing

    def waiting(self) -> Waiting:
        """The rescue files there are for this store (looked at, not read, not replayed)."""
        return waiting_rescue_files(self.path, self.dirs)

    def _any_exists(self) -> bool:
        return any(os.path.lexists(target) for target, _ in rescue_candidates(self.path, self.dirs))

    def rescue(self, extra: Sequence[DecisionEvent] = (), timeout: float = 2.0) -> RescueResult | None:
        """See DecisionStore.rescue."""
        got = self._mutex.acquire(timeout=max(0.0, timeout))
        try:
            # before pending: a failed write moves its docs there, then clears this
            inflight = list(self._inflight())
            pending = list(self._log.pending)
            user, host = self._who()
            docs = rescue_docs(inflight + pending, extra, user=user, host=host)
            if not docs:
                return None
            if self._make_parent:
                try:
                    make_dirs(self.path.parent)
                except OSError:
                    pass  # write_rescue tries the other places
            result = write_rescue(self.path, docs, dirs=self.dirs, timeout=timeout)
            if result.path is not None and got:
                moved = {id(d) for d in pending}
                self._log.pending = [d for d in self._log.pending if id(d) not in moved]
            return result
        finally:
            if got:
                self._mutex.release()

    def replay(self, write: ReplayWrite, *, failures: tuple[type[BaseException], ...],
               reason: Callable[[Any], str], timeout: float = 2.0) -> ReplayReport | None:
        """Replay the rescue files through `write`; None when there are none (the usual case).
        A failure of a kind in `failures` keeps the files and says `reason(exc)`."""
        if not self._any_exists():
            return None
        with locked_rescue_files(self.path, self.dirs, timeout=timeout) as (files, problems, refused):
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
                replayed = write([doc for found in files for doc in found.docs], counts)
            except failures as exc:
                return ReplayReport(paths=paths, damaged=damaged, error=reason(exc), kept=paths,
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
