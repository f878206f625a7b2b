"""Background analysis for a long-running app: a priority queue fed by the UI, drained by worker processes.

The TUI's own process never loads spaCy: each worker process (one per core, `processes`) loads the
model once and analyses small batches (a few stories, so the story under the cursor waits at most one
batch). Results come back as plain dicts and go into the analysis cache here. One story that fails,
or even kills its worker, becomes a failure for that story alone: the batch is retried one story at a
time in a fresh worker and the queue goes on. `processes=0` analyses in a thread of this process
instead (tests, one-core machines).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from triage.infra.priority import ANALYSIS, lower_priority

from ..model import Analysis, Article
from .cache import analysis_from_dict, analysis_to_dict

__all__ = ["AnalysisPool", "AnalysisQueue"]

log = logging.getLogger(__name__)

MAX_BATCH_DOCS = 4
MAX_BATCH_CHARS = 16_000


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

    def take(self, n: int, timeout: float = 0.5, fits: Callable[[list[str], str], bool] | None = None) -> list[str]:
        """Up to n ids from the front (while `fits(batch, next)` allows); waits up to `timeout` seconds
        when there are none."""
        with self._lock:
            ids: list[str] = []
            while len(ids) < n:
                nxt = self._peek()
                if nxt is None or (ids and fits is not None and not fits(ids, nxt)):
                    break
                aid = self._pop()
                self._waiting.discard(aid)
                self._taken.add(aid)
                ids.append(aid)
            if not ids:
                self._wake.clear()
        if not ids:
            self._wake.wait(timeout)
        return ids

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


# -- the worker process ------------------------------------------------------------------------------
def _lower_priority() -> None:
    """Background work yields the CPU to the screen: the kernel runs the UI first when both want it."""
    lower_priority(ANALYSIS, whole_process=True)


def _serve(conn, options: dict[str, Any]) -> None:
    """A worker process: load the model once, then analyse the batches it is sent until told to stop."""
    from .workers import _silence

    _silence(stderr=True)
    _lower_priority()
    from .analyzer import Analyzer

    analyzer = Analyzer(cache_path=None, processes_above=0, **options)
    try:
        analyzer.pipeline  # noqa: B018 - load the model before saying ready
        import gc

        gc.freeze()  # the model lives as long as the process: full GC passes skip it
        conn.send(("ready", analyzer.model_description))
    except Exception as exc:  # noqa: BLE001 - reported to the app, which shows it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        conn.send(_analyse(analyzer, batch))


def _analyse(analyzer, batch: list[Article]) -> list[tuple[str, str, Any]]:
    """(id, "ok", analysis dict) or (id, "error", reason) for each article; a batch that fails is
    retried one article at a time, so one bad story costs only itself."""
    try:
        done = analyzer.analyze_chunk([(a, None) for a in batch])
        return [(a.id, "ok", analysis_to_dict(r)) for a, r in zip(batch, done)]
    except Exception as exc:  # noqa: BLE001 - one at a time below
        if len(batch) == 1:
            return [(batch[0].id, "error", f"{type(exc).__name__}: {str(exc)[:200]}")]
    out = []
    for a in batch:
        try:
            out.append((a.id, "ok", analysis_to_dict(analyzer.analyze_chunk([(a, None)])[0])))
        except Exception as exc:  # noqa: BLE001 - this story's problem, not the queue's
            out.append((a.id, "error", f"{type(exc).__name__}: {str(exc)[:200]}"))
    return out


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


class _Worker:
    """One worker process and the pipe to it, started on demand and restarted after a crash."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.proc = None
        self.conn = None

    def start(self, stop: threading.Event) -> str:
        """Start the process and wait until its model is loaded; returns "" or why it failed."""
        ctx = multiprocessing.get_context("spawn")  # this process has threads: never fork it
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True, name="triage-analysis")
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

    def run(self, batch: list[Article], stop: threading.Event):
        """Send a batch; its results, or None when the process died (or we are stopping)."""
        try:
            self.conn.send(batch)
        except (OSError, ValueError):
            return None
        return self._recv(stop)

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


Done = Callable[[list[tuple[str, Analysis]], list[tuple[str, str]]], None]


