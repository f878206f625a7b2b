"""The analysis pool: its queue (order, priority, progress) and its worker processes."""

from __future__ import annotations

import threading

from triage.analysis.workqueue import AnalysisQueue


def test_order_priority_and_progress():
    q = AnalysisQueue()
    assert q.add(["a", "b", "c", "a"]) == 3
    q.prioritise("c")
    q.prioritise("zzz")  # not queued: ignored
    assert q.take(2) == ["c", "a"]
    for aid in ("c", "a"):
        q.finished(aid)
    assert (q.done, q.total, q.busy) == (2, 3, True)
    assert q.take(5) == ["b"]
    q.finished("b")
    assert not q.busy
    assert q.take(5, timeout=0.01) == []


def test_a_worker_thread_drains_what_the_ui_adds():
    q = AnalysisQueue()
    seen: list[str] = []
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            for aid in q.take(3, timeout=0.05):
                seen.append(aid)
                q.finished(aid)

    t = threading.Thread(target=worker)
    t.start()
    q.add(f"x{i}" for i in range(50))
    q.add(["late"])
    deadline = threading.Event()
    for _ in range(200):
        if not q.busy:
            break
        deadline.wait(0.01)
    stop.set()
    t.join()
    assert sorted(seen) == sorted([f"x{i}" for i in range(50)] + ["late"])
    assert q.done == q.total == 51


# -- the pool: real model, real worker processes --------------------------------------------------
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from triage.analysis import Analyzer  # noqa: E402
from triage.analysis.pool import AnalysisPool  # noqa: E402
from triage.model import Article  # noqa: E402


def _story(i: int) -> Article:
    text = (f"The council of town {i} voted on Monday to rebuild the old bridge. The mayor said work would "
            f"start in spring.\n\nResidents of town {i} had asked for a new bridge for years. Engineers "
            "found cracks in 2019. The new bridge will cost two million euros.")
    return Article(id=f"s{i}", title=f"Town {i} rebuilds its bridge", text=text, content_hash=f"c{i}")


def _run_pool(tmp_path, articles, processes: int, until, kill_after: int | None = None, timeout: float = 120):
    analyzer = Analyzer(cache_path=tmp_path / "cache.sqlite")
    by_id = {a.id: a for a in articles}
    ok: dict[str, object] = {}
    bad: dict[str, str] = {}

    def done(results, failures):
        ok.update(results)
        bad.update(failures)

    pool = AnalysisPool(analyzer, article_of=by_id.get, on_done=done, processes=processes)
    pool.queue.add(list(by_id))
    pool.start()
    killed = None  # the pid of the worker killed
    try:
        deadline = time.monotonic() + timeout
        while not until(ok, bad):
            assert time.monotonic() < deadline, f"pool did not finish: {len(ok)} ok, {len(bad)} failed"
            if kill_after is not None and killed is None and len(ok) >= kill_after:
                killed = pool.worker_pids()[0]
                os.kill(killed, signal.SIGKILL)  # the worker dies in the middle of the queue
            time.sleep(0.05)
    finally:
        pool.stop()
    pool.killed = killed
    return analyzer, ok, bad, pool


@pytest.mark.parametrize("processes", [0, 1])
def test_one_bad_story_fails_alone_and_the_queue_goes_on(tmp_path, processes):
    good = [_story(i) for i in range(6)]
    broken = Article(id="broken", title="Broken", text=None, content_hash="zz")  # type: ignore[arg-type]
    arts = [good[0], broken, *good[1:]]
    analyzer, ok, bad, pool = _run_pool(tmp_path, arts, processes, lambda ok, bad: len(ok) + len(bad) == 7)
    assert set(ok) == {a.id for a in good}
    assert set(bad) == {"broken"} and "TypeError" in bad["broken"]
    assert all(r.summary for r in ok.values())
    assert pool.queue.done == 7 and not pool.queue.busy
    assert all(analyzer.is_cached(a) for a in good)  # written to the cache as they came


def test_a_worker_process_that_dies_is_replaced_and_nothing_is_lost(tmp_path):
    arts = [_story(i) for i in range(24)]
    _, ok, bad, pool = _run_pool(tmp_path, arts, 1, lambda ok, bad: len(ok) + len(bad) == 24, kill_after=4)
    assert len(ok) + len(bad) == 24
    assert len(ok) >= 20, bad  # at most the batch in flight is reported as failed, and only if it fails again
    assert pool.error == ""
    assert pool.killed is not None  # the kill did happen mid-queue, and the queue still finished
