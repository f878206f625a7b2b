"""End to end: the installed `triage demo` in a real terminal (tmux), keys sent as a person types them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tinydb import TinyDB

TRIAGE = Path(sys.executable).with_name("triage")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-pt", session], capture_output=True, text=True).stdout


def _wait(session: str, predicate, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out; the screen was:\n{screen}")


def test_installed_demo_in_tmux_records_a_decision(tmp_path):
    assert TRIAGE.exists(), "the triage console script is installed beside the interpreter"
    db = tmp_path / "decisions.json"
    session = f"triage-e2e-{uuid.uuid4().hex[:8]}"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "TERM": "xterm-256color", "PATH": f"{TRIAGE.parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    cmd = " ".join(f"{k}={v}" for k, v in env.items()) + f" {TRIAGE} --db {db} demo; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd], check=True)
    try:
        started = time.monotonic()
        _wait(session, lambda s: "Inbox 50" in s)
        first_paint = time.monotonic() - started
        assert first_paint < 30
        subprocess.run(["tmux", "send-keys", "-t", session, "j"], check=True)
        time.sleep(0.3)
        subprocess.run(["tmux", "send-keys", "-t", session, "f"], check=True)
        # "Follow-up 1", or "Follow 1" while progress needs the room (the top bar fits itself to 80 columns).
        _wait(session, lambda s: "Inbox 49" in s and ("Follow-up 1" in s or "Follow 1" in s))
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        _wait(session, lambda s: "Demo decisions:" in s, timeout=20)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    with TinyDB(db) as tdb:
        events = tdb.table("events").all()
    assert [e["decision"] for e in events] == ["follow-up"]
    assert events[0]["title"]
