"""No stored text reaches the terminal raw: every screen and dialog, walked with hostile titles,
sources, notes, entity names, feed names, problems and ednotes, shows nothing a terminal would act
on (triage.infra.sanitize.has_forbidden), inputs included, and markup in them stays literal text."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Input, OptionList, Static

from triage.infra.sanitize import has_forbidden
from triage.model import Article, Decision, Problem
from triage.tui.app import make_app
from triage.tui.screens.article_view import ArticleViewScreen
from triage.tui.screens.dialogs import HelpScreen, NoteScreen, PickScreen, ProblemsScreen
from triage.tui.screens.quit import QuitScreen
from triage.tui.screens.review import ReviewScreen
from triage.tui.screens.review_filter import ReviewFilter
from triage.tui.widgets.article_list import ArticleList

from .helpers import NOW, build_service, wait_for

OSC = "\x1b]2;pwned\x07"  # retitles the terminal (a tmux pane)
CSI = "\x1b[31m"
C1 = "\x9b31m"  # an 8-bit CSI
BIDI = "\u202e"
BEL = "\x07"
MARKUP = "[bold red]x[/]"
CLICK = "[@click=app.quit]quit[/]"
HOSTILE = f"{MARKUP} {OSC}Storm{CSI} hits{C1} the {BIDI}coast{BEL} {CLICK}"


def _articles() -> list[Article]:
    text = (
        f"Chancellor Angela Merkel{OSC} met Emmanuel {BIDI}Macron in Paris on Monday. {HOSTILE} closed the "
        f"port of Hamburg{CSI} for a day. Officials in Berlin{C1} said the talks would go on next week."
    )
    first = Article(
        id="evil1",
        title=HOSTILE + " " + "L" * 5000,
        text=text,
        source=f"Feed {OSC}{MARKUP}",
        url=f"https://example.org/a{OSC}",
        published="2023-12-31T10:00:00Z",
        author=HOSTILE,
        urgency=1,
        ednote=HOSTILE,
        dateline=HOSTILE,
        language=f"de{CSI}",
        provider=HOSTILE,
        embargoed="2024-01-01T12:42:00Z",
        slugline=HOSTILE,
    )
    second = Article(
        id="evil2",
        title=f"{CLICK} second {BEL}story",
        text="A second story, about harbours and "
        "ships, with a paragraph of its own that nobody else has written.",
        source=HOSTILE,
        pubstatus="canceled",
        published="2023-12-31T09:00:00Z",
    )
    return [first, second]


def _visible(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def _check(app, where: str) -> str:
    """Assert nothing forbidden on screen, in any widget's content, input, cell or option; returns the
    screen's text and every widget's."""
    shown = _visible(app)
    assert not has_forbidden(shown), f"{where}: the screen"
    assert not has_forbidden(app.title) and not has_forbidden(app.sub_title), f"{where}: the title"
    screen = app.screen
    assert not has_forbidden(f"{screen.title or ''}{screen.sub_title or ''}"), f"{where}: the screen's title"
    for widget in screen.query("*"):
        if isinstance(widget, Input):
            assert not has_forbidden(widget.value), f"{where}: {widget!r}.value"
            assert not has_forbidden(widget.placeholder), f"{where}: {widget!r}.placeholder"
        elif isinstance(widget, Static):
            content = str(widget.render())
            assert not has_forbidden(content), f"{where}: {widget!r}"
            shown += "\n" + content
        elif isinstance(widget, DataTable):
            for i in range(widget.row_count):
                for cell in widget.get_row_at(i):
                    assert not has_forbidden(cell.plain if isinstance(cell, Text) else str(cell)), where
        elif isinstance(widget, OptionList):
            for i in range(widget.option_count):
                prompt = widget.get_option_at_index(i).prompt
                assert not has_forbidden(prompt.plain if isinstance(prompt, Text) else str(prompt)), where
        for text in (widget.border_title, widget.border_subtitle, widget.tooltip):
            assert not has_forbidden(str(text or "")), f"{where}: {widget!r} border/tooltip"
    return shown


async def _until_screen(pilot, kind) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind), timeout=10)
    await pilot.pause(0.2)


async def test_every_screen_and_dialog_shows_hostile_stored_text_cleaned(settings_factory):
    svc = build_service(settings_factory)
    svc.inbox.set_articles(_articles(), [Problem(where=HOSTILE, reason=HOSTILE)])
    # the real model: summaries and entity names from hostile text
    list(svc.analyses.analyze_many(svc.catalog.articles()))
    # Notes written into the real decisions file, as a colleague's would be.
    svc.decide_soon(["evil1"], Decision.FLAG, note=HOSTILE).future.result(timeout=30)
    svc.note_soon("evil2", f"{OSC}{MARKUP} check").future.result(timeout=30)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 1)  # the other is decided
        await pilot.press("5")  # every story (one is decided)
        await wait_for(pilot, lambda: lst.index_of("evil1") is not None and lst.index_of("evil2") is not None)
        lst.cursor = lst.index_of("evil1")
        await pilot.pause(0.3)
        shown = _check(app, "main screen")
        assert MARKUP in shown  # markup stays literal
        await pilot.press("enter")  # the reading view
        await pilot.pause(0.2)
        _check(app, "reading view")
        await pilot.press("escape", "question_mark")
        await _until_screen(pilot, HelpScreen)
        _check(app, "help")
        await pilot.press("escape", "p")
        await _until_screen(pilot, ProblemsScreen)
        assert "Storm hits31m the coast" in _check(app, "problems")  # the C1 byte goes, "31m" is text
        await pilot.press("escape", "n")  # the note dialog of a story with a note
        await _until_screen(pilot, NoteScreen)
        box = app.screen.query_one(Input)
        assert box.value.startswith(MARKUP) and "Storm hits" in box.value
        _check(app, "note dialog")
        await pilot.press("escape", "X")  # decide with a note: the stored note prefilled
        await _until_screen(pilot, NoteScreen)
        _check(app, "decide with a note")
        await pilot.press("escape", "S")  # the source picker
        await _until_screen(pilot, PickScreen)
        _check(app, "source picker")
        await pilot.press("escape", "e")  # the entity picker, if the model found names
        await pilot.pause(0.3)
        if isinstance(app.screen, PickScreen):
            _check(app, "entity picker")
            await pilot.press("escape")
        await pilot.press("c")  # a notification quoting the hostile URL
        await pilot.pause(0.2)
        _check(app, "copy URL notification")
        await pilot.press("ctrl+p")  # the command palette
        await pilot.pause(0.3)
        _check(app, "command palette")
        await pilot.press("escape")
        await pilot.pause(0.2)
        lst.cursor = lst.index_of("evil2")
        await pilot.pause(0.2)
        _check(app, "a killed story with a hostile source")

        await pilot.press("r")  # the review screen, its filters and its article view
        await _until_screen(pilot, ReviewScreen)
        review = app.screen
        await wait_for(pilot, lambda: review.settled)
        assert MARKUP in _check(app, "review screen")
        review.filter = ReviewFilter(text=HOSTILE, user=HOSTILE, source=HOSTILE)
        review.refresh_rows()
        await pilot.pause(0.2)
        _check(app, "review filters")
        await pilot.press("slash")
        await pilot.pause(0.1)
        assert "Storm hits" in review.query_one("#rv-input", Input).value
        _check(app, "review filter input")
        await pilot.press("escape", "0")
        await wait_for(pilot, lambda: review.settled)
        await pilot.press("enter")
        await _until_screen(pilot, ArticleViewScreen)
        _check(app, "review article view")
        await pilot.press("escape")
        await _until_screen(pilot, ReviewScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        app.push_screen(QuitScreen(svc))
        await _until_screen(pilot, QuitScreen)
        _check(app, "quit dialog")
    svc.close()


async def test_a_watch_query_from_the_shared_store_reaches_the_search_box_cleaned(settings_factory):
    """Enter on a watch (W) puts its query in the search box: a desk watch is a colleague's text read
    back from the shared store, so the box gets it cleaned, on one line."""
    svc = build_service(settings_factory)
    svc.inbox.set_articles(_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 2)
        app.screen.search_for(f"{OSC}storm\n{BIDI}coast{C1}")
        await pilot.pause(0.3)
        box = app.screen.query_one("#search", Input)
        assert box.value and not has_forbidden(box.value) and "\n" not in box.value, repr(box.value)
        assert "storm" in box.value and "coast" in box.value
