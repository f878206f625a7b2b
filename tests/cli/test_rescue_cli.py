"""The store commands replay a rescue file left by a session that could not write, and say so on stderr;
`triage recover` copies a rescue file's decisions into the recovered file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.store import DecisionStore, PendingWriteError
from triage.store.rescue import rescue_path
from triage.store.storage import journal_path

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")


def leave_rescue_file(db: Path, *ids: str) -> Path:
    """A session that decided `ids` on a full disk and rescued them on quit."""
    store = DecisionStore(db)
    store.decide("seed", "archive")
    store.compact()
    journal_path(db).unlink(missing_ok=True)
    journal_path(db).symlink_to("/dev/full")
    for article_id in ids:
        with pytest.raises(PendingWriteError):
            store.decide(article_id, "flag", "from the lost session")
    result = store.rescue()
    store.close()
    journal_path(db).unlink()
    return result.path


def test_decisions_only_reads_it_names_the_rescue_file_and_leaves_it(run, tmp_path):
    db = tmp_path / "d.json"
    path = leave_rescue_file(db, "r1", "r2")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = run("decisions", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Replayed" not in result.stderr
    assert str(path) in result.stderr and "the next `triage` or `triage decide`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [r["article_id"] for r in json.loads(result.stdout)] == ["seed"]  # not written, not listed
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and p.name in before}
    assert after == before  # the store, its journal and the rescue file: untouched
    assert path.exists()


def test_the_next_decide_replays_and_says_so(run, tmp_path):
    db = tmp_path / "d.json"
    path = leave_rescue_file(db, "r1", "r2")
    result = run("decide", "z9", "archive", "--db", db)
    assert result.exit_code == 0, result.stderr
    line = (f"triage: Replayed 2 decisions saved in {path} when the last session could not write them.")
    assert line in result.stderr.splitlines()
    assert not path.exists()
    again = run("decisions", "--db", db, "--format", "json")
    assert "Replayed" not in again.stderr and "wait in" not in again.stderr
    rows = json.loads(again.stdout)
    assert [r["article_id"] for r in rows if r["article_id"].startswith("r")] == ["r1", "r2"]


def test_recover_copies_the_rescued_decisions_into_the_new_file(run, tmp_path):
    db = tmp_path / "d.json"
    path = leave_rescue_file(db, "r1")
    raw = db.read_bytes()
    db.write_bytes(raw[:-30])  # and the decisions file is damaged too
    new = tmp_path / "new.json"
    result = run("recover", "--db", db, "--output", new)
    assert result.exit_code == 0, result.stderr
    assert f"1 of them from {path} (decisions an earlier session could not write)" in result.stdout
    assert path.exists() and db.read_bytes() == raw[:-30]  # both left as they are
    rows = json.loads(run("decisions", "--db", new, "--format", "json", "--history").stdout)
    assert "r1" in [r["article_id"] for r in rows]
    assert rescue_path(db) == path
