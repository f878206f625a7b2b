"""Issue 12: fetched feed entries are never lost. The spool is durable before the ETag / Last-Modified
that would make the next fetch a 304, whether the process dies between the two writes or the spool
write fails. Real HTTP on 127.0.0.1, real files, a real child process killed mid-fetch."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sources.test_feeds_http import server, url  # noqa: F401 - the fixture and its helper
from triage.sources import fetch as feeds_mod
from triage.sources.fetch import fetch_feeds, spool_slug
from triage.sources.registry import SPOOL_STATE_SUFFIX, SPOOL_SUFFIX


def feed_body(n: int) -> bytes:
    items = "".join(
        f"<item><guid>story-{i}</guid><title>Story {i}</title><link>https://news.example.org/{i}</link>"
        f"<description>The council met about item {i}.</description></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>{items}</channel></rss>'.encode()


def conditional(state: dict):
    """A feed route that honours If-None-Match like a real server."""

    def route(h) -> None:
        if h.headers.get("If-None-Match") == state["etag"]:
            h.send_response(304)
            h.end_headers()
            return
        body = state["body"]
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("ETag", state["etag"])
        h.send_header("Last-Modified", state["modified"])
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return route


@pytest.fixture
def feed(server):  # noqa: F811 - the imported fixture
    state = {"body": feed_body(2), "etag": '"v1"', "modified": "Wed, 06 Dec 2023 20:20:23 GMT"}
    server.routes["/feed.xml"] = conditional(state)
    return state, [{"url": url(server, "/feed.xml"), "name": "Desk"}]


def fetch(feeds, spool: Path):
    return fetch_feeds(feeds, spool, timeout=5, max_bytes=1_000_000, user_agent="t")


def spooled_titles(spool: Path, feeds) -> list[str]:
    path = spool / (spool_slug(feeds[0]["url"], feeds[0]["name"]) + SPOOL_SUFFIX)
    return sorted(json.loads(line)["title"] for line in path.read_text(encoding="utf-8").splitlines())


CRASH_AFTER_FIRST_REPLACE = textwrap.dedent(f"""
    import os, sys
    from pathlib import Path
    real_replace = os.replace

    def replace_then_die(src, dst, *a, **k):
        real_replace(src, dst, *a, **k)
        if str(dst).endswith(({SPOOL_SUFFIX!r}, {SPOOL_STATE_SUFFIX!r})):
            os._exit(17)  # killed right after the first of the two files reached the disk

    os.replace = replace_then_die
    from triage.sources.fetch import fetch_feeds
    fetch_feeds([{{"url": sys.argv[1], "name": "Desk"}}], Path(sys.argv[2]), timeout=5, max_bytes=1_000_000,
                user_agent="t")
    os._exit(0)
""")


def test_killed_between_spool_and_state_loses_no_entry(feed, tmp_path: Path, server) -> None:  # noqa: F811
    state, feeds = feed
    spool = tmp_path / "spool"
    assert len(fetch(feeds, spool).articles) == 2
    # The feed gains a story; a fetch is killed between its two durable writes.
    state.update(body=feed_body(3), etag='"v2"', modified="Thu, 07 Dec 2023 08:00:00 GMT")
    child = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_FIRST_REPLACE, feeds[0]["url"], str(spool)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 17, child.stderr
    # The next fetch must still deliver "Story 2": either it is in the spool already, or the old
    # validators make the server send the body again (never a 304 over entries that were not stored).
    res = fetch(feeds, spool)
    assert sorted(a.title for a in res.articles) == ["Story 0", "Story 1", "Story 2"]
    assert spooled_titles(spool, feeds) == ["Story 0", "Story 1", "Story 2"]
    assert not res.problems


def test_failed_spool_write_keeps_the_old_fetch_state(
    feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server  # noqa: F811 - the fixture, by name
) -> None:
    state, feeds = feed
    spool = tmp_path / "spool"
    fetch(feeds, spool)
    state_file = spool / (spool_slug(feeds[0]["url"], "Desk") + SPOOL_STATE_SUFFIX)
    assert json.loads(state_file.read_text(encoding="utf-8"))["etag"] == '"v1"'
    state.update(body=feed_body(3), etag='"v2"')
    real_write = feeds_mod._write_atomic

    def disk_full_for_spool(path: Path, text: str) -> None:
        if path.name.endswith(SPOOL_SUFFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, text)

    monkeypatch.setattr(feeds_mod, "_write_atomic", disk_full_for_spool)
    res = fetch(feeds, spool)
    assert sorted(a.title for a in res.articles) == ["Story 0", "Story 1", "Story 2"]  # shown this time
    assert json.loads(state_file.read_text(encoding="utf-8"))["etag"] == '"v1"'  # not the new ETag
    assert [p.reason for p in res.problems] == [
        "spool could not be written (No space left on device): the entries will be fetched again next time"
    ]
    monkeypatch.setattr(feeds_mod, "_write_atomic", real_write)
    res = fetch(feeds, spool)
    assert server.hits[-1][1].get("If-None-Match") == '"v1"'  # so the server sends the body, not a 304
    assert not res.problems and spooled_titles(spool, feeds) == ["Story 0", "Story 1", "Story 2"]


def test_a_body_that_does_not_parse_saves_no_validators(feed, tmp_path: Path, server) -> None:  # noqa: F811
    state, feeds = feed
    spool = tmp_path / "spool"
    fetch(feeds, spool)
    state.update(body=b"<html><body>maintenance</body></html>", etag='"broken"')
    res = fetch(feeds, spool)
    assert any("not an RSS or Atom feed" in p.reason for p in res.problems)
    state.update(body=feed_body(3), etag='"broken"')  # fixed, same ETag (a careless server)
    res = fetch(feeds, spool)
    assert sorted(a.title for a in res.articles) == ["Story 0", "Story 1", "Story 2"]


def test_an_unreadable_spool_is_kept_aside_not_overwritten(feed, tmp_path: Path, server) -> None:  # noqa: F811
    _state, feeds = feed
    spool = tmp_path / "spool"
    spool.mkdir()
    spool_file = spool / (spool_slug(feeds[0]["url"], "Desk") + SPOOL_SUFFIX)
    spool_file.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # not ours to destroy
    res = fetch(feeds, spool)
    assert sorted(a.title for a in res.articles) == ["Story 0", "Story 1"]
    [aside] = spool.glob("." + spool_file.name + ".unreadable-*")
    assert aside.read_bytes().startswith(b"\x89PNG")
    assert [p.reason.split(":")[0] for p in res.problems] == [
        "spool could not be read (is a binary file, not text)"
    ]
    assert aside.name in res.problems[0].reason
    from triage.sources import load

    assert not load([spool]).problems  # the lock and the file kept aside are not read as articles


def test_the_spool_write_fsyncs_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename is made durable too: the folder is fsynced after os.replace."""
    import os

    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else "?")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    feeds_mod._write_atomic(tmp_path / "x.spool.jsonl", "{}\n")
    assert str(tmp_path) in synced and any(s.endswith(".part") or "x.spool" in s for s in synced)
