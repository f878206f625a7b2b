"""The main screen through the real app and pilot: keys, decisions in the real TinyDB file, safety."""

from __future__ import annotations

import json

import pytest
from tinydb import TinyDB

from triage.model import Article, Decision
from triage.tui.app import make_app
from triage.tui.screens.dialogs import HelpScreen, MessageScreen, NoteScreen, ProblemsScreen
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel

from .helpers import NOW, build_service, wait_for


def _articles(n: int = 6) -> list[Article]:
    return [
        Article(
            id=f"a{i}",
            title=f"Story number {i} about {'Putin' if i % 2 else 'Zürich'}",
            text=f"First paragraph of story {i}. It has two sentences.\n\n"
            f"Second paragraph {i} names Vladimir Putin.",
            source="Wire" if i % 2 else "Desk",
            url=f"https://example.org/{i}",
            published=f"2023-12-{10 + i:02d}T09:00:00+00:00",
            content_hash=f"h{i}",
        )
        for i in range(n)
    ]


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


def _line_texts(app) -> list[str]:
    lst = _list(app)
    return [lst.render_line(y).text for y in range(lst.size.height)]


def _events(path) -> list[dict]:
    with TinyDB(path) as db:
        return list(db.table("events").all())


async def test_demo_move_down_follow_up_lands_in_tinydb(settings_factory, demo_inbox):
    svc = build_service(settings_factory, inbox=demo_inbox)
    app = make_app(svc, now=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) >= 50)
        await pilot.press("j")
        target = _list(app).current.article
        await pilot.press("f")
        await wait_for(pilot, lambda: svc.decisions.decision(target.id) is Decision.FOLLOW_UP)
        # The mark shows in the list: the decided row stays listed with its F mark.
        row_index = [r.article.id for r in _list(app).rows].index(target.id)
        assert _list(app).render_line(row_index - int(_list(app).scroll_y)).text[1] == "F"
        # The summary panel shows the key sentences once the real model has analysed it.
        await wait_for(pilot, lambda: svc.analyses.cached(target) is not None, timeout=60)
    svc.decisions.store.close()
    events = [e for e in _events(svc.db_path) if e["article_id"] == target.id]
    assert events and events[-1]["decision"] == "follow-up"
    assert events[-1]["title"] == target.title


