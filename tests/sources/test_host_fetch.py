"""Issue 19, attacks 2, 3 and 4 and past them: a hostile feed server on 127.0.0.1 tries to make triage
read a local file, blow up its memory, hold it past its deadline, or reach other local services."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
import stat
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from triage.sources.fetch import fetch_feeds

from .hostile_server import respond

SECRET = "Private memo the feed server must never see"


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description></item>"
        for t, link, d in items
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>'
    return f"{head}{body}</channel></rss>".encode()


@pytest.fixture
def private_feed(tmp_path: Path) -> Path:
    p = tmp_path / "home" / "private.xml"
    p.parent.mkdir()
    p.write_bytes(_rss([(SECRET, "https://intra.example/memo", "Salaries for next year.")]))
    return p


# --- attack 2: a body that is a path ------------------------------------------------------------------


def test_a_body_naming_a_local_file_is_not_read_as_that_file(hostile, private_feed, tmp_path: Path) -> None:
    srv = hostile(
        {"/feed": respond(str(private_feed).encode(), headers={"Content-Type": "application/rss+xml"})}
    )
    res = fetch_feeds([{"url": srv.url("/feed"), "name": "H"}], tmp_path / "spool", timeout=5)
    assert not any(SECRET in a.title for a in res.articles)
    assert res.articles == []
    assert [p.reason for p in res.problems] == [
        "feed is not an RSS or Atom feed (<unknown>:2:0: not well-formed (invalid token))"
    ]


def _ingest_with_limits(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`triage ingest URL` in a process capped at 1 GB of memory and 60 s (the old code read /dev/zero
    until it died, and blocked for ever on a FIFO)."""
    code = (
        "import resource,sys\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from triage.cli.main import main\nsys.argv=['triage','ingest','--no-cache',sys.argv[1]]\nmain()\n"
    )
    env = dict(os.environ, TRIAGE_DATA_DIR=str(tmp_path / "data"), TRIAGE_CONFIG=str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )


def test_a_body_naming_dev_zero_or_a_fifo_costs_nothing(hostile, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    srv = hostile({"/zero": respond(b"/dev/zero"), "/fifo": respond(str(fifo).encode())})
    for path in ("/zero", "/fifo"):
        out = _ingest_with_limits(srv.url(path), tmp_path)
        assert out.returncode == 1, out.stderr
        assert out.stderr.splitlines()[0] == (
            f"triage: {srv.url(path)}: feed is not an RSS or Atom feed "
            "(<unknown>:2:0: not well-formed (invalid token))"
        )


def test_an_inbox_feed_file_holding_a_path_is_not_read_as_that_file(private_feed, tmp_path: Path) -> None:
    from triage.sources import read_file

    planted = tmp_path / "inbox" / "story.xml"
    planted.parent.mkdir()
    planted.write_text(str(private_feed), encoding="utf-8")
    articles, problems = read_file(planted)
    assert articles == []
    assert [p.reason for p in problems] == [
        "is not an RSS or Atom feed (<unknown>:2:0: not well-formed (invalid token))"
    ]


# --- attack 3: compression bombs ------------------------------------------------------------------------


def _gzip_of_zeros(n: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    out = [z.compress(block) for _ in range(n >> 20)]
    return b"".join(out) + z.flush()


def test_a_stacked_gzip_bomb_is_refused_before_it_is_opened(hostile, tmp_path: Path) -> None:
    bomb = gzip.compress(_gzip_of_zeros(600 << 20), 9)  # 600 MB of zeros in well under a kilobyte... twice
    assert len(bomb) < 2000
    srv = hostile({"/bomb": respond(bomb, headers={"Content-Encoding": "gzip, gzip"})})
    tracemalloc.start()
    try:
        res = fetch_feeds([{"url": srv.url("/bomb"), "name": "B"}], None, timeout=10)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.reason for p in res.problems] == [
        "feed sent a body compressed 2 times (Content-Encoding: gzip, gzip): refused"
    ]
    assert peak < 50 << 20


def test_a_gzip_bomb_stops_at_the_byte_limit_counted_after_decompression(hostile, tmp_path: Path) -> None:
    bomb = _gzip_of_zeros(200 << 20)
    srv = hostile({"/bomb": respond(bomb, headers={"Content-Encoding": "gzip"})})
    tracemalloc.start()
    try:
        res = fetch_feeds([{"url": srv.url("/bomb"), "name": "B"}], None, timeout=10, max_bytes=1_000_000)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.reason for p in res.problems] == ["feed sent more than the 1,000,000-byte limit: stopped"]
    assert peak < 20 << 20  # never the 200 MB the body inflates to


