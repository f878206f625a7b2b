"""Rescue files: decisions that cannot be made durable survive quit, signals and a full disk, and the
next start replays them exactly once. Real files, a real full disk (/dev/full), real signals."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from triage.store import DecisionStore, PendingWriteError
from triage.store.rescue import rescue_path
from triage.store.storage import journal_path

needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")


@pytest.fixture
def dirs(tmp_path):
    """Fallback rescue places inside the test's own folder."""
    return [tmp_path / "state" / "rescue", tmp_path / "tmp" / "rescue"]


def full_disk(db: Path) -> None:
    journal = journal_path(db)
    if journal.exists() or journal.is_symlink():
        journal.unlink()
    journal.symlink_to("/dev/full")


def free_disk(db: Path) -> None:
    journal_path(db).unlink()


def pending_store(db: Path, dirs, *ids: str, **kw) -> DecisionStore:
    """A store whose decisions on `ids` could not be written (disk full)."""
    store = DecisionStore(db, rescue_dirs=dirs, **kw)
    store.decide("seed", "archive")
    store.compact()
    full_disk(db)
    for n, article_id in enumerate(ids):
        with pytest.raises(PendingWriteError):
            store.decide(article_id, ("flag", "follow-up", "archive")[n % 3], f"note {n}")
    assert store.pending == len(ids)
    return store


def rescued_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def decided(db: Path, dirs) -> dict[str, str | None]:
    store = DecisionStore(db, rescue_dirs=dirs, replay=False)
    try:
        return {k: (v.decision.value if v.decision else None) for k, v in store.current_many().items()}
    finally:
        store.close(compact=False)


