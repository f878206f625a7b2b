"""The main screen's list: the ids of a view (a Listing, which walks the inbox) built in a worker
thread, one build at a time with the latest request winning, and handed to the screen on its event
loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from triage.core import Listing, View
from triage.tui.screens.host import RunsWork

__all__ = ["ListingFeed", "ListingHost"]

log = logging.getLogger(__name__)


class ListingHost(RunsWork, Protocol):
    """What the feed needs of its screen: the view to build, the rows it keeps, where a listing goes."""

    @property
    def view(self) -> View: ...

    def kept(self) -> frozenset[str]:
        """Rows decided on screen: they stay listed until the view changes."""
        ...

    def show_listing(self, listing: Listing) -> None:
        """Swap in a listing built for the current view (on the event loop)."""
        ...


class ListingFeed:
    """Owns whether a build runs and whether another was asked for meanwhile. `build(view, keep)`
    makes the listing (the service's, in a worker thread)."""

    def __init__(self, host: ListingHost, build: Callable[[View, frozenset[str]], Listing]) -> None:
        self.host = host
        self._build_listing = build
        self._busy = False
        self._again = False

    def request(self) -> None:
        """Rebuild the list for the screen's view in a worker (coalesced)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        view, keep = self.host.view, self.host.kept()
        self.host.in_thread(lambda: self._build(view, keep), group="listing")

    def _build(self, view: View, keep: frozenset[str]) -> None:
        try:
            listing = self._build_listing(view, keep)
        except Exception:  # shown, never a crash
            log.exception("listing failed")
            listing = Listing(view, (), {}, {})
        self.host.from_thread(lambda: self._ready(listing))

    def _ready(self, listing: Listing) -> None:
        self._busy = False
        if listing.view == self.host.view:
            self.host.show_listing(listing)
        if self._again or listing.view != self.host.view:
            self._again = False
            self.request()
