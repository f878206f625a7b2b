"""The analysis's one process pool: lanes that each run batches in a worker process (or in this
process), with one batch rule and one way of isolating failures.

A batch is bounded by documents and by characters (spaCy pads a batch to its longest text). A story
that raises fails alone (the batch is run again one story at a time); a worker process that dies is
replaced and its batch is retried one story at a time, each in a fresh process if it dies again.
Workers send back JSON-ready dicts, not spaCy Docs. Used by the TUI's queue (pool.py) and by large
batch jobs (`WorkerPool.map`, in order).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from triage.infra.priority import ANALYSIS, lower_priority

from ..model import Analysis, Article
from .cache import analysis_from_dict, analysis_to_dict
from .engine import Engine

__all__ = ["LIVE", "BatchLimit", "Lane", "LaneDown", "Outcome", "WorkerPool", "batches", "size_of"]

Item = tuple[Article, "int | None"]
Outcome = tuple[str, "Analysis | None", str]  # (article id, its analysis or None, why it failed)
Chunk = Callable[[Sequence[Item]], list[Analysis]]


@dataclass(frozen=True)
class BatchLimit:
    """How much one batch may hold: documents and characters (one story longer than that goes alone)."""

    docs: int
    chars: int

    def fits(self, docs: int, chars: int) -> bool:
        """True when a batch of `docs` stories and `chars` characters is within the limit."""
        return docs <= self.docs and chars <= self.chars


# The TUI: the story under the cursor waits for at most one small batch.
LIVE = BatchLimit(4, 16_000)
BULK_CHARS = 30_000  # batch jobs: `analysis.batch_size` stories, this many characters


def size_of(article: Article) -> int:
    """A story's size for the batch rule."""
    return len(article.text or "") + len(article.title or "")


def batches(items: Iterable[Item], limit: BatchLimit) -> Iterator[list[Item]]:
    """Consecutive chunks of `items` within `limit`."""
    chunk: list[Item] = []
    size = 0
    for item in items:
        n = size_of(item[0])
        if chunk and not limit.fits(len(chunk) + 1, size + n):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


def isolated(analyze: Chunk, items: Sequence[Item]) -> list[Outcome]:
    """Outcomes of a batch; a batch that raises is run again one story at a time, so one bad story
    costs only itself."""
    try:
        return [(a.id, r, "") for (a, _), r in zip(items, analyze(items), strict=True)]
    except Exception as exc:  # noqa: BLE001 - one at a time below
        if len(items) == 1:
            return [(items[0][0].id, None, _why(exc))]
    out: list[Outcome] = []
    for item in items:
        try:
            out.append((item[0].id, analyze([item])[0], ""))
        except Exception as exc:  # noqa: BLE001 - this story's problem, not the batch's
            out.append((item[0].id, None, _why(exc)))
    return out


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


# -- the worker process ------------------------------------------------------------------------------
def silence(stderr: bool) -> None:
    """Workers never write to stdout (the CLI's JSON lines) nor, under a TUI, to the terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd, stream in ((1, "stdout"), (2, "stderr")) if stderr else ((1, "stdout"),):
        getattr(sys, stream).flush()
        os.dup2(devnull, fd)
        setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the worker
    os.close(devnull)


def _serve(conn, options: dict[str, Any], background: bool, forked: bool) -> None:
    """A worker process: load the model once, then analyse the batches it is sent until told to stop."""
    silence(stderr=not forked)
    if background:  # the screen first: the kernel runs the UI before the summaries
        lower_priority(ANALYSIS, whole_process=True)
    engine = Engine(**options)
    try:
        engine.pipeline()
        import gc

        gc.freeze()  # the model lives as long as the process: full GC passes skip it
        conn.send(("ready", engine.description()))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which says why
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        conn.send([(aid, analysis_to_dict(r) if r is not None else None, why)
                   for aid, r, why in isolated(engine.analyze_chunk, batch)])


@contextlib.contextmanager
def _real_std_streams():
    """Start processes with the real stdout/stderr in place: under a TUI (or a test harness) sys.stderr
    is a capture object without a usable file descriptor, which multiprocessing's spawn passes on."""
    saved = sys.stdout, sys.stderr
    try:
        if sys.__stdout__ is not None:
            sys.stdout = sys.__stdout__
        if sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        yield
    finally:
        sys.stdout, sys.stderr = saved


