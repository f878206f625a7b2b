"""`triage ingest` and `triage fetch` (the click commands of triage/commands/ingest.py)."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sources.conftest import copy_demo
from triage.cli.ingest import fetch, ingest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text("", encoding="utf-8")
    e = {"TRIAGE_DATA_DIR": str(tmp_path / "data"), "TRIAGE_CONFIG": str(cfg)}
    for k, v in e.items():
        monkeypatch.setenv(k, v)
    return e


def run(cmd, args: list[str]):
    return CliRunner().invoke(cmd, args)  # click >= 8.2 keeps stdout and stderr apart


def test_ingest_json_contract(env, inbox: Path, afp: Path, nasa_rss: Path) -> None:
    shutil.copy(afp, inbox)
    copy_demo(inbox, ["01-", "02-", "03-", "09-", "46-"])
    shutil.copy(nasa_rss, inbox / "nasa.xml")
    (inbox / "broken.json").write_text("[", encoding="utf-8")
    r = run(ingest, [str(inbox), "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 16
    for row in rows:
        assert {"id", "title", "source", "url", "published", "text", "path"} <= set(row)
    wire = next(row for row in rows if "wire-afp" in row["path"])
    assert wire["title"].startswith("Russia begins mobilizing")
    assert sum(1 for row in rows if row.get("duplicates_of")) == 1
    assert r.stderr.strip().splitlines() == [
        f"triage: {inbox / 'broken.json'}: is not valid JSON (Expecting value at line 1 column 2)"
    ]
    assert (Path(env["TRIAGE_DATA_DIR"]) / "ingest-cache.sqlite").exists()


def test_ingest_table_and_exit_codes(env, inbox: Path) -> None:
    copy_demo(inbox, ["01-"])
    r = run(ingest, [str(inbox)])
    assert r.exit_code == 0 and "Magnitogorsk apartment building" in r.stdout
    empty = inbox / "empty"
    empty.mkdir()
    (empty / "x.txt").write_bytes(b"")
    r = run(ingest, [str(empty), "--json", "--no-cache"])
    assert r.exit_code == 1 and r.stdout == ""
    problem, summary = r.stderr.strip().split("\n")
    assert problem == f"triage: {empty / 'x.txt'}: is empty"
    assert summary.startswith(f"triage: No stories in {empty}; 1 file could not be read")
    r = run(ingest, [str(inbox / "nope")])
    assert r.exit_code == 1 and "does not exist" in r.stderr


def test_fetch_configured_feeds(env, tmp_path: Path, nasa_rss: Path) -> None:
    body = nasa_rss.read_bytes()

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/rss":
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        Path(env["TRIAGE_CONFIG"]).write_text(
            f'[[feeds]]\nurl = "{base}/rss"\nname = "NASA"\n\n[[feeds]]\nurl = "{base}/down"\nname = "Down"\n',
            encoding="utf-8",
        )
        r = run(fetch, [])
        assert r.exit_code == 0, r.output
        assert "10 articles in the spool from 1 of 2 feeds" in r.stdout
        assert f"triage: {base}/down: feed returned HTTP 500 Internal Server Error" in r.stderr
        spool = Path(env["TRIAGE_DATA_DIR"]) / "spool"
        assert len(list(spool.glob("*.spool.jsonl"))) == 1
        r = run(ingest, [str(spool), "--json"])
        assert r.exit_code == 0 and len(r.stdout.splitlines()) == 10
    finally:
        srv.shutdown()
        srv.server_close()
    Path(env["TRIAGE_CONFIG"]).write_text("", encoding="utf-8")
    r = run(fetch, [])
    assert r.exit_code == 1 and "no feeds configured" in r.stderr
