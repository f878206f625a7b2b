"""TriageService: what the UI and CLI call. Pure Python: it wires sources, analysis and the store.

Three parts, each the one owner of its state and safe to use from several threads:

* `catalog` (triage.catalog.Catalog): the articles, their duplicate groups, search index, rules and
  list order;
* `book` (triage.book.DecisionBook): the current decisions, optimistic, written by one writer thread;
* the analysis: an Analyzer (cache, model) and, for the TUI, an AnalysisPool of worker processes.

`start(listener)` runs the live side in background threads (progressive load, inbox watcher, feed
refresh, search indexing, analysis, store poll) and tells the listener what changed; a UI swaps in
what it is told and never waits on any of it. The blocking calls (`load`, `decide`, `rows` ...)
serve the CLI and tests.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.book import Action, DecisionBook, Saved
from triage.catalog import Catalog, Change
from triage.model import Analysis, Article, Decision, DecisionEvent, Problem
from triage.rules import RuleSet, compile_rules
from triage.views import SORTS, VIEWS, Listing, Row, View

if TYPE_CHECKING:  # imported lazily at run time: keeps `triage --help` and the store CLI light
    from triage.analysis import Analyzer
    from triage.changes import Update
    from triage.analysis.pool import AnalysisPool
    from triage.config import Settings
    from triage.store import DecisionStore

__all__ = ["SORTS", "VIEWS", "Event", "Listing", "Row", "TriageService", "View"]

log = logging.getLogger(__name__)


@dataclass
class Event:
    """Something the background side did, for the UI: `kind` names it, the fields say what.

    kinds: "articles" (change), "progress" (done, total; finished), "analysed" (ids, failures),
    "analysis-stopped" (text), "decisions" (others' decisions arrived; saved_now), "saved" (saved),
    "notice" (text, severity)."""

    kind: str
    change: Change | None = None
    done: int = 0
    total: int = 0
    finished: bool = False
    ids: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    saved: Saved | None = None
    saved_now: int = 0
    text: str = ""
    severity: str = "information"


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
        self.listeners: list[Callable[[Event], None]] = []
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
        from triage.search import SearchIndex
        from triage.sources.dupindex import DuplicateIndex

        src = self.settings.section("sources")
        threshold = float(src["duplicate_threshold"])
        data = self.settings.data_dir
        if threshold > 0:
            self.catalog._dups = DuplicateIndex(data / "duplicates.sqlite", threshold=threshold,
                                                shingle_size=int(src["shingle_size"]))
        self.catalog._search = SearchIndex(data / "search-index.sqlite")

    # -- listening -------------------------------------------------------------------------------
    def _saved(self, saved: Saved) -> None:
        self._emit(Event("saved", saved=saved))
        if saved.conflicts:  # an undo that left someone else's later change alone says so
            reasons = "; ".join(saved.conflicts[:3]) + (" …" if len(saved.conflicts) > 3 else "")
            self._emit(Event("notice", text=f"Not undone: {reasons}.", severity="warning"))

    def _emit(self, event: Event) -> None:
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

        if self.catalog._dups is None and float(self.settings.get("sources.duplicate_threshold", 0.6)) > 0:
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
            self._emit(Event("progress", done=done, total=total))
            if change:
                self._emit(Event("articles", change=change))
                self._want_analysis(change.changed)
        if first:
            self.catalog.replace([])
        self.progress = (done, total, True)
        if len(self.catalog) >= 2000:
            settle_memory()
        if self._loading is None:  # loaded by hand (CLI, tests): start_loading() must not read again
            self._loading = Future()
            self._loading.set_result(None)
        self._emit(Event("progress", done=done, total=total, finished=True))

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
                    self._emit(Event("notice", text=f"Could not load the inbox: {exc}", severity="error"))
                    self.progress = (self.progress[0], self.progress[1], True)
                    self._emit(Event("progress", done=self.progress[0], total=self.progress[1], finished=True))
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
            self._emit(Event("articles", change=change))
            self._want_analysis(change.changed)
        return change.changed

    def fetch_feeds(self, progress=None):
        """Fetch the configured feeds once (a worker thread); returns the IngestResult (not merged)."""
        from triage.sources.feeds import fetch_feeds

        f = self.settings.section("fetch")
        return fetch_feeds(self.settings.feeds, self.settings.data_dir / "spool",
                           timeout=float(f["timeout_seconds"]), max_bytes=int(f["max_bytes"]),
                           user_agent=str(f["user_agent"]), fetch_full_article=bool(f["fetch_full_article"]),
                           progress=progress)

    def refresh_feeds(self) -> list[str]:
        """Fetch the feeds and merge what they hold (a worker thread); returns new or changed ids."""
        def progress(done: int, total: int, name: str = "") -> None:
            self._emit(Event("notice", text=f"fetching feeds {done}/{total}" if done < total else "",
                             severity="status"))

        result = self.fetch_feeds(progress=progress)
        return self.merge_articles(result.articles, result.problems)

    def watch_options(self) -> dict:
        """Options for triage.sources.watch.watch_paths matching how the inbox was loaded."""
        return {**self._load_options(), "debounce_ms": int(self.settings.get("watch.debounce_ms", 300))}

    def _ingest_cache(self, use):
        """Run `use(cache)` on a short-lived connection to the ingest cache (any thread); None on failure."""
        from triage.sources.cache import IngestCache

        cache = IngestCache(self.settings.data_dir / "ingest-cache.sqlite")
        try:
            return use(cache)
        except Exception:
            log.exception("ingest cache use failed")
            return None
        finally:
            cache.close()

    def _keep_aliases(self) -> None:
        links = self.catalog.take_aliases()
        if links:
            self._ingest_cache(lambda c: c.add_aliases(links))

    # -- versions of a story ---------------------------------------------------------------------
    def update_of(self, story_id: str, since: str = "") -> tuple[Update, str] | None:
        """What the current version of an updated story added since the version with content hash
        `since` (default: the one the user last saw or decided, else the version before the current
        one), and when the current version arrived; None when there is nothing to compare.

        Reads the kept versions (SQLite) and compares texts: call from a worker."""
        from triage.changes import compare

        art = self.catalog.article(story_id)
        if art is None or not art.updated:
            return None
        baseline = since or self.baseline_version(story_id)
        key = (story_id, art.content_hash, baseline)
        got = self._updates.get(key)
        if got is not None:
            return got
        ids = self.catalog.aliases_of(story_id)
        versions = self._ingest_cache(lambda c: c.version_list(ids)) or []
        older = [v for v in versions if v[1] != art.content_hash]
        if not older:
            return None
        pick = next((v for v in older if v[1] == baseline), None) or older[-1]
        found = self._ingest_cache(lambda c: c.version(pick[0], pick[1]))
        if found is None:
            return None
        title, text, _received = found
        result = (compare(text, art.text, title, art.title), art.updated_at)
        if len(self._updates) > 2000:
            self._updates.clear()
        self._updates[key] = result
        return result

    def baseline_version(self, story_id: str) -> str:
        """The content hash of the version the user last saw or decided (whichever came later), or ""."""
        seen = self._read_marks.get(story_id)
        event = self.book.event(story_id)
        decided = (getattr(event, "version", "") or "", event.at) if event is not None else ("", "")
        if seen and (not decided[0] or seen[1] >= decided[1]):
            return seen[0]
        return decided[0]

    def mark_read(self, story_id: str) -> None:
        """The user has seen the current version of this story (kept for "new since you last read")."""
        art = self.catalog.article(story_id)
        if art is None or not art.updated:
            return
        from triage.book import _now

        previous = self._read_marks.get(story_id)
        if previous and previous[0] == art.content_hash:
            return
        mark = (art.content_hash, _now())
        self._read_marks[story_id] = mark
        self._unsaved_marks.append((story_id, *mark))  # written by the poll thread, never the caller

    def _save_read_marks(self) -> None:
        marks, self._unsaved_marks = self._unsaved_marks, []
        if marks:
            self._ingest_cache(lambda c: c.add_read_marks(marks))

    @property
    def problems(self) -> list[Problem]:
        """Problems from loading, from the rules, and from the analysis."""
        rule_problems = [Problem("config [rules]", e) for e in self.rules.errors]
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

    def _effective_decision(self, article_id: str) -> Decision | None:
        """The decision the views go by: a story decided in a way `ui.reopen_on_update` names comes back
        to the inbox (None) when an update added news since the version that was decided. Reads kept
        versions for the few updated, decided stories: runs in the listing's worker."""
        event = self.book.event(article_id)
        if event is None or event.decision is None:
            self._reopened.discard(article_id)
            return None
        decision = event.decision
        art = self.catalog.article(article_id)
        if (decision.value not in self._reopen_on or art is None or not art.updated or not event.version
                or event.version == art.content_hash):
            self._reopened.discard(article_id)
            return decision
        key = (article_id, event.version, art.content_hash)
        news = self._news_since.get(key)
        if news is None:
            got = self.update_of(article_id, since=event.version)
            news = self._news_since[key] = bool(got and got[0].news)
        if news:
            self._reopened.add(article_id)
            return None
        self._reopened.discard(article_id)
        return decision

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

    # -- analysis --------------------------------------------------------------------------------
    def cached_analysis(self, article: Article, *, wait: bool = True) -> Analysis | None:
        """The analysis if it is known or in the cache: never loads the model. With wait=False (the
        event loop) it never reads the cache file either: None until a worker has read it."""
        got = self._analyses.get(article.id)
        if got is not None:
            return got
        if not wait and not self._cache_read.is_set():
            return None
        try:
            analyzer = self.analyzer
        except Exception as exc:
            if self.analysis_unavailable is None:
                log.exception("analysis unavailable")
                self.analysis_unavailable = f"analysis unavailable ({type(exc).__name__}: {exc})"
            return None
        got = analyzer.cached(article)
        if got is not None:
            self._analyses[article.id] = got
        return got

    def analyze(self, article: Article) -> Analysis:
        """Analyse one article (may load the spaCy model: call from a worker thread)."""
        got = self.analyzer.analyze(article)
        self._set_analyses([(article.id, got)])
        return got

    def analyze_many(self, articles: Sequence[Article], progress=None) -> Iterable[tuple[str, Analysis]]:
        """Analyse many articles in batches (worker thread); yields (id, Analysis) as they finish."""
        for aid, analysis in self.analyzer.analyze_many(articles, progress=progress):
            self._set_analyses([(aid, analysis)])
            yield aid, analysis

    def _forget_analyses(self, ids: Iterable[str]) -> None:
        """New versions of these articles: their old analyses no longer apply."""
        for aid in ids:
            self._analyses.pop(aid, None)

    def _set_analyses(self, results: list[tuple[str, Analysis]]) -> None:
        for aid, analysis in results:
            self._analyses[aid] = analysis
        if results:
            self.catalog.analysed([aid for aid, _ in results])

    def start_analysis(self) -> AnalysisPool:
        """Start background analysis (worker processes, `analysis.processes`; 0: a thread here)."""
        if self.pool is None:
            from triage.analysis.pool import AnalysisPool

            n = min(int(self.settings.get("analysis.processes", 2)), os.cpu_count() or 1)

            def done(ok: list[tuple[str, Analysis]], bad: list[tuple[str, str]]) -> None:
                self._set_analyses(ok)
                if bad:
                    problems = [Problem(self._title_of(aid), f"could not be summarised ({why})") for aid, why in bad]
                    self.catalog.add([], problems)
                self._emit(Event("analysed", ids=[aid for aid, _ in ok], failures=bad,
                                 done=self.pool.queue.done if self.pool else 0,
                                 total=self.pool.queue.total if self.pool else 0))

            def fatal(why: str) -> None:
                self.analysis_unavailable = why
                self._emit(Event("analysis-stopped", text=why))

            self.pool = AnalysisPool(self.analyzer, article_of=self.catalog.article, on_done=done,
                                     processes=n, on_fatal=fatal)
            self.pool.start()
            # What is already loaded: queued from a thread (reading the analysis cache walks the inbox).
            self._spawn(lambda: self._want_analysis(self.catalog.leaders()), "triage-analysis-queue")
        return self.pool

    def _title_of(self, article_id: str) -> str:
        art = self.catalog.article(article_id)
        return f"{art.title[:80]} ({art.path or article_id})" if art else article_id

    def _want_analysis(self, ids: Iterable[str]) -> None:
        """Queue the rows among `ids` that have no analysis yet (near-duplicates: their leader only)."""
        if self.pool is None:
            return
        analyzer = self.analyzer
        todo = []
        for aid in ids:
            if self.catalog.leader_of(aid) != aid or aid in self._analyses:
                continue
            art = self.catalog.article(aid)
            if art is not None and not analyzer.is_cached(art):
                todo.append(aid)
        self.pool.queue.add(todo)

    def prioritise(self, article_ids: Sequence[str]) -> None:
        """Analyse these first (the story on screen and its neighbours)."""
        if self.pool is not None:
            self.pool.queue.add(a for a in article_ids if a not in self._analyses)
            self.pool.queue.prioritise(article_ids)

    # -- decisions -------------------------------------------------------------------------------
    def refresh_decisions(self) -> bool:
        """Retry refused writes and reload decisions other processes wrote; True when anything changed."""
        changed, _ = self.book.poll()
        return changed

    def decision(self, article_id: str) -> Decision | None:
        """The current decision of one article."""
        return self.book.decision(article_id)

    def current_event(self, article_id: str) -> DecisionEvent | None:
        """The latest decision event of one article (None when never decided)."""
        return self.book.event(article_id)

    def note(self, article_id: str) -> str:
        """The current note of one article."""
        return self.book.note(article_id)

    def _expand(self, article_ids: Iterable[str]) -> list[str]:
        out: dict[str, None] = {}
        for aid in article_ids:
            for member in self.group(aid):
                out[member] = None
        return list(out)

    def _targets(self, ids: list[str]) -> list[Article | str]:
        return [self.catalog.article(i) or i for i in ids]

    def decide_soon(self, article_ids: Sequence[str], decision: Decision | None,
                    note: str | None = None) -> Action:
        """Decide for articles and their duplicate groups: shown at once, written by the writer thread."""
        ids = self._expand(article_ids)
        return self.book.decide(self._targets(ids), decision, note)

    def note_soon(self, article_id: str, note: str) -> Action:
        """Set the note on an article (and its group), keeping its decision."""
        return self.book.set_note(self._expand([article_id]), note)

    def undo_soon(self, action: Action | Sequence[str]) -> Action:
        """Undo an Action of this session (its articles go back to their state before it), or return
        articles (and their groups) to their previous state."""
        if isinstance(action, Action):
            return self.book.undo(action.ids, action.before)
        return self.book.undo(self._expand(action))

    def undo_last(self) -> Action | None:
        """Undo this session's latest action (a decision, a note or a batch, from any screen) and
        nothing else: never another process's event. None when this session has nothing to undo.
        An undo that fails outright keeps its entry (it can be tried again)."""
        if not self.actions:
            return None
        action = self.actions.pop()
        undo = self.book.undo_action(action)

        def keep_if_lost(fut: Future[Saved]) -> None:
            if fut.result().lost:
                self.actions.append(action)

        undo.future.add_done_callback(keep_if_lost)
        return undo

    @property
    def replayed(self) -> str:
        """What opening the decisions file replayed from an earlier session's rescue file ("" if nothing)."""
        report = getattr(self._store, "replayed", None) if self._store is not None else None
        return report.message if report is not None and report.count else ""

    def unsaved(self) -> tuple[int, str]:
        """(decisions not durable yet, why): held by the store after a refused write, or still queued."""
        held = self._store.pending if self._store is not None else 0
        queued = len(self.book.unwritten_events())
        return held + queued, self.store_error or ("still being written" if queued else "")

    def rescue_now(self, timeout: float = 1.0):
        """Write every decision that is not durable to the rescue file beside the decisions file, at once
        (signal handlers, "quit anyway"); returns the RescueResult, or None when nothing needed it."""
        if self._store is None:
            return None
        extra = self.book.unwritten_events()
        if not (self._store.pending or extra):
            return None
        try:
            result = self._store.rescue(extra=extra, timeout=timeout)
        except Exception:
            log.exception("rescue failed")
            return None
        if result is not None:
            self.rescued = result
        return result

    def events_of(self, action: Action) -> list[DecisionEvent]:
        """The current events of an action's articles (what the screens show right after it)."""
        return [ev for ev in (self.book.event(aid) for aid in action.ids) if ev is not None]

    def decide(self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None) -> list[DecisionEvent]:
        """Record a decision for articles (and their duplicate groups); durable (or held as not saved)
        when it returns."""
        return self.decide_soon(article_ids, decision, note).future.result().events

    def set_note(self, article_id: str, note: str) -> list[DecisionEvent]:
        """Set the note on an article (and its group) keeping its decision; waits for the write."""
        return self.note_soon(article_id, note).future.result().events

    def undo(self, article_ids: Sequence[str]) -> list[DecisionEvent]:
        """Return articles (and their groups) to their previous state; waits for the write."""
        return self.undo_soon(article_ids).future.result().events

    @staticmethod
    def parse_when(text: str, *, end: bool = False):
        """A date the user typed ("today", "7d", "2024-05-01") as a datetime; ValueError with a reason."""
        from triage.store import parse_when

        return parse_when(text, end=end)

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        return self.store.history(article_id)

    @property
    def pending(self) -> int:
        """Decisions not durable yet: held in memory because the disk refused them, or still queued."""
        return (self._store.pending if self._store is not None else 0)

    def save_message(self, what: str) -> tuple[str, str]:
        """(message, severity) after a decision: "saved" only when it is on disk."""
        if self.pending:
            reason = self.store_error or "the decisions file cannot be written"
            return (f"NOT saved yet ({what}): {reason}. It is kept in memory and retried.", "error")
        return (f"Saved: {what}.", "information")

    @property
    def store_error(self) -> str:
        """Why the last write failed (empty when the file is being written fine)."""
        if self._store is None or not self._store.pending:
            return ""
        return str(self._store.last_error or "")

    # -- the live side ---------------------------------------------------------------------------
    def start(self, listener: Callable[[Event], None] | None = None, *, analyze: bool = True,
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
            self._emit(Event("notice", text=f"Decisions file: {exc}", severity="error"))
        if self.replayed:
            self._emit(Event("notice", text=self.replayed, severity="warning"))
        self._emit(Event("decisions"))

    def _read_analysis_cache(self) -> None:
        try:
            self.analyzer.is_cached(Article(id="", title="", text=""))  # reads the cache file once
        except Exception:
            log.exception("reading the analysis cache failed")
        self._cache_read.set()
        self._emit(Event("analysed", ids=[], done=0, total=0))

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
            self._emit(Event("notice", text=f"Live inbox updates stopped: {exc}", severity="warning"))

    def _feeds_loop(self) -> None:
        minutes = float(self.settings.get("fetch.refresh_minutes", 15))
        while not self._stop.is_set():
            try:
                self.refresh_feeds()
            except Exception as exc:
                log.exception("feed refresh failed")
                self._emit(Event("notice", text=f"Feed refresh failed: {exc}", severity="error"))
            self._emit(Event("notice", text="", severity="status"))
            if minutes <= 0 or self._stop.wait(minutes * 60):
                return

    def _index_loop(self) -> None:
        while not self._stop.is_set():
            try:
                n = self.catalog.index_some(500)
            except Exception:
                log.exception("search indexing failed")
                n = 0
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
                self._emit(Event("decisions", saved_now=saved_now))

    def stop(self) -> None:
        """Stop the background threads and worker processes (the queued writes still finish)."""
        self._stop.set()
        if self.pool is not None:
            self.pool.stop()

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


def settle_memory() -> None:
    """After loading a batch: the stories and caches live as long as the app, so take what exists now
    out of the cyclic garbage collector's full passes (gc.freeze, O(1); no gc.collect, which would
    itself hold the interpreter for half a second). Those passes walk every object, and with a desk's
    inbox in memory each one froze the screen for 50-190 ms, several times a minute; now ~10 ms."""
    import gc

    gc.freeze()


def background_priority() -> None:
    """Lower this thread's CPU priority (Linux: threads have their own nice value), so reading,
    indexing and polling never take the CPU from the thread that draws the screen."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
    except (AttributeError, OSError):
        pass


def _feed_tags(settings: Settings) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Feed name -> its tags, and spool file name -> its tags (from the feeds configuration), for the
    source filter (a feed without a name of its own is known by its spool file)."""
    names: dict[str, tuple[str, ...]] = {}
    files: dict[str, tuple[str, ...]] = {}
    if not settings.feeds:
        return names, files
    from triage.sources.feeds import spool_slug
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
