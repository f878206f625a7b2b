"""The story on the main screen: what the summary panel and the text pane show for the article under
the cursor, what an update added (compared in a worker), and why a summary is missing."""

from __future__ import annotations

from typing import Any

from triage.tui.format import kill_word
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel

__all__ = ["StoryPane"]


class StoryPane:
    """Owns what is on screen (article, analysis, decision, update) and the reasons summaries failed."""

    def __init__(self, screen: Any, *, analyze: bool) -> None:
        self.screen = screen
        self.service = screen.service
        self.analyze = analyze
        self.shown_id: str | None = None
        self.analysis_error = ""
        self.failed: dict[str, str] = {}  # stories whose analysis failed, and why
        self._updates: dict[tuple[str, str], object] = {}  # (id, version) -> what the update added
        self._shown: tuple = (None, None, None, None)  # article, analysis, decision event, update
        self._shown_status = ""
        self._reopened = ""  # why the story on screen is back in the inbox (KILLED, WITHHELD, updated)
        self.text_stale = False  # the text pane was hidden when the story changed

    @property
    def article(self):
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
        screen, svc = self.screen, self.service
        self.shown_id = article_id
        article = svc.article(article_id) if article_id else None
        analysis = svc.cached_analysis(article, wait=False) if article else None
        if article is not None and analysis is None and self.analyze:
            svc.prioritise([article.id, *screen.query_one(ArticleList).neighbours()])
        status = "" if analysis is not None else self._status(article_id)
        event = svc.current_event(article_id) if article_id else None
        row = svc.row(article_id) if article_id else None
        reopened = (kill_word(row.article) or "updated") if row is not None and row.reopened else ""
        update = None
        if article is not None and article.updated:
            key = (article.id, article.content_hash)
            if key not in self._updates:
                self._updates[key] = None  # being compared (once)
                screen.run_worker(
                    lambda: self._load_update(article.id, article.content_hash),
                    thread=True,
                    group="update",
                    exit_on_error=False,
                )
            update = self._updates[key] or None
        same = self._shown_status == status and self._reopened == reopened and all(
            a is b for a, b in zip((article, analysis, event, update), self._shown, strict=True)
        )
        if same and not scroll:  # an event about other stories: nothing to draw again
            return
        screen.query_one(SummaryPanel).show(article, analysis, status=status, event=event, update=update,
                                            reopened=reopened)
        self._shown = (article, analysis, event, update)
        self._shown_status = status
        self._reopened = reopened
        if screen.query_one(ArticleText).display:
            self.paint_text(scroll)
        else:  # hidden (small terminals, outside the reading view): painted when it shows
            self.text_stale = True
        screen.relayout()

    def paint_text(self, scroll: bool) -> None:
        article, analysis, event, update = self._shown
        text = self.screen.query_one(ArticleText)
        shown_event = event if self.screen.reading else None
        if scroll:
            text.show(article, analysis, shown_event, update, self._reopened)
        else:
            y = text.scroll_y
            text.show(article, analysis, shown_event, update, self._reopened)
            text.scroll_to(y=y, animate=False)

    def refresh_text(self) -> None:
        """The text pane shows again: paint it if the story changed while it was hidden."""
        if self.text_stale:
            self.text_stale = False
            self.paint_text(scroll=True)

    def _load_update(self, article_id: str, content_hash: str) -> None:
        """In a worker: compare the story with the version the reader last saw or decided, then
        remember that they have now seen this one."""
        try:
            got = self.service.update_of(article_id)
        except Exception as exc:
            self.screen.app.log.error(f"update comparison failed: {exc!r}")
            got = None
        self.service.mark_read(article_id)
        self.screen.app.call_from_thread(
            self._update_ready, article_id, content_hash, got[0] if got else None
        )

    def _update_ready(self, article_id: str, content_hash: str, update) -> None:
        self._updates[(article_id, content_hash)] = update
        if article_id == self.shown_id:
            self.show(article_id, scroll=False)

    def tick(self) -> None:
        """The clock moved (once a minute): repaint the panel when the story on it has an embargo."""
        article = self._shown[0]
        if article is not None and article.embargoed:
            self.screen.query_one(SummaryPanel).repaint()
