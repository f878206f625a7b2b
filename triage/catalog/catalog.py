"""Catalog: the one owner of the article set (articles, duplicate groups, search, rules, order, counts).

Thread-safe and incremental. Writers (the loader, the inbox watcher, feed refreshes, the analysis
results) call `add`/`analysed` from their own threads; the cost of an arriving story is that story's:
its near-duplicates come from the MinHash LSH index (DuplicateIndex), its place in the list from a
bisect into a date-sorted list, its group from a walk over its own group's links only.

Readers come in two kinds. `listing()` (the ids a view shows, and every view's count), `matching()`
(search: the FTS5 index, a scan for what it has not seen yet), `sources()` and `facets()` walk the
whole inbox, so they run in a worker thread, holding the lock only to copy what they walk. `article()`,
`row()`, `group()` and `leader_of()` are O(1) dict reads without the lock, safe on the event loop.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import filterfalse
from operator import attrgetter, itemgetter

from triage.catalog.groups import Groups, article_key
from triage.catalog.listing import VIEWS, Listing, Row, View, date_key, primary_language, shown_source
from triage.catalog.rules import RuleSet
from triage.catalog.stories import Stories, arrival, same_version
from triage.model import Analysis, Article, Decision, Problem, PubStatus

__all__ = ["FACETS", "FLASH_URGENCY", "Catalog", "Change", "DecisionOf", "entity_words", "facet_value",
           "split_query", "urgency_range"]

log = logging.getLogger(__name__)

DecisionOf = Callable[[str], Decision | None]


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
                earlier = stories.earlier_same_source(art, keys[id(art)], pending)
                if earlier is not None:
                    stories.alias(art.id, earlier)
                placed.append((earlier or art.id, art))
                pending.setdefault(keys[id(art)], []).append(earlier or art.id)
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
        the entity (as a phrase); None when there is nothing to filter on. The index answers for what
        it holds; what it has not seen yet is scanned."""
        from triage.catalog.search import fts_query

        if not fts_query(search, entity):
            return None
        with self._lock:
            pending = [self._arts[i] for i in self._unindexed if i in self._arts]
        found: set[str] = set()
        if self._search is not None:
            found = self._search.search(search, entity) or set()
        else:
            pending = list(self._arts.values())
        if pending:
            found |= _scan(pending, search, entity, self._analysis_of)
        return found

    # The walk is a handful of C-level passes (map, filter, set and dict builds) rather than Python code
    # per story: it runs after every arrival and decision, in a thread that shares the interpreter with
    # the screen.
    def listing(self, view: View, decision_of: DecisionOf, keep: Iterable[str] = (),
                decided: Iterable[str] | None = None) -> Listing:
        """The ids `view` lists, in order, and the count of every view (duplicate groups count once,
        muted stories only in "all"). Ids in `keep` stay listed whatever their decision.

        `decided`, when given, holds every id that may have a decision (the others have none): then
        `decision_of` is asked about those only, not about every row."""
        keep = set(keep)
        lead, arts = self.groups.leader, self._arts
        with self._lock:  # articles, order, groups and marks agree with each other under the lock
            # The rows: group leaders and ungrouped stories (a member maps to its leader, a leader to
            # nothing).
            rows = list(filterfalse(lead.__contains__, map(_ID, reversed(self._sorted))))
            muted = {aid for aid in self._muted if aid in arts and aid not in lead}
            leading = _leading(rows, arts)
            if decided is not None:
                decided = [aid for aid in decided if aid in arts and aid not in lead]
        terms, words = split_query(view.search)
        matched = self.matching(words, view.entity) if (words or view.entity) else None
        decs = _decisions(rows if decided is None else decided, decision_of)
        counts = dict.fromkeys(VIEWS, 0)
        counts["all"] = len(rows)
        inbox = len(rows) - len(muted)
        for aid, dec in decs.items():
            if aid not in muted:
                counts[dec.view] += 1
                inbox -= 1
        counts["inbox"] += inbox
        ids = _in_view(rows, view.name, decs, muted, keep)
        for wanted in filter(None, (self._source_filter(view.source),
                                    *(self._facet_filter(kind, value) for kind, value in terms))):
            ids = [aid for aid in ids if (art := arts.get(aid)) is not None and wanted(art)]
        if matched is not None:
            ids = list(filter(matched.__contains__, ids))
        index = dict(zip(ids, range(len(ids)), strict=True))
        if view.sort == "newest":
            # Undecided kills and withholds first (whatever their date: a kill of a story never seen is
            # still news to the desk), then flashes and bulletins (flash before bulletin), each newest
            # first; then the rest in their order. A decided one stays at its date, and so does a flash
            # kept on screen (decided there, so the rows do not jump), but not an undecided kill: a kill
            # that arrives for a story decided on screen reopens it and leads.
            top = sorted((rank, index[aid], aid) for aid, rank in leading.items()
                         if aid in index and (aid not in keep or rank == 0) and aid not in decs)
            if top:
                first = {aid for _u, _n, aid in top}
                ids = [aid for _u, _n, aid in top] + list(filterfalse(first.__contains__, ids))
                index = dict(zip(ids, range(len(ids)), strict=True))
        elif view.sort in ("source", "priority"):
            if view.sort == "source":
                ids.sort(key=lambda i: shown_source(arts[i]).casefold() if i in arts else "")
            else:
                members, watched = self.groups.members, self._watched
                ids.sort(key=lambda i: (len(watched.get(i, ())), len(members.get(i, (i,)))), reverse=True)
            index = dict(zip(ids, range(len(ids)), strict=True))
        return Listing(view, tuple(ids), index, counts, kept=_kept(view.name, keep, index, decs, muted))

    def _source_filter(self, source: str) -> Callable[[Article], bool] | None:
        """A test for View.source: one source (feed or folder name), "tag:T" (the feeds tagged T),
        "provider:P" (the agency), "language:L" (by primary subtag: "en-GB" is "en") or "urgency:N" /
        "urgency:N-M" (a range of levels, "1-2": flashes and bulletins)."""
        if not source:
            return None
        kind, _, value = source.partition(":")
        if kind in FACETS and value:
            return self._facet_filter(kind, value)
        if source.startswith("tag:"):
            tag = source[4:].casefold()
            names = {n for n, tags in self.source_tags.items() if tag in (t.casefold() for t in tags)}
            files = {f for f, tags in self.file_tags.items() if tag in (t.casefold() for t in tags)}
            return lambda art: art.source in names or art.path.rsplit("/", 1)[-1] in files
        return lambda art: art.source == source

    def _facet_filter(self, kind: str, value: str) -> Callable[[Article], bool]:
        if kind == "urgency":
            span = urgency_range(value)
            if span is None:
                return lambda art: False
            low, high = span
            return lambda art: art.urgency is not None and low <= art.urgency <= high
        if kind == "language":
            want, default = primary_language(value), self.default_language
            return lambda art: facet_value(art, kind, default) == want
        return lambda art: facet_value(art, kind) == value

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """(value, stories) for each facet the wire gives (provider, language, urgency), most first;
        urgency in its own order, flash first. Walks the inbox: call from a worker."""
        with self._lock:
            counts: dict[str, dict[str, int]] = {k: {} for k in FACETS}
            for art in self._arts.values():
                if self.groups.leader_of(art.id) != art.id:
                    continue
                for kind in FACETS:
                    value = facet_value(art, kind, self.default_language)
                    if value:
                        counts[kind][value] = counts[kind].get(value, 0) + 1
        out = {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0].casefold())) for k, v in counts.items()}
        out["urgency"] = sorted(counts["urgency"].items(), key=lambda kv: int(kv[0]))
        return out

    def sources(self) -> list[tuple[str, int]]:
        """(source name, stories) for every source in the inbox, most stories first."""
        with self._lock:
            counts: dict[str, int] = {}
            for art in self._arts.values():
                if self.groups.leader_of(art.id) == art.id:
                    counts[art.source] = counts.get(art.source, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))

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


