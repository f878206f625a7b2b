"""Background analysis for a long-running app: a priority queue fed by the UI, drained by the lanes of
the worker pool.

The TUI's own process never loads spaCy: each worker process (one per core, `processes`) loads the
model once and analyses small batches (a few stories, so the story under the cursor waits at most one
batch). Results come back as plain dicts and go into the analysis cache here. One story that fails,
or even kills its worker, becomes a failure for that story alone (see workers.py). `processes=0`
analyses in a thread of this process instead (tests, one-core machines).

With the desk's shared analyses (the analyzer's `shared`), a story another process has analysed is
read rather than analysed; one that another process is analysing now (its claim) is awaited by a
thread that looks for the result, and taken back when that process ends or takes too long.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from triage.infra.priority import READING, lower_priority

from ..model import Analysis, Article
from .batching import LIVE, Outcome, size_of
from .shared import Claim
from .workers import Lane, LaneDown, WorkerPool
from .workqueue import AnalysisQueue

__all__ = ["AnalysisPool", "AnalysisQueue"]

log = logging.getLogger(__name__)

Done = Callable[[list[tuple[str, Analysis]], list[tuple[str, str]]], None]
AWAIT_POLL = 0.2  # how often a story another process is analysing is looked for (seconds)
CLAIM_CHECK = 2.0  # how often its claim is checked meanwhile (the holder ended, or took too long)


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
        self._workers = WorkerPool(analyzer.engine, processes=self.processes, analyze=analyzer.analyze_chunk)
        self._stop = self._workers.stop_event
        self._threads: list[threading.Thread] = []
        self.error = ""  # why analysis cannot run at all (model failed to load)
        self.computed = 0  # stories analysed by this pool's own lanes
        self.from_desk = 0  # stories whose analysis another process of the desk made
        self._awaiting: dict[str, tuple[Article, float]] = {}  # claimed elsewhere: id -> (story, checked)
        self._await_lock = threading.Lock()
        self._await_wake = threading.Event()

    def start(self) -> None:
        """Start the dispatcher threads (and, on demand, their processes)."""
        if self._threads:
            return
        for n, lane in enumerate(self._workers.lanes):
            t = threading.Thread(target=self._dispatch, args=(lane,), daemon=True,
                                 name=f"triage-analysis-{n}")
            t.start()
            self._threads.append(t)
        if self.analyzer.shared is not None:
            t = threading.Thread(target=self._await_loop, daemon=True, name="triage-analysis-desk")
            t.start()
            self._threads.append(t)

    def add(self, ids: Iterable[str]) -> int:
        """Queue these stories; those the desk has analysed already are delivered instead, in a few
        large groups (this reads files: call it from a background thread). How many were queued."""
        if self.analyzer.shared is None:
            return self.queue.add(ids)
        rest: list[str] = []
        hits: list[tuple[str, Analysis]] = []
        for aid in ids:
            art = self._article_of(aid)
            got = self.analyzer.from_shared(art) if art is not None else None
            if got is None:
                rest.append(aid)
            else:
                hits.append((aid, got))
                if len(hits) >= 256:
                    self._from_desk(hits)
                    hits = []
        if hits:
            self._from_desk(hits)
        return self.queue.add(rest)

    def _from_desk(self, hits: list[tuple[str, Analysis]]) -> None:
        self.from_desk += len(hits)
        try:
            self.analyzer.flush()  # into this editor's own cache: read once
        except Exception:
            log.exception("analysis cache flush failed")
        self._deliver(hits, [])

    @property
    def awaiting(self) -> int:
        """How many stories wait for another process of the desk to analyse them."""
        with self._await_lock:
            return len(self._awaiting)

    def worker_pids(self) -> list[int]:
        """The ids of the worker processes running now."""
        return self._workers.pids()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop taking work, end the worker processes; `timeout` seconds at most in all. A worker
        holds nothing to save (results are cached here), so one still busy after half a second is
        killed rather than waited for: quitting, or a dropped SSH connection, is never held up."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._await_wake.set()
        self._workers.close(grace=0.5)
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if self.analyzer.shared is not None:
            self.analyzer.shared.release_all()

    def _fits(self, batch: list[str], nxt: str) -> bool:
        size = 0
        for aid in [*batch, nxt]:
            art = self._article_of(aid)
            size += size_of(art) if art is not None else 0
        return LIVE.fits(len(batch) + 1, size)

    def _dispatch(self, lane: Lane) -> None:
        """One dispatcher thread's loop: it never ends on an error, only when the pool stops."""
        while not self._stop.is_set():
            ids = self.queue.take(LIVE.docs, fits=self._fits)
            if not ids:
                continue
            try:
                if not self._one_batch(lane, ids):
                    return
            except Exception as exc:
                log.exception("analysis batch failed")
                self._deliver([], [(aid, f"{type(exc).__name__}: {str(exc)[:200]}") for aid in ids])

    def _one_batch(self, lane: Lane, ids: list[str]) -> bool:
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
        if todo and self.analyzer.shared is not None:
            todo = self._not_shared(todo)
            if not todo:
                return True
            try:
                lane.start()  # the model loads before the claims: a claim lasts one batch's analysis
            except LaneDown as down:
                self._fatal(down.why, todo)
                return False
            todo = self._claim(todo)
        if not todo:
            return True
        try:
            try:
                outcomes = lane.run([(a, None) for a in todo])
            except LaneDown as down:  # keep what was done, say why the rest cannot be
                finished = {aid for aid, _, _ in down.done}
                self._outcomes(down.done, todo)
                self._fatal(down.why, [a for a in todo if a.id not in finished])
                return False
            if outcomes is None:
                return False
            self._outcomes(outcomes, todo)
            return True
        finally:  # after the entries are written: the desk never sees neither claim nor entry
            for art in todo:
                self.analyzer.release(art)

    def _not_shared(self, arts: list[Article]) -> list[Article]:
        """The stories of a batch the desk has no analysis of; the others are delivered now."""
        rest: list[Article] = []
        hits: list[tuple[str, Analysis]] = []
        for art in arts:
            got = self.analyzer.from_shared(art)
            if got is None:
                rest.append(art)
            else:
                hits.append((art.id, got))
        if hits:
            self._from_desk(hits)
        return rest

    def _claim(self, arts: list[Article]) -> list[Article]:
        """The stories of a batch this process is to analyse: the others are the desk's already
        (delivered now) or being analysed by another process (awaited)."""
        mine: list[Article] = []
        hits: list[tuple[str, Analysis]] = []
        for art in arts:
            state = self.analyzer.claim(art)
            if state is Claim.DONE:
                got = self.analyzer.from_shared(art)
                if got is not None:
                    hits.append((art.id, got))
                else:
                    mine.append(art)  # an entry we cannot use: analysed here
            elif state is Claim.THEIRS:
                with self._await_lock:
                    self._awaiting[art.id] = (art, time.monotonic())
                self._await_wake.set()
            else:
                mine.append(art)
        if hits:
            self._from_desk(hits)
        return mine

    def _await_loop(self) -> None:
        """Deliver the stories other processes are analysing as their results appear; take back
        those whose claim no longer stands."""
        shared = self.analyzer.shared
        assert shared is not None
        lower_priority(READING)
        try:
            shared.prune()
        except Exception:
            log.exception("tidying the shared analysis folder failed")
        while not self._stop.is_set():
            with self._await_lock:
                waiting = list(self._awaiting.items())
            if not waiting:
                self._await_wake.wait(1.0)
                self._await_wake.clear()
                continue
            hits: list[tuple[str, Analysis]] = []
            again: list[str] = []
            now = time.monotonic()
            for aid, (art, checked) in waiting:
                if self._stop.is_set():
                    return
                key = self.analyzer.cache_key(art)
                if shared.has(key):
                    got = self.analyzer.from_shared(art)
                    if got is not None:
                        hits.append((aid, got))
                    else:
                        again.append(aid)  # unusable: analysed here
                elif now - checked >= CLAIM_CHECK:
                    if shared.claim_stands(key):
                        with self._await_lock:
                            if aid in self._awaiting:
                                self._awaiting[aid] = (art, now)
                    else:
                        again.append(aid)
            with self._await_lock:
                for aid in [*again, *(aid for aid, _ in hits)]:
                    self._awaiting.pop(aid, None)
            if hits:
                self._from_desk(hits)
            if again:
                self.queue.again(again)
            self._stop.wait(AWAIT_POLL)

    def _outcomes(self, outcomes: list[Outcome], arts: list[Article]) -> None:
        ok = [(aid, r) for aid, r, _ in outcomes if r is not None]
        bad = [(aid, why) for aid, r, why in outcomes if r is None]
        self.computed += len(ok)
        if self.analyzer.shared is not None:
            by_id = {a.id: a for a in arts}
            for aid, analysis in ok:
                if aid in by_id:
                    self.analyzer.share(by_id[aid], analysis)
        self._deliver(ok, bad, arts)

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
