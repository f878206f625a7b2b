"""A colleague on this host for tests: another real uid (65534, whose group is the desk's) reached
through setpriv, the folder the desk's group shares, and an inbox both may read."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

__all__ = ["AS_NOBODY", "CAN_ACT_AS_ANOTHER", "NOBODY", "as_user", "needs_root", "readable_inbox",
           "shared_folder"]

NOBODY = 65534  # the second member of the desk (its group, gid 65534, is the desk's)
CAN_ACT_AS_ANOTHER = os.geteuid() == 0 and shutil.which("setpriv") is not None
needs_root = pytest.mark.skipif(not CAN_ACT_AS_ANOTHER,
                                reason="needs root and setpriv to act as another user")


def as_user(uid: int) -> list[str]:
    """The command prefix that runs what follows as `uid` (and its own gid, no other groups)."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


AS_NOBODY = as_user(NOBODY)


def shared_folder(prefix: str = "triage-desk-") -> Path:
    """`desk/` in a new temp folder others may enter: setgid 2770, group 65534, as a decisions file's
    folder a desk shares is (remove its parent when done)."""
    top = Path(tempfile.mkdtemp(prefix=prefix))
    top.chmod(0o755)
    shared = top / "desk"
    shared.mkdir()
    os.chown(shared, os.geteuid(), NOBODY)
    shared.chmod(0o2770)
    return shared


def readable_inbox(folder: Path, stories: dict[str, tuple[str, str]]) -> Path:
    """An inbox in `folder` everyone may read, one plain-text file (title, blank line, text) a story."""
    inbox = folder / "inbox"
    inbox.mkdir()
    inbox.chmod(0o755)
    for name, (title, text) in stories.items():
        (inbox / name).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        (inbox / name).chmod(0o644)
    return inbox
