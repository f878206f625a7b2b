"""The desk (issue 26) as two editors see it: two installed TUIs side by side in one tmux window, each
80 columns wide, on one inbox and one group-shared decisions file; the right-hand one runs as a
colleague (uid 65534 through setpriv). A take in one shows in the other with no key pressed there."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.colleague import AS_NOBODY, NOBODY, needs_root, readable_inbox, shared_folder

from .tmux import HAVE_TMUX, TRIAGE, Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed"),
    needs_root,
]

STORIES = {
    "storm.txt": ("Storm hits the coast", "A storm warning was issued for the coast."),
    "bank.txt": ("Central bank raises rates", "The central bank raised its rate to four percent today."),
    "quake.txt": ("Quake shakes the capital", "An earthquake shook the capital before dawn."),
}


@pytest.fixture
def desk() -> Iterator[Path]:
    """The desk's shared folder (setgid 2770, the group 65534), an inbox both read, a home each, and a
    config saying the store is group-shared."""
    top = shared_folder("triage-desk-e2e-").parent
    readable_inbox(top, STORIES)
    for home, owner in (("mine", os.geteuid()), ("theirs", NOBODY)):
        (top / home).mkdir()
        os.chown(top / home, owner, owner)
    (top / "group.toml").write_text("[store]\ngroup_share = true\npoll_seconds = 0.5\n", encoding="utf-8")
    (top / "group.toml").chmod(0o644)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _pane(session: str, index: int) -> str:
    return subprocess.run(["tmux", "capture-pane", "-pt", f"{session}.{index}"], capture_output=True,
                          text=True).stdout


def _keys(session: str, index: int, *keys: str) -> None:
    for key in keys:
        subprocess.run(["tmux", "send-keys", "-t", f"{session}.{index}", key], check=True)


def _wait(session: str, index: int, predicate, timeout: float = 60.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _pane(session, index)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out; pane {index} showed:\n{screen}")


def test_a_take_in_one_tui_shows_in_the_colleagues_beside_it(desk: Path) -> None:
    db, inbox, cfg = desk / "desk" / "decisions.json", desk / "inbox", desk / "group.toml"
    args = f"--config {cfg} --db {db} {inbox}"
    with Tmux(desk / "mine", args, size=(161, 24)) as term:
        theirs = desk / "theirs"
        env = " ".join(f"{k}={v}" for k, v in {
            "HOME": theirs, "XDG_DATA_HOME": theirs / "data", "XDG_CONFIG_HOME": theirs / "cfg",
            "TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": f"{TRIAGE.parent}:/usr/bin:/bin"}.items())
        colleague = f"cd / && {env} {shlex.join(AS_NOBODY)} {TRIAGE} {args}; sleep 30"
        subprocess.run(["tmux", "split-window", "-h", "-t", term.session, colleague], check=True)
        for pane in (0, 1):
            _wait(term.session, pane, lambda s: all(t[:20] in s for t, _ in STORIES.values()))
        mine = _pane(term.session, 0)
        top_row = next(r for r in mine.splitlines()[1:] if any(t[:20] in r for t, _ in STORIES.values()))
        title = next(t for t, _ in STORIES.values() if t[:20] in top_row)
        _keys(term.session, 0, "h")  # take the story under my cursor, in the left pane
        _wait(term.session, 0, lambda s: any("mine" in r and title[:20] in r for r in s.splitlines()))
        theirs_screen = _wait(term.session, 1, lambda s: any("root has it" in r and title[:20] in r
                                                              for r in s.splitlines()), timeout=20)
        assert "desk: root" in theirs_screen.splitlines()[0]
        _keys(term.session, 0, "h")  # given back: it goes from their row too
        _wait(term.session, 1, lambda s: "has it" not in s, timeout=20)
