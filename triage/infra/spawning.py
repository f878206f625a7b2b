"""Starting helper processes from inside the TUI.

Under Textual (and under a test harness) sys.stdout and sys.stderr are capture objects whose fileno()
is -1. multiprocessing passes sys.stderr's descriptor to its resource tracker when it starts that
process (on the first spawn of a session), and a -1 there fails the start with "bad value(s) in
fds_to_keep": every helper process after it would fail too. So processes are started with the real
streams in place, under one lock: two threads swapping the streams at once could leave the real ones
in place for good, and a print from any thread would then write over the screen.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

__all__ = ["real_std_streams"]

_SWAP = threading.Lock()


@contextlib.contextmanager
def real_std_streams() -> Iterator[None]:
    """Start processes inside this block: the process's real stdout and stderr are in place (one thread
    at a time), and whatever was there before is put back after."""
    with _SWAP:
        saved = sys.stdout, sys.stderr
        try:
            if sys.__stdout__ is not None:
                sys.stdout = sys.__stdout__
            if sys.__stderr__ is not None:
                sys.stderr = sys.__stderr__
            yield
        finally:
            sys.stdout, sys.stderr = saved
