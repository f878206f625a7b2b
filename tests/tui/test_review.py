"""The review screen: filters, sorting, changing and clearing decisions, literal titles (100k rows:
tests/perf)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.widgets import DataTable

from triage.config import load_settings
from triage.core.service import TriageService
from triage.model import Article, Decision, DecisionEvent
from triage.store import parse_when
from triage.tui.screens.article_view import ArticleViewScreen
from triage.tui.screens.review import ReviewScreen
from triage.tui.screens.review_filter import ReviewFilter, filter_events, sort_events, time_bounds
from triage.tui.widgets.activity import activity_of, day_counts, render_activity

from .helpers import wait_for

MARKUP_TITLE = "[bold red]x[/] and [@click=app.quit]quit[/]"


def _article(aid: str, title: str, source: str, text: str = "") -> Article:
    body = text or f"{title}. This is the first sentence of the story. A second sentence follows here."
    return Article(id=aid, title=title, text=body, source=source, url=f"https://example.org/{aid}")


ARTICLES = [
    _article("a1", "Budget vote delayed in parliament", "Wire"),
    _article("a2", "Storm closes the harbour", "Coast Post"),
    _article("a3", MARKUP_TITLE, "Wire"),
    _article("a4", "Budget talks resume next week", "Daily"),
]


@pytest.fixture
def svc(tmp_path: Path) -> TriageService:
    settings = load_settings(db=tmp_path / "d.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    service.inbox.set_articles(ARTICLES)
    service.decide(["a1"], Decision.FOLLOW_UP, note="ask the [b]desk[/b]")
    service.decide(["a2"], Decision.ARCHIVE)
    service.decide(["a3"], Decision.FLAG)
    service.decide(["a4"], Decision.FOLLOW_UP)
    service.decide(["gone1"], Decision.ARCHIVE)  # not in the inbox: review shows what the event kept
    return service


class ReviewApp(App):
    """A bare app that opens the review screen, as the main app's `r` key does."""

    def __init__(self, service: TriageService) -> None:
        super().__init__()
        self.service = service

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.service))


async def _ready(pilot) -> ReviewScreen:
    for _ in range(100):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, ReviewScreen) and screen.settled:
            return screen
    raise AssertionError("review screen did not load")


def _ids(screen: ReviewScreen) -> list[str]:
    table = screen.query_one("#rv-table", DataTable)
    return [row.key.value for row in table.ordered_rows]


def _table_text(screen: ReviewScreen) -> str:
    table = screen.query_one("#rv-table", DataTable)
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def _move_to(pilot, screen: ReviewScreen, aid: str) -> None:
    table = screen.query_one("#rv-table", DataTable)
    table.move_cursor(row=_ids(screen).index(aid))
    await pilot.pause()


def _current(svc: TriageService, aid: str) -> DecisionEvent:
    return svc.decisions.store.history(aid)[-1]


