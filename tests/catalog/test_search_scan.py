"""The scan that stands in for the search index (stories not indexed yet) matches as the index does:
the fast fold and the substring pre-check give the same answers as the plain definitions, and the same
ids as the FTS5 index on the same texts."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from triage.catalog.search import SearchIndex, fold, scan_match

WORD = re.compile(r"\w+")


def fold_by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def match_by_definition(hay: str, search: str, entity: str) -> bool:
    tokens = WORD.findall(fold_by_definition(hay))
    for word in WORD.findall(fold_by_definition(search)):
        if not any(t.startswith(word) for t in tokens):
            return False
    phrase = " ".join(WORD.findall(fold_by_definition(entity)))
    return not phrase or f" {phrase} " in f" {' '.join(tokens)} "


# Texts mixing ASCII, accented Latin (composed and decomposed), Greek, Cyrillic, Devanagari and Hebrew
# points, ligatures and full-width forms: what a desk's stories hold.
ALPHABET = st.sampled_from(list("abc ZüRICH éè e\u0301 ﬁ Ｆ ΣσςΆ Шщ क़्ष שָׁ İı ß 1-2.\n"))
TEXT = st.text(ALPHABET, max_size=60)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_fold_is_casefold_nfkd_without_combining_marks(text):
    assert fold(text) == fold_by_definition(text)


@settings(max_examples=400, deadline=None)
@given(TEXT, st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=8))
def test_the_scan_matches_by_definition(hay, search, entity):
    assert scan_match(hay, search, entity) == match_by_definition(hay, search, entity)


def test_the_scan_finds_what_the_index_finds(tmp_path: Path):
    docs = {
        "a": ("Zürich talks", "wire", "Ministers met in Zurich on Monday.", "Zürich"),
        "b": ("Profits rise", "wire", "The bank's profit rose 4 per cent.", ""),
        "c": ("Ναυτιλία", "wire", "Η ναυτιλία αυξάνεται.", ""),
        "d": ("Storm", "wire", "A storm hit the coast; no profit warnings.", ""),
    }
    index = SearchIndex(tmp_path / "search.sqlite")
    index.put_many([(i, *d) for i, d in docs.items()])
    for search, entity in (("zurich", ""), ("ZÜR", ""), ("profit", ""), ("prof warn", ""), ("ναυτ", ""),
                           ("", "Zurich"), ("storm coast", "")):
        by_scan = {i for i, d in docs.items() if scan_match("\n".join(d), search, entity)}
        assert by_scan == (index.search(search, entity) or set()), (search, entity)


def test_a_long_run_without_spaces_folds_like_a_short_one():
    """A script written without spaces makes long non-ASCII runs (folded without the run cache)."""
    for text in ("がぎぐげご" * 40, "Ünïcödé " * 30 + "ｶﾞ" * 60):
        assert fold(text) == fold_by_definition(text)
