"""The installed `triage` in tmux: an archived wire story comes back when a paragraph is added."""

from __future__ import annotations

import pytest

from ..tui.test_updates import NEW_PARA, _append, _inbox, _story_file
from .tmux import HAVE_TMUX, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]


def test_in_tmux_an_archived_wire_story_comes_back_when_a_paragraph_is_added(tmp_path):
    inbox = _inbox(tmp_path, 2)
    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} {inbox}") as term:
        first_title = _list_title(term.wait(lambda s: "Inbox 2" in s))
        term.keys("a")
        term.wait(lambda s: "Inbox 1" in s)
        _append(_story_file(inbox, first_title), NEW_PARA)
        got = term.wait(lambda s: "Inbox 2" in s and "↻" in s, timeout=30)
        assert "↻ " + first_title[:20] in got
        term.keys("g")
        term.wait(lambda s: "↻ updated" in s and "adds 1 sentence" in s)
        term.keys("q")


def _list_title(screen: str) -> str:
    """The first list row's title, as the person sees it (cut titles end with an ellipsis)."""
    line = screen.splitlines()[1]
    return line[4:].split("…")[0].split("  ")[0].strip()
