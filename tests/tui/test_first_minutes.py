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
