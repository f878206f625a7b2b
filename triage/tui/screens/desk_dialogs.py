"""The desk's dialogs: ask before deciding a held story, hand a story on, my stories, the watches (add,
remove, open), the shift's handover. Every name, note, title and query on them is someone's text:
cleaned and shown literally (triage.tui.safe), never as markup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.model import DESK, Article, DecisionEvent, Handoff, Take
from triage.tui.format import local_when
from triage.tui.keymap import bindings
from triage.tui.safe import plain, safe_text, short

__all__ = ["AskScreen", "HandScreen", "HandoverReport", "HandoverScreen", "ListScreen", "MineScreen",
           "WatchAddScreen", "WatchesScreen", "handover_text"]

log = logging.getLogger(__name__)

WATCHES_REFRESH_SECONDS = 1.0  # the watches screen reads its counts again this often

_BOX = """{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
    background: $panel; padding: 0 1; }}
{name} OptionList {{ height: auto; max-height: 16; }}
{name} .hint {{ color: $text-muted; }}
"""


def _hint(words: str) -> Label:
    return Label(Text(words, style="dim"), classes="hint")


class AskScreen(ModalScreen[bool]):
    """A yes / no question (deciding a story a colleague holds): y or enter on "yes" goes ahead; n,
    escape or "no" leaves it. Never answers by itself."""

    BINDINGS = bindings("ask")
    DEFAULT_CSS = _BOX.format(name="AskScreen")

    def __init__(self, question: str, yes: str, no: str = "No, leave it") -> None:
        super().__init__()
        self._question, self._yes, self._no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self._question, "bold"))
            yield OptionList(Option(safe_text(self._yes, one_line=True), id="yes"),
                             Option(safe_text(self._no, one_line=True), id="no"), id="ask-options")
            yield _hint("y or enter on the first line: yes · esc: no")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 1  # "no" under the cursor: an enter pressed by habit decides nothing
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)


class ListScreen(ModalScreen[str | None]):
    """A titled list of (value, label) rows; enter gives the row's value, escape None; j / k move."""

    def __init__(self, title: str, rows: list[tuple[str, Text]], empty: str, hint: str) -> None:
        super().__init__()
        self._title, self._rows, self._empty, self._hint = title, rows, empty, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe_text(self._title, "bold", one_line=True))
            if self._rows:
                yield OptionList(*[Option(label, id=str(i)) for i, (_v, label) in enumerate(self._rows)])
            else:
                yield Static(safe_text(self._empty), id="list-empty")
            yield _hint(self._hint)

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.highlighted = 0
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._rows[int(event.option.id or 0)][0])

    @property
    def highlighted(self) -> str | None:
        """The value of the row under the cursor (None: an empty list)."""
        for options in self.query(OptionList):
            if options.highlighted is not None:
                return self._rows[options.highlighted][0]
        return None

    def action_down(self) -> None:
        for options in self.query(OptionList):
            options.action_cursor_down()

    def action_up(self) -> None:
        for options in self.query(OptionList):
            options.action_cursor_up()

    def action_back(self) -> None:
        self.dismiss(None)


class MineScreen(ListScreen):
    """My stories: taken by me or handed to me (and still open); enter goes to the story."""

    BINDINGS = bindings("mine")
    DEFAULT_CSS = _BOX.format(name="MineScreen")

    def __init__(self, rows: list[tuple[str, Text]], *, title: str = "Mine: taken by me or handed to me",
                 empty: str = "Nothing is yours now: h takes the story under the cursor.") -> None:
        super().__init__(title, rows, empty, "enter: go to the story · esc closes")


