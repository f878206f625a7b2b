"""Issue 19, past the list: where a fetch may connect, what a lying Content-Length can do, and how many
article pages are fetched at once. Every server here is one the test starts on 127.0.0.1; the refusal
of local addresses is shown by letting the connect-time check see 127.0.0.1 (a host *name* that
resolves there, as DNS rebinding would make it) and refuse it, while `local_pages` lets it through."""

from __future__ import annotations

import asyncio
import socket
import threading
import tracemalloc

import pytest

from triage.sources.fetch import fetch_feeds
from triage.sources.fulltext import PAGE_CONCURRENCY
from triage.sources.httpget import FetchError, Reach, get, make_client

from .hostile_server import HostileServer, respond

PAGE = b"<html><body><article><p>" + b"The full text of the linked article page, long enough. " * 60 + \
    b"</p></article></body></html>"


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


def _get(url: str, reach: Reach, *, max_bytes: int = 1_000_000, timeout: float = 10) -> bytes:
    async def go() -> bytes:
        async with make_client(timeout=timeout, max_connections=4, headers={}) as client:
            return (await get(client, url, {}, timeout=timeout, max_bytes=max_bytes, reach=reach)).body

    return asyncio.run(go())


# --- the connect-time check -----------------------------------------------------------------------------


def test_a_name_that_resolves_to_loopback_is_refused_where_the_connection_is_made(hostile) -> None:
    """A public feed's redirect (or a rebinding name) to a host name that resolves to 127.0.0.1: no
    check before the request sees an address; the connect does, and refuses."""
    inner = hostile({"/admin": respond(b"admin secret")})
    public_feed = Reach.for_feed("http://93.184.215.14/feed.xml")
    refused = r"leads to a local or private address \(localhost is (127\.0\.0\.1|::1)\): refused"
    with pytest.raises(FetchError, match=refused):
        _get(f"http://localhost:{inner.port}/admin", public_feed)
    page = Reach.for_page_of("http://93.184.215.14/feed.xml")
    with pytest.raises(FetchError, match="local or private address"):
        _get(f"http://localhost:{inner.port}/admin", page)
    assert inner.hits == []  # nothing ever reached the local service
    # the same request where the user allows local pages goes through (the check is the only gate)
    allowed = Reach.for_page_of("http://93.184.215.14/f", local=True)
    assert _get(f"http://localhost:{inner.port}/admin", allowed) == b"admin secret"
    assert inner.hits == ["/admin"]


def test_the_client_makes_no_request_outside_a_checked_fetch(hostile) -> None:
    srv = hostile({"/x": respond(b"x")})

    async def bare() -> None:
        async with make_client(timeout=5, max_connections=1, headers={}) as client:
            await client.get(srv.url("/x"))

    with pytest.raises(FetchError, match="outside triage's fetch"):
        asyncio.run(bare())
    assert srv.hits == []


def test_a_teaser_page_on_a_local_name_is_not_fetched_unless_local_pages(hostile, tmp_path) -> None:
    inner = hostile({"/page": respond(PAGE)})
    feed = hostile({})
    link = f"http://localhost:{inner.port}/page"
    feed.routes["/feed"] = respond(_rss([("Teaser", link, "Short.")]))
    res = fetch_feeds([{"url": feed.url("/feed"), "name": "T"}], None, timeout=10, fetch_full_article=True)
    assert [a.text for a in res.articles] == ["Short."] and inner.hits == []
    res = fetch_feeds([{"url": feed.url("/feed"), "name": "T"}], None, timeout=10, fetch_full_article=True,
                      local_pages=True)
    assert inner.hits == ["/page"] and "full text of the linked article page" in res.articles[0].text


def test_a_local_feed_may_still_be_fetched_and_redirect_on_its_own_host(hostile) -> None:
    """A feed the user configured on loopback is the user's choice (README: Security model)."""
    srv = hostile({})
    srv.routes["/old"] = respond(b"", status="301 Moved", headers={"Location": f"http://localhost:{srv.port}/rss"})
    srv.routes["/rss"] = respond(_rss([("Local story", "https://news.example/1", "Body text.")]))
    res = fetch_feeds([{"url": srv.url("/old"), "name": "L"}], None, timeout=10)
    assert [a.title for a in res.articles] == ["Local story"] and not res.problems


