"""`triage serve` as a second local user or another site would try it: a real server in a subprocess on
127.0.0.1 (and on a Unix socket), real HTTP and websocket clients."""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

TRIAGE = [sys.executable, "-m", "triage"]
SETPRIV = shutil.which("setpriv")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path: Path, *args: str, max_sessions: int = 3) -> tuple[subprocess.Popen, str]:
    """Start `triage serve --demo ARGS`; (process, the URL it printed)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[serve]\nmax_sessions = {max_sessions}\n", encoding="utf-8")
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
    )
    proc = subprocess.Popen(
        [*TRIAGE, "--config", str(cfg), "--db", str(tmp_path / "d.json"), "serve", "--demo", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
            if "token=" in line:
                return proc, line.split()[-1]
            if not line:
                break
    proc.kill()
    raise AssertionError(f"triage serve printed no URL: {proc.stderr.read()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port), max_sessions=1)
    yield port, url
    _stop(proc)


def _session(**kw) -> aiohttp.ClientSession:
    """A client that keeps cookies of 127.0.0.1 as a browser does (aiohttp's default jar drops them)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kw)


def _token(url: str) -> str:
    return url.rsplit("token=", 1)[1]


async def _get(url: str, **kw) -> tuple[int, str, dict]:
    async with _session() as s, s.get(url, allow_redirects=False, **kw) as r:
        return r.status, await r.text(), dict(r.cookies)


def test_the_printed_url_carries_a_token_of_its_own_each_run(tmp_path):
    a, url_a = _start(tmp_path, "--port", str(_free_port()))
    _stop(a)
    b, url_b = _start(tmp_path, "--port", str(_free_port()))
    _stop(b)
    assert len(_token(url_a)) >= 40 and _token(url_a) != _token(url_b)


def test_no_token_and_a_wrong_token_are_refused(served):
    port, url = served
    status, body, _ = asyncio.run(_get(f"http://127.0.0.1:{port}/"))
    assert status == 403 and "secret token" in body
    status, _, _ = asyncio.run(_get(f"http://127.0.0.1:{port}/?token=" + "x" * len(_token(url))))
    assert status == 403
    for path in ("/static/js/textual.js", "/download/x"):  # everything it serves, not only the page
        assert asyncio.run(_get(f"http://127.0.0.1:{port}{path}"))[0] == 403


async def _open_page(port: int, token: str, session: aiohttp.ClientSession) -> str:
    async with session.get(f"http://127.0.0.1:{port}/?token={token}", allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/"  # the token leaves the address bar
    async with session.get(f"http://127.0.0.1:{port}/") as r:
        assert r.status == 200
        return await r.text()


def test_the_right_token_serves_the_page_and_the_websocket_upgrades(served):
    port, url = served

    async def go():
        async with _session() as s:
            page = await _open_page(port, _token(url), s)
            assert f"ws://127.0.0.1:{port}/ws" in page
            origin = {"Origin": f"http://127.0.0.1:{port}"}
            async with s.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24", headers=origin) as ws:
                msg = await asyncio.wait_for(ws.receive(), 60)  # the triage process draws its screen
                return msg.type

    assert asyncio.run(go()) in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)


def test_a_websocket_from_another_sites_page_is_refused(served):
    port, url = served

    async def go(origin: str | None):
        async with _session() as s:
            await _open_page(port, _token(url), s)
            headers = {"Origin": origin} if origin else {}
            try:
                async with s.ws_connect(f"ws://127.0.0.1:{port}/ws", headers=headers):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert asyncio.run(go("http://evil.example")) == 403
    assert asyncio.run(go(f"http://127.0.0.1:{_free_port()}")) == 403
    assert asyncio.run(go(None)) == 403


def test_a_foreign_host_header_is_refused_even_with_the_token(served):
    port, url = served
    status, body, _ = asyncio.run(_get(url, headers={"Host": f"rebound.example:{port}"}))
    assert status == 403 and "Host header" in body


def test_sessions_beyond_the_cap_are_refused_with_a_reason(served):
    port, url = served

    async def go():
        async with _session() as s:
            await _open_page(port, _token(url), s)
            origin = {"Origin": f"http://127.0.0.1:{port}"}
            async with s.ws_connect(f"ws://127.0.0.1:{port}/ws", headers=origin):
                async with s.get(f"http://127.0.0.1:{port}/") as r:
                    page = (r.status, await r.text())
                try:
                    async with s.ws_connect(f"ws://127.0.0.1:{port}/ws", headers=origin):
                        second = 101
                except aiohttp.WSServerHandshakeError as exc:
                    second = exc.status
            return page, second

    (status, text), second = asyncio.run(go())
    assert status == 503 and "serve.max_sessions = 1" in text
    assert second == 503


@pytest.fixture
def on_socket(tmp_path):
    top = Path(tempfile.mkdtemp(prefix="triage-sock-"))  # outside pytest's 0700 folders
    os.chmod(top, 0o755)
    path = top / "run" / "serve.sock"
    proc, url = _start(tmp_path, "--socket", str(path))
    yield path, url
    _stop(proc)
    shutil.rmtree(top, ignore_errors=True)


def test_the_socket_is_0600_in_a_0700_folder_and_serves_with_the_token(on_socket):
    path, url = on_socket
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert url.startswith("http://localhost:8000/?token=")

    async def go(token: str):
        conn = aiohttp.UnixConnector(path=str(path))
        async with _session(connector=conn) as s:
            async with s.get(f"http://localhost:8000/?token={token}", allow_redirects=False) as r:
                first = r.status
            async with s.get("http://localhost:8000/") as r:
                return first, r.status

    assert asyncio.run(go("wrong")) == (403, 403)
    assert asyncio.run(go(_token(url))) == (303, 200)


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs root and setpriv to act as uid 65534")
def test_another_user_cannot_connect_to_the_socket(on_socket):
    path, _url = on_socket
    probe = (
        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
        "try:\n s.connect(sys.argv[1]); print('connected')\nexcept OSError as e: print(e.errno)\n"
    )

    def as_nobody() -> str:
        out = subprocess.run(
            [
                SETPRIV,
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-c",
                probe,
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return out.stdout.strip()

    assert as_nobody() == "13"  # EACCES: the folder is the owner's alone
    os.chmod(path.parent, 0o711)  # even with the folder opened up afterwards, the 0600 socket refuses
    assert as_nobody() == "13"


def test_a_socket_in_a_folder_others_can_enter_is_refused(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    out = subprocess.run(
        [*TRIAGE, "--db", str(tmp_path / "d.json"), "serve", "--demo", "--socket", str(folder / "s.sock")],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg")),
    )
    assert out.returncode == 2
    assert f"its folder {folder} is open to other users" in out.stderr


def test_port_and_socket_together_are_a_usage_error(tmp_path):
    out = subprocess.run(
        [
            *TRIAGE,
            "--db",
            str(tmp_path / "d.json"),
            "serve",
            "--demo",
            "--port",
            "8000",
            "--socket",
            str(tmp_path / "s.sock"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg")),
    )
    assert out.returncode == 2 and "give --port or --socket, not both" in out.stderr
