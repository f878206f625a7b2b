"""A new user's first minutes in the TUI (issue 29): what an empty or unreadable inbox says, the words
undo and notes leave in the review, where search puts the cursor, what fits at 80x24, and a story's age."""

from __future__ import annotations

from triage.core import READS
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import SummaryPanel

from .helpers import NOW, build_service, wait_for


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


def _list_lines(app) -> list[str]:
    lst = _list(app)
    return [lst.render_line(y).text.rstrip() for y in range(lst.scrollable_content_region.height)]


async def _empty_inbox_says_so(settings_factory, inbox) -> None:
    svc = build_service(settings_factory, inbox=inbox, watch={"enabled": True, "debounce_ms": 50})
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: svc.progress[2] and "No stories" in _list(app).empty_text)
        await pilot.pause(0.3)
        shown = " ".join(" ".join(_list_lines(app)).split())
        assert f"No stories in {inbox}." in shown
        assert f"triage reads {READS}." in shown
        assert "p " in shown and ("press p" in shown or "p lists" in shown)
        assert f"Watching {inbox}" in shown
        assert "No article selected" not in str(app.screen.query_one(SummaryPanel).render())
        # It stays (the toast about problems goes after a few seconds; this does not) ...
        await pilot.pause(3.5)
        assert "No stories in" in " ".join(_list_lines(app))
        # ... until a story arrives in the watched folder.
        (inbox / "arrived.txt").write_text("A story arrives\n\nIts one paragraph of text.\n")
        await wait_for(pilot, lambda: len(_list(app).rows) == 1, timeout=20)
        assert _list(app).empty_text == ""
        assert "No stories in" not in " ".join(_list_lines(app))
    svc.close()


async def test_an_empty_inbox_says_so_in_the_list(settings_factory, tmp_path):
    inbox = tmp_path / "empty"
    inbox.mkdir()
    await _empty_inbox_says_so(settings_factory, inbox)


async def test_an_unreadable_inbox_says_so_and_points_at_p(settings_factory, tmp_path):
    inbox = tmp_path / "binary"
    inbox.mkdir()
    (inbox / "blob.xml").write_bytes(bytes(range(256)) * 12)
    await _empty_inbox_says_so(settings_factory, inbox)


async def test_the_unreadable_files_are_counted(settings_factory, tmp_path):
    inbox = tmp_path / "binary"
    inbox.mkdir()
    (inbox / "blob.xml").write_bytes(bytes(range(256)) * 12)
    svc = build_service(settings_factory, inbox=inbox)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: svc.progress[2] and "could not be read" in _list(app).empty_text)
        assert "1 item could not be read: press p to see why." in " ".join(_list(app).empty_text.split())
    svc.close()


def test_a_short_summary_gives_its_spare_rows_back_to_the_list():
    from triage.tui.layout import plan_layout

    # 80x24: a body of 22 rows; a summary of 5 lines used to keep 14 rows (9 blank) and the list 7.
    plan = plan_layout(22, stacked=True, needed=4, full=5, settled=True)
    assert (plan.list_rows, plan.summary_rows) == (16, 5)
    # While the summary is being worked out (a status line), the list keeps its share: no jumping.
    assert plan_layout(22, stacked=True, needed=1, full=1, settled=False).list_rows == 7
    # A long summary still takes what it needs.
    assert plan_layout(22, stacked=True, needed=17, full=20, settled=True).summary_rows == 17


async def test_at_80x24_the_list_takes_the_rows_a_short_summary_leaves(settings_factory, tmp_path):
    from triage.model import Analysis, Article

    arts = [Article(id=f"a{i}", title=f"Story {i}", text=f"One sentence {i}.", source="wire",
                    received=f"2024-01-01T1{i % 10}:00:00Z") for i in range(20)]
    svc = build_service(settings_factory, articles=arts)
    for art in arts:  # a known one-sentence summary, as the analysis would give it
        svc.analyses.known[art.id] = Analysis(summary=(art.text,), spans=((0, len(art.text)),),
                                              entities={}, key_terms=())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 20)
        await wait_for(pilot, lambda: _list(app).size.height > 12)
        panel = app.screen.query_one(SummaryPanel)
        assert panel.size.height <= 4, panel.size.height
    svc.close()


