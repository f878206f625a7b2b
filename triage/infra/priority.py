"""CPU priority: background work yields the CPU to the thread that draws the screen.

One scale for the whole app: the screen at 0, reading/indexing/polling threads at READING, analysis
worker processes at ANALYSIS (the list comes first, then summaries).
"""

from __future__ import annotations

import os
import threading

__all__ = ["ANALYSIS", "READING", "lower_priority"]

READING = 5
ANALYSIS = 15


def lower_priority(niceness: int, *, whole_process: bool = False) -> None:
    """Lower the calling thread's CPU priority to `niceness` (Linux threads have their own nice
    value), or the whole process's with `whole_process`. Never raises: a platform without it just
    runs at the normal priority."""
    try:
        if whole_process:
            os.setpriority(os.PRIO_PROCESS, 0, max(niceness, os.getpriority(os.PRIO_PROCESS, 0)))
        else:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass
