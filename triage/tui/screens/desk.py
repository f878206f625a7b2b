"""The desk on the main screen: who has which story open and who took it (the rows, the panel, the top
bar), take / give back, hand on, my stories, the watches, the shift's handover, and asking before a
story a colleague holds is decided. It reads the desk through its face (`DeskView`) and acts through
the service, the writes in a worker; what others do arrives as `DeskChanged`, no key pressed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text

from triage.infra.counts import count_of
from triage.model import DESK, RULE_WATCH, Handoff, Take, Watch
from triage.tui.format import local_when
from triage.tui.safe import plain, short
from triage.tui.screens.desk_dialogs import (
    AskScreen,
    HandoverScreen,
    HandScreen,
    MineScreen,
    WatchesScreen,
    handover_text,
)
from triage.tui.screens.host import HasList, RunsWork, SeverityLevel, Tells
from triage.tui.widgets.article_list import DeskMark

if TYPE_CHECKING:
    from textual.screen import ModalScreen, Screen

    from triage.core.events import DeskChanged
    from triage.core.faces import DeskView
    from triage.core.service import TriageService

__all__ = ["HANDOVER_HOURS", "DeskHost", "DeskPart", "ask_if_held", "ask_if_held_on", "held_words"]

log = logging.getLogger(__name__)

HANDOVER_HOURS = 8  # the handover screen's period
TITLE_CELLS = 60  # a story's title in a sentence or a dialog row is cut to this
NOTE_CELLS = 100  # a hand-off's note on the panel or a dialog row (the whole note: the history, z)
HANDED_TOLD = 3  # stories handed to me at once told one by one; more are told as a count
READERS_NAMED = 3  # colleagues named as having a story open on the panel; more are counted


def _title(title: str, fallback: str) -> str:
    return short(title, TITLE_CELLS) or short(fallback, TITLE_CELLS)


def _watch_kind(w: Watch) -> str:
    return "rule" if w.at == RULE_WATCH else "desk" if w.desk else "mine"


def _watch_key(w: Watch) -> str:
    """What a watches row stands for: its kind and its name ("desk:Ukraine", "mine:Ukraine")."""
    return f"{_watch_kind(w)}:{w.name}"


def _who(name: str) -> str:
    return "the desk" if name == DESK else plain(name, one_line=True)


class DeskHost(Tells, HasList, RunsWork, Protocol):
    """What the desk part needs of its screen: dialogs with any answer, the panes and bar to repaint,
    and a story to go to."""

    def open_dialog(self, dialog: ModalScreen, then: Callable[[object], None] | None = None) -> None:
        """Push a dialog; `then` gets its answer."""
        ...

    def set_status(self) -> None:
        """The top bar again (the desk's part is read afresh)."""
        ...

    def reshow_story(self, among: Collection[str] | None = None) -> None:
        """The story on screen again (who holds it changed)."""
        ...

    def go_to_story(self, story_id: str) -> None:
        """Put the cursor on a story (showing every story when the view does not list it)."""
        ...

    def search_for(self, query: str) -> None:
        """List the stories a search matches (a watch's query)."""
        ...

    def ring(self) -> None:
        """The terminal's bell."""
        ...


class DeskPart:
    """The main screen's desk. With no desk (a service without one) every key says so in a sentence."""

    def __init__(self, host: DeskHost, service: TriageService) -> None:
        self.host = host
        self.service = service
        self.desk: DeskView | None = service.faces.desk
        self._articles = service.faces.articles
        self._bell = service.settings.ui.bell_on_watch
        self._db_url = bool(service.settings.db_url)

    # -- what the rows, the panel and the bar show ----------------------------------------------
    def mark(self, story_id: str) -> DeskMark | None:
        """Who holds the story and who has it open, for its list row (None: nobody)."""
        desk = self.desk
        if desk is None:
            return None
        take = desk.holder(story_id)
        readers = tuple(dict.fromkeys(s.user for s in desk.readers(story_id)))
        if take is None and not readers:
            return None
        mine = take is not None and self._is_me(take.user)
        return DeskMark(holder=take.user if take is not None else "", mine=mine, readers=readers)

    def _is_me(self, name: str) -> bool:
        return self.desk is not None and name.casefold() == self.desk.me.casefold()

    def held_words(self, take: Take) -> str:
        """'ana holds this since 10:02' (or 'You hold this…')."""
        assert self.desk is not None
        return held_words(self.desk, take)

    def story_line(self, story_id: str) -> Text | None:
        """The panel's desk line for a story: who holds it, who has it open, hand-offs and their notes."""
        desk = self.desk
        if desk is None or not story_id:
            return None
        out = Text()
        take = desk.holder(story_id)
        if take is not None:
            out.append("◆ ", style="bold")
            out.append(self.held_words(take), style="bold")
            if take.until:
                out.append(f" (until {local_when(take.until, 'clock')})", style="dim")
        readers = list(dict.fromkeys(s.user for s in desk.readers(story_id)))
        if readers:
            more = f" +{len(readers) - READERS_NAMED}" if len(readers) > READERS_NAMED else ""
            named = ", ".join(short(r, TITLE_CELLS) for r in readers[:READERS_NAMED])
            out.append("  " if out else "")
            out.append(f"open by {named}{more}", style="italic")
        for handoff in desk.handoffs_of(story_id)[-2:]:
            out.append("  " if out else "")
            out.append(self._handoff_words(handoff))
        return out if out else None

    def _handoff_words(self, h: Handoff) -> Text:
        to = "you" if self._is_me(h.to) else _who(h.to)
        sender = "you" if self._is_me(h.sender) else plain(h.sender, one_line=True)
        words = Text(f"→ {sender} handed it to {to}", style="bold")
        if h.note:
            words.append(": ")
            words.append(short(h.note, NOTE_CELLS))
        words.append(f" (seen by {plain(h.seen_by, one_line=True)})" if h.seen else " (not seen yet)",
                     style="dim")
        return words

    def terms(self, story_id: str) -> list[str]:
        """The words watches matched in the story, for highlighting."""
        if self.desk is None or not story_id:
            return []
        try:
            return self.desk.watch_terms(story_id)
        except Exception:  # a highlight is a nicety: never a crash
            log.exception("watch terms failed")
            return []

    def status(self) -> tuple[tuple[str, ...], int, str, str]:
        """The top bar's desk fields: (colleagues present, hand-offs for me, the store's problem, that
        problem in two words)."""
        desk = self.desk
        word = "server down" if self._db_url else "desk folder"
        if desk is None:
            return (), 0, "", word
        people = tuple(dict.fromkeys(s.user for s in desk.people() if not self._is_me(s.user)))
        return people, len(desk.for_me()), desk.problem, word

    # -- what the others did -------------------------------------------------------------------
    def changed(self, ev: DeskChanged) -> None:
        """The desk changed: rows, bar and panel again; a notice per story handed to me; the bell on a
        new watch match when `ui.bell_on_watch` asks for it."""
        self.host.article_list.refresh()
        self.host.set_status()
        self.host.reshow_story()
        if self.desk is not None and len(ev.for_me) > HANDED_TOLD:  # one notice, not a screenful
            self.host.tell(f"{count_of(len(ev.for_me), 'story')} handed to you: m lists them.",
                           title="Handed to you", timeout=8)
        elif self.desk is not None and ev.for_me:
            handed: dict[str, Handoff] = {}
            for h in self.desk.for_me():
                handed[h.article_id] = h
                if h.story:
                    handed[h.story] = h
            for sid in ev.for_me:
                self.host.tell(self._handed_you(sid, handed.get(sid)), title="Handed to you", timeout=8)
        hits = ev.watch_hits
        if hits:
            if self._bell:
                self.host.ring()
            self.host.tell(f"{count_of(len(hits), 'new story')} for your watches: W lists them.",
                           timeout=4)

    def _handed_you(self, story_id: str, h: Handoff | None) -> str:
        article = self._articles.article(story_id)
        title = _title(article.title if article is not None else (h.title if h else ""), story_id)
        if h is None:
            return f"Handed to you: {title}"
        words = f"{plain(h.sender, one_line=True)} handed you: {title}"
        return words + (f" ({short(h.note, NOTE_CELLS)})" if h.note else "")

    # -- showing -------------------------------------------------------------------------------
    def viewing(self, story_id: str | None) -> None:
        """The story in the reading pane changed: the desk shows it to the others (a hand-off to me
        it was is acknowledged by the desk's poll)."""
        if self.desk is None:
            return
        try:
            self.service.viewing(story_id or "")
        except Exception:
            log.exception("presence failed")

    # -- acts ----------------------------------------------------------------------------------
    def _no_desk(self) -> bool:
        if self.desk is None:
            self.host.tell("The desk is not available here.", severity="warning")
            return True
        return False

    def _current(self) -> str | None:
        story = self.host.article_list.current_id
        if story is None:
            self.host.tell("No article selected.", severity="warning")
        return story

    def _acting_on(self) -> tuple[DeskView, str] | None:
        """The desk and the story under the cursor for an act on it; None, said, when either is missing."""
        if self._no_desk():
            return None
        story = self._current()
        if story is None or self.desk is None:
            return None
        return self.desk, story

    def _work(self, job: Callable[[], tuple[str, SeverityLevel]]) -> None:
        """Run an act off the event loop (it writes the desk's record); its sentence, or the error's,
        is told when it is done."""
        def run() -> None:
            said: str
            severity: SeverityLevel
            try:
                said, severity = job()
            except Exception as exc:  # one sentence on screen; the store's errors are sentences
                log.info("desk act refused: %s", exc)
                said, severity = str(exc), "error"
            self.host.from_thread(lambda: self._done(said, severity))

        self.host.in_thread(run, group="desk")

    def _done(self, said: str, severity: SeverityLevel) -> None:
        if said:
            self.host.tell(said, severity=severity, timeout=5)
        self.host.article_list.refresh()
        self.host.set_status()
        self.host.reshow_story()

    def take(self) -> None:
        """h: take the story under the cursor, or give it back when it is mine."""
        acting = self._acting_on()
        if acting is None:
            return
        desk, story = acting
        held = desk.holder(story)
        title = self._story_title(story)
        if held is not None and self._is_me(held.user):
            def give() -> tuple[str, SeverityLevel]:
                if self.service.give_back(story):
                    return f"Given back: {title}.", "information"
                return f"You did not hold {title}.", "warning"
            self._work(give)
            return

        def take() -> tuple[str, SeverityLevel]:
            try:
                took = self.service.take(story)
            except Exception as exc:  # the store's HeldError carries the colleague's take
                theirs = getattr(exc, "take", None)
                if not isinstance(theirs, Take):
                    raise
                until = f" (until {local_when(theirs.until, 'clock')})" if theirs.until else ""
                return f"Not taken: {self.held_words(theirs)}{until}.", "warning"
            until = f" until {local_when(took.until, 'clock')}" if took.until else ""
            return f"You have it{until}: {title}.", "information"
        self._work(take)

    def _story_title(self, story_id: str) -> str:
        article = self._articles.article(story_id)
        return "“" + _title(article.title if article is not None else "", story_id) + "”"

    def hand(self) -> None:
        """H: hand the story under the cursor to a colleague or to the desk, with a note."""
        acting = self._acting_on()
        if acting is None:
            return
        desk, story = acting
        people = [(DESK, "the desk (anyone on it)")] + [(m, m) for m in desk.members()]
        article = self._articles.article(story)

        def handed(answer: object) -> None:
            if not isinstance(answer, tuple):
                return
            to, note = answer

            def job() -> tuple[str, SeverityLevel]:
                self.service.hand(story, to, note)
                return f"Handed to {_who(to)}: {self._story_title(story)}.", "information"
            self._work(job)

        self.host.open_dialog(HandScreen(article.title if article is not None else story, people), handed)

    def mine(self) -> None:
        """m: my stories (taken by me, handed to me); enter goes to one."""
        if self._no_desk():
            return
        assert self.desk is not None
        rows: list[tuple[str, Text]] = []
        for story in self.desk.mine():
            take = self.desk.holder(story)
            taken = take is not None and self._is_me(take.user)
            label = Text("taken   " if taken else "for you ", style="bold")
            article = self._articles.article(story)
            label.append(_title(article.title if article is not None else "", story))
            for h in self.desk.handoffs_of(story)[-1:]:
                if self._is_me(h.to) or h.to == DESK:
                    label.append(f"  from {plain(h.sender, one_line=True)}", style="dim")
                    if h.note:
                        label.append(f": {short(h.note, NOTE_CELLS)}", style="dim")
            rows.append((story, label))
        self.host.open_dialog(MineScreen(rows), lambda got: self.host.go_to_story(got)
                              if isinstance(got, str) else None)

    def watch_rows(self) -> list[tuple[str, Text]]:
        """The watches as the watches screen lists them: name, unread / matching, desk, mine or a config
        rule, query. A row's value says which watch it is (a desk watch and mine may share a name)."""
        assert self.desk is not None
        rows = []
        for count in self.desk.watches():
            w = count.watch
            label = Text(f"{short(w.name, 18):<18} ", style="bold")
            label.append(f"{len(count.unread):>3} unread / {len(count.matches):<4} ",
                         style="bold" if count.unread else "dim")
            label.append(f"{_watch_kind(w):<6}", style="dim")
            label.append(short(w.query, 22))
            rows.append((_watch_key(w), label))
        return rows

    def watches(self) -> None:
        """W: the watches with their unread counts; enter lists a watch's stories (its search; a config
        rule's matches)."""
        if self._no_desk():
            return
        assert self.desk is not None
        desk = self.desk

        def add(name: str, query: str, shared: bool) -> str:
            try:
                self.service.add_watch(name, query, desk=shared)
            except Exception as exc:
                return f"Not added: {exc}"
            return f"Watch added: {name} ({'the desk' if shared else 'mine'})."

        def remove(key: str) -> str:
            kind, _, name = key.partition(":")
            if kind == "rule":
                return f"{name} is a rule of the config (rules.watch): remove it there."
            try:
                gone = self.service.remove_watch(name, desk=kind == "desk")
            except Exception as exc:
                return f"Not removed: {exc}"
            return f"Watch removed: {name}." if gone is not None else f"No watch {name} of yours."

        def opened(key: object) -> None:
            count = next((c for c in desk.watches() if _watch_key(c.watch) == key), None)
            if count is None:
                return
            if count.watch.at != RULE_WATCH:
                self.host.search_for(count.watch.query)
                return
            rows = [(story, Text(_title(a.title if (a := self._articles.article(story)) else "", story)))
                    for story in count.matches]
            self.host.open_dialog(MineScreen(rows, title=f"Matching the rule {short(count.watch.name, 40)}",
                                             empty="No story matches this rule now."),
                                  lambda got: self.host.go_to_story(got) if isinstance(got, str) else None)

        self.host.open_dialog(WatchesScreen(self.watch_rows, add=add, remove=remove), opened)

    def handover(self) -> None:
        """D: the shift's handover (the last HANDOVER_HOURS), as plain text."""
        if self._no_desk():
            return

        def title_of(story_id: str) -> str:
            article = self._articles.article(story_id)
            return article.title if article is not None else ""

        def load() -> Text:
            return handover_text(self.service.handover(timedelta(hours=HANDOVER_HOURS)), title_of)

        self.host.open_dialog(HandoverScreen(load, f"Handover: the last {HANDOVER_HOURS} hours"))

    # -- deciding a held story -----------------------------------------------------------------
    def before_deciding(self, ids: Sequence[str], then: Callable[[], None]) -> None:
        """Decide at once unless a colleague holds one of the stories: then ask first, naming them."""
        ask_if_held(self.desk, ids, then, self.host.open_dialog, self.host.tell)


def held_words(desk: DeskView, take: Take) -> str:
    """'ana holds this since 10:02' (or 'You hold this…'), and ', not on the desk now' when no TUI of
    theirs is open (killed, or closed): the take still holds until it ends, and the words say why."""
    mine = take.user.casefold() == desk.me.casefold()
    who = "You hold" if mine else f"{plain(take.user, one_line=True)} holds"
    since = local_when(take.since, "clock") if take.since else ""
    away = not mine and all(s.user.casefold() != take.user.casefold() for s in desk.people())
    return f"{who} this{' since ' + since if since else ''}{', not on the desk now' if away else ''}"


def ask_if_held(desk: DeskView | None, ids: Sequence[str], go: Callable[[], None],
                open_dialog: Callable[[ModalScreen, Callable[[object], None]], object],
                tell: Callable[..., None]) -> None:
    """Call `go` at once unless a colleague holds one of the stories `ids`: then ask first, naming
    them and since when, and say so when the answer is no. Never decides silently, never refuses
    silently (the main screen's deciding and the review's story view both come through here)."""
    held: list[Take] = []
    if desk is not None:
        me = desk.me.casefold()
        held = [t for story in ids if (t := desk.holder(story)) is not None and t.user.casefold() != me]
    if not held:
        go()
        return
    assert desk is not None
    others = f" (and {count_of(len(held) - 1, 'more story', 'more stories')} held)" if len(held) > 1 else ""
    until = f" (until {local_when(held[0].until, 'clock')})" if held[0].until else ""
    question = f"{held_words(desk, held[0])}{until}{others} — decide anyway?"

    def answered(yes: object) -> None:
        if yes is True:
            go()
        else:
            tell("Not decided: left to its holder.", timeout=3)

    open_dialog(AskScreen(question, "Yes, decide anyway"), answered)


def ask_if_held_on(screen: Screen[Any], desk: DeskView | None, ids: Sequence[str],
                   go: Callable[[], None]) -> None:
    """ask_if_held from a screen: its app shows the question, its notices say when the answer is no."""
    ask_if_held(desk, ids, go, lambda dialog, then: screen.app.push_screen(dialog, then),
                lambda words, **kw: screen.notify(words, markup=False, **kw))
