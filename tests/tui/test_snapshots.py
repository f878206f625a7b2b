"""SVG snapshots on the demo inbox (fixed clock, analysis cached): the triage view at 80x24, 120x40 and
160x48, the reading view and help at 80x24."""

from __future__ import annotations

from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList

from .helpers import NOW, wait_for


def _app(analysed_demo, tmp_path):
    from triage.config import load_settings
    from triage.core.service import TriageService

    base, inbox = analysed_demo
    # Fixed file times make the "age" column the same on every machine.
    import os

    for f in inbox.iterdir():
        os.utime(f, (1_700_000_000, 1_700_000_000))
    settings = load_settings(db=tmp_path / "d.json", data_dir=base / "data", inbox=[str(inbox)],
                             use_user_config=False, overrides={"watch": {"enabled": False}})
    svc = TriageService(settings, inbox=[inbox], db_path=tmp_path / "d.json")
    svc.inbox.load()
    # Arrival is when triage first saw a file (the fixture's run): fixed here, a day before the clock.
    from dataclasses import replace

    svc.inbox.set_articles([replace(a, received="2023-12-31T12:00:00Z") for a in svc.catalog.articles()])
    return make_app(svc, now=NOW, loaded=True)


async def _settle(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: len(app.screen.query_one(ArticleList).rows) == 50)
    await pilot.press("j")
    await pilot.pause(0.2)


def test_main_screen_80x24(snap_compare, analysed_demo, tmp_path):
    assert snap_compare(_app(analysed_demo, tmp_path), terminal_size=(80, 24), run_before=_settle)


def test_main_screen_160x48(snap_compare, analysed_demo, tmp_path):
    assert snap_compare(_app(analysed_demo, tmp_path), terminal_size=(160, 48), run_before=_settle)


def test_main_screen_120x40(snap_compare, analysed_demo, tmp_path):
    assert snap_compare(_app(analysed_demo, tmp_path), terminal_size=(120, 40), run_before=_settle)


async def _reading(pilot):
    await _settle(pilot)
    await pilot.press("enter")
    await pilot.pause(0.2)


def test_reading_view_80x24(snap_compare, analysed_demo, tmp_path):
    assert snap_compare(_app(analysed_demo, tmp_path), terminal_size=(80, 24), run_before=_reading)


async def _help(pilot):
    await _settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


def test_help_80x24(snap_compare, analysed_demo, tmp_path):
    assert snap_compare(_app(analysed_demo, tmp_path), terminal_size=(80, 24), run_before=_help)
