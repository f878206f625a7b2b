"""Stable ids, versions (updated), the cache, and near-duplicate grouping."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.sources.conftest import REPO, copy_demo, demo_article
from triage.catalog.dupindex import DuplicateIndex
from triage.catalog.groups import group_articles
from triage.sources import load, read_file


def test_ids_stable_across_folders_machines_and_processes(tmp_path: Path) -> None:
    a = tmp_path / "one" / "inbox"
    b = tmp_path / "two" / "elsewhere" / "inbox"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    copy_demo(a, ["01-", "09-"])
    copy_demo(b, ["01-", "09-"])
    ids_a = sorted(x.id for x in load([a]).articles)
    ids_b = sorted(x.id for x in load([b]).articles)
    assert ids_a == ids_b
    code = ("import sys; from triage.sources import load; "
            "print(sorted(a.id for a in load([sys.argv[1]]).articles))")
    out = subprocess.run(
        [sys.executable, "-c", code, str(a)],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "123"},
        timeout=60,
    )
    assert out.stdout.strip() == str(ids_a)


def test_same_story_reingested_is_one_article(inbox: Path) -> None:
    [p] = copy_demo(inbox, ["01-"])
    shutil.copy(p, inbox / "copy-of-01.txt")
    res = load([inbox])
    assert len(res.articles) == 1


def test_changed_text_is_a_new_version_marked_updated(inbox: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    title, paras = demo_article("01-")
    f = inbox / "story.txt"
    f.write_text(title + "\n\n" + "\n\n".join(paras[:2]), encoding="utf-8")
    [first] = load([inbox], cache_path=cache).articles
    assert not first.updated and first.received
    f.write_text(title + "\n\n" + "\n\n".join(paras[:3]) + "\n", encoding="utf-8")
    os.utime(f, ns=(os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns + 5_000_000_000))
    [second] = load([inbox], cache_path=cache).articles
    assert second.id == first.id and second.updated
    assert second.content_hash != first.content_hash
    assert second.received == first.received  # first seen, kept
    assert paras[2] in second.text


def test_same_identity_different_text_in_one_load_both_kept(inbox: Path) -> None:
    title, paras = demo_article("01-")
    (inbox / "a.txt").write_text(title + "\n\n" + paras[0], encoding="utf-8")
    (inbox / "b.txt").write_text(title + "\n\n" + paras[1], encoding="utf-8")
    res = load([inbox])
    assert len(res.articles) == 2 and len({a.id for a in res.articles}) == 2
    again = load([inbox])
    assert [a.id for a in again.articles] == [a.id for a in res.articles]


def test_cache_reuses_parsed_files_and_notices_changes(inbox: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    copy_demo(inbox, ["01-", "02-", "09-"])
    first = load([inbox], cache_path=cache)
    second = load([inbox], cache_path=cache)
    assert [(a.id, a.text, a.received) for a in first.articles] == [
        (a.id, a.text, a.received) for a in second.articles
    ]
    (inbox / "01-magnitogorsk-apartment-building-collapses-after-explosion.txt").unlink()
    copy_demo(inbox, ["03-"])
    third = load([inbox], cache_path=cache)
    assert len(third.articles) == 3 and any(a.title.startswith("Iranian cargo plane") for a in third.articles)
    # A broken cache file is no reason to stop.
    cache.write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        Path(str(cache) + suffix).unlink(missing_ok=True)
    assert len(load([inbox], cache_path=cache).articles) == 3


def test_duplicates_grouped_across_sources(tmp_path: Path, nasa_rss: Path) -> None:
    """The NASA demo articles are the same stories as entries of the real NASA feed."""
    desk = tmp_path / "desk"
    desk.mkdir()
    copy_demo(desk, ["46-", "47-", "01-"])
    read = load([desk, nasa_rss])
    assert read.groups == {}  # reading groups nothing: the catalog's grouping does (triage ingest too)
    articles, groups = group_articles(read.articles, DuplicateIndex(None, threshold=0.6, shingle_size=5))
    by_path = {Path(a.path).name: a for a in articles if a.path.endswith(".txt")}
    nasa_demo = by_path["46-nasa-engineers-push-limits-of-physics-to-focus-light.txt"]
    feed_twin = next(a for a in articles if a.path == str(nasa_rss) and a.title == nasa_demo.title)
    leader = nasa_demo.duplicates_of or nasa_demo.id
    assert (feed_twin.duplicates_of or feed_twin.id) == leader
    assert leader in groups and set(groups[leader]) == {nasa_demo.id, feed_twin.id}
    assert groups[leader][0] == leader
    assert by_path["01-magnitogorsk-apartment-building-collapses-after-explosion.txt"].duplicates_of == ""
    assert len(groups) == 2  # 46 and 47 each with their feed twin


def test_related_but_different_stories_not_grouped(demo: Path) -> None:
    """Puerto Rico governor stories 11, 12, 14 are related, not duplicates."""
    arts = [read_file(p)[0][0] for p in sorted(demo.iterdir()) if p.name[:3] in ("11-", "12-", "14-")]
    _, groups = group_articles(arts, DuplicateIndex(None, threshold=0.6, shingle_size=5))
    assert groups == {}


def test_lightly_edited_copy_is_grouped(inbox: Path) -> None:
    title, paras = demo_article("20-")
    (inbox / "afp").mkdir()
    (inbox / "reuters").mkdir()
    (inbox / "afp" / "mugabe.txt").write_text(title + "\n\n" + "\n\n".join(paras), encoding="utf-8")
    edited = [p.replace("Mugabe", "Robert Mugabe", 1) for p in paras[:-1]]
    (inbox / "reuters" / "mugabe.txt").write_text(
        "Zimbabwe's Mugabe dies\n\n" + "\n\n".join(edited), encoding="utf-8"
    )
    articles, groups = group_articles(
        load([inbox]).articles, DuplicateIndex(None, threshold=0.6, shingle_size=5)
    )
    assert len(groups) == 1
    [members] = groups.values()
    assert len(members) == 2
    line = json.dumps(groups)
    assert all(a.id in line for a in articles)


def test_cache_hit_is_by_path_size_and_mtime(inbox: Path, tmp_path: Path) -> None:
    """Same size and mtime -> the cached parse is used (the file is not read again)."""
    cache = tmp_path / "c.sqlite"
    title, paras = demo_article("01-")
    f = inbox / "s.txt"
    f.write_text(title + "\n\nAAAA " + paras[0], encoding="utf-8")
    st = os.stat(f)
    [before] = load([inbox], cache_path=cache).articles
    f.write_text(title + "\n\nBBBB " + paras[0], encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    [cached] = load([inbox], cache_path=cache).articles
    assert cached.text.startswith("AAAA") and cached == before
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    [fresh] = load([inbox], cache_path=cache).articles
    assert fresh.text.startswith("BBBB") and fresh.id == before.id and fresh.updated
