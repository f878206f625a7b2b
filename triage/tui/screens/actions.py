"""The main screen's keys: decide, undo, note, search, views, sort, review, URLs. Each handler is thin:
it asks the service (which answers at once and writes in the background) and repaints what changed."""

from __future__ import annotations

import os
import webbrowser
from dataclasses import replace

from textual import work
from textual.binding import Binding
from textual.widgets import Input

from triage.core.book import Saved
from triage.model import Decision
from triage.tui.keymap import decision_bindings
from triage.tui.safe import plain
from triage.tui.screens.dialogs import HelpScreen, MessageScreen, NoteScreen, PickScreen, ProblemsScreen
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import KIND_LABELS, ArticleText
from triage.tui.widgets.summary_lines import DECISION_LABELS
from triage.core import SORTS

__all__ = ["BINDINGS", "MainActions", "local_browser_available"]

# The footer shows these in this order (at 80 columns the first ones): deciding, help, reading.
WITH_NOTE = Binding.Group("+note")
BINDINGS = [
    *decision_bindings(),
    # Decide and say why in one go: the note prompt first, then one event with both, on this story.
    Binding("F", "decide_note('follow-up')", "Follow up with a note", group=WITH_NOTE),
    Binding("A", "decide_note('archive')", "Archive with a note", group=WITH_NOTE),
    Binding("X", "decide_note('flag')", "Flag with a note", group=WITH_NOTE),
    Binding("u", "undo", "Undo"),
    Binding("n", "note", "Note"),
    Binding("question_mark", "help", "Help"),
    Binding("enter", "focus_text", "Read"),
    Binding("slash", "search", "Search"),
    Binding("r", "review", "Review"),
    Binding("z", "zoom", "Read full screen", show=False),
    Binding("e", "entity_filter", "Entity", show=False),
    Binding("S", "source_filter", "Source", show=False),
    Binding("1", "view('inbox')", "Inbox", show=False),
    Binding("2", "view('follow-up')", "Follow-up", show=False),
    Binding("3", "view('flagged')", "Flagged", show=False),
    Binding("4", "view('archived')", "Archived", show=False),
    Binding("5", "view('all')", "All", show=False),
    Binding("s", "sort", "Sort", show=False),
    Binding("p", "problems", "Problems", show=False),
    Binding("c", "copy_url", "Copy URL", show=False),
    Binding("o", "open_url", "Open URL", show=False),
    Binding("space", "page_text", "Page text", show=False),
    Binding("tab", "tab", "Read", show=False),
    Binding("escape", "escape", "Clear", show=False),
]

DECIDE_VERBS = {Decision.FOLLOW_UP: "Follow up", Decision.ARCHIVE: "Archive", Decision.FLAG: "Flag"}
SAVED_WORDS = {**DECISION_LABELS, None: "cleared"}


