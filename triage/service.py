"""TriageService: what the UI and CLI call. Pure Python: it wires sources, analysis and the store."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from triage.model import Analysis, Article, Decision, DecisionEvent, Problem
from triage.rules import RuleSet, compile_rules
from triage.store.errors import PendingWriteError

if TYPE_CHECKING:  # imported lazily at run time: keeps `triage --help` and the store CLI light
    from triage.analysis import Analyzer
    from triage.config import Settings
    from triage.store import DecisionStore

__all__ = ["SORTS", "VIEWS", "Row", "TriageService", "View"]

log = logging.getLogger(__name__)

VIEWS = ("inbox", "follow-up", "flagged", "archived", "all")
SORTS = ("newest", "source", "priority")
_VIEW_DECISION = {"follow-up": Decision.FOLLOW_UP, "flagged": Decision.FLAG, "archived": Decision.ARCHIVE}


@dataclass(frozen=True)
class View:
    """What the list shows: which decisions, which search, which entity, in which order."""

    name: str = "inbox"
    sort: str = "newest"
    search: str = ""
    entity: str = ""


@dataclass(frozen=True)
class Row:
    """One list row: an article (the leader of its duplicate group) and what the list marks on it."""

    article: Article
    decision: Decision | None
    sources: int = 1  # members in its near-duplicate group
    watched: tuple[str, ...] = ()
    muted: bool = False


@dataclass
class _State:
    articles: dict[str, Article] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)  # leader id -> member ids (leader first)
    problems: list[Problem] = field(default_factory=list)


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
        self._state = _State()
        self._current: dict[str, DecisionEvent] = {}
        self._analyses: dict[str, Analysis] = {}
        self.rules: RuleSet = compile_rules(settings.get("rules.watch", []), settings.get("rules.mute", []))
        self._watched: dict[str, tuple[str, ...]] = {}
        self._muted: set[str] = set()
        self._search_text: dict[str, str] = {}
        self.analysis_unavailable: str | None = None
        self._loaded_decisions = False
        self._loading: Future[None] | None = None
        self._signatures: dict[str, frozenset[int]] = {}  # shingle cache for regrouping live changes

    # -- parts -----------------------------------------------------------------------------------
    @property
    def store(self) -> DecisionStore:
        """The decision store, opened on first use."""
        if self._store is None:
            from triage.store import DecisionStore

            self._store = DecisionStore(
                self.db_path,
                group_share=bool(self.settings.get("store.group_share", False)),
                compact_every=int(self.settings.get("store.compact_every", 1000)),
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

    # -- articles --------------------------------------------------------------------------------
    def start_loading(self) -> Future[None]:
        """Begin load() in a background thread (once); the app starts up meanwhile."""
        if self._loading is None:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-load")
            self._loading = executor.submit(self.load)
            executor.shutdown(wait=False)
        return self._loading

    def load(self) -> None:
        """Read every inbox folder and configured feed spool; problems are kept, never raised."""
        from triage.sources import load

        src = self.settings.section("sources")
        paths: list[Path] = list(self.inbox)
        spool = self.settings.data_dir / "spool"
        if self.settings.feeds and spool.is_dir():
            paths.append(spool)
        result = load(
            paths,
            max_file_bytes=int(src["max_file_bytes"]),
            follow_symlinks=bool(src["follow_symlinks"]),
            ignore=tuple(src["ignore"]),
            duplicate_threshold=float(src["duplicate_threshold"]),
            shingle_size=int(src["shingle_size"]),
            cache_path=self.settings.data_dir / "ingest-cache.sqlite",
        )
        self.set_articles(result.articles, result.problems)

    def set_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = ()) -> None:
        """Replace the article set (after a load or a live change), keeping decisions and analyses."""
        st = _State()
        for art in articles:
            if art.id in st.articles:
                continue
            st.articles[art.id] = art
            st.order.append(art.id)
        for aid in st.order:
            art = st.articles[aid]
            leader = art.duplicates_of if art.duplicates_of in st.articles else aid
            st.groups.setdefault(leader, [leader] if leader != aid else [])
            if aid not in st.groups[leader]:
                st.groups[leader].append(aid)
        st.problems = list(problems)
        self._state = st
        self._search_text = {}
        self._recompute_rules(st.order)

    def merge_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = (),
                       removed_paths: Iterable[str] = ()) -> list[str]:
        """Add or update articles (live watch, feed refresh), drop those of removed files, regroup
        near-duplicates; returns the ids that are new or changed."""
        from triage.sources.dedupe import group_duplicates

        changed: list[str] = []
        gone = set(removed_paths)
        merged = {k: v for k, v in self._state.articles.items() if not (gone and v.path in gone)}
        order = [i for i in self._state.order if i in merged]
        for art in articles:
            old = merged.get(art.id)
            if old is None:
                order.append(art.id)
            elif old.content_hash == art.content_hash and old.text == art.text:
                continue
            merged[art.id] = art
            changed.append(art.id)
        known = {str(p) for p in self._state.problems}
        new_problems = self._state.problems + [p for p in problems if str(p) not in known]
        if not changed and not gone and len(new_problems) == len(self._state.problems):
            return []
        src = self.settings.section("sources")
        regrouped, _ = group_duplicates([merged[i] for i in order], float(src["duplicate_threshold"]),
                                        int(src["shingle_size"]), self._signatures)
        self.set_articles(regrouped, new_problems)
        return changed

    def fetch_feeds(self, progress=None):
        """Fetch the configured feeds once (worker thread); returns the IngestResult to merge_articles()
        on the thread that owns the article set (the UI's), so two merges never race."""
        from triage.sources.feeds import fetch_feeds

        f = self.settings.section("fetch")
        result = fetch_feeds(self.settings.feeds, self.settings.data_dir / "spool",
                             timeout=float(f["timeout_seconds"]), max_bytes=int(f["max_bytes"]),
                             user_agent=str(f["user_agent"]), fetch_full_article=bool(f["fetch_full_article"]),
                             progress=progress)
        return result

    def watch_options(self) -> dict:
        """Options for triage.sources.watch.watch_paths matching how the inbox was loaded."""
        src = self.settings.section("sources")
        return {
            "max_file_bytes": int(src["max_file_bytes"]),
            "follow_symlinks": bool(src["follow_symlinks"]),
            "ignore": tuple(src["ignore"]),
            "cache_path": self.settings.data_dir / "ingest-cache.sqlite",
            "debounce_ms": int(self.settings.get("watch.debounce_ms", 300)),
        }

    @property
    def problems(self) -> list[Problem]:
        """Problems from loading, from the rules, and from the store."""
        rule_problems = [Problem("config [rules]", e) for e in self.rules.errors]
        return rule_problems + list(self._state.problems)

    def article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        return self._state.articles.get(article_id)

    @property
    def articles(self) -> list[Article]:
        """Every article, in load order."""
        return [self._state.articles[i] for i in self._state.order]

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group (itself first when it leads)."""
        art = self._state.articles.get(article_id)
        if art is None:
            return [article_id]
        leader = art.duplicates_of if art.duplicates_of in self._state.articles else article_id
        return list(self._state.groups.get(leader, [article_id]))

    # -- analysis --------------------------------------------------------------------------------
    def cached_analysis(self, article: Article) -> Analysis | None:
        """The analysis if it is known or in the cache: never loads the model."""
        got = self._analyses.get(article.id)
        if got is None:
            try:
                analyzer = self.analyzer
            except Exception as exc:
                if self.analysis_unavailable is None:
                    log.exception("analysis unavailable")
                    self.analysis_unavailable = f"analysis unavailable ({type(exc).__name__}: {exc})"
                return None
            got = analyzer.cached(article)
            if got is not None:
                self._set_analysis(article.id, got)
        return got

    def analyze(self, article: Article) -> Analysis:
        """Analyse one article (may load the spaCy model: call from a worker thread)."""
        got = self.analyzer.analyze(article)
        self._set_analysis(article.id, got)
        return got

    def close(self) -> None:
        """Persist what is pending: analyses to their cache, the journal into the decisions file."""
        if self._analyzer is not None:
            try:
                self._analyzer.flush()
            except Exception:
                log.exception("analysis cache flush failed")
        if self._store is not None:
            self._store.close()

    def analyze_many(self, articles: Sequence[Article], progress=None) -> Iterable[tuple[str, Analysis]]:
        """Analyse many articles in batches (worker thread); yields (id, Analysis) as they finish."""
        for aid, analysis in self.analyzer.analyze_many(articles, progress=progress):
            self._set_analysis(aid, analysis)
            yield aid, analysis

    def _set_analysis(self, article_id: str, analysis: Analysis) -> None:
        self._analyses[article_id] = analysis
        self._search_text.pop(article_id, None)
        art = self._state.articles.get(article_id)
        if art is not None and (self.rules.watch or self.rules.mute):
            self._recompute_rules([article_id])

    def _recompute_rules(self, ids: Iterable[str]) -> None:
        for aid in ids:
            art = self._state.articles.get(aid)
            if art is None:
                continue
            analysis = self._analyses.get(aid)
            watched = tuple(self.rules.watched(art, analysis)) if self.rules.watch else ()
            if watched:
                self._watched[aid] = watched
            else:
                self._watched.pop(aid, None)
            if self.rules.mute and self.rules.muted(art, analysis):
                self._muted.add(aid)
            else:
                self._muted.discard(aid)

    # -- decisions -------------------------------------------------------------------------------
    def refresh_decisions(self) -> bool:
        """Reload current decisions (after another process wrote some); True when anything changed."""
        changed = self.store.refresh()
        if changed or not self._loaded_decisions:
            self._current = self.store.current_many()
            self._loaded_decisions = True
        return changed

    def decision(self, article_id: str) -> Decision | None:
        """The current decision of one article."""
        ev = self._current.get(article_id)
        return ev.decision if ev else None

    def current_event(self, article_id: str) -> DecisionEvent | None:
        """The latest decision event of one article (None when never decided)."""
        return self._current.get(article_id)

    def note(self, article_id: str) -> str:
        """The current note of one article."""
        ev = self._current.get(article_id)
        return ev.note if ev else ""

    def _expand(self, article_ids: Iterable[str]) -> list[str]:
        out: list[str] = []
        for aid in article_ids:
            for member in self.group(aid):
                if member not in out:
                    out.append(member)
        return out

    def _targets(self, ids: list[str]) -> list[Article | str]:
        return [self._state.articles.get(i) or i for i in ids]

    def decide(self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None) -> list[DecisionEvent]:
        """Record a decision for articles (and their duplicate groups); durable when it returns."""
        ids = self._expand(article_ids)
        if not ids:
            return []
        keep_note = note if note is not None else ""
        if note is None and len(ids) == 1:
            keep_note = self.note(ids[0])
        try:
            if len(ids) == 1:
                events = [self.store.decide(self._targets(ids)[0], decision, keep_note)]
            else:
                events = self.store.decide_many(self._targets(ids), decision, keep_note)
        except PendingWriteError as exc:  # held in memory and retried: shown, marked as not saved
            events = list(exc.events)
        for ev in events:
            self._current[ev.article_id] = ev
        return events

    def set_note(self, article_id: str, note: str) -> list[DecisionEvent]:
        """Set the note on an article (and its group) keeping its decision."""
        events: list[DecisionEvent] = []
        for aid in self._expand([article_id]):
            try:
                events.append(self.store.set_note(aid, note))
            except PendingWriteError as exc:
                events.extend(exc.events)
        for ev in events:
            self._current[ev.article_id] = ev
        return events

    def undo(self, article_ids: Sequence[str]) -> list[DecisionEvent]:
        """Return articles (and their groups) to their previous state, as new events."""
        try:
            events = self.store.undo(self._expand(article_ids))
        except PendingWriteError as exc:
            events = list(exc.events)
        for ev in events:
            self._current[ev.article_id] = ev
        return events

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        return self.store.history(article_id)

    @property
    def pending(self) -> int:
        """Decisions held in memory because the disk refused them (retried)."""
        return self.store.pending if self._store is not None else 0

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

    def counts(self) -> dict[str, int]:
        """How many list rows each view holds (duplicate groups count once, muted only in all)."""
        counts = {v: 0 for v in VIEWS}
        for leader in self._leaders():
            dec = self.decision(leader)
            counts["all"] += 1
            if leader in self._muted:
                continue
            if dec is None:
                counts["inbox"] += 1
            elif dec is Decision.FOLLOW_UP:
                counts["follow-up"] += 1
            elif dec is Decision.FLAG:
                counts["flagged"] += 1
            elif dec is Decision.ARCHIVE:
                counts["archived"] += 1
        return counts

    # -- views -----------------------------------------------------------------------------------
    def _leaders(self) -> list[str]:
        arts = self._state.articles
        return [i for i in self._state.order if not (arts[i].duplicates_of and arts[i].duplicates_of in arts)]

    def _haystack(self, aid: str) -> str:
        got = self._search_text.get(aid)
        if got is None:
            art = self._state.articles[aid]
            parts = [art.title, art.source, art.text]
            analysis = self._analyses.get(aid)
            if analysis is not None:
                parts += [e.text for group in analysis.entities.values() for e in group]
            got = "\n".join(parts).casefold()
            self._search_text[aid] = got
        return got

    def row(self, article_id: str) -> Row | None:
        """The list row of one article as it is now (its decision changed, say)."""
        art = self._state.articles.get(article_id)
        if art is None:
            return None
        return Row(art, self.decision(article_id), len(self.group(article_id)), self._watched.get(article_id, ()),
                   article_id in self._muted)

    def rows(self, view: View, keep: frozenset[str] | set[str] = frozenset()) -> list[Row]:
        """The list rows for a view: filtered by decision, search and entity, then sorted.

        Articles in `keep` stay in the view whatever their decision (the ones just decided on screen).
        """
        wanted = _VIEW_DECISION.get(view.name)
        terms = view.search.casefold().split()
        entity = view.entity.casefold()
        rows: list[Row] = []
        for aid in self._leaders():
            dec = self.decision(aid)
            muted = aid in self._muted
            if view.name != "all" and aid not in keep:
                if muted:
                    continue
                if view.name == "inbox" and dec is not None:
                    continue
                if wanted is not None and dec is not wanted:
                    continue
            if terms or entity:
                hay = self._haystack(aid)
                if any(t not in hay for t in terms):
                    continue
                if entity and entity not in hay:
                    continue
            rows.append(Row(self._state.articles[aid], dec, len(self.group(aid)), self._watched.get(aid, ()), muted))
        # Newest first everywhere; stable sorts then group by source or by priority.
        rows.sort(key=lambda r: _date_key(r.article), reverse=True)
        if view.sort == "source":
            rows.sort(key=lambda r: r.article.source.casefold())
        elif view.sort == "priority":
            rows.sort(key=lambda r: (len(r.watched), r.sources), reverse=True)
        return rows


def _date_key(article: Article) -> str:
    return article.published or article.received or ""

