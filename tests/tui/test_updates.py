"""Wire stories that change, in the real app: an archived story whose file gets a new paragraph comes back
to the inbox marked updated, with the new sentence marked in the text and said in the summary panel; a
follow-up stays in its view, marked; an update that only retypes punctuation re-opens nothing."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from triage.core.service import TriageService
from triage.model import Decision
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import NEW_STYLE, ArticleText, SummaryPanel

from .helpers import NOW, wait_for

NEW_PARA = ("Later on Thursday officials in the region said that rescue teams had found two more survivors "
            "under the rubble of the collapsed building.")


def _inbox(tmp_path: Path, n: int = 3) -> Path:
    """A wire folder of real demo stories (Wikinews, CC BY 2.5), old enough that an update is news."""
    from triage.cli.common import demo_dir

    inbox = tmp_path / "wire"
    inbox.mkdir()
    for i, src in enumerate(sorted(demo_dir().glob("*.txt"))[:n]):
        dest = inbox / src.name
        shutil.copy(src, dest)
        os.utime(dest, (time.time() - 7200 - i, time.time() - 7200 - i))
    return inbox


def _story_file(inbox: Path, title: str) -> Path:
    for path in inbox.iterdir():
        if path.read_text(encoding="utf-8").startswith(title):
            return path
    raise AssertionError(f"no file for {title!r}")


def _append(path: Path, para: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip() + "\n\n" + para + "\n", encoding="utf-8")


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


async def test_an_archived_story_that_gets_a_new_paragraph_comes_back_marked(settings_factory, tmp_path):
    inbox = _inbox(tmp_path)
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"debounce_ms": 50}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        aid = _list(app).current_id
        title = svc.catalog.article(aid).title
        await pilot.press("a")  # archived
        await pilot.press("1")  # a fresh inbox view: the archived story is gone from it
        await wait_for(pilot, lambda: aid not in _list(app).ids and svc.decisions.book.queued == 0)
        # The agency resends it with a new paragraph: the file changes on disk.
        _append(_story_file(inbox, title), NEW_PARA)
        await wait_for(pilot, lambda: aid in _list(app).ids, timeout=20)
        row = svc.row(aid)
        assert row.article.updated and row.reopened and row.decision is None
        assert svc.decisions.decision(aid) is Decision.ARCHIVE  # the history still says archived
        line = next(_list(app).render_line(y).text for y in range(_list(app).size.height)
                    if title[:20] in _list(app).render_line(y).text)
        assert "↻" in line
        _list(app).cursor = _list(app).index_of(aid)
        await wait_for(pilot, lambda: "adds 1 sentence" in str(app.screen.query_one(SummaryPanel).render()))
        assert "↻ updated" in str(app.screen.query_one(SummaryPanel).render())
        await pilot.press("z")  # read it
        body = app.screen.query_one(ArticleText).shown_text
        plain = body.plain
        marked = [plain[span.start:span.end] for span in body.spans if str(span.style) == NEW_STYLE]
        assert any(m.startswith("Later on Thursday officials") for m in marked)
        assert "↻ updated" in plain
        # Deciding again records the new version: the story stays decided.
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: svc.decisions.book.queued == 0 and svc.decisions.event(aid).content_hash
                       == svc.catalog.article(aid).content_hash)
        await pilot.press("2", "1")
        await wait_for(pilot, lambda: aid not in _list(app).ids)
    svc.close()


async def test_follow_up_stays_in_its_view_and_a_quiet_update_reopens_nothing(settings_factory, tmp_path):
    inbox = _inbox(tmp_path)
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"debounce_ms": 50}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        first, second = _list(app).ids[:2]
        t1, t2 = svc.catalog.article(first).title, svc.catalog.article(second).title
        await pilot.press("g")  # the top row (the cursor may have stayed on the story it met first)
        await pilot.press("f")  # first: follow-up
        await pilot.press("a")  # second: archived
        await wait_for(pilot, lambda: svc.decisions.book.queued == 0)
        _append(_story_file(inbox, t1), NEW_PARA)
        quiet = _story_file(inbox, t2)
        title_and_date, _, body = quiet.read_text(encoding="utf-8").partition("2019\n")  # the dateline kept
        quiet.write_text(title_and_date + "2019\n" + body.replace(",", " ,"), encoding="utf-8")
        article = svc.catalog.article
        await wait_for(pilot, lambda: article(first).updated and article(second).updated, timeout=20)
        await pilot.press("2")  # follow-up: still there, marked
        await wait_for(pilot, lambda: _list(app).ids == (first,))
        assert svc.row(first).article.updated and svc.row(first).decision is Decision.FOLLOW_UP
        await pilot.press("1")
        await wait_for(pilot, lambda: len(_list(app).ids) == 1)
        assert first not in _list(app).ids and second not in _list(app).ids  # the quiet one stays archived
        assert not svc.row(second).reopened
    svc.close()
