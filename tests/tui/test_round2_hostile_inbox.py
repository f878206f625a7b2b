"""Round two: a hostile Markdown file (300 KB of `[`) and a feed file that is a DOCTYPE bomb in a shared
inbox, beside good stories. The open app lists the good stories and `j` answers while they are read:
parsing runs in helper processes, never in the app's own."""

from __future__ import annotations

import time

from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList

from .helpers import NOW, build_service, wait_for


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


async def test_j_answers_and_the_good_stories_are_listed_beside_hostile_files(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "000-brackets.md").write_text("[" * 300_000)
    bomb = b'<?xml version="1.0"?>\n<rss version="2.0">' + b"<!DOCTYPE[" * 50_000
    (inbox / "001-bomb.rss").write_bytes(bomb)
    for k in range(20):
        (inbox / f"good-{k:02d}.txt").write_text(f"Good story {k}\n\nThe body of good story {k}.\n")
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    started = time.monotonic()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) >= 20, timeout=30)
        # (a reader holding the interpreter stops the clock check above too: look at the clock itself)
        assert time.monotonic() - started < 30, "the good stories were listed while the others were read"
        titles = {r.article.title for r in _list(app).rows}
        assert {f"Good story {k}" for k in range(20)} <= titles
        answers = []
        for _ in range(5):
            before = _list(app).cursor
            started = time.monotonic()
            await pilot.press("j")
            answers.append(time.monotonic() - started)
            assert _list(app).cursor == before + 1
        # generous: the bound the issue asks of is 250 ms; before the fix a key waited minutes
        print(f"j answered in {max(answers) * 1000:.0f} ms at most ({len(answers)} presses)")
        assert max(answers) < 5, answers
    svc.close()
