"""One bounded HTTP GET for feeds and article pages (httpx, async).

What a hostile server cannot do here: hold a request past its one deadline (connecting, headers sent a
byte at a time, body, redirects: all of it runs under one `asyncio.timeout`); grow the body past the
byte limit (the raw stream is read and decompressed here, counted after decompression, one content
encoding at most, whatever Content-Length says); lead a request to an address it should not reach
(each hop is checked against `Reach`, and again at the connect itself: the client's network backend
resolves the name once, checks every address and connects to a checked one, so neither a redirect nor
DNS rebinding gets past it).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from triage.model import ProblemKind

__all__ = ["FetchError", "Reach", "Response", "get", "is_local_address", "make_client", "run_sync"]

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A feed or page could not be fetched; the message is the plain reason, `kind` says whether triage
    refused it (a private address, a scheme it never uses) or it failed (network, HTTP, size)."""

    def __init__(self, reason: str, kind: ProblemKind = ProblemKind.FETCH_FAILED) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass
class Response:
    """What a GET returned: final status, headers (lower-case names), decoded body, final URL."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    reason: str = ""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries to another host: mapped (::ffff:a.b.c.d), 6to4
    (2002::/16), Teredo (2001::/32, server and client) and the NAT64 well-known prefix (64:ff9b::/96)."""
    out = [a for a in (addr.ipv4_mapped, addr.sixtofour) if a is not None]
    if addr.teredo is not None:
        out.extend(addr.teredo)
    if addr in _NAT64:
        out.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return out


def is_local_address(ip: str) -> bool:
    """True for loopback, private, shared (CGNAT), link-local, reserved, multicast and unspecified
    addresses, and for an IPv6 address that carries one of those inside it."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(addr, ipaddress.IPv6Address):
        if any(is_local_address(str(v4)) for v4 in _embedded_ipv4(addr)):
            return True
        if addr in _NAT64:  # a public IPv4 host reached through a NAT64 gateway (IPv6-only networks)
            return False
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved
            or addr.is_multicast or addr.is_unspecified or not addr.is_global)


def _origin(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    scheme = p.scheme.lower()
    return scheme, (p.hostname or "").lower().rstrip("."), p.port or (443 if scheme == "https" else 80)


@dataclass(frozen=True)
class Reach:
    """Where a request may go. `trusted` is the origin (scheme, host, port) the user configured (the
    feed's own URL): it is always allowed, local or not. Any other hop must resolve to public
    addresses only, except for a feed whose own host is local (`feed`): a local setup may redirect
    within itself. Article pages a feed links to (`feed` False) get no such exception, unless the user
    allows local pages (`local`, the setting fetch.local_pages)."""

    trusted: tuple[str, str, int]
    feed: bool = True
    local: bool = False  # any local or private address may be reached

    @classmethod
    def for_feed(cls, url: str) -> Reach:
        """A feed the user configured."""
        return cls(_origin(url), feed=True)

    @classmethod
    def for_page_of(cls, feed_url: str, *, local: bool = False) -> Reach:
        """An article page a feed links to: public addresses, or the feed's own origin (`local`: any)."""
        return cls(_origin(feed_url), feed=False, local=local)

    def is_trusted(self, host: str, port: int) -> bool:
        """Is `host`:`port` the origin the user configured?"""
        return (_ascii_host(host), port) == (_ascii_host(self.trusted[1]), self.trusted[2])


@dataclass
class _Request:
    """The request a task is making: its Reach, and whether the feed's own server turned out to be on
    a local address (learnt from the connection actually made to it, never from a lookup of its own:
    a name may resolve otherwise the second time)."""

    reach: Reach
    local_server: bool = False

    def allows(self, host: str, port: int, ip: str) -> bool:
        """May a connection to `host`:`port`, resolved to `ip`, be made?"""
        reach = self.reach
        if reach.local or not is_local_address(ip) or reach.is_trusted(host, port):
            return True
        return reach.feed and self.local_server  # a local feed may lead within the local network

    def connected(self, host: str, port: int, ip: str) -> None:
        if self.reach.is_trusted(host, port):
            self.local_server = is_local_address(ip)


def _ascii_host(host: str) -> str:
    host = host.lower().rstrip(".").strip("[]")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


# The request this task is making, read by the network backend when it connects.
_REQUEST: ContextVar[_Request | None] = ContextVar("triage_request", default=None)


def _guarded_backend() -> Any:
    """An httpcore network backend that resolves a host once, refuses it when any of its addresses may
    not be reached under the current request's Reach, and connects to a checked address (never the
    name again: a second lookup could answer otherwise)."""
    import httpcore

    class GuardedBackend(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None, socket_options: Any = None) -> Any:
            request = _REQUEST.get()
            if request is None:  # only get() makes requests with this client
                raise FetchError("a request made outside triage's fetch: refused", ProblemKind.REFUSED)
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                raise FetchError(f"names a host that does not resolve ({host[:80]})") from None
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            refused = [ip for ip in addresses if not request.allows(host, port, ip)]
            if refused or not addresses:
                raise FetchError(f"leads to a local or private address ({host[:80]} is "
                                 f"{(refused or ['nothing'])[0]}): refused", ProblemKind.REFUSED)
            error: Exception | None = None
            for ip in addresses:
                try:
                    stream = await self._inner.connect_tcp(
                        ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options)
                except httpcore.ConnectError as exc:
                    error = exc
                    continue
                request.connected(host, port, ip)
                return stream
            raise error if error is not None else httpcore.ConnectError(f"cannot connect to {host[:80]}")

        async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                      socket_options: Any = None) -> Any:
            raise FetchError("a request to a Unix socket: refused", ProblemKind.REFUSED)

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return GuardedBackend()


