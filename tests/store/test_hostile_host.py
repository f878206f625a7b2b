"""A shared folder another local user can write: what they plant there (rescue files, links, FIFOs,
hard links, a directory for the lock) never makes triage write for them, hang, or replay their lines.
The other user is uid 65534, made real with setpriv."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import invoke, isolate
from triage.store import DecisionStore, PendingWriteError, new_uid
from triage.store.rescue import rescue_path
from triage.store.storage import journal_path, lock_path

NOBODY = 65534
needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None or os.geteuid() != 0,
                                   reason="needs root and setpriv to act as another user")


def as_nobody(code: str, *args: str) -> None:
    """Run Python code as uid/gid 65534 (another local user)."""
    subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable,
                    "-c", code, *args], check=True, timeout=60)


def forged_line(db: Path, article_id: str) -> str:
    doc = {"article_id": article_id, "decision": "flag", "note": "forged", "user": "owner", "host": "h",
           "at": "2099-01-01T00:00:00.000000Z", "title": "", "source": "", "url": "", "action": "decide",
           "batch": "", "uid": new_uid(), "version": ""}
    return json.dumps({"store": os.path.abspath(db), "doc": doc}) + "\n"


def refused(db: Path) -> str:
    """Why a decision on `db` was not written (it must not be): the PendingWriteError's sentence."""
    store = DecisionStore(db, rescue_dirs=[])
    with pytest.raises(PendingWriteError) as caught:
        store.decide("a2", "flag")
    store.discard_pending()
    store.close()
    return str(caught.value)