async def test_archive_flag_undo_and_views(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        first = _list(app).current.article.id
        await pilot.press("a")
        assert svc.decisions.decision(first) is Decision.ARCHIVE
        second = _list(app).current.article.id
        assert second != first  # moved on to the next undecided article
        await pilot.press("x")
        assert svc.decisions.decision(second) is Decision.FLAG
        await pilot.press("u")  # undo the flag
        assert svc.decisions.decision(second) is None
        assert svc.decisions.decision(first) is Decision.ARCHIVE
        await pilot.press("4")  # archived view
        await wait_for(pilot, lambda: [r.article.id for r in _list(app).rows] == [first])
        await pilot.press("1")  # inbox: undecided only
        await wait_for(pilot, lambda: len(_list(app).rows) == 5)
        assert first not in [r.article.id for r in _list(app).rows]
        await pilot.press("5")
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        await pilot.press("G")
        assert _list(app).cursor == 5
        await pilot.press("g")
        assert _list(app).cursor == 0


async def test_multi_select_decides_a_batch_and_undo_undoes_it(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        await pilot.press("v", "shift+down")  # select row 0, then extend over rows 1 and 2
        chosen = set(_list(app).selected)
        assert len(chosen) == 3
        assert "3 selected" in str(app.screen.query_one("#topbar").render())
        await pilot.press("f")
        assert all(svc.decisions.decision(i) is Decision.FOLLOW_UP for i in chosen)
        assert not _list(app).selected
        await pilot.press("u")
        assert all(svc.decisions.decision(i) is None for i in chosen)


async def test_note_is_saved_with_the_decision(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        aid = _list(app).current.article.id
        await pilot.press("n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"call the desk")
        await pilot.press("enter")
        await pilot.press("f")
        assert svc.decisions.note(aid) == "call the desk"
        assert svc.decisions.decision(aid) is Decision.FOLLOW_UP
    svc.decisions.store.close()
    last = [e for e in _events(svc.db_path) if e["article_id"] == aid][-1]
    assert last["note"] == "call the desk" and last["decision"] == "follow-up"


async def test_incremental_search_and_escape(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        await pilot.press("slash", *"zürich")
        # The letters echo at once; the list follows from the search index a moment later.
        await wait_for(pilot, lambda: {r.article.id for r in _list(app).rows} == {"a0", "a2", "a4"})
        # Typing in the search box does not trigger decisions (f, a, x are letters here).
        assert all(svc.decisions.decision(i) is None for i in ("a0", "a2", "a4"))
        await pilot.press("enter")
        assert _list(app).has_focus
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)


async def test_help_problems_sort_copy_and_text_keys(settings_factory):
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        await pilot.press("escape")
        await pilot.press("s")  # newest -> source
        assert [r.article.source for r in _list(app).rows] == ["Desk"] * 3 + ["Wire"] * 3
        await pilot.press("c")
        url = _list(app).current.article.url
        assert app.clipboard == url
        await pilot.press("o")  # no local browser in tests: the URL is shown instead
        assert isinstance(app.screen, MessageScreen)
        assert url in " ".join(str(s.render()) for s in app.screen.query("Static"))
        await pilot.press("escape")
        await pilot.press("enter")
        assert app.screen.query_one(ArticleText).has_focus
        await pilot.press("tab")
        assert _list(app).has_focus


HOSTILE = [
    "[bold red]x[/]",
    "[link=file:///etc/passwd]click[/link]",
    "[@click=app.quit]quit[/]",
    "\x1b]52;c;ZXZpbA==\x07 osc52",
    "\x1b[31mred\x1b[0m \x9b31m c1 \u202egnp.exe",
]


async def test_untrusted_text_shows_literally_and_never_acts(settings_factory):
    arts = [
        Article(
            id=f"h{i}",
            title=t,
            text=f"{t}\n\nBody {t}",
            source=t,
            content_hash=f"x{i}",
            url=f"https://x.test/{t}",
            published=f"2023-01-0{i + 1}T00:00:00+00:00",
        )
        for i, t in enumerate(HOSTILE)
    ]
    arts.append(
        Article(
            id="long",
            title="T" * 5000,
            text="word " * 200_000,
            content_hash="long",
            published="2022-01-01T00:00:00+00:00",
        )
    )
    arts.append(
        Article(id="empty", title="", text="", content_hash="empty", published="2021-01-01T00:00:00+00:00")
    )
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == len(arts))
        lines = "\n".join(_line_texts(app))
        assert "[bold red]x[/]" in lines
        assert "[@click=app.quit]quit[/]" in lines
        assert "\x1b" not in lines and "\x9b" not in lines and "\u202e" not in lines
        for _ in arts:
            await pilot.press("c")  # the URL (with markup in it) is echoed in a notification, literally
            await pilot.press("j")
        assert app.is_running  # nothing quit the app
        await pilot.pause(0.2)
        toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "[@click=app.quit]quit[/]" in toasts  # shown literally, not interpreted
        summary = app.screen.query_one(SummaryPanel)
        assert summary.size.height <= 24
        # The 5,000-character title is cut to the list width.
        assert all(len(t) <= _list(app).size.width for t in _line_texts(app))


def test_markup_in_titles_reaches_the_tinydb_file_verbatim(settings_factory):
    svc = build_service(
        settings_factory, articles=[Article(id="m", title="[b]x[/b]", text="t", content_hash="m")]
    )
    svc.decide(["m"], Decision.FLAG)
    svc.decisions.store.close()
    raw = json.loads(svc.db_path.read_text())
    assert any(e["title"] == "[b]x[/b]" for e in raw["events"].values())


async def test_entity_filter_space_palette_and_review(settings_factory, demo_inbox):
    svc = build_service(settings_factory, inbox=demo_inbox)
    app = make_app(svc, now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) >= 50)
        await pilot.press("g")
        first = _list(app).current.article
        await wait_for(pilot, lambda: svc.analyses.cached(first) is not None, timeout=60)
        analysis = svc.analyses.cached(first)
        people = analysis.entities.get("people") or analysis.entities.get("places")
        assert people, "the demo article names people or places"
        # e: pick the first entity offered; the list narrows to articles that name it.
        await pilot.press("e")
        await pilot.press("enter")
        await wait_for(pilot, lambda: 0 < len(_list(app).rows) < 50)
        assert first.id in [r.article.id for r in _list(app).rows]
        await pilot.press("e")  # e again clears the filter
        assert len(_list(app).rows) == 50
        # space pages the text down without leaving the list.
        text = app.screen.query_one(ArticleText)
        await pilot.press("space")
        await pilot.pause(0.1)
        assert text.scroll_y > 0 or text.max_scroll_y == 0
        assert _list(app).has_focus
        # ctrl+p: the command palette offers our actions; running "Flag" flags the article.
        await pilot.press("ctrl+p")
        await pilot.press(*"Flag")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: svc.decisions.decision(first.id) is Decision.FLAG)
        # r: the review screen lists the decision.
        await pilot.press("r")
        from triage.tui.screens.review import ReviewScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReviewScreen))


