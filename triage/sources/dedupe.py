"""Near-duplicate grouping: Jaccard similarity of hashed word shingles over the cleaned text.

Each article keeps a 1-in-8 sample of its shingle hashes (by hash value, so two texts keep the same
sample of what they share; this is what the cache stores); an inverted index over the samples gives
candidate pairs, which are then scored exactly on all their shingles. Identical texts are grouped first. Groups are the connected components of pairs at or above the threshold;
the leader is the earliest published member (then the smallest id), so the choice is stable.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import combinations

from triage.model import Article

__all__ = ["group_duplicates", "jaccard", "shingles"]

_WORD = re.compile(r"\w+")
_SAMPLE = 8
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


def signature(text: str, size: int = 5) -> frozenset[int]:
    """The shingle hashes indexed to find candidates: a 1-in-8 sample (all of them for short texts)."""
    full = shingles(text, size)
    sample = frozenset(h for h in full if h % _SAMPLE == 0)
    return sample if len(sample) >= 16 else full


def text_key(text: str) -> str:
    """Hash of a text alone (titles differ between outlets running the same copy)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # texts are already cleaned


def group_duplicates(
    articles: Sequence[Article],
    threshold: float = 0.6,
    shingle_size: int = 5,
    signatures: dict[str, frozenset[int]] | None = None,
) -> tuple[list[Article], dict[str, list[str]]]:
    """Mark near-duplicates: members get `duplicates_of=<leader id>`; returns (articles, groups).

    `groups` maps leader id -> [leader id, member ids...] for groups of two or more. `signatures`
    ("<size>/<sample rate>:<text_key>" -> signature) is read and filled as a cache. threshold <= 0 turns grouping off.
    Identical texts are grouped first, so only one of each is compared.
    """
    arts = [replace(a, duplicates_of="") if a.duplicates_of else a for a in articles]
    if threshold <= 0 or len(arts) < 2:
        return arts, {}
    sigs = signatures if signatures is not None else {}
    parent = list(range(len(arts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[rj] = ri

    reps: list[int] = []
    rep_sets: list[frozenset[int]] = []
    by_text: dict[str, int] = {}
    for i, a in enumerate(arts):
        tk = text_key(a.text)
        if tk in by_text:
            union(by_text[tk], i)
            continue
        by_text[tk] = i
        key = f"{shingle_size}/{_SAMPLE}:{tk}"
        s = sigs.get(key)
        if s is None:
            s = signature(a.text, shingle_size)
            sigs[key] = s
        reps.append(i)
        rep_sets.append(s)
    index: dict[int, list[int]] = defaultdict(list)
    for r, s in enumerate(rep_sets):
        for h in s:
            index[h].append(r)
    full_sets: dict[int, frozenset[int]] = {}

    def full(i: int) -> frozenset[int]:
        """All shingles of article i, computed only for candidates (exact score)."""
        s = full_sets.get(i)
        if s is None:
            s = full_sets[i] = shingles(arts[i].text, shingle_size)
        return s

    # Shared sampled hashes per candidate pair, counted at C speed: the count is the size of the
    # samples' intersection, so the samples' Jaccard needs no set operation.
    shared: Counter[tuple[int, int]] = Counter()
    for members in index.values():
        if 1 < len(members) <= _MAX_BUCKET:
            shared.update(combinations(members, 2))
    floor = max(threshold - 0.2, 0.05)
    for (x, y), c in shared.items():
        est = c / (len(rep_sets[x]) + len(rep_sets[y]) - c)
        if est < floor:
            continue
        i, j = reps[x], reps[y]
        if find(i) != find(j) and jaccard(full(i), full(j)) >= threshold:
            union(i, j)
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
    return [a if a.duplicates_of == leader_of.get(a.id, "") else replace(a, duplicates_of=leader_of.get(a.id, ""))
            for a in articles]
