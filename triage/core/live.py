"""The service's live side: background threads for loading, watching, feeds, search indexing, analysis,
the store poll and the desk's (takes, hand-offs, presence, watches), at a lower CPU priority than the
screen. It is given the parts it drives (the
inbox, the decisions, the analyses) and callbacks for the rest; it never sees the service."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from triage.core.events import DecisionsChanged, DeskChanged, Notice, ServiceEvent, StatusText
from triage.infra.priority import READING, lower_priority

if TYPE_CHECKING:
    from triage.config import Settings
    from triage.core.analysing import Analyses
    from triage.core.deciding import Decisions
    from triage.core.inbox import Inbox
    from triage.desk import Desk
    from triage.sources.watch import WatchUpdate

__all__ = ["Live", "background_priority", "spawn"]

log = logging.getLogger(__name__)

# A load still running after this many seconds (a big inbox) is indexed for search alongside.
INDEX_DURING_LOAD_AFTER = 15.0
# Seconds between desk polls when the store poll is off (store.poll_seconds = 0): presence still beats.
DESK_IDLE_SECONDS = 5.0
# A poll woken early (a story opened) waits this long first: a burst of keys (j held down) is one poll,
# not one presence write, record read and presence folder read per key.
DESK_SETTLE_SECONDS = 0.1


def spawn(target: Callable[..., object], name: str, *args: object) -> threading.Thread:
    """Run `target(*args)` in a daemon thread below the screen's CPU priority."""

    def run() -> None:
        background_priority()
        target(*args)

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return thread


