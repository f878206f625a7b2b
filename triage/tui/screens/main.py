"""The triage screen: article list | summary over full text; every key of the app's main work."""

from __future__ import annotations

import os
import threading
import time
import webbrowser
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from triage.model import Analysis, Decision
from triage.service import SORTS, VIEWS, TriageService, View
from triage.tui.safe import plain
from triage.tui.screens.dialogs import HelpScreen, MessageScreen, NoteScreen, PickScreen, ProblemsScreen
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import KIND_LABELS, ArticleText, SummaryPanel
from triage.tui.work_queue import AnalysisQueue

__all__ = ["MainScreen"]

VIEW_LABELS = {"inbox": "Inbox", "follow-up": "Follow-up", "flagged": "Flagged", "archived": "Archived", "all": "All"}
READER_DEBOUNCE = 0.08  # seconds: moves closer than this are "key held down"
SAVED_WORDS = {Decision.FOLLOW_UP: "follow-up", Decision.ARCHIVE: "archived", Decision.FLAG: "flagged", None: "cleared"}


class MainScreen(Screen):
    """List, summary and text; decisions, search, views and the rest of the keyboard."""

    BINDINGS = [
        Binding("f", "decide('follow-up')", "Follow up"),
        Binding("a", "decide('archive')", "Archive"),
        Binding("x", "decide('flag')", "Flag"),
        Binding("u", "undo", "Undo"),
        Binding("n", "note", "Note"),
        Binding("slash", "search", "Search"),
        Binding("e", "entity_filter", "Entity", show=False),
        Binding("1", "view('inbox')", "Inbox", show=False),
        Binding("2", "view('follow-up')", "Follow-up", show=False),
        Binding("3", "view('flagged')", "Flagged", show=False),
        Binding("4", "view('archived')", "Archived", show=False),
        Binding("5", "view('all')", "All", show=False),
        Binding("s", "sort", "Sort", show=False),
        Binding("r", "review", "Review"),
        Binding("p", "problems", "Problems", show=False),
        Binding("c", "copy_url", "Copy URL", show=False),
        Binding("o", "open_url", "Open URL", show=False),
        Binding("space", "page_text", "Page text", show=False),
        Binding("enter", "focus_text", "Read", show=False),
        Binding("escape", "escape", "Clear", show=False),
        Binding("question_mark", "help", "Help"),
    ]

    class AnalysisReady(Message):
        """An article's analysis is ready (posted from the analysis thread)."""

        def __init__(self, article_id: str, analysis: Analysis, done: int, total: int) -> None:
            self.article_id = article_id
            self.analysis = analysis
            self.done = done
            self.total = total
            super().__init__()

    class AnalysisFailed(Message):
        """The analysis could not run (model failed to load, say)."""

        def __init__(self, reason: str) -> None:
            self.reason = reason
            super().__init__()

    class Loaded(Message):
        """The inbox finished loading (posted from the load thread)."""

    class InboxChanged(Message):
        """Files in a watched inbox folder appeared, changed or went away (from the watch thread)."""

        def __init__(self, update) -> None:
            self.update = update
            super().__init__()

    class FeedsFetched(Message):
        """A feed refresh finished; `result` (an IngestResult, None on failure) is merged on the UI side."""

        def __init__(self, result) -> None:
            self.result = result
            super().__init__()

    def __init__(self, service: TriageService, *, now: datetime | None = None, analyze: bool = True,
                 loaded: bool = False) -> None:
        super().__init__()
        self.service = service
        s = service.settings
        self.view_state = View(name=s.get("ui.view", "inbox"), sort=s.get("ui.sort", "newest"))
        if self.view_state.name not in VIEWS:
            self.view_state = View()
        self._now = now
        self._analyze = analyze
        self._preloaded = loaded
        self._keep: set[str] = set()  # decided on screen: stay listed until the view changes
        self._undo: list[list[str]] = []
        self._queue = AnalysisQueue()
        self._status = "Loading inbox…"
        self._analysis_error = ""
        self._shown_id: str | None = None
        self._stop_watch = threading.Event()
        self._last_move = 0.0
        self._reader_timer = None

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with Horizontal(id="body"):
            yield ArticleList(id="list", now=self._now)
            with Vertical(id="reader"):
                yield SummaryPanel(id="summary")
                yield ArticleText(id="text")
        yield Input(placeholder="search title, text, entities (enter: keep, esc: clear)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.query_one(ArticleList).focus()
        self._apply_layout(self.app.size.width)
        self._render_topbar()
        if self._preloaded:
            self._after_load()
        else:
            self._load()
        poll = float(self.service.settings.get("store.poll_seconds", 1.0))
        if poll > 0:
            self.set_interval(poll, self._poll_store)

    def on_resize(self, event) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        self.set_class(width < int(self.service.settings.get("ui.stack_below_columns", 100)), "-stacked")

    # -- loading ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        try:
            self.service.start_loading().result()
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged
            self.app.log.error(f"loading failed: {exc!r}")
            self.app.call_from_thread(self._tell, f"Could not load the inbox: {exc}", severity="error")
        self.post_message(self.Loaded())

    def on_main_screen_loaded(self, _: Loaded) -> None:
        self._after_load()

    def _after_load(self) -> None:
        try:
            self.service.refresh_decisions()
        except Exception as exc:  # noqa: BLE001
            self._tell(str(exc), title="Decisions file", severity="error", timeout=10)
        self._status = ""
        self._reload_rows()
        problems = self.service.problems
        if problems:
            self._tell(f"{len(problems)} item(s) could not be read: press p to see them.", severity="warning")
        if self._analyze:
            # After the first paint: reading the analysis cache must not hold up the list.
            self.call_after_refresh(self._analysis_loop, True)
        settings = self.service.settings
        if settings.get("watch.enabled", True) and self.service.inbox:
            self._watch()
        if settings.feeds:
            self._fetch_feeds()
            minutes = float(settings.get("fetch.refresh_minutes", 15))
            if minutes > 0:
                self.set_interval(minutes * 60, self._fetch_feeds)

    def on_unmount(self) -> None:
        self._stop_watch.set()

    # -- live inbox and feeds --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch(self) -> None:
        from triage.sources.watch import watch_paths

        try:
            watch_paths(list(self.service.inbox), lambda update: self.post_message(self.InboxChanged(update)),
                        stop_event=self._stop_watch, **self.service.watch_options())
        except Exception as exc:  # noqa: BLE001 - live updates are a convenience; say so and go on
            self.app.call_from_thread(self._tell, f"Live inbox updates stopped: {exc}", severity="warning")

    def on_main_screen_inbox_changed(self, msg: InboxChanged) -> None:
        u = msg.update
        changed = self.service.merge_articles(u.articles, u.problems, removed_paths=u.removed)
        self._merged(changed, len(u.problems))

    @work(thread=True, exclusive=True, group="feeds", exit_on_error=False)
    def _fetch_feeds(self) -> None:
        def progress(done: int, total: int, name: str = "") -> None:
            self._status = f"fetching feeds {done}/{total}" if done < total else ""
            self.app.call_from_thread(self._render_topbar)

        self._status = "fetching feeds…"
        self.app.call_from_thread(self._render_topbar)
        try:
            result = self.service.fetch_feeds(progress=progress)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._tell, f"Feed refresh failed: {exc}", severity="error")
            result = None
        self._status = ""
        self.post_message(self.FeedsFetched(result))

    def on_main_screen_feeds_fetched(self, msg: FeedsFetched) -> None:
        # Merged here, on the event loop, like the inbox watcher's changes: one writer of the article set.
        if msg.result is None:
            self._render_topbar()
            return
        changed = self.service.merge_articles(msg.result.articles, msg.result.problems)
        self._merged(changed, 0)

    def _merged(self, changed: list[str], problems: int) -> None:
        self._reload_rows()
        if changed:
            self._tell(f"{len(changed)} new or updated article(s).", timeout=3)
            if self._analyze:
                self._queue.add(changed)
        if problems:
            self._tell(f"{problems} new problem(s): press p to see them.", severity="warning")
        self._show(self._shown_id, scroll=False)

    def refresh_view(self) -> None:
        """Rebuild the list from the service (decisions changed elsewhere), keeping cursor and reading place."""
        self._reload_rows()
        self._show(self._shown_id, scroll=False)

    def _reload_rows(self, keep_cursor: bool = True) -> None:
        lst = self.query_one(ArticleList)
        current = lst.current.article.id if (keep_cursor and lst.current) else None
        lst.set_rows(self.service.rows(self.view_state, keep=self._keep), keep=current)
        if not lst.rows:
            self._show(None)
        self._render_topbar()

    # -- analysis --------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _analysis_loop(self, enqueue: bool = False) -> None:
        worker = get_current_worker()
        if enqueue:  # here, not on the event loop: reading 10,000 cache entries must not delay first paint
            self._queue.add(a.id for a in self.service.articles if self.service.cached_analysis(a) is None)
        batch = max(1, min(8, int(self.service.settings.get("analysis.batch_size", 16))))
        while not worker.is_cancelled:
            ids = self._queue.take(batch)
            arts = [a for a in (self.service.article(i) for i in ids) if a is not None]
            for gone in set(ids) - {a.id for a in arts}:
                self._queue.finished(gone)
            if not arts:
                continue
            try:
                for aid, analysis in self.service.analyze_many(arts):
                    self._queue.finished(aid)
                    self.post_message(self.AnalysisReady(aid, analysis, self._queue.done, self._queue.total))
            except Exception as exc:  # noqa: BLE001 - the app goes on without summaries
                self.post_message(self.AnalysisFailed(f"{type(exc).__name__}: {exc}"))
                return

    def on_main_screen_analysis_ready(self, msg: AnalysisReady) -> None:
        if msg.article_id == self._shown_id:
            self._show(msg.article_id, scroll=False)
        if msg.done % 10 == 0 or msg.done >= msg.total:
            self._render_topbar()

    def on_main_screen_analysis_failed(self, msg: AnalysisFailed) -> None:
        self._analysis_error = msg.reason
        self._tell(f"Summaries unavailable: {msg.reason}", severity="error", timeout=10)
        self._show(self._shown_id, scroll=False)

    # -- showing ---------------------------------------------------------------------------------
    @on(ArticleList.SelectionChanged)
    def _selection_changed(self, _: ArticleList.SelectionChanged) -> None:
        self._render_topbar()

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
        article = self.service.article(article_id) if article_id else None
        analysis = self.service.cached_analysis(article) if article else None
        if article is not None and analysis is None:
            self._queue.prioritise(article.id)
        status = ""
        if analysis is None:
            if self._analysis_error:
                status = f"No summary: {self._analysis_error}"
            elif not self._analyze:
                status = "Analysis is off."
            else:
                status = "Analysing… (the summary appears here when ready)"
        event = self.service.current_event(article_id) if article_id else None
        self.query_one(SummaryPanel).show(article, analysis, status=status, event=event)
        text = self.query_one(ArticleText)
        if scroll:
            text.show(article, analysis)
        else:
            y = text.scroll_y
            text.show(article, analysis)
            text.scroll_to(y=y, animate=False)

    def _render_topbar(self) -> None:
        counts = self.service.counts()
        width = self.app.size.width
        out = Text()
        out.append(" triage ", style="bold reverse")
        for i, name in enumerate(VIEWS, 1):
            label = VIEW_LABELS[name] if width >= 100 else VIEW_LABELS[name][:6]
            style = "bold reverse" if name == self.view_state.name else ""
            out.append(" ")
            out.append(f"{i} {label} {counts[name]}", style=style)
        out.append(f"  ↕{self.view_state.sort}", style="dim")
        if self.view_state.search:
            out.append(f"  /{plain(self.view_state.search, one_line=True)[:20]}", style="bold")
        if self.view_state.entity:
            out.append(f"  e:{plain(self.view_state.entity, one_line=True)[:20]}", style="bold")
        lst = self.query_one(ArticleList)
        if lst.selected:
            out.append(f"  {len(lst.selected)} selected", style="bold")
        done, total = self._queue.done, self._queue.total
        if self._status:
            out.append(f"  {self._status}", style="italic")
        elif total and done < total:
            out.append(f"  analysing {done}/{total}", style="italic")
        pending = self.service.pending
        if pending:
            out.append(f"  {pending} NOT SAVED", style="bold reverse")
        self.query_one("#topbar", Static).update(out)

    # -- store -----------------------------------------------------------------------------------
    def _poll_store(self) -> None:
        try:
            was_pending = self.service.pending
            if was_pending:
                if self.service.store.retry_pending() == 0:
                    self._tell(f"Saved now: {was_pending} decision(s) that could not be written before.",
                                timeout=4)
                self._render_topbar()
            changed = self.service.refresh_decisions()
        except Exception as exc:  # noqa: BLE001
            self.app.log.error(f"store poll failed: {exc!r}")
            return
        if changed:
            self._reload_rows()
            self._show(self._shown_id, scroll=False)

    def _tell(self, message: str, *, severity: str = "information", timeout: float = 3, title: str = "") -> None:
        """A notification that may quote untrusted text (URLs, file names, errors): cleaned, never markup."""
        self.notify(plain(message, one_line=True), title=title, severity=severity, timeout=timeout, markup=False)

    # -- actions ---------------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        lst = self.query_one(ArticleList)
        if lst.selected:
            return [r.article.id for r in lst.rows if r.article.id in lst.selected]
        return [lst.current.article.id] if lst.current else []

    def _after_decision(self, ids: list[str], word: str, advance: bool) -> None:
        lst = self.query_one(ArticleList)
        for aid in ids:
            self._keep.add(aid)
            row = self.service.row(aid)
            if row is not None:
                lst.update_row(row)
        lst.clear_selection()
        n = len(ids)
        message, severity = self.service.save_message(f"{n} articles {word}" if n > 1 else f"article {word}")
        self._tell(message, severity=severity, timeout=8 if severity == "error" else 2)
        if advance and self.service.settings.get("ui.advance_after_decision", True):
            lst.select_next(lambda r: r.decision is None)
        self._show(self._shown_id, scroll=False)
        self._render_topbar()

    def action_decide(self, value: str) -> None:
        ids = self._targets()
        if not ids:
            self._tell("No article selected.", severity="warning")
            return
        decision = Decision.parse(value)
        try:
            events = self.service.decide(ids, decision)
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never a crash
            self._tell(f"Not saved: {exc}", severity="error", timeout=10)
            return
        self._undo.append([e.article_id for e in events])
        self._after_decision(ids, SAVED_WORDS[decision], advance=True)

    def action_undo(self) -> None:
        ids = self._undo.pop() if self._undo else self._targets()
        if not ids:
            return
        try:
            events = self.service.undo(ids)
        except Exception as exc:  # noqa: BLE001
            self._tell(f"Undo failed: {exc}", severity="error", timeout=10)
            return
        if not events:
            self._tell("Nothing to undo.", timeout=2)
            return
        lst = self.query_one(ArticleList)
        if ids and ids[0] in {r.article.id for r in lst.rows}:
            lst.cursor = next(i for i, r in enumerate(lst.rows) if r.article.id == ids[0])
        self._after_decision([e.article_id for e in events], "restored", advance=False)

    def action_note(self) -> None:
        lst = self.query_one(ArticleList)
        row = lst.current
        if row is None:
            return
        aid = row.article.id

        def save(note: str | None) -> None:
            if note is None:
                return
            try:
                self.service.set_note(aid, note)
            except Exception as exc:  # noqa: BLE001
                self._tell(f"Note not saved: {exc}", severity="error", timeout=10)
                return
            self._after_decision([aid], "noted" if note else "note cleared", advance=False)

        self.app.push_screen(NoteScreen(row.article.title, self.service.note(aid)), save)

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.view_state = View(self.view_state.name, self.view_state.sort, event.value, self.view_state.entity)
        self._reload_rows()

    @on(Input.Submitted, "#search")
    def _search_done(self, _: Input.Submitted) -> None:
        self.query_one(ArticleList).focus()

    def action_escape(self) -> None:
        box = self.query_one("#search", Input)
        lst = self.query_one(ArticleList)
        if box.display and (box.has_focus or self.view_state.search):
            box.value = ""
            box.display = False
            lst.focus()
        elif self.view_state.entity:
            self._set_entity("")
        elif lst.selected:
            lst.clear_selection()
            self._render_topbar()
        elif not lst.has_focus:
            lst.focus()

    def _set_entity(self, entity: str) -> None:
        self.view_state = View(self.view_state.name, self.view_state.sort, self.view_state.search, entity)
        self._reload_rows()

    def action_entity_filter(self) -> None:
        if self.view_state.entity:
            self._set_entity("")
            return
        lst = self.query_one(ArticleList)
        art = lst.current.article if lst.current else None
        analysis = self.service.cached_analysis(art) if art else None
        if analysis is None or not any(analysis.entities.values()):
            self._tell("No entities known for this article yet.", severity="warning")
            return
        items = [(e.text, f"{KIND_LABELS.get(kind, kind)}: {e.text} ({e.count})")
                 for kind in ("people", "places", "organisations", "groups")
                 for e in analysis.entities.get(kind, ())]
        self.app.push_screen(PickScreen("Show articles naming:", items),
                             lambda v: self._set_entity(v) if v else None)

    def action_view(self, name: str) -> None:
        self._keep.clear()
        self.view_state = View(name, self.view_state.sort, self.view_state.search, self.view_state.entity)
        self._reload_rows()

    def action_sort(self) -> None:
        nxt = SORTS[(SORTS.index(self.view_state.sort) + 1) % len(SORTS)] if self.view_state.sort in SORTS else SORTS[0]
        self.view_state = View(self.view_state.name, nxt, self.view_state.search, self.view_state.entity)
        self._reload_rows()
        self._tell(f"Sorted by {nxt}.", timeout=2)

    def action_review(self) -> None:
        from triage.tui.screens.review import ReviewScreen

        def back(_=None) -> None:
            self.service.refresh_decisions()
            self._reload_rows()

        self.app.push_screen(ReviewScreen(self.service), back)

    def action_problems(self) -> None:
        self.app.push_screen(ProblemsScreen(self.service.problems))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def _url(self) -> str | None:
        lst = self.query_one(ArticleList)
        url = lst.current.article.url if lst.current else ""
        if not url:
            self._tell("This article has no URL.", severity="warning")
            return None
        return plain(url, one_line=True)

    def action_copy_url(self) -> None:
        url = self._url()
        if url:
            self.app.copy_to_clipboard(url)
            self._tell(f"Copied to the terminal clipboard: {url}", timeout=3)

    def action_open_url(self) -> None:
        url = self._url()
        if not url:
            return
        if local_browser_available():
            webbrowser.open(url)
            self._tell(f"Opened {url}", timeout=3)
        else:
            self.app.push_screen(MessageScreen("No local browser here (press c to copy):", url))

    def action_page_text(self) -> None:
        self.query_one(ArticleText).scroll_page_down(animate=False)

    def action_focus_text(self) -> None:
        self.query_one(ArticleText).focus()


def local_browser_available() -> bool:
    """True when a browser can open on this machine's own screen (never over SSH or without a display)."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if os.name == "posix" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        import sys

        if sys.platform != "darwin":
            return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
