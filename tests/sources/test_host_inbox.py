"""Issue 19, attacks 8, 9, 10 and 11: a second local user (uid 65534 through setpriv) who can write the
shared inbox, or read what triage leaves on disk. Each test does what that user would, then runs triage
as its owner."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from triage.sources.loader import iter_load, load

SETPRIV = shutil.which("setpriv")
needs_second_user = pytest.mark.skipif(
    SETPRIV is None or os.geteuid() != 0, reason="needs root and setpriv to act as uid 65534"
)
NOBODY = [SETPRIV or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ the victim's key\n"


def _ingest(tmp_path: Path, *sources: str, extra: str = "") -> subprocess.CompletedProcess:
    cfg = tmp_path / "config.toml"
    cfg.write_text(extra, encoding="utf-8")
    env = dict(os.environ, TRIAGE_DATA_DIR=str(tmp_path / "data"), TRIAGE_CONFIG=str(cfg))
    return subprocess.run(
        [sys.executable, "-m", "triage", "ingest", "--json", *sources],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def _good(inbox: Path) -> None:
    (inbox / "good.txt").write_text(
        "Council approves budget\n\nThe council approved the budget on Monday.\n", encoding="utf-8"
    )


@pytest.fixture
def shared_inbox(host_dir: Path) -> Path:
    """An inbox every local user may write to, as on the desk's shared host."""
    inbox = host_dir / "inbox"
    inbox.mkdir()
    os.chmod(inbox, 0o1777)
    _good(inbox)
    return inbox


@pytest.fixture
def victim_key(tmp_path: Path) -> Path:
    ssh = tmp_path / "victim" / ".ssh"
    ssh.mkdir(parents=True)
    key = ssh / "id_rsa.txt"
    key.write_text(KEY, encoding="utf-8")
    return key


# --- attack 9: a link planted in the shared inbox ------------------------------------------------------


@needs_second_user
def test_a_link_planted_by_another_user_out_of_the_inbox_is_not_followed(
    shared_inbox, victim_key, tmp_path: Path
) -> None:
    planted = shared_inbox / "leak.txt"
    subprocess.run([*NOBODY, "ln", "-s", str(victim_key), str(planted)], check=True, timeout=30)
    assert planted.is_symlink()
    out = _ingest(tmp_path, str(shared_inbox))
    assert out.returncode == 0, out.stderr
    titles = [json.loads(line)["title"] for line in out.stdout.splitlines()]
    assert titles == ["Council approves budget"]
    assert f"triage: {planted}: is a symbolic link out of the inbox: skipped" in out.stderr
    cache = (tmp_path / "data" / "ingest-cache.sqlite").read_bytes()
    assert b"victim's key" not in cache and b"OPENSSH" not in cache


def test_links_inside_the_inbox_and_to_allowed_roots_are_followed(tmp_path: Path, victim_key) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "desk").mkdir(parents=True)
    _good(inbox / "desk")
    (inbox / "same.txt").symlink_to(inbox / "desk" / "good.txt")
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "old.txt").write_text("Old story\n\nFrom the archive.\n", encoding="utf-8")
    (inbox / "old.txt").symlink_to(archive / "old.txt")
    res = load([inbox])
    assert [a.title for a in res.articles] == ["Council approves budget"] * 2  # the link inside is followed
    assert [str(p) for p in res.problems] == [
        f"{inbox / 'old.txt'}: is a symbolic link out of the inbox: skipped "
        "(sources.allowed_roots names other folders links may reach)"
    ]
    res = load([inbox], allowed_roots=[str(archive)])
    assert sorted(a.title for a in res.articles) == ["Council approves budget"] * 2 + ["Old story"]
    assert not res.problems


def test_the_watcher_refuses_a_planted_link_too(tmp_path: Path, victim_key) -> None:
    from watchfiles import Change

    from triage.sources.watch import changes_to_update

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _good(inbox)
    (inbox / "leak.txt").symlink_to(victim_key)
    update = changes_to_update(
        {(Change.added, str(inbox / "leak.txt")), (Change.added, str(inbox / "good.txt"))},
        [str(inbox)],
        cache_path=tmp_path / "cache.sqlite",
    )
    assert [a.title for a in update.articles] == ["Council approves budget"]
    assert [p.reason for p in update.problems] == [
        "is a symbolic link out of the inbox: skipped "
        "(sources.allowed_roots names other folders links may reach)"
    ]


# --- attack 10: one name that is not UTF-8 --------------------------------------------------------------


