"""Presence on one host (triage.store.presence.FilePresence): show, beat, seen and leave across real
processes; a TUI killed with SIGKILL leaves the desk within the expiry; a process whose clock is set
an hour off still ages like the others, because ages come from the kernel's file times; beats and
moves do not make the folder grow, and a TUI clears its own stale entries when it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.colleague import AS_NOBODY, NOBODY, needs_root
from tests.store.desk_users import Remote, shared
from triage.infra.clock import parse_iso
from triage.store.open import desk_folder, open_presence
from triage.store.presence import FilePresence

__all__ = ["shared"]

EXPIRY = 1.5


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "decisions.json"


@pytest.fixture
def remotes() -> Iterator[list[Remote]]:
    made: list[Remote] = []
    yield made
    for r in made:
        r.stop()


def _board(db: Path, remotes: list[Remote], **kw) -> Remote:
    expiry = kw.pop("expiry", EXPIRY)
    board = Remote(lambda: open_presence(db, expiry=expiry, **kw))
    remotes.append(board)
    return board


def _until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def test_what_another_process_has_open_shows_moves_and_goes_when_it_leaves(db: Path, remotes) -> None:
    mine = open_presence(db, expiry=30)
    other = _board(db, remotes, expiry=30)
    mine.show("a1")
    other.show("b7")
    seen = mine.seen()
    assert [(s.pid, s.article_id) for s in seen] == sorted([(os.getpid(), "a1"), (other.pid, "b7")])
    assert all(s.user == mine.user and s.host == mine.host and s.since and s.beat for s in seen)
    assert other.seen() == seen
    other.show("b8")
    assert {s.pid: s.article_id for s in mine.seen()}[other.pid] == "b8"
    other.show("")  # nothing open, still on the desk
    assert {s.pid: s.article_id for s in mine.seen()}[other.pid] == ""
    other.leave()
    assert [s.pid for s in mine.seen()] == [os.getpid()]
    mine.leave()
    assert mine.seen() == []


def test_the_same_story_kept_open_keeps_its_since_and_beats(db: Path) -> None:
    board = open_presence(db, expiry=30)
    board.show("a1")
    first = board.seen()[0]
    time.sleep(0.05)
    board.show("a1")
    board.beat()
    later = board.seen()[0]
    assert later.since == first.since and later.beat > first.beat


def test_an_entry_whose_beats_stopped_is_gone_after_the_expiry(db: Path, remotes) -> None:
    mine = open_presence(db, expiry=3)
    elsewhere = _board(db, remotes, expiry=3, host="another-host")  # its pid cannot be asked: the expiry says
    elsewhere.show("a1")
    assert [s.host for s in mine.seen()] == ["another-host"]
    elsewhere.kill()
    assert [s.host for s in mine.seen()] == ["another-host"]  # not gone before its time
    started = time.monotonic()
    _until(lambda: mine.seen() == [], timeout=10)
    assert time.monotonic() - started > 1  # it went when its beat aged out, not at the kill


def test_a_tui_killed_with_sigkill_on_this_host_leaves_the_desk(db: Path, remotes) -> None:
    mine = open_presence(db, expiry=30)
    killed = _board(db, remotes, expiry=30)
    killed.show("a1")
    assert [s.article_id for s in mine.seen()] == ["a1"]
    killed.kill()
    assert mine.seen() == []  # a process of this host that is gone: at once, not after 30 s


CLOCK_OFF = """
import sys, time
shift = float(sys.argv[2]) * 1e9
real_ns, real = time.time_ns, time.time
time.time_ns = lambda: real_ns() + int(shift)
time.time = lambda: real() + shift / 1e9
from triage.store.open import open_presence
board = open_presence(sys.argv[1], expiry=float(sys.argv[3]), host="skewed")
board.show("a1")
print(board.path, flush=True)
for line in sys.stdin:
    if line.strip() == "seen":
        print([s.host for s in board.seen()], flush=True)
    elif line.strip() == "beat":
        board.beat()
        print("beat", flush=True)
