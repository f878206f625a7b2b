"""The service's analysis side: the cache in front of the model, the background pool and its queue.
A mixin of TriageService."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from triage.model import Analysis, Article, Problem

if TYPE_CHECKING:
    from triage.analysis.pool import AnalysisPool

from triage.core.events import Analysed, AnalysisStopped

__all__ = ["AnalysisSide"]

log = logging.getLogger(__name__)


class AnalysisSide:
    """Summaries for TriageService: cached ones at once, the others from worker processes, the story on screen first."""

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
                self._emit(Analysed(ids=tuple(aid for aid, _ in ok), failures=tuple(bad),
                                 done=self.pool.queue.done if self.pool else 0,
                                 total=self.pool.queue.total if self.pool else 0))

            def fatal(why: str) -> None:
                self.analysis_unavailable = why
                self._emit(AnalysisStopped(why))

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

