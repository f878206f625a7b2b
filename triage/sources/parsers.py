"""Parsing in helper processes: the caller's process never runs a reader, so no file or feed body can
hold its keyboard or its signals, and each one is bounded in time (`parse_seconds`): a helper that
takes longer is ended and the item becomes one problem line.

Results come back as each item is done, not in the order given: a slow file holds back no other
(the rest of its batch is handed to another helper while it runs). Helpers are spawned (the app has
threads), kept between loads and reused. Where no process can start, items are parsed in the calling
thread instead, without the bound, and the log says so.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from triage.infra.priority import READING, lower_priority
from triage.infra.private import Confinement, confined_reads
from triage.infra.spawning import real_std_streams, silence
from triage.model import Article, Problem, ProblemKind
from triage.sources.registry import read_file
from triage.sources.scan import shown

__all__ = ["PARSE_SECONDS", "Failed", "Parsed", "ParserPool", "parse_files", "run_bounded"]

log = logging.getLogger(__name__)

PARSE_SECONDS = 10.0  # the default bound on one file or feed body (config: sources.parse_seconds)
IDLE_HELPERS = 4  # helpers kept for the next load
FLUSH_SECONDS = 0.25  # results waiting longer than this are handed out even mid-batch
STARTUP_SECONDS = 60.0  # a helper's start (an interpreter and the readers' imports) on a busy machine

# (path, stat result, articles, problems) of one file
Parsed = tuple[Path, os.stat_result, list[Article], list[Problem]]
Call = tuple[Callable[..., Any], tuple[Any, ...]]  # a module-level function and its arguments


@dataclass(frozen=True)
class Failed:
    """What a call gave instead of a result: it ran out of time, or its helper ended under it."""

    reason: str
    timed_out: bool = False


def _read_one(path: Path, max_file_bytes: int,
              confine: Confinement | None) -> tuple[list[Article], list[Problem]]:
    with confined_reads(confine):
        return read_file(path, max_file_bytes=max_file_bytes)


def parse_files(part: Sequence[tuple[Path, os.stat_result]], max_file_bytes: int,
                confine: Confinement | None = None) -> list[Parsed]:
    """Read each file of `part` here (never raises for a bad file: its problems come back instead); with
    `confine`, each file opened must really lie where it says (see triage.infra.private)."""
    out: list[Parsed] = []
    with confined_reads(confine):
        for path, st in part:
            arts, probs = read_file(path, max_file_bytes=max_file_bytes)
            out.append((path, st, arts, probs))
    return out


# ---- the helper process ----------------------------------------------------------------------------

def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """One call's outcome, here or in a helper: a reader's crash is that item's problem only."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001
        return Failed(f"the reader failed ({type(exc).__name__})")


def _end_with_parent() -> None:
    """A helper whose app is gone (killed, crashed) stops at once, even in the middle of a call: no one
    is left to end a slow one at its bound."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="triage-parent-watch").start()


def _serve(conn: Connection) -> None:
    """A helper's loop: a job is (id, calls); each call's outcome is sent as it ends, then (id, -1).
    A ("cut", id, n) message met between calls ends the job before call n (another helper has the rest)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's ^C is the parent's to act on
    silence(stderr=True)  # a reader's print, warning or log record must not reach the screen
    _end_with_parent()
    lower_priority(READING, whole_process=True)
    try:  # what readers import on first use, so no file's time bound pays for it
        import feedparser  # noqa: F401
        import lxml.html  # noqa: F401
    except ImportError:
        pass
    conn.send("ready")
    cuts: dict[int, int] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        if msg[0] == "cut":
            cuts[msg[1]] = msg[2]
            continue
        job, calls = msg
        for i, (fn, args) in enumerate(calls):
            while conn.poll():
                late = conn.recv()
                if late is None:
                    return
                cuts[late[1]] = late[2]
            if i >= cuts.get(job, len(calls)):
                break
            reply = (job, i, _call(fn, args))
            try:
                conn.send(reply)
            except (OSError, ValueError):
                return
            except Exception as exc:  # noqa: BLE001 - a result that does not pickle
                why = f"the reader's result could not be passed on ({type(exc).__name__})"
                conn.send((job, i, Failed(why)))
        cuts.pop(job, None)
        conn.send((job, -1, None))


