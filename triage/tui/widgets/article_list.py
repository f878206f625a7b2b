"""ArticleList: a virtualised list of articles (Line API), so 10,000 rows cost what one screenful does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from triage.model import Decision
from triage.service import Row
from triage.tui.safe import plain

__all__ = ["MARKS", "ArticleList", "age"]

MARKS = {Decision.FOLLOW_UP: "F", Decision.ARCHIVE: "A", Decision.FLAG: "X"}


def age(iso: str, now: datetime) -> str:
    """A short age for the list ('5m', '3h', '4d', '2mo', '6y'); '' when the date is unknown."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    secs = (now - when).total_seconds()
    if secs < 0:
        return "new"
    for unit, size in (("y", 31_536_000), ("mo", 2_592_000), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if secs >= size:
            return f"{int(secs // size)}{unit}"
    return "now"


def _fit(text: str, width: int) -> str:
    """Pad or cut to exactly `width` terminal cells (wide CJK characters take two)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


@dataclass
class _Line:
    row: Row
    title: str
    source: str
    age: str


class ArticleList(ScrollView, can_focus=True):
    """The article list; posts `ArticleList.Highlighted` when the cursor lands on an article."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "Top", show=False),
        Binding("G,end", "last", "Bottom", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("v", "toggle_select", "Select", show=False),
        Binding("shift+down,J", "select_down", "Select down", show=False),
        Binding("shift+up,K", "select_up", "Select up", show=False),
    ]

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--selected",
        "article-list--follow-up",
        "article-list--flag",
        "article-list--archive",
        "article-list--decided",
        "article-list--watched",
        "article-list--dim",
    }

    DEFAULT_CSS = """
    ArticleList { background: $surface; }
    ArticleList > .article-list--cursor { background: $block-cursor-blurred-background; }
    ArticleList:focus > .article-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    ArticleList > .article-list--selected { text-style: reverse; }
    ArticleList > .article-list--follow-up { color: $success; text-style: bold; }
    ArticleList > .article-list--flag { color: $error; text-style: bold; }
    ArticleList > .article-list--archive { color: $text-muted; text-style: bold; }
    ArticleList > .article-list--decided { color: $text-muted; }
    ArticleList > .article-list--watched { color: $warning; text-style: bold; }
    ArticleList > .article-list--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor landed on another article (or the list became empty: article_id is None)."""

        def __init__(self, article_id: str | None) -> None:
            self.article_id = article_id
            super().__init__()

    class SelectionChanged(Message):
        """The multi-selection changed; `count` rows are selected."""

        def __init__(self, count: int) -> None:
            self.count = count
            super().__init__()

    def __init__(self, *, now: datetime | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[_Line] = []
        self._now = now
        self.selected: set[str] = set()
        self._anchor: int | None = None
        self._posted: str | None = None  # the article id last announced with Highlighted

    # -- data ------------------------------------------------------------------------------------
    def set_rows(self, rows: list[Row], keep: str | None = None) -> None:
        """Show these rows; keep the cursor on article `keep` when it is still listed."""
        now = self._now or datetime.now(UTC)
        self._lines = [
            _Line(r, plain(r.article.title, one_line=True) or "(untitled)", plain(r.article.source, one_line=True),
                  age(r.article.published or r.article.received, now))
            for r in rows
        ]
        listed = {ln.row.article.id for ln in self._lines}
        self.selected &= listed
        self.virtual_size = Size(self.size.width, len(self._lines))
        target = 0
        if keep is not None:
            target = next((i for i, ln in enumerate(self._lines) if ln.row.article.id == keep), min(self.cursor, len(self._lines) - 1))
        self.cursor = max(0, min(target, len(self._lines) - 1))
        self.refresh()

    def update_row(self, row: Row) -> None:
        """Replace one row in place (its decision changed) without re-sorting or moving the cursor."""
        for ln in self._lines:
            if ln.row.article.id == row.article.id:
                ln.row = row
                self.refresh()
                return

    @property
    def rows(self) -> list[Row]:
        """The rows, in list order."""
        return [ln.row for ln in self._lines]

    @property
    def current(self) -> Row | None:
        """The row under the cursor."""
        if 0 <= self.cursor < len(self._lines):
            return self._lines[self.cursor].row
        return None

    def select_next(self, predicate) -> bool:
        """Move the cursor to the next row after it (wrapping) for which predicate(row) holds."""
        n = len(self._lines)
        for step in range(1, n + 1):
            i = (self.cursor + step) % n
            if predicate(self._lines[i].row):
                self.cursor = i
                return True
        return False

    # -- cursor ----------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        row = self.current
        article_id = row.article.id if row else None
        if article_id != self._posted or not self._lines:
            # Only when the article under the cursor changes: a reload that keeps it is not a move.
            self._posted = article_id
            self.post_message(self.Highlighted(article_id))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._lines))
        self._scroll_cursor_into_view()

    def _move(self, delta: int) -> None:
        if self._lines:
            self.cursor = max(0, min(len(self._lines) - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._anchor = None
        self._move(1)

    def action_cursor_up(self) -> None:
        self._anchor = None
        self._move(-1)

    def action_first(self) -> None:
        self._move(-len(self._lines))

    def action_last(self) -> None:
        self._move(len(self._lines))

    def action_page_down(self) -> None:
        self._move(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.scrollable_content_region.height - 1))

    def action_toggle_select(self) -> None:
        row = self.current
        if row is None:
            return
        self.selected ^= {row.article.id}
        self.refresh()
        self.post_message(self.SelectionChanged(len(self.selected)))
        self._move(1)

    def _extend(self, delta: int) -> None:
        if not self._lines:
            return
        if self._anchor is None:
            self._anchor = self.cursor
        self.selected.add(self._lines[self.cursor].row.article.id)
        self._move(delta)
        lo, hi = sorted((self._anchor, self.cursor))
        for i in range(lo, hi + 1):
            self.selected.add(self._lines[i].row.article.id)
        self.refresh()
        self.post_message(self.SelectionChanged(len(self.selected)))

    def action_select_down(self) -> None:
        self._extend(1)

    def action_select_up(self) -> None:
        self._extend(-1)

    def clear_selection(self) -> None:
        """Drop the multi-selection."""
        if self.selected:
            self.selected.clear()
            self.refresh()
            self.post_message(self.SelectionChanged(0))

    def on_click(self, event) -> None:  # mouse is optional, never required
        y = event.y + int(self.scroll_y)
        if 0 <= y < len(self._lines):
            self.cursor = y

    # -- rendering -------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        ln = self._lines[index]
        row = ln.row
        aid = row.article.id
        style = base
        if aid in self.selected:
            style = style + self.get_component_rich_style("article-list--selected")
        if index == self.cursor:
            style = style + self.get_component_rich_style("article-list--cursor")
        mark = MARKS.get(row.decision, " ") if row.decision else " "
        mark_style = {
            Decision.FOLLOW_UP: "article-list--follow-up",
            Decision.FLAG: "article-list--flag",
            Decision.ARCHIVE: "article-list--archive",
        }.get(row.decision)  # type: ignore[arg-type]
        sel = "▌" if aid in self.selected else " "
        star = "★" if row.watched else (" " if not row.muted else "∅")
        extra_parts = []
        if row.sources > 1:
            extra_parts.append(f"{row.sources} sources")
        if width >= 60 and ln.source:
            extra_parts.append(ln.source[:14])
        if ln.age:
            extra_parts.append(ln.age.rjust(3))
        extra = " ".join(extra_parts)
        title_width = max(1, width - 4 - (len(extra) + 1 if extra else 0))
        title = _fit(ln.title, title_width)
        title_style = style
        if row.decision is not None and index != self.cursor:
            title_style = style + self.get_component_rich_style("article-list--decided")
        segments = [
            Segment(sel, style),
            Segment(mark, style + self.get_component_rich_style(mark_style) if mark_style else style),
            Segment(star, style + self.get_component_rich_style("article-list--watched") if row.watched else style),
            Segment(" ", style),
            Segment(title, title_style),
        ]
        if extra:
            segments.append(Segment(" " + extra, style + self.get_component_rich_style("article-list--dim")))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, style)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)
