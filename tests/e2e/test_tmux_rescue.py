"""End to end, the installed `triage` in tmux: a full disk, a decision, then the terminal goes away
(SIGHUP, an
SSH connection that drops) or the process is told to stop (SIGTERM). The decision is never lost: it is in
the rescue file, and the next command replays it and says so."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from triage.store import DecisionStore

from .tmux import HAVE_TMUX, TRIAGE, Tmux, ended, until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed"),
    pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system"),
]



@pytest.mark.parametrize("how", ["sighup", "sigterm"])
def test_a_decision_the_disk_refused_survives_the_terminal_going_away(tmp_path, how):
    db = tmp_path / "decisions.json"
    DecisionStore(db).close()  # every journal write from now on fails with ENOSPC
    Path(f"{db}.journal").symlink_to("/dev/full")
    with Tmux(tmp_path, f"--db {db} demo", exec_=True) as term:
        term.wait(lambda s: "Inbox 50" in s)
        term.keys("f")
        term.wait(lambda s: "NOT SAVED" in s)
        pid = until(term.pane_pid, "the triage process")
        assert b"triage" in Path(f"/proc/{pid}/cmdline").read_bytes()
        if how == "sighup":
            term.kill()  # the terminal is gone
        else:
            os.kill(pid, signal.SIGTERM)
        told = time.monotonic()
        until(lambda: ended(pid), "the process to end", timeout=30)
        assert time.monotonic() - told < 9.5, "it ends by closing, not by the 10 s watchdog"
        env = term.env
    rescue = Path(f"{db}.rescue")
    assert rescue.exists(), "the decision went to the rescue file beside the decisions file"
    assert stat.S_IMODE(rescue.stat().st_mode) == 0o600
    (line,) = rescue.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["doc"]["decision"] == "follow-up"
    # Space again. Reading never writes: `triage decisions` names the waiting file and leaves it; the
    # next command that writes (`triage decide`) replays it, says so, and the rescue file is gone.
    Path(f"{db}.journal").unlink()
    aid = json.loads(line)["doc"]["article_id"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(TRIAGE), *args], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=60)

    out = run("decisions", "--db", str(db), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert "could not save wait in" in out.stderr and rescue.exists()
    out = run("decide", aid, "follow-up", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "Replayed 1 decision" in out.stderr
    assert not rescue.exists()
    out = run("decisions", "--db", str(db), "--format", "json")
    assert [row["decision"] for row in json.loads(out.stdout)] == ["follow-up"]
