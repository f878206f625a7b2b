"""The service's live side: background threads for loading, watching, feeds, search indexing, analysis and
the store poll, at a lower CPU priority than the screen. A mixin of TriageService."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from triage.infra.priority import READING, lower_priority
from triage.core.events import Analysed, DecisionsChanged, Notice, ServiceEvent, StatusText
from triage.model import Article

if TYPE_CHECKING:
    from triage.core.book import Saved
    from triage.catalog.catalog import Change

__all__ = ["LiveSide", "background_priority", "settle_memory"]

log = logging.getLogger(__name__)


class LiveSide:
    """Background threads for TriageService; they tell listeners what changed (triage.core.events)."""

    # -- the live side ---------------------------------------------------------------------------
    def start(self, listener: Callable[[ServiceEvent], None] | None = None, *, analyze: bool = True,
              load: bool = True, defer: bool = False) -> None:
        """Run the live side in background threads: the progressive load (unless already loaded) and
        the decisions at once; then the inbox watcher, feed refreshes, search indexing, analysis and
        the store poll. With `defer`, those wait for start_more() (a screen calls it once it has
        painted: they would only slow the first paint down)."""
        if listener is not None:
            self.listeners.append(listener)
        self._stop.clear()
        self._analyze_on = analyze
        self._spawn(self._open_decisions, "triage-decisions")
        if load:
            self.start_loading()
        elif self._loading is None:
            self._loading = Future()
            self._loading.set_result(None)
        if not defer:
            self.start_more()

    def start_more(self) -> None:
        """The rest of the live side (once): analysis, search indexing, the store poll, then the inbox
        watcher and feed refreshes when the inbox is read."""
        if self.more_started:
            return
        self.more_started = True
        self._spawn(self._read_analysis_cache, "triage-analysis-cache")
        if self._analyze_on:
            self.start_analysis()
        self._spawn(self._after_load, "triage-live", self.start_loading())
        self._spawn(self._index_loop, "triage-index")
        poll = float(self.settings.get("store.poll_seconds", 1.0))
        if poll > 0:
            self._spawn(self._poll_loop, "triage-poll", poll)

    def _spawn(self, target, name: str, *args) -> None:
        def run() -> None:
            background_priority()
            target(*args)

        t = threading.Thread(target=run, daemon=True, name=name)
        t.start()
        self._threads.append(t)

    def _open_decisions(self) -> None:
        try:
            self.book.load()
        except Exception as exc:
            log.exception("reading decisions failed")
            self._emit(Notice(f"Decisions file: {exc}", "error"))
        if self.replayed:
            self._emit(Notice(self.replayed, "warning"))
        self._emit(DecisionsChanged())

    def _read_analysis_cache(self) -> None:
        try:
            self.analyzer.is_cached(Article(id="", title="", text=""))  # reads the cache file once
        except Exception:
            log.exception("reading the analysis cache failed")
        self._cache_read.set()
        self._emit(Analysed())

    def _after_load(self, loading: Future[None]) -> None:
        try:
            loading.result()
        except Exception:
            return
        if self._stop.is_set():
            return
        if self.settings.feeds:
            self._spawn(self._feeds_loop, "triage-feeds")
        if self.settings.get("watch.enabled", True) and self.inbox:
            self._watch()

    def _watch(self) -> None:
        from triage.sources.watch import watch_paths

        def changed(update) -> None:
            self.merge_articles(update.articles, update.problems, removed_paths=update.removed)

        try:
            watch_paths(list(self.inbox), changed, stop_event=self._stop, **self.watch_options())
        except Exception as exc:
            log.exception("watching the inbox failed")
            self._emit(Notice(f"Live inbox updates stopped: {exc}", "warning"))

    def _feeds_loop(self) -> None:
        minutes = float(self.settings.get("fetch.refresh_minutes", 15))
        while not self._stop.is_set():
            try:
                self.refresh_feeds()
            except Exception as exc:
                log.exception("feed refresh failed")
                self._emit(Notice(f"Feed refresh failed: {exc}", "error"))
            self._emit(StatusText(""))
            if minutes <= 0 or self._stop.wait(minutes * 60):
                return

    def _index_loop(self) -> None:
        while not self._stop.is_set():
            try:
                n = self.catalog.index_some(500)
            except Exception as exc:  # a full disk, say: search scans what is not indexed meanwhile
                log.warning("search indexing failed (%s); trying again in 30 s", exc)
                if self._stop.wait(30):
                    return
                continue
            if not n and self._stop.wait(0.25):
                return

    def _poll_loop(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self._save_read_marks()
            try:
                changed, saved_now = self.book.poll()
            except Exception:
                log.exception("store poll failed")
                continue
            if changed:
                self._emit(DecisionsChanged(saved_now=saved_now))

    def stop(self) -> None:
        """Stop the background threads and worker processes (the queued writes still finish)."""
        self._stop.set()
        if self.pool is not None:
            self.pool.stop()


def settle_memory() -> None:
    """After loading a batch: the stories and caches live as long as the app, so take what exists now
    out of the cyclic garbage collector's full passes (gc.freeze, O(1); no gc.collect, which would
    itself hold the interpreter for half a second). Those passes walk every object, and with a desk's
    inbox in memory each one froze the screen for 50-190 ms, several times a minute; now ~10 ms."""
    import gc

    gc.freeze()


def background_priority() -> None:
    """Lower this thread's CPU priority below the screen's (reading, indexing, polling threads)."""
    lower_priority(READING)


