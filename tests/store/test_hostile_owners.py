"""Files another local user (uid 65534 through setpriv) plants beside the owner's private store in a folder
both may write: a lock file, a main file or a journal of its own, or a file where `--output` writes.
None of them decides who may take the lock, is read as the owner's decisions, or lends its mode or
group to what triage writes. A store shared by a group (store.group_share) still works across users."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import invoke, isolate
from triage.infra.atomic import write_text_atomic
from triage.store import DecisionStore, PendingWriteError, StoreError
from triage.store.storage import journal_path, lock_path

from .test_hostile_host import NOBODY, as_nobody, needs_setpriv

pytestmark = needs_setpriv


PLANT = "import os, sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o666); os.write(fd, sys.argv[2].encode()); os.fchmod(fd, 0o666)"  # noqa: E501


@pytest.fixture
def folder():
    """A folder everyone may write (a shared desk folder)."""
    top = Path(tempfile.mkdtemp(prefix="triage-owners-"))
    top.chmod(0o777)
    yield top
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def run(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return invoke


def test_a_lock_file_of_another_user_is_refused_with_one_sentence(run, folder) -> None:
    db = folder / "decisions.json"
    store = DecisionStore(db, rescue_dirs=[])
    store.decide("a1", "archive")
    store.close()
    lock_path(db).unlink()
    as_nobody(PLANT, str(lock_path(db)), "")
    assert lock_path(db).stat().st_uid == NOBODY
    result = run("decide", "a2", "flag", "--db", db)
    assert result.exit_code == 1
    assert (f"{lock_path(db)}: cannot use the lock file (it belongs to another user (uid {NOBODY}); remove "
            "it, or set store.group_share for a decisions file a group shares).") in result.stderr
    assert "Traceback" not in result.stderr
    store = DecisionStore(db, rescue_dirs=[])
    with pytest.raises(PendingWriteError, match="belongs to another user"):
        store.decide("a3", "flag")
    store.discard_pending()
    store.close()
    assert DecisionStore(db, rescue_dirs=[]).current("a3") is None


def test_a_group_shared_store_takes_a_lock_file_another_member_made(folder) -> None:
    db = folder / "decisions.json"
    as_nobody(PLANT, str(lock_path(db)), "")
    store = DecisionStore(db, group_share=True, rescue_dirs=[])
    store.decide("a1", "flag")
    store.close()
    assert DecisionStore(db, group_share=True, rescue_dirs=[]).current("a1").decision.value == "flag"


@pytest.mark.parametrize("which", ["main", "journal"])
def test_a_store_file_planted_before_the_owners_first_use_is_not_read_as_theirs(run, folder, which) -> None:
    db = folder / "decisions.json"
    target = db if which == "main" else journal_path(db)
    forged = ('{"events": {"1": {"article_id": "forged", "decision": "flag", "note": "by you", '
              '"user": "owner", "at": "2099-01-01T00:00:00Z"}}}' if which == "main" else "")
    as_nobody(PLANT, str(target), forged)
    result = run("decisions", "--db", db, "--format", "csv", "--decision", "all")
    assert result.exit_code == 1 and "forged" not in result.stdout
    assert (f"triage: {target}: belongs to another user (uid {NOBODY}), so it is not used as your private "
            "decisions file") in result.stderr
    with pytest.raises(StoreError, match="belongs to another user"):
        DecisionStore(db, rescue_dirs=[]).decide("a1", "flag")
    assert target.stat().st_uid == NOBODY and "a1" not in target.read_text()  # nothing of ours went there


def test_output_over_another_users_file_takes_neither_its_mode_nor_its_group(run, folder) -> None:
    db = folder / "decisions.json"
    store = DecisionStore(db, rescue_dirs=[])
    store.decide("a1", "archive")
    store.close()
    out = folder / "export.csv"
    as_nobody(PLANT, str(out), "theirs\n")
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 and out.stat().st_gid == NOBODY
    result = run("decisions", "--db", db, "--format", "csv", "--output", out)
    assert result.exit_code == 0, result.stderr
    st = out.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid() and st.st_gid == os.getegid()
    assert "a1" in out.read_text()
    peek = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "cat",
                           str(out)], capture_output=True, text=True, timeout=30)
    assert peek.returncode != 0 and "Permission denied" in peek.stderr


def test_an_atomic_write_keeps_our_own_files_mode_but_never_another_users(folder) -> None:
    ours = folder / "ours.toml"
    ours.write_text("old\n")
    ours.chmod(0o640)
    write_text_atomic(ours, "new\n")
    assert stat.S_IMODE(ours.stat().st_mode) == 0o640  # the user's own choice is kept
    theirs = folder / "theirs.toml"
    as_nobody(PLANT, str(theirs), "old\n")
    write_text_atomic(theirs, "new\n")
    st = theirs.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, os.geteuid(), os.getegid())
