"""Review screen: every article's current decision in a filterable, sortable table, with a picture of
the work."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from triage.core import haystack
from triage.core.versions import one_row_per_story
from triage.infra.when import parse_when
from triage.model import Decision, DecisionEvent
from triage.tui.format import kill_word
from triage.tui.keymap import bindings
from triage.tui.safe import plain
from triage.tui.screens.article_view import ArticleViewScreen
from triage.tui.screens.desk import ask_if_held_on
from triage.tui.screens.dialogs import toggle_key_panel
from triage.tui.screens.review_ask import FilterAsk
from triage.tui.screens.review_filter import (
    COLUMNS,
    DECISION_FILTERS,
    RANGES,
    ReviewFilter,
    filter_events,
    sort_events,
    time_bounds,
)
from triage.tui.screens.review_table import ReviewTable, filters_line, status_line
from triage.tui.widgets.activity import Activity, ActivityChart, activity_of
from triage.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from triage.core.service import TriageService

__all__ = ["ReviewScreen"]

log = logging.getLogger(__name__)


class ReviewScreen(Screen):
    """Decisions made so far: filter, sort, open an article, change or clear its decision."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("review")

    DEFAULT_CSS = """
    ReviewScreen #rv-status { height: 1; padding: 0 1; background: $panel; }
    ReviewScreen #rv-filters { height: 1; padding: 0 1; color: $text-muted; }
    ReviewScreen #rv-table { height: 1fr; }
    ReviewScreen #rv-input { display: none; height: 3; }
    ReviewScreen #rv-input.-shown { display: block; }
    """

    @dataclass
    class Loaded(Message):
        """The current decisions were read from the store (in a worker thread)."""

        by_id: dict[str, DecisionEvent]  # article id -> its current decision event (cleared included)
        hay: dict[str, str] | None = None  # article id -> haystack(event), built off the event loop
        seen: int = -1  # events in the store when read
        error: str = ""
        marks: dict[str, str] | None = None  # article id -> KILLED / WITHHELD, for stories the wire stopped

    @dataclass
    class Rows(Message):
        """The rows matching the filter, sorted, and the chart's counts (worked out in a worker thread)."""

        generation: int
        matched: list[DecisionEvent]
        activity: Activity
        keep: str | None

    @dataclass
    class StoreChanged(Message):
        """Another process wrote decisions: the table reloads."""

        count: int

    def __init__(self, service: TriageService, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.service = service
        self._articles, self._decisions = service.faces.articles, service.faces.decisions
        self.filter = ReviewFilter()
        self.sort_column = "when"
        self.sort_descending = True
        self.today: date = date.today()
        self._by_id: dict[str, DecisionEvent] = {}
        self._hay: dict[str, str] = {}
        self._marks: dict[str, str] = {}
        self._matched: list[DecisionEvent] = []
        self.ask = FilterAsk(self)
        self.rows: ReviewTable | None = None  # the table's part, once composed
        self._seen = -1
        self._asked = 0  # generation of the last refresh_rows; the Rows of an older one are dropped
        self._answered = 0  # generation of the rows shown
        self.loaded = False

    @property
    def filter_input(self) -> Input:
        return self.query_one("#rv-input", Input)

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#rv-table", DataTable)

    @property
    def settled(self) -> bool:
        """Loaded, and the table shows the current filter and sort (no rows being worked out)."""
        return self.loaded and self._answered == self._asked

    # -- building --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("Review: loading decisions…"), id="rv-status")
        yield Static(id="rv-filters")
        yield ActivityChart(id="rv-chart")
        table: DataTable = DataTable(id="rv-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Input(id="rv-input", compact=False)
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.rows = ReviewTable(self.query_one("#rv-table", DataTable))
        self.rows.table.focus()
        self._show_filters()
        self.load()
        seconds = self.service.settings.store.poll_seconds
        if seconds > 0:
            self.set_interval(max(0.5, seconds), self._poll)

    def _poll(self) -> None:
        if self.loaded and not self.ask.asking and self.app.screen is self:
            self.poll_store()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-poll")
    def poll_store(self) -> None:
        """Pick up decisions other processes wrote (a cheap stat when nothing changed)."""
        try:
            # Through the service, so the main screen's view of decisions is refreshed too (the store
            # reports a change once: whoever asks first must pass it on).
            self.service.refresh_decisions()
            count = self._decisions.event_count()
        except Exception:
            log.exception("review: polling the store failed")
            return
        if count != self._seen:
            self.post_message(self.StoreChanged(count))

    def on_review_screen_store_changed(self, message: StoreChanged) -> None:
        if message.count != self._seen:
            self._seen = message.count
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-load")
    def load(self) -> None:
        """Read every article's current decision from the store, off the event loop."""
        try:
            seen = self._decisions.event_count()
            by_id: dict[str, DecisionEvent] = {}
            for ev in self._decisions.current_events().values():  # cleared articles included; the newest wins
                old = by_id.get(ev.article_id)
                if old is None or ev.at >= old.at:
                    by_id[ev.article_id] = ev
            by_id = one_row_per_story(by_id, self._articles.leader_of)
            by_id = {aid: self._titled(ev) for aid, ev in by_id.items()}
            hay = {aid: haystack(ev) for aid, ev in by_id.items()}
            marks = {aid: word for aid in by_id if (word := self._mark_of(aid))}
        except Exception as exc:
            log.exception("review: reading decisions failed")
            self.post_message(self.Loaded({}, error=str(exc)))
        else:
            self.post_message(self.Loaded(by_id, hay, seen, marks=marks))

    def _titled(self, ev: DecisionEvent) -> DecisionEvent:
        """The event with its story's headline where it kept none (a note on a story never decided
        is written without one): a row names the story, never only its id."""
        if ev.title:
            return ev
        art = self._articles.article(ev.article_id)
        if art is None or not art.title:
            return ev
        return replace(ev, title=art.title, source=ev.source or art.source, url=ev.url or art.url)

    def _mark_of(self, article_id: str) -> str:
        """KILLED or WITHHELD when the wire stopped the story as it is in the inbox now, else ""."""
        art = self._articles.article(article_id)
        return kill_word(art) if art is not None else ""

    def on_review_screen_loaded(self, message: Loaded) -> None:
        if message.error:
            self.query_one("#rv-status", Static).update(
                Text(
                    f"Review: the decisions could not be read ({plain(message.error, one_line=True)}).",
                    style="bold red",
                )
            )
            return
        self._by_id = message.by_id
        self._hay = message.hay if message.hay is not None else {}
        self._marks = message.marks or {}
        self._seen = message.seen
        self.today = date.today()  # local: the chart's days are local days
        self.loaded = True
        self.refresh_rows()

    # -- rows ------------------------------------------------------------------------------------
    def refresh_rows(self, keep: str | None = None) -> None:
        """Filter, sort and redraw the table (at most MAX_ROWS rows) and the chart.

        The filter line changes at once; matching, sorting and counting (whose cost grows with the
        decisions: 100,000 take about a second) run in a worker thread, and the table follows."""
        try:
            since, until = time_bounds(self.filter, parse_when)
        except ValueError as exc:
            self.notify(plain(f"Time range not understood: {exc}", one_line=True), severity="error",
                        markup=False)
            self.filter = replace(self.filter, since="", until="")
            since = until = None
        self._show_filters()
        self._asked += 1
        self._match(self._asked, list(self._by_id.values()), self.filter, (since, until),
                    (self.sort_column, self.sort_descending), keep)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-rows")
    def _match(self, generation: int, events: list[DecisionEvent], flt: ReviewFilter,
               bounds: tuple[str | None, str | None], sort: tuple[str, bool], keep: str | None) -> None:
        # Everything it reads is a snapshot taken on the event loop, but for the haystack cache, which
        # it only reads (the loop replaces single entries when it changes a row).
        try:
            matched = filter_events(events, flt, since=bounds[0], until=bounds[1], hay=self._hay,
                                    tags=self._articles.source_tags)
            rows = sort_events(matched, *sort)
            activity = activity_of(matched, self.today)
        except Exception:  # a bug here must not leave the table stale without a word
            log.exception("review: matching the decisions failed")
            self.app.call_from_thread(self.notify, "Review: the rows could not be worked out (see the log).",
                                      severity="error", markup=False)
            return
        self.post_message(self.Rows(generation, rows, activity, keep))

    def on_review_screen_rows(self, message: Rows) -> None:
        if message.generation != self._asked:
            return  # a newer filter or sort is being worked out
        self._answered = message.generation
        self._matched = message.matched
        self.query_one("#rv-chart", ActivityChart).show(message.activity)
        self._fill_table(message.keep)
        self._show_status()

    def _fill_table(self, keep: str | None = None) -> None:
        if self.rows is not None:
            self.rows.fill(self._matched, self.size.width, (self.sort_column, self.sort_descending), keep,
                           marks=self._marks)

    def _show_status(self) -> None:
        line = status_line(len(self._matched), len(self._by_id), self.size.width or 80)
        self.query_one("#rv-status", Static).update(line)

    def _show_filters(self) -> None:
        line = filters_line(self.filter, self.sort_column, self.sort_descending)
        self.query_one("#rv-filters", Static).update(line)

    def on_resize(self) -> None:
        if self.loaded and self.rows is not None and not self.rows.fits(self.size.width):
            self._fill_table()
            self._show_status()

    # -- the row under the cursor ----------------------------------------------------------------
    def _cursor_event(self) -> DecisionEvent | None:
        aid = self.rows.cursor_id() if self.rows is not None else None
        return self._by_id.get(aid) if aid else None

    def _apply(self, events: Iterable[DecisionEvent], keep: str | None = None) -> None:
        try:
            self._seen = self._decisions.event_count()  # our own writes need no reload
        except Exception:  # a store failing here failed the write already, and said so
            log.exception("review: counting events failed")
        events = [self._titled(ev) for ev in events]
        for ev in events:
            old = self._by_id.get(ev.article_id)
            if old is None or ev.at >= old.at:
                self._by_id[ev.article_id] = ev
                self._hay[ev.article_id] = haystack(ev)
        touched = {ev.article_id: ev for ev in events}
        for aid, story in ((aid, self._articles.leader_of(aid)) for aid in touched):
            # one row per story: a member decided with its row goes back under it
            if story != aid and story in self._by_id and aid in self._by_id:
                mine, row = self._by_id[aid], self._by_id[story]
                if (mine.decision, mine.note) == (row.decision, row.note):
                    self._by_id.pop(aid)
                    self._hay.pop(aid, None)
            word = self._mark_of(aid)
            if word:
                self._marks[aid] = word
            else:
                self._marks.pop(aid, None)
        self.refresh_rows(keep)

    # -- actions ---------------------------------------------------------------------------------
    def _step(self, step: int) -> None:
        table = self.query_one("#rv-table", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)), animate=False)

    def action_down(self) -> None:
        self._step(1)

    def action_up(self) -> None:
        self._step(-1)

    def action_top(self) -> None:
        table = self.query_one("#rv-table", DataTable)
        if table.row_count:
            table.move_cursor(row=0, animate=False)

    def action_bottom(self) -> None:
        table = self.query_one("#rv-table", DataTable)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        self.action_open()

    def on_data_table_header_selected(self, message: DataTable.HeaderSelected) -> None:
        message.stop()
        name = str(message.column_key.value)
        if name == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column, self.sort_descending = name, name == "when"
        self.refresh_rows()

    def action_open(self) -> None:
        """Open the article under the cursor: summary, history, text."""
        ev = self._cursor_event()
        if ev is None:
            return
        aid = ev.article_id

        def done(written: list[DecisionEvent] | None) -> None:
            if written:
                self._apply(written, keep=aid)

        self.app.push_screen(ArticleViewScreen(self.service, aid, ev), done)

    def action_clear(self) -> None:
        self.action_decide("clear")

    def action_decide(self, value: str) -> None:
        """Change (f/a/x) or clear (backspace) the decision of the row under the cursor, keeping its note."""
        ev = self._cursor_event()
        if ev is None:
            return
        decision = None if value == "clear" else Decision.parse(value)

        def go() -> None:
            # Shown at once; the service's writer thread saves it and says saved or NOT saved.
            action = self.service.decide_soon([ev.article_id], decision, note=ev.note)
            self._apply(self._decisions.events_of(action), keep=ev.article_id)

        ask_if_held_on(self, self.service.faces.desk, [ev.article_id], go)

    def action_undo(self) -> None:
        """Undo this session's last action (a decision, a note or a batch), nothing else."""
        action = self.service.undo_last()
        if action is None:
            self.notify("Nothing to undo in this session.", timeout=2, markup=False)
            return
        self._apply(self._decisions.events_of(action), keep=action.ids[0] if action.ids else None)

    def action_filter_decision(self) -> None:
        i = DECISION_FILTERS.index(self.filter.decision)
        self.filter = replace(self.filter, decision=DECISION_FILTERS[(i + 1) % len(DECISION_FILTERS)])
        self.refresh_rows()

    def action_filter_days(self) -> None:
        """Cycle the time range: all, today, 7 days, 30 days (a custom range goes back to today)."""
        current = self.filter.since if not self.filter.until and self.filter.since in RANGES else None
        i = RANGES.index(current) if current is not None else (0 if self.filter.since else -1)
        if not self.filter.since and not self.filter.until:
            i = 0
        nxt = RANGES[(i + 1) % len(RANGES)]
        self.filter = replace(self.filter, since="" if nxt == "all" else nxt, until="")
        self.refresh_rows()

    def action_sort(self) -> None:
        names = [name for name, _ in (self.rows.layout if self.rows else ())] or list(COLUMNS)
        i = names.index(self.sort_column) if self.sort_column in names else -1
        self.sort_column = names[(i + 1) % len(names)]
        self.sort_descending = self.sort_column == "when"
        self.refresh_rows()

    def action_reverse_sort(self) -> None:
        self.sort_descending = not self.sort_descending
        self.refresh_rows()

    def action_reset_filters(self) -> None:
        self.filter = ReviewFilter()
        self.refresh_rows()

    def action_reload(self) -> None:
        self.load()

    # -- the one-line filter input (FilterAsk) --------------------------------------------------
    def action_search(self) -> None:
        self.ask.ask("text")

    def action_source_filter(self) -> None:
        self.ask.ask("source")

    def action_filter_user(self) -> None:
        self.ask.ask("user")

    def action_filter_range(self) -> None:
        self.ask.ask("range")

    def on_input_changed(self, message: Input.Changed) -> None:
        self.ask.changed(message.value)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.ask.submitted(message.value)

    def action_help(self) -> None:
        """Show or hide the panel listing every key of this screen."""
        toggle_key_panel(self)

    def action_back(self) -> None:
        """Escape: cancel the filter input if it is open, else go back to the main screen."""
        if not self.ask.cancel():
            self.dismiss(None)

    def action_quit(self) -> None:
        self.dismiss(None)