# -- what a view lists, from plain values (no catalog state) ------------------------------------
_ID = itemgetter(2)  # the id in an entry of the catalog's date order
_URGENCY = attrgetter("urgency")
_STATUS = attrgetter("pubstatus")
_STOPPED = (PubStatus.CANCELED.value, PubStatus.WITHHELD.value)


def _leading(rows: list[str], arts: dict[str, Article]) -> dict[str, int]:
    """The rows that lead the default order, with their rank: 0 killed or withheld, else the urgency
    of a flash or bulletin. Each field is read in one pass and only the few rows that hold a kill or
    an urgency at or above FLASH_URGENCY are looked at one by one."""
    stories = list(map(arts.__getitem__, rows))
    out: dict[str, int] = {}
    urgencies = list(map(_URGENCY, stories))
    for value in set(urgencies):
        if value is not None and value <= FLASH_URGENCY:
            out.update((rows[at], value) for at in _positions(urgencies, value))
    statuses = list(map(_STATUS, stories))
    for status in _STOPPED:
        out.update((rows[at], 0) for at in _positions(statuses, status))
    return out


def _positions(values: list[object], value: object) -> Iterator[int]:
    """Every position where `values` holds `value` (list.index: C-level scans)."""
    at = -1
    for _ in range(values.count(value)):
        at = values.index(value, at + 1)
        yield at


