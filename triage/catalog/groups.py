"""Near-duplicate groups, one implementation for the live catalog and for `triage ingest`.

Two articles are in one group when their texts are identical, when the DuplicateIndex (MinHash LSH)
finds their texts at or above its threshold, or when a source names one the duplicate of the other.
A group's leader (the row the list shows) is its earliest published member, then the smallest id.
Regrouping walks only the groups an arrival touches, never the inbox.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from triage.catalog.dedupe import text_key
from triage.model import Article

__all__ = ["Groups", "article_key", "group_articles"]

log = logging.getLogger(__name__)


def article_key(article: Article) -> str:
    """The key of an article's text; an article without text (a title-only feed entry) is nobody's
    duplicate, so it gets a key of its own."""
    return text_key(article.text) if article.text.strip() else f"id:{article.id}"


class Groups:
    """Which articles repeat which: text keys, near-duplicate links, leaders and members."""

    def __init__(self, articles: Mapping[str, Article], duplicates=None) -> None:
        self._arts = articles  # the catalog's articles by id (read only here)
        self.index = duplicates  # DuplicateIndex or None (near-duplicates off; identical texts still group)
        self.clear()

    def clear(self) -> None:
        self.key_of: dict[str, str] = {}  # id -> text key
        self.ids_of: dict[str, set[str]] = {}  # text key -> ids holding it
        self._any: dict[str, str] = {}  # text key -> one id holding it (for its text)
        self.near: dict[str, set[str]] = {}  # text key -> near-duplicate text keys
        self._named: dict[str, str] = {}  # id -> leader id named by the source
        self._named_rev: dict[str, set[str]] = {}
        self.leader: dict[str, str] = {}  # member id -> leader id (groups of two or more)
        self.members: dict[str, tuple[str, ...]] = {}  # leader id -> (leader, members...)
        self._edges_loaded = False

    # -- reading (O(1), lock-free) ---------------------------------------------------------------
    def leader_of(self, article_id: str) -> str:
        return self.leader.get(article_id, article_id)

    def group(self, article_id: str) -> list[str]:
        return list(self.members.get(self.leader_of(article_id), (article_id,)))

    def size(self, article_id: str) -> int:
        return len(self.members.get(article_id, (article_id,)))

    # -- writing (the caller holds its lock) -----------------------------------------------------
    def put(self, art: Article, key: str | None = None) -> None:
        aid = art.id
        tk = key or article_key(art)
        self.key_of[aid] = tk
        self.ids_of.setdefault(tk, set()).add(aid)
        self._any.setdefault(tk, aid)
        if art.duplicates_of and art.duplicates_of != aid:
            self._named[aid] = art.duplicates_of
            self._named_rev.setdefault(art.duplicates_of, set()).add(aid)

    def drop(self, aid: str) -> None:
        tk = self.key_of.pop(aid, None)
        if tk is not None:
            ids = self.ids_of.get(tk)
            if ids is not None:
                ids.discard(aid)
                if not ids:
                    del self.ids_of[tk]
                    self._any.pop(tk, None)
                elif self._any.get(tk) == aid:
                    self._any[tk] = next(iter(ids))
        leader = self._named.pop(aid, None)
        if leader is not None:
            self._named_rev.get(leader, set()).discard(aid)

    def link_new_texts(self, texts: list[tuple[str, str]]) -> None:
        """Look up near-duplicates of these (text key, text) pairs in the index and keep the links."""
        if self.index is None:
            return
        if not self._edges_loaded:  # once: the pairs found in earlier runs
            self._edges_loaded = True
            for a, b in self.index.edges():
                self._link(a, b)

        def text_of(tk: str) -> str | None:
            aid = self._any.get(tk)
            art = self._arts.get(aid) if aid else None
            return art.text if art is not None else None

        try:
            found = self.index.add_many(texts, text_of)
        except Exception:  # grouping is a convenience; the story still shows
            log.exception("near-duplicate lookup failed")
            return
        for a, b in found:
            self._link(a, b)

    def _link(self, a: str, b: str) -> None:
        self.near.setdefault(a, set()).add(b)
        self.near.setdefault(b, set()).add(a)

    def _neighbours(self, aid: str) -> set[str]:
        out: set[str] = set()
        tk = self.key_of.get(aid)
        if tk is not None:
            out |= self.ids_of.get(tk, set())
            for other in self.near.get(tk, ()):
                out |= self.ids_of.get(other, set())
        named = self._named.get(aid)
        if named is not None and named in self._arts:
            out.add(named)
        out |= {m for m in self._named_rev.get(aid, ()) if m in self._arts}
        out.discard(aid)
        return out

    def regroup(self, touched: set[str]) -> None:
        """Recompute the groups of these ids (and of everything linked to them): a walk over their own
        groups, not the inbox."""
        for aid in list(touched):  # forget the old groups of the touched ids
            leader = self.leader.pop(aid, None)
            for lead in (leader, aid):
                if lead is not None and lead in self.members:
                    for m in self.members.pop(lead):
                        self.leader.pop(m, None)
                        touched.add(m)
        seen: set[str] = set()
        arts = self._arts
        for start in touched:
            if start in seen or start not in arts:
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
            comp.sort(key=lambda x: (arts[x].published or "9999", x))
            leader = comp[0]
            self.members[leader] = tuple(comp)
            for m in comp[1:]:
                self.leader[m] = leader

    def candidates(self, key: str, pending: Mapping[str, Iterable[str]]) -> set[str]:
        """Ids holding this text key or a near-duplicate of it, with those placed but not yet put."""
        out: set[str] = set()
        for k in {key, *self.near.get(key, ())}:
            out |= self.ids_of.get(k, set())
            out.update(pending.get(k, ()))
        return out


def group_articles(articles: Sequence[Article], index=None) -> tuple[list[Article], dict[str, list[str]]]:
    """Group a batch (what `triage ingest` prints): members get `duplicates_of=<leader id>`; returns
    (articles, {leader: [leader, members...]}) for groups of two or more. Same rules as the catalog."""
    by_id: dict[str, Article] = {}
    for a in articles:
        by_id.setdefault(a.id, a)
    groups = Groups(by_id, index)
    keyed = [(a, article_key(a)) for a in by_id.values()]
    for a, key in keyed:
        groups.put(a, key)
    texts: dict[str, str] = {k: a.text for a, k in keyed if not k.startswith("id:")}
    groups.link_new_texts(list(texts.items()))
    groups.regroup(set(by_id))
    out: dict[str, list[str]] = {lead: list(members) for lead, members in groups.members.items()}
    marked = [replace(a, duplicates_of=groups.leader[a.id]) if a.id in groups.leader else a
              for a in articles]
    return marked, out