async def test_no_color_arrows_and_q(settings_factory, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    svc = build_service(settings_factory, articles=_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        assert app.no_color
        await pilot.press("down", "down", "up")
        assert _list(app).cursor == 1
        await pilot.press("k")
        assert _list(app).cursor == 0
        await pilot.press("x")
        # Without colour the decision is still readable: a letter, not only a colour.
        assert _list(app).render_line(0).text[1] == "X"
        await pilot.press("q")
    assert not app.is_running


async def test_disk_full_shows_not_saved_keeps_the_decision_and_saves_it_when_space_returns(
    settings_factory, tmp_path
):
    import os
    from pathlib import Path

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    svc = build_service(settings_factory, articles=_articles())
    svc.decisions.store  # noqa: B018 - create the file first
    journal = Path(str(svc.db_path) + ".journal")
    if journal.exists():
        journal.unlink()
    journal.symlink_to("/dev/full")  # a real ENOSPC on every journal write, even as root
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        aid = _list(app).current.article.id
        await pilot.press("f")
        assert svc.decisions.decision(aid) is Decision.FOLLOW_UP  # kept in memory and shown
        assert svc.decisions.pending == 1
        await pilot.pause(0.2)
        toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "NOT saved yet" in toasts and "No space left" in toasts
        assert "NOT SAVED" in str(app.screen.query_one("#topbar").render())
        # The review screen tells the truth too: a change there is "NOT saved yet", never "saved".
        await pilot.press("r")
        from triage.tui.screens.review import ReviewScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.loaded)
        await pilot.press("a")
        await pilot.pause(0.2)
        toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "NOT saved yet" in toasts and ": saved" not in toasts
        await pilot.press("escape")
        journal.unlink()  # space again: the store poll retries
        await wait_for(pilot, lambda: svc.decisions.pending == 0, timeout=10)
        await pilot.pause(0.1)
        assert "NOT SAVED" not in str(app.screen.query_one("#topbar").render())
    svc.decisions.store.close()
    assert [e["decision"] for e in _events(svc.db_path) if e["article_id"] == aid] == ["follow-up", "archive"]


async def test_without_a_trained_model_the_panel_says_entities_are_unavailable(settings_factory):
    # analysis.model = "blank:en" is what "auto" falls back to when no trained pipeline is installed.
    svc = build_service(settings_factory, articles=_articles(2), analysis={"model": "blank:en"})
    app = make_app(svc, now=NOW, loaded=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 2)
        art = _list(app).current.article
        await wait_for(pilot, lambda: svc.analyses.cached(art) is not None, timeout=60)
        await pilot.pause(0.3)
        panel = str(app.screen.query_one(SummaryPanel).render())
        assert "Entities unavailable" in panel
        assert "•" in panel  # the summary itself still works (sentencizer)
