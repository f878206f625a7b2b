"""End to end, the installed `triage` in tmux: a full disk, a decision, then the terminal goes away (SIGHUP, an
SSH connection that drops) or the process is told to stop (SIGTERM). The decision is never lost: it is in
the rescue file, and the next command replays it and says so."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from triage.store import DecisionStore

TRIAGE = Path(sys.executable).with_name("triage")

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system"),
]


def _capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-pt", session], capture_output=True, text=True).stdout


def _wait(predicate, what: str, timeout: float = 60.0, screen: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f"; the screen was:\n{_capture(screen)}" if screen else ""))


def _pane_pid(session: str) -> int | None:
    """The pane's process: triage itself (the shell `exec`s it)."""
    out = subprocess.run(["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"],
                         capture_output=True, text=True).stdout.strip()
    return int(out) if out.isdigit() else None


@pytest.mark.parametrize("how", ["sighup", "sigterm"])
def test_a_decision_the_disk_refused_survives_the_terminal_going_away(tmp_path, how):
    db = tmp_path / "decisions.json"
    DecisionStore(db).close()  # the file exists; every journal write now fails with ENOSPC
    Path(f"{db}.journal").symlink_to("/dev/full")
    session = f"triage-rescue-{uuid.uuid4().hex[:8]}"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "TERM": "xterm-256color", "PATH": f"{TRIAGE.parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    cmd = " ".join(f"{k}={v}" for k, v in env.items()) + f" exec {TRIAGE} --db {db} demo"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd], check=True)
    try:
        _wait(lambda: "Inbox 50" in _capture(session), "the list")
        subprocess.run(["tmux", "send-keys", "-t", session, "f"], check=True)
        _wait(lambda: "NOT SAVED" in _capture(session), "NOT SAVED in the top bar", screen=session)
        pid = _wait(lambda: _pane_pid(session), "the triage process")
        assert b"triage" in Path(f"/proc/{pid}/cmdline").read_bytes()
        if how == "sighup":
            subprocess.run(["tmux", "kill-session", "-t", session], check=True)  # the terminal is gone
        else:
            os.kill(pid, signal.SIGTERM)
        _wait(lambda: not Path(f"/proc/{pid}").exists(), "the process to end", timeout=30)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    rescue = Path(f"{db}.rescue")
    assert rescue.exists(), "the decision went to the rescue file beside the decisions file"
    assert stat.S_IMODE(rescue.stat().st_mode) == 0o600
    (line,) = rescue.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["doc"]["decision"] == "follow-up"
    # Space again: the next command replays it, says so, and the rescue file is gone.
    Path(f"{db}.journal").unlink()
    out = subprocess.run([str(TRIAGE), "decisions", "--db", str(db), "--format", "json"], capture_output=True,
                         text=True, env={**os.environ, **env}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Replayed 1 decision" in out.stderr
    assert [row["decision"] for row in json.loads(out.stdout)] == ["follow-up"]
    assert not rescue.exists()
