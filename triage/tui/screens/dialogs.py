"""Small modal screens: help, note input, problems list, entity picker, a message box."""

from __future__ import annotations

from typing import TypeVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.infra.counts import count_of
from triage.model import Decision, Problem
from triage.tui.keymap import bindings, help_groups
from triage.tui.safe import plain, safe_text

__all__ = [
    "KEY_LEGEND",
    "HelpScreen",
    "MessageScreen",
    "NoteScreen",
    "PickScreen",
    "ProblemsScreen",
    "box_css",
    "toggle_key_panel",
]


ScreenResult = TypeVar("ScreenResult")


def box_css(screen: str, width: int, border: str = "$accent") -> str:
    """The CSS of a dialog: `screen` centres one Vertical box, at most `width` cells wide, with a round
    border in `border`."""
    return f"""
    {screen} {{ align: center middle; }}
    {screen} > Vertical {{ width: {width}; max-width: 100%; height: auto; border: round {border};
        background: $panel; padding: 0 1; }}
    """


def toggle_key_panel(screen: Screen[ScreenResult]) -> None:
    """Show or hide Textual's panel of the keys of `screen` (its own bindings, always current)."""
    panels = screen.query("HelpPanel")
    if panels:
        panels.remove()
    else:
        screen.app.action_show_help_panel()


_MARKS = ", ".join(f"{d.mark} {d.label}" for d in Decision)
KEY_LEGEND = (
    "After f, a or x the cursor moves on to the next undecided story; F, A or X ask for a note "
    f"first and keep it with the decision. List marks: {_MARKS}, ★ watched, ∅ muted, "
    "↻ updated, !! flash, ! bulletin, KILLED / WITHHELD do not use, EMB embargoed (UTC), "
    "↓5m arrived 5 min ago."
)
TWO_COLUMNS_FROM = 72  # columns: narrower terminals get one column (it scrolls)


