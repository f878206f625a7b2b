"""Analyzer: spans into the text, cache on disk (reused, corrupt-tolerant, shared), batches in order."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys

from triage.analysis import Analyzer
from triage.model import Article

from .conftest import demo_article


def _articles(n: int) -> list[Article]:
    return [demo_article(i) for i in range(1, n + 1)]


def test_analysis_spans_point_into_the_text(pipe, tmp_path):
    an = Analyzer(cache_path=tmp_path / "c.sqlite", sentences=3)
    a = demo_article(3)
    result = an.analyze(a)
    assert len(result.summary) == 3 == len(result.spans)
    assert [a.text[s:e] for s, e in result.spans] == list(result.summary)
    assert result.model == an.model_description == f"{pipe.name} {pipe.version}"
    assert result.entities_available is True and an.entities_available is True
    assert result.reading_minutes > 0 and result.key_terms


def test_ratio_bounds_the_length(pipe):
    an = Analyzer(cache_path=None, ratio=0.5, min_sentences=2, max_sentences=3)
    assert len(an.analyze(demo_article(5)).summary) == 3


def test_second_start_reads_every_summary_from_the_cache_without_the_model(pipe, tmp_path):
    path = tmp_path / "cache.sqlite"
    arts = _articles(4)
    an = Analyzer(cache_path=path)
    assert an.cached(arts[0]) is None
    first = dict(an.analyze_many(arts))
    an.flush()
    again = Analyzer(cache_path=path)
    hits = [again.cached(a) for a in arts]
    assert hits == [first[a.id] for a in arts]
    assert again.entities_available is None  # nothing was loaded
    changed = Article(id=arts[0].id, title=arts[0].title,
                      text=arts[0].text + "\n\nA new paragraph was added.")
    assert again.cached(changed) is None  # a new version is not served from the cache
    assert Analyzer(cache_path=path, sentences=2).cached(arts[0]) is None  # other settings, other key


def test_corrupt_cache_is_discarded_with_a_warning(pipe, tmp_path, caplog):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    an = Analyzer(cache_path=path)
    a = demo_article(2)
    with caplog.at_level(logging.WARNING):
        assert an.cached(a) is None
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    an.analyze(a)
    an.flush()
    assert Analyzer(cache_path=path).cached(a) is not None
    assert list(tmp_path.glob("cache.sqlite.corrupt-*"))


def test_two_processes_write_one_cache(pipe, tmp_path):
    path = tmp_path / "shared.sqlite"
    code = (
        "import sys; from pathlib import Path; from triage.analysis import Analyzer\n"
        "from tests.analysis.conftest import demo_article\n"
        "an = Analyzer(cache_path=Path(sys.argv[1]))\n"
        "for i in map(int, sys.argv[2:]): an.analyze(demo_article(i)); an.flush()\n"
    )
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), *nums], cwd=root)
             for nums in (["1", "2"], ["3", "4"])]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM analyses").fetchone()[0] == 4
    con.close()
    an = Analyzer(cache_path=path)
    assert all(an.cached(a) is not None for a in _articles(4))


def test_analyze_many_keeps_order_reports_progress_and_handles_duplicates(pipe):
    arts = _articles(3)
    arts = arts + [arts[0]]
    seen = []
    an = Analyzer(cache_path=None)
    out = list(an.analyze_many(arts, progress=lambda d, t: seen.append((d, t))))
    assert [i for i, _ in out] == [a.id for a in arts]
    assert out[0][1] == out[3][1]
    assert seen[-1] == (4, 4)


def test_large_batches_use_worker_processes_with_the_same_result(pipe):
    arts = _articles(6)
    single = dict(Analyzer(cache_path=None, processes_above=0).analyze_many(arts))
    multi = dict(Analyzer(cache_path=None, processes_above=2, batch_size=2).analyze_many(arts))
    assert multi == single


def test_ten_thousand_articles_come_from_the_cache_without_the_model(pipe, tmp_path):
    path = tmp_path / "big.sqlite"
    an = Analyzer(cache_path=path)
    base = demo_article(1)
    result = an.analyze(base)
    arts = [Article(id=f"a{i}", title=f"{base.title} {i}", text=base.text) for i in range(10_000)]
    for a in arts:
        an._cache.put(an.cache_key(a), result)
    an.flush()
    again = Analyzer(cache_path=path)
    hits = [again.cached(a) for a in arts]
    assert all(h == result for h in hits)
    assert again.entities_available is None  # no model was loaded to answer
    assert len({again.cache_key(a) for a in arts}) == len(arts)


def test_worker_processes_are_spawned_from_a_threaded_caller(pipe):
    import threading

    arts = _articles(4)
    out: dict = {}

    def work() -> None:
        out.update(Analyzer(cache_path=None, processes_above=1, batch_size=1).analyze_many(arts))

    t = threading.Thread(target=work)
    t.start()
    t.join(timeout=120)
    single = dict(Analyzer(cache_path=None, processes_above=0).analyze_many(arts))
    assert out == single


def test_blank_pipeline_still_summarises_and_says_entities_are_unavailable(tmp_path):
    an = Analyzer(cache_path=tmp_path / "c.sqlite", model="blank:en", sentences=2)
    a = demo_article(4)
    result = an.analyze(a)
    assert len(result.summary) == 2 and all(s in a.text for s in result.summary)
    assert result.entities == {} and result.entities_available is False
    assert an.entities_available is False and result.model == "blank:en"
