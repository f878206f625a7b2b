"""The open TUI keeps up within two seconds: a file dropped into the inbox, a decision made by another
process (wall-clock: marked slow; tests/tui checks the same behaviour without timing it)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from triage.model import Decision
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList

from ..tui.helpers import NOW, build_service, wait_for


def _ids(app) -> list[str]:
    return [r.article.id for r in app.screen.query_one(ArticleList).rows]


def _titles(app) -> list[str]:
    return [r.article.title for r in app.screen.query_one(ArticleList).rows]


@pytest.mark.slow
async def test_a_file_dropped_into_the_inbox_appears_within_two_seconds(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.txt").write_text("First story headline\n\nThe first story has a paragraph of text.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: _titles(app) == ["First story headline"])
        await pilot.press("j")  # the user's place
        await pilot.pause(0.6)  # let the watcher start
        (inbox / "two.txt").write_text("Second story arrives live\n\nIt was dropped while the app ran.\n")
        start = time.monotonic()
        await wait_for(pilot, lambda: "Second story arrives live" in _titles(app), timeout=10)
        assert time.monotonic() - start <= 2.0 + 0.5  # 2 s goal, plus the test's own polling
        assert app.screen.query_one(ArticleList).current.article.title == "First story headline"


@pytest.mark.slow
async def test_decisions_written_by_another_process_show_within_two_seconds(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.txt").write_text("A shared story\n\nTwo editors look at the same inbox.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_ids(app)) == 1)
        aid = _ids(app)[0]
        subprocess.run([sys.executable, "-m", "triage", "decide", aid, "flag", "--db", str(svc.db_path)],
                       check=True, capture_output=True, timeout=60)
        start = time.monotonic()
        await wait_for(pilot, lambda: svc.decision(aid) is Decision.FLAG, timeout=10)
        assert time.monotonic() - start <= 2.5
        lst = app.screen.query_one(ArticleList)
        await pilot.press("5")
        assert lst.rows[0].decision is Decision.FLAG


