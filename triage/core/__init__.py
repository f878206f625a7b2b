"""The service: a facade composing catalog, analysis, decision book and store; the live side; events.

What the TUI may know of the list comes from here: the view, its rows and the listing.
"""

from triage.catalog.listing import SORTS, VIEWS, Listing, Row, View

__all__ = ["SORTS", "VIEWS", "Listing", "Row", "View"]
