"""The analysis's one process pool: lanes that each run batches in a worker process (or in this
process), used by the TUI's queue (pool.py) and by large batch jobs (`WorkerPool.map`, in order).

A story that raises fails alone (batching.isolated); a worker process that dies is replaced and its
batch is retried one story at a time, each in a fresh process if it dies again.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .batching import Chunk, Item, Outcome, isolated
from .engine import Engine
from .worker_process import WorkerProcess

__all__ = ["Lane", "LaneDown", "WorkerPool"]


class LaneDown(Exception):
    """A lane cannot analyse any more (the model would not load); `done` holds what it did finish."""

    def __init__(self, why: str, done: Sequence[Outcome] = ()) -> None:
        super().__init__(why)
        self.why = why
        self.done = list(done)
        self.pending: list[int] = []  # chunks of WorkerPool.map it leaves to the other lanes


class Lane:
    """Runs batches one after another: in a worker process (started on first use, replaced when it
    dies), or with `analyze` in this process."""

    def __init__(self, stop: threading.Event, *, analyze: Chunk | None = None,
                 options: dict[str, Any] | None = None, background: bool = True) -> None:
        self.stop = stop
        self.analyze = analyze
        self.process = WorkerProcess(options or {}, background) if analyze is None else None
        self._started = False

    @property
    def pid(self) -> int | None:
        """The worker process's id (None for this process, or before it starts)."""
        proc = self.process.proc if self.process is not None else None
        return proc.pid if proc is not None else None

    def start(self) -> None:
        """Start the worker process now (and load the model); raises LaneDown when it cannot."""
        if self.process is not None and not self._started:
            why = self.process.start(self.stop)
            if why:
                raise LaneDown(why)
            self._started = True

    def _here(self) -> Chunk:
        """The in-process analysis of a lane made without a worker process."""
        if self.analyze is None:
            raise LaneDown("this lane analyses in its worker process")
        return self.analyze

    def run(self, items: list[Item]) -> list[Outcome] | None:
        """The outcomes of a batch, in order; None when the pool is stopping."""
        if self.process is None:
            return isolated(self._here(), items)
        self.start()
        got = self.process.run(items, self.stop)
        if got is None and not self.stop.is_set():  # the process died: one at a time, fresh process
            got = self._one_by_one(items)
        return got

    def stream(self, take: Callable[[], tuple[int, list[Item]] | None],
               deliver: Callable[[int, list[Outcome]], None]) -> None:
        """Run the chunks `take()` gives (None: none left) and `deliver(j, outcomes)` each; a worker
        process always has the next batch queued, so it never waits for this one between batches.
        Raises LaneDown with `pending`, the chunks not delivered."""
        if self.process is None:
            while (got := take()) is not None:
                deliver(got[0], isolated(self._here(), got[1]))
            return
        flight: deque[tuple[int, list[Item]]] = deque()
        try:
            self.start()
            while not self.stop.is_set():
                while len(flight) < 2 and (got := take()) is not None:
                    flight.append(got)
                    if not self.process.send(got[1]):
                        break
                if not flight:
                    return
                res = self.process.receive(self.stop)
                if res is None:  # the process died: what was in it, one story at a time
                    if self.stop.is_set():
                        return
                    while flight:
                        j, items = flight[0]
                        res = self._one_by_one(items)
                        if res is None:
                            return
                        flight.popleft()
                        deliver(j, res)
                    continue
                j, _ = flight.popleft()
                deliver(j, res)
        except LaneDown as down:
            down.pending = [j for j, _ in flight]
            raise

    def _one_by_one(self, items: list[Item]) -> list[Outcome] | None:
        """After a worker died: the batch again, one story at a time, in a fresh process (a story that
        kills it again fails alone)."""
        assert self.process is not None
        out: list[Outcome] = []
        restart = True
        for item in items:
            if restart:
                self.process.stop()
                why = self.process.start(self.stop)
                if why:
                    raise LaneDown(why, out)
                restart = False
            got = self.process.run([item], self.stop)
            if got is None:
                if self.stop.is_set():
                    return None
                out.append((item[0].id, None, "the analysis process stopped while reading this story"))
                restart = True
                continue
            out.extend(got)
        return out

    def close(self) -> None:
        """End the worker process, if any."""
        self.ask_stop()
        self.end(time.monotonic() + 2.0)

    def ask_stop(self) -> None:
        """Ask the worker process to end after its batch (returns at once)."""
        if self.process is not None:
            self.process.ask_stop()

    def end(self, deadline: float) -> None:
        """Make sure the worker process has ended by `deadline`, killing it if not."""
        if self.process is not None:
            self.process.end(deadline)
            self._started = False


