"""`triage decide`, `triage decisions`, `triage recover` through click, on real files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from triage.cli.decisions import decide, decisions, recover_command
from triage.store import DecisionStore

DEMO = Path(__file__).resolve().parents[2] / "triage" / "demo"  # the bundled demo articles, in a sub folder


@click.group()
def cli() -> None:
    """A tiny group like the real one."""


cli.add_command(decide)
cli.add_command(decisions)
cli.add_command(recover_command)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def db(tmp_path, run):
    path = tmp_path / "d.json"
    assert run("decide", "c1", "follow-up", "--note", "call back", "--db", path).exit_code == 0
    run("decide", "c2", "flag", "--db", path)
    run("decide", "c3", "archive", "--db", path)
    run("decide", "c3", "flag", "--db", path)
    return path


def test_decide_writes_tinydb_and_warns_for_unknown_ids(run, tmp_path):
    path = tmp_path / "x.json"
    result = run("decide", "zz9", "flag", "--note", "n", "--db", path)
    assert result.exit_code == 0
    assert "zz9" in result.stderr and "recorded by its id alone" in result.stderr
    data = json.loads(path.read_text())
    assert [e["article_id"] for e in data["events"].values()] == ["zz9"]
    result = run("decide", "zz9", "clear", "--db", path)
    assert result.exit_code == 0 and "cleared" in result.stdout and result.stderr == ""  # known now


def test_decide_no_compact_leaves_the_event_in_the_journal(run, tmp_path):
    path = tmp_path / "x.json"
    run("decide", "a1", "flag", "--db", path)
    assert run("decide", "a2", "archive", "--db", path, "--no-compact").exit_code == 0
    assert len(json.loads(path.read_text())["events"]) == 1
    rows = json.loads(run("decisions", "--db", path, "--format", "json").stdout)
    assert [r["article_id"] for r in rows] == ["a1", "a2"]


def test_decide_unknown_decision_is_usage_error(run, tmp_path):
    result = run("decide", "c4", "maybe", "--db", tmp_path / "d.json")
    assert result.exit_code == 2 and "maybe" in result.stderr
    assert not (tmp_path / "d.json").exists()


def test_decide_copies_title_source_url_from_inbox(run, tmp_path):
    from triage.sources.loader import load

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for sample in sorted(DEMO.rglob("*.txt"))[:3]:
        shutil.copy(sample, inbox)
    article = load([str(inbox)]).articles[0]
    path = tmp_path / "d.json"
    result = run("decide", article.id, "follow-up", inbox, "--db", path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    ev = DecisionStore(path).current(article.id)
    assert (ev.title, ev.source, ev.url) == (article.title, article.source, article.url) and ev.title
    result = run("decide", "not-there", "flag", inbox, "--db", path)
    assert result.exit_code == 0 and "not found in" in result.stderr


def test_decisions_formats_and_filters(run, db):
    rows = json.loads(run("decisions", "--db", db, "--format", "json").stdout)
    assert {r["article_id"]: r["decision"] for r in rows} == {"c1": "follow-up", "c2": "flag", "c3": "flag"}
    out = run("decisions", "--db", db, "--format", "csv", "--decision", "flag").stdout
    assert [r["article_id"] for r in csv.DictReader(io.StringIO(out))] == ["c2", "c3"]
    assert len(json.loads(run("decisions", "--db", db, "--history", "--format", "json").stdout)) == 4
    table = run("decisions", "--db", db).stdout
    assert table.splitlines()[0].startswith("WHEN") and "call back" in table
    md = run("decisions", "--db", db, "--format", "md").stdout
    assert "## Follow up (1)" in md and "## Flagged (2)" in md
    assert json.loads(run("decisions", "--db", db, "--since", "1d",
                          "--format", "json").stdout).__len__() == 3
    assert json.loads(run("decisions", "--db", db, "--until", "2000-01-01", "--format", "json").stdout) == []
    found = json.loads(run("decisions", "--db", db, "--text", "CALL", "--format", "json").stdout)
    assert found[0]["article_id"] == "c1"
    assert json.loads(run("decisions", "--db", db, "--user", "nobody-here", "--format", "json").stdout) == []


def test_decisions_decision_filter_words(run, db):
    def ids(*args):
        rows = json.loads(run("decisions", "--db", db, "--format", "json", *args).stdout)
        return [r["article_id"] for r in rows]

    assert ids("--decision", "followup") == ["c1"]
    run("decide", "c2", "clear", "--db", db)
    assert ids("--decision", "clear") == ["c2"]
    assert ids("--decision", "all") == ["c1", "c3", "c2"]
    assert ids() == ["c1", "c3"]
    assert run("decisions", "--db", db, "--decision", "maybe").exit_code == 2


def test_decisions_output_file_and_summaries(run, db, tmp_path):
    sums = tmp_path / "s.jsonl"
    sums.write_text(json.dumps({"id": "c1", "summary": ["First key sentence."], "entities": {}}) + "\n")
    out = tmp_path / "report.md"
    result = run("decisions", "--db", db, "--format", "md", "--summaries", sums, "--output", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert "- First key sentence." in out.read_text()


def test_decisions_errors(run, db, tmp_path):
    result = run("decisions", "--db", tmp_path / "nowhere" / "missing.json")  # a mistyped folder
    assert result.exit_code == 1 and "missing.json" in result.stderr and "no such" in result.stderr
    result = run("decisions", "--db", tmp_path / "missing.json")  # not made yet: nothing decided there
    assert result.exit_code == 0 and "nothing decided there yet" in result.stderr
    result = run("decisions", "--db", db, "--since", "someday")
    assert result.exit_code == 2
    result = run("decisions", "--db", db, "--format", "xml")
    assert result.exit_code == 2


def test_corrupt_file_message_and_recover_command(run, db, tmp_path):
    raw = db.read_bytes()
    db.write_bytes(raw[: len(raw) - 40])
    result = run("decisions", "--db", db)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and str(db) in result.stderr and "triage recover" in result.stderr
    result = run("decide", "c9", "flag", "--db", db)
    assert result.exit_code == 1 and db.read_bytes() == raw[: len(raw) - 40]
    new = tmp_path / "fixed.json"
    result = run("recover", "--db", db, "--output", new)
    assert result.exit_code == 0 and "Recovered 4 events" in result.stdout
    assert db.read_bytes() == raw[: len(raw) - 40]
    rows = json.loads(run("decisions", "--db", new, "--format", "json", "--history").stdout)
    assert [r["article_id"] for r in rows] == ["c1", "c2", "c3", "c3"]
    result = run("recover", "--db", tmp_path / "nothing.json")
    assert result.exit_code == 1 and "no such" in result.stderr


def test_store_commands_import_no_spacy_or_textual(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for sample in sorted(DEMO.rglob("*.txt"))[:2]:
        shutil.copy(sample, inbox)
    code = f"""
import sys
from click.testing import CliRunner
from triage.cli.main import cli
r = CliRunner()
db = {str(tmp_path / "d.json")!r}
assert r.invoke(cli, ["decide", "a1", "flag", "--db", db]).exit_code == 0
assert r.invoke(cli, ["decide", "a2", "flag", {str(inbox)!r}, "--db", db]).exit_code == 0
assert r.invoke(cli, ["decisions", "--db", db, "--format", "json"]).exit_code == 0
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("spacy", "textual", "thinc", "torch"))
print(heavy)
"""
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_decide_on_a_full_disk_says_not_saved(run, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    path = tmp_path / "d.json"
    Path(str(path) + ".journal").symlink_to("/dev/full")
    result = run("decide", "a1", "flag", "--db", path)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "warning" not in line]
    assert lines == [(f"triage: {path}: the decision was not saved (No space left on device); nothing was "
                      f"written, run the command again when the file can be written.")]