class _Helper:
    """One spawned helper process and the pipe to it."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # the app has threads: a fork would copy their locks
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="triage-parser")
        with real_std_streams():  # under the TUI sys.stderr has no descriptor to hand to a spawn
            self.proc.start()
        child.close()
        try:  # started and its imports done: the clock of its first file starts after them
            if not self.conn.poll(STARTUP_SECONDS) or self.conn.recv() != "ready":
                raise OSError("a parsing helper did not start")
        except (EOFError, OSError):
            self.end()
            raise OSError("a parsing helper did not start") from None

    def end(self) -> None:
        """Stop the process at once (it may be in the middle of a call)."""
        try:
            self.proc.kill()
            self.proc.join(2)
        except (OSError, ValueError, AssertionError):
            pass
        self.conn.close()


class _Idle:
    """Helpers waiting for work, shared by every load in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.helpers: list[_Helper] = []
        atexit.register(self.close)

    def take(self) -> _Helper:
        with self.lock:
            while self.helpers:
                helper = self.helpers.pop()
                if helper.proc.is_alive():
                    return helper
                helper.end()
        return _Helper()

    def give_back(self, helper: _Helper) -> None:
        with self.lock:
            if len(self.helpers) < IDLE_HELPERS and helper.proc.is_alive():
                self.helpers.append(helper)
                return
        helper.end()

    def close(self) -> None:
        with self.lock:
            helpers, self.helpers = self.helpers, []
        for helper in helpers:
            helper.end()


_IDLE = _Idle()


@dataclass
class _Work:
    """A job on a helper: which calls (by index), how far it got, since when the current call runs."""

    helper: _Helper
    job: int
    indices: list[int]
    since: float
    done: int = 0  # calls answered
    cut: int = 0  # calls it still owns (the rest went to another helper)
    ended: bool = False
    stalled: bool = False
    answered: list[tuple[int, Any]] = field(default_factory=list)


def run_bounded(calls: Sequence[Call], *, seconds: float = PARSE_SECONDS, processes: int = 1,
                job_size: int = 50, first_job: int | None = None,
                stall: float | None = None) -> Iterator[list[tuple[int, Any]]]:
    """Run `calls` in helper processes and hand out (index, outcome) pairs as they end, a few at a
    time, in any order. A call that runs longer than `seconds` has its helper ended and gets a
    Failed(timed_out=True); a helper that dies gives its current call a Failed. Calls go out in jobs
    of `job_size` (the first of `first_job`); a call running longer than `stall` seconds (default: a
    quarter of `seconds`, at most one) keeps its
    helper, and the calls after it in its job go to another one. Where no helper process can start,
    the calls run here, in order, unbounded."""
    stall = min(1.0, seconds / 4) if stall is None else stall
    queue: deque[list[int]] = deque()
    size = first_job or job_size
    i = 0
    while i < len(calls):
        queue.append(list(range(i, min(i + size, len(calls)))))
        i += size
        size = job_size
    busy: dict[Connection, _Work] = {}
    ready: list[tuple[int, Any]] = []
    oldest = 0.0  # when the first of `ready` came
    jobs = 0
    failures = 0  # helpers that could not be given a job
    retried: set[int] = set()  # calls whose helper ended under them once
    try:
        while queue or busy:
            working = sum(1 for w in busy.values() if not w.stalled)
            while (queue and failures < 3 and working < max(1, processes)
                   and len(busy) < max(1, processes) + 4):
                try:
                    helper = _IDLE.take()
                except (OSError, ValueError) as exc:
                    failures += 1
                    if failures >= 3:
                        log.warning("parsing in this process, unbounded (no helper process: %s)", exc)
                    continue
                indices = queue.popleft()
                jobs += 1
                try:
                    helper.conn.send((jobs, [calls[n] for n in indices]))
                except (OSError, ValueError) as exc:
                    helper.end()
                    queue.appendleft(indices)
                    failures += 1
                    if failures >= 3:
                        log.warning("parsing in this process, unbounded (helpers fail: %s)", exc)
                        break
                    continue
                busy[helper.conn] = _Work(helper, jobs, indices, time.monotonic(), cut=len(indices))
                working += 1
            if failures >= 3 and queue:  # no helper at all: here, in order, as before helpers
                for n in sorted(n for job in queue for n in job):
                    yield [(n, _call(*calls[n]))]
                queue.clear()
            if not busy:
                continue
            now = time.monotonic()
            due = [w.since + (seconds if w.stalled else stall) for w in busy.values() if w.done < w.cut]
            if ready:
                due.append(oldest + FLUSH_SECONDS)
            timeout = max(0.01, min(due) - now) if due else None
            flush = False
            for ready_one in wait(list(busy), timeout):
                conn = cast(Connection, ready_one)
                work = busy[conn]
                try:
                    job, n, outcome = conn.recv()
                except (EOFError, OSError):
                    flush |= _lost(work, busy, queue, ready, "the reader's process ended while reading it",
                                   retried)
                    continue
                except Exception:  # noqa: BLE001 - a result that does not unpickle here
                    n, job, outcome = work.done, work.job, Failed("the reader's result could not be read")
                if job != work.job:
                    continue
                if n < 0:
                    del busy[conn]
                    _IDLE.give_back(work.helper)
                    flush = True
                    continue
                if n < work.cut:
                    if not ready:
                        oldest = time.monotonic()
                    ready.append((work.indices[n], outcome))
                    work.done = n + 1
                    work.since, work.stalled = time.monotonic(), False
            now = time.monotonic()
            for work in list(busy.values()):
                if work.done >= work.cut:
                    continue
                running = now - work.since
                if running > seconds:
                    ready.append((work.indices[work.done],
                                  Failed(f"took longer than {seconds:g} s to read", timed_out=True)))
                    work.done += 1
                    flush |= _lost(work, busy, queue, ready, "", retried)
                elif running > stall and not work.stalled:
                    work.stalled = True
                    if work.done + 1 < work.cut:  # the rest of its job goes to another helper
                        queue.appendleft(work.indices[work.done + 1:work.cut])
                        work.cut = work.done + 1
                        try:
                            work.helper.conn.send(("cut", work.job, work.cut))
                        except (OSError, ValueError):
                            pass
                    flush = True
            if ready and (flush or time.monotonic() - oldest >= FLUSH_SECONDS):
                out, ready = ready, []
                yield out
        if ready:
            yield ready
    finally:
        for work in busy.values():
            work.helper.end()


