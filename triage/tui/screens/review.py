"""Review screen: every article's current decision in a filterable, sortable table, with a picture of the work."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from triage.model import Decision, DecisionEvent
from triage.tui.keymap import decision_bindings
from triage.tui.safe import plain
from triage.tui.screens.article_view import ArticleViewScreen, decision_text, format_when
from triage.tui.screens.dialogs import toggle_key_panel
from triage.tui.screens.review_filter import (
    COLUMNS,
    DECISION_FILTERS,
    MAX_ROWS,
    RANGES,
    ReviewFilter,
    filter_events,
    haystack,
    sort_events,
    time_bounds,
)
from triage.tui.widgets.activity import Activity, ActivityChart, activity_of

__all__ = [
    "COLUMNS",
    "DECISION_FILTERS",
    "MAX_ROWS",
    "RANGES",
    "ReviewFilter",
    "ReviewScreen",
    "filter_events",
    "sort_events",
]

log = logging.getLogger(__name__)


WIDE = 110  # from this terminal width on, the user and note columns are shown

def _fit(value: str, width: int) -> Text:
    """Untrusted one-line text as literal Text cut to `width` cells with an ellipsis."""
    text = Text(plain(value, one_line=True), no_wrap=True, overflow="ellipsis", end="")
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


_PROMPTS = {
    "text": ("text", "words in title, note, source, user or id"),
    "user": ("user", "part of a user name (empty: everyone)"),
    "source": ("source", "part of a source or feed name, or tag:NAME for a feed folder (empty: all)"),
    "range": ("range", "since [until]: today, 7d, 30d, 2026-11-01, 2026-11-01 2026-11-15 (empty: all)"),
}


class ReviewScreen(Screen):
    """Decisions made so far: filter, sort, open an article, change or clear its decision."""

    _DECIDE = Binding.Group("decide ")
    _FILTER = Binding.Group("filter ")
    _SORT = Binding.Group("sort ")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("enter", "open", "Open", show=False),
        *decision_bindings(clear=True, group=_DECIDE),
        Binding("u", "undo", "Undo"),
        Binding("d", "cycle_decision", "Decision", group=_FILTER),
        Binding("t", "cycle_range", "Today/7d/30d/all", group=_FILTER),
        Binding("slash", "ask('text')", "Search text", group=_FILTER),
        Binding("S", "ask('source')", "Source", group=_FILTER),
        Binding("U", "ask('user')", "User", group=_FILTER),
        Binding("T", "ask('range')", "Date range", group=_FILTER),
        Binding("0", "reset_filters", "Reset filters", group=_FILTER),
        Binding("s", "cycle_sort", "Sort column", group=_SORT),
        Binding("r", "reverse_sort", "Reverse sort", group=_SORT),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("question_mark", "keys", "Keys", show=False),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]

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

    def __init__(self, service, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.service = service
        self.filter = ReviewFilter()
        self.sort_column = "when"
        self.sort_descending = True
        self.today: date = date.today()
        self._by_id: dict[str, DecisionEvent] = {}
        self._hay: dict[str, str] = {}
        self._matched: list[DecisionEvent] = []
        self._shown_ids: list[str] = []
        self._layout: tuple[tuple[str, int], ...] = ()
        self._asking = ""
        self._before_ask = ""
        self._debounce = None
        self._seen = -1
        self._asked = 0  # generation of the last refresh_rows; the Rows of an older one are dropped
        self._answered = 0  # generation of the rows shown
        self.loaded = False

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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rv-table", DataTable).focus()
        self._show_filters()
        self.load()
        seconds = float(self.service.settings.get("store.poll_seconds", 1.0) or 0)
        if seconds > 0:
            self.set_interval(max(0.5, seconds), self._poll)

    def _poll(self) -> None:
        if self.loaded and not self._asking and self.app.screen is self:
            self.poll_store()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-poll")
    def poll_store(self) -> None:
        """Pick up decisions other processes wrote (a cheap stat when nothing changed)."""
        try:
            # Through the service, so the main screen's view of decisions is refreshed too (the store
            # reports a change once: whoever asks first must pass it on).
            self.service.refresh_decisions()
            count = self.service.event_count()
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
            seen = self.service.event_count()
            by_id: dict[str, DecisionEvent] = {}
            for ev in self.service.current_events().values():  # cleared articles included; the newest wins
                old = by_id.get(ev.article_id)
                if old is None or ev.at >= old.at:
                    by_id[ev.article_id] = ev
            hay = {aid: haystack(ev) for aid, ev in by_id.items()}
        except Exception as exc:
            log.exception("review: reading decisions failed")
            self.post_message(self.Loaded({}, error=str(exc)))
        else:
            self.post_message(self.Loaded(by_id, hay, seen))

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
            since, until = time_bounds(self.filter, self.service.parse_when)
        except ValueError as exc:
            self.notify(f"Time range not understood: {exc}", severity="error", markup=False)
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
                                    tags=self.service.source_tags)
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

    def _columns_for(self, width: int) -> tuple[tuple[str, int], ...]:
        usable = max(40, width - 2)  # the vertical scrollbar
        if width < WIDE:
            fixed = {"when": 11, "decision": 9, "source": 12}
            title = usable - sum(fixed.values()) - 2 * 4
            return (("when", 11), ("decision", 9), ("title", max(10, title)), ("source", 12))
        fixed = {"when": 16, "decision": 9, "source": 16, "user": 10}
        rest = usable - sum(fixed.values()) - 2 * 6
        title = max(20, rest * 3 // 5)
        note = max(10, rest - title)
        return (("when", 16), ("decision", 9), ("title", title), ("source", 16), ("user", 10), ("note", note))

    def _label(self, name: str) -> Text:
        label = Text(name)
        if name == self.sort_column:
            label.append(" ▼" if self.sort_descending else " ▲", style="bold")
        return label

    def _fill_table(self, keep: str | None = None) -> None:
        table = self.query_one("#rv-table", DataTable)
        if keep is None and self._shown_ids and 0 <= table.cursor_row < len(self._shown_ids):
            keep = self._shown_ids[table.cursor_row]
        old_row = table.cursor_row
        layout = self._columns_for(self.size.width or 80)
        self._layout = layout
        table.clear(columns=True)
        for name, width in layout:
            table.add_column(self._label(name), width=width, key=name)
        short = layout[0][1] < 16
        shown = self._matched[:MAX_ROWS]
        self._shown_ids = [ev.article_id for ev in shown]
        widths = dict(layout)
        show_notes = "note" in widths
        rows = []
        for ev in shown:
            cells = []
            for name, width in layout:
                if name == "when":
                    cells.append(Text(format_when(ev.at, short=short), style="dim", end=""))
                elif name == "decision":
                    cells.append(decision_text(ev.decision))
                elif name == "title" and not ev.title:
                    cells.append(Text(plain(ev.article_id, one_line=True), style="dim italic", end=""))
                elif name == "title" and ev.note and not show_notes:  # the note column is hidden
                    cell = Text("✎ ", style="bold", end="")
                    cell.append_text(_fit(ev.title, widths[name] - 2))
                    cells.append(cell)
                else:
                    cells.append(_fit(getattr(ev, name), widths[name]))
            rows.append(cells)
        for ev, cells in zip(shown, rows):
            table.add_row(*cells, key=ev.article_id)
        if not shown:
            return
        target = old_row
        if keep is not None:
            try:
                target = self._shown_ids.index(keep)
            except ValueError:
                pass
        table.move_cursor(row=max(0, min(target, len(shown) - 1)), animate=False)

    def _show_status(self) -> None:
        total, matched = len(self._by_id), len(self._matched)
        out = Text("Review ", style="bold")
        if not total:
            out.append("no decisions recorded yet: decide with f, a, x on the main screen", style="italic")
            self.query_one("#rv-status", Static).update(out)
            return
        out.append(f"{matched:,} of {total:,} articles")
        if matched > MAX_ROWS:
            out.append(f" · showing first {MAX_ROWS:,}: refine the filter", style="yellow")
        out.append("  ⏎ open · ? keys · / S U T filter · 0 reset", style="dim")
        out.truncate(max(20, (self.size.width or 80) - 2), overflow="ellipsis")
        self.query_one("#rv-status", Static).update(out)

    def _show_filters(self) -> None:
        f = self.filter
        out = Text()

        def part(label: str, value: str, default: str) -> None:
            out.append(f"{label}:", style="bold" if value else "dim")
            out.append(plain(value, one_line=True) if value else default, style="" if value else "dim")
            out.append("  ")

        part("decision", "" if f.decision == "all" else f.decision, "all")
        when = f.since + (f" → {f.until}" if f.until else "")
        part("when", when, "all")
        part("user", f.user, "any")
        part("source", f.source, "any")
        part("text", f.text, "—")
        out.append(f"sort:{self.sort_column}{' ▼' if self.sort_descending else ' ▲'}", style="dim")
        self.query_one("#rv-filters", Static).update(out)

    def on_resize(self) -> None:
        if self.loaded and self._columns_for(self.size.width) != self._layout:
            self._fill_table()
            self._show_status()

    # -- the row under the cursor ----------------------------------------------------------------
    def _cursor_event(self) -> DecisionEvent | None:
        table = self.query_one("#rv-table", DataTable)
        if not self._shown_ids or not (0 <= table.cursor_row < len(self._shown_ids)):
            return None
        return self._by_id.get(self._shown_ids[table.cursor_row])

    def _apply(self, events: Iterable[DecisionEvent], keep: str | None = None) -> None:
        try:
            self._seen = self.service.event_count()  # our own writes need no reload
        except Exception:  # a store failing here failed the write already, and said so
            log.exception("review: counting events failed")
        for ev in events:
            old = self._by_id.get(ev.article_id)
            if old is None or ev.at >= old.at:
                self._by_id[ev.article_id] = ev
                self._hay[ev.article_id] = haystack(ev)
        self.refresh_rows(keep)

    # -- actions ---------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        table = self.query_one("#rv-table", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)), animate=False)

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

    def action_decide(self, value: str) -> None:
        """Change (f/a/x) or clear (c) the decision of the row under the cursor, keeping its note."""
        ev = self._cursor_event()
        if ev is None:
            return
        decision = None if value == "clear" else Decision(value)
        # Shown at once; the write happens on the service's writer thread, which says saved or NOT saved.
        action = self.service.decide_soon([ev.article_id], decision, note=ev.note)
        self._apply(self.service.events_of(action), keep=ev.article_id)

    def action_undo(self) -> None:
        """Undo this session's last action (a decision, a note or a batch), nothing else."""
        action = self.service.undo_last()
        if action is None:
            self.notify("Nothing to undo in this session.", timeout=2, markup=False)
            return
        self._apply(self.service.events_of(action), keep=action.ids[0] if action.ids else None)

    def action_cycle_decision(self) -> None:
        i = DECISION_FILTERS.index(self.filter.decision)
        self.filter = replace(self.filter, decision=DECISION_FILTERS[(i + 1) % len(DECISION_FILTERS)])
        self.refresh_rows()

    def action_cycle_range(self) -> None:
        """Cycle the time range: all, today, 7 days, 30 days (a custom range goes back to today)."""
        current = self.filter.since if not self.filter.until and self.filter.since in RANGES else None
        i = RANGES.index(current) if current is not None else (0 if self.filter.since else -1)
        if not self.filter.since and not self.filter.until:
            i = 0
        nxt = RANGES[(i + 1) % len(RANGES)]
        self.filter = replace(self.filter, since="" if nxt == "all" else nxt, until="")
        self.refresh_rows()

    def action_cycle_sort(self) -> None:
        names = [name for name, _ in self._layout] or list(COLUMNS)
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

    # -- the one-line filter input ---------------------------------------------------------------
    def _field_value(self, what: str) -> str:
        if what == "range":
            return (self.filter.since + (" " + self.filter.until if self.filter.until else "")).strip()
        return getattr(self.filter, what)

    def action_ask(self, what: str) -> None:
        """Show the input for one filter (text, user, source, range); Enter applies, Escape cancels."""
        inp = self.query_one("#rv-input", Input)
        label, hint = _PROMPTS[what]
        self._asking = what
        self._before_ask = self._field_value(what)
        inp.border_title = f"filter by {label} (Enter apply, Esc cancel)"
        inp.placeholder = hint
        inp.value = self._before_ask
        inp.add_class("-shown")
        inp.focus()

    def _set_field(self, what: str, value: str) -> None:
        if what == "range":
            parts = value.replace("..", " ").split()
            since = parts[0] if parts else ""
            until = parts[1] if len(parts) > 1 else ""
            try:
                time_bounds(ReviewFilter(since=since, until=until), self.service.parse_when)
            except ValueError as exc:
                self.notify(f"Time range not understood: {exc}", severity="error", markup=False)
                return
            self.filter = replace(self.filter, since=since, until=until)
        else:
            self.filter = replace(self.filter, **{what: value})
        self.refresh_rows()

    def on_input_changed(self, message: Input.Changed) -> None:
        if not self._asking or self._asking == "range" or message.value == self._field_value(self._asking):
            return
        what, value = self._asking, message.value
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, lambda: self._asking == what and self._set_field(what, value))

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        what = self._asking
        self._hide_input()
        if what:
            self._set_field(what, message.value.strip() if what == "range" else message.value)

    def _hide_input(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._asking = ""
        self.query_one("#rv-input", Input).remove_class("-shown")
        self.query_one("#rv-table", DataTable).focus()

    def action_keys(self) -> None:
        """Show or hide the panel listing every key of this screen."""
        toggle_key_panel(self)

    def action_close(self) -> None:
        """Escape: cancel the filter input if it is open, else go back to the main screen."""
        if self._asking:
            what, before = self._asking, self._before_ask
            self._hide_input()
            if self._field_value(what) != before:
                self._set_field(what, before)
            return
        self.dismiss(None)
