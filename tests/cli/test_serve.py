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
from urllib.parse import urlsplit

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


def _path(url: str) -> str:
    """The secret path the printed URL names ("/PREFIX"), under which everything is served."""
    return urlsplit(url).path.rstrip("/")


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
    base = f"http://127.0.0.1:{port}{_path(url)}"
    status, body, _ = asyncio.run(_get(f"{base}/"))
    assert status == 403 and "secret token" in body
    status, _, _ = asyncio.run(_get(f"{base}/?token=" + "x" * len(_token(url))))
    assert status == 403
    for path in ("/static/js/textual.js", "/download/x"):  # everything it serves, not only the page
        assert asyncio.run(_get(f"{base}{path}"))[0] == 403
    # nothing at all outside the secret path, the right token included
    assert asyncio.run(_get(f"http://127.0.0.1:{port}/?token={_token(url)}"))[0] == 404


async def _open_page(port: int, url: str, session: aiohttp.ClientSession) -> str:
    base = f"http://127.0.0.1:{port}{_path(url)}"
    async with session.get(f"{base}/?token={_token(url)}", allow_redirects=False) as r:
        # the token leaves the address bar
        assert r.status == 303 and r.headers["Location"] == f"{_path(url)}/"
    async with session.get(f"{base}/") as r:
        assert r.status == 200
        return await r.text()


def test_the_right_token_serves_the_page_and_the_websocket_upgrades(served):
    port, url = served

    async def go():
        async with _session() as s:
            page = await _open_page(port, url, s)
            assert f"ws://127.0.0.1:{port}{_path(url)}/ws" in page
            origin = {"Origin": f"http://127.0.0.1:{port}"}
            where = f"ws://127.0.0.1:{port}{_path(url)}/ws?width=80&height=24"
            async with s.ws_connect(where, headers=origin) as ws:
                msg = await asyncio.wait_for(ws.receive(), 60)  # the triage process draws its screen
                return msg.type

    assert asyncio.run(go()) in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)


def test_a_websocket_from_another_sites_page_is_refused(served):
    port, url = served

    async def go(origin: str | None):
        async with _session() as s:
            await _open_page(port, url, s)
            headers = {"Origin": origin} if origin else {}
            try:
                async with s.ws_connect(f"ws://127.0.0.1:{port}{_path(url)}/ws", headers=headers):
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
            await _open_page(port, url, s)
            origin = {"Origin": f"http://127.0.0.1:{port}"}
            async with s.ws_connect(f"ws://127.0.0.1:{port}{_path(url)}/ws", headers=origin):
                async with s.get(f"http://127.0.0.1:{port}{_path(url)}/") as r:
                    page = (r.status, await r.text())
                try:
                    async with s.ws_connect(f"ws://127.0.0.1:{port}{_path(url)}/ws", headers=origin):
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
    assert url.startswith("http://localhost:8000/") and "/?token=" in url

    async def go(token: str):
        conn = aiohttp.UnixConnector(path=str(path))
        async with _session(connector=conn) as s:
            async with s.get(f"http://localhost:8000{_path(url)}/?token={token}", allow_redirects=False) as r:
                first = r.status
            async with s.get(f"http://localhost:8000{_path(url)}/") as r:
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


# --- odd bytes in the cookie or the token ------------------------------------------------------------


def _raw(port: int, head: bytes, *, whole_head: bool = False) -> bytes:
    """The status line (or the whole response head) of one raw HTTP request (bytes no well-behaved
    client would send)."""
    end = b"\r\n\r\n" if whole_head else b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while end not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(end, 1)[0]


