"""The service: a facade composing catalog, analysis, decision book and store; the live side; events.

What the TUI may know of the list comes from here: the view, its rows and the listing.
"""

from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View
from triage.store.query import EventQuery, haystack

__all__ = ["SORTS", "VIEWS", "EventQuery", "Listing", "Row", "View", "haystack"]
