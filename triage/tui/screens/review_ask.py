"""The review screen's one-line filter input: ask for one filter (text, user, source, range), apply
it as it is typed (debounced) or on enter, put it back on escape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import DataTable, Input

from triage.infra.when import parse_when
from triage.tui.safe import plain
from triage.tui.screens.review_filter import ReviewFilter, time_bounds

__all__ = ["PROMPTS", "FilterAsk", "FilterHost"]

PROMPTS = {
    "text": ("text", "words in title, note, source, user or id"),
    "user": ("user", "a user name, exactly (empty: everyone)"),
    "source": ("source", "part of a source or feed name, or tag:NAME for a feed folder (empty: all)"),
    "range": ("range", "since [until]: today, 7d, 30d, 2026-11-01, 2026-11-01 2026-11-15 (empty: all)"),
}
DEBOUNCE = 0.25  # seconds after the last letter before the table follows


class FilterHost(Protocol):
    """What the filter input needs of the review screen: its filter, its input and table, a timer."""

    filter: ReviewFilter

    @property
    def filter_input(self) -> Input: ...

    @property
    def table(self) -> DataTable[object]: ...

    def refresh_rows(self) -> None:
        """Filter, sort and redraw the table for the current filter."""
        ...

    def notify(self, message: str, *, severity: SeverityLevel = ..., markup: bool = ...) -> None: ...

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...


class FilterAsk:
    """Owns which filter is being asked for, its value before, and the typing debounce."""

    def __init__(self, host: FilterHost) -> None:
        self.host = host
        self.asking = ""
        self._before = ""
        self._debounce: Timer | None = None

    @property
    def _input(self) -> Input:
        return self.host.filter_input

    def value_of(self, what: str) -> str:
        flt = self.host.filter
        if what == "range":
            return (flt.since + (" " + flt.until if flt.until else "")).strip()
        return str(getattr(flt, what))

    def ask(self, what: str) -> None:
        """Show the input for one filter; Enter applies, Escape cancels."""
        inp = self._input
        label, hint = PROMPTS[what]
        self.asking = what
        self._before = self.value_of(what)
        inp.border_title = f"filter by {label} (Enter apply, Esc cancel)"
        inp.placeholder = hint
        inp.value = plain(self._before, one_line=True)
        inp.add_class("-shown")
        inp.focus()

    def set(self, what: str, value: str) -> None:
        screen = self.host
        if what == "range":
            parts = value.replace("..", " ").split()
            since = parts[0] if parts else ""
            until = parts[1] if len(parts) > 1 else ""
            try:
                time_bounds(ReviewFilter(since=since, until=until), parse_when)
            except ValueError as exc:
                screen.notify(
                    plain(f"Time range not understood: {exc}", one_line=True), severity="error", markup=False
                )
                return
            screen.filter = replace(screen.filter, since=since, until=until)
        else:
            screen.filter = replace(screen.filter, **{what: value})
        screen.refresh_rows()

    def changed(self, value: str) -> None:
        if not self.asking or self.asking == "range" or value == self.value_of(self.asking):
            return
        what = self.asking
        if self._debounce is not None:
            self._debounce.stop()
        def apply() -> None:
            if self.asking == what:
                self.set(what, value)

        self._debounce = self.host.set_timer(DEBOUNCE, apply)

    def submitted(self, value: str) -> None:
        what = self.asking
        self.hide()
        if what:
            self.set(what, value.strip() if what == "range" else value)

    def hide(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self.asking = ""
        self._input.remove_class("-shown")
        self.host.table.focus()

    def cancel(self) -> bool:
        """Escape: close the input and put the filter back; False when no input was open."""
        if not self.asking:
            return False
        what, before = self.asking, self._before
        self.hide()
        if self.value_of(what) != before:
            self.set(what, before)
        return True
