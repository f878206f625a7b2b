"""Near-duplicate grouping: Jaccard similarity of hashed word shingles over the cleaned text.

Candidates come from an inverted index over a 1-in-4 sample of each article's shingle hashes (a pair
with Jaccard >= 0.3 shares a sampled shingle with near certainty at article lengths); each candidate
pair is then scored exactly. Groups are the connected components of pairs at or above the threshold;
the leader is the earliest published member (then the smallest id), so the choice is stable.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from triage.model import Article

__all__ = ["group_duplicates", "jaccard", "shingles"]

_WORD = re.compile(r"\w+")
_SAMPLE = 4
_MAX_BUCKET = 64  # a shingle shared by more articles than this is boilerplate, not evidence


def shingles(text: str, size: int = 5) -> frozenset[int]:
    """Hashes (crc32) of the word `size`-grams of a text, case-folded."""
    words = _WORD.findall(text.casefold())
    if not words:
        return frozenset()
    if len(words) < size:
        return frozenset([zlib.crc32(" ".join(words).encode())])
    joined = [w.encode() for w in words]
    return frozenset(zlib.crc32(b" ".join(joined[i:i + size])) for i in range(len(joined) - size + 1))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """|a & b| / |a | b| (0 for two empty sets)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def group_duplicates(
    articles: Sequence[Article],
    threshold: float = 0.6,
    shingle_size: int = 5,
    signatures: dict[str, frozenset[int]] | None = None,
) -> tuple[list[Article], dict[str, list[str]]]:
    """Mark near-duplicates: members get `duplicates_of=<leader id>`; returns (articles, groups).

    `groups` maps leader id -> [leader id, member ids...] for groups of two or more. `signatures`
    (content_hash -> shingles) is read and filled as a cache. threshold <= 0 turns grouping off.
    """
    arts = [replace(a, duplicates_of="") if a.duplicates_of else a for a in articles]
    if threshold <= 0 or len(arts) < 2:
        return arts, {}
    sigs = signatures if signatures is not None else {}
    sets: list[frozenset[int]] = []
    for a in arts:
        key = f"{shingle_size}:{a.content_hash}"
        s = sigs.get(key)
        if s is None:
            s = shingles(a.text, shingle_size)
            sigs[key] = s
        sets.append(s)
    index: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            if h % _SAMPLE == 0:
                index[h].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) < 2 or len(members) > _MAX_BUCKET:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pairs.add((members[x], members[y]))
    parent = list(range(len(arts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        if arts[i].id == arts[j].id:
            continue
        if jaccard(sets[i], sets[j]) >= threshold:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[rj] = ri
    comps: dict[int, list[int]] = defaultdict(list)
    for i in range(len(arts)):
        comps[find(i)].append(i)
    groups: dict[str, list[str]] = {}
    for members in comps.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (arts[i].published or "9999", arts[i].id))
        leader = arts[members[0]].id
        ids = [leader]
        for i in members[1:]:
            if arts[i].id != leader:
                arts[i] = replace(arts[i], duplicates_of=leader)
                ids.append(arts[i].id)
        if len(ids) > 1:
            groups[leader] = ids
    return arts, groups


def apply_groups(articles: Iterable[Article], groups: dict[str, list[str]]) -> list[Article]:
    """Set duplicates_of from a known grouping (a cached result of group_duplicates)."""
    leader_of = {m: leader for leader, ids in groups.items() for m in ids[1:]}
    return [replace(a, duplicates_of=leader_of.get(a.id, "")) for a in articles]