class WatchesScreen(ListScreen):
    """The watches with their unread counts; enter lists a watch's stories (its query as the search);
    + adds one (the desk's or mine), - removes the one under the cursor. `add` and `remove` are the
    service's acts (run in a thread: they write the desk's record); `rows` reads the watches again
    after either."""

    BINDINGS = bindings("watches")
    DEFAULT_CSS = _BOX.format(name="WatchesScreen")

    def __init__(self, rows: Callable[[], list[tuple[str, Text]]], *,
                 add: Callable[[str, str, bool], str], remove: Callable[[str], str]) -> None:
        super().__init__("Watches: unread / matching stories", rows(),
                         "No watches yet: + adds one (a name and a search, like /).",
                         "enter: list its stories · + add · - remove · esc closes")
        self._read_rows, self._add, self._remove = rows, add, remove

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(WATCHES_REFRESH_SECONDS, self._counts_again)

    async def _counts_again(self) -> None:
        """The counts as the desk's poll last made them (a new watch is counted by the next poll)."""
        rows = self._read_rows()
        if [(v, t.plain) for v, t in rows] != [(v, t.plain) for v, t in self._rows]:
            at = self.highlighted
            self._rows = rows
            await self.recompose()
            super().on_mount()
            values = [v for v, _t in rows]
            if at in values:
                self.query_one(OptionList).highlighted = values.index(at)

    async def _again(self, said: str) -> None:
        if said:
            self.notify(plain(said, one_line=True), markup=False, timeout=4)
        self._rows = self._read_rows()
        await self.recompose()
        super().on_mount()

    def action_add_watch(self) -> None:
        async def added(got: tuple[str, str, bool] | None) -> None:
            if got is not None:  # a write to the desk's record (a lock, an fsync, a server): off the loop
                await self._again(await asyncio.to_thread(self._add, *got))

        self.app.push_screen(WatchAddScreen(), added)

    async def action_remove_watch(self) -> None:
        name = self.highlighted
        if name is not None:
            await self._again(await asyncio.to_thread(self._remove, name))


