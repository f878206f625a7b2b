"""The story on the main screen: what the summary panel and the text pane show for the article under
the cursor, what an update added (compared in a worker), and why a summary is missing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from triage.model import Analysis, Article, DecisionEvent
from triage.tui.format import kill_word
from triage.tui.screens.host import HasList, RunsWork
from triage.tui.widgets.reader import ArticleText, SummaryPanel

if TYPE_CHECKING:
    from rich.text import Text

    from triage.catalog.changes import Update
    from triage.core.service import TriageService

__all__ = ["StoryHost", "StoryPane"]

log = logging.getLogger(__name__)

Shown = tuple[Article | None, Analysis | None, DecisionEvent | None, "Update | None"]


class StoryHost(HasList, RunsWork, Protocol):
    """What the story pane needs of its screen: the panes it paints and whether the reading view is on."""

    @property
    def summary_panel(self) -> SummaryPanel: ...

    @property
    def article_text(self) -> ArticleText: ...

    @property
    def reading(self) -> bool: ...

    def relayout(self) -> None:
        """The panes' heights again (the story's summary may need more or fewer lines)."""
        ...


class DeskLines(Protocol):
    """What the desk adds to the story on screen: its line (who holds it, who has it open, hand-offs),
    the words watches matched in it, and being told which story is open."""

    def story_line(self, story_id: str) -> Text | None: ...

    def terms(self, story_id: str) -> list[str]: ...

    def viewing(self, story_id: str | None) -> None: ...


class StoryPane:
    """Owns what is on screen (article, analysis, decision, update) and the reasons summaries failed."""

    def __init__(self, host: StoryHost, service: TriageService, *, analyze: bool,
                 desk: DeskLines | None = None) -> None:
        self.host = host
        self._desk = desk
        self._desk_shown: tuple[str, tuple[str, ...]] = ("", ())  # the desk line's words, the terms
        self._service = service
        faces = service.faces
        self._articles, self._summaries = faces.articles, faces.summaries
        self._decisions, self._versions = faces.decisions, faces.updates
        self.analyze = analyze
        self.shown_id: str | None = None
        self.analysis_error = ""
        self.failed: dict[str, str] = {}  # stories whose analysis failed, and why
        self._updates: dict[tuple[str, str], Update | None] = {}  # (id, version) -> what the update added
        self._shown: Shown = (None, None, None, None)  # article, analysis, decision event, update
        self._shown_status = ""
        self._reopened = ""  # why the story on screen is back in the inbox (KILLED, WITHHELD, updated)
        self.text_stale = False  # the text pane was hidden when the story changed

    @property
    def article(self) -> Article | None:
        return self._shown[0]

    def _status(self, article_id: str | None) -> str:
        failed = self.failed.get(article_id or "", "")
        if failed:
            return f"No summary: this story could not be summarised ({failed})."
        if self.analysis_error:
            return f"No summary: {self.analysis_error}"
        if not self.analyze:
            return "Analysis is off."
        return "Analysing… (the summary appears here when ready)"

    def reshow(self) -> None:
        """The same story again, where the reader is (its decision or analysis may have changed)."""
        self.show(self.shown_id, scroll=False)

    def show(self, article_id: str | None, scroll: bool = True) -> None:
        screen = self.host
        if article_id != self.shown_id and self._desk is not None:
            self._desk.viewing(article_id)
        self.shown_id = article_id
        article = self._articles.article(article_id) if article_id else None
        analysis = self._summaries.cached(article, wait=False) if article else None
        if article is not None and analysis is None and self.analyze:
            self._summaries.prioritise([article.id, *screen.article_list.neighbours()])
        status = "" if analysis is not None or article is None else self._status(article_id)
        event = self._decisions.event(article_id) if article_id else None
        row = self._service.row(article_id) if article_id else None
        reopened = (kill_word(row.article) or "updated") if row is not None and row.reopened else ""
        update = None
        if article is not None and article.updated:
            key = (article.id, article.content_hash)
            if key not in self._updates:
                self._updates[key] = None  # being compared (once)
                aid, content_hash = article.id, article.content_hash
                screen.in_thread(lambda: self._load_update(aid, content_hash), group="update")
            update = self._updates[key] or None
        desk_line = self._desk.story_line(article_id) if self._desk is not None and article_id else None
        terms = tuple(self._desk.terms(article_id)) if self._desk is not None and article_id else ()
        desk_shown = (desk_line.plain if desk_line is not None else "", terms)
        same = (self._shown_status == status and self._reopened == reopened and desk_shown == self._desk_shown
                and all(a is b for a, b in zip((article, analysis, event, update), self._shown, strict=True)))
        if same and not scroll:  # an event about other stories: nothing to draw again
            return
        screen.summary_panel.show(article, analysis, status=status, event=event, update=update,
                                  reopened=reopened, desk=desk_line, terms=terms)
        self._desk_shown = desk_shown
        self._shown = (article, analysis, event, update)
        self._shown_status = status
        self._reopened = reopened
        if screen.article_text.display:
            self.paint_text(scroll)
        else:  # hidden (small terminals, outside the reading view): painted when it shows
            self.text_stale = True
        screen.relayout()

    def paint_text(self, scroll: bool) -> None:
        article, analysis, event, update = self._shown
        text = self.host.article_text
        shown_event = event if self.host.reading else None
        terms = self._desk_shown[1]
        if scroll:
            text.show(article, analysis, shown_event, update, self._reopened, terms=terms)
        else:
            y = text.scroll_y
            text.show(article, analysis, shown_event, update, self._reopened, terms=terms)
            text.scroll_to(y=y, animate=False)

    def refresh_text(self) -> None:
        """The text pane shows again: paint it if the story changed while it was hidden."""
        if self.text_stale:
            self.text_stale = False
            self.paint_text(scroll=True)

    def paint_for_reading(self) -> None:
        """The reading view opens: the text with its decision line, at the top unless it was on screen."""
        stale, self.text_stale = self.text_stale, False
        self.paint_text(scroll=stale)

    def _load_update(self, article_id: str, content_hash: str) -> None:
        """In a worker: compare the story with the version the reader last saw or decided, then
        remember that they have now seen this one."""
        try:
            got = self._versions.update_of(article_id)
        except Exception:
            log.exception("update comparison failed")
            got = None
        self._service.mark_read(article_id)
        update = got[0] if got else None
        self.host.from_thread(lambda: self._update_ready(article_id, content_hash, update))

    def _update_ready(self, article_id: str, content_hash: str, update: Update | None) -> None:
        self._updates[(article_id, content_hash)] = update
        if article_id == self.shown_id:
            self.show(article_id, scroll=False)

    def tick(self) -> None:
        """The clock moved (once a minute): repaint the panel when the story on it has an embargo."""
        article = self._shown[0]
        if article is not None and article.embargoed:
            self.host.summary_panel.repaint()
