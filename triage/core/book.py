"""DecisionBook: every article's current decision as this session sees it, with the writes behind it.

A decision shows at once (an optimistic event in memory) and is made durable by one writer thread,
in order, so a slow lock holder (another process compacting 100,000 events) never freezes the
screen. `saved` callbacks say when a write landed or why it did not; a write the disk refused stays
in the store's memory (PendingWriteError) and is retried by `poll()`. Other processes' decisions
come in through `poll()`, which a worker calls: it never overwrites an event this session has not
written yet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from triage.model import Article, Decision, DecisionEvent

if TYPE_CHECKING:
    from triage.store.api import Store

__all__ = ["Action", "DecisionBook", "Saved"]

log = logging.getLogger(__name__)


@dataclass
class Saved:
    """The outcome of one write: the events as stored (or held in memory), and the reason it failed."""

    what: str  # "decide" | "note" | "undo"
    events: list[DecisionEvent] = field(default_factory=list)
    error: str = ""  # empty when durable
    pending: int = 0  # events held in memory after this write
    conflicts: list[str] = field(default_factory=list)  # undo: articles someone else changed since (reasons)
    lost: bool = False  # the write raised: the store does not hold these events (the book keeps them)
    retrying: bool = False  # not durable yet: the store holds the events and retries them (`error` says so)


@dataclass
class Action:
    """One change made in this session (a decision, a note, a batch): what it was, the state of each
    article before it, and the future of its write. Undo restores `before`."""

    what: str
    ids: list[str]
    before: dict[str, tuple[Decision | None, str]]
    future: Future[Saved]


class DecisionBook:
    """Current decisions by article id; optimistic marks, durable writes in order on a writer thread."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store_factory = store
        self._current: dict[str, DecisionEvent] = {}
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-write")
        self._unwritten: dict[str, int] = {}  # id -> writes queued and not finished
        self._conflicts: list[str] = []  # the running undo's articles changed by someone else
        self._failed: list[DecisionEvent] = []  # shown, but their write raised: the store never got them
        self.listeners: list[Callable[[Saved], None]] = []
        self.loaded = False
        self._opened = False

    @property
    def store(self) -> Store:
        """The decision store (opened on first use: call from a worker)."""
        got = self._store_factory()
        self._opened = True
        return got

    # -- reading (O(1), lock-free) ---------------------------------------------------------------
    def decision(self, article_id: str) -> Decision | None:
        """The current decision of one article."""
        ev = self._current.get(article_id)
        return ev.decision if ev else None

    def ids(self) -> list[str]:
        """Every article id with a decision event (decided, cleared or undone): the others have none."""
        with self._lock:
            return list(self._current)

    def event(self, article_id: str) -> DecisionEvent | None:
        """The latest event of one article (None when never decided)."""
        return self._current.get(article_id)

    def note(self, article_id: str) -> str:
        """The current note of one article."""
        ev = self._current.get(article_id)
        return ev.note if ev else ""

    @property
    def queued(self) -> int:
        """Writes accepted and not finished yet."""
        return sum(self._unwritten.values())

    @property
    def pending(self) -> int:
        """Events the disk refused, held in memory and retried."""
        return self._store_factory().pending if self._opened else 0

    # -- loading and polling (workers) ------------------------------------------------------------
    def load(self) -> None:
        """Read every current decision from the store (a worker: the file may be large)."""
        store = self.store
        current = store.current_many()
        with self._lock:
            for aid, ev in current.items():
                if aid not in self._unwritten:
                    self._current[aid] = ev
            self.loaded = True

    def poll(self) -> tuple[bool, int]:
        """Retry refused writes and pick up other processes' decisions (a worker).

        Returns (anything changed, events saved now that had been refused)."""
        store = self.store
        saved_now = 0
        if store.pending:
            before = store.pending
            left = store.retry_pending()
            saved_now = before - left
        changed = store.refresh()
        if changed or not self.loaded:
            self.load()
            return True, saved_now
        return bool(saved_now), saved_now

    # -- writing ---------------------------------------------------------------------------------
    def _provisional(self, target: Article | str, decision: Decision | None, note: str, action: str,
                     batch: str = "", story: str = "") -> DecisionEvent:
        """The event shown until the store's comes back, built by the store's own builder (the user and
        host are the store's word, filled in when it is written)."""
        from triage.store.build import change_doc, decide_doc
        from triage.store.events import to_doc, to_event

        aid = target.id if isinstance(target, Article) else target
        old = self._current.get(aid)
        latest = to_doc(old) if old is not None else None
        value = decision.value if decision is not None else None
        if action in ("decide", "clear"):
            return to_event(decide_doc(latest, target, value, note, batch, story=story))
        return to_event(change_doc(latest, aid, value, note, action, batch))

    def _submit(
        self,
        ids: list[str],
        provisional: list[DecisionEvent],
        what: str,
        write: Callable[[Store], list[DecisionEvent]],
    ) -> Action:
        before = {aid: (self.decision(aid), self.note(aid)) for aid in ids}
        with self._lock:
            for ev in provisional:
                self._current[ev.article_id] = ev
            for aid in ids:
                self._unwritten[aid] = self._unwritten.get(aid, 0) + 1
        return Action(what, ids, before, self._writer.submit(self._run, ids, provisional, what, write))

    def _run(
        self,
        ids: list[str],
        provisional: list[DecisionEvent],
        what: str,
        write: Callable[[Store], list[DecisionEvent]],
    ) -> Saved:
        from triage.store.errors import PendingWriteError

        result = Saved(what)
        self._conflicts = []
        try:
            store = self.store
            try:
                result.events = write(store)
            except PendingWriteError as exc:  # held in memory by the store and retried
                result.events = list(exc.events)
                result.error = str(exc) or str(store.last_error or "the decisions file cannot be written")
                result.retrying = True
            result.pending = store.pending
        except Exception as exc:  # the UI says it; the mark stays with NOT SAVED
            log.exception("writing %s failed", what)
            result.error = f"{type(exc).__name__}: {exc}"
            result.events = provisional
            result.pending = len(provisional)
            result.lost = True
            with self._lock:
                self._failed.extend(provisional)  # never dropped: rescued on quit
        result.conflicts = list(self._conflicts)
        with self._lock:
            for ev in result.events:
                self._current[ev.article_id] = ev
            for aid in ids:
                n = self._unwritten.get(aid, 0) - 1
                if n > 0:
                    self._unwritten[aid] = n
                else:
                    self._unwritten.pop(aid, None)
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:
                log.exception("a save listener failed")
        return result

    def decide(self, targets: Sequence[Article | str], decision: Decision | None, note: str | None = None,
               stories: Sequence[str] | None = None) -> Action:
        """Record a decision for these articles: shown at once, durable when the future completes.

        A note of None keeps each article's current note. `stories`: for each target, the list row it
        is decided on (its duplicate group's leader), "" for one decided on its own."""
        ids = [t.id if isinstance(t, Article) else t for t in targets]
        if not ids:
            done: Future[Saved] = Future()
            done.set_result(Saved("decide"))
            return Action("decide", [], {}, done)
        rows = list(stories) if stories is not None else [""] * len(ids)
        notes = {aid: (note or self.note(aid)) for aid in ids}  # the store keeps the note when given none
        batch = f"b{datetime.now(UTC).timestamp():.6f}" if len(ids) > 1 else ""
        provisional = [
            self._provisional(t, decision, notes[aid], "decide" if decision else "clear", batch, story)
            for t, aid, story in zip(targets, ids, rows, strict=True)
        ]
        given = note or ""
        uids = [ev.uid for ev in provisional]  # the events are known (and rescuable) before they are written

        def write(store: Store) -> list[DecisionEvent]:
            if len(ids) == 1:
                return [store.decide(targets[0], decision, given, uid=uids[0], story=rows[0])]
            return store.decide_many(list(targets), decision, given, uids=uids, stories=rows)

        return self._submit(ids, provisional, "decide", write)

    def set_note(self, article_ids: Sequence[str], note: str) -> Action:
        """Set the note on these articles, keeping their decisions."""
        ids = list(article_ids)
        provisional = [self._provisional(aid, self.decision(aid), note, "note") for aid in ids]

        def write(store: Store) -> list[DecisionEvent]:
            return [store.set_note(ev.article_id, note, uid=ev.uid) for ev in provisional]

        return self._submit(ids, provisional, "note", write)

    def undo(self, article_ids: Sequence[str]) -> Action:
        """Return these articles to the state before their latest change, whoever made it (the CLI's
        and tools' undo; the TUI's `u` is undo_action)."""
        ids = list(article_ids)

        def write(store: Store) -> list[DecisionEvent]:
            return store.undo(ids)

        return self._submit(ids, [], "undo", write)

    def undo_action(self, action: Action) -> Action:
        """Take back one of this session's actions, and nothing else: each article returns to its state
        before it only where no one else has changed the article since (those are reported as
        conflicts and keep what the other person did). Shown at once, written in order."""
        ids = list(action.ids)
        provisional = [
            self._provisional(aid, *action.before[aid], "undo") for aid in ids if aid in action.before
        ]
        uids = {ev.article_id: ev.uid for ev in provisional}

        def write(store: Store) -> list[DecisionEvent]:
            done = action.future.result()  # written before this job: one writer thread, in order
            result = store.undo_own(done.events, uids=uids)
            self._conflicts = [c.reason for c in result.conflicts]
            for conflict in result.conflicts:  # show what the other person did, not our guess
                latest = conflict.latest or store.current(conflict.article_id)
                if latest is not None:
                    self._current[conflict.article_id] = latest
            if not result.saved:
                from triage.store.errors import PendingWriteError

                why = result.error or "the undo could not be written"
                raise PendingWriteError(f"{why}; it is kept in memory and retried", list(result.events))
            return list(result.events)

        return self._submit(ids, provisional, "undo", write)

    def unwritten_events(self) -> list[DecisionEvent]:
        """Events shown but not handed to the store yet (their writes are queued): what a rescue must add."""
        with self._lock:
            queued = [
                ev for ev in (self._current.get(aid) for aid in self._unwritten) if ev is not None and ev.uid
            ]
            return [*self._failed, *queued]

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every accepted write has finished; False on timeout."""
        done: Future[None] = self._writer.submit(lambda: None)
        try:
            done.result(timeout=timeout)
        except TimeoutError:
            return False
        return True

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish the queued writes (up to `timeout` seconds) and stop the writer thread."""
        self.flush(timeout)
        self._writer.shutdown(wait=False, cancel_futures=False)
