"""ArticleList: a virtualised list of articles (Line API), so 10,000 rows cost what one screenful does.

It holds only the ids a view lists (a Listing made off the event loop) and asks for the Row of the
few ids on screen when it paints, so a decision or an analysis shows without rebuilding anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from triage.core import Listing, Row
from triage.model import Decision
from triage.tui.format import Clock, embargo_short, kill_word, row_age, urgency_mark
from triage.tui.keymap import bindings
from triage.tui.safe import plain, short

__all__ = ["ArticleList", "DeskMark"]

Flags = list[tuple[str, bool]]  # a row's marks before its title: (words, loud)
NAME_CELLS = 8  # a colleague's name on a row is cut to this many cells
WIDE_MARKS_FROM = 70  # list columns from which a take reads "ana has it" (narrower: "⊙ana")


@dataclass(frozen=True)
class DeskMark:
    """Who is on a story, as its row says it: the holder of its take (`mine`: me) and the colleagues
    who have it open. Names are untrusted text: the list cleans them."""

    holder: str = ""
    mine: bool = False
    readers: tuple[str, ...] = ()

    def words(self, width: int) -> tuple[str, str]:
        """(the take's words, the readers' words) for a list `width` cells wide."""
        wide = width >= WIDE_MARKS_FROM
        take = ""
        if self.mine:
            take = "mine" if wide else "⊙me"
        elif self.holder:
            name = _name(self.holder)
            take = f"{name} has it" if wide else f"⊙{name}"
        readers = ""
        if self.readers:
            first = _name(self.readers[0])
            more = f"+{len(self.readers) - 1}" if len(self.readers) > 1 else ""
            readers = f"◦{first}{more}"
        return take, readers


def _name(name: str) -> str:
    return short(name, NAME_CELLS) or "?"


def _fit(text: str, width: int) -> str:
    """Pad or cut to exactly `width` terminal cells (wide CJK characters take two)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class ArticleList(ScrollView, can_focus=True):
    """The article list; posts `ArticleList.Highlighted` when the cursor lands on an article."""

    BINDINGS = bindings("list")

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--selected",
        "article-list--follow-up",
        "article-list--flag",
        "article-list--archive",
        "article-list--decided",
        "article-list--watched",
        "article-list--dim",
        "article-list--banner",
        "article-list--mine",
        "article-list--held",
    }

    DEFAULT_CSS = """
    ArticleList { background: $surface; }
    ArticleList > .article-list--cursor { background: $block-cursor-blurred-background; }
    ArticleList:focus > .article-list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    ArticleList > .article-list--selected { text-style: reverse; }
    ArticleList > .article-list--follow-up { color: $success; text-style: bold; }
    ArticleList > .article-list--flag { color: $error; text-style: bold; }
    ArticleList > .article-list--archive { color: $text-muted; text-style: bold; }
    ArticleList > .article-list--decided { color: $text-muted; }
    ArticleList > .article-list--watched { color: $warning; text-style: bold; }
    ArticleList > .article-list--dim { color: $text-muted; }
    ArticleList > .article-list--banner { text-style: bold reverse; }
    ArticleList > .article-list--mine { color: $success; text-style: bold; }
    ArticleList > .article-list--held { color: $warning; text-style: bold reverse; }
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

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        default_language: str = "en",
        row_of: Callable[[str], Row | None] | None = None,
        desk_of: Callable[[str], DeskMark | None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._desk_of: Callable[[str], DeskMark | None] = desk_of or (lambda _aid: None)
        self._ids: tuple[str, ...] = ()
        self._index: dict[str, int] = {}
        self._row_of: Callable[[str], Row | None] = row_of or (lambda _aid: None)
        self.clock = clock or Clock()
        self._default_language = default_language
        self.selected: set[str] = set()
        self._posted: str | None = None  # the article id last announced with Highlighted
        self._text_cache: dict[tuple, tuple] = {}
        self._empty = Text()  # what the list says when it lists nothing (see `say_when_empty`)
        self._empty_lines: tuple[int, list[Strip]] = (0, [])

    # -- data ------------------------------------------------------------------------------------
    def set_listing(self, listing: Listing, keep: str | None = None, *, from_top: bool = False) -> None:
        """Show these ids (O(1) here: the listing was built in a worker); the story `keep` stays under
        the cursor, at the same place on screen, when it is still listed. Otherwise the cursor keeps
        its row, or with `from_top` (a new search) goes to the first row."""
        old_offset = self.cursor - int(self.scroll_y)
        self._ids = listing.ids
        self._index = listing.index
        if self.selected:
            self.selected = {i for i in self.selected if i in self._index}
        self.virtual_size = Size(self.size.width, len(self._ids))
        target = listing.index.get(keep) if keep is not None else None
        if target is None:
            target = 0 if from_top else min(self.cursor, len(self._ids) - 1)
        target = max(0, target)
        if keep is not None and target == listing.index.get(keep):
            height = self.scrollable_content_region.height or 1
            offset = max(0, min(old_offset, height - 1))
            self.scroll_to(y=max(0, target - offset), animate=False, immediate=True)
        self.cursor = target
        self.refresh()

    def say_when_empty(self, text: Text) -> None:
        """What the list area says while it lists nothing (an empty inbox: where, what triage reads,
        `p`); shown wrapped to the list's width until a row arrives."""
        if text != self._empty:
            self._empty = text
            self._empty_lines = (0, [])
            self.refresh()

    @property
    def empty_text(self) -> str:
        """The words the list shows when it is empty (as plain text)."""
        return self._empty.plain if not self._ids else ""

    def _empty_strip(self, y: int, width: int) -> Strip:
        cached_width, strips = self._empty_lines
        if cached_width != width:
            lines = self._empty.wrap(self.app.console, max(1, width - 2), overflow="fold")
            strips = []
            for line in lines:
                row = Text(" ", end="")
                row.append_text(line)
                strips.append(Strip(list(row.render(self.app.console))))
            self._empty_lines = (width, strips)
        base = self.rich_style
        if 0 <= y < len(strips):
            return strips[y].apply_style(base).adjust_cell_length(width, base)
        return Strip.blank(width, base)

    def index_of(self, article_id: str) -> int | None:
        """Where an article is listed (O(1))."""
        return self._index.get(article_id)

    def update_row(self) -> None:
        """A row's decision or marks changed: repaint (rows are read when painted)."""
        self.refresh()

    @property
    def ids(self) -> tuple[str, ...]:
        """The listed ids, in order."""
        return self._ids

    @property
    def rows(self) -> list[Row]:
        """The rows, in list order (builds every Row: for tests and small lists)."""
        return [r for r in (self._row_of(i) for i in self._ids) if r is not None]

    @property
    def current(self) -> Row | None:
        """The row under the cursor."""
        if 0 <= self.cursor < len(self._ids):
            return self._row_of(self._ids[self.cursor])
        return None

    @property
    def current_id(self) -> str | None:
        """The id under the cursor."""
        if 0 <= self.cursor < len(self._ids):
            return self._ids[self.cursor]
        return None

    def neighbours(self, before: int = 2, after: int = 6) -> list[str]:
        """The ids around the cursor, the nearest first (what to analyse next)."""
        out = []
        for step in range(1, max(before, after) + 1):
            for i in (
                (self.cursor + step) if step <= after else None,
                (self.cursor - step) if step <= before else None,
            ):
                if i is not None and 0 <= i < len(self._ids):
                    out.append(self._ids[i])
        return out

    def select_next(self, predicate, *, look: int = 500) -> bool:
        """Move the cursor to the next row after it (wrapping) for which predicate(row) holds, looking at
        most `look` rows ahead (a keypress never walks a long list); else just to the next row."""
        n = len(self._ids)
        for step in range(1, min(n, look) + 1):
            i = (self.cursor + step) % n
            row = self._row_of(self._ids[i])
            if row is not None and predicate(row):
                self.cursor = i
                return True
        if n:
            self.cursor = min(self.cursor + 1, n - 1)
        return False

    # -- cursor ----------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        article_id = self.current_id
        if article_id != self._posted or not self._ids:
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
        self.virtual_size = Size(self.size.width, len(self._ids))
        self._scroll_cursor_into_view()

    def _move(self, delta: int) -> None:
        if self._ids:
            self.cursor = max(0, min(len(self._ids) - 1, self.cursor + delta))

    def action_down(self) -> None:
        self._move(1)

    def action_up(self) -> None:
        self._move(-1)

    def action_top(self) -> None:
        self._move(-len(self._ids))

    def action_bottom(self) -> None:
        self._move(len(self._ids))

    def action_page_down(self) -> None:
        self._move(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.scrollable_content_region.height - 1))

    def action_select(self) -> None:
        aid = self.current_id
        if aid is None:
            return
        self.selected ^= {aid}
        self.refresh()
        self.post_message(self.SelectionChanged(len(self.selected)))
        self._move(1)

    def _extend(self, delta: int) -> None:
        if not self._ids:
            return
        self.selected.add(self._ids[self.cursor])
        self._move(delta)  # one row at a time: the rows between are selected already
        self.selected.add(self._ids[self.cursor])
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
        if 0 <= y < len(self._ids):
            self.cursor = y

    # -- rendering -------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self._ids:
            return self._empty_strip(y, width)
        row = self._row_of(self._ids[index]) if index < len(self._ids) else None
        if row is None:
            return Strip.blank(width, base)
        aid = row.article.id
        style = base
        if aid in self.selected:
            style = style + self.get_component_rich_style("article-list--selected")
        if index == self.cursor:
            style = style + self.get_component_rich_style("article-list--cursor")
        mark = row.decision.mark if row.decision else " "
        mark_style = {
            Decision.FOLLOW_UP: "article-list--follow-up",
            Decision.FLAG: "article-list--flag",
            Decision.ARCHIVE: "article-list--archive",
        }.get(row.decision)  # type: ignore[arg-type]
        sel = "▌" if aid in self.selected else " "
        star = "★" if row.watched else (" " if not row.muted else "∅")
        title, extra, flags, take = self._texts(row, width)
        title_style = style
        if row.decision is not None and index != self.cursor:
            title_style = style + self.get_component_rich_style("article-list--decided")
        segments = [
            Segment(sel, style),
            Segment(mark, style + self.get_component_rich_style(mark_style) if mark_style else style),
            Segment(
                star, style + self.get_component_rich_style("article-list--watched") if row.watched else style
            ),
            Segment(" ", style),
        ]
        for flag, loud in flags:  # urgency, kill, embargo: words and marks, readable without colour
            segments.append(
                Segment(
                    flag, style + self.get_component_rich_style("article-list--banner") if loud else style
                )
            )
            segments.append(Segment(" ", style))
        if take:  # who holds the story: a colleague's take loud, mine in green
            words, mine = take
            held = "article-list--mine" if mine else "article-list--held"
            segments.append(Segment(words, style + self.get_component_rich_style(held)))
            segments.append(Segment(" ", style))
        segments.append(Segment(title, title_style))
        if extra:
            segments.append(Segment(" " + extra, style + self.get_component_rich_style("article-list--dim")))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, style)

    def _flags(self, row: Row, now) -> list[tuple[str, bool]]:
        """The marks before the title: '!!' flash / '!' bulletin, KILLED / WITHHELD (loud), EMB 14:30."""
        art = row.article
        out: list[tuple[str, bool]] = []
        mark = urgency_mark(art.urgency).rstrip()
        if mark:
            out.append((mark, art.urgency == 1))
        killed = kill_word(art)
        if killed:
            out.append((killed, True))
        embargo = embargo_short(art, now)
        if embargo:
            out.append((embargo, True))
        return out

    def _texts(self, row: Row, width: int) -> tuple[str, str, Flags, tuple[str, bool] | None]:
        """The row's title fitted to the width, its right-hand part (readers, sources, language, source,
        age), its flags and who holds it, remembered per article, width, desk mark and minute: a repaint
        of the same rows formats nothing again."""
        art = row.article
        now = self.clock.now()
        desk = self._desk_of(art.id)
        key = (art.id, width, row.sources, row.reopened, now.replace(second=0, microsecond=0), desk)
        got = self._text_cache.get(key)
        if got is not None and got[0] is art:
            return got[1], got[2], got[3], got[4]
        flags = self._flags(row, now)
        take_words, readers = desk.words(width) if desk is not None else ("", "")
        take = (take_words, desk.mine) if desk is not None and take_words else None
        title_text = plain(art.title, one_line=True) or "(untitled)"
        if art.updated:  # a story that changed since it first came: marked, in colour or none
            title_text = "↻ " + title_text
        source_text = plain(row.source, one_line=True)
        age_text = row_age(art.published, art.received, now)
        extra_parts = []
        if readers:
            extra_parts.append(readers)
        if row.sources > 1:
            extra_parts.append(f"{row.sources} sources")
        lang = plain(row.foreign_language(self._default_language), one_line=True)[:5]
        if lang:
            extra_parts.append(lang)
        if width >= 60 and source_text:
            extra_parts.append(_fit(source_text, 14).rstrip() if cell_len(source_text) > 14 else source_text)
        if age_text:
            extra_parts.append(age_text.rjust(3))
        extra = " ".join(extra_parts)
        used = 4 + (cell_len(extra) + 1 if extra else 0) + sum(cell_len(f) + 1 for f, _ in flags)
        used += cell_len(take_words) + 1 if take_words else 0
        title = _fit(title_text, max(1, width - used))
        if len(self._text_cache) > 4000:
            self._text_cache.clear()
        self._text_cache[key] = (art, title, extra, flags, take)
        return title, extra, flags, take

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._ids)
