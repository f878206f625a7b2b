"""Starting a helper process leaves the screen's capture of stdout/stderr in place for other threads."""

from __future__ import annotations

import multiprocessing
import sys
import threading

from triage.infra.spawning import real_std_streams


class _Capture:
    """What Textual puts in sys.stdout/sys.stderr: text goes to the app, fileno() is -1."""

    def __init__(self) -> None:
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.text.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def test_a_print_from_another_thread_while_a_process_starts_goes_to_the_capture(monkeypatch):
    """The streams were swapped for the real ones for the whole start: a print (or a warning) from
    any other thread in that moment was written straight over the TUI's screen."""
    out, err = _Capture(), _Capture()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=sys.exit, args=(0,), daemon=True)
    with real_std_streams():
        talker = threading.Thread(target=lambda: (print("from another thread"),
                                                  print("and to stderr", file=sys.stderr)))
        talker.start()
        talker.join()
        proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    assert "".join(out.text) == "from another thread\n"
    assert "".join(err.text) == "and to stderr\n"
    assert sys.stdout is out and sys.stderr is err
