"""TriageService: what the UI and the CLI call. It composes parts that each own their state, and
does the work that needs more than one of them:

* `catalog` (triage.catalog): the articles, duplicate groups, search index, rules and list order;
* `inbox` (core.inbox): reading the folders and feeds into the catalog, with progress;
* `analyses` (core.analysing): the analyses known, the cache and the pool of worker processes;
* `decisions` (core.deciding): the store, the book of optimistic marks, this session's undo;
* `versions` (core.versions): what an update changed, read marks, stories a change re-opens;
* `desk` (triage.desk): takes, hand-offs, presence and watches (several editors on one store);
* `live` (core.live): the background threads that drive the rest.

The CLI and tests reach the parts directly (`svc.inbox.load()`, `svc.decisions.decision(id)`). A
screen reads them through `faces` (core.faces: typed, read-only) and calls the service for what a
person does. `start(listener)` runs the live side and tells the listener what changed
(triage.core.events); a UI swaps in what it is told and never waits on any of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from triage.catalog.catalog import Catalog
from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View
from triage.catalog.rules import RuleSet, compile_rules
from triage.core.analysing import Analyses
from triage.core.book import Action
from triage.core.deciding import Decisions
from triage.core.events import DecisionsChanged, DeskChanged, ServiceEvent
from triage.core.faces import Faces
from triage.core.inbox import Inbox, feed_tags
from triage.core.live import Live, spawn
from triage.core.versions import Versions
from triage.desk import Desk
from triage.model import Analysis, Decision, DecisionEvent, Handoff, Problem, ProblemKind, Take, Watch

if TYPE_CHECKING:  # imported lazily at run time: keeps `triage --help` and the store CLI light
    from concurrent.futures import Future
    from datetime import timedelta

    from triage.analysis import Analyzer
    from triage.catalog.catalog import Change
    from triage.config import Settings
    from triage.desk.handover import Handover
    from triage.store.api import DeskRecord, PresenceBoard, Store
    from triage.store.rescue import RescueResult

__all__ = ["SORTS", "VIEWS", "Listing", "Row", "TriageService", "View"]

log = logging.getLogger(__name__)


class TriageService:
    """The domain API of the app: articles, their analysis, decisions, and list views."""

    def __init__(
        self,
        settings: Settings,
        *,
        inbox: Sequence[Path] | None = None,
        db_path: Path | None = None,
        analyzer: Analyzer | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.db_path = Path(db_path or settings.db_path)
        self.listeners: list[Callable[[ServiceEvent], None]] = []
        self.rules: RuleSet = compile_rules(list(settings.rules.watch), list(settings.rules.mute))
        names, files = feed_tags(settings)
        known: dict[str, Analysis] = {}
        self.catalog = Catalog(rules=self.rules, analysis_of=known.get, source_tags=names, file_tags=files,
                               default_language=settings.ui.default_language)
        self.analyses = Analyses(
            settings, self.catalog, emit=self.emit, spawn=spawn, analyzer=analyzer, known=known
        )
        self.decisions = Decisions(
            settings,
            self.db_path,
            expand=self._expand,
            article_of=self.catalog.article,
            emit=self.emit,
            store=store,
        )
        self.versions = Versions(settings, self.catalog, self.decisions.event)
        self.inbox = Inbox(
            settings,
            tuple(inbox if inbox is not None else settings.inbox),
            self.catalog,
            emit=self.emit,
            prepare=self.versions.prepare,
            changed=self._changed,
        )
        self.desk = Desk(self._open_desk, own=self.versions.mine, take_minutes=settings.desk.take_minutes,
                         open_presence=self._open_presence, group=self.catalog.group,
                         leader_of=self.catalog.leader_of, event_of=self.decisions.event,
                         article_of=self.catalog.article, match=self._watch_rows,
                         watched_of=self._watched_of, rules=self.rules,
                         beat_seconds=min(5.0, settings.desk.presence_seconds / 4))
        self.live = Live(settings, emit=self.emit, inbox=self.inbox, decisions=self.decisions,
                         analyses=self.analyses, index_some=self.catalog.index_some,
                         save_marks=self.versions.save_read_marks, keep_first_screen=self.keep_first_screen,
                         desk=self.desk)
        self.faces = Faces(articles=self.catalog, summaries=self.analyses, decisions=self.decisions,
                           updates=self.versions, desk=self.desk)

    # -- listening -------------------------------------------------------------------------------
    def emit(self, event: ServiceEvent) -> None:
        """Tell every listener (from whichever thread the event happened on)."""
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a listener failed on %s", type(event).__name__)

    def _changed(self, change: Change) -> None:
        self.versions.keep_aliases()
        self.desk.articles_changed()
        self.analyses.forget(change.changed)
        if change:
            self.analyses.want(change.changed)

    def _expand(self, article_ids: Iterable[str]) -> list[str]:
        out: dict[str, None] = {}
        for aid in article_ids:
            for member in self.catalog.group(aid):
                out[member] = None
        return list(out)

    def _location(self) -> str | Path:
        return self.settings.db_url or self.db_path

    def _open_desk(self) -> DeskRecord:
        from triage.store.open import open_desk

        return open_desk(self._location(), group_share=self.settings.store.group_share)

    def _open_presence(self) -> PresenceBoard:
        from triage.store.open import open_presence

        return open_presence(self._location(), expiry=self.settings.desk.presence_seconds,
                             group_share=self.settings.store.group_share)

    def _watch_rows(self, query: str) -> list[str]:
        """The list rows a watch's query matches, as `/` finds them, whatever their decision."""
        return list(self.catalog.listing(View("all", search=query), lambda _aid: None).ids)

    def _watched_of(self, row: str) -> tuple[str, ...]:
        found = self.catalog.row(row, None)
        return found.watched if found is not None else ()

    # -- the live side ---------------------------------------------------------------------------
    def start(
        self,
        listener: Callable[[ServiceEvent], None] | None = None,
        *,
        analyze: bool = True,
        load: bool = True,
        defer: bool = False,
    ) -> None:
        """Tell `listener` what changes from now on and run the background threads (core.live.Live)."""
        if listener is not None:
            self.listeners.append(listener)
        self.live.start(analyze=analyze, load=load, defer=defer)

    def start_more(self) -> None:
        """The rest of the live side, once (a screen calls it when it has painted)."""
        self.live.start_more()

    def start_loading(self, *, hold: bool = False) -> Future[None]:
        """Begin reading the inbox in a background thread (once); the app starts up meanwhile. With
        `hold`, the load waits after its first batch until start_more() (the screen has painted it)."""
        if hold and not self.live.more_started:
            self.inbox.hold_after_first()
        return self.inbox.start_loading()

    @property
    def progress(self) -> tuple[int, int, bool]:
        """(files read, files in all, finished)."""
        return self.inbox.progress

    # -- what the list shows: the catalog, the decisions and the versions together ----------------
    @property
    def problems(self) -> list[Problem]:
        """Problems from loading, from the rules, and from the analysis."""
        rule_problems = [Problem("config [rules]", e, ProblemKind.CONFIG) for e in self.rules.errors]
        if self.settings.feeds_problem:
            rule_problems.append(Problem(str(self.settings.feeds_file), self.settings.feeds_problem,
                                         ProblemKind.CONFIG))
        return rule_problems + self.catalog.problems

    def listing(self, view: View, keep: Iterable[str] = ()) -> Listing:
        """The ids a view lists and every view's count (walks the inbox: call from a worker)."""
        return self.catalog.listing(
            view, self.versions.effective_decision, keep, decided=self.decisions.decided_ids()
        )

    def row(self, article_id: str) -> Row | None:
        """The list row of one article as it is now (O(1): fine on the event loop)."""
        reopened = article_id in self.versions.reopened
        decision = None if reopened else self.decisions.decision(article_id)
        return self.catalog.row(article_id, decision, reopened)

    def rows(self, view: View, keep: frozenset[str] | set[str] = frozenset()) -> list[Row]:
        """The list rows for a view: filtered by decision, search and entity, then sorted."""
        return [row for aid in self.listing(view, keep).ids if (row := self.row(aid)) is not None]

    def counts(self) -> dict[str, int]:
        """How many list rows each view holds (walks the inbox: the TUI takes them from a Listing)."""
        return self.listing(View("all")).counts

    # -- what a person does ----------------------------------------------------------------------
    def decide_soon(
        self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None
    ) -> Action:
        """Decide for articles and their duplicate groups: shown at once, written by the writer
        thread, kept as this session's last action (undo). My takes of them are given back."""
        action = self.decisions.decide_soon(article_ids, decision, note)
        self.desk.decided(action.ids)
        return action

    def note_soon(self, article_id: str, note: str) -> Action:
        """Set the note on an article (and its group), keeping its decision (undoable)."""
        return self.decisions.note_soon(article_id, note)

    def undo_last(self) -> Action | None:
        """Undo this session's latest action (never another process's); None when there is none."""
        return self.decisions.undo_last()

    def mark_read(self, story_id: str) -> None:
        """The user has seen the current version of this story."""
        self.versions.mark_read(story_id)

    def decide(
        self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None
    ) -> list[DecisionEvent]:
        """Record a decision and wait until it is durable (or held as not saved)."""
        return self.decide_soon(article_ids, decision, note).future.result().events

    def set_note(self, article_id: str, note: str) -> list[DecisionEvent]:
        """Set a note and wait until it is durable (or held as not saved)."""
        return self.decisions.note_soon(article_id, note).future.result().events

    def undo(self, article_ids: Sequence[str]) -> list[DecisionEvent]:
        """Return articles (and their groups) to their previous state; waits for the write."""
        return self.decisions.undo_soon(article_ids).future.result().events

    # -- the desk: writes to the desk's record (call from a worker); the face is `faces.desk` --------
    def take(self, story_id: str) -> Take:
        """Take a story (its whole group) for me; HeldError names the colleague who holds it."""
        took = self.desk.take(story_id)
        self.emit(DeskChanged())
        return took

    def give_back(self, story_id: str) -> list[Take]:
        """Give back my take of a story; the takes given back."""
        given = self.desk.give_back(story_id)
        self.emit(DeskChanged())
        return given

    def hand(self, story_id: str, to: str, note: str = "") -> Handoff:
        """Hand a story to a colleague (a user name) or to the desk (model.DESK), with a note."""
        handed = self.desk.hand(story_id, to, note)
        self.emit(DeskChanged())
        return handed

    def acknowledge(self, story_id: str) -> list[Handoff]:
        """Say I have seen the hand-offs of a story addressed to me or to the desk."""
        seen = self.desk.acknowledge(story_id)
        self.emit(DeskChanged())
        return seen

    def viewing(self, story_id: str) -> None:
        """The story this TUI has open now ("": none): shown to the desk, kept as opened and read, and
        its hand-offs to me acknowledged, by the live side (never on the caller's thread)."""
        if story_id:
            self.versions.mark_read(story_id)
        self.desk.viewing(story_id)

    def add_watch(self, name: str, query: str, *, desk: bool) -> Watch:
        """Add or change a watch (the query language of `/`): the desk's, or mine alone."""
        watch = self.desk.add_watch(name, query, desk=desk)
        self.live.wake_desk()
        return watch

    def remove_watch(self, name: str, desk: bool | None = None) -> Watch | None:
        """Remove my watch of that name (mine alone first, else my desk watch; or the one `desk` says)."""
        gone = self.desk.remove_watch(name, desk)
        self.live.wake_desk()
        return gone

    def handover(self, since: timedelta) -> Handover:
        """The shift's handover for the period ending now (reads the store and walks the inbox: a
        worker's job)."""
        from triage.desk.handover import build_handover

        store, catalog = self.decisions.store, self.catalog
        rows = [a for r in catalog.leaders() if (a := catalog.article(r)) is not None]  # a group once
        return build_handover(self.desk, store, rows, since=since, event_of=store.current,
                              match=self._watch_rows, default_language=self.settings.ui.default_language)

    # -- saving ----------------------------------------------------------------------------------
    def refresh_decisions(self) -> bool:
        """Retry refused writes and read what other processes wrote (a worker): True when anything
        changed, and then the listeners are told, as the live side's poll would tell them."""
        changed, saved_now = self.decisions.poll()
        if changed:
            self.emit(DecisionsChanged(saved_now=saved_now))
        return changed

    def retry_writes(self, timeout: float = 5.0) -> tuple[int, str]:
        """Finish queued writes and retry refused ones (a worker); then (still not saved, why)."""
        self.decisions.flush(timeout)
        self.refresh_decisions()
        return self.decisions.unsaved()

    def rescue_now(self, timeout: float = 1.0) -> RescueResult | None:
        """Write every decision that is not durable to the rescue file at once (signals, quit anyway)."""
        return self.decisions.rescue_now(timeout)

    def keep_first_screen(self) -> None:
        """Keep which stories the start view leads with now, for the next start's first paint (a
        cache: a failure is logged, never raised)."""
        ui = self.settings.ui
        view = View(name=ui.view, sort=ui.sort) if ui.view in VIEWS else View()
        try:
            self.inbox.keep_first_screen(self.listing(view).ids)
        except Exception:
            log.exception("keeping the first screen failed")

    def close(self, timeout: float = 10.0, *, keep_screen: bool = True) -> None:
        """Persist what is pending: queued writes, analyses to their cache, the journal into the file.
        A decision the disk still refuses goes to the rescue file. Never raises for a failed write.
        `keep_screen`: keep what the list leads with for the next start (not when a signal ends it:
        the live side kept it once the inbox was read)."""
        self.live.stop()
        if keep_screen and self.live.more_started and self.progress[2]:  # a screen ran on a whole inbox
            self.keep_first_screen()
        self.desk.close()
        self.versions.save_read_marks()
        self.decisions.close(timeout)
        self.analyses.flush()
