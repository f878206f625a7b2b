"""Small modal screens: help, note input, problems list, entity picker, a message box."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from triage.model import Problem
from triage.tui.safe import plain

__all__ = ["KEY_HELP", "HelpScreen", "MessageScreen", "NoteScreen", "PickScreen", "ProblemsScreen", "toggle_key_panel"]


def toggle_key_panel(screen) -> None:
    """Show or hide Textual's panel of the keys of `screen` (its own bindings, always current)."""
    panels = screen.query("HelpPanel")
    if panels:
        panels.remove()
    else:
        screen.app.action_show_help_panel()

KEY_HELP = [
    ("Move", [("j / k, ↓ / ↑", "next / previous article"), ("g / G", "top / bottom"),
              ("PgDn / PgUp", "page through the list"), ("enter, tab", "focus the text; tab again: back"),
              ("space", "page down in the text")]),
    ("Decide", [("f", "follow up"), ("a", "archive"), ("x", "flag"), ("u", "undo the last decision (or batch)"),
                ("n", "note (saved with the decision)"), ("v", "select / unselect (then f, a, x act on all)"),
                ("shift+↓ / shift+↑", "extend the selection")]),
    ("Find", [("/", "search title, text and entities as you type (esc clears)"),
              ("e", "filter by an entity of this article (e again clears)"),
              ("1 2 3 4 5", "views: inbox, follow-up, flagged, archived, all"),
              ("s", "sort: newest, source, priority")]),
    ("More", [("c", "copy the URL (terminal clipboard, OSC 52: works over SSH)"),
              ("o", "open the URL (or show it when no local browser)"), ("r", "review past decisions"),
              ("p", "problems reading the inbox"), ("ctrl+p", "command palette: every action"),
              ("?", "this help"), ("q", "quit")]),
]


class HelpScreen(ModalScreen[None]):
    """Every key, grouped; any of escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        text = Text()
        for group, keys in KEY_HELP:
            text.append(f"{group}\n", style="bold underline")
            for key, what in keys:
                text.append(f"  {key:<20}", style="bold")
                text.append(f"{what}\n")
        text.append("\nSummary sentences are highlighted in the text. Marks: F follow-up, A archived, "
                    "X flagged, ★ on the watchlist, ∅ muted.", style="dim")
        with VerticalScroll():
            yield Static(text)

    def action_dismiss(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[str | None]):
    """Ask for a note; enter saves (empty clears), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical { width: 70; max-width: 100%; height: auto; border: round $accent;
        background: $panel; padding: 0 1; }
    """

    def __init__(self, title: str, note: str = "") -> None:
        super().__init__()
        self._title = title
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Note for: " + plain(self._title, one_line=True)[:120]))
            yield Input(value=self._note, placeholder="enter saves, empty clears, esc cancels", id="note-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProblemsScreen(ModalScreen[None]):
    """Every item that could not be read, one plain line each."""

    BINDINGS = [Binding("escape,q,p", "dismiss", "Close")]
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
            text.append(f"{len(self._problems)} item(s) could not be read (or were read only in part):\n\n", style="bold")
            for p in self._problems:
                text.append(plain(p.where, one_line=True), style="bold")
                text.append(": " + plain(p.reason, one_line=True) + "\n")
        with VerticalScroll():
            yield Static(text)

    def action_dismiss(self) -> None:
        self.dismiss(None)


class PickScreen(ModalScreen[str | None]):
    """Pick one item from a list (entities to filter by); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical { width: 60; max-width: 100%; height: auto; max-height: 80%;
        border: round $accent; background: $panel; }
    PickScreen OptionList { height: auto; max-height: 18; }
    """

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._items = items  # (value, label)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title, style="bold"))
            yield OptionList(*[Option(Text(plain(label, one_line=True)), id=str(i)) for i, (_, label) in enumerate(self._items)])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._items[int(event.option.id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class MessageScreen(ModalScreen[None]):
    """Show a text (a URL, an error) until a key closes it."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Vertical { width: 90; max-width: 100%; height: auto; border: round $accent;
        background: $panel; padding: 0 1; }
    """

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title, style="bold"))
            yield Static(Text(plain(self._body)))
            yield Label(Text("esc closes", style="dim"))

    def action_dismiss(self) -> None:
        self.dismiss(None)
