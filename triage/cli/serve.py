"""`triage serve`: the TUI in a web browser through textual-serve, for its owner only.

Each run makes a secret token and a secret path, printed once in the URL to open; the page, its files
and the websocket live under that path only and refuse anyone without the token (the first visit swaps
it for a cookie whose Path is the secret path, so a browser never sends it to another server on
localhost: browsers keep cookies apart by path, not by port). The Host header must name the served
address or a loopback name and a websocket's Origin must match it (no DNS rebinding, no other site's
page driving it); no page may be framed; at most `serve.max_sessions` sessions run at once. On a
loopback address it listens on 127.0.0.1 and ::1 both, the two places `localhost` may lead, or does
not start. `--socket PATH` listens on a Unix socket (0600, made through a descriptor of a folder only
its owner can enter) instead of a port: `ssh -L 8000:PATH host` forwards one.
"""

from __future__ import annotations

import errno
import hmac
import os
import secrets
import shlex
import socket
import stat
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from triage.cli.common import demo_dir, settings_of

__all__ = ["serve"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})
COOKIE = "triage-serve"


def _split_host(value: str) -> tuple[str, str]:
    """(host, port) of a Host header value ("[::1]:8000" -> ("::1", "8000"))."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return host, port


def _one_line_for_bad_requests(record: Any) -> bool:
    """A logging filter: aiohttp's "Error handling request" for a malformed request loses its traceback."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and type(exc).__module__.startswith("aiohttp.http_exceptions"):
        first = " ".join(str(exc).split())[:200]
        record.msg, record.args = f"{record.getMessage()}: {type(exc).__name__}: {first}", ()
        record.exc_info = record.exc_text = None
    return True


def is_loopback(host: str) -> bool:
    """True for a name or address of this host's loopback."""
    return host.strip("[]").lower() in LOOPBACK_NAMES


