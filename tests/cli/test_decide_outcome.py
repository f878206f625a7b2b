"""`triage decide` exits 1 exactly when the event is not durable, and never writes it twice.

The disk is made full for real (the journal is a symlink to /dev/full: ENOSPC even as root) and freed
at chosen instants: during the command's own retries, or right after it has said "not saved"."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

import triage.cli.decisions as decisions_cmd
from triage.store import DecisionStore
from triage.store.storage import journal_path

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")


def full_disk(path: Path) -> Path:
    journal = journal_path(path)
    journal.symlink_to("/dev/full")
    return journal


def events_of(path: Path) -> list[tuple[str, str | None]]:
    if not path.exists() and not journal_path(path).exists():
        return []
    store = DecisionStore(path)
    try:
        return [(e.article_id, e.decision.value if e.decision else None) for e in store.query(history=True)]
    finally:
        store.close(compact=False)


def test_disk_freed_right_after_not_saved_is_still_not_saved(run, tmp_path, monkeypatch):
    """Today's bug: exit 1 and "not saved", then close() saves it anyway; a retrying script writes it
    twice."""
    path = tmp_path / "d.json"
    journal = full_disk(path)
    echo = click.echo

    def echo_then_free_the_disk(message=None, *args, **kwargs):
        echo(message, *args, **kwargs)
        if "not saved" in str(message) and journal.is_symlink():
            journal.unlink()  # space again, the instant the user has been told it was not saved

    monkeypatch.setattr(click, "echo", echo_then_free_the_disk)
    monkeypatch.setattr(decisions_cmd, "RETRY_SECONDS", 0.2, raising=False)
    result = run("decide", "a1", "flag", "--db", path)
    assert result.exit_code == 1 and "not saved" in result.stderr
    assert events_of(path) == []  # exit 1 means not written, not even later by close()
    again = run("decide", "a1", "flag", "--db", path)  # the script retries
    assert again.exit_code == 0, again.stderr
    assert events_of(path) == [("a1", "flag")]  # once


def test_disk_freed_during_the_retries_saves_once_and_exits_0(run, tmp_path, monkeypatch):
    path = tmp_path / "d.json"
    journal = full_disk(path)
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 2 and journal.is_symlink():
            journal.unlink()

    monkeypatch.setattr(decisions_cmd, "_pause", pause, raising=False)
    result = run("decide", "a1", "archive", "--note", "n", "--db", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "a1: archive\n" and "not saved" not in result.stderr
    assert len(pauses) == 2
    assert events_of(path) == [("a1", "archive")]


def test_disk_full_throughout_exits_1_and_writes_nothing(run, tmp_path):
    path = tmp_path / "d.json"
    seed = run("decide", "a0", "flag", "--db", path)
    assert seed.exit_code == 0
    before = path.read_bytes()
    journal = journal_path(path)
    if journal.exists():
        journal.unlink()
    full_disk(path)
    result = run("decide", "a1", "flag", "--db", path)
    assert result.exit_code == 1
    assert "not saved (No space left on device)" in result.stderr and "nothing was written" in result.stderr
    assert path.read_bytes() == before
    journal.unlink()
    assert events_of(path) == [("a0", "flag")]
    assert not list(tmp_path.glob("*.rescue"))  # the command never leaves a rescue file to replay later
    assert json.loads(path.read_text())["events"]


def test_a_lock_held_elsewhere_is_waited_for_once_not_once_per_retry(tmp_path):
    """The store already waits lock_timeout for a busy lock; the command's retry loop adds no more waits."""
    import subprocess
    import sys

    from triage.store import PendingWriteError
    from triage.store.storage import lock_path

    db = tmp_path / "d.json"
    store = DecisionStore(db, lock_timeout=0.5)
    store.decide("warm", "flag")
    hold = ("import sys, time\nfrom filelock import FileLock\n"
            "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(20)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(lock_path(db))], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PendingWriteError):
            store.decide("a1", "archive")
        assert store.lock_busy
        retries = []
        store.retry_pending = lambda: retries.append(1)  # a retry would wait out the lock again
        assert decisions_cmd._save_or_drop(store) is False  # not saved, said, and dropped
        assert retries == [], "the lock held elsewhere was waited for once, not again"
        assert store.pending == 0
    finally:
        holder.kill()
        holder.wait()
    store.close()
