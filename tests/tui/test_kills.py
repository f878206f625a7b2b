"""A kill on screen: the Reuters story followed up at version 978556838 and killed at 1542761538 comes
back to the inbox marked KILLED in the list, the panel, the reading view and the review, and the counts
and the panel agree; again after a restart. Real NewsML-G2 files in Reuters' layout, real TinyDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

from triage.model import Decision
from triage.sources.loader import iter_load
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel

from .helpers import NOW, wait_for

KILLS = Path(__file__).resolve().parents[1] / "core" / "data" / "kills"
FIRST = "reuters-g2-978556838.xml"
KILL = "reuters-g2-1542761538-kill.xml"


def _service(settings_factory, inbox: Path):
    from triage.core.service import TriageService

    settings = settings_factory(inbox=[inbox], overrides={"watch": {"enabled": False}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    svc.inbox.load()
    return svc


def _drop(svc, inbox: Path, name: str) -> None:
    shutil.copy(KILLS / name, inbox / name)
    arts = [a for part in iter_load([inbox / name], **svc.inbox.load_options()) for a in part.articles]
    svc.inbox.merge(arts)


def _lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _panel(app) -> str:
    return app.screen.query_one(SummaryPanel).render().plain


def _inbox(tmp_path: Path) -> Path:
    from triage.cli.common import demo_dir

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in sorted(demo_dir().glob("*.txt"))[:24]:
        shutil.copy(path, inbox / path.name)
    shutil.copy(KILLS / FIRST, inbox / FIRST)
    return inbox


async def _killed_on_screen(pilot, app, story: str) -> None:
    lst = app.screen.query_one(ArticleList)
    await wait_for(pilot, lambda: story in lst.ids)
    assert lst.ids[0] == story  # the kill leads the inbox
    top = _lines(app)[0]
    assert "Follow-up 0" in top and f"Inbox {len(lst.ids)} " in top  # the counts are the rows
    lst.cursor = 0
    await wait_for(pilot, lambda: "KILLED: do not use" in _panel(app))
    panel = _panel(app)
    assert "back in the inbox: KILLED since it was marked follow-up" in panel
    assert "● follow-up" not in panel
    assert next(line for line in _lines(app) if "Harbour" in line.split("▕")[0]).lstrip().startswith(
        "KILLED")
    await pilot.press("enter")  # the reading view: the banner above the title
    text = app.screen.query_one(ArticleText)
    await wait_for(pilot, lambda: text.shown_text.plain.startswith(" KILLED: do not use"))
    await pilot.press("escape")


async def test_a_followed_up_story_killed_by_a_10_digit_version_is_killed_in_every_view(
    settings_factory, tmp_path
):
    inbox = _inbox(tmp_path)
    svc = _service(settings_factory, inbox)
    story = next(a.id for a in svc.catalog.articles() if "Harbour" in a.title)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(160, 48)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: story in lst.ids)
        lst.cursor = lst.index_of(story)
        await pilot.press("f")
        await wait_for(pilot, lambda: svc.decisions.decision(story) is Decision.FOLLOW_UP)
        # The followed-up row stays listed until the view changes: the bar says so, "Inbox 24+1".
        await wait_for(pilot, lambda: "Inbox 24+1" in _lines(app)[0] and "Follow-up 1" in _lines(app)[0])
        assert len(lst.ids) == 25
        await pilot.press("1")
        await wait_for(pilot, lambda: story not in lst.ids and "Inbox 24 " in _lines(app)[0])
        _drop(svc, inbox, KILL)
        await _killed_on_screen(pilot, app, story)
        await pilot.press("r")  # the review: the decision is there, marked killed
        await wait_for(pilot, lambda: any("KILLED" in line and "Harbour" in line for line in _lines(app)))
    svc.close()
    again = _service(settings_factory, inbox)  # a restart: the same, from the files and the store
    app = make_app(again, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await _killed_on_screen(pilot, app, story)
    again.close()
