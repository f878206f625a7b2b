"""The triage screen: article list | summary over full text; the list and the summary on small
terminals; the full text alone in the reading view (`reading`).

The screen only swaps in what the background prepared. The service's threads load, watch, fetch,
index, analyse and poll the store, and tell the screen through `ServiceEvent`; the list's ids for a
view (a Listing, which walks the inbox) are built in a thread worker; decisions show at once and
are written by the service's writer thread. Nothing here costs more as the inbox grows.
The keys' handlers are in `actions.MainActions`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input

from triage.core.events import (
    Analysed,
    AnalysisStopped,
    ArticlesChanged,
    DecisionsChanged,
    LoadProgress,
    Notice,
    ServiceEvent,
    StatusText,
    WriteSettled,
)
from triage.core.service import TriageService
from triage.tui.layout import plan_layout
from triage.tui.safe import plain
from triage.tui.screens.actions import BINDINGS, MainActions
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel
from triage.tui.widgets.topbar import Status, TopBar
from triage.core import VIEWS, Listing, View

__all__ = ["MainScreen"]

READER_DEBOUNCE = 0.08  # seconds: moves closer than this are "key held down"
SEARCH_DEBOUNCE = 0.12  # seconds after the last typed letter before the list is filtered


class MainScreen(MainActions, Screen):
    """List, summary and text; decisions, search, views and the rest of the keyboard."""

    BINDINGS = BINDINGS
    view: reactive[View] = reactive(View, init=False)
    reading: reactive[bool] = reactive(False, init=False)
    """The reading view: the full text takes the screen (enter on small terminals, z anywhere)."""

    class FromService(Message):
        """Something the service's background threads did (posted from those threads)."""

        def __init__(self, event: ServiceEvent) -> None:
            self.event = event
            super().__init__()

    class ListingReady(Message):
        """A listing built in a worker, for the view it was asked for."""

        def __init__(self, listing: Listing) -> None:
            self.listing = listing
            super().__init__()

    def __init__(self, service: TriageService, *, now: datetime | None = None, analyze: bool = True,
                 loaded: bool = False) -> None:
        super().__init__()
        self.service = service
        s = service.settings
        start = View(name=s.get("ui.view", "inbox"), sort=s.get("ui.sort", "newest"))
        self.set_reactive(MainScreen.view, start if start.name in VIEWS else View())
        self._now = now
        self._analyze = analyze
        self._preloaded = loaded
        self._keep: set[str] = set()  # decided on screen: stay listed until the view changes
        self._status = Status(view=self.view)
        self._analysis_error = ""
        self._failed: dict[str, str] = {}  # stories whose analysis failed, and why
        self._updates: dict[tuple[str, str], object] = {}  # (id, version) -> what the update added
        self._shown_id: str | None = None
        self._shown: tuple = (None, None, None, None)  # article, analysis, decision event, update on screen
        self._shown_status = ""
        self._last_move = 0.0
        self._reader_timer = None
        self._search_timer = None
        self._listing_busy = False
        self._listing_again = False
        self._last_progress_paint = 0.0
        self._text_stale = False  # the text pane was hidden when the story changed
        self._list_offset = 0  # the cursor's row in the list when the reading view opened

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with Horizontal(id="body"):
            yield ArticleList(id="list", now=self._now, row_of=self.service.row)
            with Vertical(id="reader"):
                yield SummaryPanel(id="summary")
                yield ArticleText(id="text")
        yield Input(placeholder="search title, text, entities (enter: keep, esc: clear)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.query_one(ArticleList).focus()
        self._apply_layout(self.app.size.width)
        svc = self.service
        done, total, finished = svc.progress
        self._set_status(loading=None if (finished or self._preloaded) else (done, total))
        svc.listeners.append(self._from_service)
        # The rest of the background (analysis, indexing, polling) once the list has painted.
        svc.start(analyze=self._analyze, load=not self._preloaded, defer=True)
        self.set_timer(1.5, svc.start_more)  # at the latest
        self.request_listing()

    def on_unmount(self) -> None:
        if self._from_service in self.service.listeners:
            self.service.listeners.remove(self._from_service)

    def _from_service(self, event: ServiceEvent) -> None:
        """Called on the service's threads: hand the event to the event loop."""
        self.post_message(self.FromService(event))

    def on_resize(self, event) -> None:
        self._apply_layout(event.size.width)
        self._paint_status()

    @property
    def stacked(self) -> bool:
        """True below `ui.stack_below_columns`: the list above the summary, the text in the reading view."""
        return self.has_class("-stacked")

    def _apply_layout(self, width: int) -> None:
        self.set_class(width < int(self.service.settings.get("ui.stack_below_columns", 100)), "-stacked")
        self.call_after_refresh(self._relayout)

    def _relayout(self) -> None:
        """Give the panes their heights for this terminal and this story (see triage.tui.layout)."""
        body = self.query_one("#body")
        lst = self.query_one(ArticleList)
        summary = self.query_one(SummaryPanel)
        text = self.query_one(ArticleText)
        if self.reading:
            text.display = True
            self._refresh_text()
            return
        if not body.size.height:
            return
        stacked = self.stacked
        lines = summary.lines_for()
        plan = plan_layout(body.size.height, stacked=stacked, needed=lines.needed, full=lines.full)
        lst.styles.height = plan.list_rows + 1 if stacked else None  # +1: the border under it
        summary.styles.height = plan.summary_rows + (1 if plan.text else 0)
        self.set_class(not plan.text, "-notext")
        summary.fit_to(plan.summary_rows, compact=stacked)
        if text.display != plan.text:
            text.display = plan.text
            if plan.text:
                self._refresh_text()

    def _refresh_text(self) -> None:
        if self._text_stale:
            self._text_stale = False
            self._paint_text(scroll=True)

    @on(SummaryPanel.WidthChanged)
    def _summary_width(self) -> None:
        self._relayout()

    def watch_reading(self, reading: bool) -> None:
        self.set_class(reading, "-reading")
        self.refresh_bindings()
        text = self.query_one(ArticleText)
        lst = self.query_one(ArticleList)
        if reading:
            self._list_offset = lst.cursor - int(lst.scroll_y)  # the cursor's row on screen, kept for later
            self.query_one("#search", Input).display = False
            text.display = True
            stale, self._text_stale = self._text_stale, False
            self._paint_text(scroll=stale)  # with the decision line; at the top unless it was on screen
            text.focus()
        else:
            self._paint_text(scroll=False)
            lst.focus()
            self.call_after_refresh(self._back_to_list)

    def _back_to_list(self) -> None:
        """Out of the reading view: the story read (or decided on to) under the cursor, on the row
        where the cursor was before."""
        self._relayout()
        lst = self.query_one(ArticleList)
        rows = lst.scrollable_content_region.height or 1
        offset = max(0, min(self._list_offset, rows - 1))
        lst.scroll_to(y=max(0, lst.cursor - offset), animate=False, immediate=True)

    # -- what the service tells ------------------------------------------------------------------
    def on_main_screen_from_service(self, msg: FromService) -> None:
        """One handler per kind of service event: ArticlesChanged -> on_articles_changed, and so on."""
        getattr(self, msg.event.handler_name())(msg.event)

    def on_articles_changed(self, ev: ArticlesChanged) -> None:
        self.request_listing()
        change, loaded = ev.change, self.service.progress[2]
        if change.problems and loaded:
            self._tell(f"{len(change.problems)} new problem(s): press p to see them.", severity="warning")
        if change.changed and loaded:
            self._tell(f"{len(change.changed)} new or updated article(s).", timeout=3)
        if self._shown_id and self._shown_id in change.changed:
            self._show(self._shown_id, scroll=False)

    def on_load_progress(self, ev: LoadProgress) -> None:
        self._set_status(loading=None if ev.finished else (ev.done, ev.total))
        if ev.finished:
            self.request_listing()
            problems = self.service.problems
            if problems:
                self._tell(f"{len(problems)} item(s) could not be read: press p to see them.", severity="warning")

    def on_decisions_changed(self, ev: DecisionsChanged) -> None:
        self.request_listing()
        if ev.saved_now:
            self._tell(f"Saved now: {ev.saved_now} decision(s) that could not be written before.", timeout=4)
        self._show(self._shown_id, scroll=False)
        self._set_status()

    def on_analysed(self, ev: Analysed) -> None:
        if self._shown_id in ev.ids or not ev.ids:
            self._show(self._shown_id, scroll=False)
        now = time.monotonic()
        if now - self._last_progress_paint > 0.25 or ev.done >= ev.total:
            self._last_progress_paint = now
            self._set_status(analysing=(ev.done, ev.total) if ev.done < ev.total else None)
        for aid, why in ev.failures:
            self._failed[aid] = why
            if aid == self._shown_id:
                self._show(aid, scroll=False)

    def on_analysis_stopped(self, ev: AnalysisStopped) -> None:
        self._analysis_error = ev.reason
        self._tell(f"Summaries unavailable: {ev.reason}", severity="error", timeout=10)
        self._set_status(analysing=None)
        self._show(self._shown_id, scroll=False)

    def on_write_settled(self, ev: WriteSettled) -> None:
        self._saved(ev.saved)

    def on_notice(self, ev: Notice) -> None:
        if ev.text:
            self._tell(ev.text, severity=ev.severity, timeout=10 if ev.severity == "error" else 4)

    def on_status_text(self, ev: StatusText) -> None:
        self._set_status(activity=ev.text)

    # -- the list: built in a worker, swapped in here ---------------------------------------------
    def request_listing(self) -> None:
        """Rebuild the list for the current view in a worker (coalesced: one at a time, the latest wins)."""
        if self._listing_busy:
            self._listing_again = True
            return
        self._listing_busy = True
        self._build_listing(self.view, frozenset(self._keep))

    @work(thread=True, group="listing", exit_on_error=False)
    def _build_listing(self, view: View, keep: frozenset[str]) -> None:
        try:
            listing = self.service.listing(view, keep)
        except Exception as exc:  # shown, never a crash
            self.app.log.error(f"listing failed: {exc!r}")
            listing = Listing(view, (), {}, {})
        self.post_message(self.ListingReady(listing))

    def on_main_screen_listing_ready(self, msg: ListingReady) -> None:
        self._listing_busy = False
        if msg.listing.view == self.view:
            self._apply_listing(msg.listing)
        if self._listing_again or msg.listing.view != self.view:
            self._listing_again = False
            self.request_listing()

    def _apply_listing(self, listing: Listing) -> None:
        lst = self.query_one(ArticleList)
        current = lst.current_id
        keep = self.service.leader_of(current) if current else None
        lst.set_listing(listing, keep=keep)
        if not listing.ids:
            self._show(None)
        elif not self.service.more_started:
            self.call_after_refresh(self.service.start_more)
        self._set_status(counts=listing.counts, selected=len(lst.selected), matches=len(listing.ids))

    def refresh_view(self) -> None:
        """Rebuild the list (decisions changed elsewhere), keeping cursor and reading place."""
        self.request_listing()
        self._show(self._shown_id, scroll=False)

    def watch_view(self, old: View, new: View) -> None:
        self._set_status(view=new, matches=None)
        self.request_listing()

    # -- status ----------------------------------------------------------------------------------
    _UNSET = object()

    def _set_status(self, *, counts=_UNSET, selected=_UNSET, loading=_UNSET, analysing=_UNSET,
                    activity=_UNSET, view=_UNSET, matches=_UNSET) -> None:
        changes = {k: v for k, v in (("counts", counts), ("selected", selected), ("loading", loading),
                                     ("analysing", analysing), ("activity", activity), ("view", view),
                                     ("matches", matches))
                   if v is not MainScreen._UNSET}
        self._status = replace(self._status, not_saved=self.service.pending, **changes)
        self._paint_status()

    def _paint_status(self) -> None:
        try:
            self.query_one(TopBar).show(self._status, self.app.size.width)
        except Exception:  # not mounted yet
            pass

    # -- showing ---------------------------------------------------------------------------------
    @on(ArticleList.SelectionChanged)
    def _selection_changed(self, msg: ArticleList.SelectionChanged) -> None:
        self._set_status(selected=msg.count)

    @on(ArticleList.Highlighted)
    def _highlighted(self, msg: ArticleList.Highlighted) -> None:
        # While a key is held (moves closer than READER_DEBOUNCE apart) only the list repaints; the
        # reading pane follows as soon as the cursor rests. A single keypress shows at once.
        now = time.monotonic()
        quick = now - self._last_move < READER_DEBOUNCE
        self._last_move = now
        if self._reader_timer is not None:
            self._reader_timer.stop()
            self._reader_timer = None
        if quick:
            self._reader_timer = self.set_timer(READER_DEBOUNCE, lambda: self._show(msg.article_id))
        else:
            self._show(msg.article_id)

    def _show(self, article_id: str | None, scroll: bool = True) -> None:
        self._shown_id = article_id
        svc = self.service
        article = svc.article(article_id) if article_id else None
        analysis = svc.cached_analysis(article, wait=False) if article else None
        if article is not None and analysis is None and self._analyze:
            svc.prioritise([article.id, *self.query_one(ArticleList).neighbours()])
        status = ""
        if analysis is None:
            failed = self._failed.get(article_id or "", "")
            if failed:
                status = f"No summary: this story could not be summarised ({failed})."
            elif self._analysis_error:
                status = f"No summary: {self._analysis_error}"
            elif not self._analyze:
                status = "Analysis is off."
            else:
                status = "Analysing… (the summary appears here when ready)"
        event = svc.current_event(article_id) if article_id else None
        update = None
        if article is not None and article.updated:
            key = (article.id, article.content_hash)
            if key not in self._updates:
                self._updates[key] = None  # being compared (once)
                self._load_update(article.id, article.content_hash)
            update = self._updates[key] or None
        same = (self._shown_status == status
                and all(a is b for a, b in zip((article, analysis, event, update), self._shown, strict=True)))
        if same and not scroll:  # an event about other stories: nothing to draw again
            return
        self.query_one(SummaryPanel).show(article, analysis, status=status, event=event, update=update)
        self._shown = (article, analysis, event, update)
        self._shown_status = status
        if self.query_one(ArticleText).display:
            self._paint_text(scroll)
        else:  # hidden (small terminals, outside the reading view): painted when it shows
            self._text_stale = True
        self._relayout()

    def _paint_text(self, scroll: bool) -> None:
        article, analysis, event, update = self._shown
        text = self.query_one(ArticleText)
        if scroll:
            text.show(article, analysis, event if self.reading else None, update)
        else:
            y = text.scroll_y
            text.show(article, analysis, event if self.reading else None, update)
            text.scroll_to(y=y, animate=False)

    class UpdateReady(Message):
        """What an updated story's latest version added, compared in a worker."""

        def __init__(self, article_id: str, content_hash: str, update) -> None:
            self.article_id = article_id
            self.content_hash = content_hash
            self.update = update
            super().__init__()

    @work(thread=True, group="update", exit_on_error=False)
    def _load_update(self, article_id: str, content_hash: str) -> None:
        """Compare the story with the version the reader last saw or decided (kept versions: SQLite),
        then remember that they have now seen this one."""
        try:
            got = self.service.update_of(article_id)
        except Exception as exc:
            self.app.log.error(f"update comparison failed: {exc!r}")
            got = None
        self.service.mark_read(article_id)
        self.post_message(self.UpdateReady(article_id, content_hash, got[0] if got else None))

    def on_main_screen_update_ready(self, msg: UpdateReady) -> None:
        self._updates[(msg.article_id, msg.content_hash)] = msg.update
        if msg.article_id == self._shown_id:
            self._show(msg.article_id, scroll=False)

    def _tell(self, message: str, *, severity: str = "information", timeout: float = 3, title: str = "") -> None:
        """A notification that may quote untrusted text (URLs, file names, errors): cleaned, never markup."""
        self.notify(plain(message, one_line=True), title=title, severity=severity, timeout=timeout, markup=False)

    # -- search ----------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        # The letter shows at once (the Input draws it); the list follows a moment after the last one.
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self._set_search(value))

    def _set_search(self, value: str) -> None:
        self._search_timer = None
        if value != self.view.search:
            self.view = replace(self.view, search=value)

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._set_search(event.value)
        self.query_one(ArticleList).focus()