# --- Content-Length that lies ------------------------------------------------------------------------------


def _says_10_sends_100_mb(conn: socket.socket, _request: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    block = b"A" * (1 << 20)
    for _ in range(100):
        try:
            conn.sendall(block)
        except OSError:
            return


def _no_length_endless(conn: socket.socket, _request: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    block = b"B" * (1 << 20)
    for _ in range(100):
        try:
            conn.sendall(block)
        except OSError:
            return


def _measured(url: str, max_bytes: int) -> tuple[object, int]:
    """What a GET of `url` gives (body or FetchError) and the peak of memory it took (Python's), the
    modules a first request imports already in (a warm-up request to a server of its own)."""
    warm = HostileServer({"/": respond(b"ok")})
    try:
        assert _get(warm.url("/"), Reach.for_feed(warm.url("/"))) == b"ok"
    finally:
        warm.close()
    tracemalloc.start()
    try:
        try:
            out: object = _get(url, Reach.for_feed(url), max_bytes=max_bytes)
        except FetchError as exc:
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_content_length_that_says_less_than_is_sent_reads_only_what_it_says(hostile) -> None:
    srv = hostile({"/lie": _says_10_sends_100_mb})
    body, peak = _measured(srv.url("/lie"), 1_000_000)
    assert body == b"A" * 10  # HTTP/1.1 framing: the rest is not this response's body, and is not read
    assert peak < 5 << 20


def test_a_body_without_a_length_stops_at_the_byte_limit(hostile) -> None:
    srv = hostile({"/endless": _no_length_endless})
    err, peak = _measured(srv.url("/endless"), 1_000_000)
    assert isinstance(err, FetchError) and str(err) == "sent more than the 1,000,000-byte limit: stopped"
    assert peak < 10 << 20  # not the 100 MB the server would send


def test_a_content_length_over_the_limit_is_refused_before_the_body(hostile) -> None:
    srv = hostile({"/big": respond(b"tiny", headers={"Content-Length": "100000000"})})
    err, _peak = _measured(srv.url("/big"), 1_000_000)
    assert isinstance(err, FetchError) and str(err) == "is 100,000,000 bytes, over the 1,000,000-byte limit"


@pytest.mark.parametrize("length", ["-5", "10, 20", "0x10", "ten", "99999999999999999999999"])
def test_a_malformed_content_length_is_one_plain_error(hostile, length: str) -> None:
    srv = hostile({"/bad": respond(b"0123456789", headers={"Content-Length": length})})
    err, _peak = _measured(srv.url("/bad"), 1_000_000)
    assert isinstance(err, FetchError) and str(err).startswith("could not be fetched (")


def test_a_content_length_that_says_more_than_is_sent_is_an_error_not_a_hang(hostile) -> None:
    def short(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + b"x" * 20)

    srv = hostile({"/short": short})
    err, _peak = _measured(srv.url("/short"), 1_000_000)
    assert isinstance(err, FetchError) and str(err).startswith("could not be fetched (")


# --- article pages: a few at a time -------------------------------------------------------------------


def test_article_pages_are_fetched_a_few_at_a_time(hostile) -> None:
    """Ten teaser pages: each page handler waits (up to 3 s) for the bound to be reached, so the test
    sees both that pages are fetched side by side and that no more than PAGE_CONCURRENCY are."""
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    full = threading.Condition(lock)

    def page(conn: socket.socket, request: bytes) -> None:
        with full:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            full.notify_all()
            full.wait_for(lambda: state["now"] >= PAGE_CONCURRENCY, timeout=3)
        try:
            respond(PAGE)(conn, request)
        finally:
            with full:
                state["now"] -= 1

    pages = hostile({f"/p{n}": page for n in range(10)}, max_requests=20)
    feed = hostile({})
    feed.routes["/feed"] = respond(_rss([(f"Teaser {n}", f"http://localhost:{pages.port}/p{n}", "Short.")
                                         for n in range(10)]))
    res = fetch_feeds([{"url": feed.url("/feed"), "name": "T"}], None, timeout=20, fetch_full_article=True,
                      local_pages=True)
    assert sorted(pages.hits) == sorted(f"/p{n}" for n in range(10))
    assert all("full text" in a.text for a in res.articles)
    assert state["most"] == PAGE_CONCURRENCY  # side by side, and never more than the bound
