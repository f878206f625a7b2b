"""The reading pane: the summary panel (key sentences, entity chips, key terms) over the full text."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from triage.model import Analysis, Article, DecisionEvent
from triage.tui.format import BANNER_STYLE, Clock, arrived_late, highlight_words, kill_banner, local_when
from triage.tui.keymap import bindings
from triage.tui.safe import plain
from triage.tui.widgets.summary_lines import (
    KIND_LABELS,
    SummaryLines,
    build_summary,
    decision_line,
    update_line,
)

__all__ = ["KIND_LABELS", "MAX_DISPLAY_CHARS", "ArticleText", "SummaryPanel", "article_text"]

# Longer texts are cut for display (the whole text stays in the article and in search).
MAX_DISPLAY_CHARS = 200_000


class SummaryPanel(Static):
    """Key sentences of the article and the people, places and organisations it names.

    The screen gives it a height (`fit_to`); it shows what fits there, sentences always whole (see
    summary_lines). Compact (small terminals): each kind of chips on one line."""

    DEFAULT_CSS = """
    SummaryPanel { padding: 0 1; }
    """

    class WidthChanged(Message):
        """The panel's width changed: the lines it needs did too (the screen sizes the panes again)."""

    def __init__(self, *args, clock: Clock | None = None, desk_language: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock or Clock()
        self.desk_language = desk_language  # a story in it does not say its language
        self._width = 0
        self._content: tuple = (None, None, "", None, None, "", None, ())
        self._height: int | None = None
        self._compact = False
        self._lines: dict[tuple[int, bool], SummaryLines] = {}

    def show(
        self,
        article: Article | None,
        analysis: Analysis | None,
        *,
        status: str = "",
        event: DecisionEvent | None = None,
        update=None,
        reopened: str = "",
        desk: Text | None = None,
        terms: Sequence[str] = (),
    ) -> None:
        """Show `article`'s summary (or a status line while it is being analysed); `update`: what its
        latest version added (an updated story); `reopened`: why a decided story is back in the inbox;
        `desk`: the desk's line on it; `terms`: words watches matched (highlighted)."""
        self._content = (article, analysis, status, event, update, reopened, desk, tuple(terms))
        self._lines.clear()
        self._paint()

    def lines_for(self, width: int | None = None) -> SummaryLines:
        """The current story's summary wrapped for `width` cells (default: this panel's own width)."""
        if width is None:
            width = self.text_width
        key = (width, self._compact)
        got = self._lines.get(key)
        if got is None:
            article, analysis, status, event, update, reopened, desk, terms = self._content
            got = self._lines[key] = build_summary(
                article,
                analysis,
                width,
                status=status,
                event=event,
                compact=self._compact,
                update=update,
                now=self.clock.now(),
                reopened=reopened,
                desk_language=self.desk_language,
                desk=desk,
                watch_terms=terms,
            )
        return got

    @property
    def settled(self) -> bool:
        """What it shows is final: a story's summary, or nothing (not a status while it is analysed)."""
        article, analysis = self._content[0], self._content[1]
        return article is None or analysis is not None

    @property
    def text_width(self) -> int:
        """Cells a line of text has (the panel's width less its padding; 78 before the first layout)."""
        width = self.size.width - self.styles.padding.left - self.styles.padding.right
        return width if self.size.width else 78

    def repaint(self) -> None:
        """Lay the same story out again (the clock moved: an embargo may have passed)."""
        self._lines.clear()
        self._paint()

    def fit_to(self, height: int | None, *, compact: bool = False) -> None:
        """Show what fits in `height` lines (None: everything), in the compact form or not."""
        if (height, compact) != (self._height, self._compact):
            self._height, self._compact = height, compact
            self._paint()

    def on_resize(self) -> None:
        self._paint()
        if self.size.width != self._width:
            self._width = self.size.width
            self.post_message(self.WidthChanged())

    def _paint(self) -> None:
        width = self.text_width
        self.update(self.lines_for(width).fit(self._height, width))


NEW_STYLE = "reverse"  # sentences new since the version the reader last saw or decided


def article_text(
    article: Article,
    analysis: Analysis | None,
    highlight: str = "bold underline",
    event: DecisionEvent | None = None,
    update=None,
    reopened: str = "",
    terms: Sequence[str] = (),
) -> Text:
    """Title, meta line (and the decision and note, when given) and full text, summary sentences
    highlighted; with `update`, the sentences it added marked as new; `terms` (words watches matched)
    highlighted in the title and the text. A killed or withheld item says so above its title: its
    text is not for use."""
    out = Text()
    banner = kill_banner(article)
    if banner:
        out.append(f" {banner} ", style=BANNER_STYLE)
        out.append("\n")
    out.append_text(highlight_words(Text(plain(article.title, one_line=True) or "(untitled)", style="bold"),
                                    terms))
    out.append("\n")
    meta = [
        m
        for m in (
            article.source,
            local_when(article.published, "date") if article.published else "",
            f"arrived {local_when(article.received)}" if arrived_late(article.published, article.received)
            else "",
            article.url,
        )
        if m
    ]
    if article.updated:
        out.append_text(update_line(article, update))
        if update is not None and update.spans:
            out.append("  (new sentences: ", style="dim")
            out.append("marked", style=NEW_STYLE)
            out.append(")", style="dim")
        out.append("\n")
    if meta:
        out.append(plain(" · ".join(meta), one_line=True), style="dim")
        out.append("\n")
    line = decision_line(event, reopened)
    if line is not None:
        out.append_text(line)
        out.append("\n")
    out.append("\n")
    body = article.text
    cut = len(body) > MAX_DISPLAY_CHARS
    shown = body[:MAX_DISPLAY_CHARS] if cut else body
    cleaned = plain(shown)
    body_text = Text(cleaned)
    if analysis is not None and len(cleaned) == len(shown):
        for s, e in analysis.spans:
            if e <= len(shown):
                body_text.stylize(highlight, s, e)
    elif analysis is not None:
        # Offsets no longer line up after stripping: highlight by searching the sentences instead.
        for sentence in analysis.summary:
            wanted = plain(sentence)
            i = cleaned.find(wanted)
            if i >= 0:
                body_text.stylize(highlight, i, i + len(wanted))
    if update is not None and len(cleaned) == len(shown):
        for s, e in update.spans:
            if e <= len(shown):
                body_text.stylize(NEW_STYLE, s, e)
    highlight_words(body_text, terms)
    out.append_text(body_text)
    if not body.strip():
        out.append("(This article has no text.)", style="italic")
    if cut:
        out.append(f"\n\n… {len(body) - MAX_DISPLAY_CHARS:,} more characters not shown.", style="italic")
    return out


class ArticleText(VerticalScroll, can_focus=True):
    """The full text of the article, scrollable, summary sentences highlighted."""

    DEFAULT_CSS = """
    ArticleText { padding: 0 1; }
    ArticleText > Static { width: 1fr; }
    """

    BINDINGS = bindings("text")

    shown_text: Text = Text("")  # what the pane shows now, as rich Text (with its highlights)

    def compose(self):
        yield Static(id="article-body")

    def show(
        self,
        article: Article | None,
        analysis: Analysis | None,
        event: DecisionEvent | None = None,
        update=None,
        reopened: str = "",
        *,
        terms: Sequence[str] = (),
    ) -> None:
        """Render an article's full text (scrolled to the top); with `event`, its decision and note;
        with `update`, the sentences its latest version added marked; `terms` highlighted."""
        body = self.query_one("#article-body", Static)
        self.shown_text = (
            Text("") if article is None
            else article_text(article, analysis, event=event, update=update, reopened=reopened, terms=terms)
        )
        body.update(self.shown_text)
        self.scroll_home(animate=False)

    def action_page_text(self) -> None:
        self.scroll_page_down(animate=False)

    async def action_back(self) -> None:
        await self.run_action("screen.back")

    def action_down(self) -> None:
        self.scroll_down()

    def action_up(self) -> None:
        self.scroll_up()
