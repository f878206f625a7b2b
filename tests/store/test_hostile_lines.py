"""One journal line another user wrote must never break the shared store, nor its recovery: each class
of line JSON can carry but Python (or UTF-8) cannot hold is one damaged line, named with its number."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import invoke, isolate
from triage.store import DecisionStore
from triage.store.storage import journal_path

MAX_LINE = 1 << 20  # (as triage.store.lines says; written here so the test also runs on older code)

_DOC = b'{"t":"events","id":2,"doc":'
CASES = {
    "overflow": (_DOC + b'{"article_id":"a1","decision":"flag","at":1e999}}',
                 "the number 1e999 is out of range"),
    "negative overflow": (_DOC + b'{"article_id":"a1","decision":"flag","at":-1e999}}',
                          "the number -1e999 is out of range"),
    "huge int": (b'{"t":"events","id":1' + b"0" * 5000 + b',"doc":{"article_id":"a1"}}',
                 "an integer of 5001 digits"),
    "deep nesting": (_DOC + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than 64 levels deep"),
    "lone surrogate": (_DOC + b'{"article_id":"a1","title":"\\ud800"}}',
                       "a lone surrogate (\\ud800-\\udfff), which UTF-8 cannot hold"),
    "NaN": (_DOC + b'{"article_id":"a1","decision":"flag","at":NaN}}', "NaN is not a JSON number"),
    "Infinity": (_DOC + b'{"article_id":"a1","at":Infinity}}', "Infinity is not a JSON number"),
    "wrong type": (_DOC + b'{"article_id":"a1","decision":"flag","title":5}}',
                   "not an event (title is not text)"),
    "wrong decision": (_DOC + b'{"article_id":"a1","decision":["flag"]}}',
                       "not an event (an unknown decision)"),
    "NUL byte": (_DOC + b'{"article_id":"a1\x00"}}', "a NUL byte"),
    "not UTF-8": (_DOC + b'{"article_id":"a1\xff\xfe"}}', "bytes that are not UTF-8 at 44"),
    "not a record": (b"[1, 2, 3]", "not a journal record"),
    "not an event": (_DOC + b'{"foo":1}}', "not an event (no article_id)"),
    "too long": (_DOC + b'{"article_id":"a1","note":"' + b"x" * MAX_LINE + b'"}}',
                 f"longer than {MAX_LINE} bytes"),
}


def damaged_store(db: Path, line: bytes) -> bytes:
    """A store of a0, a1, a2 whose second journal line is replaced by `line`; the journal's bytes."""
    store = DecisionStore(db, user="ann")
    for n in range(3):
        store.decide(f"a{n}", "flag", f"note {n}")
    store.close(compact=False)
    lines = journal_path(db).read_bytes().splitlines(keepends=True)
    lines[1] = line + b"\n"
    journal_path(db).write_bytes(b"".join(lines))
    return journal_path(db).read_bytes()


