"""The main screen's panes: their heights for the terminal and the story (see triage.tui.layout),
and going into and out of the reading view with the reader's place kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.widget import Widget
from textual.widgets import Input

from triage.tui.layout import plan_layout
from triage.tui.screens.host import HasList
from triage.tui.screens.story import StoryPane
from triage.tui.widgets.reader import ArticleText, SummaryPanel

__all__ = ["Panes", "PanesHost"]


class PanesHost(HasList, Protocol):
    """What the panes need of their screen: the widgets they size, its size classes, its key bindings."""

    @property
    def body(self) -> Widget: ...

    @property
    def summary_panel(self) -> SummaryPanel: ...

    @property
    def article_text(self) -> ArticleText: ...

    @property
    def search_box(self) -> Input: ...

    @property
    def reading(self) -> bool: ...

    @property
    def stacked(self) -> bool: ...

    def set_class(self, add: bool, *class_names: str) -> object: ...

    def refresh_bindings(self) -> None: ...

    def call_after_refresh(self, callback: Callable[[], object]) -> bool: ...


class Panes:
    """Sizes the list, the summary and the text; owns the cursor's row kept across the reading view."""

    def __init__(self, host: PanesHost, story: StoryPane) -> None:
        self.host = host
        self.story = story
        self._list_offset = 0  # the cursor's row in the list when the reading view opened

    def relayout(self) -> None:
        screen = self.host
        body = screen.body
        lst = screen.article_list
        summary = screen.summary_panel
        text = screen.article_text
        if screen.reading:
            text.display = True
            self.story.refresh_text()
            return
        if not body.size.height:
            return
        stacked = screen.stacked
        lines = summary.lines_for()
        plan = plan_layout(body.size.height, stacked=stacked, needed=lines.needed, full=lines.full,
                           settled=summary.settled)
        # +1: the border under it (list_rows is None in the wide layout: full height)
        lst.styles.height = plan.list_rows + 1 if stacked and plan.list_rows is not None else None
        summary.styles.height = plan.summary_rows + (1 if plan.text else 0)
        screen.set_class(not plan.text, "-notext")
        summary.fit_to(plan.summary_rows, compact=stacked)
        if text.display != plan.text:
            text.display = plan.text
            if plan.text:
                self.story.refresh_text()

    def reading_changed(self, reading: bool) -> None:
        screen, story = self.host, self.story
        screen.set_class(reading, "-reading")
        screen.refresh_bindings()
        text = screen.article_text
        lst = screen.article_list
        if reading:
            self._list_offset = lst.cursor - int(lst.scroll_y)  # the cursor's row on screen, kept for later
            screen.search_box.display = False
            text.display = True
            story.paint_for_reading()
            text.focus()
        else:
            story.paint_text(scroll=False)
            lst.focus()
            screen.call_after_refresh(self._back_to_list)

    def _back_to_list(self) -> None:
        """Out of the reading view: the story read (or decided on to) under the cursor, on the row
        where the cursor was before."""
        self.relayout()
        lst = self.host.article_list
        rows = lst.scrollable_content_region.height or 1
        offset = max(0, min(self._list_offset, rows - 1))
        lst.scroll_to(y=max(0, lst.cursor - offset), animate=False, immediate=True)
