"""The triage screen: article list | summary over full text; the list and the summary on small
terminals; the full text alone in the reading view (`reading`).

The screen only swaps in what the background prepared. The service's threads load, watch, fetch,
index, analyse and poll the store, and tell the screen through `ServiceEvent`; the list's ids for a
view (a Listing, which walks the inbox) are built in a thread worker; decisions show at once and
are written by the service's writer thread. Nothing here costs more as the inbox grows.
Its parts: `Deciding` (decisions), `Finding` (search, filters, views), `StoryPane` (what the panes
show); the key handlers here delegate to them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from typing import TypedDict, Unpack

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input

from triage.core import VIEWS, Listing, View
from triage.core.events import (
    Analysed,
    AnalysisStopped,
    ArticlesChanged,
    DecisionsChanged,
    DeskChanged,
    LoadProgress,
    Notice,
    ServiceEvent,
    StatusText,
    WriteSettled,
)
from triage.core.service import TriageService
from triage.infra.counts import count_of
from triage.tui.format import Clock, nothing_listed
from triage.tui.keymap import bindings
from triage.tui.safe import plain
from triage.tui.screens import links
from triage.tui.screens.bell import FlashBell
from triage.tui.screens.deciding import Deciding
from triage.tui.screens.desk import DeskPart
from triage.tui.screens.dialogs import HelpScreen, MessageScreen, ProblemsScreen
from triage.tui.screens.finding import Finding
from triage.tui.screens.listing_feed import ListingFeed
from triage.tui.screens.panes import Panes
from triage.tui.screens.story import StoryPane
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.footer import KeysFooter
from triage.tui.widgets.reader import ArticleText, SummaryPanel
from triage.tui.widgets.topbar import Status, TopBar

__all__ = ["MainScreen", "StatusChanges"]

READER_DEBOUNCE = 0.08  # seconds: moves closer than this are "key held down"
TICK_SECONDS = 60  # the visible rows and the panel repaint this often (embargoes count down)
DESK_TICK_SECONDS = 1.0  # the top bar's desk part is read again this often (a store gone quiet says nothing)


class StatusChanges(TypedDict, total=False):
    """Fields of the top bar's Status a caller may change (see topbar.Status)."""

    view: View
    counts: dict[str, int]
    selected: int
    loading: tuple[int, int] | None
    analysing: tuple[int, int] | None
    activity: str
    matches: int | None
    kept: int


