"""`triage serve`: the TUI in a web browser through textual-serve, for its owner only.

Each run makes a secret token, printed once in the URL to open; the page, its files and the websocket
refuse anyone without it (the first visit swaps the token in the URL for a cookie). The Host header
must name the served address or a loopback name and a websocket's Origin must match it (no DNS
rebinding, no other site's page driving it); at most `serve.max_sessions` sessions run at once.
`--socket PATH` listens on a Unix socket (0600, in a folder only its owner can enter) instead of a
port: `ssh -L 8000:PATH host` forwards one.
"""

from __future__ import annotations

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


def make_server(command: str, *, host: str, port: int, socket_path: Path | None, max_sessions: int,
                token: str, announce: Any = lambda: None) -> Any:
    """A textual-serve Server that checks the token, Host and Origin and caps the sessions."""
    from aiohttp import web
    from textual_serve.server import Server

    cookie = f"{COOKIE}-{port}" if socket_path is None else f"{COOKIE}-sock"

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
                return request.path != "/ws"  # browsers always send one on a websocket
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
                response.set_cookie(cookie, token, httponly=True, samesite="Strict", path="/")
                return response
            if not self._token_ok(request.cookies.get(cookie)):
                return web.Response(status=403, text="triage serve: refused: open the URL with the secret "
                                                     "token that `triage serve` printed\n")
            return None

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(self.guard)
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
                    old = os.umask(0o177)  # the socket is born 0600 (its folder is 0700 as well)
                    try:
                        await web.UnixSite(runner, str(socket_path)).start()
                    finally:
                        os.umask(old)
                    os.chmod(socket_path, 0o600)
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
                        if stat.S_ISSOCK(os.lstat(socket_path).st_mode):
                            os.unlink(socket_path)
                    except OSError:
                        pass

    return GuardedServer(command, host=host, port=port, title="triage")


def _check_socket_path(path: Path) -> Path:
    """The socket path to listen on: its folder made (0700) or checked to be only ours; a stale socket
    of ours removed; UsageError naming the path otherwise."""
    from triage.infra.private import private_dir

    path = path.expanduser().absolute()
    folder = path.parent
    try:
        if not folder.exists():
            private_dir(folder)
        st = os.stat(folder)
    except OSError as exc:
        raise click.UsageError(f"--socket {path}: its folder cannot be made ({exc.strerror or exc})") \
            from None
    if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise click.UsageError(f"--socket {path}: its folder {folder} is open to other users; put the socket "
                               "in a folder only you can enter (mode 0700), e.g. ~/.triage/serve.sock")
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        return path
    if not stat.S_ISSOCK(old.st_mode):
        raise click.UsageError(f"--socket {path}: a file that is not a socket is in the way")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            os.unlink(path)  # nobody listens: a socket left by a run that was killed
            return path
    raise click.UsageError(f"--socket {path}: another server is listening on it")


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
    if socket_path is not None:
        socket_path = _check_socket_path(socket_path)
    setup_logging(settings.data_dir, group=settings.store.group_share)
    if socket_path is None and host.strip("[]").lower() not in LOOPBACK_NAMES:
        click.echo(f"triage: warning: serving on {host}, not loopback: the token crosses the network in "
                   "clear text; prefer an SSH forward to 127.0.0.1 or --socket", err=True)
    parts = [sys.executable, "-m", "triage"]
    if ctx.obj.get("config"):
        parts += ["--config", ctx.obj["config"]]
    parts += ["--db", str(settings.db_path), *folders]
    token = secrets.token_urlsafe(32)

    def announce() -> None:
        if socket_path is not None:
            click.echo(f"Serving on the Unix socket {socket_path}. "
                       f"Forward it: ssh -L 8000:{socket_path} HOST", err=True)
            click.echo(f"Then open: http://localhost:8000/?token={token}")
        else:
            shown = f"[{host}]" if ":" in host else host
            click.echo(f"Open: http://{shown}:{port}/?token={token}")
        sys.stdout.flush()

    server = make_server(" ".join(shlex.quote(p) for p in parts), host=host, port=port,
                         socket_path=socket_path, max_sessions=settings.serve.max_sessions,
                         token=token, announce=announce)
    try:
        server.serve()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {socket_path or f'{host}:{port}'} "
                                   f"({exc.strerror or exc})") from None
