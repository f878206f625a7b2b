"""`triage serve` end to end: headless Chromium opens the printed URL (with its token) and receives the
article list."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian package 'chromium')"),
]

# Record what the page's websocket receives: textual-serve draws on a canvas, so the terminal stream
# the browser gets is the observable "what the user sees".
HOOK = """
window.__frames = [];
const NativeWS = window.WebSocket;
window.WebSocket = function(url, protocols) {
  const ws = protocols ? new NativeWS(url, protocols) : new NativeWS(url);
  ws.addEventListener('message', (e) => {
    const d = e.data;
    if (typeof d === 'string') { window.__frames.push(d); }
    else if (d instanceof Blob) { d.arrayBuffer().then(b => window.__frames.push(new TextDecoder().decode(b))); }
    else { window.__frames.push(new TextDecoder().decode(d)); }
  });
  return ws;
};
window.WebSocket.prototype = NativeWS.prototype;
Object.assign(window.WebSocket, NativeWS);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _printed_url(server: subprocess.Popen, timeout: float) -> str:
    """The URL (with its secret token) that `triage serve` prints once it listens."""
    import select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([server.stdout], [], [], 1)[0]:
            line = server.stdout.readline()
            if "token=" in line:
                return line.split()[-1]
            if not line:
                break
    raise AssertionError("triage serve printed no URL")


def _wait_http(url: str, timeout: float) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def _received_text(devtools_port: int, page_url: str, needle: str, timeout: float) -> str:
    import aiohttp  # textual-serve's own dependency

    targets = httpx.get(f"http://127.0.0.1:{devtools_port}/json/list", timeout=5).json()
    ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        ids = iter(range(1, 10_000))

        async def call(method: str, **params):
            msg_id = next(ids)
            await ws.send_str(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                reply = json.loads((await ws.receive()).data)
                if reply.get("id") == msg_id:
                    return reply.get("result", {})

        await call("Page.enable")
        await call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
        await call("Page.navigate", url=page_url)
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            res = await call(
                "Runtime.evaluate", expression="(window.__frames || []).join('')", returnByValue=True
            )
            text = res.get("result", {}).get("value") or ""
            if needle in text:
                return text
            await asyncio.sleep(0.5)
        return text


def test_serve_shows_the_article_list_in_headless_chromium(tmp_path):
    port, devtools = _free_port(), _free_port()
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
    )
    triage = Path(sys.executable).with_name("triage")
    server = subprocess.Popen(
        [str(triage), "--db", str(tmp_path / "d.json"), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    browser = None
    try:
        url = _printed_url(server, timeout=60)
        secret_path = url.split("?token=")[0]  # everything lives under a secret path
        assert _wait_http(secret_path, timeout=30).status_code == 403  # no token, no page
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 404
        with httpx.Client(follow_redirects=True) as client:  # the token becomes a cookie, the page loads
            page = client.get(url, timeout=10)
            assert page.status_code == 200
            assert page.headers["X-Frame-Options"] == "DENY"  # no other site's page frames it
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'chrome'}",
                f"--remote-debugging-port={devtools}",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_http(f"http://127.0.0.1:{devtools}/json/version", timeout=30)
        text = asyncio.run(_received_text(devtools, url, "Inbox 50", timeout=90))
        assert "Inbox 50" in text
        assert "Magnitogorsk" in text or "NASA" in text
    finally:
        for proc in (browser, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