class MainScreen(Screen):
    """List, summary and text; decisions, search, views and the rest of the keyboard."""

    BINDINGS = bindings("main")
    view: reactive[View] = reactive(View, init=False)
    reading: reactive[bool] = reactive(False, init=False)
    """The reading view: the full text takes the screen (enter on small terminals, z anywhere)."""

    class FromService(Message):
        """Something the service's background threads did (posted from those threads)."""

        def __init__(self, event: ServiceEvent) -> None:
            self.event = event
            super().__init__()

    def __init__(
        self,
        service: TriageService,
        *,
        now: datetime | None = None,
        analyze: bool = True,
        loaded: bool = False,
    ) -> None:
        super().__init__()
        self.service = service
        s = service.settings
        start = View(name=s.ui.view, sort=s.ui.sort)
        self.set_reactive(MainScreen.view, start if start.name in VIEWS else View())
        self.clock = Clock(now)
        self._analyze = analyze
        self._preloaded = loaded
        self.desk = DeskPart(self, service)
        self.deciding = Deciding(self, service, guard=self.desk.before_deciding)
        self.finding = Finding(self, service.faces)
        self.story = StoryPane(self, service, analyze=analyze, desk=self.desk)
        self._status = Status(view=self.view)
        self.bell = FlashBell(
            s.ui.bell_on_flash, service.faces.articles.article, lambda: self.app.bell()
        )
        self._last_move = 0.0
        self._touched = False  # a key pressed here: from then on the cursor stays on its story
        self._shown_view: View | None = None  # the view of the listing on screen
        self._reader_timer: Timer | None = None
        self._goto: str | None = None  # a story to put the cursor on once the listing holds it
        self.listing = ListingFeed(self, service.listing)
        self._last_progress_paint = 0.0
        self.panes = Panes(self, self.story)

    # -- what the parts ask of the screen (see screens.host and each part's Protocol) -------------
    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def search_box(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def summary_panel(self) -> SummaryPanel:
        return self.query_one(SummaryPanel)

    @property
    def article_text(self) -> ArticleText:
        return self.query_one(ArticleText)

    @property
    def body(self) -> Widget:
        return self.query_one("#body")

    def ask(self, dialog: ModalScreen[str | None], then: Callable[[str | None], None]) -> None:
        self.app.push_screen(dialog, then)

    def open_dialog(self, dialog: ModalScreen, then: Callable[[object], None] | None = None) -> None:
        self.app.push_screen(dialog, then)

    def ring(self) -> None:
        self.app.bell()

    def go_to_story(self, story_id: str) -> None:
        """The cursor on a story; when the view does not list it, every story is shown first."""
        leader = self.service.faces.articles.leader_of(story_id) or story_id
        lst = self.article_list
        self.reading = False
        at = lst.index_of(leader)
        if at is not None:
            lst.cursor = at
            lst.focus()
            return
        self._goto = leader
        self.finding.show_all()

    def search_for(self, query: str) -> None:
        """List what a search (a watch's query) matches, the search box saying it."""
        self.finding.search_for(query)

    def show_message(self, title: str, body: str) -> None:
        self.app.push_screen(MessageScreen(title, body))

    def copy_to_clipboard(self, text: str) -> None:
        self.app.copy_to_clipboard(text)

    def in_thread(self, job: Callable[[], None], *, group: str, exclusive: bool = False) -> None:
        self.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def from_thread(self, callback: Callable[[], object]) -> None:
        self.app.call_from_thread(callback)

    def after(self, seconds: float, callback: Callable[[], object]) -> Timer:
        return self.set_timer(seconds, callback)

    def reshow_story(self, among: Collection[str] | None = None) -> None:
        if among is None or self.story.shown_id in among:
            self.story.reshow()

    def forget_kept(self) -> None:
        self.deciding.keep.clear()

    def kept(self) -> frozenset[str]:
        return frozenset(self.deciding.keep)

    def on_key(self, event: events.Key) -> None:
        """Any key the person presses: the cursor is theirs from now on (see show_listing)."""
        self._touched = True

    def show_listing(self, listing: Listing) -> None:
        """A listing for the current view, built in a worker: the list, the panel and the counts.
        Until the person presses a key the cursor stays on the top row, so a load that puts newer
        stories above the first one read opens on the story the list leads with."""
        lst = self.article_list
        current = lst.current_id if self._touched else None
        goto = self._goto if self._goto is not None and self._goto in listing.index else None
        if goto is not None:
            self._goto, current = None, goto
        # A new search or filter: the story under the cursor stays if it matches, else the first match.
        shown, self._shown_view = self._shown_view, listing.view
        found = shown is None or (shown.search, shown.entity, shown.source) != (
            listing.view.search, listing.view.entity, listing.view.source)
        lst.set_listing(listing, keep=self.service.faces.articles.leader_of(current) if current else None,
                        from_top=goto is None and (found or not self._touched))
        if not listing.ids:
            settings = self.service.settings
            lst.say_when_empty(nothing_listed(
                listing.view, listing.counts.get("all", 0), folders=[str(f) for f in settings.inbox],
                problems=len(self.service.problems), watching=settings.watch.enabled,
                loading=not self.service.progress[2]))
            self.story.show(None)
        else:
            self.call_after_refresh(self.service.start_more)  # once: later calls do nothing
        self.set_status(counts=listing.counts, selected=len(lst.selected), matches=len(listing.ids),
                        kept=listing.kept)

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with Horizontal(id="body"):
            yield ArticleList(
                id="list",
                clock=self.clock,
                row_of=self.service.row,
                desk_of=self.desk.mark,
                default_language=self.service.settings.ui.default_language,
            )
            with Vertical(id="reader"):
                yield SummaryPanel(id="summary", clock=self.clock,
                                   desk_language=self.service.settings.ui.default_language)
                yield ArticleText(id="text")
        yield Input(placeholder="search title, text, entities (enter: keep, esc: clear)", id="search")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.query_one(ArticleList).focus()
        self._apply_layout(self.app.size.width)
        svc = self.service
        done, total, finished = svc.progress
        self.set_status(loading=None if (finished or self._preloaded) else (done, total))
        svc.listeners.append(self._from_service)
        # The rest of the background (analysis, indexing, polling) once the list has painted.
        svc.start(analyze=self._analyze, load=not self._preloaded, defer=True)
        self.set_timer(1.5, svc.start_more)  # at the latest
        self.set_interval(TICK_SECONDS, self.tick)
        self.set_interval(DESK_TICK_SECONDS, self._desk_tick)
        self.request_listing()

    def tick(self) -> None:
        """Once a minute: the visible rows and the panel again (ages move on, embargoes pass)."""
        self.query_one(ArticleList).refresh()
        self.story.tick()

    def _desk_tick(self) -> None:
        """The bar's desk fields again when they changed (a store that cannot be reached at start, or
        comes back, emits no event)."""
        people, for_me, problem, _word = self.desk.status()
        s = self._status
        if (people, for_me, problem) != (s.people, s.for_me, s.problem):
            self.set_status()

    def on_unmount(self) -> None:
        if self._from_service in self.service.listeners:
            self.service.listeners.remove(self._from_service)

    def _from_service(self, event: ServiceEvent) -> None:
        """Called on the service's threads: hand the event to the event loop."""
        self.post_message(self.FromService(event))

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width)
        self._paint_status()

    @property
    def stacked(self) -> bool:
        """True below `ui.stack_below_columns`: the list above the summary, the text in the reading view."""
        return self.has_class("-stacked")

    def _apply_layout(self, width: int) -> None:
        self.set_class(width < self.service.settings.ui.stack_below_columns, "-stacked")
        self.call_after_refresh(self.relayout)

    def relayout(self) -> None:
        """Give the panes their heights for this terminal and this story."""
        self.panes.relayout()

    @on(SummaryPanel.WidthChanged)
    def _summary_width(self) -> None:
        self.relayout()

    def watch_reading(self, reading: bool) -> None:
        self.panes.reading_changed(reading)

    # -- what the service tells ------------------------------------------------------------------
    def on_main_screen_from_service(self, msg: FromService) -> None:
        """One handler per kind of service event: ArticlesChanged -> on_articles_changed, and so on."""
        getattr(self, msg.event.handler_name())(msg.event)

    def on_articles_changed(self, ev: ArticlesChanged) -> None:
        self.request_listing()
        change, loaded = ev.change, not ev.loading and self.service.progress[2]
        if change.problems and loaded:
            self.tell(f"{count_of(len(change.problems), 'new problem')}: press p to see them.",
                      severity="warning")
        if change.changed and loaded:
            self.tell(f"{count_of(len(change.changed), 'new or updated article')}.", timeout=3)
        self.bell.arrived(change.changed)
        if self.story.shown_id and self.story.shown_id in change.changed:
            self.story.reshow()

    def on_load_progress(self, ev: LoadProgress) -> None:
        self.set_status(loading=None if ev.finished else (ev.done, ev.total))
        if ev.finished:
            self.request_listing()
            problems = self.service.problems
            if problems:
                self.tell(
                    f"{count_of(len(problems), 'item')} could not be read: press p to see why.",
                    severity="warning"
                )

    def on_decisions_changed(self, ev: DecisionsChanged) -> None:
        self.request_listing()
        if ev.saved_now:
            self.tell(f"Saved now: {count_of(ev.saved_now, 'decision')} that could not be written before.",
                      timeout=4)
        self.story.reshow()
        self.set_status()

    def on_analysed(self, ev: Analysed) -> None:
        if self.story.shown_id in ev.ids or not ev.ids:
            self.story.reshow()
        now = time.monotonic()
        if now - self._last_progress_paint > 0.25 or ev.done >= ev.total:
            self._last_progress_paint = now
            self.set_status(analysing=(ev.done, ev.total) if ev.done < ev.total else None)
        for aid, why in ev.failures:
            self.story.failed[aid] = why
            if aid == self.story.shown_id:
                self.story.reshow()

    def on_analysis_stopped(self, ev: AnalysisStopped) -> None:
        self.story.analysis_error = ev.reason
        self.tell(f"Summaries unavailable: {ev.reason}", severity="error", timeout=10)
        self.set_status(analysing=None)
        self.story.reshow()

    def on_desk_changed(self, ev: DeskChanged) -> None:
        self.desk.changed(ev)

    def on_write_settled(self, ev: WriteSettled) -> None:
        self.deciding.saved(ev.saved)

    def on_notice(self, ev: Notice) -> None:
        if ev.text:
            self.tell(ev.text, severity=ev.severity, timeout=10 if ev.severity == "error" else 4)

    def on_status_text(self, ev: StatusText) -> None:
        self.set_status(activity=ev.text)

    # -- the list: built in a worker (ListingFeed), swapped in ----------------------------------
    def request_listing(self) -> None:
        """Rebuild the list for the current view in a worker (coalesced: one at a time, the latest wins)."""
        self.listing.request()

    def refresh_view(self) -> None:
        """Rebuild the list (decisions changed elsewhere), keeping cursor and reading place."""
        self.request_listing()
        self.story.reshow()

    def watch_view(self, old: View, new: View) -> None:
        self.set_status(view=new, matches=None, kept=0)
        self.request_listing()

    # -- status ----------------------------------------------------------------------------------
    def set_status(self, **changes: Unpack[StatusChanges]) -> None:
        """Change some of the top bar's fields (see topbar.Status); NOT SAVED is always read afresh."""
        people, for_me, problem, word = self.desk.status()
        self._status = replace(self._status, not_saved=self.service.faces.decisions.pending, people=people,
                               for_me=for_me, problem=problem, problem_word=word, **changes)
        self._paint_status()

    def _paint_status(self) -> None:
        try:
            self.query_one(TopBar).show(self._status, self.app.size.width)
        except Exception:  # not mounted yet
            pass

    # -- showing ---------------------------------------------------------------------------------
    @on(ArticleList.SelectionChanged)
    def _selection_changed(self, msg: ArticleList.SelectionChanged) -> None:
        self.set_status(selected=msg.count)

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
            self._reader_timer = self.set_timer(READER_DEBOUNCE, lambda: self.story.show(msg.article_id))
        else:
            self.story.show(msg.article_id)

    def tell(
        self, message: str, *, severity: SeverityLevel = "information", timeout: float = 3, title: str = ""
    ) -> None:
        """A notification that may quote untrusted text (URLs, file names, errors): cleaned, never markup."""
        self.notify(
            plain(message, one_line=True), title=title, severity=severity, timeout=timeout, markup=False
        )

    # -- search ----------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.finding.typed(event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.finding.submitted(event.value)

    # -- keys: each handled by the part that owns it (see triage.tui.keymap) ----------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the reading view `enter` (read) has nothing more to do: hidden from the footer there."""
        return not (action == "open" and self.reading)

    def action_decide(self, value: str) -> None:
        self.deciding.decide(value)

    def action_decide_note(self, value: str) -> None:
        self.deciding.decide_note(value)

    def action_undo(self) -> None:
        self.deciding.undo()

    def action_note(self) -> None:
        self.deciding.note()

    def action_search(self) -> None:
        self.finding.search()

    def action_back(self) -> None:
        self.finding.back()

    def action_entity_filter(self) -> None:
        self.finding.entity_filter()

    def action_source_filter(self) -> None:
        self.finding.source_filter()

    def action_view(self, name: str) -> None:
        self.finding.view(name)

    def action_sort(self) -> None:
        self.finding.sort()

    def action_review(self) -> None:
        from triage.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.service), lambda _=None: self.refresh_view())

    def action_take(self) -> None:
        self.desk.take()

    def action_hand(self) -> None:
        self.desk.hand()

    def action_mine(self) -> None:
        self.desk.mine()

    def action_watches(self) -> None:
        self.desk.watches()

    def action_handover(self) -> None:
        self.desk.handover()

    def action_problems(self) -> None:
        self.app.push_screen(ProblemsScreen(self.service.problems))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_copy_url(self) -> None:
        links.copy_url(self)

    def action_open_url(self) -> None:
        links.open_url(self)

    def action_page_text(self) -> None:
        text = self.query_one(ArticleText)
        if not text.display:  # small terminals: the text is in the reading view
            self.reading = True
        else:
            text.scroll_page_down(animate=False)

    def action_open(self) -> None:
        """enter: read. Small terminals open the reading view; wide ones focus the text beside the list."""
        if self.stacked or not self.query_one(ArticleText).display:
            self.reading = True
        else:
            self.query_one(ArticleText).focus()

    def action_zoom(self) -> None:
        """z: the reading view on or off, at any size."""
        self.reading = not self.reading

    def action_tab(self) -> None:
        """tab: into the text and back (the reading view on small terminals)."""
        if self.reading:
            self.reading = False
        elif self.query_one(ArticleList).has_focus and self.stacked:
            self.reading = True
        else:
            self.focus_next()
