"""Summaries as the service keeps them: the analyses known, this editor's cache, the desk's shared
analyses (a file store with `desk.shared_analysis`) in front of the model, and the background pool of
worker processes fed with the story on screen first."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from triage.core.events import Analysed, AnalysisStopped, ServiceEvent
from triage.model import Analysis, Article, Problem

if TYPE_CHECKING:
    from triage.analysis import Analyzer
    from triage.analysis.pool import AnalysisPool
    from triage.analysis.shared import SharedCache
    from triage.catalog.catalog import Catalog
    from triage.config import Settings

__all__ = ["Analyses"]

log = logging.getLogger(__name__)


class Analyses:
    """Cached analyses at once, the others from worker processes; nothing here loads spaCy itself."""

    def __init__(self, settings: Settings, catalog: Catalog, *, emit: Callable[[ServiceEvent], None],
                 spawn: Callable[..., object], analyzer: Analyzer | None = None,
                 known: dict[str, Analysis] | None = None) -> None:
        self._settings = settings
        self._catalog = catalog
        self._emit = emit
        self._spawn = spawn
        self._analyzer = analyzer
        self.known: dict[str, Analysis] = known if known is not None else {}  # shared with the catalog
        self.cache_read = threading.Event()  # the analysis cache file has been read (by a worker)
        self.unavailable: str | None = None
        self.pool: AnalysisPool | None = None

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer (cheap to build; the spaCy model loads on first analysis)."""
        if self._analyzer is None:
            from triage.analysis import Analyzer

            a = self._settings.analysis
            self._analyzer = Analyzer(
                cache_path=self._settings.data_dir / "analysis-cache.sqlite",
                sentences=a.sentences, ratio=a.ratio, min_sentences=a.min_sentences,
                max_sentences=a.max_sentences, model=a.model, batch_size=a.batch_size,
                processes_above=a.processes_above, shared=self._shared(),
            )
        return self._analyzer

    @analyzer.setter
    def analyzer(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer

    def _shared(self) -> SharedCache | None:
        """The desk's shared analyses: a folder beside a decisions file (a PostgreSQL store keeps each
        editor's own cache), group-shared as the file is. Nothing is read or made here."""
        s = self._settings
        if s.db_url or not s.desk.shared_analysis:
            return None
        from triage.analysis.shared import SharedCache
        from triage.store.deskfolder import check_folder
        from triage.store.open import desk_folder

        group = s.store.group_share
        return SharedCache(desk_folder(s.db) / "analysis", group=group,
                           make_folder=lambda folder: check_folder(folder, group, create=True))

    def cached(self, article: Article, *, wait: bool = True) -> Analysis | None:
        """Known or in the cache: never loads the model. With wait=False (the event loop) it never
        reads the cache file either: None until a worker has read it."""
        got = self.known.get(article.id)
        if got is not None:
            return got
        if not wait and not self.cache_read.is_set():
            return None
        try:
            analyzer = self.analyzer
        except Exception as exc:
            if self.unavailable is None:
                log.exception("analysis unavailable")
                self.unavailable = f"analysis unavailable ({type(exc).__name__}: {exc})"
            return None
        got = analyzer.cached(article)
        if got is None and wait:
            got = analyzer.from_shared(article)
        if got is not None:
            self.known[article.id] = got
        return got

    def read_cache(self) -> None:
        """Read the cache file once (a worker), then say that summaries may show."""
        try:
            self.analyzer.is_cached(Article(id="", title="", text=""))
        except Exception:
            log.exception("reading the analysis cache failed")
        self.cache_read.set()
        self._emit(Analysed())

    def analyze(self, article: Article) -> Analysis:
        got = self.analyzer.analyze(article)
        self._set([(article.id, got)])
        return got

    def analyze_many(self, articles: Sequence[Article], progress: Callable[[int, int], None] | None = None
                     ) -> Iterable[tuple[str, Analysis]]:
        for aid, analysis in self.analyzer.analyze_many(articles, progress=progress):
            self._set([(aid, analysis)])
            yield aid, analysis

    def forget(self, ids: Iterable[str]) -> None:
        """New versions of these articles: their old analyses no longer apply."""
        for aid in ids:
            self.known.pop(aid, None)

    def _set(self, results: list[tuple[str, Analysis]]) -> None:
        for aid, analysis in results:
            self.known[aid] = analysis
        if results:
            self._catalog.analysed([aid for aid, _ in results])

    def start(self) -> AnalysisPool:
        """Background analysis in `analysis.processes` worker processes (0: a thread here)."""
        if self.pool is None:
            from triage.analysis.pool import AnalysisPool

            n = min(self._settings.analysis.processes, os.cpu_count() or 1)
            self.pool = AnalysisPool(self.analyzer, article_of=self._catalog.article, on_done=self._done,
                                     processes=n, on_fatal=self._fatal)
            self.pool.start()
            # What is already loaded: queued from a thread (reading the analysis cache walks the inbox).
            self._spawn(lambda: self.want(self._catalog.leaders()), "triage-analysis-queue")
        return self.pool

    def _done(self, ok: list[tuple[str, Analysis]], bad: list[tuple[str, str]]) -> None:
        self._set(ok)
        if bad:
            self._catalog.add([], [Problem(self._title_of(aid), f"could not be summarised ({why})")
                                   for aid, why in bad])
        queue = self.pool.queue if self.pool else None
        self._emit(Analysed(ids=tuple(aid for aid, _ in ok), failures=tuple(bad),
                            done=queue.done if queue else 0, total=queue.total if queue else 0))

    def _fatal(self, why: str) -> None:
        self.unavailable = why
        self._emit(AnalysisStopped(why))

    def _title_of(self, article_id: str) -> str:
        art = self._catalog.article(article_id)
        return f"{art.title[:80]} ({art.path or article_id})" if art else article_id

    def want(self, ids: Iterable[str]) -> None:
        """Queue the rows among `ids` that have no analysis yet (near-duplicates: their leader only);
        those the desk has analysed are read instead (files: a background thread's call)."""
        if self.pool is None:
            return
        analyzer, catalog = self.analyzer, self._catalog
        todo = []
        for aid in ids:
            if catalog.leader_of(aid) != aid or aid in self.known:
                continue
            art = catalog.article(aid)
            if art is not None and not analyzer.is_cached(art):
                todo.append(aid)
        self.pool.add(todo)

    def prioritise(self, article_ids: Sequence[str]) -> None:
        if self.pool is not None:
            self.pool.queue.add(a for a in article_ids if a not in self.known)
            self.pool.queue.prioritise(article_ids)

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()

    def flush(self) -> None:
        """Write analyses still in memory to their cache."""
        if self._analyzer is not None:
            try:
                self._analyzer.flush()
            except Exception:
                log.exception("analysis cache flush failed")
