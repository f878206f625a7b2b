"""AnalysisQueue: order, priority, progress, and a worker thread draining it."""

from __future__ import annotations

import threading

from triage.tui.work_queue import AnalysisQueue


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
