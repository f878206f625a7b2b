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

from triage.catalog.stories import StoryPlacement, arrival, same_version, vkey
from triage.catalog.views import CatalogViews, entity_words
from triage.model import Analysis, Article, Decision, Problem
from triage.catalog.rules import RuleSet
from triage.catalog.listing import Row, date_key

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


def _text_key(article: Article) -> str:
    """The key of an article's text; an article without text (a title-only feed entry) is nobody's
    duplicate, so it gets a key of its own."""
    from triage.catalog.dedupe import text_key

    return text_key(article.text) if article.text.strip() else f"id:{article.id}"


class Catalog(StoryPlacement, CatalogViews):
    """Articles by id with their near-duplicate groups, search index, watch/mute marks and list order."""

    def __init__(self, *, rules: RuleSet | None = None, duplicates=None, search=None,
                 analysis_of: Callable[[str], Analysis | None] | None = None,
                 source_tags: Mapping[str, Iterable[str]] | None = None,
                 file_tags: Mapping[str, Iterable[str]] | None = None) -> None:
        self.rules = rules or RuleSet()
        self._dups = duplicates  # DuplicateIndex or None (grouping off)
        self._search = search  # SearchIndex or None (scan)
        self._analysis_of = analysis_of or (lambda _aid: None)
        self.source_tags: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (source_tags or {}).items()}
        # a feed's spool file name -> its tags (a feed whose name is its own title is known by its file)
        self.file_tags: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (file_tags or {}).items()}
        self._lock = threading.RLock()
        self._clear()

    def attach(self, *, duplicates=None, search=None) -> None:
        """Use these indexes from now on (a DuplicateIndex, a SearchIndex; None: grouping off, scan)."""
        with self._lock:
            self._dups = duplicates
            self._search = search

    def _clear(self) -> None:
        self._arts: dict[str, Article] = {}
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        self._sorted: list[tuple[str, int, str]] = []  # (date key, -arrival, id), ascending
        self._versions: dict[str, dict[str, Article]] = {}  # story id -> version key -> article as read
        self._vpaths: dict[str, set[tuple[str, str]]] = {}  # file path -> (story, version key)
        self._story_of: dict[str, str] = dict(getattr(self, "_story_of", {}))  # article id -> story id
        self.new_aliases: list[tuple[str, str]] = []  # links made since the caller last took them
        self._tk: dict[str, str] = {}  # id -> text key
        self._tk_ids: dict[str, set[str]] = {}
        self._tk_any: dict[str, str] = {}  # text key -> one id holding it (for its text)
        self._adj: dict[str, set[str]] = {}  # text key -> near-duplicate text keys
        self._explicit: dict[str, str] = {}  # id -> leader id named by the source
        self._explicit_rev: dict[str, set[str]] = {}
        self._leader: dict[str, str] = {}  # member id -> leader id (groups of two or more)
        self._members: dict[str, tuple[str, ...]] = {}  # leader id -> (leader, members...)
        self._watched: dict[str, tuple[str, ...]] = {}
        self._muted: set[str] = set()
        self._unindexed: dict[str, None] = {}  # ids waiting for the search index, in arrival order
        self._problems: list[Problem] = []
        self._problem_keys: set[str] = set()
        self._edges_loaded = False

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
        return self._leader.get(article_id, article_id)

    def group(self, article_id: str) -> list[str]:
        """Ids of the article's near-duplicate group, leader first ([id] when it has none)."""
        return list(self._members.get(self.leader_of(article_id), (article_id,)))

    def row(self, article_id: str, decision: Decision | None, reopened: bool = False) -> Row | None:
        """The list row of one article as it is now."""
        art = self._arts.get(article_id)
        if art is None:
            return None
        return Row(art, decision, len(self._members.get(article_id, (article_id,))),
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
        lead = self._leader
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
            for path in sorted(set(removed_paths)):
                for story, key in sorted(self._vpaths.pop(path, set())):
                    if self._versions.get(story, {}).pop(key, None) is not None:
                        touched[story] = None
            placed, fresh = self._place(list(articles), touched)
            keys = {id(a): _text_key(a) for a in (*fresh, *(a for _s, a in placed))}  # each text hashed once
            texts = [(keys[id(a)], a.text) for a in (*fresh, *(a for _s, a in placed)) if a.text.strip()]
            if texts:
                self._link_new_texts(texts)
            pending: dict[str, list[str]] = {}  # text key -> stories placed in this call
            for story, art in placed:
                pending.setdefault(keys[id(art)], []).append(story)
            for art in sorted(fresh, key=arrival):
                story = self._earlier_same_source(art, keys[id(art)], pending)
                if story is None:
                    story = art.id
                else:
                    self._alias(art.id, story)
                placed.append((story, art))
                pending.setdefault(keys[id(art)], []).append(story)
            for story, art in placed:
                key = vkey(art)
                versions = self._versions.setdefault(story, {})
                old = versions.get(key)
                if old is not None and old.content_hash == art.content_hash and old.text == art.text \
                        and old.title == art.title and old.updated_at == art.updated_at:
                    continue
                versions[key] = art
                if art.path:
                    self._vpaths.setdefault(art.path, set()).add((story, key))
                touched[story] = None
            regroup: set[str] = set()
            for story in touched:
                current = self._current_of(story)
                old = self._arts.get(story)
                if current is None:
                    self._versions.pop(story, None)
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
            self._regroup(regroup)
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
        tk = _text_key(art)
        self._tk[aid] = tk
        self._tk_ids.setdefault(tk, set()).add(aid)
        self._tk_any.setdefault(tk, aid)
        if art.duplicates_of and art.duplicates_of != aid:
            self._explicit[aid] = art.duplicates_of
            self._explicit_rev.setdefault(art.duplicates_of, set()).add(aid)

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
        tk = self._tk.pop(aid, None)
        if tk is not None:
            ids = self._tk_ids.get(tk)
            if ids is not None:
                ids.discard(aid)
                if not ids:
                    del self._tk_ids[tk]
                    self._tk_any.pop(tk, None)
                elif self._tk_any.get(tk) == aid:
                    self._tk_any[tk] = next(iter(ids))
        leader = self._explicit.pop(aid, None)
        if leader is not None:
            self._explicit_rev.get(leader, set()).discard(aid)
        self._watched.pop(aid, None)
        self._muted.discard(aid)
        self._unindexed.pop(aid, None)

    # -- duplicate groups ------------------------------------------------------------------------
    def _link_new_texts(self, texts: list[tuple[str, str]]) -> None:
        if self._dups is None:
            return
        if not self._edges_loaded:  # once: the pairs found in earlier runs
            self._edges_loaded = True
            for a, b in self._dups.edges():
                self._adj.setdefault(a, set()).add(b)
                self._adj.setdefault(b, set()).add(a)

        def text_of(tk: str) -> str | None:
            aid = self._tk_any.get(tk)
            art = self._arts.get(aid) if aid else None
            return art.text if art is not None else None

        try:
            found = self._dups.add_many(texts, text_of)
        except Exception:  # grouping is a convenience; the story still shows
            log.exception("near-duplicate lookup failed")
            return
        for a, b in found:
            self._adj.setdefault(a, set()).add(b)
            self._adj.setdefault(b, set()).add(a)

    def _neighbours(self, aid: str) -> set[str]:
        out: set[str] = set()
        tk = self._tk.get(aid)
        if tk is not None:
            out |= self._tk_ids.get(tk, set())
            for other in self._adj.get(tk, ()):
                out |= self._tk_ids.get(other, set())
        named = self._explicit.get(aid)
        if named is not None and named in self._arts:
            out.add(named)
        out |= {m for m in self._explicit_rev.get(aid, ()) if m in self._arts}
        out.discard(aid)
        return out

    def _regroup(self, touched: set[str]) -> None:
        """Recompute the groups of these ids (and of everything linked to them): a walk over their
        own groups, not the inbox."""
        for aid in list(touched):  # forget the old groups of the touched ids
            leader = self._leader.pop(aid, None)
            for lead in (leader, aid):
                if lead is not None and lead in self._members:
                    for m in self._members.pop(lead):
                        self._leader.pop(m, None)
                        touched.add(m)
        seen: set[str] = set()
        for start in touched:
            if start in seen or start not in self._arts:
                continue
            comp = [start]
            seen.add(start)
            i = 0
            while i < len(comp):
                for nb in self._neighbours(comp[i]):
                    if nb not in seen:
                        seen.add(nb)
                        comp.append(nb)
                i += 1
            if len(comp) < 2:
                continue
            arts = self._arts
            comp.sort(key=lambda x: (arts[x].published or "9999", x))
            leader = comp[0]
            self._members[leader] = tuple(comp)
            for m in comp[1:]:
                self._leader[m] = leader

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
        docs = [(a.id, a.title, a.source, a.text, entity_words(self._analysis_of(a.id))) for a in batch]
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

