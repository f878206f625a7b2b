"""The open TUI keeps up: files dropped into the inbox and decisions made by another process appear."""

from __future__ import annotations

import subprocess
import sys
import time

from triage.model import Decision
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList

from .helpers import NOW, build_service, wait_for


def _ids(app) -> list[str]:
    return [r.article.id for r in app.screen.query_one(ArticleList).rows]


def _titles(app) -> list[str]:
    return [r.article.title for r in app.screen.query_one(ArticleList).rows]


async def file_dropped(settings_factory, tmp_path) -> float:
    """A file dropped into the watched inbox shows in the list, the reader's place kept; returns the
    seconds it took (tests/perf holds it to two)."""
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
        took = time.monotonic() - start
        assert app.screen.query_one(ArticleList).current.article.title == "First story headline"
    return took


async def decided_elsewhere(settings_factory, tmp_path) -> float:
    """A decision `triage decide` writes from another process shows; returns the seconds it took."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.txt").write_text("A shared story\n\nTwo editors look at the same inbox.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_ids(app)) == 1)
        aid = _ids(app)[0]
        command = [sys.executable, "-m", "triage", "decide", aid, "flag", "--db", str(svc.db_path)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        start = time.monotonic()
        await wait_for(pilot, lambda: svc.decisions.decision(aid) is Decision.FLAG, timeout=10)
        took = time.monotonic() - start
        lst = app.screen.query_one(ArticleList)
        await pilot.press("5")
        assert lst.rows[0].decision is Decision.FLAG
    return took


async def test_a_file_dropped_into_the_inbox_appears(settings_factory, tmp_path):
    await file_dropped(settings_factory, tmp_path)


async def test_decisions_written_by_another_process_show(settings_factory, tmp_path):
    await decided_elsewhere(settings_factory, tmp_path)


async def test_a_decision_made_elsewhere_keeps_the_readers_place(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    long_text = "\n\n".join(
        f"Paragraph {i} of a long story with enough words to wrap a line or two." for i in range(80)
    )
    (inbox / "a.txt").write_text("A long story being read\n\n" + long_text + "\n")
    (inbox / "b.txt").write_text("Another story\n\nShort text.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_ids(app)) == 2)
        lst = app.screen.query_one(ArticleList)
        while lst.current.article.title != "A long story being read":
            await pilot.press("j")
        await pilot.press("enter", "space", "space")
        from triage.tui.widgets.reader import ArticleText

        text = app.screen.query_one(ArticleText)
        await pilot.pause(0.1)
        place = text.scroll_y
        assert place > 0
        other = next(r.article.id for r in lst.rows if r.article.title == "Another story")
        subprocess.run(
            [sys.executable, "-m", "triage", "decide", other, "archive", "--db", str(svc.db_path)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        await wait_for(pilot, lambda: svc.decisions.decision(other) is Decision.ARCHIVE, timeout=10)
        await pilot.pause(0.2)
        assert text.scroll_y == place


async def test_the_first_read_is_not_announced_as_news_but_an_arrival_is(settings_factory, tmp_path):
    """Stories read at start (several batches) raise no "new or updated" toast; a file that lands
    while the app runs does."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(120):  # more than the first batch: the last batch lands as the load finishes
        (inbox / f"{i:03d}.txt").write_text(f"Story number {i} of the morning\n\nIts own paragraph {i}.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)

    def news() -> list[str]:
        return [n.message for n in app._notifications if "new or updated" in n.message]

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_ids(app)) == 120 and svc.progress[2])
        await pilot.pause(0.6)  # every event of the load handled, the watcher started
        assert news() == []
        (inbox / "late.txt").write_text("A late story lands\n\nIt was dropped while the app ran.\n")
        await wait_for(pilot, lambda: "A late story lands" in _titles(app), timeout=10)
        await wait_for(pilot, lambda: news() != [], timeout=5)
        assert news() == ["1 new or updated article."]
