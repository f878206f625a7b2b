"""A warm start's first screen is the one the full list will show: the loader reads the files of the
stories the list led with last time (the ingest cache's first_screen) before any other, then the rest,
each file once; a file changed since is read again after the scan, never shown from the cache."""

from __future__ import annotations

import os
from pathlib import Path

from triage.sources.cache import IngestCache
from triage.sources.loader import iter_load

N = 260  # a big inbox: the cached-first path starts at 200 files


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(N):
        (inbox / f"{i:04d}.txt").write_text(
            f"Story {i} of the shift\n\nStory {i} tells of item {i * 7919 % 10007} and of nothing else "
            f"at all, {i * 31} and {i * 97}.\n", encoding="utf-8")
    return inbox


def _batches(inbox: Path, cache: Path) -> list[list[str]]:
    return [[Path(a.path).name for a in b.articles] for b in iter_load([inbox], cache_path=cache)]


def test_the_first_batch_is_last_times_first_screen_then_the_rest_each_once(tmp_path):
    inbox, cache = _inbox(tmp_path), tmp_path / "ingest.sqlite"
    cold = _batches(inbox, cache)
    assert sum(map(len, cold)) == N
    top = [str(inbox / f"{i:04d}.txt") for i in (250, 7, 199, 42)]  # not path order
    kept = IngestCache(cache)
    kept.set_first_screen(top + [str(tmp_path / "gone.txt")])  # a file not in the inbox is passed over
    assert kept.first_screen()[:4] == top
    kept.close()

    warm = _batches(inbox, cache)
    assert sorted(warm[0]) == sorted(Path(p).name for p in top)
    names = [n for b in warm for n in b]
    assert len(names) == len(set(names)) == N


def test_a_first_screen_file_changed_since_is_read_again_not_shown_from_the_cache(tmp_path):
    inbox, cache = _inbox(tmp_path), tmp_path / "ingest.sqlite"
    _batches(inbox, cache)
    changed = inbox / "0100.txt"
    kept = IngestCache(cache)
    kept.set_first_screen([str(changed), str(inbox / "0101.txt")])
    kept.close()
    changed.write_text("Story 100, corrected\n\nThe item was another one, the desk was told.\n",
                       encoding="utf-8")
    st = changed.stat()
    os.utime(changed, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    batches = list(iter_load([inbox], cache_path=cache))
    assert [Path(a.path).name for a in batches[0].articles] == ["0101.txt"]
    read = [a for b in batches for a in b.articles if a.path == str(changed)]
    assert [a.title for a in read] == ["Story 100, corrected"]


def test_an_empty_or_missing_first_screen_reads_in_path_order(tmp_path):
    inbox, cache = _inbox(tmp_path), tmp_path / "ingest.sqlite"
    _batches(inbox, cache)
    warm = _batches(inbox, cache)
    assert warm[0][:3] == ["0000.txt", "0001.txt", "0002.txt"]
    assert sum(map(len, warm)) == N


def test_reading_ahead_never_changes_which_file_keeps_a_shared_id(tmp_path):
    """Two files of one title in one folder share an id: the first admitted keeps it, the other gets
    one of its own path. A first-screen file holding such an id is not read ahead, so each keeps the
    id it had at the last start."""
    inbox, cache = _inbox(tmp_path), tmp_path / "ingest.sqlite"
    for name, text in (("0005a.txt", "The first of two"), ("0250a.txt", "The second of two")):
        (inbox / name).write_text(f"Desk notice\n\n{text} notices under one title, read in turn.\n",
                                  encoding="utf-8")
    list(iter_load([inbox], cache_path=cache))

    def ids() -> dict[str, str]:
        return {Path(a.path).name: a.id for b in iter_load([inbox], cache_path=cache) for a in b.articles}

    before = ids()
    assert before["0005a.txt"] != before["0250a.txt"]
    kept = IngestCache(cache)
    kept.set_first_screen([str(inbox / "0250a.txt"), str(inbox / "0003.txt")])
    kept.close()
    first = next(iter_load([inbox], cache_path=cache))
    assert [Path(a.path).name for a in first.articles] == ["0003.txt"]
    assert ids() == before


def test_a_file_keeps_the_id_it_had_whatever_order_a_later_load_admits_it_in(tmp_path):
    """Two files of one title in one folder share an id: the first admitted keeps it, the other gets
    its path's. A later load that meets them the other way round (helpers finish in any order; the
    cache is read by path) gives each the id it had, so a decision never moves to the other file."""
    from triage.model import Article
    from triage.sources.loader import _Versions

    def art(name: str, text: str) -> Article:
        return Article(id="shared-title", title="Desk notice", text=text, source="inbox",
                       path=str(tmp_path / "inbox" / name), content_hash=f"hash-{name}")

    a, b = art("a.txt", "The first notice."), art("b.txt", "The second notice.")
    cache = IngestCache(tmp_path / "ingest.sqlite")
    try:
        first = _Versions(cache)
        before = {x.path: x.id for x in first.admit([b, a])}  # b finished first
        cache.write([], first.new_seen)
        assert before[b.path] == "shared-title" != before[a.path]
        again = _Versions(cache)
        later = again.admit([a, b])  # by path: a first
        assert {x.path: x.id for x in later} == before
        assert not any(x.updated for x in later)  # neither is taken for a new version of the other
    finally:
        cache.close()