def test_a_cookie_that_is_not_utf8_or_a_malformed_token_is_refused_never_a_traceback(tmp_path):
    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port))
    try:
        host = f"Host: 127.0.0.1:{port}".encode()
        name = f"triage-serve-{port}".encode()
        token = _token(url).encode()
        at = _path(url).encode()
        cookie = b"\r\nCookie: " + name
        refused = [
            b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b"=\xff\xfe\xfd",  # not UTF-8
            b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b"=\xed\xa0\x80",  # a lone surrogate
            b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b"=" + token + "é".encode(),
            b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b'="' + token[:-1] + b'"',
            b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b"=; " + name + b"=x",
            b"GET " + at + b"/?token=%FF%FE HTTP/1.1\r\n" + host,
            b"GET " + at + b"/?token=%ED%A0%80 HTTP/1.1\r\n" + host,
            b"GET " + at + b"/?token=" + token + b"%00 HTTP/1.1\r\n" + host,
            b"GET " + at + b"/?token=&token= HTTP/1.1\r\n" + host,
            b"GET " + at + b"/ws?token=" + token[:-1] + b" HTTP/1.1\r\n" + host + b"\r\nOrigin: http://"
            + host[6:],
            b"GET " + at + b"/ HTTP/1.1\r\nHost: \xff\xfe",
            b"GET " + at + b"/ws HTTP/1.1\r\n" + host + b"\r\nOrigin: http://[::1",
        ]
        for head in refused:
            assert _raw(port, head).startswith(b"HTTP/1.1 403"), head
        # bytes HTTP itself forbids (a control character) are aiohttp's own 400, logged in one line
        control = b"GET " + at + b"/ HTTP/1.1\r\n" + host + cookie + b"=\x01"
        assert _raw(port, control).split()[1] == b"400"
        # the redirect that swaps the token for a cookie stays on this server
        for path in (b"//evil.example/", b"/\\evil.example/", b"/%5Cevil.example/", b"///evil.example/"):
            got = _raw(port, b"GET " + at + path + b"?token=" + token + b" HTTP/1.1\r\n" + host,
                       whole_head=True)
            assert got.startswith(b"HTTP/1.1 303"), path
            [location] = [line.split(b":", 1)[1].strip() for line in got.split(b"\r\n")
                          if line.lower().startswith(b"location:")]
            # a path on this server: a browser reads "//x" and "/\\x" as another site
            assert location.startswith(b"/") and location[1:2] not in (b"/", b"\\"), (path, location)
    finally:
        _stop(proc)
    log = (tmp_path / "data" / "triage" / "triage.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "500" not in log


# --- attack 1, as the other user would replay it -----------------------------------------------------------

_ATTACK = r"""
import asyncio, json, os, re, sys
import aiohttp

port, tokenlen, at = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
root = f"http://127.0.0.1:{port}"
base = root + at  # the worst case: the other user learnt the secret path, not the token

async def ws(headers, cookies=None):
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, cookies=cookies) as s:
        try:
            async with s.ws_connect(f"ws://127.0.0.1:{port}{at}/ws?width=80&height=24", headers=headers) as w:
                await w.send_str(json.dumps(["stdin", "x"]))  # the flag key, if anything got through
                await asyncio.sleep(3)
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status

async def page():
    async with aiohttp.ClientSession() as s:
        async with s.get(base + "/", allow_redirects=False) as r:
            return r.status

async def main():
    out = {"page": await page()}
    out["ws_foreign_origin"] = await ws({"Origin": "http://evil.example"})
    out["ws_own_origin_no_token"] = await ws({"Origin": root})
    out["ws_guessed_cookie"] = await ws({"Origin": root}, {f"triage-serve-{port}": "A" * tokenlen})
    out["ws_no_origin"] = await ws({})
    seen = []
    for pid in os.listdir("/proc"):  # the token is in no command line the other user can read
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                seen.append(fh.read())
        except OSError:
            pass
    out["cmdlines"] = len(seen)
    out["token_in_a_cmdline"] = any(re.search(rb"token=[A-Za-z0-9_-]{40}", c) for c in seen)
    print(json.dumps(out))

asyncio.run(main())
"""


NOBODY = [SETPRIV or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def nobody_python() -> list[str]:
    """This Python, run as uid 65534 (skipped where that cannot be done)."""
    if SETPRIV is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to act as uid 65534")
    probe = subprocess.run([*NOBODY, sys.executable, "-c", "import aiohttp"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("uid 65534 cannot run this Python with aiohttp")
    return [*NOBODY, sys.executable]


def test_attack_1_another_local_user_cannot_read_or_drive_the_served_tui(tmp_path, nobody_python):
    import json

    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port))
    try:
        out = subprocess.run([*nobody_python, "-c", _ATTACK, str(port), str(len(_token(url))), _path(url)],
                             capture_output=True, text=True, timeout=120, cwd="/")
        assert out.returncode == 0, out.stderr
        seen = json.loads(out.stdout)
    finally:
        _stop(proc)
    assert seen["page"] == 403
    assert seen["ws_foreign_origin"] == 403 and seen["ws_own_origin_no_token"] == 403
    assert seen["ws_guessed_cookie"] == 403 and seen["ws_no_origin"] == 403
    assert seen["cmdlines"] > 0 and not seen["token_in_a_cmdline"]
    db = tmp_path / "d.json"
    assert not db.exists() or '"flag"' not in db.read_text(encoding="utf-8")  # no flag "by" the owner