async def test_opens_at_80x24_with_narrow_columns(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one("#rv-table", DataTable)
        assert [str(c.key.value) for c in table.ordered_columns] == ["when", "decision", "title", "source"]
        assert sorted(_ids(screen)) == ["a1", "a2", "a3", "a4", "gone1"]
        assert table.size.height >= 10  # the table keeps most of the screen at 80x24
        assert "5 of 5 articles" in str(screen.query_one("#rv-status").render())
        assert table.get_cell("a1", "title").plain.startswith("✎ Budget vote")  # it has a note


async def test_wide_terminal_shows_user_and_note(svc):
    async with ReviewApp(svc).run_test(size=(160, 48)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one("#rv-table", DataTable)
        assert [str(c.key.value) for c in table.ordered_columns] == [
            "when",
            "decision",
            "title",
            "source",
            "user",
            "note",
        ]
        assert "ask the [b]desk[/b]" in _table_text(screen)


async def test_filter_by_decision_cycles(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("d")  # follow-up
        assert sorted(_ids(screen)) == ["a1", "a4"]
        await pilot.press("d")  # flag
        assert _ids(screen) == ["a3"]
        await pilot.press("d")  # archive
        assert sorted(_ids(screen)) == ["a2", "gone1"]
        await pilot.press("d", "d")  # cleared, then all again
        assert len(_ids(screen)) == 5


async def test_filter_by_text_user_and_source(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("slash", *"budget", "enter")
        assert sorted(_ids(screen)) == ["a1", "a4"]
        assert screen.focused is screen.query_one("#rv-table")
        await pilot.press("slash", "ctrl+u", *"desk", "enter")  # notes are searched too
        assert _ids(screen) == ["a1"]
        await pilot.press("0")
        assert len(_ids(screen)) == 5
        await pilot.press("S", *"wire", "enter")
        assert sorted(_ids(screen)) == ["a1", "a3"]
        await pilot.press("0", "U", *"nobody-at-all", "enter")
        assert _ids(screen) == []


async def test_escape_cancels_the_filter_input_then_closes(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("slash", *"quit", "escape")  # q is typed, not "close"; escape cancels
        await pilot.pause(0.3)
        assert screen.filter.text == ""
        assert len(_ids(screen)) == 5
        assert pilot.app.screen is screen
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, ReviewScreen)


async def test_text_filter_applies_while_typing_and_header_click_sorts(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("slash", *"storm")
        await pilot.pause(0.5)  # no Enter: applied after a short pause in typing
        assert _ids(screen) == ["a2"]
        await pilot.press("escape")  # cancel: back to no text filter
        await pilot.pause()
        assert len(_ids(screen)) == 5
        await pilot.click("#rv-table", offset=(26, 0))  # the title header
        await pilot.pause()
        assert screen.sort_column == "title" and not screen.sort_descending


async def test_unreadable_decision_file_is_reported_not_raised(tmp_path):
    db = tmp_path / "d.json"
    db.write_text("{ this is not json", encoding="utf-8")
    settings = load_settings(db=db, data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=db)
    async with ReviewApp(service).run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause()
            status = str(pilot.app.screen.query_one("#rv-status").render())
            if "could not be read" in status:
                break
        assert "could not be read" in status
        assert pilot.app.is_running
    assert db.read_text(encoding="utf-8") == "{ this is not json"  # never overwritten


async def test_empty_store_says_so(tmp_path):
    settings = load_settings(db=tmp_path / "d.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    async with ReviewApp(service).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        assert "no decisions recorded yet" in str(screen.query_one("#rv-status").render())
        await pilot.press("f", "enter", "backspace", "s", "R", "d", "t")  # nothing to act on: no error
        assert pilot.app.screen is screen


async def test_time_range_filters(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("t")  # today: every event here was written just now
        assert screen.filter.since == "today"
        assert len(_ids(screen)) == 5
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        await pilot.press("T", *tomorrow, "enter")
        assert _ids(screen) == []
        await pilot.press("T", "ctrl+u", *"nonsense", "enter")  # refused with a message, filter kept
        assert screen.filter.since == tomorrow


async def test_markup_in_a_bad_time_range_is_reported_literally(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await pilot.press("T", *"[/]x[@click=app.quit]", "enter")
        await pilot.pause()
        assert pilot.app.is_running and screen.filter.since == ""
        assert len(_ids(screen)) == 5


async def test_undo_and_resize(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a2")
        await pilot.press("f")
        assert _current(svc, "a2").decision is Decision.FOLLOW_UP
        await pilot.press("u")
        assert _current(svc, "a2").decision is Decision.ARCHIVE
        table = screen.query_one("#rv-table", DataTable)
        assert table.get_cell("a2", "decision").plain == "archived"
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert len(table.ordered_columns) == 6
        assert _ids(screen)[table.cursor_row] == "a2"


async def test_sort_keys_cycle_and_reverse(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        assert _ids(screen)[0] == "gone1"  # newest first
        await pilot.press("s", "s")  # decision, then title
        assert screen.sort_column == "title"
        titles = [svc.decisions.store.history(i)[-1].title.casefold() for i in _ids(screen)]
        assert titles == sorted(titles)
        await pilot.press("R")
        titles = [svc.decisions.store.history(i)[-1].title.casefold() for i in _ids(screen)]
        assert titles == sorted(titles, reverse=True)


async def test_change_and_clear_a_decision_from_the_table(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a2")
        before = len(svc.decisions.store.history("a2"))
        await pilot.press("x")
        hist = svc.decisions.store.history("a2")
        assert len(hist) == before + 1 and hist[-1].decision is Decision.FLAG
        table = screen.query_one("#rv-table", DataTable)
        assert table.get_cell("a2", "decision").plain == "flagged"
        assert _ids(screen)[table.cursor_row] == "a2"  # the cursor stays on the article

        await _move_to(pilot, screen, "a1")
        await pilot.press("backspace")
        now = _current(svc, "a1")
        assert now.decision is None and now.note == "ask the [b]desk[/b]"  # cleared, note kept
        assert table.get_cell("a1", "decision").plain == "cleared"
        await pilot.press("d", "d", "d", "d")  # cleared view
        assert _ids(screen) == ["a1"]


async def test_markup_in_titles_and_notes_shows_literally(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one("#rv-table", DataTable)
        cell = table.get_cell("a3", "title")
        assert isinstance(cell, Text) and cell.plain.startswith("[bold red]x[/]")
        assert "[bold red]x[/] and [@click=app.quit]" in _table_text(screen)
        await pilot.press("slash", *"[@click", "enter")
        assert _ids(screen) == ["a3"]
        assert pilot.app.is_running


def test_why_cells_are_text_objects():
    """Textual 8 parses str cells as markup: the review passes rich Text so titles show as written."""
    from textual.widgets._data_table import default_cell_formatter

    assert default_cell_formatter("[b]x[/b]").plain == "x"  # a str cell loses its brackets
    assert default_cell_formatter(Text("[b]x[/b]")).plain == "[b]x[/b]"
    chart = render_activity(
        activity_of(
            [DecisionEvent("s", Decision.FLAG, at="2026-11-25T10:00:00.000000Z", source="[red]Src[/]")],
            date(2026, 11, 25),
        ),
        78,
    )
    assert "[red]Src[/] 1" in chart.plain


async def test_enter_opens_article_with_history_and_decides(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a3")
        await pilot.press("enter")
        await pilot.pause()
        view = pilot.app.screen
        assert isinstance(view, ArticleViewScreen) and view.in_inbox
        history = str(view.query_one("#av-history").render())
        assert "History (1 event," in history and "flag" in history
        title = str(view.query_one("#av-title").render())
        assert title == MARKUP_TITLE
        assert "first sentence" in str(view.query_one("#av-text").render())
        await pilot.press("a")
        assert _current(svc, "a3").decision is Decision.ARCHIVE
        assert "History (2 events," in str(view.query_one("#av-history").render())
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.query_one("#rv-table", DataTable).get_cell("a3", "decision").plain == "archived"


async def test_article_view_summarises_in_a_worker(svc):
    """No cached analysis: the view says so, analyses in a thread (real spaCy) and shows the summary."""
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a1")
        await pilot.press("enter")
        await pilot.pause()
        view = pilot.app.screen
        assert isinstance(view, ArticleViewScreen)
        for _ in range(300):
            summary = str(view.query_one("#av-summary").render())
            if "•" in summary or "failed" in summary:
                break
            await pilot.pause(0.1)
        assert "•" in summary and "first sentence" in summary
        await pilot.press("j", "k", "escape")
        await pilot.pause()
        assert pilot.app.screen is screen


async def test_article_gone_from_inbox_uses_what_the_event_kept(svc):
    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "gone1")
        await pilot.press("enter")
        await pilot.pause()
        view = pilot.app.screen
        assert isinstance(view, ArticleViewScreen) and not view.in_inbox
        assert "no longer in the inbox" in str(view.query_one("#av-summary").render())
        await pilot.press("backspace")
        assert _current(svc, "gone1").decision is None
        await pilot.press("q")
        await pilot.pause()
        assert screen.query_one("#rv-table", DataTable).get_cell("gone1", "decision").plain == "cleared"


async def test_decisions_written_elsewhere_show_up(svc, tmp_path):
    from triage.store import DecisionStore

    async with ReviewApp(svc).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        other = DecisionStore(tmp_path / "d.json")  # another process on the same file
        other.decide("elsewhere1", Decision.FLAG, title="Written by a colleague")
        other.close()
        for _ in range(40):
            await pilot.pause(0.1)
            if "elsewhere1" in _ids(screen):
                break
        assert "elsewhere1" in _ids(screen)
        assert "Written by a colleague" in _table_text(screen)


async def test_through_the_real_app_r_opens_review(svc):
    from triage.tui.app import make_app
    from triage.tui.screens.main import MainScreen

    async with make_app(svc, analyze=False, loaded=True).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a4")
        await pilot.press("x")
        assert _current(svc, "a4").decision is Decision.FLAG
        await pilot.press("q")  # back, not quit
        await pilot.pause()
        assert isinstance(pilot.app.screen, MainScreen)
        assert svc.decisions.decision("a4") is Decision.FLAG


def _events(n: int, today: date) -> list[DecisionEvent]:
    decisions = [Decision.FOLLOW_UP, Decision.ARCHIVE, Decision.FLAG, None]
    out = []
    for i in range(n):
        day = today - timedelta(days=i % 60)
        out.append(
            DecisionEvent(
                article_id=f"id{i:06d}",
                decision=decisions[i % 4],
                note=f"note {i}" if i % 10 == 0 else "",
                user=("alice", "bob", "carol")[i % 3],
                at=f"{day.isoformat()}T{i % 24:02d}:00:00.000000Z",
                title=f"Story number {i} about {('budget', 'storm', 'election', 'harbour')[i % 4]}",
                source=("Wire", "Coast Post", "Daily", "Radio")[i % 4],
                url=f"https://example.org/{i}",
            )
        )
    return out


def test_chart_days_are_local_days(zone):
    zone("EST+5")  # POSIX form: UTC-5, no tz database needed
    day = date(2026, 11, 25)
    late = DecisionEvent("a", Decision.FLAG, at="2026-11-25T03:00:00.000000Z")  # 22:00 on the 24th, local
    noon = DecisionEvent("b", Decision.FLAG, at="2026-11-25T17:00:00.000000Z")
    counts = day_counts([late, noon], day)
    assert counts[-1] == 1 and counts[-2] == 1


def test_filter_and_sort_functions(zone):
    zone("UTC")
    today = datetime.now(UTC).date()
    events = _events(400, today)
    flags = filter_events(events, ReviewFilter(decision="flag"))
    assert flags and all(e.decision is Decision.FLAG for e in flags)
    cleared = filter_events(events, ReviewFilter(decision="cleared"))
    assert cleared and all(e.decision is None for e in cleared)
    since, until = time_bounds(ReviewFilter(since="7d"), parse_when)
    recent = filter_events(events, ReviewFilter(), since=since, until=until)
    assert recent and all(e.at[:10] >= (today - timedelta(days=7)).isoformat() for e in recent)
    one_day = (today - timedelta(days=3)).isoformat()
    since, until = time_bounds(ReviewFilter(since=one_day, until=one_day), parse_when)
    got = filter_events(events, ReviewFilter(), since=since, until=until)
    assert got and {e.at[:10] for e in got} == {one_day}  # an ISO date as `until` includes that day
    by_user = filter_events(events, ReviewFilter(user="ALICE", text="budget story"))
    assert by_user and all(e.user == "alice" and "budget" in e.title for e in by_user)
    ordered = sort_events(events, "source", descending=False)
    assert [e.source for e in ordered] == sorted(e.source for e in events)
    newest = sort_events(events, "when", descending=True)
    assert newest[0].at == max(e.at for e in events)
    counts = day_counts(events, today)
    assert len(counts) == 30 and sum(counts) == sum(
        1 for e in events if e.at[:10] > (today - timedelta(days=30)).isoformat()
    )
    picture = render_activity(activity_of(events, today), 78)
    assert len(picture.plain.splitlines()) == 2
    assert all(len(line) <= 78 for line in picture.plain.splitlines())


def test_the_source_filter_takes_a_feed_folder_as_tag():
    events = [
        DecisionEvent("a", Decision.FLAG, source="World Wire", at="2026-11-25T10:00:00.000000Z"),
        DecisionEvent("b", Decision.FLAG, source="City Desk", at="2026-11-25T10:00:00.000000Z"),
        DecisionEvent("c", Decision.FLAG, source="Blog", at="2026-11-25T10:00:00.000000Z"),
    ]
    tags = {"World Wire": ("world", "wires"), "City Desk": ("local",)}
    assert [e.article_id for e in filter_events(events, ReviewFilter(source="tag:WIRES"), tags=tags)] == ["a"]
    assert [e.article_id for e in filter_events(events, ReviewFilter(source="desk"), tags=tags)] == ["b"]
    assert filter_events(events, ReviewFilter(source="tag:nothing"), tags=tags) == []


async def test_u_on_an_article_page_that_undoes_another_story_leaves_this_page_alone(svc):
    """`u` undoes this session's last action, which may be another story's: the page keeps showing its
    own decision and says where the undo went."""
    async with ReviewApp(svc).run_test(size=(100, 30), notifications=True) as pilot:
        screen = await _ready(pilot)
        await _move_to(pilot, screen, "a1")
        await pilot.press("enter")
        await pilot.pause()
        view = pilot.app.screen
        assert isinstance(view, ArticleViewScreen) and view.article_id == "a1"
        await pilot.press("u")  # the session's last action was the archive of "gone1"
        for _ in range(100):
            await pilot.pause(0.05)
            if svc.decisions.decision("gone1") is None and not svc.decisions.book.queued:
                break
        assert svc.decisions.decision("gone1") is None and svc.decisions.decision("a1") is Decision.FOLLOW_UP
        decision_line = str(view.query_one("#av-decision").render())
        assert "follow-up" in decision_line and "undecided" not in decision_line
        toasts = " ".join(str(t.render()) for t in pilot.app.screen.query("Toast"))
        assert "Undone on another story" in toasts


async def test_a_two_sources_row_archived_is_one_row_and_g_and_G_go_to_the_ends(tmp_path):
    settings = load_settings(db=tmp_path / "d.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    resend = replace(ARTICLES[1], id="a2b", source="Harbour Times", duplicates_of="a2")
    service.inbox.set_articles([*ARTICLES, resend])
    assert service.row("a2").sources == 2  # the list shows "2 sources"
    service.decide(["a1"], Decision.FOLLOW_UP)
    service.decide(["a2"], Decision.ARCHIVE)  # the row: both sources get the decision
    service.decide(["a3"], Decision.FLAG)
    assert service.decisions.decision("a2b") is Decision.ARCHIVE
    async with ReviewApp(service).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        assert sorted(_ids(screen)) == ["a1", "a2", "a3"]
        await _move_to(pilot, screen, "a2")
        await pilot.press("x")  # changed on the review: still one row
        await wait_for(pilot, lambda: service.decisions.decision("a2b") is Decision.FLAG)
        for _ in range(20):
            await pilot.pause()
        assert sorted(_ids(screen)) == ["a1", "a2", "a3"]
        table = screen.query_one("#rv-table", DataTable)
        await pilot.press("G")
        assert table.cursor_row == 2
        await pilot.press("g")
        assert table.cursor_row == 0
    service.close()


async def test_a_decided_story_the_wire_killed_is_marked_in_the_review(tmp_path):
    settings = load_settings(db=tmp_path / "d.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    service.inbox.set_articles(ARTICLES)
    service.decide(["a1"], Decision.FOLLOW_UP)
    service.inbox.merge([replace(ARTICLES[0], pubstatus="canceled", content_hash="killed", version="2")])
    async with ReviewApp(service).run_test(size=(80, 24)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one("#rv-table", DataTable)
        assert table.get_cell("a1", "title").plain.startswith("KILLED Budget vote")
    service.close()
