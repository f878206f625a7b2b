"""The main screen's list: the ids of a view (a Listing, which walks the inbox) built in a worker
thread, one build at a time with the latest request winning, and swapped in on the event loop."""

from __future__ import annotations

from typing import Any

from triage.core import Listing, View
from triage.tui.widgets.article_list import ArticleList

__all__ = ["ListingFeed"]


class ListingFeed:
    """Owns whether a build runs and whether another was asked for meanwhile."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.service = screen.service
        self._busy = False
        self._again = False

    def request(self) -> None:
        """Rebuild the list for the screen's view in a worker (coalesced)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        view, keep = self.screen.view, frozenset(self.screen.deciding.keep)
        self.screen.run_worker(lambda: self._build(view, keep), thread=True, group="listing",
                               exit_on_error=False)

    def _build(self, view: View, keep: frozenset[str]) -> None:
        try:
            listing = self.service.listing(view, keep)
        except Exception as exc:  # shown, never a crash
            self.screen.app.log.error(f"listing failed: {exc!r}")
            listing = Listing(view, (), {}, {})
        self.screen.app.call_from_thread(self._ready, listing)

    def _ready(self, listing: Listing) -> None:
        self._busy = False
        screen = self.screen
        if listing.view == screen.view:
            self._apply(listing)
        if self._again or listing.view != screen.view:
            self._again = False
            self.request()

    def _apply(self, listing: Listing) -> None:
        screen, svc = self.screen, self.service
        lst = screen.query_one(ArticleList)
        current = lst.current_id
        lst.set_listing(listing, keep=svc.leader_of(current) if current else None)
        if not listing.ids:
            screen.story.show(None)
        elif not svc.more_started:
            screen.call_after_refresh(svc.start_more)
        screen.set_status(counts=listing.counts, selected=len(lst.selected), matches=len(listing.ids),
                          kept=listing.kept)