"""


@pytest.mark.parametrize("shift", [3600, -3600])
def test_a_process_with_its_clock_an_hour_off_ages_like_the_others(db: Path, shift: int) -> None:
    """Ages are the kernel's file times against a file made this instant: an entry's age is the time
    since its last beat, whatever the clock of the process that beat or of the one that looks. (Ages
    are set here by putting a file's time back, as a beat that stopped would leave it.)"""
    expiry = 5.0
    mine = open_presence(db, expiry=expiry, host="right")
    mine.show("b1")
    proc = subprocess.Popen([sys.executable, "-c", CLOCK_OFF, str(db), str(shift), str(expiry)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None

    def ask(what: str) -> str:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(what + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    def age(path: Path, seconds: float) -> None:
        then = time.time() - seconds
        os.utime(path, (then, then))

    try:
        theirs = Path(proc.stdout.readline().strip())
        # each sees the other as here: neither an hour old nor an hour ahead
        assert [s.host for s in mine.seen()] == ["right", "skewed"]
        assert ask("seen") == "['right', 'skewed']"
        skewed = {s.host: s for s in mine.seen()}["skewed"]
        since = parse_iso(skewed.since)
        assert since is not None and abs(since.timestamp() - time.time()) < 60  # the kernel's time
        # its beats stop: gone once the last one is older than the expiry, and back with its next beat
        age(theirs, expiry - 2)
        assert [s.host for s in mine.seen()] == ["right", "skewed"]
        age(theirs, expiry + 1)
        assert [s.host for s in mine.seen()] == ["right"]
        assert ask("beat") == "beat"
        assert [s.host for s in mine.seen()] == ["right", "skewed"]
        # and it judges mine the same way
        age(mine.path, expiry - 2)
        assert ask("seen") == "['right', 'skewed']"
        age(mine.path, expiry + 1)
        assert ask("seen") == "['skewed']"
        mine.beat()
        assert ask("seen") == "['right', 'skewed']"
    finally:
        proc.kill()
        proc.wait()


def test_beats_and_moves_do_not_make_the_folder_grow(db: Path) -> None:
    board = open_presence(db, expiry=30)
    board.show("a0")
    folder = desk_folder(db)
    before = sorted(os.listdir(folder))
    for i in range(300):
        board.show(f"a{i % 7}")
        board.beat()
    after = sorted(os.listdir(folder))
    assert after == before and len(after) == 1
    assert (folder / after[0]).stat().st_size < 200


def test_a_tui_clears_its_own_stale_entries_when_it_starts(db: Path, remotes) -> None:
    old = open_presence(db, expiry=EXPIRY)
    old.show("a1")  # never leaves
    dead = _board(db, remotes, expiry=30)
    dead.show("a2")
    dead.kill()  # a process of this host that is gone
    far = _board(db, remotes, expiry=30, host="another-host")
    far.show("a3")
    far.kill()
    folder = desk_folder(db)
    old_file = next(p for p in folder.iterdir() if p.name.endswith(".presence") and
                    "a1" in p.read_text())
    past = time.time() - 3600
    os.utime(old_file, (past, past))
    assert len(list(folder.glob("*.presence"))) == 3
    fresh = FilePresence(folder, expiry=EXPIRY)
    left = list(folder.glob("*.presence"))
    assert len(left) == 1 and "a3" in left[0].read_text()  # another host's, still within its expiry
    fresh.show("a4")
    assert [s.article_id for s in fresh.seen()] == ["a3", "a4"]


def test_an_entry_damaged_by_hand_costs_only_itself(db: Path) -> None:
    board = open_presence(db, expiry=30)
    board.show("a1")
    folder = desk_folder(db)
    user = board.user
    (folder / f"{user}.0123456789abcdef.presence").write_bytes(b'{"v":1,"host":"h","pid":"x"}')
    (folder / f"{user}.89abcdef01234567.presence").write_bytes(b"\xff\xfe not json")
    (folder / f"{user}.fedcba9876543210.presence").write_bytes(b"[" * 100_000)
    (folder / f"{user}.aaaaaaaabbbbbbbb.presence").write_bytes(b"x" * 10_000)
    os.mkfifo(folder / f"{user}.cccccccc00000000.presence")
    started = time.monotonic()
    assert [s.article_id for s in board.seen()] == ["a1"]
    assert time.monotonic() - started < 5  # a FIFO is never waited on


@needs_root
def test_a_colleagues_presence_shows_under_their_own_name_and_only_so(shared: Path, remotes) -> None:
    db = shared / "decisions.json"
    mine = open_presence(db, expiry=30, group_share=True)
    mine.show("a1")
    colleague = Remote(lambda: open_presence(db, expiry=30, group_share=True), uid=NOBODY, gid=NOBODY)
    remotes.append(colleague)
    colleague.show("a2")
    assert {(s.user, s.article_id) for s in mine.seen()} == {("root", "a1"), ("nobody", "a2")}
    assert {(s.user, s.article_id) for s in colleague.seen()} == {("root", "a1"), ("nobody", "a2")}
    # an entry the colleague names after me is not believed; mine they can neither remove nor replace
    forged = desk_folder(db) / "root.0123456789abcdef.presence"
    script = ("import json, os, sys\n"
              "open(sys.argv[1], 'w').write(json.dumps({'v': 1, 'host': 'x', 'pid': 1, 'article_id': 'f'}))\n"
              "for target in sys.argv[2:]:\n"
              "    try:\n"
              "        os.unlink(target)\n"
              "        print('removed', target)\n"
              "    except PermissionError:\n"
              "        pass\n")
    mine_file = next(p for p in desk_folder(db).glob("root.*.presence") if p != forged)
    out = subprocess.run([*AS_NOBODY, sys.executable, "-c", script, str(forged), str(mine_file)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "removed" not in out.stdout, out.stderr
    assert {(s.user, s.article_id) for s in mine.seen()} == {("root", "a1"), ("nobody", "a2")}
    colleague.leave()  # still running; its entry goes with leave()
    assert {(s.user, s.article_id) for s in mine.seen()} == {("root", "a1")}


def test_a_poll_when_no_entry_changed_opens_no_file_and_makes_none(db: Path, remotes,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from triage.store import deskfolder, presence

    mine = open_presence(db, expiry=30, host="here")
    mine.show("b1")
    theirs = _board(db, remotes, host="there")
    theirs.show("b2")
    assert [s.article_id for s in mine.seen()] == ["b1", "b2"]
    opened: list[str] = []
    made: list[object] = []
    real_open = presence.open_regular
    monkeypatch.setattr(presence, "open_regular", lambda path, *a, **k: opened.append(str(path))
                        or real_open(path, *a, **k))
    real_now = deskfolder.kernel_now_ns
    monkeypatch.setattr(deskfolder, "kernel_now_ns", lambda *a: made.append(a) or real_now(*a))
    mine.beat()
    theirs.beat()
    assert [s.article_id for s in mine.seen()] == ["b1", "b2"]
    assert opened == [] and made == []  # a stat of each entry; nothing opened, no file made
    theirs.show("b3")  # replaced whole: read again
    assert [s.article_id for s in mine.seen()] == ["b1", "b3"] and len(opened) == 1
