"""Starting helper processes from inside the TUI.

Under Textual (and under a test harness) sys.stdout and sys.stderr are capture objects whose fileno()
is -1. multiprocessing passes sys.stderr's descriptor to its resource tracker when it starts that
process (on the first spawn of a session), and a -1 there fails the start with "bad value(s) in
fds_to_keep": every helper process after it would fail too. So the tracker is started (when it is not
running) with the real stderr in place, under one lock, and only for that moment: the process start
itself reads neither stream, and a print from another thread meanwhile must still go to the capture,
not over the screen.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

__all__ = ["real_std_streams", "silence"]

_SWAP = threading.Lock()


@contextlib.contextmanager
def real_std_streams() -> Iterator[None]:
    """Start processes inside this block: multiprocessing's resource tracker is running (started with
    the process's real stderr if it was not), so a start needs no descriptor of sys.stderr."""
    if os.name == "posix" and sys.__stderr__ is not None:
        from multiprocessing import resource_tracker

        with _SWAP:
            saved = sys.stderr
            sys.stderr = sys.__stderr__
            try:
                resource_tracker.ensure_running()
            finally:
                if sys.stderr is sys.__stderr__:  # put back unless someone else changed it meanwhile
                    sys.stderr = saved
    yield


def silence(stderr: bool) -> None:
    """Called first in a helper process: it never writes to stdout (the CLI's JSON lines) nor, under a
    TUI, to the terminal (a print, a warning or a log record from a library it runs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd, stream in ((1, "stdout"), (2, "stderr")) if stderr else ((1, "stdout"),):
        getattr(sys, stream).flush()
        os.dup2(devnull, fd)
        setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process
    os.close(devnull)