def loopback_sockets(port: int) -> list[socket.socket]:
    """Listening sockets on 127.0.0.1 and ::1 at `port`: every address `localhost` may name. OSError
    when either is taken (another user listening there would be sent the browser's requests); a host
    without IPv6 gets 127.0.0.1 alone."""
    made: list[socket.socket] = []
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here: ::1 names nothing
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # never a port someone listens on
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((address, port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            if family == socket.AF_INET6 and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                continue
            for other in made:
                other.close()
            shown = f"[{address}]" if ":" in address else address
            raise OSError(exc.errno, f"{shown}:{port} is taken ({exc.strerror}); `localhost` may lead there, "
                                     "so triage serve does not start: choose another --port") from None
        made.append(sock)
    return made


def make_server(command: str, *, host: str, port: int, socket_path: Path | None, max_sessions: int,
                token: str, announce: Any = lambda: None, prefix: str = "",
                socket_folder: int | None = None) -> Any:
    """A textual-serve Server under the path /`prefix`/ that checks the token, Host and Origin, forbids
    framing and caps the sessions. With `socket_folder` (a descriptor of the socket's folder) the
    socket is made through it."""
    from aiohttp import web
    from textual_serve.server import Server

    cookie = f"{COOKIE}-{port}" if socket_path is None else f"{COOKIE}-sock"
    prefix = prefix or secrets.token_urlsafe(16)
    if socket_path is not None and socket_folder is None:
        socket_path, socket_folder = open_socket_folder(socket_path)
    base = f"/{prefix}/"

    async def no_framing(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"

    class GuardedServer(Server):
        sessions = 0  # websockets open now

        def _host_ok(self, request: web.Request) -> bool:
            name, given_port = _split_host(request.headers.get("Host", ""))
            if name in LOOPBACK_NAMES or name == "::1":
                return True  # any port: an SSH forward may use another local port
            return socket_path is None and name == host.lower() and given_port == str(port)

        def _origin_ok(self, request: web.Request) -> bool:
            origin = request.headers.get("Origin")
            if origin is None:
                # browsers always send one on a websocket
                upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
                return not upgrade and request.path != f"{base}ws"
            try:
                parts = urlsplit(origin)
            except ValueError:
                return False
            return parts.scheme in ("http", "https") and parts.netloc.lower() == request.headers.get(
                "Host", "").strip().lower()

        def _token_ok(self, given: object) -> bool:
            """The token, compared in constant time; anything else (not text, not ASCII, a lone
            surrogate from bytes that are not UTF-8) is simply not it."""
            if not isinstance(given, str) or not given.isascii():
                return False
            return hmac.compare_digest(given.encode("ascii"), token.encode("ascii"))

        @web.middleware
        async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
            try:
                refused = self._refusal(request)
            except Exception:  # noqa: BLE001 - a request too odd to check is refused, never a 500
                refused = web.Response(status=403, text="triage serve: refused: a request that cannot be "
                                                        "checked\n")
            return refused if refused is not None else await handler(request)

        def _refusal(self, request: web.Request) -> web.StreamResponse | None:
            """The response that refuses `request`, or None to serve it."""
            first = request.path[1:].split("/", 1)[0]
            if not (hmac.compare_digest(first.encode("utf-8", "replace"), prefix.encode())
                    and request.path.startswith(base)):
                return web.Response(status=404, text="triage serve: nothing here (open the URL triage serve "
                                                     "printed)\n")
            if not self._host_ok(request):
                return web.Response(status=403, text="triage serve: refused: the Host header names another "
                                                     "site (open the URL triage serve printed)\n")
            if not self._origin_ok(request):
                return web.Response(status=403, text="triage serve: refused: the request comes from another "
                                                     "site's page\n")
            if self._token_ok(request.query.get("token")):
                query = {k: v for k, v in request.query.items() if k != "token"}
                target = request.rel_url.with_query(query) if query else request.rel_url.with_query(None)
                # a path only, on this server (a browser reads "//site/x" and "/\\site/x" as another site)
                response = web.Response(status=303, headers={"Location": "/" + str(target).lstrip("/\\")})
                response.set_cookie(cookie, token, httponly=True, samesite="Strict", path=base)
                return response
            if not self._token_ok(request.cookies.get(cookie)):
                return web.Response(status=403, text="triage serve: refused: open the URL with the secret "
                                                     "token that `triage serve` printed\n")
            return None

        async def _make_app(self) -> web.Application:
            served = await super()._make_app()
            app = web.Application(middlewares=[self.guard])
            app.add_subapp(base.rstrip("/"), served)  # every route under the secret path
            app.on_response_prepare.append(no_framing)
            return app

        def _full(self) -> web.Response | None:
            if self.sessions < max_sessions:
                return None
            return web.Response(status=503, text=f"triage serve: {self.sessions} sessions are open "
                                                 f"already (serve.max_sessions = {max_sessions}): "
                                                 "close one and reload\n")

        async def handle_index(self, request: web.Request) -> Any:
            full = self._full()
            if full is not None:
                return full
            self.public_url = f"{request.scheme}://{request.host}"  # the address the browser used
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> Any:
            full = self._full()
            if full is not None:
                return full
            self.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions -= 1

        async def on_startup(self, app: web.Application) -> None:
            """Nothing printed: the command line holds paths, the URL was printed already."""

        def initialize_logging(self) -> None:
            """triage's own log (set up by the command); no access log (URLs hold the token). A request
            so malformed that aiohttp answers 400 itself is one log line, not a traceback: anyone on the
            host can send those."""
            import logging

            logging.getLogger("aiohttp.server").addFilter(_one_line_for_bad_requests)

        def serve(self, debug: bool = False) -> None:
            import asyncio

            self.debug = debug
            self.initialize_logging()
            asyncio.run(self._run())

        async def _run(self) -> None:
            import asyncio
            import signal

            runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
            await runner.setup()
            try:
                if socket_path is not None:
                    await web.SockSite(runner, unix_socket(socket_path, socket_folder)).start()
                elif is_loopback(host):
                    for sock in loopback_sockets(port):
                        await web.SockSite(runner, sock).start()
                else:
                    await web.TCPSite(runner, host, port).start()
                announce()
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                await stop.wait()
            finally:
                await runner.cleanup()
                if socket_path is not None:
                    try:
                        name, where = socket_path.name, socket_folder
                        if stat.S_ISSOCK(os.stat(name, dir_fd=where, follow_symlinks=False).st_mode):
                            os.unlink(name, dir_fd=where)
                    except OSError:
                        pass

    return GuardedServer(command, host=host, port=port, title="triage")


def open_socket_folder(path: Path) -> tuple[Path, int]:
    """The socket path to listen on and a descriptor of its folder, opened without following a link
    (O_NOFOLLOW) and checked through the descriptor to be only ours; a stale socket of ours removed;
    UsageError naming the path otherwise. The socket is then made through the descriptor, so no link
    swapped in for the folder afterwards can move it."""
    from triage.infra.private import private_dir

    path = path.expanduser().absolute()
    folder = path.parent
    try:
        if not os.path.lexists(folder):
            private_dir(folder)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        why = "it is a symbolic link" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else exc.strerror or exc
        raise click.UsageError(f"--socket {path}: its folder cannot be used ({why})") from None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
            raise click.UsageError(f"--socket {path}: its folder {folder} is open to other users; put the "
                                   "socket in a folder only you can enter (mode 0700), e.g. "
                                   "~/.triage/serve.sock")
        _clear_stale(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return path, fd


def _clear_stale(path: Path, folder: int) -> None:
    """Remove a socket of a killed run at `path` (in the folder open on `folder`); UsageError when
    something else is there or a server listens on it."""
    try:
        old = os.stat(path.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(old.st_mode):
        raise click.UsageError(f"--socket {path}: a file that is not a socket is in the way")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(_through(folder, path.name))
        except OSError:
            os.unlink(path.name, dir_fd=folder)  # nobody listens: a socket left by a run that was killed
            return
    raise click.UsageError(f"--socket {path}: another server is listening on it")


def _through(folder: int, name: str) -> str:
    """A path to `name` in the folder open on `folder` that no link can redirect (Linux's /proc)."""
    return f"/proc/self/fd/{folder}/{name}"


def unix_socket(path: Path, folder: int | None) -> socket.socket:
    """A listening Unix socket, 0600, made in the folder open on `folder` (see open_socket_folder); where
    /proc is missing it is made by path and the folder checked again after the bind."""
    if folder is None:
        path, folder = open_socket_folder(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket is born 0600 (its folder is 0700 as well)
    try:
        direct = os.path.isdir(f"/proc/self/fd/{folder}")
        sock.bind(_through(folder, path.name) if direct else str(path))
        if not direct:
            now, held = os.lstat(path.parent), os.fstat(folder)
            if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino) or stat.S_ISLNK(now.st_mode):
                sock.close()
                raise OSError(errno.ELOOP, "its folder was swapped for another while the socket was made")
        os.chmod(path.name, 0o600, dir_fd=folder)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    finally:
        os.umask(old)
    return sock


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback sends the token over the network in clear.")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (default: serve.port).")
@click.option("--socket", "socket_path", default=None, type=click.Path(path_type=Path),
              help="Listen on this Unix socket (0600) instead of a port; forward it: ssh -L 8000:PATH host.")
@click.option("--demo", "use_demo", is_flag=True, help="Serve the demo inbox.")
@click.argument("inbox", nargs=-1, type=click.Path())
@click.pass_context
def serve(ctx: click.Context, host: str, port: int | None, socket_path: Path | None, use_demo: bool,
          inbox: tuple[str, ...]) -> None:
    """Serve the TUI in a web browser (textual-serve), for whoever has the secret token printed at start.

    Each browser session starts a triage process on the same decisions file (at most
    serve.max_sessions at once). Reach it over SSH: `ssh -L 8000:127.0.0.1:PORT host`, or with
    --socket, `ssh -L 8000:PATH host`; then open the printed URL with the local port."""
    from triage.infra.log import setup_logging

    settings = settings_of(ctx, inbox=inbox)
    if port is not None and socket_path is not None:
        raise click.UsageError("give --port or --socket, not both")
    folders = [str(demo_dir())] if use_demo else [str(p) for p in settings.inbox]
    if not folders:
        raise click.UsageError("no inbox: give an INBOX folder or --demo")
    port = int(port if port is not None else settings.serve.port)
    folder = None
    if socket_path is not None:
        socket_path, folder = open_socket_folder(socket_path)
    setup_logging(settings.data_dir, group=settings.store.group_share)
    if socket_path is None and not is_loopback(host):
        click.echo(f"triage: warning: serving on {host}, not loopback: the token crosses the network in "
                   "clear text; prefer an SSH forward to 127.0.0.1 or --socket", err=True)
    parts = [sys.executable, "-m", "triage"]
    if ctx.obj.get("config"):
        parts += ["--config", ctx.obj["config"]]
    parts += ["--db", settings.db, *folders]
    token, prefix = secrets.token_urlsafe(32), secrets.token_urlsafe(16)

    def announce() -> None:
        if socket_path is not None:
            click.echo(f"Serving on the Unix socket {socket_path}. "
                       f"Forward it: ssh -L 8000:{socket_path} HOST", err=True)
            click.echo(f"Then open: http://localhost:8000/{prefix}/?token={token}")
        else:
            shown = f"[{host}]" if ":" in host else host
            click.echo(f"Open: http://{shown}:{port}/{prefix}/?token={token}")
        sys.stdout.flush()

    server = make_server(" ".join(shlex.quote(p) for p in parts), host=host, port=port,
                         socket_path=socket_path, max_sessions=settings.serve.max_sessions,
                         token=token, announce=announce, prefix=prefix, socket_folder=folder)
    try:
        server.serve()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {socket_path or f'{host}:{port}'} "
                                   f"({exc.strerror or exc})") from None