class MainActions:
    """Key handlers of MainScreen (a mixin: the screen provides service, view, _keep, _undo, _tell ...)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the reading view `enter` (read) has nothing more to do: hidden from the footer there."""
        return not (action == "focus_text" and self.reading)

    # -- decisions -------------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        lst = self.query_one(ArticleList)
        if lst.selected:  # in list order, without walking the list
            return sorted((i for i in lst.selected if lst.index_of(i) is not None), key=lst.index_of)
        return [lst.current_id] if lst.current_id else []

    def _decided(self, ids: list[str], advance: bool) -> None:
        """The marks are in the service already: repaint them, keep the rows listed, move on."""
        lst = self.query_one(ArticleList)
        self._keep.update(ids)
        lst.update_row()
        lst.clear_selection()
        if advance and self.service.settings.get("ui.advance_after_decision", True):
            lst.select_next(lambda r: r.decision is None)
        self._show(self._shown_id, scroll=False)
        self.request_listing()  # counts follow, off the event loop

    def _saved(self, saved: Saved | None) -> None:
        """A write finished (the service's writer thread): say saved, or NOT saved and why."""
        if saved is None or (saved.what == "undo" and not saved.events and not saved.error):
            return  # an undo that changed nothing (someone else changed it since) is told by the service
        n = len({e.article_id for e in saved.events})
        what = {"decide": "decided", "note": "noted", "undo": "restored"}.get(saved.what, saved.what)
        if saved.events and saved.what == "decide":
            what = SAVED_WORDS.get(saved.events[0].decision, what)
        noun = f"{n} articles {what}" if n > 1 else f"article {what}"
        if saved.error:
            why = saved.error.rstrip(".")
            kept = "" if "retried" in why else ". It is kept in memory and retried"
            self._tell(f"NOT saved yet ({noun}): {why}{kept}.", severity="error", timeout=8)
        else:
            self._tell(f"Saved: {noun}.", timeout=2)
        self._set_status()
        self.query_one(ArticleList).update_row()
        if self._shown_id in {e.article_id for e in saved.events}:
            self._show(self._shown_id, scroll=False)

    def _targets_or_say(self) -> list[str]:
        ids = self._targets()
        if not ids:
            self._tell("No article selected.", severity="warning")
        return ids

    def _decide(self, ids: list[str], decision: Decision, note: str | None = None) -> None:
        """Decide (shown at once, written by the service), then move on to the next undecided story."""
        self._decided(self.service.decide_soon(ids, decision, note).ids, advance=True)

    def action_decide(self, value: str) -> None:
        ids = self._targets_or_say()
        if ids:
            self._decide(ids, Decision.parse(value))

    def action_decide_note(self, value: str) -> None:
        """Decide and say why in one go: ask for the note first, then write the decision and the note
        as one event on the story (or selection) that was under the cursor when the key was pressed."""
        ids = self._targets_or_say()
        if not ids:
            return
        decision = Decision.parse(value)
        verb = DECIDE_VERBS[decision]
        if len(ids) == 1:
            article = self.service.article(ids[0])
            title = article.title if article else ids[0]
            prompt, note = f"{verb}, with a note: ", self.service.note(ids[0])
        else:
            title, prompt, note = f"{len(ids)} selected articles", f"{verb}, with a note: ", ""

        def decide(text: str | None) -> None:
            if text is None:  # escape: nothing decided
                return
            self._decide(ids, decision, text or None)

        self.app.push_screen(NoteScreen(title, note, prompt=prompt,
                                        placeholder="why? enter decides with this note, esc cancels"), decide)

    def action_undo(self) -> None:
        action = self.service.undo_last()
        if action is None:
            self._tell("Nothing to undo in this session.", timeout=2)
            return
        lst = self.query_one(ArticleList)
        first = lst.index_of(self.service.leader_of(action.ids[0])) if action.ids else None
        if first is not None:
            lst.cursor = first
        self._decided(action.ids, advance=False)

    def action_note(self) -> None:
        lst = self.query_one(ArticleList)
        row = lst.current
        if row is None:
            return
        aid = row.article.id

        def save(note: str | None) -> None:
            if note is None:
                return
            self._decided(self.service.note_soon(aid, note).ids, advance=False)

        self.app.push_screen(NoteScreen(row.article.title, self.service.note(aid)), save)

    # -- search, filters, views ------------------------------------------------------------------
    def action_search(self) -> None:
        self.reading = False
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    def action_escape(self) -> None:
        box = self.query_one("#search", Input)
        lst = self.query_one(ArticleList)
        if self.reading:  # back to the list, the same story under the cursor
            self.reading = False
        elif box.display and (box.has_focus or self.view.search or box.value):
            if self._search_timer is not None:
                self._search_timer.stop()
                self._search_timer = None
            box.value = ""
            box.display = False
            self.view = replace(self.view, search="")
            lst.focus()
        elif self.view.entity:
            self.view = replace(self.view, entity="")
        elif self.view.source:
            self.view = replace(self.view, source="")
        elif lst.selected:
            lst.clear_selection()
        elif not lst.has_focus:
            lst.focus()

    def action_entity_filter(self) -> None:
        self.reading = False
        if self.view.entity:
            self.view = replace(self.view, entity="")
            return
        lst = self.query_one(ArticleList)
        art = lst.current.article if lst.current else None
        analysis = self.service.cached_analysis(art, wait=False) if art else None
        if analysis is None or not any(analysis.entities.values()):
            self._tell("No entities known for this article yet.", severity="warning")
            return
        items = [(e.text, f"{KIND_LABELS.get(kind, kind)}: {e.text} ({e.count})")
                 for kind in ("people", "places", "organisations", "groups")
                 for e in analysis.entities.get(kind, ())]
        self.app.push_screen(PickScreen("Show articles naming:", items),
                             lambda v: setattr(self, "view", replace(self.view, entity=v)) if v else None)

    def action_source_filter(self) -> None:
        """Only the stories of one source (a feed or folder) or of the feeds in one folder (tag); again
        (or escape) clears it. The choices are counted in a worker: they walk the inbox."""
        if self.view.source:
            self.view = replace(self.view, source="")
            return
        self._count_sources()

    @work(thread=True, exclusive=True, group="sources", exit_on_error=False)
    def _count_sources(self) -> None:
        sources = self.service.sources()
        tags = self.service.tags()
        items = [(f"tag:{t}", f"Folder (tag): {plain(t, one_line=True)}") for t in tags]
        items += [(name, f"{plain(name, one_line=True) or '(no source)'}  ({n:,})") for name, n in sources]
        self.app.call_from_thread(self._pick_source, items)

    def _pick_source(self, items: list[tuple[str, str]]) -> None:
        if not items:
            self._tell("No sources yet.", severity="warning")
            return
        self.app.push_screen(PickScreen("Show only stories from:", items),
                             lambda v: setattr(self, "view", replace(self.view, source=v)) if v else None)

    def action_view(self, name: str) -> None:
        self.reading = False
        self._keep.clear()
        if self.view.name == name:  # the same view again: a fresh look (decided rows leave it)
            self.request_listing()
        self.view = replace(self.view, name=name)

    def action_sort(self) -> None:
        sort = self.view.sort
        nxt = SORTS[(SORTS.index(sort) + 1) % len(SORTS)] if sort in SORTS else SORTS[0]
        self.view = replace(self.view, sort=nxt)
        self._tell(f"Sorted by {nxt}.", timeout=2)

    # -- other screens ---------------------------------------------------------------------------
    def action_review(self) -> None:
        from triage.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.service), lambda _=None: self.refresh_view())

    def action_problems(self) -> None:
        self.app.push_screen(ProblemsScreen(self.service.problems))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    # -- URLs and the text -----------------------------------------------------------------------
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
        text = self.query_one(ArticleText)
        if not text.display:  # small terminals: the text is in the reading view
            self.reading = True
        else:
            text.scroll_page_down(animate=False)

    def action_focus_text(self) -> None:
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
