"""Catalog: the one owner of the article set (articles, duplicate groups, search, rules, order, counts).

Thread-safe and incremental. Writers (the loader, the inbox watcher, feed refreshes, the analysis
results) call `add`/`analysed` from their own threads; the cost of an arriving story is that story's:
its near-duplicates come from the MinHash LSH index (DuplicateIndex), its place in the list from a
bisect into a date-sorted list, its group from a walk over its own group's links only.

Readers come in two kinds. `listing()` (the ids a view shows, and every view's count) walks the
whole inbox, so it runs in a worker thread, holding the lock only to copy the order. `article()`,
`row()`, `group()` and `leader_of()` are O(1) dict reads without the lock, safe on the event loop.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from triage.catalog import views
from triage.catalog.groups import Groups, article_key
from triage.catalog.listing import Listing, Row, View, date_key
from triage.catalog.rules import RuleSet
from triage.catalog.stories import Stories, arrival, same_version
from triage.model import Analysis, Article, Decision, Problem

__all__ = ["Catalog", "Change"]

log = logging.getLogger(__name__)

DecisionOf = Callable[[str], "Decision | None"]


@dataclass
class Change:
    """What one `add` changed: ids new or with new content, ids gone, new problems."""

    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.problems)


class Catalog:
    """Articles by id with their near-duplicate groups, search index, watch/mute marks and list order."""

    def __init__(self, *, rules: RuleSet | None = None, duplicates=None, search=None,
                 analysis_of: Callable[[str], Analysis | None] | None = None,
                 source_tags: Mapping[str, Iterable[str]] | None = None,
                 file_tags: Mapping[str, Iterable[str]] | None = None, default_language: str = "") -> None:
        self.rules = rules or RuleSet()
        # the desk's language (BCP 47): a story that states none is in it, for the language facet
        self.default_language = default_language
        self._search = search  # SearchIndex or None (scan)
        self._analysis_of = analysis_of or (lambda _aid: None)
        self.source_tags: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (source_tags or {}).items()}
        # a feed's spool file name -> its tags (a feed whose name is its own title is known by its file)
        self.file_tags: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (file_tags or {}).items()}
        self._lock = threading.RLock()
        self._arts: dict[str, Article] = {}
        self.groups = Groups(self._arts, duplicates)
        self.stories = Stories(self._arts, self.groups)
        self._clear()

    def attach(self, *, duplicates=None, search=None) -> None:
        """Use these indexes from now on (a DuplicateIndex, a SearchIndex; None: grouping off, scan)."""
        with self._lock:
            self.groups.index = duplicates
            self._search = search

    def _clear(self) -> None:
        self._arts.clear()
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        self._sorted: list[tuple[str, int, str]] = []  # (date key, -arrival, id), ascending
        self.groups.clear()
        self.stories.clear()
        self._watched: dict[str, tuple[str, ...]] = {}
        self._muted: set[str] = set()
        self._unindexed: dict[str, None] = {}  # ids waiting for the search index, in arrival order
        self._problems: list[Problem] = []
        self._problem_keys: set[str] = set()

    # -- reading (lock-free, O(1): safe on the event loop) -----------------------------------------
    def article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        return self._arts.get(article_id)

    def __len__(self) -> int:
        return len(self._arts)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._arts

    def leader_of(self, article_id: str) -> str:
        """The id of the row that shows this article (its duplicate group's leader, else itself)."""
        return self.groups.leader_of(article_id)

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group, leader first ([id] when it has none)."""
        return self.groups.group(article_id)

    def row(self, article_id: str, decision: Decision | None, reopened: bool = False) -> Row | None:
        """The list row of one article as it is now."""
        art = self._arts.get(article_id)
        if art is None:
            return None
        return Row(art, decision, self.groups.size(article_id),
                   self._watched.get(article_id, ()), article_id in self._muted, reopened)

    @property
    def problems(self) -> list[Problem]:
        """Problems met while reading, in the order met."""
        return list(self._problems)

    def articles(self) -> list[Article]:
        """Every article, in arrival order (a copy: call from a worker for large inboxes)."""
        with self._lock:
            return sorted(self._arts.values(), key=lambda a: self._seq[a.id])

    def leaders(self) -> list[str]:
        """Ids of the rows (group leaders and ungrouped articles), newest first."""
        with self._lock:
            order = self._sorted[:]
        lead = self.groups.leader
        return [aid for _d, _s, aid in reversed(order) if lead.get(aid, aid) == aid]

    # -- writing ---------------------------------------------------------------------------------
    def replace(self, articles: Iterable[Article], problems: Iterable[Problem] = ()) -> Change:
        """Replace the whole set (a fresh load), keeping nothing of the old one."""
        with self._lock:
            self._clear()
            return self.add(articles, problems)

    def add(self, articles: Iterable[Article], problems: Iterable[Problem] = (),
            removed_paths: Iterable[str] = ()) -> Change:
        """Add stories and new versions of stories, drop the versions of removed files; regroup only
        the groups these touch. Returns the story ids that changed (new, new current version) or went.

        A story is what one list row shows: its versions are the articles that carry its id, that
        came from the same file under a rewritten headline, or that nearly repeat it from the same
        source later (an agency resend); the latest is the current version."""
        with self._lock:
            change = Change()
            for p in problems:
                key = str(p)
                if key not in self._problem_keys:
                    self._problem_keys.add(key)
                    self._problems.append(p)
                    change.problems.append(p)
            touched: dict[str, None] = {}  # stories to look at again, in the order met (ties keep it)
            stories, groups = self.stories, self.groups
            for path in sorted(set(removed_paths)):
                stories.drop_path(path, touched)
            placed, fresh = stories.place(list(articles), touched)
            keys = {id(a): article_key(a) for a in (*fresh, *(a for _s, a in placed))}  # hashed once
            texts = [(keys[id(a)], a.text) for a in (*fresh, *(a for _s, a in placed)) if a.text.strip()]
            if texts:
                groups.link_new_texts(texts)
            pending: dict[str, list[str]] = {}  # text key -> stories placed in this call
            for story, art in placed:
                pending.setdefault(keys[id(art)], []).append(story)
            for art in sorted(fresh, key=arrival):
                story = stories.earlier_same_source(art, keys[id(art)], pending)
                if story is None:
                    story = art.id
                else:
                    stories.alias(art.id, story)
                placed.append((story, art))
                pending.setdefault(keys[id(art)], []).append(story)
            for story, art in placed:
                if stories.keep(story, art):
                    touched[story] = None
            regroup: set[str] = set()
            for story in touched:
                current = stories.current_of(story)
                old = self._arts.get(story)
                if current is None:
                    stories.forget(story)
                    if old is not None:
                        regroup |= set(self.group(story))
                        self._drop(story)
                        change.removed.append(story)
                    continue
                if old is not None and same_version(old, current):
                    continue
                if old is not None:
                    regroup |= set(self.group(story))
                    self._drop(story, keep_seq=True)
                self._put(current)
                regroup.add(story)
                change.changed.append(story)
            if not (change.changed or change.removed):
                return change
            groups.regroup(regroup)
            self._apply_rules(change.changed)
            for aid in change.changed:
                self._unindexed[aid] = None
            return change

    def _put(self, art: Article) -> None:
        aid = art.id
        self._arts[aid] = art
        if aid not in self._seq:
            self._next_seq += 1
            self._seq[aid] = self._next_seq
        bisect.insort(self._sorted, (date_key(art), -self._seq[aid], aid))
        self.groups.put(art)

    def _drop(self, aid: str, keep_seq: bool = False) -> None:
        art = self._arts.pop(aid, None)
        if art is None:
            return
        key = (date_key(art), -self._seq[aid], aid)
        i = bisect.bisect_left(self._sorted, key)
        if i < len(self._sorted) and self._sorted[i] == key:
            del self._sorted[i]
        if not keep_seq:
            self._seq.pop(aid, None)
        self.groups.drop(aid)
        self._watched.pop(aid, None)
        self._muted.discard(aid)
        self._unindexed.pop(aid, None)

    # -- stories and their versions -------------------------------------------------------------
    def set_aliases(self, aliases: Mapping[str, str]) -> None:
        """Known article id -> story id links (kept by the caller across runs)."""
        with self._lock:
            self.stories.set_aliases(aliases)

    def story_of(self, article_id: str) -> str:
        """The story (list row id) an article id belongs to."""
        return self.stories.story_of(article_id)

    def aliases_of(self, story: str) -> list[str]:
        """Every article id that is (or was) a version of this story, the story's own id first."""
        with self._lock:
            return self.stories.aliases_of(story)

    def take_aliases(self) -> list[tuple[str, str]]:
        """The article id -> story links made since the last call (for the caller to keep)."""
        with self._lock:
            return self.stories.take_aliases()

    def versions(self, story: str) -> list[Article]:
        """The versions of a story present in the inbox, oldest first."""
        with self._lock:
            return self.stories.versions(story)

    # -- views (walks of the inbox: workers call these) ------------------------------------------
    def matching(self, search: str, entity: str = "") -> set[str] | None:
        """Ids whose title, source, text or entities hold every search word (as a word prefix) and
        the entity (as a phrase); None when there is nothing to filter on."""
        return views.matching(self, search, entity)

    def listing(self, view: View, decision_of: DecisionOf, keep: Iterable[str] = (),
                decided: Iterable[str] | None = None) -> Listing:
        """The ids `view` lists, in order, and every view's count (`decided`: every id that may have a
        decision, when the caller knows; `decision_of` is then asked about those only)."""
        return views.listing(self, view, decision_of, keep, decided)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, stories) for provider, language and urgency."""
        return views.facets(self)

    def sources(self) -> list[tuple[str, int]]:
        """(source name, stories) for every source in the inbox, most stories first."""
        return views.sources(self)

    def tags(self) -> list[str]:
        """Every feed tag (folder) named in the configuration, sorted."""
        return sorted({t for tags in (*self.source_tags.values(), *self.file_tags.values()) for t in tags},
                      key=str.casefold)

    # -- rules, analyses, search -----------------------------------------------------------------
    def _apply_rules(self, ids: Iterable[str]) -> None:
        rules = self.rules
        if not (rules.watch or rules.mute):
            return
        for aid in ids:
            art = self._arts.get(aid)
            if art is None:
                continue
            analysis = self._analysis_of(aid)
            watched = tuple(rules.watched(art, analysis)) if rules.watch else ()
            if watched:
                self._watched[aid] = watched
            else:
                self._watched.pop(aid, None)
            if rules.mute and rules.muted(art, analysis):
                self._muted.add(aid)
            else:
                self._muted.discard(aid)

    def analysed(self, ids: Iterable[str]) -> None:
        """Analyses arrived for these ids: entity rules and the search index's entities follow."""
        ids = list(ids)
        with self._lock:
            self._apply_rules(ids)
            for aid in ids:
                if aid in self._arts:
                    self._unindexed[aid] = None

    def index_some(self, limit: int = 200) -> int:
        """Put up to `limit` waiting articles into the search index (a worker calls this); returns
        how many were waiting. When the index refuses them (a full disk) they stay waiting, so search
        still finds them by scanning, and the error is raised for the caller to wait before retrying."""
        if self._search is None:
            return 0
        with self._lock:
            batch = []
            for aid in list(itertools.islice(self._unindexed, limit)):
                art = self._arts.get(aid)
                self._unindexed.pop(aid, None)
                if art is not None:
                    batch.append(art)
        docs = [(a.id, a.title, a.source, a.text, views.entity_words(self._analysis_of(a.id))) for a in batch]
        try:
            self._search.put_many(docs)
        except Exception:
            with self._lock:
                for a in batch:
                    if a.id in self._arts:
                        self._unindexed[a.id] = None
            raise
        return len(batch)

    @property
    def unindexed(self) -> int:
        """How many articles wait for the search index."""
        return len(self._unindexed)

