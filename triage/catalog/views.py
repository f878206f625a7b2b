"""What a view lists: search matches (the FTS5 index, a scan for what it has not seen yet), the ids in
order with every view's count, the source, tag and wire filters. The walks over the inbox are here;
they read the catalog under its lock and run in workers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import filterfalse
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from triage.catalog.listing import VIEWS, Listing, View, primary_language, shown_source
from triage.model import Analysis, Article, Decision, PubStatus

if TYPE_CHECKING:
    from triage.catalog.catalog import Catalog

__all__ = ["FACETS", "entity_words", "facet_value", "facets", "listing", "matching", "primary_language",
           "shown_source", "sources", "split_query", "urgency_range"]

DecisionOf = Callable[[str], "Decision | None"]


def matching(cat: Catalog, search: str, entity: str = "") -> set[str] | None:
    """Ids whose title, source, text or entities hold every search word (as a word prefix) and
    the entity (as a phrase); None when there is nothing to filter on."""
    from triage.catalog.search import fts_query

    if not fts_query(search, entity):
        return None
    with cat._lock:
        pending = [cat._arts[i] for i in cat._unindexed if i in cat._arts]
    found: set[str] = set()
    if cat._search is not None:
        found = cat._search.search(search, entity) or set()
    else:
        pending = list(cat._arts.values())
    if pending:
        found |= _scan(pending, search, entity, cat._analysis_of)
    return found


# -- listing (a worker's job: it walks the inbox) --------------------------------------------
# The walk is a handful of C-level passes (map, filter, set and dict builds) rather than Python code per
# story: it runs after every arrival and decision, in a thread that shares the interpreter with the screen.
def listing(cat: Catalog, view: View, decision_of: DecisionOf, keep: Iterable[str] = (),
            decided: Iterable[str] | None = None) -> Listing:
    """The ids `view` lists, in order, and the count of every view (duplicate groups count once,
    muted stories only in "all"). Ids in `keep` stay listed whatever their decision.

    `decided`, when given, holds every id that may have a decision (the others have none): then
    `decision_of` is asked about those only, not about every row."""
    keep = set(keep)
    lead, arts = cat.groups.leader, cat._arts
    with cat._lock:  # articles, order, groups and marks agree with each other under the lock
        # The rows: group leaders and ungrouped stories (a member maps to its leader, a leader to nothing).
        rows = list(filterfalse(lead.__contains__, map(_ID, reversed(cat._sorted))))
        muted = {aid for aid in cat._muted if aid in arts and aid not in lead}
        leading = _leading(rows, arts)
        if decided is not None:
            decided = [aid for aid in decided if aid in arts and aid not in lead]
    terms, words = split_query(view.search)
    matched = cat.matching(words, view.entity) if (words or view.entity) else None
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
    for wanted in filter(None, (_source_filter(cat, view.source),
                                *(_facet_filter(cat, kind, value) for kind, value in terms))):
        ids = [aid for aid in ids if (art := arts.get(aid)) is not None and wanted(art)]
    if matched is not None:
        ids = list(filter(matched.__contains__, ids))
    index = dict(zip(ids, range(len(ids)), strict=True))
    if view.sort == "newest":
        # Undecided kills and withholds first (whatever their date: a kill of a story never seen is
        # still news to the desk), then flashes and bulletins (flash before bulletin), each newest
        # first; then the rest in their order. A decided one (or one kept on screen) stays at its date.
        top = sorted((rank, index[aid], aid) for aid, rank in leading.items()
                     if aid in index and aid not in keep and aid not in decs)
        if top:
            first = {aid for _u, _n, aid in top}
            ids = [aid for _u, _n, aid in top] + list(filterfalse(first.__contains__, ids))
            index = dict(zip(ids, range(len(ids)), strict=True))
    elif view.sort in ("source", "priority"):
        if view.sort == "source":
            ids.sort(key=lambda i: shown_source(arts[i]).casefold() if i in arts else "")
        else:
            members = cat.groups.members
            ids.sort(key=lambda i: (len(cat._watched.get(i, ())), len(members.get(i, (i,)))), reverse=True)
        index = dict(zip(ids, range(len(ids)), strict=True))
    return Listing(view, tuple(ids), index, counts, kept=_kept(view.name, keep, index, decs, muted))


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


def _positions(values: list, value: object) -> Iterator[int]:
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


def _source_filter(cat: Catalog, source: str) -> Callable[[Article], bool] | None:
    """A test for View.source: one source (feed or folder name), "tag:T" (the feeds tagged T),
    "provider:P" (the agency), "language:L" (by primary subtag: "en-GB" is "en") or "urgency:N" /
    "urgency:N-M" (a range of levels, "1-2": flashes and bulletins)."""
    if not source:
        return None
    kind, _, value = source.partition(":")
    if kind in FACETS and value:
        return _facet_filter(cat, kind, value)
    if source.startswith("tag:"):
        tag = source[4:].casefold()
        names = {n for n, tags in cat.source_tags.items() if tag in (t.casefold() for t in tags)}
        files = {f for f, tags in cat.file_tags.items() if tag in (t.casefold() for t in tags)}
        return lambda art: art.source in names or art.path.rsplit("/", 1)[-1] in files
    return lambda art: art.source == source

def facets(cat: Catalog) -> dict[str, list[tuple[str, int]]]:
    """(value, stories) for each facet the wire gives (provider, language, urgency), most first;
    urgency in its own order, flash first. Walks the inbox: call from a worker."""
    with cat._lock:
        counts: dict[str, dict[str, int]] = {k: {} for k in FACETS}
        for art in cat._arts.values():
            if cat.groups.leader_of(art.id) != art.id:
                continue
            for kind in FACETS:
                value = facet_value(art, kind, cat.default_language)
                if value:
                    counts[kind][value] = counts[kind].get(value, 0) + 1
    out = {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0].casefold())) for k, v in counts.items()}
    out["urgency"] = sorted(counts["urgency"].items(), key=lambda kv: int(kv[0]))
    return out

def sources(cat: Catalog) -> list[tuple[str, int]]:
    """(source name, stories) for every source in the inbox, most stories first."""
    with cat._lock:
        counts: dict[str, int] = {}
        for art in cat._arts.values():
            if cat.groups.leader_of(art.id) == art.id:
                counts[art.source] = counts.get(art.source, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


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


def _facet_filter(cat: Catalog, kind: str, value: str) -> Callable[[Article], bool]:
    if kind == "urgency":
        span = urgency_range(value)
        if span is None:
            return lambda art: False
        low, high = span
        return lambda art: art.urgency is not None and low <= art.urgency <= high
    if kind == "language":
        want, default = primary_language(value), cat.default_language
        return lambda art: facet_value(art, kind, default) == want
    return lambda art: facet_value(art, kind) == value


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

