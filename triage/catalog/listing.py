"""What the list shows: View (which decisions, search, entity, order), Row (one list line), view names."""

from __future__ import annotations

from dataclasses import dataclass

from triage.model import Article, Decision

__all__ = ["DECISION_VIEW", "SORTS", "VIEWS", "VIEW_DECISION", "Listing", "Row", "View", "date_key",
           "primary_language", "shown_source"]

VIEWS = ("inbox", "follow-up", "flagged", "archived", "all")
SORTS = ("newest", "source", "priority")
VIEW_DECISION = {"follow-up": Decision.FOLLOW_UP, "flagged": Decision.FLAG, "archived": Decision.ARCHIVE}
DECISION_VIEW = {d: v for v, d in VIEW_DECISION.items()}


@dataclass(frozen=True)
class View:
    """What the list shows: which decisions, which search, which entity, in which order.

    Screens change it with dataclasses.replace (it is a reactive value there)."""

    name: str = "inbox"
    sort: str = "newest"
    search: str = ""
    entity: str = ""
    source: str = ""  # a feed or folder name, or "tag:<tag>": only its stories


@dataclass(frozen=True)
class Row:
    """One list row: an article (the leader of its duplicate group) and what the list marks on it."""

    article: Article
    decision: Decision | None
    sources: int = 1  # members in its near-duplicate group
    watched: tuple[str, ...] = ()
    muted: bool = False
    reopened: bool = False  # decided, and back in the inbox because an update added news

    @property
    def source(self) -> str:
        """The source column: the agency where the wire names it, else the feed or folder."""
        return shown_source(self.article)

    def foreign_language(self, desk_language: str) -> str:
        """The story's language tag when it is not the desk's (by primary subtag: en-GB is English on
        an "en" desk), else "" (stated as the desk's, or not stated)."""
        tag = self.article.language
        return tag if tag and primary_language(tag) != primary_language(desk_language) else ""


@dataclass(frozen=True)
class Listing:
    """The ids a view lists, in order, with a position index and the count of every view.

    Built off the event loop (Catalog.listing); the screen swaps it in and asks for the Row of the
    few ids on screen."""

    view: View
    ids: tuple[str, ...]
    index: dict[str, int]
    counts: dict[str, int]
    kept: int = 0  # rows listed only because they were decided on screen (the view's count leaves them out)

    def __len__(self) -> int:
        return len(self.ids)


def shown_source(art: Article) -> str:
    """What the list's source column names: the agency (the wire's provider) where the item says, else
    the feed or folder it came from."""
    return art.provider or art.source


def primary_language(tag: str) -> str:
    """A BCP 47 tag's primary subtag, lower case ("en-GB" -> "en", "nb_NO" -> "nb"): a language is
    foreign, and filtered, by it."""
    return tag.replace("_", "-").split("-")[0].strip().casefold()


def date_key(article: Article) -> str:
    """The list's "newest" order: published date, else the time triage first saw it; an update that
    arrived later counts from its own arrival (it is news again)."""
    first = article.published or article.received or ""
    return max(first, article.updated_at) if article.updated_at else first