def _key_table(groups) -> Table:
    """Groups of (key, what) as a grid: keys in one column, what they do wrapped beside them."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    for i, (group, keys) in enumerate(groups):
        if i:
            table.add_row("", "")
        table.add_row(Text(group, style="bold underline"), "")
        for key, what in keys:
            table.add_row(Text(" " + key), Text(what))
    return table


class HelpScreen(ModalScreen[None]):
    """Every key, grouped, in two columns where they fit (80x24 shows it all); when it does not fit,
    the frame says it scrolls. Any of escape, q or ? closes it."""

    BINDINGS = bindings("help")
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1; border-subtitle-align: right; }
    HelpScreen #help-columns { layout: horizontal; height: auto; }
    HelpScreen .help-column { width: 1fr; height: auto; }
    HelpScreen #help-left { margin-right: 2; }
    HelpScreen.-narrow #help-columns { layout: vertical; }
    HelpScreen.-narrow #help-left { margin: 0 0 1 0; }
    HelpScreen #help-legend { margin-top: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        groups = help_groups()
        half = (len(groups) + 1) // 2
        with VerticalScroll(id="help-scroll") as scroll:
            scroll.border_title = "Keys"
            with Container(id="help-columns"):
                yield Static(_key_table(groups[:half]), id="help-left", classes="help-column")
                yield Static(_key_table(groups[half:]), id="help-right", classes="help-column")
            yield Static(Text(KEY_LEGEND), id="help-legend")

    def on_mount(self) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        self.watch(scroll, "scroll_y", self._say_where, init=False)
        self.watch(scroll, "max_scroll_y", self._say_where, init=False)
        self._fit(self.app.size.width)

    def on_resize(self, event) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width < TWO_COLUMNS_FROM, "-narrow")
        self.call_after_refresh(self._say_where)

    def _say_where(self, *_args) -> None:
        """The frame's subtitle: how to close it and, when it does not all fit, that it scrolls."""
        scroll = self.query_one("#help-scroll", VerticalScroll)
        if scroll.max_scroll_y <= 0:
            where = "esc closes"
        elif scroll.scroll_y <= 0:
            where = "↓ more below: j / ↓ / PgDn · esc closes"
        elif scroll.scroll_y >= scroll.max_scroll_y:
            where = "↑ more above: k / ↑ · esc closes"
        else:
            where = "↑↓ more: j / k · esc closes"
        scroll.border_subtitle = where

    def action_down(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_down(animate=False)

    def action_up(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_up(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)

    action_quit = action_help = action_back


class NoteScreen(ModalScreen[str | None]):
    """Ask for a note; enter saves (empty clears), escape cancels. The prompt names the story (and,
    for a decision with a note, the decision)."""

    BINDINGS = bindings("note")
    DEFAULT_CSS = box_css("NoteScreen", 70)

    def __init__(
        self,
        title: str,
        note: str = "",
        *,
        prompt: str = "Note for: ",
        placeholder: str = "enter saves, empty clears, esc cancels",
    ) -> None:
        super().__init__()
        self._title = title
        self._note = note
        self._prompt = prompt
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            # the prompt's own space kept before the title ("Note for: Germany…", never "for:Germany")
            label = Text(plain(self._prompt, one_line=True).rstrip() + " ", style="bold")
            label.append(plain(self._title, one_line=True)[:200])
            yield Static(label, id="note-title")
            # The stored note may be anyone's text: cleaned before the Input holds it, one line.
            yield Input(
                value=plain(self._note, one_line=True),
                placeholder=plain(self._placeholder, one_line=True),
                id="note-input",
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_back(self) -> None:
        self.dismiss(None)


class ProblemsScreen(ModalScreen[None]):
    """Every item that could not be read, one plain line each."""

    BINDINGS = bindings("problems")
    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    ProblemsScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: round $warning; background: $panel; padding: 0 1; }
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self._problems = problems

    def compose(self) -> ComposeResult:
        text = Text()
        if not self._problems:
            text.append("No problems: every file and feed was read.")
        else:
            text.append(
                f"{count_of(len(self._problems), 'item')} could not be read (or were read only in part):\n\n",
                style="bold",
            )
            for p in self._problems:
                text.append(plain(p.where, one_line=True), style="bold")
                text.append(": " + plain(p.reason, one_line=True) + "\n")
        with VerticalScroll():
            yield Static(text)

    def action_back(self) -> None:
        self.dismiss(None)

    action_quit = action_problems = action_back


class PickScreen(ModalScreen[str | None]):
    """Pick one item from a list (entities, sources); items whose value is None are section headings.
    Escape cancels."""

    BINDINGS = bindings("pick")
    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical { width: 60; max-width: 100%; height: auto; max-height: 80%;
        border: round $accent; background: $panel; }
    PickScreen OptionList { height: auto; max-height: 18; }
    """

    def __init__(self, title: str, items: list[tuple[str | None, str]]) -> None:
        super().__init__()
        self._title = title
        self._items = items  # (value, label)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe_text(self._title, "bold", one_line=True))
            yield OptionList(
                *[
                    Option(safe_text(label, "bold underline", one_line=True), id=str(i), disabled=True)
                    if value is None
                    else Option(safe_text(label, one_line=True), id=str(i))
                    for i, (value, label) in enumerate(self._items)
                ]
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._items[int(event.option.id or 0)][0])

    def action_back(self) -> None:
        self.dismiss(None)


class MessageScreen(ModalScreen[None]):
    """Show a text (a URL, an error) until a key closes it."""

    BINDINGS = bindings("message")
    DEFAULT_CSS = box_css("MessageScreen", 90)

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe_text(self._title, "bold", one_line=True))
            yield Static(safe_text(self._body))
            yield Label(Text("esc closes", style="dim"))

    def action_back(self) -> None:
        self.dismiss(None)

    action_quit = action_back
