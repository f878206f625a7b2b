"""Trust at the keyboard: quitting never loses a decision, `u` undoes this session's last action only,
and one story that cannot be summarised does not stop the others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tinydb import TinyDB

from triage.analysis import Analyzer
from triage.model import Article, Decision
from triage.store import DecisionStore
from triage.tui.app import make_app
from triage.tui.screens.quit import QuitScreen
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import SummaryPanel

from .helpers import NOW, build_service, wait_for

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


def _articles(n: int = 4) -> list[Article]:
    return [
        Article(
            id=f"a{i}",
            title=f"Story {i}",
            text=f"Text of story {i}. It has two sentences.",
            source="Wire",
            published=f"2023-12-{10 + i:02d}T09:00:00+00:00",
            content_hash=f"h{i}",
        )
        for i in range(n)
    ]


def _events(path) -> list[dict]:
    with TinyDB(path) as db:
        return list(db.table("events").all())


def _disk_full(svc) -> Path:
    svc.decisions.store  # noqa: B018 - the file exists first
    journal = Path(str(svc.db_path) + ".journal")
    journal.unlink(missing_ok=True)
    journal.symlink_to("/dev/full")  # a real ENOSPC on every journal write, even as root
    return journal


def _toasts(app) -> str:
    return " ".join(str(t.render()) for t in app.screen.query("Toast"))


async def test_disk_full_then_q_asks_and_quit_anyway_rescues_the_decision(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    _disk_full(svc)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.screen.query_one(ArticleList).ids) == 4)
        aid = app.screen.query_one(ArticleList).current_id
        await pilot.press("f")
        await wait_for(pilot, lambda: svc.decisions.pending == 1)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        shown = str(app.screen.query_one("#quit-title").render()) + str(
            app.screen.query_one("#quit-body").render()
        )
        assert "1 decision is NOT saved" in shown and "No space left" in shown
        await pilot.press("q")  # quit anyway
        await wait_for(pilot, lambda: not app.is_running)
    svc.close()
    rescue = Path(str(svc.db_path) + ".rescue")
    assert rescue.exists() and stat.S_IMODE(rescue.stat().st_mode) == 0o600
    assert svc.decisions.rescued is not None and "next start replays them" in svc.decisions.rescued.message
    # The next start (here: the store the CLI and TUI open) replays it and says so.
    Path(str(svc.db_path) + ".journal").unlink()
    again = DecisionStore(svc.db_path)
    assert again.current(aid).decision is Decision.FOLLOW_UP
    assert again.replayed is not None and again.replayed.count == 1
    again.close()
    assert not rescue.exists()
    assert [e["decision"] for e in _events(svc.db_path) if e["article_id"] == aid] == ["follow-up"]


async def test_q_with_unsaved_decisions_retries_and_quits_once_they_are_saved(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    journal = _disk_full(svc)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.screen.query_one(ArticleList).ids) == 4)
        aid = app.screen.query_one(ArticleList).current_id
        await pilot.press("x")
        await wait_for(pilot, lambda: svc.decisions.pending == 1)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("w")  # still full: says so and stays
        await wait_for(pilot, lambda: "Still not saved" in str(app.screen.query_one("#quit-status").render()))
        await pilot.press("escape")  # stay
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen))
        journal.unlink()  # space again
        await pilot.press("q")
        if isinstance(app.screen, QuitScreen):  # the poll may not have saved it yet
            await pilot.press("w")
        await wait_for(pilot, lambda: not app.is_running)
    svc.close()
    assert svc.decisions.rescued is None and not Path(str(svc.db_path) + ".rescue").exists()
    assert [e["decision"] for e in _events(svc.db_path) if e["article_id"] == aid] == ["flag"]


async def test_u_undoes_this_sessions_last_action_and_nothing_else(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 4)
        await pilot.press("u")
        await pilot.pause(0.1)
        assert "Nothing to undo in this session" in _toasts(app)
        # the row under the cursor was not touched
        assert all(svc.decisions.decision(i) is None for i in lst.ids)
        await pilot.pause(0.3)
        assert not svc.db_path.exists() or _events(svc.db_path) == []  # and nothing was written
        first = lst.current_id
        await pilot.press("f")  # first -> follow-up, the cursor moves on
        second = lst.current_id
        await pilot.press("n", *"check", "enter")  # a note on the second story
        await wait_for(pilot, lambda: svc.decisions.note(second) == "check")
        await pilot.press("u")  # undoes the note, not the decision
        await wait_for(pilot, lambda: svc.decisions.note(second) == "" and svc.decisions.book.queued == 0)
        assert svc.decisions.decision(first) is Decision.FOLLOW_UP
        # Another person changes `first` now: our undo of `first` must leave their decision alone.
        other = DecisionStore(svc.db_path, user="bob", host="desk")
        other.decide(first, Decision.ARCHIVE)
        other.close()
        await pilot.press("u")
        await wait_for(pilot, lambda: "changed since by bob@desk" in _toasts(app), timeout=10)
        await wait_for(pilot, lambda: svc.decisions.decision(first) is Decision.ARCHIVE)
    svc.close()
    mine = [e for e in _events(svc.db_path) if e["article_id"] == first]
    assert [(e["user"], e["decision"]) for e in mine][-1] == ("bob", "archive")


class _FailsOn(Analyzer):
    """The real analyzer, except that one story raises (as a story that breaks the model would)."""

    def analyze_chunk(self, chunk):
        if any(a.id == "a1" for a, _k in chunk):
            raise RuntimeError("this story breaks the pipeline")
        return super().analyze_chunk(chunk)


async def test_one_story_that_cannot_be_summarised_does_not_stop_the_others(settings_factory, tmp_path):
    arts = _articles(4)
    svc = build_service(settings_factory, articles=arts, analysis={"processes": 0})
    svc.analyses.analyzer = _FailsOn(cache_path=tmp_path / "cache.sqlite")
    app = make_app(svc, now=NOW, analyze=True, loaded=True)
    async with app.run_test(size=(100, 30)) as pilot:
        pool = lambda: svc.analyses.pool  # noqa: E731
        await wait_for(pilot, lambda: (p := pool()) is not None and p.queue.done == 4, timeout=90)
        assert {a.id for a in arts if svc.analyses.cached(a) is not None} == {"a0", "a2", "a3"}
        assert any(
            "could not be summarised" in p.reason and "breaks the pipeline" in p.reason for p in svc.problems
        )
        lst = app.screen.query_one(ArticleList)
        lst.cursor = lst.index_of("a1")
        await wait_for(
            pilot, lambda: "could not be summarised" in str(app.screen.query_one(SummaryPanel).render())
        )
        lst.cursor = lst.index_of("a2")
        await wait_for(pilot, lambda: "•" in str(app.screen.query_one(SummaryPanel).render()))
        assert "analysing" not in str(app.screen.query_one("#topbar").render())
