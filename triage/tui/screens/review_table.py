"""The review screen's table: columns for the terminal's width, one row per decision event shown
(untrusted cells as literal, cleaned Text), and the row under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from triage.model import DecisionEvent
from triage.tui.format import BANNER_STYLE, DECISION_STYLES, local_when, story_word
from triage.tui.safe import plain
from triage.tui.screens.review_filter import MAX_ROWS, ReviewFilter

__all__ = ["WIDE", "ReviewTable", "filters_line", "fit_cell", "status_line"]

WIDE = 110  # from this terminal width on, the user and note columns are shown


def fit_cell(value: str, width: int) -> Text:
    """Untrusted one-line text as literal Text cut to `width` cells with an ellipsis."""
    text = Text(plain(value, one_line=True), no_wrap=True, overflow="ellipsis", end="")
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


def columns_for(width: int) -> tuple[tuple[str, int], ...]:
    """(column, cells) for a terminal `width` wide: user and note only from WIDE columns on."""
    usable = max(40, width - 2)  # the vertical scrollbar
    if width < WIDE:
        title = usable - (11 + 9 + 12) - 2 * 4
        return (("when", 11), ("decision", 9), ("title", max(10, title)), ("source", 12))
    rest = usable - (16 + 9 + 16 + 10) - 2 * 6
    title = max(20, rest * 3 // 5)
    return (
        ("when", 16),
        ("decision", 9),
        ("title", title),
        ("source", 16),
        ("user", 10),
        ("note", max(10, rest - title)),
    )


def _cells(ev: DecisionEvent, layout: tuple[tuple[str, int], ...], mark: str = "") -> list[Text]:
    """One row's cells; `mark` (KILLED, WITHHELD) goes before the title, loud, as in the list."""
    widths = dict(layout)
    short = layout[0][1] < 16
    cells = []
    for name, width in layout:
        if name == "when":
            cells.append(Text(local_when(ev.at, "short" if short else "full"), style="dim", end=""))
        elif name == "decision":
            cells.append(Text(story_word(ev), style=DECISION_STYLES[ev.decision], end=""))
        elif name == "title" and not ev.title:
            cells.append(Text(plain(ev.article_id, one_line=True), style="dim italic", end=""))
        elif name == "title" and ev.note and "note" not in widths:  # the note column is hidden
            cell = Text("✎ ", style="bold", end="")
            cell.append_text(fit_cell(ev.title, width - 2))
            cells.append(cell)
        else:
            cells.append(fit_cell(getattr(ev, name), width))
        if name == "title" and mark:
            cell = Text(mark, style=BANNER_STYLE, end="")
            cell.append(" ")
            cell.append_text(cells[-1])
            cell.truncate(width, overflow="ellipsis")
            cells[-1] = cell
    return cells


class ReviewTable:
    """Owns what the DataTable shows: its column layout and the ids of its rows, in order."""

    def __init__(self, table: DataTable) -> None:
        self.table = table
        self.layout: tuple[tuple[str, int], ...] = ()
        self.shown_ids: list[str] = []

    def fits(self, width: int) -> bool:
        return columns_for(width) == self.layout

    def cursor_id(self) -> str | None:
        row = self.table.cursor_row
        return self.shown_ids[row] if self.shown_ids and 0 <= row < len(self.shown_ids) else None

    def fill(
        self, matched: list[DecisionEvent], width: int, sort: tuple[str, bool], keep: str | None = None,
        marks: dict[str, str] | None = None,
    ) -> None:
        """Show the first MAX_ROWS of `matched`; the row `keep` (else the cursor's) stays under the cursor;
        `marks`: article id -> KILLED / WITHHELD."""
        marks = marks or {}
        table = self.table
        if keep is None:
            keep = self.cursor_id()
        old_row = table.cursor_row
        self.layout = layout = columns_for(width or 80)
        table.clear(columns=True)
        column, descending = sort
        for name, cells in layout:
            label = Text(name)
            if name == column:
                label.append(" ▼" if descending else " ▲", style="bold")
            table.add_column(label, width=cells, key=name)
        shown = matched[:MAX_ROWS]
        self.shown_ids = [ev.article_id for ev in shown]
        for ev in shown:
            table.add_row(*_cells(ev, layout, marks.get(ev.article_id, "")), key=ev.article_id)
        if not shown:
            return
        target = old_row
        if keep is not None and keep in self.shown_ids:
            target = self.shown_ids.index(keep)
        table.move_cursor(row=max(0, min(target, len(shown) - 1)), animate=False)


def status_line(matched: int, total: int, width: int) -> Text:
    """'Review 12 of 40 articles  ⏎ open · ? keys ...', cut to the width."""
    out = Text("Review ", style="bold")
    if not total:
        out.append("no decisions recorded yet: decide with f, a, x on the main screen", style="italic")
        return out
    out.append(f"{matched:,} of {total:,} articles")
    if matched > MAX_ROWS:
        out.append(f" · showing first {MAX_ROWS:,}: refine the filter", style="yellow")
    out.append("  ⏎ open · ? keys · / S U T filter · 0 reset", style="dim")
    out.truncate(max(20, width - 2), overflow="ellipsis")
    return out


def filters_line(f: ReviewFilter, sort_column: str, descending: bool) -> Text:
    """Every filter and the sort, as typed (cleaned), on one line."""
    out = Text()

    def part(label: str, value: str, default: str) -> None:
        out.append(f"{label}:", style="bold" if value else "dim")
        out.append(plain(value, one_line=True) if value else default, style="" if value else "dim")
        out.append("  ")

    part("decision", "" if f.decision == "all" else f.decision, "all")
    part("when", f.since + (f" → {f.until}" if f.until else ""), "all")
    part("user", f.user, "any")
    part("source", f.source, "any")
    part("text", f.text, "—")
    out.append(f"sort:{sort_column}{' ▼' if descending else ' ▲'}", style="dim")
    return out