def test_a_name_that_is_not_utf8_costs_nothing_else(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _good(inbox)
    bad = os.fsencode(inbox) + b"/caf\xe9 \xff.txt"
    with open(bad, "wb") as fh:
        fh.write(b"Odd name story\n\nA file whose name is Latin-1.\n")
    os.mkfifo(os.fsencode(inbox) + b"/pipe\xfe")
    out = _ingest(tmp_path, str(inbox))
    assert out.returncode == 0, out.stderr
    assert sorted(json.loads(line)["title"] for line in out.stdout.splitlines()) == [
        "Council approves budget",
        "Odd name story",
    ]
    assert out.stderr.splitlines() == [
        f"triage: {inbox}/pipe\\xfe: is not a regular file (device, socket or pipe): skipped"
    ]
    again = _ingest(tmp_path, str(inbox))  # the cache holds both, by their bytes
    assert sorted(json.loads(line)["title"] for line in again.stdout.splitlines()) == [
        "Council approves budget",
        "Odd name story",
    ]


def test_the_tui_loader_with_its_cache_keeps_the_rest_of_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _good(inbox)
    with open(os.fsencode(inbox) + b"/\xff\xfe.txt", "wb") as fh:
        fh.write(b"Second story\n\nText.\n")
    cache = tmp_path / "data" / "ingest-cache.sqlite"
    for _run in range(2):  # cold, then warm from the cache
        titles = [a.title for part in iter_load([inbox], cache_path=cache) for a in part.articles]
        assert sorted(titles) == ["Council approves budget", "Second story"]


# --- attack 11: a folder nested 1,000 deep --------------------------------------------------------------


def _remove_deep(top: Path) -> None:
    """Remove a folder chain too deep for shutil.rmtree (it recurses), from the bottom up."""
    fds = [os.open(top, os.O_RDONLY)]
    try:
        while "d" in os.listdir(fds[-1]):
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        while fds:
            fd = fds.pop()
            for name in os.listdir(fd):
                (os.rmdir if name == "d" else os.unlink)(name, dir_fd=fd)
            os.close(fd)
    finally:
        for fd in fds:
            os.close(fd)


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    top = tmp_path / "inbox" / "a-deep"
    top.mkdir(parents=True)
    yield top
    _remove_deep(top)


def test_a_folder_nested_a_thousand_deep_hides_nothing_beside_it(tmp_path: Path, deep: Path) -> None:
    inbox = tmp_path / "inbox"
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1000):  # relative mkdirs: the path itself is too long for one call
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as fh:
            fh.write("Bottom\n\nDeep down.\n")
    finally:
        os.close(fd)
    (inbox / "b-desk").mkdir()
    _good(inbox / "b-desk")
    (inbox / "c.txt").write_text("Third story\n\nBeside the deep folder.\n", encoding="utf-8")
    res = load([inbox])
    assert sorted(a.title for a in res.articles) == ["Council approves budget", "Third story"]
    [problem] = res.problems
    assert problem.where == str(deep / "/".join(["d"] * 32))
    assert problem.reason == "is nested more than 32 folders deep: skipped (sources.max_depth)"


def test_the_sources_settings_reach_the_loader(tmp_path: Path) -> None:
    from triage.config import load_settings
    from triage.sources.scan import scan_options

    inbox = tmp_path / "inbox"
    (inbox / "x" / "y").mkdir(parents=True)
    (inbox / "x" / "y" / "deep.txt").write_text("Deep story\n\nTwo folders down.\n", encoding="utf-8")
    _good(inbox / "x")
    settings = load_settings(
        overrides={"sources": {"max_depth": 1, "allowed_roots": [str(tmp_path)]}},
        use_user_config=False,
        data_dir=tmp_path / "data",
    )
    opts = scan_options(asdict(settings.sources))
    assert opts["max_depth"] == 1 and opts["allowed_roots"] == (str(tmp_path),)
    res = load([inbox], **opts)
    assert [a.title for a in res.articles] == ["Council approves budget"]
    assert [str(p) for p in res.problems] == [
        f"{inbox}/x/y: is nested more than 1 folders deep: skipped (sources.max_depth)"
    ]


# --- attack 8: what triage leaves on disk ---------------------------------------------------------------


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


@needs_second_user
def test_another_user_can_read_nothing_triage_keeps(host_dir: Path) -> None:
    tmp_path = host_dir
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _good(inbox)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # as older versions left it
    old = data / "ingest-cache.sqlite"
    old.touch()
    os.chmod(old, 0o644)
    out = _ingest(tmp_path, str(inbox))
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    modes = _modes(data)
    assert modes["triage.log"] == 0o600 and modes["ingest-cache.sqlite"] == 0o600
    assert all(m & 0o077 == 0 for m in modes.values()), modes
    os.chmod(data, 0o755)  # even a folder opened by mistake keeps the files to their owner
    for name in ("triage.log", "ingest-cache.sqlite"):
        peek = subprocess.run([*NOBODY, "cat", str(data / name)], capture_output=True, text=True, timeout=30)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr


def test_a_link_from_one_inbox_folder_into_another_is_followed(tmp_path: Path) -> None:
    desk, wire = tmp_path / "desk", tmp_path / "wire"
    desk.mkdir()
    wire.mkdir()
    (wire / "w.txt").write_text("Wire story\n\nFrom the wire folder.\n", encoding="utf-8")
    (desk / "w.txt").symlink_to(wire / "w.txt")
    res = load([desk, wire])
    assert [a.title for a in res.articles] == ["Wire story"] * 2 and not res.problems
    res = load([desk])
    assert res.articles == [] and [p.reason for p in res.problems] == [
        "is a symbolic link out of the inbox: skipped "
        "(sources.allowed_roots names other folders links may reach)"
    ]
