"""TriageApp and make_app(): the one way the CLI, the tests and `triage serve` build the app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from textual.app import App, SystemCommand
from textual.screen import Screen

from triage.core.service import TriageService
from triage.tui.screens.main import MainScreen
from triage.tui.screens.quit import QuitScreen

__all__ = ["TriageApp", "make_app"]


class TriageApp(App[None]):
    """The triage TUI: one main screen, modal helpers, the review screen."""

    CSS_PATH = "app.tcss"
    TITLE = "triage"
    BINDINGS = [("q", "quit", "Quit"), ("ctrl+c", "quit", "Quit"), ("ctrl+q", "quit", "Quit")]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, service: TriageService, *, now: datetime | None = None, analyze: bool = True,
                 loaded: bool = False, start: str = "main") -> None:
        super().__init__()
        self.service = service
        self._now = now
        self._analyze = analyze
        self._loaded = loaded
        self._start = start
        theme = service.settings.get("ui.theme", "")
        if theme and theme in self.available_themes:
            self.theme = theme

    async def action_quit(self) -> None:
        """Quit; with decisions not saved, say how many and why first, and never lose them."""
        count, _why = self.service.unsaved()
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
        commands = [
            ("Follow up", "Mark the article (or the selection) for follow-up (key f)", "action_decide", ("follow-up",)),
            ("Archive", "Archive the article (or the selection) (key a)", "action_decide", ("archive",)),
            ("Flag", "Flag the article (or the selection) (key x)", "action_decide", ("flag",)),
            ("Follow up, with a note", "Decide and say why in one go (key F)", "action_decide_note", ("follow-up",)),
            ("Archive, with a note", "Decide and say why in one go (key A)", "action_decide_note", ("archive",)),
            ("Flag, with a note", "Decide and say why in one go (key X)", "action_decide_note", ("flag",)),
            ("Undo", "Undo this session's last decision, note or batch (key u)", "action_undo", ()),
            ("Note", "Write a note on the article (key n)", "action_note", ()),
            ("Search", "Search titles, text and entities (key /)", "action_search", ()),
            ("Filter by entity", "Show articles naming an entity of this one (key e)", "action_entity_filter", ()),
            ("Filter by source or folder", "Only one feed, folder or feed folder (tag) (key S)", "action_source_filter",
             ()),
            ("Read full screen", "The story's full text on the whole screen, on / off (key z)", "action_zoom", ()),
            ("View: inbox", "Undecided articles (key 1)", "action_view", ("inbox",)),
            ("View: follow-up", "Articles to follow up (key 2)", "action_view", ("follow-up",)),
            ("View: flagged", "Flagged articles (key 3)", "action_view", ("flagged",)),
            ("View: archived", "Archived articles (key 4)", "action_view", ("archived",)),
            ("View: all", "Every article, muted ones too (key 5)", "action_view", ("all",)),
            ("Sort", "Cycle the sort: newest, source, priority (key s)", "action_sort", ()),
            ("Review decisions", "Table, filters and activity of past decisions (key r)", "action_review", ()),
            ("Problems", "Files and feeds that could not be read (key p)", "action_problems", ()),
            ("Copy URL", "Copy the article's URL to the terminal clipboard (key c)", "action_copy_url", ()),
            ("Open URL", "Open the URL in a local browser, or show it (key o)", "action_open_url", ()),
            ("Help", "Every key (key ?)", "action_help", ()),
        ]
        for title, help_text, name, args in commands:
            yield SystemCommand(title, help_text, lambda n=name, a=args: run(n, *a))


def make_app(service: TriageService, *, now: datetime | None = None, analyze: bool = True,
             loaded: bool = False, start: str = "main") -> TriageApp:
    """Build the app around a service (the CLI, tests and snapshots all come through here).

    Unless the service is already loaded, reading the inbox starts now, while Textual starts up.
    """
    if not loaded:
        service.start_loading()
    return TriageApp(service, now=now, analyze=analyze, loaded=loaded, start=start)
