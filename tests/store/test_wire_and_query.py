"""The wire's urgency, slugline and version travel with a decision into every export; one EventQuery
gives each filter one meaning over documents and DecisionEvent objects."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from tinydb import TinyDB

from tests.cli.conftest import invoke, isolate
from triage.model import Article, Decision, DecisionEvent
from triage.store import DecisionStore, EventQuery, haystack
from triage.store.export import format_decisions
from triage.store.storage import journal_path

FLASH = Article(id="w1", title="Quake hits coast", text="A quake.", source="Wire", url="https://x.test/w1",
                urgency=1, slugline="QUAKE-COAST", version="2")


@pytest.fixture
def run(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return invoke


def test_an_article_decision_stores_its_wire_fields_and_notes_and_undo_keep_them(backend):
    store = backend.open()
    event = store.decide(FLASH, "flag", "check")
    assert (event.urgency, event.slugline, event.version) == (1, "QUAKE-COAST", "2")
    assert store.set_note("w1", "called").slugline == "QUAKE-COAST"
    assert store.decide("w1", "archive").urgency == 1  # by id only: carried forward
    assert store.undo("w1")[0].version == "2"
    store.close()
    again = backend.open()  # read back from the file, or from the server's rows
    assert [(e.urgency, e.slugline) for e in again.history("w1")] == [(1, "QUAKE-COAST")] * 4
    if backend.kind == "file":
        docs = TinyDB(backend.location).table("events").all()  # plain TinyDB reads the same documents
        assert [d["urgency"] for d in docs] == [1, 1, 1, 1] and docs[0]["slugline"] == "QUAKE-COAST"


def test_files_from_before_the_wire_fields_still_load(tmp_path):
    db = tmp_path / "d.json"
    old = {"article_id": "old", "decision": "flag", "note": "", "user": "u", "host": "h",
           "at": "2026-01-01T00:00:00Z", "title": "Old", "source": "S", "url": "", "action": "decide",
           "batch": "", "uid": "x1", "version": ""}
    db.write_text(json.dumps({"events": {"1": old}, "meta": {"1": {"schema_version": 2}}}))
    line = {"t": "events", "id": 2, "doc": {"article_id": "j", "decision": "archive"}}
    journal_path(db).write_text(json.dumps(line) + "\n")
    store = DecisionStore(db)
    old, j = store.current("old"), store.current("j")
    assert (old.urgency, old.slugline, old.version) == (None, "", "")
    assert j.decision is Decision.ARCHIVE and j.uid == "" and j.urgency is None
    store.close()


def test_exports_carry_urgency_slugline_and_wire_version(backend):
    store = backend.open(user="ann")
    store.decide(FLASH, "follow-up")
    store.decide("plain", "flag")
    events = store.query(decision="all")
    store.close()
    rows = json.loads(format_decisions(events, "json"))
    wire = [(r["urgency"], r["slugline"], r["wire_version"]) for r in rows]
    assert wire == [(1, "QUAKE-COAST", "2"), (None, "", "")]
    table = list(csv.DictReader(io.StringIO(format_decisions(events, "csv"))))
    wire = [(r["urgency"], r["slugline"], r["wire_version"]) for r in table]
    assert wire == [("1", "QUAKE-COAST", "2"), ("", "", "")]
    md = format_decisions(events, "md")
    assert "### [Quake hits coast](https://x.test/w1) (urgency 1 · QUAKE-COAST)" in md
    assert "### plain" not in md and "### `plain`" in md
    narrow = format_decisions(events, "table", width=80).splitlines()
    assert narrow[0].split()[:4] == ["WHEN", "(UTC)", "DECISION", "U"] and all(len(x) <= 80 for x in narrow)
    assert " 1 Quake hits coast" in narrow[2]
    wide = format_decisions(events, "table", width=120).splitlines()
    assert "SLUG" in wide[0] and "QUAKE-COAST" in wide[2]


def test_the_decisions_command_shows_the_wire_fields_with_history(run, tmp_path):
    db = tmp_path / "d.json"
    store = DecisionStore(db)
    store.decide(FLASH, "flag")
    store.decide(FLASH, "archive")
    store.close()
    result = run("decisions", "--db", db, "--history", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["decision"], r["urgency"], r["slugline"]) for r in rows] == [("flagged", "1", "QUAKE-COAST"),
                                                                           ("archived", "1", "QUAKE-COAST")]


def ev(aid: str, user: str, source: str = "Wire", title: str = "", decision: Decision | None = Decision.FLAG,
       at: str = "2026-11-25T12:00:00.000000Z") -> DecisionEvent:
    return DecisionEvent(article_id=aid, decision=decision, user=user, source=source, title=title, at=at)


def test_user_means_the_exact_login_casefolded_for_events_and_documents():
    events = [ev("1", "Ann"), ev("2", "joanna"), ev("3", "ann ")]
    query = EventQuery(user="ann", decision="all")
    assert [e.article_id for e in query.select(events)] == ["1"]
    assert query.matches_doc({"article_id": "1", "user": "ANN", "decision": "flag"})
    assert not query.matches_doc({"article_id": "2", "user": "joanna", "decision": "flag"})


def test_text_terms_source_tags_decision_and_time_bounds():
    events = [ev("1", "ann", "Reuters World", "Quake hits coast"), ev("2", "bob", "AP", "Coast guard", None),
              ev("3", "cy", "Local", "Mayor quits", at="2026-11-20T00:00:00.000000Z")]
    assert [e.article_id for e in EventQuery(text="coast quake").select(events)] == ["1"]
    by_user = EventQuery(text="BOB", decision="all").select(events)  # the user is searched too
    assert [e.article_id for e in by_user] == ["2"]
    assert [e.article_id for e in EventQuery(source="reuters").select(events)] == ["1"]
    tags = {"Reuters World": ("world",), "Local": ("city", "World")}
    assert [e.article_id for e in EventQuery(source="tag:world", tags=tags).select(events)] == ["1", "3"]
    assert [e.article_id for e in EventQuery(decision="cleared").select(events)] == ["2"]
    assert [e.article_id for e in EventQuery(history=True).select(events)] == ["1", "2", "3"]
    assert [e.article_id for e in EventQuery().select(events)] == ["1", "3"]  # current mode: decided ones
    since = datetime(2026, 11, 24, tzinfo=UTC)
    assert [e.article_id for e in EventQuery(since=since).select(events)] == ["1"]
    assert [e.article_id for e in EventQuery(until="2026-11-21T00:00:00Z").select(events)] == ["3"]
    assert haystack(events[0]) == "quake hits coast\n\nreuters world\nann\n1\n"


def test_the_store_and_the_cli_use_the_one_query(run, tmp_path):
    db = tmp_path / "d.json"
    for user in ("Ann", "joanna"):
        store = DecisionStore(db, user=user)
        store.decide(f"by-{user}", "flag")
        store.close()
    store = DecisionStore(db)
    assert [e.article_id for e in store.query(EventQuery(user="ann"))] == ["by-Ann"]
    assert [e.article_id for e in store.query(user="ANN")] == ["by-Ann"]
    store.close()
    result = run("decisions", "--db", db, "--user", "ann", "--format", "csv")
    assert [r["article_id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["by-Ann"]
    assert "exact login name" in run("decisions", "--help").stdout
