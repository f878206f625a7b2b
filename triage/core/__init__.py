"""The service: a facade composing catalog, analysis, decision book and store; the live side; events.

What the TUI may know of the list comes from here: the view, its rows and the listing.
"""

from typing import TYPE_CHECKING

from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View, primary_language
from triage.sources.readers import READS

if TYPE_CHECKING:
    from triage.store.query import EventQuery, haystack

__all__ = ["READS", "SORTS", "VIEWS", "EventQuery", "Listing", "Row", "View", "haystack", "primary_language"]


def __getattr__(name: str) -> object:
    """The store's event query, imported when first asked for: the TUI's start-up does not load the
    store (and TinyDB) before the first paint."""
    if name in ("EventQuery", "haystack"):
        from triage.store import query

        return getattr(query, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