# -- undo and notes, in the words of what happened -------------------------------------------------
def _stories(n: int = 6):
    from triage.model import Article

    return [Article(id=f"s{i}", title=f"Germany bans airline number {i}", text=f"Story {i} text.",
                    source="wire", received=f"2024-01-01T0{i}:00:00Z") for i in range(n)]


def _toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_undo_and_a_note_read_as_what_happened_in_the_review(settings_factory):
    from textual.widgets import DataTable

    from triage.tui.screens.article_view import ArticleViewScreen
    from triage.tui.screens.dialogs import NoteScreen
    from triage.tui.screens.review import ReviewScreen

    svc = build_service(settings_factory, articles=_stories())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 6)
        await pilot.press("j", "j")
        aid = _list(app).current_id
        title = svc.catalog.article(aid).title
        await pilot.press("a")
        await wait_for(pilot, lambda: not svc.decisions.unsaved()[0])
        await pilot.press("u")
        await wait_for(pilot, lambda: any("undo" in t for t in _toasts(app)))
        told = next(t for t in _toasts(app) if "undo" in t)
        assert "undo of archive" in told and title[:30] in told and "restored" not in told, told
        assert _list(app).current_id == aid
        await pilot.press("n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"ask the desk", "enter")
        await wait_for(pilot, lambda: not svc.decisions.unsaved()[0])
        # A story with only a note: another one, never decided.
        await pilot.press("j")
        only_note = _list(app).current_id
        await pilot.press("n", *"call back", "enter")
        await wait_for(pilot, lambda: not svc.decisions.unsaved()[0])
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.settled and screen.query_one(DataTable).row_count == 2)
        table = screen.query_one(DataTable)
        for story in (aid, only_note):
            assert table.get_cell(story, "decision").plain == "note"
            assert svc.catalog.article(story).title[:20] in table.get_cell(story, "title").plain
            assert story not in table.get_cell(story, "title").plain
        table.move_cursor(row=screen.rows.shown_ids.index(aid))
        await pilot.press("enter")
        view = app.screen
        assert isinstance(view, ArticleViewScreen)
        await wait_for(pilot, lambda: "3 events" in str(view.query_one("#av-history").render()))
        history = str(view.query_one("#av-history").render())
        words = [line.split("  ")[1] for line in history.splitlines()[1:]]
        assert words == ["archived", "undo of archive", "note"], history
        decision = str(view.query_one("#av-decision").render())
        assert "Decision: undecided" in decision and "cleared" not in decision
        assert "cleared" not in history
    svc.close()


def test_a_wrapped_summary_sentence_in_the_review_is_indented_under_its_first_word():
    from triage.tui.widgets.summary_lines import bullet_lines

    sentence = "The legislature of Taiwan voted 66 to 27 to legalize same-sex marriage, seven days ahead."
    lines = bullet_lines(sentence, 40).plain.splitlines()
    assert len(lines) > 1 and lines[0].startswith("• ")
    assert all(line.startswith("  ") and not line.startswith("   ") for line in lines[1:]), lines
    assert " ".join(line.strip("• ").strip() for line in lines) == sentence


# -- search puts the cursor on the first match -----------------------------------------------------
async def test_search_puts_the_cursor_on_the_first_match_unless_the_story_under_it_matches(settings_factory):
    from triage.model import Article

    words = ["shelf spaces", "rain", "space station", "harbour", "budget", "space walk", "tennis",
             "space probe"]
    arts = [Article(id=f"q{i}", title=f"Story about {w}", text=f"All about {w} today.", source="wire",
                    received=f"2024-01-01T{10 + i}:00:00Z") for i, w in enumerate(words)]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 8)
        lst = _list(app)
        await pilot.press("j", "j", "j")  # the 4th row: not a match
        assert "space" not in svc.catalog.article(lst.current_id).title
        await pilot.press("slash", *"space", "enter")
        await wait_for(pilot, lambda: app.screen.view.search == "space" and len(lst.ids) < 8)
        await pilot.pause(0.1)
        assert lst.cursor == 0 and lst.current_id == lst.ids[0]
        # The story under the cursor matches a new search: it stays there.
        await pilot.press("j")
        kept = lst.current_id
        await pilot.press("slash", "escape")
        await wait_for(pilot, lambda: app.screen.view.search == "" and len(lst.ids) == 8)
        await pilot.pause(0.1)
        assert lst.current_id == kept
        await pilot.press("slash", *"space", "enter")
        await wait_for(pilot, lambda: app.screen.view.search == "space" and len(lst.ids) < 8)
        await pilot.pause(0.1)
        assert lst.current_id == kept and lst.cursor == 1
    svc.close()


