"""Round two against `triage serve`: the cookie stays on its own server (a secret path, the cookie's
Path), localhost's other address cannot be taken by another user, no page can be framed, and the
socket is made in the folder that was checked, whatever link is swapped in after."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import click
import pytest

from tests.cli.test_serve import SETPRIV, _free_port, _path, _start, _stop, _token
from tests.sources.hostile_server import HostileServer

AS_NOBODY = [SETPRIV or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_the_cookie_is_never_sent_to_another_server_on_localhost(tmp_path):
    """Hole 5: `Path=/` made a browser send the cookie to every other port of 127.0.0.1 (RFC 6265 §8.5)."""
    seen: list[bytes] = []

    def record(conn, request):
        seen.append(request)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    other = HostileServer({"/": record, "/dashboard": record}, max_requests=5, lifetime=60)
    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port))
    try:
        async def go():
            jar = aiohttp.CookieJar(unsafe=True)  # keeps 127.0.0.1's cookies as a browser does
            async with aiohttp.ClientSession(cookie_jar=jar) as s:
                async with s.get(url) as r:  # token -> cookie -> the page
                    assert r.status == 200
                cookies = [(c.key, c["path"]) for c in jar]
                for path in ("/", "/dashboard"):
                    async with s.get(f"http://127.0.0.1:{other.port}{path}") as r:
                        await r.read()
                return cookies

        cookies = asyncio.run(go())
    finally:
        _stop(proc)
        other.close()
    assert cookies == [(f"triage-serve-{port}", f"{_path(url)}/")]
    assert len(seen) == 2 and not any(b"triage-serve" in request for request in seen)


def test_no_page_it_serves_can_be_framed(tmp_path):
    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port))
    try:
        async def heads():
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
                out = []
                for target in (url, f"http://127.0.0.1:{port}{_path(url)}/static/js/textual.js",
                               f"http://127.0.0.1:{port}/nothing"):
                    async with s.get(target) as r:
                        out.append((r.status, r.headers.get("X-Frame-Options"),
                                    r.headers.get("Content-Security-Policy")))
                async with aiohttp.ClientSession() as bare, bare.get(url.split("?")[0]) as r:
                    out.append((r.status, r.headers.get("X-Frame-Options"),
                                r.headers.get("Content-Security-Policy")))
                return out

        got = asyncio.run(heads())
    finally:
        _stop(proc)
    assert [status for status, _, _ in got] == [200, 200, 404, 403]
    assert all(xfo == "DENY" and csp == "frame-ancestors 'none'" for _, xfo, csp in got)


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_it_listens_on_both_addresses_localhost_may_name(tmp_path):
    port = _free_port()
    proc, url = _start(tmp_path, "--port", str(port))
    try:
        async def get(host: str) -> int:
            async with aiohttp.ClientSession() as s, s.get(f"http://{host}:{port}{_path(url)}/") as r:
                return r.status

        assert asyncio.run(get("127.0.0.1")) == 403 and asyncio.run(get("[::1]")) == 403
    finally:
        _stop(proc)


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs root and setpriv to act as uid 65534")
@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_another_user_on_the_other_loopback_address_stops_it_from_starting(tmp_path):
    """Hole 6: another user listening on [::1]:PORT got the token where `localhost` resolves to ::1."""
    port = _free_port()
    squat = subprocess.Popen(
        [*AS_NOBODY, sys.executable, "-c",
         "import socket,sys,time\ns=socket.socket(socket.AF_INET6)\ns.bind(('::1',int(sys.argv[1])))\n"
         "s.listen()\nprint('ready',flush=True)\ntime.sleep(60)", str(port)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert squat.stdout.readline().strip() == "ready"
        out = subprocess.run([sys.executable, "-m", "triage", "--db", str(tmp_path / "d.json"), "serve",
                              "--demo", "--port", str(port)], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
                                      XDG_DATA_HOME=str(tmp_path / "data")))
    finally:
        squat.kill()
        squat.wait()
    assert out.returncode != 0 and "token=" not in out.stdout
    assert f"[::1]:{port} is taken" in out.stderr and "another --port" in out.stderr


def test_a_socket_folder_that_is_a_link_is_refused(tmp_path):
    from triage.cli.serve import open_socket_folder

    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(mine)
    with pytest.raises(click.UsageError, match="symbolic link"):
        open_socket_folder(tmp_path / "link" / "serve.sock")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the planted folder to uid 65534")
def test_a_link_swapped_in_after_the_check_does_not_move_the_socket():
    """Hole 7: the folder was checked with stat and bound later by path; a link swapped in between put
    the socket in another user's 0777 folder."""
    from triage.cli.serve import open_socket_folder, unix_socket

    top = Path(tempfile.mkdtemp(prefix="triage-swap-"))
    try:
        mine, theirs = top / "run", top / "theirs"
        mine.mkdir(mode=0o700)
        theirs.mkdir()
        os.chown(theirs, 65534, 65534)
        theirs.chmod(0o777)
        path, folder = open_socket_folder(mine / "serve.sock")
        mine.rename(top / "moved")  # the other user's swap: the folder's name now leads to their folder
        mine.symlink_to(theirs)
        sock = unix_socket(path, folder)
        try:
            assert list(theirs.iterdir()) == []  # nothing was made in the other user's folder
            made = top / "moved" / "serve.sock"
            assert stat.S_ISSOCK(made.lstat().st_mode) and stat.S_IMODE(made.lstat().st_mode) == 0o600
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(made))  # and it is the one listening
        finally:
            sock.close()
            os.close(folder)
    finally:
        import shutil

        shutil.rmtree(top, ignore_errors=True)


def test_the_printed_url_names_the_secret_path_and_a_new_one_each_run(tmp_path):
    a, url_a = _start(tmp_path, "--port", str(_free_port()))
    _stop(a)
    time.sleep(0.1)
    b, url_b = _start(tmp_path, "--port", str(_free_port()))
    _stop(b)
    assert len(_path(url_a)) > 16 and _path(url_a) != _path(url_b) and _token(url_a) != _token(url_b)
