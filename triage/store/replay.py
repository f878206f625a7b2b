"""Replay of rescue files when a decision store opens (DecisionStore calls this right after loading).

Every event of the rescue files (see rescue.py) whose uid the store does not hold yet is appended to
the journal in one durable write, under the store's file lock and after reading what other processes
wrote; an event older than a later change of its article (someone decided it again since) is left
out, so a replay never undoes a newer decision. The files are removed only after that write is
durable, and while their own lock is held; if the write fails they stay for the next start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from triage.store.errors import StoreError
from triage.store.events import at_key, to_event
from triage.store.rescue import ReplayReport, locked_rescue_files, rescue_candidates, retire

if TYPE_CHECKING:
    from triage.store.decisions import DecisionStore

__all__ = ["replay_rescue"]


def _any_exists(store: DecisionStore) -> bool:
    for target, _ in rescue_candidates(store.path, store.rescue_dirs):
        try:
            os.stat(target, follow_symlinks=False)
            return True
        except OSError:
            continue
    return False


def replay_rescue(store: DecisionStore, *, timeout: float = 2.0) -> ReplayReport | None:
    """Replay the rescue files of `store` into it; None when there are none (the usual case: a few stats)."""
    if not _any_exists(store):
        return None
    with locked_rescue_files(store.path, store.rescue_dirs, timeout=timeout) as (files, problems):
        if not files:
            if not problems:
                return None
            return ReplayReport(paths=tuple(p for p, _ in problems), error="; ".join(r for _, r in problems),
                                kept=tuple(p for p, _ in problems))
        paths = tuple(f.path for f in files)
        damaged = sum(f.damaged for f in files)
        replayed: list[dict[str, Any]] = []
        counts = {"already": 0, "superseded": 0}

        def build() -> list[dict[str, Any]]:
            log = store._log
            seen = {d.get("uid") for d in log.docs if type(d.get("uid")) is str}
            seen.update(d.get("uid") for d in log.pending)
            newest: dict[str, str] = {}
            out: list[dict[str, Any]] = []
            counts["already"] = counts["superseded"] = 0
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

        try:
            with store._mutex, store._storage.locked():
                store._sync_locked()
                replayed = build()
                store._flush_locked(replayed)
        except (OSError, StoreError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return ReplayReport(paths=paths, damaged=damaged, error=reason, kept=paths)
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
        )
