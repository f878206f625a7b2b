"""Deciding on the main screen: which stories a key acts on, decide (with a note), note, undo, and
saying saved or NOT saved. The service answers at once and writes in the background."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Protocol

from triage.model import CLEAR_LABEL, Decision
from triage.tui.format import story_word
from triage.tui.screens.dialogs import NoteScreen
from triage.tui.screens.host import Asks, HasList, Tells
from triage.tui.widgets.article_list import ArticleList

if TYPE_CHECKING:
    from triage.core.book import Saved
    from triage.core.service import TriageService

__all__ = ["Deciding", "DecidingHost"]


class DecidingHost(Tells, HasList, Asks, Protocol):
    """What deciding needs of its screen: the list, a sentence, a dialog, and to be told to repaint."""

    def set_status(self) -> None:
        """The top bar again (NOT SAVED is read afresh)."""
        ...

    def reshow_story(self, among: Collection[str] | None = None) -> None:
        """The story on screen again (its decision changed); with `among`, only when it is one of them."""
        ...

    def request_listing(self) -> None:
        """The list's ids and counts again, from a worker."""
        ...


class Deciding:
    """The main screen's decisions; owns the set of stories decided on screen (they stay listed
    until the view changes)."""

    def __init__(self, host: DecidingHost, service: TriageService, *,
                 guard: Callable[[Sequence[str], Callable[[], None]], None] | None = None) -> None:
        self.host = host
        # guard(ids, go): calls go() at once, or after asking (a colleague holds one of the stories)
        self._guard = guard or (lambda _ids, go: go())
        self.service = service
        self._articles = service.faces.articles
        self._decisions = service.faces.decisions
        self._advance = service.settings.ui.advance_after_decision
        self.keep: set[str] = set()
        self._undone: dict[str, str] = {}  # article id -> what its pending undo takes back ("archive")

    @property
    def _list(self) -> ArticleList:
        return self.host.article_list

    def targets(self) -> list[str]:
        """The selection in list order (without walking the list), else the story under the cursor."""
        lst = self._list
        if lst.selected:
            where = {i: at for i in lst.selected if (at := lst.index_of(i)) is not None}
            return sorted(where, key=where.__getitem__)
        return [lst.current_id] if lst.current_id else []

    def _targets_or_say(self) -> list[str]:
        ids = self.targets()
        if not ids:
            self.host.tell("No article selected.", severity="warning")
        return ids

    def decided(self, ids: list[str], advance: bool) -> None:
        """The marks are in the service already: repaint them, keep the rows listed, move on."""
        lst = self._list
        self.keep.update(ids)
        lst.update_row()
        lst.clear_selection()
        if advance and self._advance:
            lst.select_next(lambda r: r.decision is None)
        self.host.reshow_story()
        self.host.request_listing()  # counts follow, off the event loop

    def saved(self, saved: Saved | None) -> None:
        """A write finished (the service's writer thread): say saved, or NOT saved and why."""
        if saved is None or (saved.what == "undo" and not saved.events and not saved.error):
            return  # an undo that changed nothing (someone else changed it since) is told by the service
        n = len({e.article_id for e in saved.events})
        what = {"decide": "decided", "note": "noted", "undo": "restored"}.get(saved.what, saved.what)
        if saved.events and saved.what == "decide":
            decision = saved.events[0].decision
            what = decision.label if decision is not None else CLEAR_LABEL
        noun = f"{n} articles {what}" if n > 1 else f"article {what}"
        if saved.what == "undo" and n == 1:
            noun = self._undo_words(saved.events[0].article_id)
        if saved.error:
            why = saved.error.rstrip(".")
            kept = "" if saved.retrying else ". It is kept in memory and retried"
            self.host.tell(f"NOT saved yet ({noun}): {why}{kept}.", severity="error", timeout=8)
        else:
            self.host.tell(f"Saved: {noun}.", timeout=2)
        self.host.set_status()
        self._list.update_row()
        self.host.reshow_story(among={e.article_id for e in saved.events})

    def _undo_words(self, article_id: str) -> str:
        """'undo of archive on “Germany bans…” (undecided again)': what an undo took back, on which story."""
        undone = self._undone.pop(article_id, "")
        article = self._articles.article(article_id)
        title = article.title if article is not None and article.title else article_id
        if len(title) > 40:
            title = title[:39].rstrip() + "…"
        event = self._decisions.event(article_id)
        now = story_word(event) if event is not None else "undecided"
        return f"undo{' of ' + undone if undone else ''} on “{title}” ({now} again)"

    def decide(self, value: str, note: str | None = None, ids: list[str] | None = None) -> None:
        """Decide (shown at once, written by the service), then move on to the next undecided story."""
        ids = ids if ids is not None else self._targets_or_say()
        if ids:
            chosen = ids
            self._guard(chosen, lambda: self.decided(
                self.service.decide_soon(chosen, Decision.parse(value), note).ids, advance=True))

    def decide_note(self, value: str) -> None:
        """Ask for the note first, then write the decision and the note as one event on the story (or
        selection) that was under the cursor when the key was pressed."""
        ids = self._targets_or_say()
        if not ids:
            return
        verb = Decision.parse(value).verb
        if len(ids) == 1:
            article = self._articles.article(ids[0])
            title, note = (article.title if article else ids[0]), self._decisions.note(ids[0])
        else:
            title, note = f"{len(ids)} selected articles", ""

        def decide(text: str | None) -> None:
            if text is not None:  # None: escape, nothing decided
                self.decided(self.service.decide_soon(ids, Decision.parse(value), text or None).ids,
                             advance=True)

        self._guard(ids, lambda: self.host.ask(
            NoteScreen(title, note, prompt=f"{verb}, with a note: ",
                       placeholder="why? enter decides with this note, esc cancels"), decide))

    def undo(self) -> None:
        action = self.service.undo_last()
        if action is None:
            self.host.tell("Nothing to undo in this session.", timeout=2)
            return
        for aid, (decision, note) in action.before.items():
            now = self._decisions.event(aid)
            if now is not None and now.decision != decision:
                self._undone[aid] = decision.value if decision is not None else "clear"
            elif now is not None and now.note != note:
                self._undone[aid] = "note"
        lst = self._list
        first = lst.index_of(self._articles.leader_of(action.ids[0])) if action.ids else None
        if first is not None:
            lst.cursor = first
        self.decided(action.ids, advance=False)

    def note(self) -> None:
        row = self._list.current
        if row is None:
            return
        aid = row.article.id

        def save(note: str | None) -> None:
            if note is not None:
                self.decided(self.service.note_soon(aid, note).ids, advance=False)

        self.host.ask(NoteScreen(row.article.title, self._decisions.note(aid)), save)
