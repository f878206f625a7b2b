"""`triage decisions` and `triage decide` on a PostgreSQL store (`--db URL`, before or after the command);
`triage recover` refuses a URL in one sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import isolate
from triage.model import Article


def triage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `triage` command."""
    command = str(Path(sys.executable).with_name("triage"))
    return subprocess.run([command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_decisions_exports_the_rows_in_postgresql(pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    ann = pg.open(user="ann")
    strike = Article(id="p1", title="Port strike ends", text=".", source="Wire", version="3")
    ann.decide(strike, "flag", "call")
    ann.decide("p2", "archive")
    ann.close()
    url = pg.url_for("bob")
    for args in (("--db", url, "decisions", "--format", "json"),
                 ("decisions", "--db", url, "--format", "json")):
        result = triage(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)
        assert [(r["article_id"], r["decision"], r["user"]) for r in rows] == [("p1", "flag", "ann"),
                                                                               ("p2", "archive", "ann")]
        assert rows[0]["wire_version"] == "3" and rows[0]["note"] == "call"
    assert not list(tmp_path.rglob("postgresql*"))  # no file named after the URL


def test_decide_writes_to_postgresql_as_the_role(pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    result = triage("--db", pg.url_for("cho"), "decide", "p9", "follow-up", "--note", "ring back",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    event = pg.open(user="ann").current("p9")
    assert (event.decision.value, event.note, event.user) == ("follow-up", "ring back", "cho")


def test_recover_refuses_a_url_in_one_sentence(pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    result = triage("recover", "--db", pg.url_for("ann"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "PostgreSQL" in result.stderr
    assert not list(tmp_path.rglob("*recovered*"))