def _lost(work: _Work, busy: dict[Connection, _Work], queue: deque[list[int]],
          ready: list[tuple[int, Any]], why: str, retried: set[int]) -> bool:
    """A helper to give up (ended under a call, or out of time): its current call is tried once more
    in another helper (a helper killed from outside costs only time), then fails with `why`; the
    calls after it go back to the queue."""
    busy.pop(work.helper.conn, None)
    work.helper.end()
    if why and work.done < work.cut:
        current = work.indices[work.done]
        if current not in retried:
            retried.add(current)
        else:
            ready.append((current, Failed(why)))
            work.done += 1
    if work.done < work.cut:
        queue.appendleft(work.indices[work.done:work.cut])
    return True


class ParserPool:
    """Parses batches of files in helper processes (at least one), each file bounded by `seconds`;
    parses come back as files are done, a few at a time, in any order."""

    def __init__(self, processes: int, seconds: float = PARSE_SECONDS) -> None:
        self.processes = max(1, processes)
        self.seconds = seconds

    def map(self, parts: Sequence[Sequence[tuple[Path, os.stat_result]]], max_file_bytes: int,
            confine: Confinement | None = None) -> Iterator[list[Parsed]]:
        """The parses of the files of `parts` (the first part's size sets the first job's)."""
        files = [f for part in parts for f in part]
        calls = [(_read_one, (path, max_file_bytes, confine)) for path, _st in files]
        first = len(parts[0]) if parts else None
        later = max((len(p) for p in parts[1:]), default=first or 1)
        for got in run_bounded(calls, seconds=self.seconds, processes=self.processes, job_size=later,
                               first_job=first):
            yield [_parsed(files[n], outcome) for n, outcome in got]

    def close(self) -> None:
        """Nothing to do: helpers go back to the shared idle set after each map."""

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parsed(file: tuple[Path, os.stat_result], outcome: Any) -> Parsed:
    path, st = file
    if isinstance(outcome, Failed):
        if outcome.timed_out:
            problem = Problem(shown(path), f"{outcome.reason} (sources.parse_seconds): skipped",
                              ProblemKind.TIMED_OUT)
        else:
            problem = Problem(shown(path), f"could not be read ({outcome.reason})")
        return path, st, [], [problem]
    arts, probs = outcome
    return path, st, arts, probs
