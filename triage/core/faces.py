"""What a screen may read of the service's parts: typed, read-only faces (Protocols), handed out
together as `Faces`. A screen holds the faces it needs and calls the service for what a person does
(decide, note, undo); it never holds a part itself, so nothing on screen can write the article set,
the decision store or the analysis cache behind the service's back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from triage.desk.desk import WatchCount
from triage.model import Analysis, Article, Decision, DecisionEvent, DeskAct, Handoff, Seen, Take

if TYPE_CHECKING:
    from triage.catalog.changes import Update
    from triage.core.book import Action

__all__ = ["Articles", "DecisionRecord", "DeskView", "Faces", "StoryUpdates", "Summaries", "WatchCount"]


class Articles(Protocol):
    """The article set: one story, its duplicate group, and what the source filter offers. Reading a
    story is O(1) (the event loop may); `sources` and `facets` walk the inbox (a worker's job)."""

    def article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        ...

    def leader_of(self, article_id: str) -> str:
        """The id of the list row that shows the article (its duplicate group's leader)."""
        ...

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group, leader first."""
        ...

    def sources(self) -> list[tuple[str, int]]:
        """(source name, stories), most stories first."""
        ...

    def tags(self) -> list[str]:
        """Every feed folder (tag) the configuration names."""
        ...

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, stories) by provider, language and urgency."""
        ...

    @property
    def source_tags(self) -> Mapping[str, tuple[str, ...]]:
        """Each feed's tags (its folders), for filters over decided stories."""
        ...


class Summaries(Protocol):
    """Analyses: the cached ones at once, one computed on demand, the story on screen first."""

    def cached(self, article: Article, *, wait: bool = True) -> Analysis | None:
        """Known or cached; never loads the model. wait=False (the event loop) never reads the file."""
        ...

    def analyze(self, article: Article) -> Analysis:
        """Analyse one article now (may load the model: a worker's job)."""
        ...

    def prioritise(self, article_ids: Sequence[str]) -> None:
        """Analyse these before the rest (the story on screen and its neighbours)."""
        ...


class DecisionRecord(Protocol):
    """Decisions as they stand (the optimistic marks included) and what is not saved yet."""

    def decision(self, article_id: str) -> Decision | None:
        """The current decision of one article."""
        ...

    def event(self, article_id: str) -> DecisionEvent | None:
        """The latest decision event of one article (None when never decided)."""
        ...

    def note(self, article_id: str) -> str:
        """The current note of one article ("" when none)."""
        ...

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first (reads the store: a worker's job)."""
        ...

    def event_count(self) -> int:
        """How many events the store holds (cheap: a reload is due when it changes)."""
        ...

    def current_events(self) -> dict[str, DecisionEvent]:
        """The latest event of every article in the store, cleared ones included."""
        ...

    def events_of(self, action: Action) -> list[DecisionEvent]:
        """The current events of an action's articles (what a screen shows right after it)."""
        ...

    def unsaved(self) -> tuple[int, str]:
        """(decisions not durable yet, why): refused and held, or still queued."""
        ...

    @property
    def pending(self) -> int:
        """Decisions held in memory because the store refused them."""
        ...


class StoryUpdates(Protocol):
    """What an update of a story added since the version the user last saw or decided."""

    def update_of(self, story_id: str, since: str = "") -> tuple[Update, str] | None:
        """(what changed, when the current version arrived), or None (reads kept versions: a worker)."""
        ...


class DeskView(Protocol):
    """The desk as this editor sees it: who is here, who has what open, who holds what, what is handed
    to me, the watches. Every member is O(1) or walks only the desk's own records (never the inbox), so
    the event loop may call them; they read what the live side last took in (a `DeskChanged` event
    says when that changed)."""

    @property
    def me(self) -> str:
        """This editor's name as the desk knows it (the backend's word)."""
        ...

    @property
    def problem(self) -> str:
        """One sentence when the desk cannot be used now (its folder refused, the server down); ""."""
        ...

    def people(self) -> list[Seen]:
        """Everyone present now (me included), by user."""
        ...

    def readers(self, story_id: str) -> list[Seen]:
        """The colleagues (not me) who have this story, or one of its group, open now."""
        ...

    def holder(self, story_id: str) -> Take | None:
        """The take in force on this story or its group (anyone's, mine included), or None."""
        ...

    def handoffs_of(self, story_id: str) -> list[Handoff]:
        """The hand-offs of this story or its group, oldest first."""
        ...

    def for_me(self) -> list[Handoff]:
        """Hand-offs to me or to the desk that are still open (not acknowledged by me, the story not
        decided since), oldest first: the top bar's "N for you"."""
        ...

    def mine(self) -> list[str]:
        """Story ids taken by me or handed to me and still open, newest first (the "mine" view)."""
        ...

    def members(self) -> list[str]:
        """The colleagues one may hand a story to (the desk group and those in the store), sorted."""
        ...

    def watches(self) -> list[WatchCount]:
        """Every watch (the desk's and mine) with its matches, by name."""
        ...

    def watch_terms(self, story_id: str) -> list[str]:
        """The words of this story that watches matched, for highlighting ([] when none)."""
        ...

    def acts(self, story_id: str) -> list[DeskAct]:
        """The desk's history of this story and its group (takes, hand-offs, acknowledgements)."""
        ...


@dataclass(frozen=True)
class Faces:
    """The read-only faces of the service's parts, as a screen is given them."""

    articles: Articles
    summaries: Summaries
    decisions: DecisionRecord
    updates: StoryUpdates
    desk: DeskView

