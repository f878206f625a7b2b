"""What the main screen's parts may ask of the screen they serve, in small typed pieces (Protocols).
Each part names the pieces it uses (attributes down: the widgets it paints; calls up: the few things
the screen does for it); the main screen provides them. No part holds the screen itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.timer import Timer

from triage.tui.widgets.article_list import ArticleList

__all__ = ["Asks", "HasList", "RunsWork", "SeverityLevel", "Tells"]


class Tells(Protocol):
    """Says a sentence to the person (untrusted text cleaned, never markup)."""

    def tell(self, message: str, *, severity: SeverityLevel = "information", timeout: float = 3,
             title: str = "") -> None: ...


class HasList(Protocol):
    """The article list the part reads the cursor and selection of."""

    @property
    def article_list(self) -> ArticleList: ...


class Asks(Protocol):
    """Opens a dialog over the screen; `then` gets its answer (None: escaped)."""

    def ask(self, dialog: ModalScreen[str | None], then: Callable[[str | None], None]) -> None: ...


class RunsWork(Protocol):
    """Runs a job off the event loop, brings a result back to it, and waits a moment."""

    def in_thread(self, job: Callable[[], None], *, group: str, exclusive: bool = False) -> None: ...

    def from_thread(self, callback: Callable[[], object]) -> None: ...

    def after(self, seconds: float, callback: Callable[[], object]) -> Timer: ...
