"""The main screen's panes: their heights for the terminal and the story (see triage.tui.layout),
and going into and out of the reading view with the reader's place kept."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from triage.tui.layout import plan_layout
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel

__all__ = ["Panes"]


class Panes:
    """Sizes the list, the summary and the text; owns the cursor's row kept across the reading view."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self._list_offset = 0  # the cursor's row in the list when the reading view opened

    def relayout(self) -> None:
        screen = self.screen
        body = screen.query_one("#body")
        lst = screen.query_one(ArticleList)
        summary = screen.query_one(SummaryPanel)
        text = screen.query_one(ArticleText)
        if screen.reading:
            text.display = True
            screen.story.refresh_text()
            return
        if not body.size.height:
            return
        stacked = screen.stacked
        lines = summary.lines_for()
        plan = plan_layout(body.size.height, stacked=stacked, needed=lines.needed, full=lines.full)
        lst.styles.height = plan.list_rows + 1 if stacked else None  # +1: the border under it
        summary.styles.height = plan.summary_rows + (1 if plan.text else 0)
        screen.set_class(not plan.text, "-notext")
        summary.fit_to(plan.summary_rows, compact=stacked)
        if text.display != plan.text:
            text.display = plan.text
            if plan.text:
                screen.story.refresh_text()

    def reading_changed(self, reading: bool) -> None:
        screen, story = self.screen, self.screen.story
        screen.set_class(reading, "-reading")
        screen.refresh_bindings()
        text = screen.query_one(ArticleText)
        lst = screen.query_one(ArticleList)
        if reading:
            self._list_offset = lst.cursor - int(lst.scroll_y)  # the cursor's row on screen, kept for later
            screen.query_one("#search", Input).display = False
            text.display = True
            stale, story.text_stale = story.text_stale, False
            story.paint_text(scroll=stale)  # with the decision line; at the top unless it was on screen
            text.focus()
        else:
            story.paint_text(scroll=False)
            lst.focus()
            screen.call_after_refresh(self._back_to_list)

    def _back_to_list(self) -> None:
        """Out of the reading view: the story read (or decided on to) under the cursor, on the row
        where the cursor was before."""
        self.relayout()
        lst = self.screen.query_one(ArticleList)
        rows = lst.scrollable_content_region.height or 1
        offset = max(0, min(self._list_offset, rows - 1))
        lst.scroll_to(y=max(0, lst.cursor - offset), animate=False, immediate=True)
