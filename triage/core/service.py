"""TriageService: what the UI and the CLI call. A facade over parts that each own their state:

* `catalog` (triage.catalog): the articles, duplicate groups, search index, rules and list order;
* `inbox_part` (core.inbox): reading the folders and feeds into the catalog, with progress;
* `analyses` (core.analysing): the analyses known, the cache and the pool of worker processes;
* `decisions` (core.deciding): the store, the book of optimistic marks, this session's undo;
* `versions` (core.versions): what an update changed, read marks, stories a change re-opens;
* `live` (core.live): the background threads that drive the rest.

`start(listener)` runs the live side and tells the listener what changed (triage.core.events); a UI
swaps in what it is told and never waits on any of it. The blocking calls (`load`, `decide`, `rows`)
serve the CLI and tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.catalog.catalog import Catalog
from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View
from triage.catalog.rules import RuleSet, compile_rules
from triage.core.analysing import Analyses
from triage.core.book import Action
from triage.core.deciding import Decisions
from triage.core.events import ServiceEvent
from triage.core.inbox import Inbox, feed_tags
from triage.core.live import Live
from triage.core.versions import Versions
from triage.model import Analysis, Article, Decision, DecisionEvent, Problem

if TYPE_CHECKING:  # imported lazily at run time: keeps `triage --help` and the store CLI light
    from triage.analysis import Analyzer
    from triage.catalog.catalog import Change
    from triage.catalog.changes import Update
    from triage.config import Settings
    from triage.store import DecisionStore

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
        store: DecisionStore | None = None,
    ) -> None:
        self.settings = settings
        self.inbox: tuple[Path, ...] = tuple(inbox if inbox is not None else settings.inbox)
        self.db_path = Path(db_path or settings.db_path)
        self.listeners: list[Callable[[ServiceEvent], None]] = []
        self.rules: RuleSet = compile_rules(list(settings.rules.watch), list(settings.rules.mute))
        names, files = feed_tags(settings)
        known: dict[str, Analysis] = {}
        self.catalog = Catalog(rules=self.rules, analysis_of=known.get, source_tags=names, file_tags=files,
                               default_language=settings.ui.default_language)
        self.live = Live(self)
        self.analyses = Analyses(
            settings, self.catalog, emit=self.emit, spawn=self.live.spawn, analyzer=analyzer, known=known
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
        self.inbox_part = Inbox(
            settings,
            self.inbox,
            self.catalog,
            emit=self.emit,
            prepare=self.versions.prepare,
            changed=self._changed,
        )

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
        self.analyses.forget(change.changed)
        if change:
            self.analyses.want(change.changed)

    def _expand(self, article_ids: Iterable[str]) -> list[str]:
        out: dict[str, None] = {}
        for aid in article_ids:
            for member in self.catalog.group(aid):
                out[member] = None
        return list(out)

    # -- parts the CLI and tests reach (the TUI may not: tests/test_architecture.py) ---------------
    store = property(lambda self: self.decisions.store, doc="The decision store (CLI and tests).")
    book = property(lambda self: self.decisions.book, doc="The book of optimistic marks (CLI and tests).")

    @property
    def analyzer(self) -> Analyzer:
        return self.analyses.analyzer

    @analyzer.setter
    def analyzer(self, analyzer: Analyzer) -> None:
        self.analyses.analyzer = analyzer

    pool = property(lambda self: self.analyses.pool, doc="The analysis pool, once started.")

    # -- the live side ---------------------------------------------------------------------------
    def start(
        self,
        listener: Callable[[ServiceEvent], None] | None = None,
        *,
        analyze: bool = True,
        load: bool = True,
        defer: bool = False,
    ) -> None:
        """Run the background threads; see core.live.Live.start."""
        self.live.start(listener, analyze=analyze, load=load, defer=defer)

    def start_more(self) -> None:
        self.live.start_more()

    @property
    def more_started(self) -> bool:
        return self.live.more_started

    def stop(self) -> None:
        self.live.stop()

    # -- articles --------------------------------------------------------------------------------
    def load(self) -> None:
        """Read every inbox folder and the feed spool, progressively (each batch told at once)."""
        self.inbox_part.load()

    def start_loading(self):
        return self.inbox_part.start_loading()

    @property
    def progress(self) -> tuple[int, int, bool]:
        """(files read, files in all, finished)."""
        return self.inbox_part.progress

    def set_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = ()) -> None:
        """Replace the article set (hand-made articles: tests, tools); duplicates_of links are kept."""
        self.inbox_part.set_articles(articles, problems)

    def merge_articles(
        self, articles: Iterable[Article], problems: Iterable[Problem] = (), removed_paths: Iterable[str] = ()
    ) -> list[str]:
        """Add or update articles (live watch, feed refresh); the ids new or changed. Any thread."""
        return self.inbox_part.merge(articles, problems, removed_paths)

    def fetch_feeds(self, progress=None):
        return self.inbox_part.fetch_feeds(progress)

    def refresh_feeds(self) -> list[str]:
        return self.inbox_part.refresh_feeds()

    def watch_options(self) -> dict:
        """Options for triage.sources.watch.watch_paths matching how the inbox was loaded."""
        return self.inbox_part.watch_options()

    def _load_options(self) -> dict[str, Any]:
        return self.inbox_part.load_options()

    @property
    def problems(self) -> list[Problem]:
        """Problems from loading, from the rules, and from the analysis."""
        rule_problems = [Problem("config [rules]", e) for e in self.rules.errors]
        if self.settings.feeds_problem:
            rule_problems.append(Problem(str(self.settings.feeds_file), self.settings.feeds_problem))
        return rule_problems + self.catalog.problems

    def article(self, article_id: str) -> Article | None:
        return self.catalog.article(article_id)

    @property
    def articles(self) -> list[Article]:
        """Every article, in load order."""
        return self.catalog.articles()

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group (its leader first)."""
        return self.catalog.group(article_id)

    def leader_of(self, article_id: str) -> str:
        """The id of the list row that shows the article (its duplicate group's leader)."""
        return self.catalog.leader_of(article_id)

    # -- views -----------------------------------------------------------------------------------
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

    def sources(self) -> list[tuple[str, int]]:
        """(source name, stories) in the inbox, most stories first."""
        return self.catalog.sources()

    def tags(self) -> list[str]:
        """Every feed folder (tag) the configuration names, for the source filter."""
        return self.catalog.tags()

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, stories) by provider, language and urgency, for the source filter (a worker)."""
        return self.catalog.facets()

    @property
    def source_tags(self) -> dict[str, tuple[str, ...]]:
        """Each source's tags (its feed folders), for filters over decided stories."""
        return self.catalog.source_tags

    # -- analysis --------------------------------------------------------------------------------
    def cached_analysis(self, article: Article, *, wait: bool = True) -> Analysis | None:
        """Known or cached: never loads the model; wait=False (the event loop) never reads the file."""
        return self.analyses.cached(article, wait=wait)

    @property
    def analysis_unavailable(self) -> str | None:
        return self.analyses.unavailable

    def analyze(self, article: Article) -> Analysis:
        """Analyse one article (may load the spaCy model: call from a worker thread)."""
        return self.analyses.analyze(article)

    def analyze_many(self, articles: Sequence[Article], progress=None) -> Iterable[tuple[str, Analysis]]:
        """Analyse many articles in batches (a worker thread); yields (id, Analysis) as they finish."""
        return self.analyses.analyze_many(articles, progress)

    def start_analysis(self):
        """Start background analysis (worker processes, `analysis.processes`; 0: a thread here)."""
        return self.analyses.start()

    def prioritise(self, article_ids: Sequence[str]) -> None:
        """Analyse these first (the story on screen and its neighbours)."""
        self.analyses.prioritise(article_ids)

    # -- stories that change ---------------------------------------------------------------------
    def update_of(self, story_id: str, since: str = "") -> tuple[Update, str] | None:
        """What the current version added since `since` (default: the version last seen or decided)."""
        return self.versions.update_of(story_id, since)

    def baseline_version(self, story_id: str) -> str:
        return self.versions.baseline_version(story_id)

    def mark_read(self, story_id: str) -> None:
        """The user has seen the current version of this story."""
        self.versions.mark_read(story_id)

    # -- decisions -------------------------------------------------------------------------------
    def decision(self, article_id: str) -> Decision | None:
        return self.decisions.decision(article_id)

    def current_event(self, article_id: str) -> DecisionEvent | None:
        """The latest decision event of one article (None when never decided)."""
        return self.decisions.event(article_id)

    def note(self, article_id: str) -> str:
        return self.decisions.note(article_id)

    def decide_soon(
        self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None
    ) -> Action:
        """Decide for articles and their duplicate groups: shown at once, written by the writer
        thread, kept as this session's last action (undo)."""
        return self.decisions.decide_soon(article_ids, decision, note)

    def note_soon(self, article_id: str, note: str) -> Action:
        """Set the note on an article (and its group), keeping its decision (undoable)."""
        return self.decisions.note_soon(article_id, note)

    def decide(
        self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None
    ) -> list[DecisionEvent]:
        """Record a decision and wait until it is durable (or held as not saved)."""
        return self.decide_soon(article_ids, decision, note).future.result().events

    def set_note(self, article_id: str, note: str) -> list[DecisionEvent]:
        return self.note_soon(article_id, note).future.result().events

    def undo(self, article_ids: Sequence[str]) -> list[DecisionEvent]:
        """Return articles (and their groups) to their previous state; waits for the write."""
        return self.decisions.undo_soon(article_ids).future.result().events

    def undo_last(self) -> Action | None:
        """Undo this session's latest action (never another process's); None when there is none."""
        return self.decisions.undo_last()

    @property
    def actions(self) -> list[Action]:
        return self.decisions.actions

    def events_of(self, action: Action) -> list[DecisionEvent]:
        """The current events of an action's articles (what the screens show right after it)."""
        return self.decisions.events_of(action)

    def refresh_decisions(self) -> bool:
        """Retry refused writes and reload what other processes wrote; True when anything changed."""
        changed, _ = self.decisions.poll()
        return changed

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        return self.decisions.history(article_id)

    def event_count(self) -> int:
        """How many events the decisions file holds (cheap: a reload is due when it changes)."""
        return self.decisions.event_count()

    def current_events(self) -> dict[str, DecisionEvent]:
        """The latest event of every article in the decisions file, cleared ones included."""
        return self.decisions.current_events()

    def flush_writes(self, timeout: float = 5.0) -> None:
        """Wait up to `timeout` s for queued writes and retry refused ones (call from a worker)."""
        self.decisions.flush(timeout)

    @staticmethod
    def parse_when(text: str, *, end: bool = False):
        """A date the user typed ("today", "7d", "2024-05-01") as a datetime; ValueError with a reason."""
        from triage.infra.when import parse_when

        return parse_when(text, end=end)

    @property
    def replayed(self) -> str:
        """What opening the decisions file replayed from an earlier session's rescue file."""
        return self.decisions.replayed

    @property
    def damage(self) -> str:
        """One sentence when the decisions file holds damaged lines (and how to recover), else ""."""
        return self.decisions.damage

    @property
    def pending(self) -> int:
        """Decisions held in memory because the disk refused them."""
        return self.decisions.pending

    @property
    def store_error(self) -> str:
        """Why the last write failed (empty when the file is being written fine)."""
        return self.decisions.store_error

    def unsaved(self) -> tuple[int, str]:
        """(decisions not durable yet, why): refused and held, or still queued."""
        return self.decisions.unsaved()

    def rescue_now(self, timeout: float = 1.0):
        """Write every decision that is not durable to the rescue file at once (signals, quit anyway)."""
        return self.decisions.rescue_now(timeout)

    rescued = property(lambda self: self.decisions.rescued, doc="Where decisions were rescued, if they were.")

    def close(self, timeout: float = 10.0) -> None:
        """Persist what is pending: queued writes, analyses to their cache, the journal into the file.
        A decision the disk still refuses goes to the rescue file. Never raises for a failed write."""
        self.stop()
        self.versions.save_read_marks()
        self.decisions.close(timeout)
        self.analyses.flush()
