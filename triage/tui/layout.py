"""How the main screen shares its rows between the list, the summary and the text.

Pure arithmetic on the body's height and the current story's summary, so it is tested without a
terminal. The choices, for a person deciding from the summary:

- Wide terminals (three panes): the summary sits over the text and takes what it needs up to half
  the height, as before; when its sentences and first line of chips need more, the text gives way
  (it keeps `WIDE_TEXT_MIN` rows).
- Small terminals (stacked): the list over the summary. The list keeps `LIST_SHARE` of the rows
  (7 of 22 at 80x24), so it does not jump as the cursor moves; a story whose sentences and first
  line of chips need more takes rows from the list, down to `LIST_MIN`. Only past that does the
  panel leave out whole sentences (and says how many). A story whose whole summary needs fewer rows
  than are left gives the rest back to the list (once its summary is there: while it is being
  analysed the list keeps its share, so it does not grow and shrink back). The text is in the
  reading view (enter), unless the terminal is tall enough (`STACKED_TEXT_FROM` rows) to show it
  under the summary too.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LIST_MIN", "LIST_SHARE", "STACKED_TEXT_FROM", "Plan", "plan_layout"]

LIST_SHARE = 0.3  # of the body's rows, for the list on small terminals
LIST_MIN = 3  # the cursor's row and one either side
STACKED_TEXT_FROM = 34  # body rows from which the stacked layout also shows the text (80x36 and up)
STACKED_TEXT_MIN = 8
WIDE_TEXT_MIN = 6


@dataclass(frozen=True)
class Plan:
    """Rows for each pane (borders not counted); list_rows is None in the wide layout (full height)."""

    list_rows: int | None
    summary_rows: int
    text: bool


def plan_layout(body_rows: int, *, stacked: bool, needed: int, full: int, settled: bool = False) -> Plan:
    """Rows for the list, the summary and whether the text shows, for a body `body_rows` high.

    `needed`: the summary's lines for its head, every sentence whole and one line of chips;
    `full`: its lines for everything (more chips, key terms); `settled`: the summary is what it
    will be (not a status while it is worked out), so rows it does not need go to the list."""
    body_rows = max(1, body_rows)
    needed = max(1, needed)
    full = max(needed, full)
    if not stacked:
        summary = min(full, max(1, body_rows // 2 - 1))  # 50% with its border, as the CSS had it
        if summary < needed:
            summary = max(summary, min(needed, body_rows - 1 - WIDE_TEXT_MIN))
        return Plan(None, summary, True)
    list_rows = max(LIST_MIN, round(body_rows * LIST_SHARE))
    if body_rows < STACKED_TEXT_FROM:
        summary = max(1, body_rows - list_rows - 1)  # 1: the border under the list
        if settled and full < summary:
            summary = full
        if summary < needed:
            summary = max(summary, min(needed, body_rows - LIST_MIN - 1))
        return Plan(body_rows - 1 - summary, summary, False)
    room = body_rows - list_rows - 2 - STACKED_TEXT_MIN  # 2: borders under the list and the summary
    summary = max(1, min(full, room))
    if summary < needed:
        summary = max(summary, min(needed, body_rows - LIST_MIN - 2 - STACKED_TEXT_MIN))
        list_rows = min(list_rows, body_rows - 2 - STACKED_TEXT_MIN - summary)
    return Plan(list_rows, summary, True)
