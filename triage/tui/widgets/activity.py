"""A two-line picture of the work: decisions per day over 30 days, counts per decision and per source."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from rich.text import Text
from textual.widgets import Static

from triage.infra.clock import datetime_key
from triage.model import Decision, DecisionEvent
from triage.tui.format import DECISION_STYLES, decision_word
from triage.tui.safe import plain

__all__ = ["Activity", "ActivityChart", "activity_of", "bars", "day_counts", "render_activity"]

BLOCKS = "▁▂▃▄▅▆▇█"
DAYS = 30


def _local_midnight_utc(day: date) -> str:
    """The UTC timestamp (as events write it) of local midnight starting `day`."""
    return datetime_key(datetime.combine(day, time.min).astimezone())


def day_counts(events: Iterable[DecisionEvent], today: date, days: int = DAYS) -> list[int]:
    """How many events fall on each local day of the `days` days ending with `today` (oldest first).

    Event times are UTC text; each is placed by bisecting the UTC instants of local midnights, so
    no timestamp is parsed (100,000 events take a few tens of ms) and DST changes are respected.
    """
    first = today - timedelta(days=days - 1)
    edges = [_local_midnight_utc(first + timedelta(days=i)) for i in range(days + 1)]
    lo, hi = edges[0], edges[-1]
    counts = [0] * days
    for ev in events:
        at = ev.at
        if lo <= at < hi:
            counts[bisect_right(edges, at) - 1] += 1
    return counts


def bars(counts: list[int]) -> Text:
    """One block character per value, scaled to the largest; zero days are a dim dot."""
    top = max(counts, default=0)
    out = Text()
    for n in counts:
        if n == 0:
            out.append("·", style="dim")
        else:
            level = min(len(BLOCKS) - 1, (n * len(BLOCKS) - 1) // top) if top else 0
            out.append(BLOCKS[level], style="cyan")
    return out


@dataclass(frozen=True)
class Activity:
    """What the chart shows, counted once (off the event loop: the cost grows with the decisions)."""

    days: list[int] = field(default_factory=lambda: [0] * DAYS)  # the last DAYS local days, oldest first
    per_decision: dict[Decision | None, int] = field(default_factory=dict)
    per_source: list[tuple[str, int]] = field(default_factory=list)  # most first


def activity_of(events: Iterable[DecisionEvent], today: date) -> Activity:
    """Count `events` for the chart: per day of the last 30 (local days), per decision, per source."""
    events = list(events)
    return Activity(
        days=day_counts(events, today),
        per_decision=dict(Counter(ev.decision for ev in events)),
        per_source=Counter(ev.source or "(no source)" for ev in events).most_common(),
    )


def render_activity(activity: Activity, width: int = 80) -> Text:
    """The chart as Text: line 1 the 30-day bars and totals, line 2 counts per decision and top sources.
    Its cost does not grow with the decisions (only the sources named are walked, up to the width)."""
    counts = activity.days
    line = Text()
    line.append("30 days ", style="bold")
    line.append_text(bars(counts))
    line.append(f"  {sum(counts)} in 30d · today {counts[-1]} · busiest {max(counts, default=0)}/day")
    line.truncate(max(10, width), overflow="ellipsis")
    per_decision = activity.per_decision
    second = Text()
    for dec in (Decision.FOLLOW_UP, Decision.FLAG, Decision.ARCHIVE, None):
        n = per_decision.get(dec, 0)
        if n or dec is not None:
            second.append(f"{decision_word(dec)} ", style=DECISION_STYLES[dec])
            second.append(f"{n}  ")
    if activity.per_source:
        second.append("│ ", style="dim")
        room = max(0, width - second.cell_len)
        items = activity.per_source
        for i, (name, n) in enumerate(items):
            piece = f"{plain(name, one_line=True)[:20]} {n}  "
            reserve = 10 if i < len(items) - 1 else 0
            if i and len(piece) + reserve > room:
                second.append(f"+{len(items) - i} more", style="dim")
                break
            second.append(piece)
            room -= len(piece)
    second.truncate(max(10, width), overflow="ellipsis")
    return Text("\n").join([line, second])


class ActivityChart(Static):
    """Decisions per day (last 30 days) as block bars, with counts per decision and per source."""

    DEFAULT_CSS = """
    ActivityChart { height: 2; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self._activity = Activity()

    def show(self, activity: Activity) -> None:
        """Draw the picture of the rows the review table currently matches (counted by activity_of)."""
        self._activity = activity
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = max(20, self.size.width - 2) if self.size.width else 78
        self.update(render_activity(self._activity, width))
