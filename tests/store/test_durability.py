"""Crash, corruption and disk-error behaviour with real processes and real files (no mocks). The kill -9
tests run on both backends; the server's own faults are in test_pg_faults.py."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from triage.store import CorruptStoreError, DecisionStore, PendingWriteError, StoreError, recover
from triage.store.storage import journal_path

WRITER = Path(__file__).with_name("writer.py")


def start_writer(db: Path | str, prefix: str, count: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(db), prefix, str(count), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_kill_9_loop_keeps_every_acknowledged_event(backend, tmp_path):
    """A few dozen writers killed at random instants (the file: compaction every 7 events, so some die
    mid-compaction; PostgreSQL: some die inside a transaction)."""
    db = backend.where()
    rng = random.Random(6)
    acknowledged: set[str] = set()
    kills = 0
    for round_ in range(30):
        proc = start_writer(db, f"r{round_}", 0, "--compact-every", "7")
        # wait for the first acknowledged event (the process is up), then kill at a random instant
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        kills += 1
        lines = (first + out).split()
        acknowledged.update(f"r{round_}-{n}" for n in lines)
        store = backend.open()  # opens after every kill, with every acknowledged event
        missing = acknowledged - set(store.current_many())
        store.close(compact=False)
        assert not missing, f"round {round_}: lost {sorted(missing)[:5]}"
    assert kills == 30 and len(acknowledged) >= 30
    if backend.kind == "pg":
        return
    db = Path(db)
    store = DecisionStore(db)
    store.compact()
    store.close()
    data = json.loads(db.read_text())  # after compaction plain json sees them all
    assert acknowledged <= {d["article_id"] for d in data["events"].values()}
    ids = [int(k) for k in data["events"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert not list(tmp_path.glob(".d.json.tmp-*"))


def test_torn_journal_tail_is_ignored_then_cut(tmp_path):
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide("a1", "flag")
    s.close(compact=False)
    with open(journal_path(db), "ab") as fh:
        fh.write(b'{"t":"events","id":2,"doc":{"article_id":"torn"')  # a writer died mid-append
    s = DecisionStore(db)
    assert set(s.current_many()) == {"a1"}
    s.decide("a2", "archive")
    s.close(compact=False)
    lines = journal_path(db).read_bytes().splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)
    assert set(DecisionStore(db).current_many()) == {"a1", "a2"}


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_main_file_is_never_overwritten_and_recovers(tmp_path, damage):
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    for n in range(20):
        s.decide(f"a{n}", "flag", f"note {n}")
    s.close()
    raw = db.read_bytes()
    cut = raw.index(b'"a4"')  # inside the fifth event, whatever the events' length
    bad = raw[: len(raw) * 2 // 3] if damage == "truncate" else raw[:cut] + b"\x00garbage}}" + raw[cut:]
    db.write_bytes(bad)
    with pytest.raises(CorruptStoreError) as info:
        DecisionStore(db)
    message = str(info.value)
    assert str(db) in message and "recover" in message and "\n" not in message
    assert db.read_bytes() == bad  # never overwritten, not even by a later writer
    found, lost = recover(db, tmp_path / "new.json")
    assert db.read_bytes() == bad
    assert lost >= 1 and 10 <= found < 20
    fixed = DecisionStore(tmp_path / "new.json")
    assert len(fixed.current_many()) == found
    assert fixed.current("a0").note == "note 0"
    fixed.close()
    with pytest.raises(StoreError, match="already exists"):
        recover(db, tmp_path / "new.json")


def test_damaged_journal_line_is_skipped_kept_and_recover_sets_it_aside(tmp_path):
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    for n in range(3):
        s.decide(f"a{n}", "flag")
    s.close(compact=False)
    lines = journal_path(db).read_bytes().splitlines(keepends=True)
    lines[1] = b'{"t":"events","id":2,"doc":{"article_id":"a1","decis\n'
    journal_path(db).write_bytes(b"".join(lines))
    before = journal_path(db).read_bytes()
    store = DecisionStore(db)
    assert set(store.current_many()) == {"a0", "a2"}
    assert store.damage.startswith(f"{journal_path(db)}: line 2 is damaged (not valid JSON: ")
    assert store.damage.endswith(f"run `triage recover --db {db}` to set it aside and keep every other "
                                 f"event.")
    store.decide("a3", "archive")  # appends still work; the damaged line is never compacted away
    store.close()
    assert journal_path(db).read_bytes().startswith(before)
    assert recover(db, tmp_path / "r.json") == (3, 1)
    assert set(DecisionStore(tmp_path / "r.json").current_many()) == {"a0", "a2", "a3"}


def test_compaction_cut_short_does_not_duplicate(tmp_path):
    """Main file replaced but journal not yet emptied (a kill in between): replay skips what is in main."""
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide("a1", "flag")
    s.decide("a2", "flag")
    s.close(compact=False)
    journal = journal_path(db).read_bytes()
    s = DecisionStore(db)
    s.compact()
    s.close()
    journal_path(db).write_bytes(journal)  # as if the kill came right after os.replace
    s = DecisionStore(db)
    assert len(s) == 2
    s.decide("a3", "archive")
    s.close()
    assert len(json.loads(db.read_text())["events"]) == 3


def test_disk_full_keeps_decision_pending_and_retries(tmp_path):
    """/dev/full gives a real ENOSPC even as root: the journal path points at it."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide("a0", "archive")
    s.compact()
    main_before = db.read_bytes()
    journal_path(db).unlink()
    journal_path(db).symlink_to("/dev/full")
    with pytest.raises(PendingWriteError) as info:
        s.decide("a1", "flag", "urgent")
    assert "No space left" in str(info.value) and str(db) in str(info.value)
    assert s.pending == 1 and s.current("a1").decision.value == "flag"  # kept in memory, shown
    with pytest.raises(PendingWriteError):
        s.decide("a2", "archive")
    assert s.pending == 2 and s.retry_pending() == 2
    assert db.read_bytes() == main_before  # nothing corrupted
    journal_path(db).unlink()  # space again
    assert s.retry_pending() == 0 and s.last_error == ""
    s.close()
    again = DecisionStore(db)
    assert {k: v.decision.value for k, v in again.current_many().items()} == {
        "a0": "archive", "a1": "flag", "a2": "archive"}
    assert again.current("a1").note == "urgent"