class AnalysisPool:
    """Analyses queued articles in the background and reports them to `on_done(results, failures)`."""

    def __init__(self, analyzer, *, article_of: Callable[[str], Article | None], on_done: Done,
                 processes: int = 2, on_fatal: Callable[[str], None] | None = None) -> None:
        self.analyzer = analyzer
        self.queue = AnalysisQueue()
        self._article_of = article_of
        self._on_done = on_done
        self._on_fatal = on_fatal
        self.processes = max(0, int(processes))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers: list[_Worker] = []
        self.error = ""  # why analysis cannot run at all (model failed to load)

    def start(self) -> None:
        """Start the dispatcher threads (and, on demand, their processes)."""
        if self._threads:
            return
        options = {"sentences": self.analyzer.sentences, "ratio": self.analyzer.ratio,
                   "min_sentences": self.analyzer.min_sentences, "max_sentences": self.analyzer.max_sentences,
                   "model": self.analyzer.model, "batch_size": self.analyzer.batch_size}
        for n in range(max(1, self.processes)):
            worker = _Worker(options) if self.processes else None
            if worker is not None:
                self._workers.append(worker)
            t = threading.Thread(target=self._dispatch, args=(worker,), daemon=True, name=f"triage-analysis-{n}")
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 3.0) -> None:
        """Stop taking work, end the worker processes."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        for w in self._workers:
            w.stop()

    def _fits(self, batch: list[str], nxt: str) -> bool:
        size = 0
        for aid in [*batch, nxt]:
            art = self._article_of(aid)
            size += len(art.text or "") + len(art.title or "") if art is not None else 0
        return size <= MAX_BATCH_CHARS

    def _dispatch(self, worker: _Worker | None) -> None:
        """One dispatcher thread's loop: it never ends on an error, only when the pool stops."""
        state = {"started": False}
        while not self._stop.is_set():
            ids = self.queue.take(MAX_BATCH_DOCS, fits=self._fits)
            if not ids:
                continue
            try:
                if not self._one_batch(worker, ids, state):
                    return
            except Exception as exc:
                log.exception("analysis batch failed")
                self._deliver([], [(aid, f"{type(exc).__name__}: {str(exc)[:200]}") for aid in ids])

    def _one_batch(self, worker: _Worker | None, ids: list[str], state: dict) -> bool:
        """Analyse one batch; False when the pool must stop (stopping, or the model cannot load)."""
        arts = []
        for aid in ids:
            art = self._article_of(aid)
            if art is None:
                self.queue.finished(aid)
            else:
                arts.append(art)
        ready = [(a, self.analyzer.cached(a)) for a in arts]
        hits = [(a.id, got) for a, got in ready if got is not None]
        todo = [a for a, got in ready if got is None]
        if hits:
            self._deliver(hits, [])
        if not todo:
            return True
        if worker is None:
            self._deliver(*self._local(todo))
            return True
        if not state["started"]:
            why = worker.start(self._stop)
            if why:
                self._fatal(why, todo)
                return False
            state["started"] = True
        results = worker.run(todo, self._stop)
        if results is None and not self._stop.is_set():  # the process died: one at a time, fresh process
            results = self._one_by_one(worker, todo)
        if results is None:
            return False
        ok = [(aid, analysis_from_dict(d)) for aid, status, d in results if status == "ok"]
        bad = [(aid, d) for aid, status, d in results if status != "ok"]
        self._deliver(ok, bad, todo)
        return True

    def _one_by_one(self, worker: _Worker, todo: list[Article]):
        """After a worker died: the batch again, one story at a time, in a fresh process (a story that
        kills it again fails alone)."""
        out = []
        restart = True
        for i, art in enumerate(todo):
            if restart:
                worker.stop()
                why = worker.start(self._stop)
                if why:  # no worker can start any more: keep what was done, say why the rest cannot be
                    self._deliver([(aid, analysis_from_dict(d)) for aid, status, d in out if status == "ok"],
                                  [(aid, d) for aid, status, d in out if status != "ok"], todo[:i])
                    self._fatal(why, todo[i:])
                    return None
                restart = False
            got = worker.run([art], self._stop)
            if got is None:
                if self._stop.is_set():
                    return None
                out.append((art.id, "error", "the analysis process stopped while reading this story"))
                restart = True
                continue
            out.extend(got)
        return out

    def _local(self, todo: list[Article]) -> tuple[list, list, list[Article]]:
        try:
            got = _analyse(self.analyzer, todo)
        except Exception as exc:  # noqa: BLE001 - the model itself could not load
            self._fatal(f"the language model could not be loaded ({type(exc).__name__}: {exc})", todo)
            return [], [], []
        ok = [(aid, analysis_from_dict(d)) for aid, status, d in got if status == "ok"]
        bad = [(aid, d) for aid, status, d in got if status != "ok"]
        return ok, bad, todo

    def _deliver(self, ok: list[tuple[str, Analysis]], bad: list[tuple[str, str]],
                 arts: list[Article] | None = None) -> None:
        by_id = {a.id: a for a in arts or ()}
        for aid, analysis in ok:
            art = by_id.get(aid)
            if art is not None:
                self.analyzer.remember(art, analysis)
        if by_id:
            try:
                self.analyzer.flush()
            except Exception:
                log.exception("analysis cache flush failed")
        for aid, _ in ok:
            self.queue.finished(aid)
        for aid, _ in bad:
            self.queue.finished(aid)
        try:
            self._on_done(ok, bad)
        except Exception:
            log.exception("analysis result handler failed")

    def _fatal(self, why: str, todo: list[Article]) -> None:
        if not self.error:
            self.error = why
            log.error("analysis unavailable: %s", why)
            if self._on_fatal is not None:
                self._on_fatal(why)
        for art in todo:
            self.queue.finished(art.id)
        self._stop.set()
