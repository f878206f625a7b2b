"""Issue 19, attack 9 at the open: a file the scan saw as a regular file inside the shared inbox, swapped
by another local user (uid 65534 through setpriv) for a link out of it, or a folder of it swapped for a
link, before triage opens it. The scan cannot see that; the open checks where the descriptor really
leads. And the folders triage keeps private files in: one another user owns or may write to is refused."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from triage.infra.private import Confinement, NotPrivate, OutsideRoots, private_dir, read_regular
from triage.sources.loader import iter_load
from triage.sources.parsers import ParserPool, parse_files
from triage.sources.scan import iter_scan, read_confinement

SETPRIV = shutil.which("setpriv")
needs_second_user = pytest.mark.skipif(
    SETPRIV is None or os.geteuid() != 0, reason="needs root and setpriv to act as uid 65534"
)
NOBODY = [SETPRIV or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nthe victim's key\n"


def _story(path: Path, title: str) -> None:
    path.write_text(f"{title}\n\n{title} was reported on Monday by the council.\n", encoding="utf-8")


def _as_nobody(*cmd: str) -> None:
    subprocess.run([*NOBODY, *cmd], check=True, timeout=30)


def _folder_of_nobody(path: Path, mode: int) -> None:
    """A folder the other user made (where it can write: here, a folder of the host's /tmp)."""
    path.mkdir()
    os.chown(path, 65534, 65534)
    _as_nobody("chmod", f"{mode:o}", str(path))


@pytest.fixture
def victim_key(host_dir: Path) -> Path:
    ssh = host_dir / "victim" / ".ssh"
    ssh.mkdir(parents=True)
    key = ssh / "leak.txt"
    key.write_text(KEY, encoding="utf-8")
    return key


@needs_second_user
def test_a_file_swapped_for_a_link_after_the_scan_is_not_read(host_dir: Path, victim_key: Path) -> None:
    """The loader reads in batches after the scan: between two batches, the other user swaps the file
    the scan approved for a link to the victim's key. The open refuses it; the other files are read."""
    inbox = host_dir / "inbox"
    inbox.mkdir()
    os.chmod(inbox, 0o1777)  # the shared inbox
    _story(inbox / "a.txt", "Alpha story")
    _story(inbox / "b.txt", "Beta story")
    _as_nobody("sh", "-c", f"printf 'Gamma story\\n\\nA plain story by the other user.\\n' > {inbox}/c.txt")
    steps = iter_load([inbox], first_batch=1, batch=1)
    seen = [next(steps), next(steps)]  # a.txt read early, then b.txt: c.txt is scanned, not yet read
    assert [a.title for s in seen for a in s.articles] == ["Alpha story", "Beta story"]
    _as_nobody("sh", "-c", f"rm {inbox}/c.txt && ln -s {victim_key} {inbox}/c.txt")
    rest = list(steps)
    texts = [a.text for s in rest for a in s.articles]
    assert not any("victim" in t or "OPENSSH" in t for t in texts)
    assert [str(p) for s in rest for p in s.problems] == [
        f"{inbox}/c.txt: cannot be read (a link out of the inbox, swapped in after the scan)"
    ]


def test_a_folder_swapped_for_a_link_after_the_scan_is_not_read(tmp_path: Path, victim_key: Path) -> None:
    """Not only the last part of the path: a folder of the inbox replaced by a link to the victim's
    folder, which holds a file of the same name, is caught by the real path of the descriptor."""
    inbox = tmp_path / "inbox"
    (inbox / "desk").mkdir(parents=True)
    _story(inbox / "desk" / "leak.txt", "Desk story")
    problems: list = []
    found = list(iter_scan(inbox, problems))
    assert [p.name for p, _ in found] == ["leak.txt"] and not problems
    shutil.rmtree(inbox / "desk")
    (inbox / "desk").symlink_to(victim_key.parent)
    rules = read_confinement([inbox])
    parsed = parse_files(found, 5_000_000, rules)
    (path, _st, arts, probs), = parsed
    assert arts == [] and [p.reason for p in probs] == [
        "cannot be read (a link out of the inbox, swapped in after the scan)"
    ]
    with pytest.raises(OutsideRoots):
        read_regular(path, within=rules)


def test_the_check_holds_in_the_helper_processes_too(tmp_path: Path, victim_key: Path) -> None:
    """A big cold start parses in spawned helper processes: the rules travel with the work."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _story(inbox / "good.txt", "Good story")
    _story(inbox / "leak.txt", "Soon a link")
    found = list(iter_scan(inbox, []))
    (inbox / "leak.txt").unlink()
    (inbox / "leak.txt").symlink_to(victim_key)
    with ParserPool(1) as pool:
        (parsed,) = list(pool.map([found], 5_000_000, read_confinement([inbox])))
    # a real helper process did the reading
    assert any(c.name == "triage-parser" for c in multiprocessing.active_children())
    by_name = {p.name: (arts, probs) for p, _st, arts, probs in parsed}
    assert [a.title for a in by_name["good.txt"][0]] == ["Good story"]
    assert by_name["leak.txt"][0] == [] and "swapped in after the scan" in by_name["leak.txt"][1][0].reason


def test_links_inside_the_roots_still_read_and_named_files_are_the_users_choice(
    tmp_path: Path, victim_key: Path
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    archive.mkdir()
    _story(archive / "old.txt", "Archive story")
    (inbox / "old.txt").symlink_to(archive / "old.txt")
    rules = read_confinement([inbox], allowed_roots=[str(archive)])
    assert b"Archive story" in read_regular(inbox / "old.txt", within=rules)
    with pytest.raises(OutsideRoots):
        read_regular(inbox / "old.txt", within=read_confinement([inbox]))
    # a file named on the command line is not under an inbox folder: the user chose it
    assert read_regular(victim_key, within=read_confinement([inbox, victim_key])) == KEY.encode()
    # the watcher's named files (confine given) must all lie inside
    with pytest.raises(OutsideRoots):
        read_regular(victim_key, within=read_confinement([victim_key], confine=[str(inbox)]))
    # follow_symlinks = false: no link is opened as the last part of a path under the inbox
    with pytest.raises(OSError):
        read_regular(inbox / "old.txt", within=Confinement((str(inbox), str(archive)), (str(inbox),), False))


# --- the folders triage keeps private files in ---------------------------------------------------------


@needs_second_user
def test_a_data_folder_of_another_user_is_refused_with_a_clear_message(host_dir: Path) -> None:
    data = host_dir / "data"
    _folder_of_nobody(data, 0o777)
    inbox = host_dir / "inbox"
    inbox.mkdir()
    _story(inbox / "good.txt", "Good story")
    env = dict(os.environ, TRIAGE_DATA_DIR=str(data), TRIAGE_CONFIG=str(host_dir / "none.toml"))
    (host_dir / "none.toml").write_text("", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "triage", "ingest", str(inbox)], capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr  # the stories are read; nothing is kept in that folder
    assert "Good story" in out.stdout
    assert out.stderr.startswith(f"triage: {data}: belongs to another user (uid 65534)")
    lines = out.stderr.splitlines()
    assert [line for line in lines if str(data) in line] == lines[:1]  # said once: no cache warning on screen
    assert os.listdir(data) == []  # no log, no cache left where the other user could read or swap them
    with pytest.raises(NotPrivate, match="belongs to another user"):
        private_dir(data)


@needs_second_user
def test_a_group_folder_is_accepted_only_with_group_share_never_world_writable(host_dir: Path) -> None:
    shared = host_dir / "shared"
    _folder_of_nobody(shared, 0o770)
    with pytest.raises(NotPrivate, match="store.group_share"):
        private_dir(shared)
    assert private_dir(shared, group=True) == shared  # a folder the desk's group shares
    os.chmod(shared, 0o777)
    with pytest.raises(NotPrivate, match="belongs to another user"):
        private_dir(shared, group=True)


def test_a_folder_of_ours_that_was_open_to_all_is_tightened_not_refused(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.mkdir()
    os.chmod(ours, 0o777)
    private_dir(ours)
    assert os.stat(ours).st_mode & 0o777 == 0o700


@needs_second_user
def test_a_spool_folder_of_another_user_is_not_written(host_dir: Path) -> None:
    from triage.sources.fetch import fetch_feeds

    spool = host_dir / "spool"
    _folder_of_nobody(spool, 0o777)
    res = fetch_feeds([], spool)
    assert os.listdir(spool) == []
    assert any("belongs to another user" in p.reason and p.where == str(spool) for p in res.problems)


# --- the watcher: a link to a folder out of the inbox -------------------------------------------------


@needs_second_user
def test_the_watcher_never_walks_a_folder_linked_out_of_the_inbox(host_dir: Path, victim_key: Path) -> None:
    """The other user plants `leakdir -> ~victim/.ssh` in the shared inbox; the watcher hears of a new
    entry, which is a folder: it was walked as a folder of its own (found on this branch)."""
    from watchfiles import Change

    from triage.sources.watch import changes_to_update

    inbox = host_dir / "inbox"
    inbox.mkdir()
    os.chmod(inbox, 0o1777)
    _story(inbox / "good.txt", "Good story")
    _as_nobody("ln", "-s", str(victim_key.parent), str(inbox / "leakdir"))
    events = {(Change.added, str(inbox / "leakdir")), (Change.added, str(inbox / "good.txt"))}
    update = changes_to_update(events, [str(inbox)], cache_path=host_dir / "cache.sqlite")
    assert [a.title for a in update.articles] == ["Good story"]
    assert [str(p) for p in update.problems] == [
        f"{inbox}/leakdir: is a symbolic link out of the inbox: skipped "
        "(sources.allowed_roots names other folders links may reach)"
    ]
    # a folder really inside the inbox, new since the scan, is still read
    (inbox / "desk").mkdir()
    _story(inbox / "desk" / "new.txt", "New story")
    update = changes_to_update({(Change.added, str(inbox / "desk"))}, [str(inbox)])
    assert [a.title for a in update.articles] == ["New story"] and not update.problems