class _Process:
    """One worker process and the pipe to it.

    Forked when this process has a single thread (the CLI: the loaded model is shared copy-on-write),
    spawned otherwise (forking a threaded process is unsafe): a spawned worker loads the model itself."""

    def __init__(self, options: dict[str, Any], background: bool) -> None:
        self.options = options
        self.background = background
        self.proc = None
        self.conn = None

    def start(self, stop: threading.Event) -> str:
        """Start the process and wait until its model is loaded; returns "" or why it failed."""
        fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.options, self.background, fork),
                                daemon=True, name="triage-analysis")
        with _real_std_streams():
            self.proc.start()
        child.close()
        self.conn = parent
        got = self._recv(stop)
        if got is None:
            return "the analysis process stopped while loading the model"
        if got[0] == "failed":
            return f"the language model could not be loaded ({got[1]})"
        return ""

    def _recv(self, stop: threading.Event):
        while not stop.is_set():
            try:
                if self.conn.poll(0.2):
                    return self.conn.recv()
            except (EOFError, OSError):
                return None
            if self.proc is not None and not self.proc.is_alive():
                try:
                    if self.conn.poll(0):
                        return self.conn.recv()
                except (EOFError, OSError):
                    pass
                return None
        return None

    def run(self, batch: list[Item], stop: threading.Event) -> list[Outcome] | None:
        """Send a batch; its outcomes, or None when the process died (or we are stopping)."""
        try:
            self.conn.send(batch)
        except (OSError, ValueError):
            return None
        got = self._recv(stop)
        if got is None:
            return None
        return [(aid, analysis_from_dict(d) if d is not None else None, why) for aid, d, why in got]

    def stop(self) -> None:
        """Ask the process to end, then make sure it has."""
        if self.conn is not None:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        if self.proc is not None:
            self.proc.join(timeout=2)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(timeout=2)
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None


class LaneDown(Exception):
    """A lane cannot analyse any more (the model would not load); `done` holds what it did finish."""

    def __init__(self, why: str, done: Sequence[Outcome] = ()) -> None:
        super().__init__(why)
        self.why = why
        self.done = list(done)


class Lane:
    """Runs batches one after another: in a worker process (started on first use, replaced when it
    dies), or with `analyze` in this process."""

    def __init__(self, stop: threading.Event, *, analyze: Chunk | None = None,
                 options: dict[str, Any] | None = None, background: bool = True) -> None:
        self.stop = stop
        self.analyze = analyze
        self.process = _Process(options or {}, background) if analyze is None else None
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

    def run(self, items: list[Item]) -> list[Outcome] | None:
        """The outcomes of a batch, in order; None when the pool is stopping."""
        if self.process is None:
            return isolated(self.analyze, items)
        self.start()
        got = self.process.run(items, self.stop)
        if got is None and not self.stop.is_set():  # the process died: one at a time, fresh process
            got = self._one_by_one(items)
        return got

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
        if self.process is not None:
            self.process.stop()
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
        """The outcomes of each chunk, in order; each lane takes the next chunk when it finishes one,
        and a lane that goes down leaves its chunk to the others.

        The processes start here, before any thread (so a single-threaded caller forks them)."""
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for j in range(len(chunks)):
            todo.put(j)
        done: dict[int, list[Outcome] | BaseException] = {}
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

        def drain(lane: Lane) -> None:
            while not quit_.is_set():
                try:
                    j = todo.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    got: list[Outcome] | BaseException | None = lane.run(chunks[j])
                except LaneDown:
                    todo.put(j)
                    return
                except BaseException as exc:  # noqa: BLE001 - handed to the reader below
                    got = exc
                with ready:
                    done[j] = got if got is not None else LaneDown("the analysis was stopped")
                    ready.notify_all()

        threads = [threading.Thread(target=drain, args=(lane,), daemon=True, name="triage-analysis-batch")
                   for lane in lanes]
        for t in threads:
            t.start()
        try:
            for j in range(len(chunks)):
                with ready:
                    while j not in done:
                        ready.wait(0.5)
                        if j not in done and not any(t.is_alive() for t in threads):
                            done[j] = LaneDown("no analysis process is left to analyse the rest")
                    got = done.pop(j)
                if isinstance(got, BaseException):
                    raise got
                yield got
        finally:
            quit_.set()
            for t in threads:
                t.join()

    def close(self) -> None:
        """Stop taking work and end the worker processes."""
        self.stop_event.set()
        for lane in self.lanes:
            lane.close()