def test_journal_path_is_a_directory_then_fixed_on_refresh(tmp_path):
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    journal_path(db).mkdir()
    with pytest.raises(PendingWriteError, match="directory"):
        s.decide("a1", "flag")
    journal_path(db).rmdir()
    s.refresh()  # the TUI polls refresh(): it retries pending writes too
    assert s.pending == 0
    s.close()
    assert set(DecisionStore(db).current_many()) == {"a1"}


def test_file_size_limit_partial_append_is_taken_back(tmp_path):
    """RLIMIT_FSIZE in a subprocess: a write past the limit fails (EFBIG) part-way, like a full disk."""
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    s.decide("seed", "flag")
    s.close(compact=False)
    limit = journal_path(db).stat().st_size + 40  # room for part of the next line only
    proc = subprocess.run([sys.executable, str(WRITER), str(db), "lim", "0", "--fsize-limit", str(limit)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "pending 1 flag"
    assert "File too large" in proc.stdout
    assert "retry 0" in proc.stdout
    data = json.loads(db.read_text())
    notes = [d["note"] for d in data["events"].values()]
    assert notes.count("over the limit") == 1 and len(notes) == 2  # written once, after the retry


def test_failed_compaction_leaves_main_file_and_journal_intact(tmp_path):
    db = tmp_path / "d.json"
    s = DecisionStore(db)
    for n in range(30):
        s.decide(f"a{n}", "flag", "x" * 50)
    s.close()
    main_before = db.read_bytes()
    code = (
        "import resource, signal, sys\n"
        "from triage.store import DecisionStore\n"
        f"s = DecisionStore({str(db)!r})\n"
        "s.decide('late', 'archive')\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))\n"
        "s.close()\n"
        "print(s.last_error)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "could not compact" in proc.stdout and "journal" in proc.stdout
    assert db.read_bytes() == main_before
    assert not list(tmp_path.glob(".d.json.tmp-*"))
    assert "late" in DecisionStore(db).current_many()


def test_main_path_is_a_directory_is_a_clear_error(tmp_path):
    db = tmp_path / "d.json"
    db.mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        DecisionStore(db)


def test_close_with_unsaved_events_says_so(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    db = tmp_path / "d.json"
    journal_path(db).symlink_to("/dev/full")
    s = DecisionStore(db)
    with pytest.raises(PendingWriteError) as info:
        s.decide_many(["a1", "a2"], "flag")
    assert [e.article_id for e in info.value.events] == ["a1", "a2"]
    with pytest.raises(PendingWriteError, match="2 decision"):
        s.close()
    assert not db.exists()  # nothing half-written


def test_permission_denied_keeps_decision_pending_until_writable(tmp_path):
    """Root ignores permission bits, so the writer runs as root without CAP_DAC_OVERRIDE (setpriv):
    a read-only directory and read-only files then give a real EACCES."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "d.json"
    s = DecisionStore(db)
    s.decide("a0", "archive")
    s.close()
    files = [db, journal_path(db), Path(str(db) + ".lock")]
    before = db.read_bytes()
    for f in files:
        f.chmod(0o400)
    folder.chmod(0o555)
    go = tmp_path / "go"
    proc = subprocess.Popen(
        [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", sys.executable, str(WRITER),
         str(db), "perm", "0", "--wait-for", str(go)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        error = proc.stdout.readline().strip()
        why = proc.stderr.read() if proc.poll() is not None else ""
        assert first == "pending 1 flag", (first, error, why)
        assert "Permission denied" in error and str(db) in error
        assert db.read_bytes() == before and journal_path(db).stat().st_size == 0  # nothing touched
    finally:
        folder.chmod(0o755)
        for f in files:
            f.chmod(0o600)
        go.touch()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "retry 0"
    data = json.loads(db.read_text())
    assert [(d["article_id"], d["note"]) for d in data["events"].values()] == [
        ("a0", ""), ("perm-1", "while denied")]


def test_kill_9_two_writers_at_once(backend):
    """Two writers on one store, each killed at its own random instant: a dead lock holder, a torn
    append, a half-done compaction or transaction of one must not cost the other any acknowledged event."""
    db = backend.where()
    rng = random.Random(9)
    acknowledged: set[str] = set()
    for round_ in range(12):
        procs = [start_writer(db, f"r{round_}w{k}", 0, "--compact-every", "5") for k in range(2)]
        firsts = [p.stdout.readline() for p in procs]
        for proc in procs:
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
        for k, (proc, first) in enumerate(zip(procs, firsts, strict=False)):
            out, _ = proc.communicate(timeout=30)
            acknowledged.update(f"r{round_}w{k}-{n}" for n in (first + out).split())
    store = backend.open()
    missing = acknowledged - set(store.current_many())
    store.close()
    assert not missing and len(acknowledged) >= 24