@pytest.fixture
def run(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return invoke


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_journal_line_is_named_skipped_kept_and_recovered_aside(run, tmp_path, case):
    line, reason = CASES[case]
    db = tmp_path / "d.json"
    before = damaged_store(db, line)
    result = run("decisions", "--db", db, "--format", "json")
    assert result.exit_code == 0
    assert [r["article_id"] for r in json.loads(result.stdout)] == ["a0", "a2"]
    assert result.stderr.splitlines() == [
        f"triage: warning: {journal_path(db)}: line 2 is damaged ({reason}); skipped and kept as it is "
        f"(the file is not compacted meanwhile): run `triage recover --db {db}` to set it aside and keep "
        f"every other event."
    ]
    assert run("decide", "a3", "archive", "--db", db).exit_code == 0  # others still decide
    assert journal_path(db).read_bytes().startswith(before)  # the damaged line is never compacted away
    out = tmp_path / "r.json"
    result = run("recover", "--db", db, "--output", out)
    assert result.exit_code == 0, result.stderr
    aside = list(tmp_path.glob("r.json.damaged-*.jsonl"))
    assert len(aside) == 1 and stat.S_IMODE(aside[0].stat().st_mode) == 0o600
    assert aside[0].read_bytes() == line[:MAX_LINE] + b"\n"
    assert result.stdout.startswith(f"Recovered 3 events into {out} (1 damaged entry set aside "
                                    f"(kept in {aside[0]}))")
    recovered = DecisionStore(out)
    assert sorted(recovered.current_many()) == ["a0", "a2", "a3"] and not recovered.damage
    recovered.close()


def test_a_truncated_last_line_is_an_unfinished_append_and_recover_keeps_it_aside(run, tmp_path):
    db = tmp_path / "d.json"
    damaged_store(db, b'{"t":"events","id":2,"doc":{"article_id":"a1","decision":"flag"}}')
    journal_path(db).write_bytes(journal_path(db).read_bytes()[:-20])  # a writer killed mid-append
    result = run("decisions", "--db", db, "--format", "csv")
    assert result.exit_code == 0 and result.stderr == ""  # never acknowledged: not damage
    assert [row.split(",")[0] for row in result.stdout.splitlines()[1:]] == ["a0", "a1"]
    result = run("recover", "--db", db, "--output", tmp_path / "r.json")
    assert result.exit_code == 0 and "2 events" in result.stdout
    assert "1 damaged entry set aside" in result.stdout


@pytest.mark.parametrize(("content", "why"), [
    (b'{"events": {"1": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "nested too deeply"),
    (b'{"events": {"1": {"article_id": "a1\xff"}}}', "bytes that are not UTF-8 at 35"),
    (b'{"events": {"1": {"article_id": "a1", "n": 1' + b"0" * 5000 + b"}}}",
     "Exceeds the limit (4300 digits)"),
])
def test_a_damaged_main_file_is_refused_untouched_and_recover_gets_out(run, tmp_path, content, why):
    db = tmp_path / "d.json"
    db.write_bytes(content)
    journal_path(db).write_bytes(b'{"t":"events","id":7,"doc":{"article_id":"j7","decision":"flag"}}\n')
    result = run("decisions", "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"triage: {db}: the decisions file does not parse ({why}")
    assert f"run `triage recover --db {db}`" in result.stderr and len(result.stderr.splitlines()) == 1
    assert db.read_bytes() == content
    result = run("recover", "--db", db, "--output", tmp_path / "r.json")
    assert result.exit_code == 0, result.stderr
    assert "j7" in DecisionStore(tmp_path / "r.json").current_many()


def test_entries_of_the_main_file_that_are_not_events_block_compaction(run, tmp_path):
    db = tmp_path / "d.json"
    events = {"1": {"article_id": "a1", "decision": "flag"}, "2": {"not": "an event"}}
    db.write_text(json.dumps({"events": events, "meta": {"1": {"schema_version": 2}}}))
    before = db.read_bytes()
    result = run("decide", "a2", "archive", "--db", db)
    assert result.exit_code == 0
    assert f"triage: warning: {db}: 1 entry of the events table are not events; the file is kept" in (
        result.stderr)
    assert db.read_bytes() == before  # never rewritten without the entry


def test_our_own_longest_event_stays_a_readable_line(tmp_path):
    """Notes, titles and URLs are clipped so that no event this store writes is ever a damaged line,
    even when every character takes twelve bytes in the journal (astral characters, escaped)."""
    db = tmp_path / "d.json"
    store = DecisionStore(db, user="\U0001f600" * 5000, host="\U0001f600" * 5000)
    event = store.decide("a1", "flag", "\U0001f600" * 100_000, title="\U0001f600" * 5000,
                         source="\U0001f600" * 5000, url="https://x.test/" + "\U0001f600" * 20_000)
    store.close(compact=False)
    assert len(event.note) == 60_000 and len(event.title) == 2048 and len(event.url) == 8192
    longest = max(len(line) for line in journal_path(db).read_bytes().splitlines())
    assert longest <= MAX_LINE
    again = DecisionStore(db)
    assert again.damage == "" and again.current("a1").note == event.note
    again.close()