def make_client(*, timeout: float, max_connections: int, headers: dict[str, str]) -> Any:
    """An httpx client for get(): no redirects of its own, no environment proxy, no connection kept
    open between requests (a connection made under one request's Reach is never reused under
    another's), and every connection checked where it is made (see _guarded_backend)."""
    import httpcore
    import httpx

    pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=max_connections,  # SSL_CERT_FILE honoured
        max_keepalive_connections=0, network_backend=_guarded_backend())
    return httpx.AsyncClient(transport=_pool_transport(pool), timeout=httpx.Timeout(timeout),
                             follow_redirects=False, headers=headers, trust_env=False)


def _pool_transport(pool: Any) -> Any:
    """An httpx transport over an httpcore pool of our own making (httpx's public extension point, as
    its own transport is one over a pool it makes itself and never lets one set its network backend).
    httpcore's errors become httpx's of the same name, so callers see only httpx's."""
    import httpcore
    import httpx

    def as_httpx(exc: Exception) -> Exception:
        for cls in type(exc).__mro__:
            mapped = getattr(httpx, cls.__name__, None)
            if isinstance(mapped, type) and issubclass(mapped, httpx.TransportError):
                return mapped(str(exc))
        return exc

    class Body(httpx.AsyncByteStream):
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        async def __aiter__(self) -> Any:
            try:
                async for part in self._stream:
                    yield part
            except httpcore.TimeoutException as exc:
                raise as_httpx(exc) from exc
            except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                raise as_httpx(exc) from exc

        async def aclose(self) -> None:
            await self._stream.aclose()

    class PoolTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            url = request.url
            core = httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
            try:
                resp = await pool.handle_async_request(core)
            except (
                httpcore.TimeoutException,
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
            ) as exc:
                raise as_httpx(exc) from exc
            return httpx.Response(
                status_code=resp.status,
                headers=resp.headers,
                stream=Body(resp.stream),
                extensions=resp.extensions,
            )

        async def aclose(self) -> None:
            await pool.aclose()

    return PoolTransport()


async def _check_hop(url: str, reach: Reach, local_ok: bool) -> None:
    """Raise FetchError when `url` may not be requested under `reach`: not http(s), no host, or an
    address written in the URL that may not be reached. A host name is checked where the connection
    is made (after its one lookup: a name may resolve otherwise the second time)."""
    origin = _origin(url)
    if origin[0] not in ("http", "https"):
        raise FetchError(
            f"redirects to a {origin[0] or 'schemeless'} URL: refused (only http and https)",
            ProblemKind.REFUSED,
        )
    if not origin[1]:
        raise FetchError("redirects to a URL with no host: refused", ProblemKind.REFUSED)
    if origin == reach.trusted or (reach.feed and local_ok) or reach.local:
        return
    try:
        ipaddress.ip_address(origin[1].split("%", 1)[0])
    except ValueError:
        return  # a name: see _guarded_backend
    if is_local_address(origin[1]):
        raise FetchError(
            f"leads to a local or private address ({origin[1][:80]}): refused", ProblemKind.REFUSED
        )


class _Decoder:
    """Content decoding done here, counted against the limit as it goes (never after the fact)."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        codings = [c for c in (c.strip().lower() for c in encoding.split(",")) if c and c != "identity"]
        if len(codings) > 1:
            raise FetchError(
                f"sent a body compressed {len(codings)} times (Content-Encoding: "
                f"{', '.join(codings)[:60]}): refused"
            )
        coding = codings[0] if codings else ""
        if coding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._z = zlib.decompressobj()
        elif coding:
            raise FetchError(
                f"sent a body in an encoding triage does not read (Content-Encoding: {coding[:30]})"
            )
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


async def get(
    client: Any, url: str, headers: dict[str, str], *, timeout: float, max_bytes: int, reach: Reach
) -> Response:
    """GET `url` following redirects (each hop checked against `reach`) within one `timeout` for the
    whole; FetchError with the plain reason otherwise. The client must not follow redirects itself."""
    import httpx

    stage: list[str] = []  # "body" once headers have arrived
    request = _Request(reach)
    token = _REQUEST.set(request)
    try:
        async with asyncio.timeout(timeout):
            current = url
            for _hop in range(MAX_REDIRECTS + 1):
                await _check_hop(current, reach, request.local_server)
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
        raise FetchError("is not an http(s) URL", ProblemKind.REFUSED) from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise FetchError(f"could not be fetched ({reason[:120]})") from None
    finally:
        _REQUEST.reset(token)


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
