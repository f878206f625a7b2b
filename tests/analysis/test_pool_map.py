"""The worker pool's batch side (WorkerPool.map): results in order, a story that fails fails alone, a
worker process killed mid-job is replaced and nothing is lost. Real model, real processes."""

from __future__ import annotations

import os
import signal

from triage.analysis import Analyzer
from triage.analysis.batching import BatchLimit, batches, isolated
from triage.analysis.workers import WorkerPool
from triage.model import Article

from .conftest import demo_article


def _stories(n: int) -> list[tuple[Article, int | None]]:
    return [(Article(id=f"m{i}", title=f"Story {i}", text=demo_article(1 + i % 5).text), None)
            for i in range(n)]


def test_the_batch_rule_bounds_documents_and_characters():
    sizes = [10, 10, 10, 50, 200, 5]
    items = [(Article(id=str(i), title="", text="x" * n), None) for i, n in enumerate(sizes)]
    got = [[a.id for a, _ in chunk] for chunk in batches(items, BatchLimit(docs=2, chars=60))]
    assert got == [["0", "1"], ["2", "3"], ["4"], ["5"]]  # a story longer than the limit goes alone


def test_a_story_that_raises_fails_alone(pipe):
    an = Analyzer(cache_path=None)
    broken = Article(id="broken", title="Broken", text=None)  # type: ignore[arg-type]
    items = [_stories(1)[0], (broken, None), _stories(2)[1]]
    out = isolated(an.analyze_chunk, items)
    assert [aid for aid, _, _ in out] == ["m0", "broken", "m1"]
    assert out[0][1] is not None and out[2][1] is not None
    assert out[1][1] is None and out[1][2].startswith("TypeError")


def test_map_keeps_order_when_a_worker_is_killed_mid_job(pipe):
    an = Analyzer(cache_path=None, sentences=2)
    items = _stories(12)
    pool = WorkerPool(an.engine, processes=1)  # one worker process, nothing in this process
    seen: dict[str, object] = {}
    killed = None
    try:
        for outcomes in pool.map(list(batches(items, BatchLimit(docs=2, chars=100_000)))):
            seen.update((aid, analysis) for aid, analysis, why in outcomes if analysis is not None)
            if killed is None:
                killed = pool.pids()[0]
                os.kill(killed, signal.SIGKILL)
        assert pool.pids() and pool.pids() != [killed]  # a fresh process took over
    finally:
        pool.close()
    assert list(seen) == [a.id for a, _ in items]  # in order, none lost
    assert seen["m5"] == an.analyze(items[5][0])  # the worker's result is this process's