class Live:
    """The background threads of one service; `start` runs them, `stop` ends them.

    `index_some(n)` puts up to n waiting stories into the search index and says how many waited;
    `save_marks()` writes the read marks taken since the last call; `keep_first_screen()` keeps what
    the list leads with for the next start, once the inbox and the decisions are read."""

    def __init__(self, settings: Settings, *, emit: Callable[[ServiceEvent], None], inbox: Inbox,
                 decisions: Decisions, analyses: Analyses, index_some: Callable[[int], int],
                 save_marks: Callable[[], None], keep_first_screen: Callable[[], None] | None = None,
                 desk: Desk | None = None) -> None:
        self._settings = settings
        self._emit = emit
        self._inbox = inbox
        self._decisions = decisions
        self._analyses = analyses
        self._index_some = index_some
        self._save_marks = save_marks
        self._keep_first_screen = keep_first_screen
        self._decisions_read = threading.Event()
        self._desk = desk
        self._stop = threading.Event()
        self.threads: list[threading.Thread] = []  # every thread started, for tests and shutdown
        self.more_started = False
        self._analyze_on = True
        self._damage = ""  # the decisions file's damage last told
        self._load_began = 0.0  # when this live side's load started (0: it read nothing itself)

    def start(self, *, analyze: bool = True, load: bool = True, defer: bool = False) -> None:
        """Run the live side: the progressive load (unless already loaded) and the decisions at once;
        then the inbox watcher, feed refreshes, search indexing, analysis and the store poll. With
        `defer`, those wait for start_more() (a screen calls it once it has painted)."""
        self._stop.clear()
        self._analyze_on = analyze
        self.spawn(self._open_decisions, "triage-decisions")
        if load:
            self._load_began = time.time()
            self._inbox.start_loading()
        else:
            self._inbox.loaded_already()
        if not defer:
            self.start_more()

    def start_more(self) -> None:
        """The rest of the live side (once): analysis, search indexing, the store poll, then the inbox
        watcher and feed refreshes when the inbox is read."""
        if self.more_started:
            return
        self.more_started = True
        self._inbox.resume()
        self.spawn(self._analyses.read_cache, "triage-analysis-cache")
        if self._analyze_on:
            self._analyses.start()
        self.spawn(self._after_load, "triage-live", self._inbox.start_loading())
        self.spawn(self._index_loop, "triage-index")
        poll = self._settings.store.poll_seconds
        if poll > 0:
            self.spawn(self._poll_loop, "triage-poll", poll)
        if self._desk is not None:
            self.spawn(self._desk_loop, "triage-desk", poll if poll > 0 else DESK_IDLE_SECONDS)

    def spawn(self, target: Callable[..., object], name: str, *args: object) -> None:
        """Run `target(*args)` in a background thread of this live side."""
        self.threads.append(spawn(target, name, *args))

    def _open_decisions(self) -> None:
        decisions, emit = self._decisions, self._emit
        try:
            decisions.load()
        except Exception as exc:
            log.exception("reading decisions failed")
            emit(Notice(f"Decisions file: {exc}", "error"))
        if decisions.replayed:
            emit(Notice(decisions.replayed, "warning"))
        self._damage = decisions.damage
        if self._damage:
            emit(Notice(self._damage, "warning"))
        self._decisions_read.set()
        emit(DecisionsChanged())

    def _after_load(self, loading: Future[None]) -> None:
        try:
            loading.result()
        except Exception:
            return
        if self._stop.is_set():
            return
        if self._keep_first_screen is not None and self._load_began:
            # for the next start, should this one not close cleanly; in a thread of its own, so that
            # decisions slow to read (a lock held elsewhere, a server away) never delay the watcher
            self.spawn(self._first_screen_when_decided, "triage-first-screen")
        if self._settings.feeds:
            self.spawn(self._feeds_loop, "triage-feeds")
        if self._settings.watch.enabled and self._inbox.folders:
            self._watch()

    def _first_screen_when_decided(self) -> None:
        for _ in range(60):  # at most 30 s; close() keeps it anyway
            if self._stop.is_set():
                return
            if self._decisions_read.wait(0.5):
                if self._keep_first_screen is not None:
                    self._keep_first_screen()
                return

    def _watch(self) -> None:
        from triage.sources.watch import watch_paths

        inbox = self._inbox

        def changed(update: WatchUpdate) -> None:
            inbox.merge(update.articles, update.problems, removed_paths=update.removed)

        ready = threading.Event()
        if self._load_began:
            self.spawn(self._catch_up, "triage-catch-up", ready, changed)
        try:
            watch_paths(list(inbox.folders), changed, stop_event=self._stop, ready=ready,
                        **inbox.watch_options())
        except Exception as exc:
            log.exception("watching the inbox failed")
            self._emit(Notice(f"Live inbox updates stopped: {exc}", "warning"))

    def _catch_up(self, ready: threading.Event, changed: Callable[[WatchUpdate], None]) -> None:
        """Files dropped after the load listed the folders and before the watcher ran (a big inbox
        loads for seconds): read once the watcher is listening, so none waits for the next start."""
        from triage.sources.watch import arrivals

        while not ready.wait(0.5):
            if self._stop.is_set():
                return
        inbox = self._inbox
        try:
            update = arrivals(list(inbox.folders), inbox.known_paths(), self._load_began - 1.0,
                              **inbox.watch_options())
        except Exception:
            log.exception("reading what arrived during the load failed")
            return
        if update and not self._stop.is_set():
            changed(update)

    def _feeds_loop(self) -> None:
        minutes = self._settings.fetch.refresh_minutes
        while not self._stop.is_set():
            try:
                self._inbox.refresh_feeds()
            except Exception as exc:
                log.exception("feed refresh failed")
                self._emit(Notice(f"Feed refresh failed: {exc}", "error"))
            self._emit(StatusText(""))
            if minutes <= 0 or self._stop.wait(minutes * 60):
                return

    def _index_loop(self) -> None:
        # A cold start reads first: indexing meanwhile would take CPU and disk from the reading (a
        # search during the load scans what is not indexed yet). A long load (a big inbox) is indexed
        # alongside, a batch at a time with a pause, so that the index is nearly whole when it ends.
        started = time.monotonic()
        while not self._inbox.progress[2]:
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
            return self._index_some(500)
        except Exception as exc:  # a full disk, say: search scans what is not indexed meanwhile
            log.warning("search indexing failed (%s); trying again in 30 s", exc)
            self._stop.wait(30)
            return 0

    def _poll_loop(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self._save_marks()
            try:
                changed, saved_now = self._decisions.poll()
            except Exception:
                log.exception("store poll failed")
                continue
            if changed:
                self._emit(DecisionsChanged(saved_now=saved_now))
                damage = self._decisions.damage
                if damage and damage != self._damage:
                    self._emit(Notice(damage, "warning"))
                self._damage = damage

    def _desk_loop(self, seconds: float) -> None:
        """Take in the desk every `seconds`, and at once when this TUI did something the desk should see
        (opened a story, decided one); tell the listeners when anything changed."""
        desk = self._desk
        assert desk is not None
        while not self._stop.is_set():
            desk.wake.clear()
            try:
                found = desk.poll()
            except Exception:
                log.exception("desk poll failed")
            else:
                if found.changed:
                    self._emit(DeskChanged(for_me=found.for_me, watch_hits=found.watch_hits))
            if desk.wake.wait(seconds):
                self._stop.wait(DESK_SETTLE_SECONDS)

    def wake_desk(self) -> None:
        """Poll the desk now rather than at the next tick (a watch changed)."""
        if self._desk is not None:
            self._desk.wake.set()

    def stop(self) -> None:
        """Stop the background threads and worker processes (the queued writes still finish)."""
        self._stop.set()
        self.wake_desk()
        self._analyses.stop()


def background_priority() -> None:
    """Lower this thread's CPU priority below the screen's (reading, indexing, polling threads)."""
    lower_priority(READING)
