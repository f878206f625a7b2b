"""Stories that change, as the service sees them: versions kept, what an update added, read marks, and
decided stories that an update (or a kill) puts back in the inbox.

The kept versions are the ingest cache's (a cache); read marks and story aliases are the user's own
(triage.core.mine)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from triage.core.mine import Mine
from triage.infra.clock import now_iso
from triage.model import Decision, DecisionEvent

if TYPE_CHECKING:
    from triage.catalog.catalog import Catalog
    from triage.catalog.changes import Update
    from triage.config import Settings
    from triage.sources.cache import IngestCache
    from triage.store.query import one_row_per_story

__all__ = ["Versions", "one_row_per_story"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Versions:
    """What changed in a story, since when, and whether it re-opens a decision.

    `event_of` gives an article's current decision event (the book's)."""

    def __init__(self, settings: Settings, catalog: Catalog,
                 event_of: Callable[[str], DecisionEvent | None]) -> None:
        self._data_dir = settings.data_dir
        self.catalog = catalog
        self._event_of = event_of
        self._updates: dict[tuple[str, str, str], tuple[Update, str]] = {}
        self._reopen_on: set[Decision] = set()
        for value in settings.ui.reopen_on_update:
            try:
                self._reopen_on.add(Decision.parse(str(value)))
            except ValueError:
                log.warning("ui.reopen_on_update: %s is not a decision", value)
        self.reopened: set[str] = set()  # decided stories back in the inbox: an update added news
        self._news_since: dict[tuple[str, str, str], bool] = {}
        self._read_marks: dict[str, tuple[str, str]] = {}  # story -> (version hash, when) the user read
        self._unsaved_marks: list[tuple[str, str, str]] = []
        self.mine = Mine(settings.data_dir)  # read marks and aliases: the user's own file

    def prepare(self) -> None:
        """Before a load: the links and read marks kept from earlier runs (mine alone)."""
        self.catalog.set_aliases(self.mine.aliases())
        self._read_marks.update(self.mine.read_marks())

    def _ingest_cache(self, use: Callable[[IngestCache], T]) -> T | None:
        """Run `use(cache)` on a short-lived connection to the ingest cache (any thread); None on failure."""
        from triage.sources.cache import IngestCache

        cache = IngestCache(self._data_dir / "ingest-cache.sqlite")
        try:
            return use(cache)
        except Exception:
            log.exception("ingest cache use failed")
            return None
        finally:
            cache.close()

    def keep_aliases(self) -> None:
        """Keep the story links the catalog made since the last call (mine alone)."""
        links = self.catalog.take_aliases()
        if links:
            self.mine.add_aliases(links)

    # -- versions of a story ---------------------------------------------------------------------
    def update_of(self, story_id: str, since: str = "") -> tuple[Update, str] | None:
        """What the current version of an updated story added since the version with content hash
        `since` (default: the one the user last saw or decided, else the version before the current
        one), and when the current version arrived; None when there is nothing to compare.

        Reads the kept versions (SQLite) and compares texts: call from a worker."""
        from triage.catalog.changes import compare

        art = self.catalog.article(story_id)
        if art is None or not art.updated:
            return None
        baseline = since or self.baseline_version(story_id)
        key = (story_id, art.content_hash, baseline)
        got = self._updates.get(key)
        if got is not None:
            return got
        ids = self.catalog.aliases_of(story_id)
        versions = self._ingest_cache(lambda c: c.version_list(ids)) or []
        older = [v for v in versions if v[1] != art.content_hash]
        if not older:
            return None
        pick = next((v for v in older if v[1] == baseline), None) or older[-1]
        found = self._ingest_cache(lambda c: c.version(pick[0], pick[1]))
        if found is None:
            return None
        title, text, _received = found
        result = (compare(text, art.text, title, art.title), art.updated_at)
        if len(self._updates) > 2000:
            self._updates.clear()
        self._updates[key] = result
        return result

    def baseline_version(self, story_id: str) -> str:
        """The content hash of the version the user last saw or decided (whichever came later), or ""."""
        seen = self._read_marks.get(story_id)
        event = self._event_of(story_id)
        decided = (event.content_hash, event.at) if event is not None else ("", "")
        if seen and (not decided[0] or seen[1] >= decided[1]):
            return seen[0]
        return decided[0]

    def mark_read(self, story_id: str) -> None:
        """The user has seen the current version of this story (kept for "new since you last read")."""
        art = self.catalog.article(story_id)
        if art is None or not art.updated:
            return
        previous = self._read_marks.get(story_id)
        if previous and previous[0] == art.content_hash:
            return
        mark = (art.content_hash, now_iso())
        self._read_marks[story_id] = mark
        self._unsaved_marks.append((story_id, *mark))  # written by the poll thread, never the caller

    def save_read_marks(self) -> None:
        """Write the marks made since the last call (the poll thread)."""
        marks, self._unsaved_marks = self._unsaved_marks, []
        if marks:
            self.mine.add_read_marks(marks)

    def effective_decision(self, article_id: str) -> Decision | None:
        """The decision the views go by: a story decided in a way `ui.reopen_on_update` names comes back
        to the inbox (None) when an update added news since the version that was decided. Reads kept
        versions for the few updated, decided stories: runs in the listing's worker."""
        event = self._event_of(article_id)
        if event is None or event.decision is None:
            self.reopened.discard(article_id)
            return None
        decision = event.decision
        art = self.catalog.article(article_id)
        if art is not None and art.killed and event.content_hash != art.content_hash:
            # The agency killed or withheld a story after it was decided: it is back in front of the
            # desk whatever ui.reopen_on_update says (a follow-up on a killed story must not be missed).
            self.reopened.add(article_id)
            return None
        if (decision not in self._reopen_on or art is None or not art.updated or not event.content_hash
                or event.content_hash == art.content_hash):
            self.reopened.discard(article_id)
            return decision
        key = (article_id, event.content_hash, art.content_hash)
        news = self._news_since.get(key)
        if news is None:
            got = self.update_of(article_id, since=event.content_hash)
            news = self._news_since[key] = bool(got and got[0].news)
        if news:
            self.reopened.add(article_id)
            return None
        self.reopened.discard(article_id)
        return decision


def __getattr__(name: str) -> object:
    """one_row_per_story lives with the store's query (the CLI's exports use it without the service);
    imported when first asked for, so the TUI's start-up does not load the store before the first paint."""
    if name == "one_row_per_story":
        from triage.store import query

        return query.one_row_per_story
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
