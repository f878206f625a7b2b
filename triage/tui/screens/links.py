"""A story's URL from the main screen: copied to the terminal's clipboard, or opened where a local
browser can show it (never over SSH: then it is shown to copy)."""

from __future__ import annotations

import os
import sys
import webbrowser
from typing import Protocol

from triage.tui.safe import plain
from triage.tui.screens.host import HasList, Tells

__all__ = ["LinksHost", "copy_url", "local_browser_available", "open_url"]


class LinksHost(Tells, HasList, Protocol):
    """What the links need of their screen: the story under the cursor, the clipboard, a message."""

    def copy_to_clipboard(self, text: str) -> None:
        """Put text on the terminal's clipboard (OSC 52)."""
        ...

    def show_message(self, title: str, body: str) -> None:
        """A dialog with a title and a body to read (or copy by hand)."""
        ...


def _url(host: LinksHost) -> str | None:
    lst = host.article_list
    url = lst.current.article.url if lst.current else ""
    if not url:
        host.tell("This article has no URL.", severity="warning")
        return None
    return plain(url, one_line=True)


def copy_url(host: LinksHost) -> None:
    url = _url(host)
    if url:
        host.copy_to_clipboard(url)
        host.tell(f"Copied to the terminal clipboard: {url}", timeout=3)


def open_url(host: LinksHost) -> None:
    url = _url(host)
    if not url:
        return
    if local_browser_available():
        webbrowser.open(url)
        host.tell(f"Opened {url}", timeout=3)
    else:
        host.show_message("No local browser here (press c to copy):", url)


def local_browser_available() -> bool:
    """True when a browser can open on this machine's own screen (never over SSH or without a display)."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if os.name == "posix" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        if sys.platform != "darwin":
            return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
