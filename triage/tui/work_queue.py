"""AnalysisQueue: article ids waiting for the analysis thread; the one on screen jumps the queue."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

__all__ = ["AnalysisQueue"]


class AnalysisQueue:
    """Thread-safe queue of article ids with progress counts (the UI adds, the worker takes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: deque[str] = deque()
        self._queued: set[str] = set()
        self._wake = threading.Event()
        self.done = 0
        self.total = 0

    def add(self, ids: Iterable[str]) -> int:
        """Queue ids not already waiting; returns how many were added."""
        added = 0
        with self._lock:
            for aid in ids:
                if aid not in self._queued:
                    self._ids.append(aid)
                    self._queued.add(aid)
                    added += 1
            self.total += added
        if added:
            self._wake.set()
        return added

    def prioritise(self, article_id: str) -> None:
        """Move a waiting id to the front (the article the user is looking at)."""
        with self._lock:
            if article_id not in self._queued:
                return
            try:
                self._ids.remove(article_id)
            except ValueError:
                return  # taken by the worker already
            self._ids.appendleft(article_id)
        self._wake.set()

    def take(self, n: int, timeout: float = 0.5) -> list[str]:
        """Up to n ids from the front; waits up to `timeout` seconds when there are none."""
        with self._lock:
            ids = [self._ids.popleft() for _ in range(min(n, len(self._ids)))]
            if not ids:
                self._wake.clear()
        if not ids:
            self._wake.wait(timeout)
        return ids

    def finished(self, article_id: str) -> None:
        """An id has been analysed (or given up on)."""
        with self._lock:
            if article_id in self._queued:
                self._queued.discard(article_id)
                self.done += 1

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._queued

    @property
    def busy(self) -> bool:
        """True while queued ids remain unfinished."""
        return self.done < self.total
