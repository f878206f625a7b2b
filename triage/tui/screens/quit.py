"""QuitScreen: asked on quit when decisions are not saved: how many and why; retry, quit anyway, or stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from triage.tui.keymap import bindings
from triage.tui.safe import plain
from triage.tui.screens.dialogs import box_css

if TYPE_CHECKING:
    from triage.core.service import TriageService

__all__ = ["QuitScreen"]


class QuitScreen(ModalScreen[bool]):
    """Dismissed with True to quit (what is not saved goes to the rescue file), False to stay."""

    BINDINGS = bindings("quit")
    DEFAULT_CSS = box_css("QuitScreen", 74, "$error") + """
    QuitScreen #quit-status { color: $text-muted; }
    """

    class Retried(Message):
        """A retry finished (in a worker): how many are still not saved, and why."""

        def __init__(self, left: int, why: str) -> None:
            self.left = left
            self.why = why
            super().__init__()

    def __init__(self, service: TriageService) -> None:
        super().__init__()
        self.service = service
        self._decisions = service.faces.decisions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(id="quit-title")
            yield Static(id="quit-body")
            yield Static(id="quit-status")

    def on_mount(self) -> None:
        self._show(*self._decisions.unsaved())

    def _show(self, count: int, why: str, status: str = "") -> None:
        title = Text(f"{count} decision{'s are' if count != 1 else ' is'} NOT saved", style="bold")
        self.query_one("#quit-title", Label).update(title)
        body = Text()
        body.append("Why: ", style="bold")
        body.append(plain(why or "the decisions file cannot be written", one_line=True))
        body.append("\n\n")
        body.append(" w ", style="bold reverse")
        body.append(" try to save again now\n")
        body.append(" q ", style="bold reverse")
        body.append(" quit anyway: they go to a rescue file beside the decisions file,\n"
                    "     and the next start (TUI or CLI) replays them\n")
        body.append(" esc ", style="bold reverse")
        body.append(" stay")
        self.query_one("#quit-body", Static).update(body)
        self.query_one("#quit-status", Static).update(Text(plain(status, one_line=True)))

    def action_retry(self) -> None:
        self.query_one("#quit-status", Static).update(Text("Trying to save…"))
        self._retry()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _retry(self) -> None:
        """Finish queued writes and retry refused ones, off the event loop (the lock may be busy)."""
        try:
            left = self.service.retry_writes(5)
        except Exception:  # the count says what is left
            left = self._decisions.unsaved()
        self.post_message(self.Retried(*left))

    def on_quit_screen_retried(self, msg: Retried) -> None:
        if msg.left == 0:
            self.dismiss(True)
            return
        self._show(msg.left, msg.why, "Still not saved.")

    def action_quit(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
