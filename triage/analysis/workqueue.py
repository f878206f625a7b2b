"""The queue of stories waiting for analysis in the app: the UI adds and prioritises, the pool takes."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence

__all__ = ["AnalysisQueue"]


class AnalysisQueue:
    """Thread-safe queue of article ids with progress counts (the UI adds, the workers take).

    Every operation costs in proportion to the ids it is given, never to the queue's length:
    `prioritise` puts ids on an urgent lane that `take` empties first (stale entries are skipped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: deque[str] = deque()
        self._urgent: deque[str] = deque()
        self._waiting: set[str] = set()  # queued, not taken yet
        self._taken: set[str] = set()  # taken, not finished yet
        self._wake = threading.Event()
        self.done = 0
        self.total = 0

    def add(self, ids: Iterable[str]) -> int:
        """Queue ids not already waiting or being analysed; returns how many were added."""
        added = 0
        with self._lock:
            for aid in ids:
                if aid not in self._waiting and aid not in self._taken:
                    self._ids.append(aid)
                    self._waiting.add(aid)
                    added += 1
            self.total += added
        if added:
            self._wake.set()
        return added

    def prioritise(self, article_ids: str | Sequence[str]) -> None:
        """Take these waiting ids first, in the order given (the story on screen, then its neighbours)."""
        ids = [article_ids] if isinstance(article_ids, str) else list(article_ids)
        with self._lock:
            front = [i for i in ids if i in self._waiting]
            if not front:
                return
            self._urgent.extendleft(reversed(front))
            while len(self._urgent) > 256:  # old urgencies: still in the normal lane
                self._urgent.pop()
        self._wake.set()

    def _pop(self) -> str | None:
        for lane in (self._urgent, self._ids):
            while lane:
                aid = lane.popleft()
                if aid in self._waiting:
                    return aid
        return None

    def _peek(self) -> str | None:
        for lane in (self._urgent, self._ids):
            while lane and lane[0] not in self._waiting:
                lane.popleft()
            if lane:
                return lane[0]
        return None

    def take(self, n: int, timeout: float = 0.5,
             fits: Callable[[list[str], str], bool] | None = None) -> list[str]:
        """Up to n ids from the front (while `fits(batch, next)` allows); waits up to `timeout` seconds
        when there are none."""
        with self._lock:
            ids: list[str] = []
            while len(ids) < n:
                nxt = self._peek()
                if nxt is None or (ids and fits is not None and not fits(ids, nxt)):
                    break
                aid = self._pop()
                if aid is None:
                    break
                self._waiting.discard(aid)
                self._taken.add(aid)
                ids.append(aid)
            if not ids:
                self._wake.clear()
        if not ids:
            self._wake.wait(timeout)
        return ids

    def again(self, article_ids: Sequence[str]) -> None:
        """Taken ids that must be analysed after all (another process gave them up): next in line."""
        with self._lock:
            back = [aid for aid in article_ids if aid in self._taken]
            for aid in back:
                self._taken.discard(aid)
                self._waiting.add(aid)
            self._ids.extendleft(reversed(back))
        if back:
            self._wake.set()

    def finished(self, article_id: str) -> None:
        """An id has been analysed (or given up on)."""
        with self._lock:
            if article_id in self._taken or article_id in self._waiting:
                self._taken.discard(article_id)
                self._waiting.discard(article_id)
                self.done += 1

    @property
    def busy(self) -> bool:
        """True while queued ids remain unfinished."""
        return self.done < self.total
