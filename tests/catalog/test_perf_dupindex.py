"""The near-duplicate index's fast paths find what the plain definitions find.

Shingles: the words are `\\w+` runs of the case-folded text (whatever the script), hashed with crc32 of
their UTF-8. Edges: the same whether the texts come in one call or many, whether their shingles are
still kept in memory or must be made again from `text_of`, and across a reopened file index.
"""

from __future__ import annotations

import random
import re
import zlib

import numpy as np
import pytest

from triage.catalog import dupindex
from triage.catalog.dedupe import text_key
from triage.catalog.dupindex import DuplicateIndex, minhash, shingle_array


def _reference_shingles(text: str, size: int = 5) -> np.ndarray:
    words = re.findall(r"\w+", text.casefold())
    if not words:
        return np.zeros(0, dtype=np.uint32)
    wh = [zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words]
    n = max(1, len(words) - size + 1)
    size = min(size, len(words))
    out = set()
    for i in range(n):
        h = wh[i]
        for k in range(1, size):
            h = (h * 0x9E3779B1 + wh[i + k]) & 0xFFFFFFFF
        out.add(h)
    return np.array(sorted(out), dtype=np.uint32)


TEXTS = [
    "Plain ASCII copy: the council met on Tuesday, and voted 7-2 (with one abstention).",
    "Curly “quotes”, en–dash — em dash, £40m and €12bn, non\u00a0breaking and ‘single’ quotes.",
    "Straße in Zürich: Ærøskøbing, café, naïve coöperation; ÉCOLE and İstanbul.",
    "Ligatures ﬁne ﬂow, Greek ὈΔΥΣΣΕΎΣ and ΣΊΣΥΦΟΣ, Cyrillic Москва, Arabic القاهرة ٣٤٥.",
    "Combining e\u0301 marks, ypogegrammeni \u0345 and snake_case_words__ with digits ½ Ⅻ ³.",
    "中文新闻 日本語のニュース 한국어 뉴스 emoji 😀👍🏽 and zero\u200dwidth joiner.",
    "one", "two words", "", "!!! --- ...", "under_score", "a b c d e f g h",
]


@pytest.mark.parametrize("text", TEXTS)
def test_shingles_are_the_crc32_of_casefolded_word_grams(text):
    got = shingle_array(text)
    assert got.dtype == np.uint32
    assert np.array_equal(got, _reference_shingles(text))


def test_minhash_is_the_minimum_of_the_high_bits_of_each_permutation():
    sh = shingle_array(TEXTS[2] * 3)
    a, b = dupindex._perms()
    want = [min(((int(x) * int(ai) + int(bi)) % (1 << 64)) >> 32 for x in sh)
            for ai, bi in zip(a, b, strict=True)]
    assert minhash(sh).tolist() == want


def _corpus(seed: int = 3) -> list[str]:
    """Stories that share paragraphs (some near-duplicates, many loosely related), as wire copy does."""
    rnd = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    paras = [" ".join(rnd.choice(vocab) for _ in range(40)) for _ in range(60)]
    texts = []
    for _ in range(80):
        texts.append("\n\n".join(rnd.sample(paras, 5)))
    for t in texts[:20]:  # resends: one paragraph changed
        parts = t.split("\n\n")
        parts[-1] = " ".join(rnd.choice(vocab) for _ in range(40))
        texts.append("\n\n".join(parts))
    return texts


def _edges(index: DuplicateIndex, texts: list[str], size: int, text_of=True) -> set[tuple[str, str]]:
    items = [(text_key(t), t) for t in texts]
    by_key = dict(items)
    out: set[tuple[str, str]] = set()
    for i in range(0, len(items), size):
        out |= set(index.add_many(items[i:i + size], by_key.get if text_of else None))
    return out


def test_edges_do_not_depend_on_batching_or_on_the_shingles_kept(monkeypatch, tmp_path):
    texts = _corpus()
    one_call = _edges(DuplicateIndex(None, threshold=0.6), texts, len(texts))
    assert len(one_call) >= 20  # the resends at least
    assert _edges(DuplicateIndex(None, threshold=0.6), texts, 7) == one_call
    monkeypatch.setattr(dupindex, "SHINGLE_CACHE_BYTES", 4096)  # a couple of stories kept: the rest rebuilt
    small = DuplicateIndex(tmp_path / "d.sqlite", threshold=0.6)
    assert _edges(small, texts, 7) == one_call
    assert small._shingle_bytes <= 4096 and len(small._shingles) >= 1
    assert set(small.edges()) == one_call


def test_a_reopened_index_links_an_arrival_to_stored_texts(tmp_path):
    texts = _corpus(5)
    path = tmp_path / "d.sqlite"
    first = DuplicateIndex(path, threshold=0.6)
    before = _edges(first, texts[:-1], 40)
    first.close()
    again = DuplicateIndex(path, threshold=0.6)
    assert again.known([text_key(texts[0])]) == {text_key(texts[0])}
    arrival = _edges(again, texts[-1:], 1)
    fresh = DuplicateIndex(None, threshold=0.6)
    assert before | arrival == _edges(fresh, texts, len(texts))
    assert arrival  # the last text is a resend of an earlier one


def test_without_shingles_or_texts_at_hand_the_signatures_estimate_decides(monkeypatch):
    monkeypatch.setattr(dupindex, "SHINGLE_CACHE_BYTES", 0)  # nothing kept from one call to the next
    texts = _corpus(7)
    exact = _edges(DuplicateIndex(None, threshold=0.6), texts, 10)
    estimated = _edges(DuplicateIndex(None, threshold=0.6), texts, 10, text_of=False)
    by_key = {text_key(t): t for t in texts}
    batch_of = {text_key(t): i // 10 for i, t in enumerate(texts)}

    def estimate(a: str, b: str) -> float:
        sa, sb = (minhash(shingle_array(by_key[k])) for k in (a, b))
        return float(np.count_nonzero(sa == sb)) / dupindex.NUM_PERM

    for a, b in estimated ^ exact:
        assert batch_of[a] != batch_of[b]  # within a call the texts are at hand: scored exactly
        assert (estimate(a, b) >= 0.6) == ((a, b) in estimated)
    assert {e for e in exact if batch_of[e[0]] == batch_of[e[1]]} <= estimated