def _decisions(ids: Iterable[str], decision_of: DecisionOf) -> dict[str, Decision]:
    """The decided ones among `ids`, with their decision (one call of decision_of per id)."""
    return {aid: dec for aid, dec in zip(ids, map(decision_of, ids), strict=True) if dec is not None}


def _in_view(rows: list[str], name: str, decs: dict[str, Decision], muted: set[str],
             keep: set[str]) -> list[str]:
    """The rows a view lists by decision: "all" every one; the others leave muted stories out, "inbox"
    the decided ones, a decision's view the others; ids in `keep` stay whatever their decision."""
    if name == "all":
        return rows[:]
    wanted = Decision.from_view(name)
    if wanted is None:  # "inbox", or a view of no decision: what is left out, the few
        out = (muted | decs.keys() if name == "inbox" else muted) - keep
        return list(filterfalse(out.__contains__, rows)) if out else rows[:]
    chosen = {aid for aid, dec in decs.items() if dec is wanted and aid not in muted} | keep
    return list(filter(chosen.__contains__, rows))


def _kept(name: str, keep: set[str], index: dict[str, int], decs: dict[str, Decision],
          muted: set[str]) -> int:
    """How many listed rows the view's count leaves out: decided (or muted) on screen, kept listed
    until the view changes, so "Inbox 24" over 25 rows says "+1"."""
    if name == "all" or not keep:
        return 0
    wanted = Decision.from_view(name)
    return sum(1 for aid in keep if aid in index and (aid in muted or decs.get(aid) is not wanted))


FACETS = ("provider", "language", "urgency")
# Undecided stories at or above this urgency (1 flash, 2 bulletin) lead the default order.
FLASH_URGENCY = 2


def facet_value(art: Article, kind: str, default_language: str = "") -> str:
    """The article's value for a facet, as a filter names it ("" when the item does not say); a story
    that states no language is in the desk's own (`default_language`), as the analysis takes it."""
    if kind == "provider":
        return art.provider
    if kind == "language":
        return primary_language(art.language or default_language)
    return str(art.urgency) if art.urgency is not None else ""


_QUERY_TERM = re.compile(r"(?<!\S)(provider|language|urgency):(\S+)", re.IGNORECASE)
_RANGE = re.compile(r"^(\d)(?:-(\d))?$")


def split_query(text: str) -> tuple[list[tuple[str, str]], str]:
    """The facet terms of a search or filter ("urgency:1-2", "language:de", "provider:AFP") and the
    words left for the text search: `/` takes what `S` sets, in the same words."""
    terms = [(m.group(1).casefold(), m.group(2)) for m in _QUERY_TERM.finditer(text or "")]
    return terms, _QUERY_TERM.sub(" ", text or "").strip() if terms else (text or "")


def urgency_range(value: str) -> tuple[int, int] | None:
    """"2" -> (2, 2), "1-2" -> (1, 2) (either order), None when it is not a level or a range of levels."""
    m = _RANGE.match(value.strip())
    if m is None:
        return None
    low, high = int(m.group(1)), int(m.group(2) or m.group(1))
    return (min(low, high), max(low, high))


def entity_words(analysis: Analysis | None) -> str:
    if analysis is None:
        return ""
    return "\n".join(e.text for group in analysis.entities.values() for e in group)


def _scan(articles: Iterable[Article], search: str, entity: str,
          analysis_of: Callable[[str], Analysis | None]) -> set[str]:
    """The same match as the index, by reading texts (for articles the index has not seen yet)."""
    from triage.catalog.search import scan_match

    return {art.id for art in articles
            if scan_match("\n".join((art.title, art.source, art.text, entity_words(analysis_of(art.id)))),
                          search, entity)}

