"""TriageService: what the UI and CLI call. Pure Python: it wires sources, analysis and the store.

Three parts, each the one owner of its state and safe to use from several threads:

* `catalog` (triage.catalog.catalog.Catalog): the articles, their duplicate groups, search index, rules and
  list order;
* `book` (triage.core.book.DecisionBook): the current decisions, optimistic, written by one writer thread;
* the analysis: an Analyzer (cache, model) and, for the TUI, an AnalysisPool of worker processes.

`start(listener)` runs the live side in background threads (progressive load, inbox watcher, feed
refresh, search indexing, analysis, store poll) and tells the listener what changed; a UI swaps in
what it is told and never waits on any of it. The blocking calls (`load`, `decide`, `rows` ...)
serve the CLI and tests.

The class is one API in five files, one concern each: this one (parts, articles, views, closing),
service_live (the background threads), service_analysis, service_decisions and service_versions
(stories that change).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.core.book import Action, DecisionBook, Saved
from triage.catalog.catalog import Catalog
from triage.model import Analysis, Article, DecisionEvent, Problem
from triage.catalog.rules import RuleSet, compile_rules
from triage.core.analysing import AnalysisSide
from triage.core.deciding import Decisions
from triage.core.events import (
    ArticlesChanged,
    LoadProgress,
    Notice,
    ServiceEvent,
    StatusText,
    WriteSettled,
)
from triage.core.live import LiveSide, background_priority, settle_memory
from triage.core.versions import StoryVersions
from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View

if TYPE_CHECKING:  # imported lazily at run time: keeps `triage --help` and the store CLI light
    from triage.analysis import Analyzer
    from triage.analysis.pool import AnalysisPool
    from triage.catalog.changes import Update
    from triage.config import Settings
    from triage.store import DecisionStore

__all__ = ["SORTS", "VIEWS", "Listing", "Row", "TriageService", "View"]

log = logging.getLogger(__name__)


class TriageService(LiveSide, StoryVersions, AnalysisSide, Decisions):
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
        self._analyzer = analyzer
        self._store = store
        self._store_lock = threading.Lock()
        self.rules: RuleSet = compile_rules(settings.get("rules.watch", []), settings.get("rules.mute", []))
        self._analyses: dict[str, Analysis] = {}
        self.analysis_unavailable: str | None = None
        names, files = _feed_tags(settings)
        self.catalog = Catalog(rules=self.rules, analysis_of=self._analyses.get, source_tags=names, file_tags=files)
        self._indexes_open = False
        self._cache_read = threading.Event()  # the analysis cache file has been read (by a worker)
        self.book = DecisionBook(lambda: self.store)
        self.book.listeners.append(self._saved)
        self.listeners: list[Callable[[ServiceEvent], None]] = []
        self.actions: list[Action] = []  # this session's decisions and notes, the latest last (undo)
        self.rescued = None  # a RescueResult when decisions went to a rescue file
        self._updates: dict[tuple[str, str, str], tuple[Update, str]] = {}
        self._reopen_on = {str(v).strip().lower() for v in settings.get("ui.reopen_on_update", ["archive"]) or ()}
        aliases = {"followup": "follow-up", "follow": "follow-up", "archived": "archive", "flagged": "flag"}
        self._reopen_on = {aliases.get(v, v) for v in self._reopen_on}
        self._reopened: set[str] = set()  # decided stories back in the inbox: an update added news
        self._news_since: dict[tuple[str, str, str], bool] = {}
        self._read_marks: dict[str, tuple[str, str]] = {}  # story -> (version hash, when) the user read
        self._unsaved_marks: list[tuple[str, str, str]] = []
        self.pool: AnalysisPool | None = None
        self.progress = (0, 0, False)  # files read, files in all, finished
        self._loading: Future[None] | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.more_started = False
        self._analyze_on = True

    # -- parts -----------------------------------------------------------------------------------
    @property
    def store(self) -> DecisionStore:
        """The decision store, opened on first use."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from triage.store import DecisionStore
                    from triage.store.rescue import default_rescue_dirs

                    # Decisions an earlier session could not write are replayed here (store.replayed).
                    self._store = DecisionStore(
                        self.db_path,
                        group_share=bool(self.settings.get("store.group_share", False)),
                        compact_every=int(self.settings.get("store.compact_every", 1000)),
                        rescue_dirs=default_rescue_dirs(self.settings.data_dir),
                    )
        return self._store

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer (cheap to build; the spaCy model loads on first analysis)."""
        if self._analyzer is None:
            from triage.analysis import Analyzer

            a = self.settings.section("analysis")
            self._analyzer = Analyzer(
                cache_path=self.settings.data_dir / "analysis-cache.sqlite",
                sentences=int(a["sentences"]),
                ratio=float(a["ratio"]),
                min_sentences=int(a["min_sentences"]),
                max_sentences=int(a["max_sentences"]),
                model=str(a["model"]),
                batch_size=int(a["batch_size"]),
                processes_above=int(a["processes_above"]),
            )
        return self._analyzer

    def _open_indexes(self) -> None:
        """The near-duplicate and search indexes beside the other caches (opened once)."""
        if self._indexes_open:
            return
        self._indexes_open = True
        from triage.catalog.search import SearchIndex
        from triage.catalog.dupindex import DuplicateIndex

        src = self.settings.section("sources")
        threshold = float(src["duplicate_threshold"])
        data = self.settings.data_dir
        dups = DuplicateIndex(data / "duplicates.sqlite", threshold=threshold,
                              shingle_size=int(src["shingle_size"])) if threshold > 0 else None
        self.catalog.attach(duplicates=dups, search=SearchIndex(data / "search-index.sqlite"))

    # -- listening -------------------------------------------------------------------------------
    def _saved(self, saved: Saved) -> None:
        self._emit(WriteSettled(saved))
        if saved.conflicts:  # an undo that left someone else's later change alone says so
            reasons = "; ".join(saved.conflicts[:3]) + (" …" if len(saved.conflicts) > 3 else "")
            self._emit(Notice(f"Not undone: {reasons}.", "warning"))

    def _emit(self, event: ServiceEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a listener failed on %s", event.kind)

    # -- articles --------------------------------------------------------------------------------
    def _load_options(self) -> dict[str, Any]:
        src = self.settings.section("sources")
        return {"max_file_bytes": int(src["max_file_bytes"]), "follow_symlinks": bool(src["follow_symlinks"]),
                "ignore": tuple(src["ignore"]), "cache_path": self.settings.data_dir / "ingest-cache.sqlite"}

    def _sources(self) -> list[Path]:
        paths: list[Path] = list(self.inbox)
        spool = self.settings.data_dir / "spool"
        if self.settings.feeds and spool.is_dir():
            paths.append(spool)
        return paths

    def load(self) -> None:
        """Read every inbox folder and configured feed spool, progressively: each batch is in the
        catalog (and told to listeners) as soon as it is read; problems are kept, never raised."""
        from triage.sources.loader import iter_load

        if not self._indexes_open and float(self.settings.get("sources.duplicate_threshold", 0.6)) > 0:
            # numpy (the near-duplicate signatures) imports while the folders are scanned, not after
            threading.Thread(target=lambda: __import__("numpy"), daemon=True, name="triage-import").start()
        self._open_indexes()
        self.catalog.set_aliases(self._ingest_cache(lambda c: c.aliases()) or {})
        self._read_marks.update(self._ingest_cache(lambda c: c.read_marks()) or {})
        first = True
        done = total = 0
        for part in iter_load(self._sources(), **self._load_options()):
            if first:  # a reload replaces what was there
                change = self.catalog.replace(part.articles, part.problems)
                first = False
            else:
                change = self.catalog.add(part.articles, part.problems)
            self._keep_aliases()
            if len(self.catalog) >= 2000:
                settle_memory()
            done, total = part.done, part.total
            self.progress = (done, total, False)
            self._forget_analyses(change.changed)
            self._emit(LoadProgress(done, total))
            if change:
                self._emit(ArticlesChanged(change))
                self._want_analysis(change.changed)
        if first:
            self.catalog.replace([])
        self.progress = (done, total, True)
        if len(self.catalog) >= 2000:
            settle_memory()
        if self._loading is None:  # loaded by hand (CLI, tests): start_loading() must not read again
            self._loading = Future()
            self._loading.set_result(None)
        self._emit(LoadProgress(done, total, finished=True))

    def start_loading(self) -> Future[None]:
        """Begin load() in a background thread (once); the app starts up meanwhile."""
        if self._loading is None:
            fut: Future[None] = Future()
            self._loading = fut

            def run() -> None:
                try:
                    self.load()
                except Exception as exc:
                    log.exception("loading failed")
                    self._emit(Notice(f"Could not load the inbox: {exc}", "error"))
                    self.progress = (self.progress[0], self.progress[1], True)
                    self._emit(LoadProgress(self.progress[0], self.progress[1], finished=True))
                    fut.set_exception(exc)
                else:
                    fut.set_result(None)

            def low_run() -> None:
                background_priority()
                run()

            threading.Thread(target=low_run, daemon=True, name="triage-load").start()
        return self._loading

    def set_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = ()) -> None:
        """Replace the article set (hand-made articles: tests, tools); duplicates_of links are kept."""
        self._open_indexes()
        self.catalog.replace(articles, problems)
        self.progress = (len(self.catalog), len(self.catalog), True)

    def merge_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = (),
                       removed_paths: Iterable[str] = ()) -> list[str]:
        """Add or update articles (live watch, feed refresh), drop those of removed files, regroup the
        groups they touch; returns the ids that are new or changed. Safe from any thread."""
        self._open_indexes()
        change = self.catalog.add(articles, problems, removed_paths)
        self._keep_aliases()
        self._forget_analyses(change.changed)
        if change:
            self._emit(ArticlesChanged(change))
            self._want_analysis(change.changed)
        return change.changed

    def fetch_feeds(self, progress=None):
        """Fetch the configured feeds once (a worker thread); returns the IngestResult (not merged)."""
        from triage.sources.fetch import fetch_feeds

        f = self.settings.section("fetch")
        return fetch_feeds(self.settings.feeds, self.settings.data_dir / "spool",
                           timeout=float(f["timeout_seconds"]), max_bytes=int(f["max_bytes"]),
                           user_agent=str(f["user_agent"]), fetch_full_article=bool(f["fetch_full_article"]),
                           progress=progress)

    def refresh_feeds(self) -> list[str]:
        """Fetch the feeds and merge what they hold (a worker thread); returns new or changed ids."""
        def progress(done: int, total: int, name: str = "") -> None:
            self._emit(StatusText(f"fetching feeds {done}/{total}" if done < total else ""))

        result = self.fetch_feeds(progress=progress)
        return self.merge_articles(result.articles, result.problems)

    def watch_options(self) -> dict:
        """Options for triage.sources.watch.watch_paths matching how the inbox was loaded."""
        return {**self._load_options(), "debounce_ms": int(self.settings.get("watch.debounce_ms", 300))}

    @property
    def problems(self) -> list[Problem]:
        """Problems from loading, from the rules, and from the analysis."""
        rule_problems = [Problem("config [rules]", e) for e in self.rules.errors]
        if self.settings.feeds_problem:
            rule_problems.append(Problem(str(self.settings.feeds_file), self.settings.feeds_problem))
        return rule_problems + self.catalog.problems

    def article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        return self.catalog.article(article_id)

    @property
    def articles(self) -> list[Article]:
        """Every article, in load order."""
        return self.catalog.articles()

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group (its leader first)."""
        return self.catalog.group(article_id)

    # -- views -----------------------------------------------------------------------------------
    def listing(self, view: View, keep: Iterable[str] = ()) -> Listing:
        """The ids a view lists and every view's count (walks the inbox: call from a worker)."""
        return self.catalog.listing(view, self._effective_decision, keep)

    def row(self, article_id: str) -> Row | None:
        """The list row of one article as it is now (O(1): fine on the event loop)."""
        reopened = article_id in self._reopened
        decision = None if reopened else self.book.decision(article_id)
        return self.catalog.row(article_id, decision, reopened)

    def rows(self, view: View, keep: frozenset[str] | set[str] = frozenset()) -> list[Row]:
        """The list rows for a view: filtered by decision, search and entity, then sorted."""
        out = []
        for aid in self.listing(view, keep).ids:
            row = self.row(aid)
            if row is not None:
                out.append(row)
        return out

    def counts(self) -> dict[str, int]:
        """How many list rows each view holds (walks the inbox: the TUI takes them from a Listing)."""
        return self.listing(View("all")).counts

    def sources(self) -> list[tuple[str, int]]:
        """(source name, stories) in the inbox, most stories first."""
        return self.catalog.sources()

    def leader_of(self, article_id: str) -> str:
        """The id of the list row that shows the article (its duplicate group's leader)."""
        return self.catalog.leader_of(article_id)

    def tags(self) -> list[str]:
        """Every feed folder (tag) the configuration names, for the source filter."""
        return self.catalog.tags()

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, stories) by provider, language and urgency, for the source filter (call from a worker)."""
        return self.catalog.facets()

    @property
    def source_tags(self) -> dict[str, tuple[str, ...]]:
        """Each source's tags (its feed folders), for filters over decided stories."""
        return self.catalog.source_tags

    # -- the decisions file, for the review side ---------------------------------------------------
    def event_count(self) -> int:
        """How many events the decisions file holds (cheap: a reload is due when it changes)."""
        return len(self.store)

    def current_events(self) -> dict[str, DecisionEvent]:
        """The latest event of every article in the decisions file, cleared ones included."""
        return self.store.current_many()

    def flush_writes(self, timeout: float = 5.0) -> None:
        """Wait up to `timeout` s for queued writes and retry refused ones (call from a worker)."""
        self.book.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Persist what is pending: queued writes, analyses to their cache, the journal into the file.

        A decision the disk still refuses is never lost: it goes to the rescue file (self.rescued says
        where), which the next start replays. Never raises for a write that failed."""
        from triage.store.errors import PendingWriteError

        self.stop()
        self._save_read_marks()
        self.book.close(timeout)
        if self._analyzer is not None:
            try:
                self._analyzer.flush()
            except Exception:
                log.exception("analysis cache flush failed")
        if self._store is None:
            return
        try:
            if self._store.pending:
                self._store.retry_pending()
        except Exception:
            log.exception("retrying refused writes failed")
        self.rescue_now(timeout=2.0)
        try:
            self._store.close()
        except PendingWriteError:  # refused again after the rescue: rescue what is left, once more
            log.exception("closing the decisions file")
            self.rescue_now(timeout=2.0)
        except Exception:
            log.exception("closing the decisions file")


def _feed_tags(settings: Settings) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Feed name -> its tags, and spool file name -> its tags (from the feeds configuration), for the
    source filter (a feed without a name of its own is known by its spool file)."""
    names: dict[str, tuple[str, ...]] = {}
    files: dict[str, tuple[str, ...]] = {}
    if not settings.feeds:
        return names, files
    from triage.sources.fetch import spool_slug
    from triage.sources.registry import SPOOL_SUFFIX

    for feed in settings.feeds:
        url, name = str(feed.get("url") or ""), str(feed.get("name") or "")
        raw = feed.get("tags") or ()
        tags = tuple(str(t) for t in raw) if isinstance(raw, list | tuple) else ()
        if name:
            names[name] = tags
        if url:
            files[spool_slug(url, name) + SPOOL_SUFFIX] = tags
    return names, files
