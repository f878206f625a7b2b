"""One decided article from the review: its summary, its decision history, its text; decisions change here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from triage.infra.clock import utc_key
from triage.model import DESK, Analysis, Article, Decision, DecisionEvent, DeskAct
from triage.tui.format import DECISION_STYLES, act_word, decision_text, local_when
from triage.tui.keymap import bindings
from triage.tui.safe import plain, safe_text
from triage.tui.screens.desk import ask_if_held_on
from triage.tui.screens.dialogs import toggle_key_panel
from triage.tui.widgets.footer import KeysFooter
from triage.tui.widgets.summary_lines import bullet_lines, wire_lines

if TYPE_CHECKING:
    from triage.core.book import Action
    from triage.core.service import TriageService

__all__ = ["ArticleViewScreen", "event_line"]

log = logging.getLogger(__name__)

# Longer texts are cut for display: the screen stays quick on a pasted book.
MAX_TEXT_CHARS = 100_000


def event_line(ev: DecisionEvent, before: DecisionEvent | None = None) -> Text:
    """One history line: when, what happened ('archived', 'note', 'undo of archive': `before` is the
    event before it), who, note (untrusted parts as literal text)."""
    what = Text.assemble((act_word(ev, before), DECISION_STYLES[ev.decision]))
    return _history_line(ev.at, what, ev.user, ev.host, ev.note)


_ACT_WORDS = {"take": "taken", "release": "given back", "handoff": "handed on", "ack": "seen"}


def desk_act_line(act: DeskAct) -> Text:
    """One history line of the desk: a take, a give-back, a hand-off (to whom, with its note) or an
    acknowledgement, by whom (untrusted parts as literal text)."""
    what = Text.assemble((_ACT_WORDS.get(act.kind, act.kind), "bold cyan"))
    if act.kind == "handoff":
        what.append(" to ")
        what.append("the desk" if act.to == DESK else plain(act.to, one_line=True), style="bold")
    return _history_line(act.at, what, act.user, act.host, act.note)


def _history_line(at: str, what: Text, user: str, host: str, note: str) -> Text:
    """The one layout of a history line: "when  what  by user@host  note: ..." (each part as literal text)."""
    out = Text()
    out.append(local_when(at) + "  ", style="dim")
    out.append_text(what)
    if user:
        out.append("  by ")
        out.append(plain(user, one_line=True), style="bold")
        if host:
            out.append("@" + plain(host, one_line=True))
    if note:
        out.append("  note: ", style="italic")
        out.append(plain(note, one_line=True))
    return out


def synthetic_article(article_id: str, event: DecisionEvent | None) -> Article:
    """An Article rebuilt from what a decision event kept, for articles no longer in the inbox."""
    if event is None:
        return Article(id=article_id, title=article_id, text="")
    return Article(
        id=article_id, title=event.title or article_id, text="", source=event.source, url=event.url
    )


class ArticleViewScreen(Screen[list[DecisionEvent]]):
    """The article behind a review row; dismisses with the decision events written while it was open."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("article")

    DEFAULT_CSS = """
    ArticleViewScreen #av-title { padding: 0 1; text-style: bold; }
    ArticleViewScreen #av-meta { padding: 0 1; color: $text-muted; }
    ArticleViewScreen #av-body { height: 1fr; }
    ArticleViewScreen #av-body > Static { padding: 0 1; margin-bottom: 1; }
    """

    @dataclass
    class AnalysisReady(Message):
        """The analysis of the shown article finished in the worker thread (None: it failed)."""

        article_id: str
        analysis: Analysis | None
        error: str = ""

    class HistoryLoaded(Message):
        """The article's decision history, read from the store in a worker."""

        def __init__(self, events: list[DecisionEvent] | None) -> None:
            self.events = events
            super().__init__()

    class Written(Message):
        """A decision made here reached the writer thread's end (saved, or held as NOT saved)."""

    def __init__(self, service: TriageService, article_id: str, event: DecisionEvent | None = None) -> None:
        super().__init__()
        self.service = service
        self._summaries, self._decisions = service.faces.summaries, service.faces.decisions
        self.article_id = article_id
        self.event = event
        self.written: list[DecisionEvent] = []
        self._stored: list[DecisionEvent] | None = None  # the history as the store has it
        self._unwritten: list[DecisionEvent] = []  # made here, not in _stored yet
        found = service.faces.articles.article(article_id)
        self.in_inbox = found is not None
        self.article: Article = found if found is not None else synthetic_article(article_id, event)
        self.analysis: Analysis | None = None
        self.status = ""

    def compose(self) -> ComposeResult:
        yield Static(id="av-title")
        yield Static(id="av-meta")
        with VerticalScroll(id="av-body"):
            yield Static(id="av-decision")
            yield Static(id="av-summary")
            yield Static(id="av-history")
            yield Static(id="av-text")
        yield KeysFooter()

    def on_mount(self) -> None:
        art = self.article
        self.query_one("#av-title", Static).update(safe_text(art.title or art.id, one_line=True))
        meta = Text()
        parts = [
            art.source,
            local_when(art.published) if art.published else "",
            art.url,
            f"id {art.id}",
        ]
        meta.append(" · ".join(plain(p, one_line=True) for p in parts if p))
        if not self.in_inbox:
            meta.append("  (no longer in the inbox: shown from the decision record)", style="italic")
        self.query_one("#av-meta", Static).update(meta)
        if self.in_inbox and art.text.strip():
            try:
                self.analysis = self._summaries.cached(art, wait=False)
            except Exception as exc:
                log.exception("analysis cache failed for %s", art.id)
                self.status = f"No summary: the analysis cache could not be read ({exc})."
            else:
                if self.analysis is None:
                    self.status = "Analysing…"
                    self.analyze()
        elif self.in_inbox:
            self.status = "No summary: the article has no text."
        else:
            self.status = "No summary: the article is no longer in the inbox."
        self._draw()
        self.load_history()
        self.query_one("#av-body", VerticalScroll).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_history(self) -> None:
        """Read the article's history from the store off the event loop (its lock may be busy)."""
        try:
            events = list(self._decisions.history(self.article_id))
        except Exception:
            log.exception("history failed for %s", self.article_id)
            events = None
        self.post_message(self.HistoryLoaded(events))

    def on_article_view_screen_history_loaded(self, message: HistoryLoaded) -> None:
        if message.events is not None:
            self._stored = message.events
            stored = {ev.uid for ev in message.events if ev.uid}
            self._unwritten = [ev for ev in self._unwritten if ev.uid not in stored]  # in the file now
        self._draw()

    def on_article_view_screen_written(self, _: Written) -> None:
        self.load_history()

    def _made(self, action: Action) -> None:
        """A decision or undo made here: shown at once, the history re-read once it is written."""
        events = self._decisions.events_of(action)
        self.written.extend(events)  # the review screen applies them by article
        self._unwritten.extend(ev for ev in events if ev.article_id == self.article_id)
        if events and not any(ev.article_id == self.article_id for ev in events):
            self.notify(plain(f"Undone on another story: {events[0].title or events[0].article_id}",
                              one_line=True), timeout=3, markup=False)
        action.future.add_done_callback(lambda _f: self.post_message(self.Written()))
        self._draw()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def analyze(self) -> None:
        """Analyse the article off the event loop (the first call loads the spaCy model)."""
        try:
            got = self._summaries.analyze(self.article)
        except Exception as exc:
            log.exception("analysis failed for %s", self.article.id)
            self.post_message(self.AnalysisReady(self.article.id, None, str(exc)))
        else:
            self.post_message(self.AnalysisReady(self.article.id, got))

    def on_article_view_screen_analysis_ready(self, message: AnalysisReady) -> None:
        if message.article_id != self.article.id:
            return
        self.analysis = message.analysis
        self.status = "" if message.analysis else f"No summary: the analysis failed ({message.error})."
        self._draw()

    # -- drawing ---------------------------------------------------------------------------------
    def _current(self) -> DecisionEvent | None:
        hist = self._history()
        return hist[-1] if hist else self.event

    def _history(self) -> list[DecisionEvent]:
        stored = self._stored if self._stored is not None else ([self.event] if self.event else [])
        return stored + self._unwritten

    def _desk_acts(self) -> list[DeskAct]:
        """The desk's acts on this story (what the desk part last took in: no file is read here)."""
        desk = self.service.faces.desk
        try:
            return [a for a in desk.acts(self.article_id) if a.kind in _ACT_WORDS]
        except Exception:  # noqa: BLE001 - the history still shows the decisions
            log.exception("desk acts failed for %s", self.article_id)
            return []

    def _draw(self) -> None:
        history = self._history()
        current = history[-1] if history else self.event
        dec = Text()
        language = self.service.settings.ui.default_language
        for line in wire_lines(self.article, datetime.now(UTC), language):  # kill, flash, embargo, ednote
            dec.append_text(line)
            dec.append("\n")
        dec.append("Decision: ", style="bold")
        dec.append_text(decision_text(current.decision if current else None))
        if current is not None and current.note:
            dec.append("  note: ", style="bold")
            dec.append(plain(current.note, one_line=True))
        self.query_one("#av-decision", Static).update(dec)

        summary = Text("Summary\n", style="bold underline")
        if self.analysis is not None:
            if not self.analysis.summary:
                summary.append("No summary: no sentences to choose from.", style="italic")
            width = self._text_width()
            for sentence in self.analysis.summary:
                summary.append_text(bullet_lines(sentence, width))
                summary.append("\n")
            names = [
                e.text
                for kind in ("people", "places", "organisations")
                for e in self.analysis.entities.get(kind, ())[:4]
            ]
            if names:
                summary.append("Names: ", style="bold")
                summary.append(", ".join(plain(n, one_line=True) for n in names))
        else:
            summary.append(plain(self.status, one_line=True), style="italic")
        summary.rstrip()
        self.query_one("#av-summary", Static).update(summary)

        # Decisions and the desk's acts (takes, hand-offs, acknowledgements) in one list, by time.
        lines = [(utc_key(ev.at), event_line(ev, history[i - 1] if i else None))
                 for i, ev in enumerate(history)]
        lines += [(utc_key(act.at), desk_act_line(act)) for act in self._desk_acts()]
        lines.sort(key=lambda pair: pair[0])
        count = f"{len(lines)} event" + ("" if len(lines) == 1 else "s")
        hist = Text(f"History ({count}, oldest first, local time)\n", style="bold underline")
        hist.append_text(Text("\n").join(line for _, line in lines) if lines else Text("none", style="dim"))
        self.query_one("#av-history", Static).update(hist)

        body = Text("Text\n", style="bold underline")
        text = self.article.text[:MAX_TEXT_CHARS]
        if text.strip():
            start = len(body)
            body.append(plain(text))
            if self.analysis is not None and len(plain(text)) == len(text):
                for a, b in self.analysis.spans:
                    if 0 <= a < b <= len(text):
                        body.stylize("bold on #333300", start + a, start + b)
            if len(self.article.text) > MAX_TEXT_CHARS:
                body.append("\n… (text cut for display)", style="italic")
        else:
            body.append("(no text kept)", style="dim")
        self.query_one("#av-text", Static).update(body)

    def _text_width(self) -> int:
        """Cells a line of the body has (its padding and scroll bar off); the screen's before layout."""
        body = self.query_one("#av-body", VerticalScroll)
        return (body.size.width or self.app.size.width) - 2 - 2

    def on_resize(self) -> None:
        if self.analysis is not None:
            self._draw()  # the summary's sentences are wrapped to the width, their lines indented

    # -- actions ---------------------------------------------------------------------------------
    def action_down(self) -> None:
        self.query_one("#av-body", VerticalScroll).scroll_relative(y=1, animate=False)

    def action_up(self) -> None:
        self.query_one("#av-body", VerticalScroll).scroll_relative(y=-1, animate=False)

    def action_clear(self) -> None:
        self.action_decide("clear")

    def action_decide(self, value: str) -> None:
        """Record a new decision (or clear it) for this article, keeping its note; a story a colleague
        holds asks first."""
        decision = None if value == "clear" else Decision.parse(value)
        current = self._current()
        note = current.note if current is not None else ""
        # Shown at once; the service's writer thread saves it and says saved or NOT saved.
        ask_if_held_on(self, self.service.faces.desk, [self.article_id],
                       lambda: self._made(self.service.decide_soon([self.article_id], decision, note=note)))

    def action_undo(self) -> None:
        """Undo this session's last action (a decision, a note or a batch), nothing else."""
        action = self.service.undo_last()
        if action is None:
            self.notify("Nothing to undo in this session.", timeout=2, markup=False)
            return
        self._made(action)

    def action_help(self) -> None:
        """Show or hide the panel listing every key of this screen."""
        toggle_key_panel(self)

    def action_back(self) -> None:
        self.dismiss(list(self.written))

    action_quit = action_back
