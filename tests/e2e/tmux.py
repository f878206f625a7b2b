"""The installed `triage` in a tmux terminal, driven as a person types: the e2e tests' one helper."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

TRIAGE = Path(sys.executable).with_name("triage")
HAVE_TMUX = shutil.which("tmux") is not None


def until(predicate, what: str, timeout: float = 60.0):
    """predicate()'s first true value, asked every 0.05 s; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ended(pid: int) -> bool:
    """Gone, or a zombie its parent (tmux) has not reaped yet: either way it has stopped running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


class Tmux:
    """One tmux session running the installed `triage ARGS` in a private HOME; use as a context manager."""

    def __init__(
        self, tmp_path: Path, args: str, *, size: tuple[int, int] = (80, 24), exec_: bool = False
    ) -> None:
        self.session = f"triage-test-{uuid.uuid4().hex[:8]}"
        self.env = {
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "TERM": "xterm-256color",
            "PATH": f"{TRIAGE.parent}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
        }
        prefix = " ".join(f"{k}={v}" for k, v in self.env.items())
        # exec: the pane's process is triage itself (signals reach it); else a shell keeps the pane open
        cmd = f"{prefix} exec {TRIAGE} {args}" if exec_ else f"{prefix} {TRIAGE} {args}; sleep 30"
        new = ["tmux", "new-session", "-d", "-s", self.session, "-x", str(size[0]), "-y", str(size[1]), cmd]
        # A tmux server whose last session just ended exits, and a new session asked of it meanwhile is
        # refused ("server exited unexpectedly"): the next try starts a server of its own.
        for attempt in range(5):
            made = subprocess.run(new, capture_output=True, text=True)
            if made.returncode == 0:
                break
            time.sleep(0.2 * (attempt + 1))
        else:
            raise AssertionError(f"tmux new-session failed: {made.stderr.strip()}")

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def kill(self) -> None:
        """End the session (the terminal goes away: SIGHUP to what runs in it)."""
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)

    def screen(self) -> str:
        """What the terminal shows now."""
        return subprocess.run(
            ["tmux", "capture-pane", "-pt", self.session], capture_output=True, text=True
        ).stdout

    def keys(self, *keys: str) -> None:
        """Type keys (tmux key names: "j", "Escape", "PageDown")."""
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.session, key], check=True)

    def pane_pid(self) -> int | None:
        """The process in the pane."""
        out = subprocess.run(
            ["tmux", "display-message", "-p", "-t", self.session, "#{pane_pid}"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return int(out) if out.isdigit() else None

    def wait(self, predicate, timeout: float = 60.0) -> str:
        """The screen once predicate(screen) holds; fails with the screen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out; the screen was:\n{screen}")
