"""The review screen over 100,000 decisions in a real file: how long opening, filtering and sorting
take, and how long the event loop is held (wall-clock: marked slow, kept out of the unit tests)."""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from triage.config import load_settings
from triage.core.service import TriageService
from triage.model import Article, Decision
from triage.tui.screens.review import ReviewScreen
from triage.tui.screens.review_filter import MAX_ROWS

from ..tui.test_review import ReviewApp, _ready


@pytest.fixture
def big_svc(tmp_path: Path) -> TriageService:
    """A service over a real decision file holding 100,000 articles' decisions (4 batch writes)."""
    settings = load_settings(db=tmp_path / "big.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "big.json")
    words = ("budget", "storm", "election", "harbour")
    for k, decision in enumerate((Decision.FOLLOW_UP, Decision.ARCHIVE, Decision.FLAG, None)):
        ids = [f"id{i:06d}" for i in range(k * 25_000, (k + 1) * 25_000)]
        arts = [
            Article(id=i, title=f"Story {i} about {words[k]}", text="", source=("Wire", "Daily")[n % 2])
            for n, i in enumerate(ids)
        ]
        service.decisions.store.decide_many(arts, decision, note="")
    assert len(service.decisions.store) == 100_000
    return service


class _Clock:
    """Wall and CPU time of one step: CPU time is what the step costs; wall time also holds the waits
    for the other test runs that share this machine's two cores."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


class _Stalls:
    """The longest the event loop went without running a 5 ms ticker: what a keypress would wait."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            last = now

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst

    def stop(self) -> None:
        self._task.cancel()


async def _settle(pilot, screen: ReviewScreen) -> None:
    for _ in range(2000):
        await pilot.pause(0.005)
        if screen.settled:
            return
    raise AssertionError("the review rows were not worked out")


@pytest.mark.slow
async def test_100k_articles_open_and_filter_within_a_second(big_svc):
    """100,000 current decisions in a real file: the table opens (capped) and filters in <= 1 s, and
    the event loop is never held for long (matching and sorting run in a worker thread)."""
    steps: dict[str, tuple[float, float, float]] = {}
    async with ReviewApp(big_svc).run_test(size=(80, 24)) as pilot:
        stalls = _Stalls()
        clock = _Clock()
        screen = await _ready(pilot)
        steps["open (store read + rows in threads, table)"] = (*clock.stop(), stalls.take())
        assert screen.query_one("#rv-table", DataTable).row_count == MAX_ROWS
        assert f"showing first {MAX_ROWS:,}" in str(screen.query_one("#rv-status").render())

        async def step(name: str, *keys: str) -> None:
            gc.collect()
            stalls.take()
            clock = _Clock()
            await pilot.press(*keys)
            await _settle(pilot, screen)
            steps[name] = (*clock.stop(), stalls.take())

        await pilot.press("slash", *"storm")
        await step("text filter", "enter")
        assert screen.filter.text == "storm" and len(screen._matched) == 25_000
        await step("decision filter", "d")  # follow-up: none of the storm stories
        assert screen._matched == []
        await pilot.press("0")  # every row again
        await _settle(pilot, screen)
        await step("sort", "s")  # 100k rows sorted by decision
        assert screen.sort_column == "decision" and len(screen._matched) == 100_000
        stalls.stop()
    print("\n100k events:", "; ".join(f"{k} {w:.2f}s wall / {c:.2f}s cpu, loop held {s:.2f}s at most"
                                      for k, (w, c, s) in steps.items()))
    for name, (wall, cpu, stall) in steps.items():
        # Timed tests are noisy on shared CI cores: the <= 1 s figures are measured and printed here
        # and in README; this only catches a step that got several times slower (a pathology).
        assert cpu <= 5.0, name
        assert wall <= 10.0, name
        # The loop is held while the table takes its (at most 1,000) rows: 0.5-1.1 s measured here on 2
        # shared cores; a step holding it several seconds means matching or sorting came back onto it.
        if name != "open (store read + rows in threads, table)":  # opening also builds the screen
            assert stall <= 3.0, name


