"""TopBar: the one-line status at the top: view counts, sort, filters, progress, NOT SAVED.

The bar fits the terminal by degrading one step at a time, in the order of `DEGRADE`, until it
fits; no label is ever cut in the middle of a word. In words, from the first thing to give way:

 1. the " triage " badge goes (the terminal's title names the app);
 2. "Follow-up" becomes "Follow" (every label stays a whole word);
 3. the sort ("↕newest") goes: a standing setting, named in a toast when `s` changes it;
 4. progress becomes a percentage ("reading 12%", "analysing 60%");
 5. search, entity and source filter texts are cut to 12 characters (their match count stays);
 6. progress goes (the list fills in as it arrives);
 7. the view keys 1-5 go ("Inbox 50 Follow 0 ..."; the keys are in help and the palette);
 8. counts are shown in thousands ("12,345" -> "12k");
 9. filter texts go; the filter marks and the match count stay ("/ (12)");
10. the decided views are shown by their list marks: "Inbox 50 F 3 X 1 A 9 All 63".

The current view's count says "+N" for the N rows decided on screen that stay listed until the view
changes ("Inbox 24+1" over 25 rows): the count is of the view, the rows are what the list holds.

The desk's part comes after progress: who else is on the desk ("desk: ana bo"; then "desk 2", then
gone, early), a store that cannot be reached ("⚠ server down…", cut shorter but never dropped) and
"N for you" (hand-offs to me still open, never dropped).

NOT SAVED is never dropped (decisions the disk refused: the one thing a person must not miss).
The five view counts come next: in their tightest form they and NOT SAVED take at most 60 cells,
so at 80 columns all five always show. Only on narrower terminals are whole parts dropped, the
least important first (brand, sort, progress, filters, selection), then whole view counts from
the right; NOT SAVED stays to the last cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

from triage.core import VIEWS, View
from triage.model import Decision
from triage.tui.keymap import KEYS
from triage.tui.safe import plain, short

__all__ = ["DEGRADE", "VIEW_LABELS", "Status", "TopBar", "compact_count", "render_status"]

VIEW_LABELS = {k.args[0]: k.label for k in KEYS if k.action == "view"}  # the keys 1-5 name them
# Deliberate short labels: whole words, never a word cut in half.
SHORT_LABELS = {**VIEW_LABELS, "follow-up": "Follow"}
# The tightest form: the decided views by the marks the list shows for them (see help).
MARK_LABELS = {
    name: (d.mark if (d := Decision.from_view(name)) else label) for name, label in SHORT_LABELS.items()
}

# (part, level): applied in this order until the bar fits (see the module docstring).
DEGRADE: tuple[tuple[str, int], ...] = (
    ("brand", 1),
    ("desk", 1),
    ("problem", 1),
    ("views", 1),
    ("sort", 1),
    ("progress", 1),
    ("filter", 1),
    ("desk", 2),
    ("progress", 2),
    ("views", 2),
    ("views", 3),
    ("filter", 2),
    ("views", 4),
)
# Last resort (very narrow terminals): parts dropped whole, least important first.
DROP_ORDER = ("brand", "desk", "sort", "progress", "filter", "selected", "views")
FILTER_CHARS = (20, 12)
PROBLEM_CELLS = 48  # the store's problem (its short word, then its sentence) cut to this many cells
DESK_NAMES = 3  # colleagues named on the bar; more are counted


@dataclass(frozen=True)
class Status:
    """Everything the top bar shows (the screen replaces it; the bar renders it)."""

    view: View = field(default_factory=View)
    counts: dict[str, int] = field(default_factory=dict)
    selected: int = 0
    loading: tuple[int, int] | None = None  # files read, files in all (while a load runs)
    analysing: tuple[int, int] | None = None  # done, total (while the queue is busy)
    activity: str = ""  # e.g. "fetching feeds 2/5"
    not_saved: int = 0
    matches: int | None = None  # stories the search or filter found (None: not known yet, or no filter)
    kept: int = 0  # rows decided on screen and still listed: the view's count leaves them out ("+1")
    people: tuple[str, ...] = ()  # colleagues on the desk now (me left out)
    for_me: int = 0  # hand-offs to me (or the desk) still open
    problem: str = ""  # the store cannot be used now (the server down, the desk folder refused)
    problem_word: str = "store down"  # the problem in two words ("server down"), where the bar is short


def compact_count(n: int) -> str:
    """A count in at most four or five cells: 999, 1.2k, 12k, 123k, 1.2M."""
    if n < 1000:
        return str(n)
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if n >= size:
            value = n / size
            return f"{value:.1f}{unit}".replace(".0", "") if value < 10 else f"{int(value)}{unit}"
    return str(n)  # pragma: no cover


def _views(status: Status, level: int) -> list[Text]:
    labels = VIEW_LABELS if level == 0 else MARK_LABELS if level >= 4 else SHORT_LABELS
    items = []
    for i, name in enumerate(VIEWS, 1):
        n = status.counts.get(name, 0)
        count = compact_count(n) if level >= 3 else f"{n:,}"
        key = f"{i} " if level <= 1 else ""
        current = name == status.view.name
        kept = ""
        if current and status.kept:
            kept = f"+{compact_count(status.kept) if level >= 3 else status.kept}"
        items.append(Text(f"{key}{labels[name]} {count}{kept}", style="bold reverse" if current else ""))
    return items


def _progress(status: Status, level: int) -> str:
    if level >= 2:
        return ""
    if status.loading is not None:
        done, total = status.loading
        if not total:
            return "reading inbox…"
        return f"reading {done:,}/{total:,}" if level == 0 else f"reading {done * 100 // total}%"
    if status.activity:
        return plain(status.activity, one_line=True)
    if status.analysing is not None:
        done, total = status.analysing
        if level == 0 or not total:
            return f"analysing {done:,}/{total:,}"
        return f"analysing {done * 100 // total}%"
    return ""


def _filter(status: Status, level: int) -> Text:
    v = status.view
    out = Text()
    for prefix, value in (("/", v.search), ("e:", v.entity), ("src:", v.source)):
        if not value:
            continue
        out.append(" " if out else "")
        text = plain(value, one_line=True)
        if level < 2:
            limit = FILTER_CHARS[level]
            text = text if len(text) <= limit else text[: limit - 1] + "…"
        else:
            text = ""
        out.append(prefix + text, style="bold")
    if out:
        out.append(f" ({status.matches:,})" if status.matches is not None else " (…)", style="bold")
    return out


def _desk(status: Status, level: int) -> str:
    if not status.people or level >= 2:
        return ""
    if level == 1:
        return f"desk {len(status.people)}"
    names = [short(n, 10) for n in status.people[:DESK_NAMES]]
    more = f" +{len(status.people) - DESK_NAMES}" if len(status.people) > DESK_NAMES else ""
    return "desk: " + " ".join(names) + more


def _problem(status: Status, level: int) -> Text:
    if not status.problem:
        return Text()
    words = plain(status.problem_word, one_line=True)
    if level == 0:
        words = f"{words}: {plain(status.problem, one_line=True).rstrip('.')}"
        if len(words) > PROBLEM_CELLS:
            words = words[: PROBLEM_CELLS - 1].rstrip() + "…"
    return Text(f"⚠ {words}", style="bold reverse")


def _parts(status: Status, levels: dict[str, int]) -> dict[str, Text | list[Text]]:
    """Every part of the bar at the given levels (an empty Text: not shown)."""
    parts: dict[str, Text | list[Text]] = {}
    parts["brand"] = Text(" triage ", style="bold reverse") if levels["brand"] == 0 else Text()
    parts["views"] = _views(status, levels["views"])
    parts["sort"] = Text(f"↕{status.view.sort}", style="dim") if levels["sort"] == 0 else Text()
    parts["filter"] = _filter(status, levels["filter"])
    parts["selected"] = Text(f"{status.selected:,} selected", style="bold") if status.selected else Text()
    parts["progress"] = Text(_progress(status, levels["progress"]), style="italic")
    parts["desk"] = Text(_desk(status, levels["desk"]), style="dim")
    parts["problem"] = _problem(status, levels["problem"])
    parts["for_me"] = Text(f"{status.for_me} for you", style="bold reverse") if status.for_me else Text()
    parts["not_saved"] = (
        Text(f"{status.not_saved:,} NOT SAVED", style="bold reverse") if status.not_saved else Text()
    )
    return parts


def _join(parts: dict[str, Text | list[Text]], dropped: set[str], view_items: int | None = None) -> Text:
    out = Text()
    brand = parts["brand"]
    if "brand" not in dropped and isinstance(brand, Text) and brand:
        out.append_text(brand)
    views = parts["views"] if "views" not in dropped else []
    for item in views[:view_items] if isinstance(views, list) else [views]:
        out.append(" ")
        out.append_text(item)
    for name in ("sort", "filter", "selected", "progress", "desk", "problem", "for_me", "not_saved"):
        part = parts[name]
        if name in dropped or not part or not isinstance(part, Text):
            continue
        out.append("  " if out else " ")
        out.append_text(part)
    return out


def render_status(status: Status, width: int) -> Text:
    """The bar for `width` cells: the widest form that fits, degraded in the `DEGRADE` order."""
    levels = {"brand": 0, "views": 0, "sort": 0, "progress": 0, "filter": 0, "desk": 0, "problem": 0}
    out = _join(_parts(status, levels), set())
    for part, level in DEGRADE:
        if out.cell_len <= width:
            return out
        levels[part] = level
        out = _join(_parts(status, levels), set())
    if out.cell_len <= width:
        return out
    parts = _parts(status, levels)
    dropped: set[str] = set()
    for name in DROP_ORDER[:-1]:
        dropped.add(name)
        out = _join(parts, dropped)
        if out.cell_len <= width:
            return out
    for keep in range(len(VIEWS) - 1, -1, -1):  # whole view counts, from the right
        out = _join(parts, dropped, view_items=keep)
        if out.cell_len <= width:
            return out
    out.truncate(width)  # only NOT SAVED is left, in fewer cells than it needs
    return out


class TopBar(Static):
    """Counts per view, the view's sort and filters, progress, the desk, and how many decisions are NOT
    SAVED."""

    def show(self, status: Status, width: int) -> None:
        """Render `status` for a terminal `width` columns wide."""
        self.update(render_status(status, width))
