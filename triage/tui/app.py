"""TriageApp and make_app(): the one way the CLI, the tests and `triage serve` build the app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from textual.app import App, SystemCommand
from textual.screen import Screen

from triage.core.service import TriageService
from triage.tui.keymap import bindings, palette_entries
from triage.tui.screens.main import MainScreen
from triage.tui.screens.quit import QuitScreen

__all__ = ["TriageApp", "make_app"]


class TriageApp(App[None]):
    """The triage TUI: one main screen, modal helpers, the review screen."""

    CSS_PATH = "app.tcss"
    TITLE = "triage"
    BINDINGS = bindings("app")
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, service: TriageService, *, now: datetime | None = None, analyze: bool = True,
                 loaded: bool = False, start: str = "main") -> None:
        super().__init__()
        self.service = service
        self._now = now
        self._analyze = analyze
        self._loaded = loaded
        self._start = start
        theme = service.settings.ui.theme
        if theme and theme in self.available_themes:
            self.theme = theme

    async def action_quit(self) -> None:
        """Quit; with decisions not saved, say how many and why first, and never lose them."""
        count, _why = self.service.faces.decisions.unsaved()
        if not count:
            self.exit()
            return
        if isinstance(self.screen, QuitScreen):
            return
        def answered(go: bool | None) -> None:
            if go:
                self.service.rescue_now(timeout=2.0)  # durable before the screen goes
                self.exit()

        self.push_screen(QuitScreen(self.service), answered)

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.service, now=self._now, analyze=self._analyze, loaded=self._loaded))
        if self._start == "review":
            self.call_after_refresh(self._run_main, "action_review")

    def _run_main(self, name: str, *args: str) -> None:
        screen = self.screen
        popped = False
        while not isinstance(screen, MainScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
            popped = True
            screen = self.screen
        if isinstance(screen, MainScreen):
            if popped:  # pop_screen skips the screens' result callbacks: catch the list up here
                screen.refresh_view()
            getattr(screen, name)(*args)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        run = self._run_main
        for title, help_text, name, args in palette_entries():
            yield SystemCommand(title, help_text, lambda n=f"action_{name}", a=args: run(n, *a))


def make_app(service: TriageService, *, now: datetime | None = None, analyze: bool = True,
             loaded: bool = False, start: str = "main") -> TriageApp:
    """Build the app around a service (the CLI, tests and snapshots all come through here).

    Unless the service is already loaded, reading the inbox starts now, while Textual starts up.
    """
    if not loaded:
        service.start_loading()
    return TriageApp(service, now=now, analyze=analyze, loaded=loaded, start=start)