class WorkerPool:
    """`processes` lanes (0: one lane in this process); with `here`, this process is one of them."""

    def __init__(self, engine: Engine, *, processes: int, analyze: Chunk | None = None, here: bool = False,
                 background: bool = True) -> None:
        self.stop_event = threading.Event()
        local = analyze or engine.analyze_chunk
        n = max(0, int(processes))
        remote = n - 1 if here and n else n
        self.lanes = [Lane(self.stop_event, options=engine.options, background=background)
                      for _ in range(remote)]
        if not remote or here:
            self.lanes.insert(0, Lane(self.stop_event, analyze=local))

    def pids(self) -> list[int]:
        """The ids of the worker processes running now."""
        return [p for p in (lane.pid for lane in self.lanes) if p is not None]

    def map(self, chunks: Sequence[list[Item]]) -> Iterator[list[Outcome]]:
        """The outcomes of each chunk, in order; the lanes take chunks as they go, and a lane that goes
        down leaves its chunks to the others.

        The processes start here, before any thread (so a single-threaded caller forks them)."""
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for j in range(len(chunks)):
            todo.put(j)
        done: dict[int, list[Outcome]] = {}
        errors: list[BaseException] = []  # what ended a lane unexpectedly: raised to the reader
        ready = threading.Condition()
        quit_ = threading.Event()
        lanes, why = [], ""
        for lane in self.lanes:
            try:
                lane.start()
                lanes.append(lane)
            except LaneDown as exc:
                why = exc.why  # the other lanes share its chunks
        if not lanes:
            raise LaneDown(why)
        if len(lanes) == 1:  # one lane: no thread needed
            for chunk in chunks:
                got = lanes[0].run(chunk)
                if got is None:
                    raise LaneDown("the analysis was stopped")
                yield got
            return

        def take() -> tuple[int, list[Item]] | None:
            if quit_.is_set():
                return None
            try:
                j = todo.get_nowait()
            except queue.Empty:
                return None
            return j, chunks[j]

        def deliver(j: int, got: list[Outcome]) -> None:
            with ready:
                done[j] = got
                ready.notify_all()

        def drain(lane: Lane) -> None:
            while not quit_.is_set():
                try:
                    lane.stream(take, deliver)
                except LaneDown as down:
                    for j in down.pending:
                        todo.put(j)  # the other lanes take them
                    return
                except BaseException as exc:  # noqa: BLE001 - handed to the reader below
                    with ready:
                        errors.append(exc)
                        ready.notify_all()
                    return
                if self.stop_event.is_set():
                    return
                quit_.wait(0.05)

        threads = [threading.Thread(target=drain, args=(lane,), daemon=True, name="triage-analysis-batch")
                   for lane in lanes]
        for t in threads:
            t.start()
        try:
            for j in range(len(chunks)):
                with ready:
                    while j not in done and not errors:
                        ready.wait(0.5)
                        if j not in done and not any(t.is_alive() for t in threads):
                            errors.append(LaneDown("no analysis process is left to analyse the rest"))
                    if j not in done:
                        raise errors[0]
                    got = done.pop(j)
                yield got
        finally:
            quit_.set()
            for t in threads:
                t.join()

    def close(self, grace: float = 2.0) -> None:
        """Stop taking work and end the worker processes: all are asked at once and share one
        deadline, so closing takes `grace` seconds at most however many there are."""
        self.stop_event.set()
        for lane in self.lanes:
            lane.ask_stop()
        deadline = time.monotonic() + grace
        for lane in self.lanes:
            lane.end(deadline)