@pytest.mark.parametrize("coding", ["br", "zstd", "compress"])
def test_an_encoding_triage_does_not_decode_is_refused(hostile, coding: str) -> None:
    srv = hostile({"/f": respond(b"\x00" * 100, headers={"Content-Encoding": coding})})
    res = fetch_feeds([{"url": srv.url("/f"), "name": "E"}], None, timeout=5)
    assert [p.reason for p in res.problems] == [
        f"feed sent a body in an encoding triage does not read (Content-Encoding: {coding})"
    ]


def test_a_gzip_feed_still_reads(hostile) -> None:
    body = gzip.compress(_rss([("Compressed story", "https://news.example/1", "It was gzipped.")]))
    srv = hostile({"/f": respond(body, headers={"Content-Encoding": "gzip"})})
    res = fetch_feeds([{"url": srv.url("/f"), "name": "G"}], None, timeout=5)
    assert [a.title for a in res.articles] == ["Compressed story"] and not res.problems


# --- attack 4: headers a byte at a time -------------------------------------------------------------------


def _trickle_headers(conn: socket.socket, _request: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):  # 20 s of one header byte every half second, at most
        try:
            conn.sendall(b"X")
        except OSError:
            return
        time.sleep(0.5)


def test_headers_sent_a_byte_at_a_time_do_not_beat_the_deadline(hostile) -> None:
    fast = _rss([("Fast story", "https://news.example/f", "On time.")])
    srv = hostile({"/slow": _trickle_headers, "/fast": respond(fast)})
    done: list[str] = []
    res = fetch_feeds(
        [{"url": srv.url("/slow"), "name": "Slow"}, {"url": srv.url("/fast"), "name": "Fast"}],
        None,
        timeout=1.5,
        progress=lambda n, total, name: done.append(name),
    )
    assert [str(p) for p in res.problems] == [f"{srv.url('/slow')}: feed did not answer within 1.5 s"]
    assert [a.title for a in res.articles] == ["Fast story"]
    assert done == ["Fast", "Slow"]  # fetched side by side: the slow server held up no other feed


# --- past the list: article pages may not lead to local services ------------------------------------------


def test_a_teaser_link_redirecting_to_another_local_service_is_not_followed(hostile, tmp_path: Path) -> None:
    inner = hostile(
        {"/admin": respond(b"<html><body><p>" + b"Internal admin secret. " * 80 + b"</p></body></html>")}
    )
    feed_srv = hostile({})
    feed_srv.routes.update(
        {
            "/feed": respond(
                _rss(
                    [
                        ("Teaser one", feed_srv.url("/go"), "Short."),
                        ("Teaser two", inner.url("/admin"), "Short."),
                        ("Teaser three", f"http://localhost:{inner.port}/admin", "Short."),
                    ]
                )
            ),
            "/go": respond(b"", status="302 Found", headers={"Location": inner.url("/admin")}),
        }
    )
    res = fetch_feeds(
        [{"url": feed_srv.url("/feed"), "name": "T"}], tmp_path / "spool", timeout=5, fetch_full_article=True
    )
    assert sorted(a.text for a in res.articles) == ["Short.", "Short.", "Short."]
    assert inner.hits == []  # the local admin service was never asked
    assert "/go" in feed_srv.hits  # the feed's own origin is trusted; the hop away from it is not


