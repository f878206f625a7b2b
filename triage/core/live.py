"""The service's live side: background threads for loading, watching, feeds, search indexing, analysis
and the store poll, at a lower CPU priority than the screen. They drive the service's public calls."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from triage.core.events import DecisionsChanged, Notice, ServiceEvent, StatusText
from triage.infra.priority import READING, lower_priority

if TYPE_CHECKING:
    from triage.core.service import TriageService

__all__ = ["Live", "background_priority"]

log = logging.getLogger(__name__)

# A load still running after this many seconds (a big inbox) is indexed for search alongside.
INDEX_DURING_LOAD_AFTER = 15.0


class Live:
    """The background threads of one service; `start` runs them, `stop` ends them."""

    def __init__(self, service: TriageService) -> None:
        self._svc = service
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.more_started = False
        self._analyze_on = True
        self._damage = ""  # the decisions file's damage last told

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    def start(self, listener: Callable[[ServiceEvent], None] | None = None, *, analyze: bool = True,
              load: bool = True, defer: bool = False) -> None:
        """Run the live side: the progressive load (unless already loaded) and the decisions at once;
        then the inbox watcher, feed refreshes, search indexing, analysis and the store poll. With
        `defer`, those wait for start_more() (a screen calls it once it has painted)."""
        svc = self._svc
        if listener is not None:
            svc.listeners.append(listener)
        self._stop.clear()
        self._analyze_on = analyze
        self.spawn(self._open_decisions, "triage-decisions")
        if load:
            svc.start_loading()
        else:
            svc.inbox_part.loaded_already()
        if not defer:
            self.start_more()

    def start_more(self) -> None:
        """The rest of the live side (once): analysis, search indexing, the store poll, then the inbox
        watcher and feed refreshes when the inbox is read."""
        if self.more_started:
            return
        self.more_started = True
        svc = self._svc
        self.spawn(svc.analyses.read_cache, "triage-analysis-cache")
        if self._analyze_on:
            svc.start_analysis()
        self.spawn(self._after_load, "triage-live", svc.start_loading())
        self.spawn(self._index_loop, "triage-index")
        poll = svc.settings.store.poll_seconds
        if poll > 0:
            self.spawn(self._poll_loop, "triage-poll", poll)

    def spawn(self, target, name: str, *args) -> None:
        """Run `target(*args)` in a daemon thread below the screen's CPU priority."""
        def run() -> None:
            background_priority()
            target(*args)

        t = threading.Thread(target=run, daemon=True, name=name)
        t.start()
        self._threads.append(t)

    def _open_decisions(self) -> None:
        svc = self._svc
        try:
            svc.decisions.load()
        except Exception as exc:
            log.exception("reading decisions failed")
            svc.emit(Notice(f"Decisions file: {exc}", "error"))
        if svc.replayed:
            svc.emit(Notice(svc.replayed, "warning"))
        self._damage = svc.damage
        if self._damage:
            svc.emit(Notice(self._damage, "warning"))
        svc.emit(DecisionsChanged())

    def _after_load(self, loading: Future[None]) -> None:
        try:
            loading.result()
        except Exception:
            return
        svc = self._svc
        if self._stop.is_set():
            return
        if svc.settings.feeds:
            self.spawn(self._feeds_loop, "triage-feeds")
        if svc.settings.watch.enabled and svc.inbox:
            self._watch()

    def _watch(self) -> None:
        from triage.sources.watch import watch_paths

        svc = self._svc

        def changed(update) -> None:
            svc.merge_articles(update.articles, update.problems, removed_paths=update.removed)

        try:
            watch_paths(list(svc.inbox), changed, stop_event=self._stop, **svc.watch_options())
        except Exception as exc:
            log.exception("watching the inbox failed")
            svc.emit(Notice(f"Live inbox updates stopped: {exc}", "warning"))

    def _feeds_loop(self) -> None:
        svc = self._svc
        minutes = svc.settings.fetch.refresh_minutes
        while not self._stop.is_set():
            try:
                svc.refresh_feeds()
            except Exception as exc:
                log.exception("feed refresh failed")
                svc.emit(Notice(f"Feed refresh failed: {exc}", "error"))
            svc.emit(StatusText(""))
            if minutes <= 0 or self._stop.wait(minutes * 60):
                return

    def _index_loop(self) -> None:
        # A cold start reads first: indexing meanwhile would take CPU and disk from the reading (a
        # search during the load scans what is not indexed yet). A long load (a big inbox) is indexed
        # alongside, a batch at a time with a pause, so that the index is nearly whole when it ends.
        started = time.monotonic()
        while not self._svc.progress[2]:
            if time.monotonic() - started < INDEX_DURING_LOAD_AFTER:
                pause = 0.25
            else:
                pause = 0.5 if self._index_batch() else 0.25
            if self._stop.wait(pause):
                return
        while not self._stop.is_set():
            if not self._index_batch() and self._stop.wait(0.25):
                return

    def _index_batch(self) -> int:
        """Index up to 500 waiting stories; how many there were (0 after a failure, which waits)."""
        try:
            return self._svc.catalog.index_some(500)
        except Exception as exc:  # a full disk, say: search scans what is not indexed meanwhile
            log.warning("search indexing failed (%s); trying again in 30 s", exc)
            self._stop.wait(30)
            return 0

    def _poll_loop(self, seconds: float) -> None:
        svc = self._svc
        while not self._stop.wait(seconds):
            svc.versions.save_read_marks()
            try:
                changed, saved_now = svc.decisions.poll()
            except Exception:
                log.exception("store poll failed")
                continue
            if changed:
                svc.emit(DecisionsChanged(saved_now=saved_now))
                damage = svc.damage
                if damage and damage != self._damage:
                    svc.emit(Notice(damage, "warning"))
                self._damage = damage

    def stop(self) -> None:
        """Stop the background threads and worker processes (the queued writes still finish)."""
        self._stop.set()
        self._svc.analyses.stop()


def background_priority() -> None:
    """Lower this thread's CPU priority below the screen's (reading, indexing, polling threads)."""
    lower_priority(READING)
