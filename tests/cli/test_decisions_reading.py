"""`triage decisions` only reads: it never replays, migrates or compacts the store; md summaries come
from the analysis cache by the decided text's hash, with no inbox; a duplicate group decided on one list
row is one row of the export, as it is one row on the screen."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

from tests.cli.conftest import write_tinydb
from triage.config import load_settings
from triage.core.service import TriageService
from triage.model import Analysis, Article, Decision
from triage.store import DecisionStore

STORY = Article(id="s1", title="Harbour crane collapses in storm", text="A crane fell at the harbour.\n\n"
                "No one was hurt, the port said.", source="City Wire", content_hash="hash-s1", version="2")
OTHER = Article(id="s2", title="Council passes budget", text="The council passed the budget.",
                source="City Wire", content_hash="hash-s2")


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock")}


def test_md_takes_cached_summaries_by_content_hash_with_no_inbox_folder(run, tmp_path, monkeypatch):
    from triage.analysis.analyzer import Analyzer

    monkeypatch.setenv("TRIAGE_INBOX", str(tmp_path / "no-such-inbox"))
    cache = tmp_path / "data" / "analysis-cache.sqlite"
    cache.parent.mkdir(parents=True)
    analyzer = Analyzer(cache_path=cache)  # the TUI's own cache writer; no model is loaded for this
    analyzer.remember(STORY, Analysis(summary=("A crane fell at the harbour.",), spans=((0, 28),)))
    analyzer.flush()
    db = tmp_path / "d.json"
    with DecisionStore(db) as store:
        store.decide(STORY, "flag", "call the port")
        store.decide(OTHER, "archive")
    before = files_of(tmp_path)
    result = run("decisions", "--db", db, "--format", "md")
    assert result.exit_code == 0, result.stderr
    assert "A crane fell at the harbour." in result.stdout and "call the port" in result.stdout
    assert not (tmp_path / "no-such-inbox").exists()
    assert files_of(tmp_path) == before  # neither the store nor the cache was written


def test_an_older_schema_is_read_as_it_is_and_never_upgraded_on_disk(run, tmp_path):
    db = tmp_path / "old.json"
    write_tinydb(db, [{"article_id": "a1", "decision": "flag", "at": "2026-11-25T10:00:00Z"}], schema=None)
    raw = db.read_bytes()
    result = run("decisions", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["article_id"] for r in json.loads(result.stdout)] == ["a1"]
    kept = sorted(p.name for p in tmp_path.iterdir() if "old" in p.name and not p.name.endswith(".lock"))
    assert db.read_bytes() == raw and kept == ["old.json"]  # no upgrade written, no backup made


def test_a_two_sources_row_decided_once_is_one_row_in_every_export(run, tmp_path):
    settings = load_settings(db=tmp_path / "d.json", data_dir=tmp_path / "data", use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    resend = replace(STORY, id="s1b", source="Harbour Times", duplicates_of="s1", content_hash="hash-s1b")
    service.inbox.set_articles([STORY, OTHER, resend])
    assert service.row("s1").sources == 2  # the list shows one row, "2 sources"
    service.decide(["s1"], Decision.ARCHIVE)  # the row: both sources get the decision
    service.decide(["s2"], Decision.FLAG)
    service.decisions.flush(10)
    assert service.decisions.event("s1b").story == "s1" and service.decisions.event("s2").story == ""
    service.close()
    stored = DecisionStore(tmp_path / "d.json")
    assert {e.article_id: e.story for e in stored.query()} == {"s1": "s1", "s1b": "s1", "s2": ""}
    stored.close()

    rows = list(csv.DictReader(io.StringIO(run("decisions", "--db", tmp_path / "d.json", "--format",
                                               "csv").stdout)))
    assert sorted(r["article_id"] for r in rows) == ["s1", "s2"]
    assert {r["article_id"]: r["story"] for r in rows} == {"s1": "s1", "s2": ""}
    table = run("decisions", "--db", tmp_path / "d.json").stdout
    assert table.count("Harbour crane") == 1 and "Council passes budget" in table
    every = json.loads(run("decisions", "--db", tmp_path / "d.json", "--format", "json", "--history").stdout)
    assert sorted(r["article_id"] for r in every) == ["s1", "s1b", "s2"]  # the history keeps each event


def test_members_decided_apart_stay_apart(run, tmp_path):
    db = tmp_path / "d.json"
    with DecisionStore(db) as store:
        store.decide_many([STORY, replace(STORY, id="s1b")], "archive", stories=["s1", "s1"])
        store.decide("s1b", "flag", "not this one")  # changed on its own later: its row says so
    rows = json.loads(run("decisions", "--db", db, "--format", "json").stdout)
    assert sorted((r["article_id"], r["decision"]) for r in rows) == [("s1", "archive"), ("s1b", "flag")]


def test_a_desk_with_nothing_decided_yet_lists_nothing_in_every_format(run, tmp_path):
    """The decisions file is made by the first decision: before it, the record is empty (exit 0, an
    empty list for tools, a line on stderr saying why), never an error, and nothing is created."""
    import json

    db = tmp_path / "decisions.json"
    for fmt, want in (("json", []), ("csv", None), ("table", None)):
        result = run("decisions", "--db", db, "--format", fmt, "--history")
        assert result.exit_code == 0, result.stderr
        assert "nothing decided there yet" in result.stderr
        if want is not None:
            assert json.loads(result.stdout) == want
    assert not db.exists()