@pytest.fixture
def run(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return invoke


@pytest.fixture
def shared():
    """A folder everyone may write (as a shared desk folder would be), holding the owner's 0600 store."""
    folder = Path(tempfile.mkdtemp(prefix="triage-shared-"))
    folder.chmod(0o777)
    db = folder / "decisions.json"
    store = DecisionStore(db, rescue_dirs=[])
    store.decide("a1", "archive")
    store.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    yield db
    shutil.rmtree(folder, ignore_errors=True)


@needs_setpriv
def test_a_rescue_file_of_another_user_is_never_replayed_and_left_alone(run, shared):
    as_nobody("import sys; open(sys.argv[1], 'w').write(sys.argv[2])", str(rescue_path(shared)),
              forged_line(shared, "forged1"))
    assert rescue_path(shared).stat().st_uid == NOBODY
    result = run("decisions", "--db", shared, "--format", "csv", "--decision", "all")
    assert result.exit_code == 0 and "forged1" not in result.stdout
    assert result.stderr.splitlines() == [
        f"triage: {rescue_path(shared)}: not replayed (owned by uid {NOBODY}, not by you); it was left as "
        f"it is."
    ]
    assert rescue_path(shared).exists()


def test_our_own_rescue_file_others_may_write_is_never_replayed(run, shared):
    rescue_path(shared).write_text(forged_line(shared, "forged2"))
    rescue_path(shared).chmod(0o666)
    result = run("decisions", "--db", shared, "--format", "csv", "--decision", "all")
    assert result.exit_code == 0 and "forged2" not in result.stdout
    assert result.stderr.splitlines() == [
        f"triage: {rescue_path(shared)}: not replayed (mode 0666: others may write it); it was left as it is."
    ]
    assert rescue_path(shared).exists()


def test_a_rescue_file_others_may_write_in_a_fallback_place_is_never_replayed(tmp_path, shared):
    fallback = tmp_path / "state"
    fallback.mkdir(mode=0o700)
    store = DecisionStore(shared, rescue_dirs=[fallback])
    store.close()
    from triage.store.rescue import rescue_candidates

    target = rescue_candidates(shared, [fallback])[1][0]
    target.write_text(forged_line(shared, "forged3"))
    target.chmod(0o622)
    again = DecisionStore(shared, rescue_dirs=[fallback])
    assert again.current("forged3") is None
    assert again.replayed.message == (f"{target}: not replayed (mode 0622: others may write it); it was left "
                                      f"as it is.")
    again.close()


def test_output_replaces_a_planted_link_never_its_target_and_is_private(run, tmp_path, shared):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = shared.parent / "export.csv"
    out.symlink_to(victim)
    result = run("decisions", "--db", shared, "--format", "csv", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink() and "a1" in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_output_under_group_share_is_0660(run, tmp_path, shared):
    config = tmp_path / "group.toml"
    config.write_text("[store]\ngroup_share = true\n")
    os.environ["TRIAGE_CONFIG"] = str(config)
    out = tmp_path / "out.md"
    assert run("decisions", "--db", shared, "--format", "md", "--output", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o660


def test_new_store_files_are_0600_and_new_folders_0700(tmp_path):
    old = os.umask(0o022)
    try:
        db = tmp_path / "new" / "deeper" / "d.json"
        store = DecisionStore(db, rescue_dirs=[tmp_path / "fallback"])
        store.decide("a1", "flag")
        store.close(compact=False)
        for folder in (db.parent, db.parent.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        for path in (journal_path(db), lock_path(db)):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        store = DecisionStore(db)
        store.close(compact=True)
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_group_share_files_are_0660(tmp_path):
    old = os.umask(0o022)
    try:
        db = tmp_path / "g" / "d.json"
        store = DecisionStore(db, group_share=True)
        store.decide("a1", "flag")
        store.close()
        for path in (db, lock_path(db)):
            assert stat.S_IMODE(path.stat().st_mode) == 0o660, path
    finally:
        os.umask(old)


@needs_setpriv
def test_a_lock_file_linked_by_another_user_to_our_file_is_never_truncated(tmp_path, shared):
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA me\n")
    lock_path(shared).unlink()
    as_nobody("import os, sys; os.symlink(sys.argv[1], sys.argv[2])", str(victim), str(lock_path(shared)))
    store = DecisionStore(shared, rescue_dirs=[])
    with pytest.raises(PendingWriteError, match="a symbolic link of another user, not followed"):
        store.decide("a2", "flag")
    store.discard_pending()
    store.close()
    assert victim.read_text() == "ssh-ed25519 AAAA me\n"


def test_a_lock_file_that_is_a_directory_is_one_sentence(tmp_path, shared):
    lock_path(shared).unlink()
    lock_path(shared).mkdir()
    assert f"{lock_path(shared)}: cannot use the lock file (Is a directory)." in refused(shared)


def test_a_journal_replaced_by_a_fifo_never_hangs(run, shared):
    journal_path(shared).unlink(missing_ok=True)
    os.mkfifo(journal_path(shared))
    result = run("decisions", "--db", shared)
    assert result.exit_code == 1
    assert result.stderr == (f"triage: {journal_path(shared)}: cannot read the journal (a FIFO, not a "
                             f"regular file).\n")


@needs_setpriv
def test_a_journal_linked_by_another_user_to_dev_zero_or_our_file_is_not_followed(run, tmp_path, shared):
    victim = tmp_path / "notes.txt"
    victim.write_text("mine\n")
    for target in ("/dev/zero", str(victim)):
        journal_path(shared).unlink(missing_ok=True)
        as_nobody("import os, sys; os.symlink(sys.argv[1], sys.argv[2])", target, str(journal_path(shared)))
        result = run("decide", "a2", "flag", "--db", shared)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (f"triage: {journal_path(shared)}: cannot read the journal "
                                                  f"(a symbolic link of another user, not followed).")
    assert victim.read_text() == "mine\n"


def test_a_journal_hard_linked_to_another_file_is_never_written(tmp_path, shared):
    victim = tmp_path / "other.txt"
    victim.write_text("")
    journal_path(shared).unlink(missing_ok=True)
    os.link(victim, journal_path(shared))
    assert "cannot write the journal (a hard link to another file, not written)" in refused(shared)
    assert victim.read_text() == ""


def test_a_gigabyte_journal_line_costs_one_mebibyte_of_memory(tmp_path, shared):
    """A sparse 1 GiB line (no newline until its end): read in chunks, only its head kept."""
    with open(journal_path(shared), "wb") as fh:
        fh.write(b'{"t":"events","id":5,"doc":{"article_id":"x","note":"')
        fh.seek(1 << 30)
        fh.write(b'"}}\n')
    store = DecisionStore(shared, rescue_dirs=[])
    assert store.damage.startswith(f"{journal_path(shared)}: line 1 is damaged (longer than 1048576 bytes)")
    assert store.current("a1") is not None
    store.close()


def test_a_main_file_replaced_by_a_fifo_is_one_sentence_and_recover_still_gets_out(run, tmp_path, shared):
    store = DecisionStore(shared, rescue_dirs=[])
    store.decide("a2", "flag")
    store.close(compact=False)  # a2 is in the journal only
    shared.unlink()
    os.mkfifo(shared)
    result = run("decisions", "--db", shared)
    assert result.exit_code == 1
    assert result.stderr == (f"triage: {shared}: cannot read the decisions file (a FIFO, not a regular "
                             f"file).\n")
    out = tmp_path / "r.json"
    result = run("recover", "--db", shared, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"triage: warning: {shared}: not read (a FIFO, not a regular file); its events "
                             f"could not be recovered.\n")
    assert list(DecisionStore(out).current_many()) == ["a2"]


def test_recover_with_a_fifo_for_a_journal_still_writes_a_usable_file(run, tmp_path, shared):
    journal_path(shared).unlink(missing_ok=True)
    os.mkfifo(journal_path(shared))
    out = tmp_path / "r.json"
    result = run("recover", "--db", shared, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert "(a FIFO, not a regular file); its events could not be recovered." in result.stderr
    assert list(DecisionStore(out).current_many()) == ["a1"]


def test_a_main_file_of_3_gib_is_refused_without_reading_it(run, tmp_path, shared):
    """Sparse, so it costs no disk: the store says so in one sentence, never loading it into memory."""
    with open(shared, "r+b") as fh:
        fh.seek(3 << 30)
        fh.write(b"}")
    result = run("decisions", "--db", shared)
    assert result.exit_code == 1
    assert result.stderr == (f"triage: {shared}: larger than 2 GiB, not read as a decisions file; it was "
                             f"left untouched (use another file with --db).\n")
    result = run("recover", "--db", shared, "--output", tmp_path / "r.json")
    assert f"{shared}: not read (larger than 2 GiB)" in result.stderr
    assert result.exit_code == 1  # nothing usable in it: the new file is there, empty
    assert len(DecisionStore(tmp_path / "r.json")) == 0