@needs_dev_full
def test_rescue_writes_0600_json_lines_beside_the_file_and_the_next_start_replays_once(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1", "a2")
    result = store.rescue()
    assert result.path == rescue_path(db) == tmp_path / "d.json.rescue" and result.count == 2
    assert not result.fallback and "d.json.rescue" in result.message and "next start" in result.message
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600
    lines = rescued_lines(result.path)
    assert [line["doc"]["article_id"] for line in lines] == ["a1", "a2"]
    assert all(line["doc"]["uid"] and line["store"] == str(db) for line in lines)
    assert store.pending == 0
    store.close()  # nothing pending any more: no PendingWriteError, nothing written twice
    free_disk(db)

    again = DecisionStore(db, rescue_dirs=dirs)
    report = again.replayed
    assert report is not None and report.count == 2 and report.error == ""
    assert report.message == (f"Replayed 2 decisions saved in {rescue_path(db)} when the last session "
                              f"could not write them.")
    assert [e.article_id for e in report.replayed] == ["a1", "a2"]
    assert again.current("a1").note == "note 0" and again.current("a2").decision.value == "follow-up"
    assert not rescue_path(db).exists()
    again.close()
    third = DecisionStore(db, rescue_dirs=dirs)
    assert third.replayed is None
    assert [e.article_id for e in third.query(history=True)] == ["seed", "a1", "a2"]  # each once
    third.close()


@needs_dev_full
def test_replaying_the_same_file_twice_changes_nothing(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1")
    path = store.rescue().path
    copy = path.read_bytes()
    store.close()
    free_disk(db)
    assert DecisionStore(db, rescue_dirs=dirs).replayed.count == 1
    path.write_bytes(copy)  # as if the removal had been lost (a crash right after the replay)
    path.chmod(0o600)
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 0 and report.already == 1 and "1 already saved" in report.message
    assert not path.exists()
    assert len(DecisionStore(db, rescue_dirs=dirs).history("a1")) == 1


@needs_dev_full
def test_still_not_writable_at_the_next_start_keeps_the_file(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1")
    path = store.rescue().path
    store.close()
    again = DecisionStore(db, rescue_dirs=dirs)  # the disk is still full
    report = again.replayed
    assert report.count == 0 and "No space left" in report.error
    assert "not replayed yet" in report.message and "next start" in report.message
    assert path.exists() and len(rescued_lines(path)) == 1
    again.close()
    free_disk(db)
    assert DecisionStore(db, rescue_dirs=dirs).replayed.count == 1
    assert decided(db, dirs) == {"seed": "archive", "a1": "flag"}


@needs_dev_full
def test_falls_back_to_a_private_folder_when_beside_cannot_be_written(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1")
    rescue_path(db).mkdir()  # beside is not writable (here: a folder is in the way)
    result = store.rescue()
    assert result.fallback and result.path.parent == dirs[0] and "Is a directory" in result.error
    assert stat.S_IMODE(dirs[0].stat().st_mode) == 0o700 and stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert str(result.path) in result.message
    store.close()
    free_disk(db)
    report = DecisionStore(db, rescue_dirs=dirs).replayed  # the next start looks there too
    assert report.count == 1 and report.paths == (result.path,)
    assert not result.path.exists()


@needs_dev_full
def test_a_symlink_is_never_followed_and_a_file_of_others_is_never_replayed(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1")
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    rescue_path(db).symlink_to(victim)
    result = store.rescue()
    assert result.fallback and victim.read_text() == "keep me\n"
    store.close()
    free_disk(db)
    content = result.path.read_text()
    report = DecisionStore(db, rescue_dirs=dirs).replayed  # the link beside is reported, never followed
    assert report.count == 1 and report.paths == (result.path,)
    again = DecisionStore(db, rescue_dirs=dirs)
    assert "a symbolic link, not followed" in again.replayed.error
    assert str(rescue_path(db)) in again.replayed.message
    assert victim.read_text() == "keep me\n"
    rescue_path(db).unlink()
    result.path.write_text(content.replace('"a1"', '"a9"').replace('"uid":"', '"uid":"9'))
    result.path.chmod(0o666)  # a fallback file others may have written: not trusted
    third = DecisionStore(db, rescue_dirs=dirs)
    assert third.replayed.count == 0 and third.current("a9") is None
    assert third.replayed.message == (f"{result.path}: not replayed (mode 0666: others may write it); "
                                      f"it was left as it is.")
    assert result.path.exists()  # left alone, not deleted


@needs_dev_full
def test_nowhere_writable_says_so_and_keeps_the_events_pending(tmp_path):
    db = tmp_path / "d.json"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    store = pending_store(db, [blocked / "rescue"], "a1")
    rescue_path(db).mkdir()
    result = store.rescue()
    assert result.path is None and store.pending == 1
    assert "could not be saved and no rescue file could be written" in result.message
    with pytest.raises(PendingWriteError):
        store.close()


@needs_dev_full
def test_an_event_changed_later_by_someone_else_is_not_replayed_over_it(tmp_path, dirs):
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1", "a2", user="ann")
    store.rescue()
    store.close()
    free_disk(db)
    time.sleep(0.002)
    bob = DecisionStore(db, rescue_dirs=dirs, replay=False, user="bob")  # decides a1 later, meanwhile
    bob.decide("a1", "archive", "bob's call")
    bob.close()
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 1 and report.superseded == 1 and "1 left out: changed later" in report.message
    assert decided(db, dirs)["a1"] == "archive" and decided(db, dirs)["a2"] == "follow-up"


def test_torn_and_damaged_lines(tmp_path, dirs):
    db = tmp_path / "d.json"
    DecisionStore(db, rescue_dirs=dirs).close()
    good = {"store": str(db), "doc": {"article_id": "a1", "decision": "flag", "uid": "u1",
                                      "at": "2030-01-01T00:00:00Z"}}
    path = rescue_path(db)
    cut = '{"store": "x", "doc": {"article_id": "a2", "deci'  # cut mid-write
    path.write_text(json.dumps(good) + "\n" + cut)
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 1 and report.damaged == 0 and not path.exists()
    good["doc"].update(article_id="a3", uid="u3")
    path.write_text("not json\n" + json.dumps(good) + "\n")
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 1 and report.damaged == 1
    assert not path.exists() and len(report.kept) == 1
    assert report.kept[0].name.startswith("d.json.rescue.damaged-")
    assert "1 damaged line(s) kept in" in report.message
    assert set(decided(db, dirs)) == {"a1", "a3"}


@needs_dev_full
def test_rescue_does_not_wait_for_a_thread_that_holds_the_store(tmp_path, dirs):
    """A signal handler or atexit hook runs while a worker thread may hold the store forever."""
    db = tmp_path / "d.json"
    store = pending_store(db, dirs, "a1")
    held, release = threading.Event(), threading.Event()

    def stuck_worker():
        with store._journal.mutex:
            held.set()
            release.wait(30)

    worker = threading.Thread(target=stuck_worker, daemon=True)
    worker.start()
    held.wait(5)
    result = store.rescue(timeout=0.3)
    still_held = worker.is_alive() and not release.is_set()  # rescue returned while the store was held
    release.set()
    worker.join()
    assert result.path == rescue_path(db) and result.count == 1
    assert still_held


def test_a_rescue_racing_a_replay_is_not_lost(tmp_path, dirs):
    """The replay removes the file while a rescue waits for its lock: the rescue writes a new file."""
    import fcntl

    db = tmp_path / "d.json"
    path = rescue_path(db)
    path.write_text("")
    path.chmod(0o600)
    from triage.store.rescue import write_rescue

    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the replay holds the file
    out = {}
    writer = threading.Thread(target=lambda: out.update(r=write_rescue(
        db, [{"article_id": "a1", "decision": "flag", "uid": "u1"}], dirs=dirs, timeout=5)))
    writer.start()
    time.sleep(0.2)
    os.unlink(path)  # the replay is done with it
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    writer.join()
    assert out["r"].path == path and [line["doc"]["uid"] for line in rescued_lines(path)] == ["u1"]


SIGNAL_CHILD = textwrap.dedent("""
    import signal, sys, time
    from triage.store import DecisionStore, PendingWriteError
    from triage.store.storage import journal_path
    db, dirs = sys.argv[1], sys.argv[2:]
    store = DecisionStore(db, rescue_dirs=dirs)
    journal_path(store.path).symlink_to("/dev/full")

    def on_signal(signum, frame):
        result = store.rescue(timeout=1.0)
        print("rescued", result.count, result.path, flush=True)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        store.decide_many(["s1", "s2"], "flag")
    except PendingWriteError:
        pass
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
""")


@needs_dev_full
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_handler_rescues_and_the_next_start_replays(tmp_path, dirs, signum):
    db = tmp_path / "d.json"
    child = subprocess.Popen([sys.executable, "-c", SIGNAL_CHILD, str(db), *map(str, dirs)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signum)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 128 + signum, err
    assert out.strip() == f"rescued 2 {rescue_path(db)}"
    free_disk(db)
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 2 and decided(db, dirs) == {"s1": "flag", "s2": "flag"}


@needs_dev_full
def test_uid_is_stored_and_old_documents_without_one_still_load(tmp_path, dirs):
    db = tmp_path / "d.json"
    db.write_text(json.dumps({
        "events": {"1": {"article_id": "old", "decision": "flag", "note": "", "user": "u", "host": "h",
                         "at": "2020-01-01T00:00:00.000000Z", "title": "", "source": "", "url": "",
                         "action": "decide", "batch": ""}},
        "meta": {"1": {"schema_version": 2, "app": "triage"}},
    }))
    store = DecisionStore(db, rescue_dirs=dirs)
    assert store.current("old").uid == ""
    new = store.decide("new", "archive")
    assert len(new.uid) == 16 and store.current("new").uid == new.uid
    store.close()
    docs = json.loads(db.read_text())["events"]
    assert "uid" not in docs["1"] and docs["2"]["uid"] == new.uid


def test_events_never_handed_to_the_store_can_be_rescued_with_their_uids(tmp_path, dirs):
    """A writer queue (the TUI's) gives its not-yet-written events as `extra`; uids made up front with
    new_uid() make the rescue and a write that lands anyway the same event: saved once."""
    from triage.model import Decision, DecisionEvent
    from triage.store import new_uid

    db = tmp_path / "d.json"
    store = DecisionStore(db, rescue_dirs=dirs, user="ann")
    uid = new_uid()
    queued = [DecisionEvent("q1", Decision.FLAG, note="queued", uid=uid),
              DecisionEvent("q2", None, action="clear")]
    result = store.rescue(extra=queued)
    assert result.count == 2
    docs = [line["doc"] for line in rescued_lines(result.path)]
    assert docs[0]["uid"] == uid and docs[1]["uid"] and docs[0]["user"] == "ann" and docs[0]["at"]
    landed = store.decide("q1", "flag", "queued", uid=uid)  # the queued write ran after all
    assert landed.uid == uid and store.current("q1").uid == uid
    store.close()
    report = DecisionStore(db, rescue_dirs=dirs).replayed
    assert report.count == 1 and report.already == 1  # q1 once; q2 replayed
    assert [e.article_id for e in DecisionStore(db, rescue_dirs=dirs).query(history=True)] == ["q1", "q2"]


def test_caller_uids_for_batches_notes_and_undo(tmp_path, dirs):
    from triage.store import new_uid

    store = DecisionStore(tmp_path / "d.json", rescue_dirs=dirs)
    uids = [new_uid(), new_uid()]
    events = store.decide_many(["a1", "a2"], "flag", uids=uids)
    assert [e.uid for e in events] == uids
    assert store.set_note("a1", "n", uid="n" * 16).uid == "n" * 16
    undo = store.undo_own(events[1:], uids={"a2": "u" * 16})
    assert undo.events[0].uid == "u" * 16
    with pytest.raises(ValueError, match="one id per article"):
        store.decide_many(["a1", "a2"], "flag", uids=["x"])
    store.close()


def test_a_write_in_progress_on_another_thread_is_rescued(tmp_path, dirs):
    """The writer thread blocks inside the journal write, holding the store (as a write stuck on a slow
    disk would); rescue() cannot take the store and still gets the event."""
    db = tmp_path / "d.json"
    store = DecisionStore(db, rescue_dirs=dirs)
    stuck, release = threading.Event(), threading.Event()
    storage = store._journal.storage
    real_append = storage.append

    def slow_append(records):
        stuck.set()
        release.wait(10)
        raise OSError(errno.EIO, "Input/output error")

    storage.append = slow_append
    outcome = {}

    def write():
        try:
            outcome["event"] = store.decide("stuck", "flag", "mid-write")
        except PendingWriteError as exc:
            outcome["pending"] = exc.events

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert stuck.wait(10), "the writer never reached the write"
    assert store._journal.inflight
    result = store.rescue(timeout=0.2)
    assert result.count == 1 and rescued_lines(result.path)[0]["doc"]["note"] == "mid-write"
    release.set()  # let the stuck write fail
    writer.join(10)
    storage.append = real_append
    assert not writer.is_alive()
