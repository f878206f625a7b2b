"""End to end, round two: the installed `triage` in tmux with a hostile Markdown file (300 KB of `[`)
and a big file still being read; SIGTERM and SIGHUP are acted on at once, however busy parsing is
(it runs in helper processes, which end with the app)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from .tmux import HAVE_TMUX, Tmux, ended, until

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]



def _helpers_of(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out



@pytest.mark.parametrize("how", ["sigterm", "sighup"])
def test_a_signal_is_acted_on_while_hostile_and_big_files_are_read(tmp_path, how):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "000-brackets.md").write_text("[" * 300_000)
    line = "Some **bold** words, a [link](https://example.org/x) and `code` in a long paragraph. " * 40
    (inbox / "001-big.md").write_text("# Big\n\n" + "\n\n".join([line] * 12_000))  # seconds to read
    for k in range(5):
        (inbox / f"good-{k:02d}.txt").write_text(f"Good story {k}\n\nThe body of good story {k}.\n")
    config = tmp_path / "cfg" / "triage"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("[sources]\nmax_file_bytes = 100_000_000\nparse_seconds = 120\n")
    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} {inbox}", exec_=True) as term:
        term.wait(lambda s: "Good story" in s, timeout=90)
        pid = until(term.pane_pid, "the triage process")
        busy = until(lambda: _helpers_of(pid), "a parsing helper")  # the big file is being read
        told = time.monotonic()
        if how == "sighup":
            os.kill(pid, signal.SIGHUP)
        else:
            os.kill(pid, signal.SIGTERM)
        until(lambda: ended(pid), "the process to end", timeout=120)
        took = time.monotonic() - told
        print(f"{how}: the process ended {took:.2f} s after the signal")
        assert took < 5, f"ended {took:.1f} s after the signal"
        until(lambda: not any(Path(f"/proc/{h}").exists() for h in busy), "the helpers to end", timeout=10)
