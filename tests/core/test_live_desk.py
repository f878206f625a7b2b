"""The live side's desk loop: a burst of wakes (a key held down in the list, each row shown to the desk)
is folded into few polls, each of which writes presence and reads the record and the presence folder."""

from __future__ import annotations

import threading
import time
from typing import Any

from triage.core.live import Live
from triage.desk.desk import DeskPoll


class _CountingDesk:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self.polls = 0

    def poll(self) -> DeskPoll:
        self.polls += 1
        return DeskPoll()


def test_a_burst_of_wakes_is_folded_into_few_desk_polls() -> None:
    desk = _CountingDesk()
    none: Any = None
    live = Live(none, emit=lambda _e: None, inbox=none, decisions=none, analyses=none,
                index_some=lambda _n: 0, save_marks=lambda: None, desk=none)
    live._desk = desk  # type: ignore[assignment]
    live.spawn(live._desk_loop, "test-desk", 30.0)
    try:
        deadline = time.monotonic() + 5
        while desk.polls < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(40):  # 40 rows shown in 0.2 s
            desk.wake.set()
            time.sleep(0.005)
        time.sleep(0.3)
        assert 2 <= desk.polls <= 6  # woken (so polled again), but not once per wake
    finally:
        live._stop.set()
        desk.wake.set()
