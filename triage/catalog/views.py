"""What a view lists: search matches (the FTS5 index, a scan for what it has not seen yet), the ids in
order with every view's count, the source, tag and wire filters. The walks over the inbox are here;
they read the catalog under its lock and run in workers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from triage.catalog.listing import VIEWS, Listing, View
from triage.model import Analysis, Article, Decision

if TYPE_CHECKING:
    from triage.catalog.catalog import Catalog

__all__ = ["FACETS", "entity_words", "facet_value", "facets", "listing", "matching", "sources"]

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
def listing(cat: Catalog, view: View, decision_of: DecisionOf, keep: Iterable[str] = ()) -> Listing:
    """The ids `view` lists, in order, and the count of every view (duplicate groups count once,
    muted stories only in "all"). Ids in `keep` stay listed whatever their decision."""
    keep = set(keep)
    with cat._lock:
        order = cat._sorted[:]
    matched = cat.matching(view.search, view.entity) if (view.search or view.entity) else None
    wanted = Decision.from_view(view.name)
    name = view.name
    counts = dict.fromkeys(VIEWS, 0)
    lead, muted, arts = cat.groups.leader, cat._muted, cat._arts
    wanted_source = _source_filter(cat, view.source)
    ids: list[str] = []
    for _d, _s, aid in reversed(order):
        if lead.get(aid, aid) != aid:
            continue
        art = arts.get(aid)
        if art is None:
            continue
        dec = decision_of(aid)
        is_muted = aid in muted
        counts["all"] += 1
        if not is_muted:
            counts["inbox" if dec is None else dec.view] += 1
        if wanted_source is not None and not wanted_source(art):
            continue
        if name != "all" and aid not in keep and (
                is_muted or (name == "inbox" and dec is not None) or (wanted is not None and dec is not wanted)):
            continue
        if matched is not None and aid not in matched:
            continue
        ids.append(aid)
    if view.sort == "newest":
        ids = _flashes_first(ids, arts, decision_of, keep)
    elif view.sort == "source":
        ids.sort(key=lambda i: arts[i].source.casefold() if i in arts else "")
    elif view.sort == "priority":
        members = cat.groups.members
        ids.sort(key=lambda i: (len(cat._watched.get(i, ())), len(members.get(i, (i,)))), reverse=True)
    return Listing(view, tuple(ids), {aid: n for n, aid in enumerate(ids)}, counts)

def _source_filter(cat: Catalog, source: str) -> Callable[[Article], bool] | None:
    """A test for View.source: one source (feed or folder name), "tag:T" (the feeds tagged T),
    "provider:P" (the agency), "language:L" (BCP 47, its primary subtag matches too) or "urgency:N"."""
    if not source:
        return None
    kind, _, value = source.partition(":")
    if kind in FACETS and value:
        return _facet_filter(kind, value)
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
                value = facet_value(art, kind)
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


def facet_value(art: Article, kind: str) -> str:
    """The article's value for a facet, as a filter names it ("" when the item does not say)."""
    if kind == "provider":
        return art.provider
    if kind == "language":
        return art.language.split("-")[0].casefold() if art.language else ""
    return str(art.urgency) if art.urgency is not None else ""


def _facet_filter(kind: str, value: str) -> Callable[[Article], bool]:
    want = value.casefold().split("-")[0] if kind == "language" else value
    return lambda art: facet_value(art, kind) == want


def _flashes_first(ids: list[str], arts: dict[str, Article], decision_of: DecisionOf,
                   keep: set[str]) -> list[str]:
    """Undecided flashes and bulletins first (flash before bulletin), each newest first; then the rest
    in their order. A decided one (or one kept on screen after a decision) goes back to its date."""
    top: list[tuple[int, int, str]] = []
    for n, aid in enumerate(ids):
        urgency = arts[aid].urgency
        if urgency is not None and urgency <= FLASH_URGENCY and aid not in keep and decision_of(aid) is None:
            top.append((urgency, n, aid))
    if not top:
        return ids
    top.sort()
    lead = {aid for _u, _n, aid in top}
    return [aid for _u, _n, aid in top] + [aid for aid in ids if aid not in lead]


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

