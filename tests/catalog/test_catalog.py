"""The Catalog: incremental near-duplicate groups, search, views and counts, from several threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from triage.catalog import dupindex
from triage.catalog.catalog import Catalog
from triage.catalog.dupindex import DuplicateIndex
from triage.catalog.listing import View
from triage.catalog.rules import compile_rules
from triage.catalog.search import SearchIndex
from triage.model import Article, Decision


def _demo_texts(n: int) -> list[tuple[str, str]]:
    from triage.cli.common import demo_dir

    out = []
    for path in sorted(demo_dir().glob("*.txt"))[:n]:
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append((title.strip(), body.strip()))
    return out


def _art(i: int, title: str, text: str, *, source: str = "Wire", day: int = 1, path: str = "") -> Article:
    return Article(
        id=f"a{i}",
        title=title,
        text=text,
        source=source,
        published=f"2024-01-{day:02d}T00:00:00Z",
        content_hash=f"h{i}-{hash(text) & 0xFFFF}",
        path=path or f"/in/{i}.txt",
    )


def _rewrite(text: str) -> str:
    """The same story with one sentence changed (an agency resend, another outlet's copy)."""
    paras = text.split("\n\n")
    paras[-1] = "A closing line added by another outlet's editors, with a few words of its own."
    return "\n\n".join(paras)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(
        duplicates=DuplicateIndex(tmp_path / "dups.sqlite", threshold=0.6),
        search=SearchIndex(tmp_path / "search.sqlite"),
        source_tags={"Reuters World": ["world", "wires"], "Desk": ["local"]},
    )


def _undecided(_aid: str) -> Decision | None:
    return None


def test_near_duplicates_join_one_group_incrementally_and_leave_when_their_file_goes(catalog):
    texts = _demo_texts(12)
    catalog.add([_art(i, t, x, day=i + 2) for i, (t, x) in enumerate(texts)])
    assert not catalog.groups.members  # twelve different stories
    title, text = texts[3]
    copy = _art(50, title + " (update)", _rewrite(text), source="Other", day=1, path="/in/copy.txt")
    change = catalog.add([copy])
    assert change.changed == ["a50"]
    assert catalog.group("a3") == ["a50", "a3"]  # the earlier published leads
    assert catalog.leader_of("a3") == "a50"
    listing = catalog.listing(View("all"), _undecided)
    assert "a3" not in listing.ids and "a50" in listing.ids and listing.counts["all"] == 12
    row = catalog.row("a50", None)
    assert row is not None and row.sources == 2
    catalog.add([], removed_paths=["/in/copy.txt"])
    assert catalog.group("a3") == ["a3"] and catalog.article("a50") is None
    assert "a3" in catalog.listing(View("all"), _undecided).ids


def test_one_arriving_story_costs_its_own_work_not_the_inbox(catalog, monkeypatch):
    texts = _demo_texts(45)
    catalog.add([_art(i, t, x) for i, (t, x) in enumerate(texts)])
    calls: list[int] = []
    real = dupindex.shingle_array

    def counting(text, size=5):
        calls.append(1)
        return real(text, size)

    monkeypatch.setattr(dupindex, "shingle_array", counting)
    catalog.add([_art(99, "A new story", "Something else entirely happened today in a small town. " * 5)])
    # Its own shingles, and at most the few candidates the LSH bands name: never the whole inbox.
    assert 1 <= len(calls) <= 3


def test_a_second_start_groups_from_stored_edges_without_comparing(tmp_path, monkeypatch):
    texts = _demo_texts(10)
    arts = [_art(i, t, x, day=i + 2) for i, (t, x) in enumerate(texts)]
    arts.append(_art(70, texts[0][0], _rewrite(texts[0][1]), source="Other", day=1))
    first = Catalog(duplicates=DuplicateIndex(tmp_path / "d.sqlite"))
    first.add(arts)
    assert first.group("a0") == ["a70", "a0"]
    calls: list[int] = []
    monkeypatch.setattr(dupindex, "shingle_array", lambda *a, **k: calls.append(1))
    second = Catalog(duplicates=DuplicateIndex(tmp_path / "d.sqlite"))
    second.add(arts)
    assert second.group("a0") == ["a70", "a0"]
    assert calls == []  # every text was indexed before: its edges are read, nothing is re-shingled


def test_identical_texts_and_source_links_group(catalog):
    catalog.add(
        [
            _art(1, "Story", "Exactly the same words in both copies of this story.", day=3),
            _art(2, "Story again", "Exactly the same words in both copies of this story.", day=4),
            Article(id="m", title="Member", text="Different", duplicates_of="a1", content_hash="m"),
        ]
    )
    assert catalog.group("a2") == ["a1", "m", "a2"] or set(catalog.group("a2")) == {"a1", "a2", "m"}
    assert catalog.leader_of("m") == "a1"


def test_search_is_word_prefix_accent_blind_and_finds_unindexed_stories(catalog):
    catalog.add(
        [
            _art(1, "Zürich council votes", "The council met on Tuesday.", day=2),
            _art(2, "Police report", "Officers in Lyon said nothing.", day=3),
        ]
    )
    # Before the indexer ran: the same answer from a scan.
    assert catalog.matching("zurich") == {"a1"}
    assert catalog.index_some() == 2 and catalog.unindexed == 0
    assert catalog.matching("zurich") == {"a1"}
    assert catalog.matching("pol rep") == {"a2"}
    assert catalog.matching("lyo") == {"a2"}
    assert catalog.matching("council lyon") == set()
    assert catalog.matching("") is None
    assert catalog.matching("   ...  ") is None  # nothing to match on: no filter


def test_views_counts_keep_sort_and_source_filters(catalog):
    catalog.add(
        [
            _art(1, "One", "Text one about water.", source="Reuters World", day=1),
            _art(2, "Two", "Text two about fire.", source="Desk", day=2),
            _art(3, "Three", "Text three about wind.", source="Blog", day=3),
        ]
    )
    decided = {"a2": Decision.FLAG}
    listing = catalog.listing(View("inbox"), decided.get)
    assert listing.ids == ("a3", "a1")  # newest first, flagged one out
    assert listing.counts == {"inbox": 2, "follow-up": 0, "flagged": 1, "archived": 0, "all": 3}
    assert catalog.listing(View("inbox"), decided.get, keep={"a2"}).ids == ("a3", "a2", "a1")
    assert catalog.listing(View("all", sort="source"), decided.get).ids == ("a3", "a2", "a1")
    assert catalog.listing(View("all", source="Desk"), decided.get).ids == ("a2",)
    assert catalog.listing(View("all", source="tag:wires"), decided.get).ids == ("a1",)
    assert catalog.listing(View("flagged"), decided.get).index == {"a2": 0}


def test_watch_and_mute_rules_follow_additions(tmp_path):
    cat = Catalog(rules=compile_rules(["storm"], ["football"]))
    cat.add([_art(1, "Storm warning", "Wind."), _art(2, "Football", "Goals."), _art(3, "Other", "Text.")])
    listing = cat.listing(View("inbox", sort="priority"), _undecided)
    assert listing.ids[0] == "a1" and "a2" not in listing.ids
    assert listing.counts["all"] == 3 and listing.counts["inbox"] == 2


def test_a_changed_text_replaces_the_article_and_same_content_is_no_change(catalog):
    catalog.add([_art(1, "Story", "First version of the text.")])
    assert not catalog.add([_art(1, "Story", "First version of the text.")])
    change = catalog.add([_art(1, "Story", "Second version of the text, with more.")])
    assert change.changed == ["a1"]
    assert catalog.article("a1").text.startswith("Second")
    assert len(catalog.listing(View("all"), _undecided).ids) == 1


def test_writers_and_listings_on_several_threads(catalog):
    texts = _demo_texts(40)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(offset: int) -> None:
        try:
            for i, (t, x) in enumerate(texts):
                catalog.add(
                    [
                        _art(
                            offset + i,
                            f"{t} {offset}",
                            f"{x}\n\nEdition {offset}.",
                            day=1 + i % 20,
                            source=f"Outlet {offset}",
                        )
                    ]
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                listing = catalog.listing(View("all"), _undecided)
                for aid in listing.ids[:20]:
                    catalog.row(aid, None)
                catalog.index_some(50)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(3)]
    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    r.join()
    assert errors == []
    assert len(catalog) == 120
    listing = catalog.listing(View("all"), _undecided)
    # The three outlets' copies of each story share all but one line: one row each, "3 sources".
    assert listing.counts["all"] == 40
    assert sorted(len(catalog.group(i)) for i in listing.ids) == [3] * 40


def test_title_only_entries_are_nobodys_duplicates(catalog):
    catalog.add([Article(id=f"t{i}", title=f"Headline {i}", text="", content_hash=f"t{i}") for i in range(3)])
    assert all(catalog.group(f"t{i}") == [f"t{i}"] for i in range(3))
    assert len(catalog.listing(View("all"), _undecided).ids) == 3


def _version(i: int, title: str, text: str, received: str, *, path: str, source: str = "AFP") -> Article:
    return Article(
        id=f"v{i}", title=title, text=text, source=source, received=received, path=path, content_hash=f"v{i}"
    )


def test_a_resend_under_a_rewritten_headline_is_a_new_version_of_the_same_story(catalog):
    title, text = _demo_texts(3)[1]
    first = _version(1, title, text, "2024-01-01T10:00:00Z", path="/in/a.txt")
    catalog.add([first, _art(9, "Other story", "Nothing to do with it at all, really.", day=1)])
    resend = _version(
        2,
        "NEW HEADLINE: " + title,
        text + "\n\nA new paragraph with the latest news from the scene.",
        "2024-01-01T11:00:00Z",
        path="/in/b.txt",
    )
    change = catalog.add([resend])
    assert change.changed == ["v1"]  # the same story (and row), not a second one
    story = catalog.article("v1")
    assert (
        story.title.startswith("NEW HEADLINE")
        and story.updated
        and story.updated_at == "2024-01-01T11:00:00Z"
    )
    assert story.received == "2024-01-01T10:00:00Z"
    assert [v.id for v in catalog.versions("v1")] == ["v1", "v2"]
    assert catalog.story_of("v2") == "v1" and catalog.take_aliases() == [("v2", "v1")]
    listing = catalog.listing(View("all"), _undecided)
    assert listing.ids[0] == "v1" and len(listing.ids) == 2  # the update is news again: on top
    # The resend's file goes: the story is back to its first version, still one row.
    catalog.add([], removed_paths=["/in/b.txt"])
    assert catalog.article("v1").title == title and len(catalog.listing(View("all"), _undecided).ids) == 2


def test_the_same_story_from_another_source_stays_a_duplicate_and_a_rewritten_file_stays_its_story(catalog):
    title, text = _demo_texts(4)[2]
    catalog.add([_version(1, title, text, "2024-01-01T10:00:00Z", path="/in/a.txt")])
    catalog.add(
        [
            _version(
                2,
                title,
                text + "\n\nOne more line.",
                "2024-01-01T12:00:00Z",
                path="/in/x.txt",
                source="Reuters",
            )
        ]
    )
    assert catalog.group("v1") == ["v1", "v2"] or set(catalog.group("v1")) == {"v1", "v2"}
    # The agency rewrites its own file with a new headline (so a new id): still story v1.
    catalog.add(
        [_version(3, "Rewritten: " + title, text + "\n\nLatest.", "2024-01-01T13:00:00Z", path="/in/a.txt")]
    )
    assert catalog.article("v3") is None and catalog.article("v1").title.startswith("Rewritten")
    assert catalog.story_of("v3") == "v1"


def test_known_aliases_place_a_version_before_its_first_story_arrives(tmp_path):
    cat = Catalog()
    cat.set_aliases({"v2": "v1"})
    cat.add([_version(2, "Later", "Second version text here.", "2024-01-02T00:00:00Z", path="/in/b.txt")])
    assert cat.article("v1") is not None and cat.article("v2") is None


def test_a_search_index_that_refuses_writes_never_loses_a_story_from_search(catalog):
    """A full disk (here: SQLite refusing every write) leaves the stories waiting, and search finds them
    by scanning; once the index takes writes again they are indexed."""
    import sqlite3

    catalog._search.conn.execute("PRAGMA query_only = ON")  # every write now fails, as on a full disk
    catalog.add([_art(1, "Harbour strike", "Dockers in Antwerp stopped work on Monday.")])
    with pytest.raises(sqlite3.Error):
        catalog.index_some()
    assert catalog.unindexed == 1
    assert catalog.matching("antwerp") == {"a1"}
    catalog._search.conn.execute("PRAGMA query_only = OFF")
    assert catalog.index_some() == 1 and catalog.unindexed == 0
    assert catalog.matching("antwerp") == {"a1"}
