"""TopBar: the one-line status at the top: view counts, sort, filters, progress, NOT SAVED."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

from triage.tui.safe import plain
from triage.views import VIEWS, View

__all__ = ["Status", "TopBar", "VIEW_LABELS"]

VIEW_LABELS = {"inbox": "Inbox", "follow-up": "Follow-up", "flagged": "Flagged", "archived": "Archived", "all": "All"}


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


class TopBar(Static):
    """Counts per view, the view's sort and filters, progress, and how many decisions are NOT SAVED."""

    def show(self, status: Status, width: int) -> None:
        """Render `status` for a terminal `width` columns wide."""
        out = Text()
        out.append(" triage ", style="bold reverse")
        for i, name in enumerate(VIEWS, 1):
            label = VIEW_LABELS[name] if width >= 100 else VIEW_LABELS[name][:6]
            style = "bold reverse" if name == status.view.name else ""
            out.append(" ")
            out.append(f"{i} {label} {status.counts.get(name, 0)}", style=style)
        out.append(f"  ↕{status.view.sort}", style="dim")
        v = status.view
        filtered = False
        for prefix, value in (("/", v.search), ("e:", v.entity), ("src:", v.source)):
            if value:
                filtered = True
                out.append(f"  {prefix}{plain(value, one_line=True)[:20]}", style="bold")
        if filtered:
            out.append(f" ({status.matches:,})" if status.matches is not None else " (…)", style="bold")
        if status.selected:
            out.append(f"  {status.selected} selected", style="bold")
        if status.loading is not None:
            done, total = status.loading
            out.append(f"  reading {done:,}/{total:,}" if total else "  reading inbox…", style="italic")
        elif status.activity:
            out.append(f"  {plain(status.activity, one_line=True)}", style="italic")
        elif status.analysing is not None:
            done, total = status.analysing
            out.append(f"  analysing {done:,}/{total:,}", style="italic")
        if status.not_saved:
            out.append(f"  {status.not_saved} NOT SAVED", style="bold reverse")
        self.update(out)
