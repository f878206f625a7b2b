"""A story's URL from the main screen: copied to the terminal's clipboard, or opened where a local
browser can show it (never over SSH: then it is shown to copy)."""

from __future__ import annotations

import os
import sys
import webbrowser
from typing import Any

from triage.tui.safe import plain
from triage.tui.screens.dialogs import MessageScreen
from triage.tui.widgets.article_list import ArticleList

__all__ = ["copy_url", "local_browser_available", "open_url"]


def _url(screen: Any) -> str | None:
    lst = screen.query_one(ArticleList)
    url = lst.current.article.url if lst.current else ""
    if not url:
        screen.tell("This article has no URL.", severity="warning")
        return None
    return plain(url, one_line=True)


def copy_url(screen: Any) -> None:
    url = _url(screen)
    if url:
        screen.app.copy_to_clipboard(url)
        screen.tell(f"Copied to the terminal clipboard: {url}", timeout=3)


def open_url(screen: Any) -> None:
    url = _url(screen)
    if not url:
        return
    if local_browser_available():
        webbrowser.open(url)
        screen.tell(f"Opened {url}", timeout=3)
    else:
        screen.app.push_screen(MessageScreen("No local browser here (press c to copy):", url))


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