# -- at 80x24 ----------------------------------------------------------------------------------------
def _rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_at_80x24_the_dialog_footer_ednote_and_language_read_whole(settings_factory):
    from triage.model import Article
    from triage.tui.screens.dialogs import NoteScreen
    from triage.tui.widgets.footer import KeysFooter

    ednote = ("Editors: this story moved earlier under a wrong slug and is repeated here for all "
              "clients with the corrected slug; it replaces the earlier item, which should not be used")
    arts = [
        Article(id="e1", title="Germany bans Mahan Air of Iran", text="The ban began on Monday.",
                source="wire", language="en-GB", ednote=ednote, received="2024-01-01T10:00:00Z"),
        Article(id="e2", title="La France interdit une compagnie", text="L'interdiction commence lundi.",
                source="wire", language="fr-FR", received="2024-01-01T09:00:00Z"),
    ]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 2)
        await pilot.pause(0.2)
        panel = str(app.screen.query_one(SummaryPanel).render())
        assert "en-GB" not in panel and "\nen" not in "\n" + panel  # the desk's own language: not said
        note_lines = panel[panel.index("Ed. note"):].splitlines()[:2]
        assert note_lines[-1].endswith("…"), note_lines  # cut short, and it says so
        await pilot.press("j")
        await pilot.pause(0.2)
        assert "fr-FR" in str(app.screen.query_one(SummaryPanel).render())  # another language: said
        # The note dialog: "Note for: <title>", a space after the colon.
        await pilot.press("k", "n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.pause(0.1)
        assert "Note for: Germany bans" in str(app.screen.query_one("#note-title").render())
        await pilot.press("escape")
        # The reading view's footer: the keys it shows are whole, none cut at the edge.
        await pilot.press("enter")
        await pilot.pause(0.5)
        footer = app.screen.query_one(KeysFooter)
        row = _rows(app)[-1]
        assert "Page down" in row and "esc" in row
        shown = [k for k in footer.query("FooterKey") if k.display and not k.has_class("-command-palette")]
        for key in shown:
            assert key.region.right - 1 <= 80 - 12, (key.description, key.region)
            assert key.description in row
        assert "+n▏" not in row and not row.rstrip().endswith("+n")
    svc.close()


# -- age: by publication, with arrival beside it when it came much later ------------------------------
async def test_the_row_shows_age_by_publication_and_a_late_arrival_beside_it(settings_factory):
    from triage.model import Article

    arts = [  # NOW is 2024-01-01 12:00 UTC
        Article(id="fresh", title="Fresh story", text="Fresh.", source="wire",
                published="2024-01-01T09:00:00Z", received="2024-01-01T09:20:00Z"),
        Article(id="old", title="Old story arriving now", text="Old.", source="wire",
                published="2019-01-04", received="2024-01-01T11:55:00Z"),
        Article(id="undated", title="Story with no date", text="Undated.", source="wire",
                received="2024-01-01T11:50:00Z"),
    ]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == 3)
        await pilot.pause(0.1)
        by_title = {t: next(line for line in _list_lines(app) if t in line) for t in
                    ("Fresh story", "Old story", "Story with no date")}
        assert by_title["Fresh story"].rstrip().endswith(" 3h")  # published 3 h ago, came 20 min later
        assert by_title["Old story"].rstrip().endswith(" 4y ↓5m")  # published 2019, arrived 5 min ago
        assert by_title["Story with no date"].rstrip().endswith(" 10m")  # no date: by its arrival
        assert all(len(line) <= 80 for line in _list_lines(app))
        # The reading view says both in full.
        _list(app).cursor = _list(app).index_of("old")
        await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.3)
        from triage.tui.widgets.reader import ArticleText

        shown = app.screen.query_one(ArticleText).shown_text.plain
        assert "2019-01-04" in shown and "arrived 2024-01-01" in shown
    svc.close()
