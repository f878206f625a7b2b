"""Feeds by URL against real HTTP servers the test starts on 127.0.0.1: ok, 304, 500, hang, garbage."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from triage.sources import load
from triage.sources.fetch import fetch_feeds, read_spool_folder


class _Handler(BaseHTTPRequestHandler):
    server_version = "test"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.hits.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        route = srv.routes.get(self.path)  # type: ignore[attr-defined]
        if route is None:
            self.send_error(404)
            return
        route(self)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.routes = {}  # type: ignore[attr-defined]
    srv.hits = []  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def url(srv: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


def serve_feed(body_ref: dict, etag: str = '"v1"'):
    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == body_ref["etag"]:
            h.send_response(304)
            h.end_headers()
            return
        body = body_ref["body"]
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("ETag", body_ref["etag"])
        h.send_header("Last-Modified", "Wed, 06 Dec 2023 20:20:23 GMT")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return route


def test_fetch_spool_conditional_and_items_kept(server, tmp_path: Path, nasa_rss: Path) -> None:
    data = nasa_rss.read_bytes()
    state = {"body": data, "etag": '"v1"'}
    server.routes["/nasa.xml"] = serve_feed(state)
    spool = tmp_path / "spool"
    feeds = [{"url": url(server, "/nasa.xml"), "name": "NASA releases"}]
    seen = []
    res = fetch_feeds(
        feeds,
        spool,
        timeout=5,
        max_bytes=1_000_000,
        user_agent="triage-test/1",
        progress=lambda d, t, n: seen.append((d, t, n)),
    )
    assert not res.problems and len(res.articles) == 10
    assert seen == [(1, 1, "NASA releases")]
    assert all(a.source == "NASA releases" and a.received for a in res.articles)
    assert server.hits[0][1]["User-Agent"] == "triage-test/1"
    # Second fetch: conditional request, 304, articles still there from the spool.
    res2 = fetch_feeds(feeds, spool, timeout=5, max_bytes=1_000_000, user_agent="t")
    assert server.hits[-1][1].get("If-None-Match") == '"v1"'
    assert not res2.problems and sorted(a.id for a in res2.articles) == sorted(a.id for a in res.articles)
    # The feed drops all but its first item: the others stay in the spool.
    first_item_end = data.index(b"</item>") + len(b"</item>")
    last_item_end = data.rindex(b"</item>") + len(b"</item>")
    state["body"] = data[:first_item_end] + data[last_item_end:]
    state["etag"] = '"v2"'
    res3 = fetch_feeds(feeds, spool, timeout=5, max_bytes=1_000_000, user_agent="t")
    assert not res3.problems and len(res3.articles) == 10
    received = {a.id: a.received for a in res.articles}
    assert all(received[a.id] == a.received for a in res3.articles)
    # The spool reads back with the loader, ids kept, state files ignored.
    spooled = load([spool])
    assert not spooled.problems and sorted(a.id for a in spooled.articles) == sorted(received)
    assert sorted(a.id for a in read_spool_folder(spool).articles) == sorted(received)
    assert all(a.path == feeds[0]["url"] for a in spooled.articles)


def test_http_500(server, tmp_path: Path) -> None:
    def route(h):
        h.send_response(500)
        h.send_header("Content-Length", "5")
        h.end_headers()
        h.wfile.write(b"oops!")

    server.routes["/broken"] = route
    res = fetch_feeds(
        [{"url": url(server, "/broken"), "name": "B"}], tmp_path, timeout=5, max_bytes=10_000, user_agent="t"
    )
    assert res.articles == []
    assert [str(p) for p in res.problems] == [
        f"{url(server, '/broken')}: feed returned HTTP 500 Internal Server Error"
    ]


def test_hanging_server_times_out(server, tmp_path: Path, nasa_rss: Path) -> None:
    release = threading.Event()

    def hang(h):
        release.wait(60)  # the server would hold the request a minute

    server.routes["/hang"] = hang
    server.routes["/ok"] = serve_feed({"body": nasa_rss.read_bytes(), "etag": '"x"'})
    done: list[str] = []
    t0 = time.perf_counter()
    try:
        res = fetch_feeds(
            [{"url": url(server, "/hang"), "name": "H"}, {"url": url(server, "/ok"), "name": "OK"}],
            tmp_path,
            timeout=1,
            max_bytes=1_000_000,
            user_agent="t",
            progress=lambda n, total, name: done.append(name),
        )
        elapsed = time.perf_counter() - t0
    finally:
        release.set()
    assert elapsed < 30  # the 1 s deadline ended it, not the server's minute (a wide margin: CI is busy)
    assert [str(p) for p in res.problems] == [f"{url(server, '/hang')}: feed did not answer within 1 s"]
    assert len(res.articles) == 10  # the next feed still loads
    assert done == ["OK", "H"]  # side by side: the hanging one held up nothing


def test_trickling_server_stopped_by_deadline(server, tmp_path: Path) -> None:
    def trickle(h):
        h.send_response(200)
        h.end_headers()
        try:
            for _ in range(600):  # a minute of one byte every 0.1 s
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    server.routes["/slow"] = trickle
    t0 = time.perf_counter()
    res = fetch_feeds(
        [{"url": url(server, "/slow"), "name": "S"}], tmp_path, timeout=1, max_bytes=10_000, user_agent="t"
    )
    assert time.perf_counter() - t0 < 30  # the deadline, not the server's minute (wide margin: CI is busy)
    assert len(res.problems) == 1 and "took longer than 1 s to send: stopped" in res.problems[0].reason


def test_ten_megabytes_of_garbage(server, tmp_path: Path) -> None:
    chunk = bytes(range(256)) * 4096  # 1 MiB

    def garbage(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.end_headers()
        try:
            for _ in range(10):
                h.wfile.write(chunk)
        except OSError:
            pass

    def declared(h):
        h.send_response(200)
        h.send_header("Content-Length", str(10 * len(chunk)))
        h.end_headers()

    server.routes["/garbage"] = garbage
    server.routes["/declared"] = declared
    res = fetch_feeds(
        [{"url": url(server, "/garbage"), "name": "G"}, {"url": url(server, "/declared"), "name": "D"}],
        tmp_path,
        timeout=5,
        max_bytes=10_000_000,
        user_agent="t",
    )
    assert res.articles == []
    reasons = [p.reason for p in res.problems]
    assert reasons == [
        "feed sent more than the 10,000,000-byte limit: stopped",
        "feed is 10,485,760 bytes, over the 10,000,000-byte limit",
    ]
    # Under the cap, garbage is read and named as binary, not a feed.
    res = fetch_feeds(
        [{"url": url(server, "/garbage"), "name": "G"}],
        tmp_path,
        timeout=5,
        max_bytes=20_000_000,
        user_agent="t",
    )
    assert res.articles == [] and res.problems[0].reason == "feed is a binary file, not an RSS or Atom feed"


def test_json_feed_by_url_and_load_with_url(server, tmp_path: Path) -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JF",
            "items": [
                {
                    "id": "https://example.org/1",
                    "url": "https://example.org/1",
                    "title": "One",
                    "content_text": "First item.",
                }
            ],
        }
    ).encode()

    def route(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/feed+json")
        h.end_headers()
        h.wfile.write(body)

    server.routes["/feed.json"] = route
    res = load([url(server, "/feed.json")], spool_dir=tmp_path / "spool")
    assert not res.problems and [a.title for a in res.articles] == ["One"]
    assert res.articles[0].source == "JF"
    res = load([url(server, "/missing")])
    assert [p.reason for p in res.problems] == ["feed returned HTTP 404 Not Found"]


def test_refused_connection_and_bad_url(tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    res = fetch_feeds(
        [{"url": f"http://127.0.0.1:{port}/x", "name": "R"}, {"name": "no url"}],
        tmp_path,
        timeout=2,
        max_bytes=1000,
        user_agent="t",
    )
    assert len(res.problems) == 2
    assert res.problems[0].reason.startswith("feed could not be fetched")
    assert res.problems[1].reason == "feed 2 has no url: skipped"


def test_fetch_full_article_for_teasers(server, tmp_path: Path) -> None:
    from tests.sources.conftest import demo_article
    from tests.sources.test_kinds import html_page

    title, paras = demo_article("13-")
    page = html_page(title, paras, url=url(server, "/story")).encode()
    rss = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title><item><title>{title}</title>'
        f"<link>{url(server, '/story')}</link><guid>t-1</guid><description>{paras[0][:80]}…</description>"
        "</item></channel></rss>"
    ).encode()

    def send(body: bytes, ctype: str):
        def route(h):
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        return route

    server.routes["/teasers.rss"] = send(rss, "application/rss+xml")
    server.routes["/story"] = send(page, "text/html; charset=utf-8")
    feeds = [{"url": url(server, "/teasers.rss"), "name": "Teasers"}]
    off = fetch_feeds(feeds, None, timeout=5, max_bytes=1_000_000, user_agent="t")
    assert len(off.articles[0].text) < 100 and not any(p == "/story" for p, _ in server.hits)
    on = fetch_feeds(
        feeds, tmp_path / "spool", timeout=5, max_bytes=1_000_000, user_agent="t", fetch_full_article=True
    )
    assert not on.problems
    [a] = on.articles
    assert paras[0] in a.text and paras[-1][:50] in a.text and "Section 3" not in a.text
    # Next fetch: the full text comes from the spool, the page is not fetched again.
    n_story = sum(1 for p, _ in server.hits if p == "/story")
    again = fetch_feeds(
        feeds, tmp_path / "spool", timeout=5, max_bytes=1_000_000, user_agent="t", fetch_full_article=True
    )
    assert again.articles[0].text == a.text
    assert sum(1 for p, _ in server.hits if p == "/story") == n_story


def test_server_reason_phrase_is_cleaned(server, tmp_path: Path) -> None:
    def route(h):
        h.send_response(503, "Down \x1b[2J\x1b]0;pwned\x07 now")
        h.send_header("Content-Length", "0")
        h.end_headers()

    server.routes["/evil"] = route
    res = fetch_feeds(
        [{"url": url(server, "/evil"), "name": "E"}], tmp_path, timeout=5, max_bytes=100, user_agent="t"
    )
    [p] = res.problems
    assert (
        "\x1b" not in p.reason
        and "\x07" not in p.reason
        and p.reason.startswith("feed returned HTTP 503 Down")
    )