def test_a_feed_on_a_public_host_cannot_redirect_to_a_local_one() -> None:
    from triage.sources.httpget import FetchError, Reach, _check_hop

    public_feed = Reach.for_feed("http://93.184.215.14/feed.xml")
    with pytest.raises(FetchError, match=r"leads to a local or private address \(127.0.0.1\): refused"):
        asyncio.run(_check_hop("http://127.0.0.1:631/admin", public_feed, local_ok=False))
    with pytest.raises(FetchError, match="169.254.169.254"):
        asyncio.run(_check_hop("http://169.254.169.254/latest/meta-data/", public_feed, local_ok=False))
    asyncio.run(_check_hop("http://93.184.215.14/feed.xml", public_feed, local_ok=False))  # its own origin
    with pytest.raises(FetchError, match="only http and https"):
        asyncio.run(_check_hop("file:///etc/passwd", public_feed, local_ok=False))


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "240.0.0.1",
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 around 192.168.1.1
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
    ],
)
def test_local_addresses_are_known(ip: str) -> None:
    from triage.sources.httpget import is_local_address

    assert is_local_address(ip)


def test_public_addresses_are_not_local() -> None:
    from triage.sources.httpget import is_local_address

    for ip in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e",
               "2002:5db8:d70e::1"):
        assert not is_local_address(ip), ip


def test_a_redirect_loop_is_cut(hostile) -> None:
    srv = hostile({})
    srv.routes["/a"] = respond(b"", status="302 Found", headers={"Location": srv.url("/a")})
    res = fetch_feeds([{"url": srv.url("/a"), "name": "L"}], None, timeout=5)
    assert [p.reason for p in res.problems] == ["feed redirects too many times"]


# --- attack 8, the spool: private, named without secrets, bounded in bytes ----------------------------------


def test_the_spool_is_private_and_its_names_hold_no_token(hostile, tmp_path: Path) -> None:
    from triage.sources.fetch import spool_slug

    body = _rss([(f"Story {i}", f"https://news.example/{i}", "Text.") for i in range(3)])
    srv = hostile({"/feed": respond(body)})
    url = srv.url("/feed?token=s3cr3tT0ken")
    spool = tmp_path / "data" / "spool"
    fetch_feeds([{"url": url, "name": ""}], spool, timeout=5)
    names = sorted(p.name for p in spool.iterdir())
    assert all("s3cr3t" not in n.lower() for n in names), names
    assert f"{spool_slug(url)}.spool.jsonl" in names and spool_slug(url).startswith("127-0-0-1-feed-")
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in spool.iterdir()} == {0o600}


def test_a_spool_named_the_old_way_is_renamed_and_tightened(hostile, tmp_path: Path) -> None:
    from triage.sources.fetch import _old_slug, spool_slug

    srv = hostile({"/feed": respond(_rss([("New story", "https://news.example/n", "Text.")]))})
    url = srv.url("/feed?token=abc123")
    spool = tmp_path / "spool"
    spool.mkdir()
    old = spool / (_old_slug(url, "") + ".spool.jsonl")
    assert "abc123" in old.name
    old.write_text(
        json.dumps({"id": "kept1", "title": "Kept story", "text": "Old.", "path": url}) + "\n",
        encoding="utf-8",
    )
    os.chmod(old, 0o644)
    res = fetch_feeds([{"url": url, "name": ""}], spool, timeout=5)
    assert sorted(a.title for a in res.articles) == ["Kept story", "New story"]
    assert not old.exists()
    new = spool / (spool_slug(url) + ".spool.jsonl")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


def test_the_spool_is_bounded_in_bytes_as_well_as_entries(hostile, tmp_path: Path) -> None:
    big = "Long text. " * 2000  # some 22 kB an entry
    srv = hostile({})
    spool = tmp_path / "spool"
    for batch in range(3):
        srv.routes["/feed"] = respond(
            _rss([(f"Story {batch}-{i}", f"https://news.example/{batch}/{i}", big) for i in range(5)])
        )
        res = fetch_feeds(
            [{"url": srv.url("/feed"), "name": "Big"}],
            spool,
            timeout=5,
            spool_max_bytes=200_000,
            spool_max_entries=1000,
        )
    [spool_file] = spool.glob("*.spool.jsonl")
    assert spool_file.stat().st_size <= 200_000
    assert {a.title for a in res.articles} >= {f"Story 2-{i}" for i in range(5)}  # the newest kept
    assert len(res.articles) < 15
