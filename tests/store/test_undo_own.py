"""Session undo (Store.undo_own) on both backends: takes back this session's own change and nothing
else, atomically (the file lock, the server's lock), for a decision, a note or a batch; another
writer's change wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from triage.store import DecisionStore
from triage.store.storage import journal_path


@pytest.fixture
def db(backend):
    """Where the stores of a test live: a TinyDB file, or a PostgreSQL database (its roles the users)."""
    return backend


def store_for(db: Any, user: str) -> Any:
    if isinstance(db, Path):  # the TinyDB file only
        return DecisionStore(db, user=user, host="desk", rescue_dirs=[db.parent / "rescue"])
    return db.open(user=user, host="desk")


def state(store: Any, article_id: str) -> tuple[str | None, str]:
    store.refresh()
    event = store.current(article_id)
    return (event.decision.value if event and event.decision else None, event.note if event else "")


def test_undo_own_decision_returns_to_the_state_before_it(db):
    ann = store_for(db, "ann")
    ann.decide("a1", "flag", "first look")
    mine = ann.decide("a1", "archive")
    result = ann.undo_own([mine])
    assert result.done and result.saved and result.conflicts == ()
    assert [(e.article_id, e.action, e.decision.value, e.note) for e in result.events] == [
        ("a1", "undo", "flag", "first look")]
    assert state(ann, "a1") == ("flag", "first look")
    first = ann.history("a1")[0]
    assert ann.undo_own([first]).events[0].decision is None  # and back to no decision at all
    ann.close()


def test_another_writers_change_is_never_touched(db):
    ann, bob = store_for(db, "ann"), store_for(db, "bob")
    mine = ann.decide("a1", "flag")
    bob.decide("a1", "archive", "bob decided")  # another process, after ann's change
    result = ann.undo_own([mine])  # ann's view is stale: the store reads bob's event under the lock
    assert not result.done and result.saved
    [conflict] = result.conflicts
    assert conflict.article_id == "a1" and conflict.latest.user == "bob"
    assert conflict.reason.startswith("a1: changed since by bob@desk at ")
    assert state(ann, "a1") == ("archive", "bob decided")
    assert len(store_for(db, "x").history("a1")) == 2  # nothing was written
    assert bob.undo_own([mine]).conflicts[0].reason == "a1: the change to undo was not made in this session"
    ann.close()
    bob.close()


def test_a_batch_undoes_what_is_still_ours_and_reports_the_rest(db):
    ann, bob = store_for(db, "ann"), store_for(db, "bob")
    ann.decide("a2", "follow-up", "keep")
    batch = ann.decide_many(["a1", "a2", "a3"], "flag")
    bob.set_note("a3", "bob's note")
    result = ann.undo_own(batch)
    assert sorted(e.article_id for e in result.events) == ["a1", "a2"]
    assert len({e.batch for e in result.events}) == 1 and result.events[0].batch  # one write, one batch
    assert [c.article_id for c in result.conflicts] == ["a3"]
    assert state(ann, "a1") == (None, "") and state(ann, "a2") == ("follow-up", "keep")
    assert state(ann, "a3") == ("flag", "bob's note")
    ann.close()
    bob.close()


def test_note_events_are_undone_keeping_the_decision(db):
    ann = store_for(db, "ann")
    ann.decide("a1", "flag", "old note")
    note = ann.set_note("a1", "new note")
    assert ann.undo_own([note]).events[0].note == "old note"
    assert state(ann, "a1") == ("flag", "old note")
    ann.close()


def test_a_stack_of_own_changes_unwinds_in_order(db):
    ann, bob = store_for(db, "ann"), store_for(db, "bob")
    bob.decide("a1", "archive", "bob's")
    decided = ann.decide("a1", "flag")
    noted = ann.set_note("a1", "ann's note")
    assert ann.undo_own([noted]).done  # the later change first
    assert state(ann, "a1") == ("flag", "bob's")
    assert ann.undo_own([decided]).done  # then the earlier one: only ann's own events lie after it
    assert state(ann, "a1") == ("archive", "bob's")  # bob's decision is back, untouched
    ann.close()
    bob.close()


def test_a_given_state_is_used_when_passed(db):
    ann = store_for(db, "ann")
    mine = ann.decide("a1", "flag")
    result = ann.undo_own([mine], states={"a1": ("follow-up", "as before")})
    assert state(ann, "a1") == ("follow-up", "as before") and result.done
    ann.close()


def test_an_event_from_another_process_is_a_conflict(db, tmp_path):
    code = (
        "import sys; from triage.store.open import open_store\n"
        f"s = open_store({db.where('carl')!r}, user='carl', rescue_dirs=[{str(tmp_path / 'r')!r}])\n"
        "e = s.decide('a1', 'flag'); print(e.uid); s.close()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=True)
    ann = store_for(db, "ann")
    theirs = ann.current("a1")
    assert theirs.uid == proc.stdout.strip()
    result = ann.undo_own([theirs])
    assert not result.done and result.conflicts[0].latest is None
    assert state(ann, "a1") == ("flag", "")
    ann.close()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_undo_on_a_full_disk_is_pending_not_lost(tmp_path):
    db = tmp_path / "d.json"  # the file's own fault (PostgreSQL's: test_pg_faults.py)
    ann = store_for(db, "ann")
    mine = ann.decide("a1", "flag")
    journal_path(db).unlink(missing_ok=True)
    ann.compact()
    journal_path(db).unlink(missing_ok=True)
    journal_path(db).symlink_to("/dev/full")
    result = ann.undo_own([mine])
    assert result.done and not result.saved and "No space left" in result.error
    assert ann.pending == 1 and state(ann, "a1") == (None, "")
    journal_path(db).unlink()
    assert ann.retry_pending() == 0
    ann.close()
    assert store_for(db, "x").current("a1").action == "undo"


def test_old_undo_still_works(db):
    ann = store_for(db, "ann")
    ann.decide("a1", "flag")
    assert ann.undo("a1")[0].decision is None
    ann.close()