class WatchAddScreen(ModalScreen[tuple[str, str, bool] | None]):
    """A new watch: its name, its search (the language of /) and whether the desk shares it; enter in
    the search adds it, tab moves between the fields, escape cancels."""

    BINDINGS = bindings("note")  # escape cancels, as a note's box does
    DEFAULT_CSS = _BOX.format(name="WatchAddScreen")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("A new watch", style="bold"))
            yield Input(placeholder="name, e.g. Ukraine", id="watch-name")
            yield Input(placeholder="search, as with /  (e.g. central bank, urgency:1-2)", id="watch-query")
            yield Checkbox("shared with the desk (else mine alone)", True, id="watch-desk")
            yield _hint("tab: next field · enter in the search adds it · esc cancels")

    def on_mount(self) -> None:
        self.query_one("#watch-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = self.query_one("#watch-name", Input).value.strip()
        query = self.query_one("#watch-query", Input).value.strip()
        if event.input.id == "watch-name" or not name or not query:
            self.query_one("#watch-query" if name else "#watch-name", Input).focus()
            return
        self.dismiss((name, query, self.query_one("#watch-desk", Checkbox).value))

    def action_back(self) -> None:
        self.dismiss(None)


class HandScreen(ModalScreen[tuple[str, str] | None]):
    """Hand a story on: pick a colleague (or the desk) with j / k and enter, then write a note and press
    enter; escape cancels. The answer is (to, note)."""

    BINDINGS = bindings("hand")
    DEFAULT_CSS = _BOX.format(name="HandScreen")

    def __init__(self, title: str, people: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._people = people  # (value: a user name or the desk, label)
        self._to: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            label = Text("Hand on: ", style="bold")
            label.append(plain(self._title, one_line=True)[:200])
            yield Static(label)
            yield OptionList(*[Option(safe_text(lab, one_line=True), id=str(i))
                               for i, (_v, lab) in enumerate(self._people)], id="hand-people")
            yield Input(placeholder="a note for them (enter hands it on)", id="hand-note")
            yield _hint("j / k: pick · enter: then the note · enter again hands it on · esc cancels")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @property
    def picked(self) -> str | None:
        """The colleague (or the desk) under the cursor."""
        at = self.query_one(OptionList).highlighted
        return self._people[at][0] if at is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._to = self._people[int(event.option.id or 0)][0]
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if self._to is None and options.highlighted is not None:
            self._to = self._people[options.highlighted][0]
        if self._to is None:
            options.focus()
            return
        self.dismiss((self._to, event.value.strip()))

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss(None)


class WatchHitLike(Protocol):
    @property
    def watch(self) -> str: ...

    @property
    def article(self) -> Article: ...


class HandoverReport(Protocol):
    """What the handover screen reads of the service's handover report (its fields)."""

    @property
    def since(self) -> str: ...

    @property
    def until(self) -> str: ...

    @property
    def editors(self) -> Mapping[str, Sequence[DecisionEvent]]: ...

    @property
    def takes(self) -> Sequence[Take]: ...

    @property
    def open_handoffs(self) -> Sequence[Handoff]: ...

    @property
    def unacknowledged(self) -> Sequence[Handoff]: ...

    @property
    def flashes(self) -> Sequence[Article]: ...

    @property
    def kills(self) -> Sequence[Article]: ...

    @property
    def corrections(self) -> Sequence[Article]: ...

    @property
    def watch_hits(self) -> Sequence[WatchHitLike]: ...

    @property
    def stories_known(self) -> bool: ...


def _line(*parts: tuple[str, str]) -> Text:
    out = Text("  ")
    for words, style in parts:
        out.append(plain(words, one_line=True), style=style)
    return out


def handover_text(report: HandoverReport, title_of: Callable[[str], str] = lambda _aid: "") -> Text:
    """The handover as the screen shows it: plain text in sections (the CLI's is Markdown), every
    stored text cleaned and literal; `title_of(id)` names a story the record has no title for (the
    inbox on screen knows it)."""
    def title(t: str, aid: str) -> str:
        return short(t or title_of(aid), 70) or short(aid, 70)

    def to(h: Handoff) -> str:
        return "the desk" if h.to == DESK else h.to

    rows: list[Text] = [Text(f"From {local_when(report.since)} to {local_when(report.until)}", style="dim")]

    def section(heading: str, lines: list[Text], empty: str) -> None:
        rows.append(Text())
        rows.append(Text(f"{heading} ({len(lines)})", style="bold underline"))
        rows.extend(lines or [Text("  " + empty, style="dim")])

    editors: list[Text] = []
    for user, events in report.editors.items():
        editors.append(_line((user, "bold")))
        for e in events:
            word = e.decision.label if e.decision else "note"
            editors.append(_line(("  " + word + ": ", ""), (title(e.title, e.article_id), ""),
                                 (f" — {e.note}" if e.note else "", "italic")))
    section("Followed up and flagged", editors, "Nothing followed up or flagged.")
    takes = [_line((title(t.title, t.article_id), ""), (f"  {t.user}", "bold"),
                   (f" until {local_when(t.until, 'clock')}", "dim")) for t in report.takes]
    section("Takes still open", takes, "No story is taken.")
    section("Hand-offs still open", [
        _line((title(h.title, h.article_id), ""), (f"  {h.sender} → {to(h)}", "bold"),
              (f" {local_when(h.at, 'clock')}", "dim"), (f" — {h.note}" if h.note else "", "italic"))
        for h in report.open_handoffs], "No hand-off is open.")
    section("Hand-offs not acknowledged", [
        _line((title(h.title, h.article_id), ""), (f"  {h.sender} → {to(h)}", "bold"),
              (f" {local_when(h.at, 'clock')}", "dim")) for h in report.unacknowledged],
            "Every hand-off was acknowledged.")
    if report.stories_known:
        def stories(items: Sequence[Article]) -> list[Text]:
            return [_line((title(a.title, a.id), ""), (f"  {a.source}", "dim")) for a in items]

        section("Undecided flashes and bulletins", stories(report.flashes), "None.")
        section("Kills and withholds", stories(report.kills), "None.")
        section("Corrections and new versions", stories(report.corrections), "None.")
        hits = [_line((w.watch + ": ", "bold"), (title(w.article.title, w.article.id), ""))
                for w in report.watch_hits]
        section("Watch hits nobody opened", hits, "None.")
    return Text("\n").join(rows)


class HandoverScreen(ModalScreen[None]):
    """The shift's handover as plain text, scrollable (j / k, PgDn); `load` (a worker's job: it reads the
    history) gives its text, and the screen says "reading…" until then."""

    BINDINGS = bindings("handover")
    DEFAULT_CSS = """
    HandoverScreen { align: center middle; }
    HandoverScreen > VerticalScroll { width: 100; max-width: 100%; height: 100%; border: round $accent;
        background: $panel; padding: 0 1; border-subtitle-align: right; }
    """

    def __init__(self, load: Callable[[], Text], title: str = "Handover: the last 8 hours") -> None:
        super().__init__()
        self._load = load
        self._title = title
        self.text = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="handover-scroll") as scroll:
            scroll.border_title = self._title
            scroll.border_subtitle = "j / k scroll · esc closes"
            yield Static(Text("Reading the desk's history…", style="italic"), id="handover-body")

    def on_mount(self) -> None:
        self.run_worker(self._read, thread=True, exit_on_error=False)

    def _read(self) -> None:
        try:
            text = self._load()
        except Exception as exc:  # one sentence on screen, the traceback in the log
            log.exception("handover failed")
            text = safe_text(f"The handover could not be made: {exc}")
        self.app.call_from_thread(self._show, text)

    def _show(self, text: Text) -> None:
        self.text = text.plain
        self.query_one("#handover-body", Static).update(text)

    def action_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down(animate=False)

    def action_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)
