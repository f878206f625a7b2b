"""One bounded HTTP GET for feeds and article pages (httpx, async).

What a hostile server cannot do here: hold a request past its one deadline (connecting, headers sent a
byte at a time, body, redirects: all of it runs under one `asyncio.timeout`); grow the body past the
byte limit (the raw stream is read and decompressed here, counted after decompression, one content
encoding at most); lead a request to an address it should not reach (each redirect hop is resolved
and checked: see `Reach`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["FetchError", "Reach", "Response", "get", "is_local_address", "run_sync"]

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A feed or page could not be fetched; the message is the plain reason."""


@dataclass
class Response:
    """What a GET returned: final status, headers (lower-case names), decoded body, final URL."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    reason: str = ""


def is_local_address(ip: str) -> bool:
    """True for loopback, private, link-local, reserved, multicast and unspecified addresses."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved
            or addr.is_multicast or addr.is_unspecified)


def _origin(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    scheme = p.scheme.lower()
    return scheme, (p.hostname or "").lower().rstrip("."), p.port or (443 if scheme == "https" else 80)


@dataclass(frozen=True)
class Reach:
    """Where a request may go. `trusted` is the origin (scheme, host, port) the user configured (the
    feed's own URL): it is always allowed, local or not. Any other hop must resolve to public
    addresses only, except for a feed whose own host is local (`feed`): a local setup may redirect
    within itself. Article pages a feed links to (`feed` False) get no such exception."""

    trusted: tuple[str, str, int]
    feed: bool = True

    @classmethod
    def for_feed(cls, url: str) -> Reach:
        """A feed the user configured."""
        return cls(_origin(url), feed=True)

    @classmethod
    def for_page_of(cls, feed_url: str) -> Reach:
        """An article page a feed links to: public addresses, or the feed's own origin."""
        return cls(_origin(feed_url), feed=False)


async def _local_addresses(host: str, port: int) -> list[str]:
    """The local addresses `host` resolves to (FetchError when it does not resolve)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchError(f"names a host that does not resolve ({host[:80]})") from None
    return sorted({info[4][0] for info in infos if is_local_address(info[4][0])})


async def _check_hop(url: str, reach: Reach, local_ok: bool) -> None:
    """Raise FetchError when `url` may not be requested under `reach`."""
    origin = _origin(url)
    if origin[0] not in ("http", "https"):
        raise FetchError(f"redirects to a {origin[0] or 'schemeless'} URL: refused (only http and https)")
    if not origin[1]:
        raise FetchError("redirects to a URL with no host: refused")
    if origin == reach.trusted or local_ok:
        return
    local = await _local_addresses(origin[1], origin[2])
    if local:
        raise FetchError(f"leads to a local or private address ({origin[1][:80]} is {local[0]}): refused")


class _Decoder:
    """Content decoding done here, counted against the limit as it goes (never after the fact)."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        codings = [c for c in (c.strip().lower() for c in encoding.split(",")) if c and c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"sent a body compressed {len(codings)} times (Content-Encoding: "
                             f"{', '.join(codings)[:60]}): refused")
        coding = codings[0] if codings else ""
        if coding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._z = zlib.decompressobj()
        elif coding:
            raise FetchError("sent a body in an encoding triage does not read "
                             f"(Content-Encoding: {coding[:30]})")
        else:
            self._z = None
        self.raw_deflate = coding == "deflate"
        self.max = max_bytes
        self.size = 0
        self.parts: list[bytes] = []

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max:
            raise FetchError(f"sent more than the {self.max:,}-byte limit: stopped")
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._keep(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._z.decompress(data, self.max - self.size + 1)
            except zlib.error:
                if self.raw_deflate and not self.size:  # "deflate" sent without its zlib header
                    self._z, self.raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), False
                    out = self._z.decompress(data, self.max - self.size + 1)
                else:
                    raise FetchError("sent a compressed body that is damaged") from None
            self._keep(out)
            data = self._z.unconsumed_tail
            if self._z.eof:
                break

    def body(self) -> bytes:
        return b"".join(self.parts)


async def _one(client: Any, url: str, headers: dict[str, str], max_bytes: int, stage: list[str]) -> Response:
    async with client.stream("GET", url, headers=headers) as resp:
        stage.append("body")
        out_headers = {k.lower(): v for k, v in resp.headers.items()}
        if resp.status_code in _REDIRECTS or resp.status_code == 304 or resp.status_code >= 400:
            return Response(resp.status_code, out_headers, b"", str(resp.url), resp.reason_phrase)
        length = out_headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"is {int(length):,} bytes, over the {max_bytes:,}-byte limit")
        decoder = _Decoder(out_headers.get("content-encoding", ""), max_bytes)
        wire = 0
        async for chunk in resp.aiter_raw():
            wire += len(chunk)
            if wire > max_bytes:
                raise FetchError(f"sent more than the {max_bytes:,}-byte limit: stopped")
            decoder.feed(chunk)
        return Response(resp.status_code, out_headers, decoder.body(), str(resp.url), resp.reason_phrase)


async def get(client: Any, url: str, headers: dict[str, str], *, timeout: float, max_bytes: int,
              reach: Reach) -> Response:
    """GET `url` following redirects (each hop checked against `reach`) within one `timeout` for the
    whole; FetchError with the plain reason otherwise. The client must not follow redirects itself."""
    import httpx

    stage: list[str] = []  # "body" once headers have arrived
    try:
        async with asyncio.timeout(timeout):
            current = url
            local_ok = reach.feed and bool(await _local_addresses(reach.trusted[1], reach.trusted[2]))
            for _hop in range(MAX_REDIRECTS + 1):
                await _check_hop(current, reach, local_ok)
                stage.clear()
                resp = await _one(client, current, headers, max_bytes, stage)
                if resp.status not in _REDIRECTS:
                    if resp.status >= 400:
                        raise FetchError(f"returned HTTP {resp.status} {resp.reason}".rstrip())
                    return resp
                location = resp.headers.get("location", "")
                if not location:
                    raise FetchError(f"returned HTTP {resp.status} with no Location")
                current = urljoin(current, location)
            raise FetchError("redirects too many times")
    except (TimeoutError, httpx.TimeoutException):
        if stage:
            raise FetchError(f"took longer than {timeout:g} s to send: stopped") from None
        raise FetchError(f"did not answer within {timeout:g} s") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"is not a valid URL ({exc})") from None
    except httpx.UnsupportedProtocol:
        raise FetchError("is not an http(s) URL") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise FetchError(f"could not be fetched ({reason[:120]})") from None


def run_sync(make: Callable[[], Any]) -> Any:
    """asyncio.run of `make()` in this thread, or in a new one where this thread runs a loop already."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=run, name="triage-fetch")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
