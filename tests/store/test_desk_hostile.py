"""A hostile member of the desk (uid 65534, in the desk's group, through setpriv or a forked child)
against the desk folder of a group-shared decisions file: it cannot make a take, hand-off or
acknowledgement appear as root's, cannot remove, replace or write root's file, and its damaged lines
cost only themselves. Someone outside the group (uid 4242) can neither read nor write any of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.colleague import AS_NOBODY, NOBODY, needs_root
from tests.store.desk_users import AS_OUTSIDER, OUTSIDER, Remote, shared
from triage.model import Take
from triage.store.deskstate import make_uid
from triage.store.errors import StoreError
from triage.store.open import desk_folder, open_desk

__all__ = ["shared"]
pytestmark = needs_root

GOOD_AT = "2026-01-01T10:00:00.000000Z"
LATER = "2099-01-01T10:00:00.000000Z"


def _line(owner: str, kind: str = "take", **fields: str) -> bytes:
    doc = {"v": 1, "kind": kind, "uid": make_uid(owner), "at": GOOD_AT, "user": owner, "host": "h",
           "article_id": "f1", "until": LATER, **fields}
    return json.dumps(doc).encode() + b"\n"


def _as(who: list[str], script: str, *args: str, data: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*who, sys.executable, "-c", script, *args], input=data.decode("latin-1"),
                          capture_output=True, text=True, timeout=60)


APPEND = ("import os, sys\n"
          "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)\n"
          "os.write(fd, sys.stdin.buffer.read())\n")


def _append_as_nobody(path: Path, data: bytes) -> None:
    out = subprocess.run([*AS_NOBODY, sys.executable, "-c", APPEND, str(path)], input=data,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr


def _root_desk(db: Path):
    desk = open_desk(db, group_share=True)
    desk.take("a1", minutes=30, title="root's")
    return desk


def test_a_line_naming_root_in_the_members_own_file_is_not_believed(shared: Path) -> None:
    db = shared / "decisions.json"
    root = _root_desk(db)
    handed = root.hand("a2", "ana", "for ana only")
    theirs = desk_folder(db) / "nobody.jsonl"
    shadow = json.loads(_line("nobody", "handoff", to="root", note="shadow"))
    shadow["uid"] = handed.uid  # a hand-off of its own under root's hand-off's uid
    _append_as_nobody(theirs, b"".join([
        _line("root"),  # a take that names root
        _line("root", "ack", ref=handed.uid),  # an acknowledgement that names root
        _line("root", "release", article_id="a1"),  # root giving back root's take
        json.dumps(shadow).encode() + b"\n",
        _line("nobody", "ack", ref=handed.uid),  # its own ack of a hand-off addressed to ana
    ]))
    reader = open_desk(db, group_share=True)
    assert [(t.article_id, t.user) for t in reader.takes()] == [("a1", "root")]
    handoffs = {h.uid: h for h in reader.handoffs()}
    assert handoffs[handed.uid].sender == "root" and handoffs[handed.uid].note == "for ana only"
    assert not handoffs[handed.uid].seen  # nobody's ack of a hand-off to ana is not believed
    assert {a.user for a in reader.acts()} == {"root"}  # nothing of the member's own was believed either
    assert "nobody.jsonl" in reader.damage and "names 'root'" in reader.damage
    assert len(reader.damage.splitlines()) == 1


def test_a_file_named_after_root_that_another_member_made_is_not_believed(shared: Path) -> None:
    db = shared / "decisions.json"
    folder = desk_folder(db)
    folder.mkdir()
    os.chown(folder, os.geteuid(), NOBODY)
    folder.chmod(0o3770)
    # before root ever wrote: the member takes root's own file name, and a name with a token
    _append_as_nobody(folder / "root.jsonl", _line("root", article_id="f1"))
    _append_as_nobody(folder / "root.0123456789abcdef.jsonl", _line("root", article_id="f2"))
    root = _root_desk(db)  # still writes: to a file of its own
    mine = [p.name for p in folder.iterdir() if p.stat().st_uid == os.geteuid() and p.suffix == ".jsonl"]
    assert len(mine) == 1 and mine[0].startswith("root.") and mine[0] != "root.0123456789abcdef.jsonl"
    reader = open_desk(db, group_share=True)
    assert [(t.article_id, t.user) for t in reader.takes()] == [("a1", "root")]
    assert "named after another member, but it is nobody's" in reader.damage
    root.release("a1")
    assert open_desk(db, group_share=True).takes() == []


TRY_EACH = """
import os, sys

def try_each(tries):
    '''Each attempt, said as DID (it worked) or refused with the errno.'''
    for name, attempt in tries.items():
        try:
            attempt()
            print("DID", name)
        except OSError as exc:
            print("refused", name, exc.errno)
"""

REMOVE = TRY_EACH + """
target, own = sys.argv[1], sys.argv[2]
open(own, "ab").close()
tries = {
    "unlink": lambda: os.unlink(target),
    "rename away": lambda: os.rename(target, target + ".gone"),
    "rename onto": lambda: os.rename(own, target),
    "append": lambda: os.close(os.open(target, os.O_WRONLY | os.O_APPEND)),
    "truncate": lambda: os.truncate(target, 0),
    "chmod": lambda: os.chmod(target, 0o666),
    "hard link": lambda: os.link(target, own + ".link"),
    "lock file": lambda: os.unlink(os.path.join(os.path.dirname(target), "desk.lock")),
}
try_each(tries)
"""


def test_a_member_can_neither_remove_nor_replace_nor_write_roots_file(shared: Path) -> None:
    db = shared / "decisions.json"
    root = _root_desk(db)
    folder = desk_folder(db)
    target = folder / "root.jsonl"
    before = target.read_bytes()
    out = _as(AS_NOBODY, REMOVE, str(target), str(folder / "nobody.jsonl"))
    assert out.returncode == 0, out.stderr
    assert "DID" not in out.stdout and out.stdout.count("refused") == 8, out.stdout
    assert target.read_bytes() == before and (folder / "desk.lock").exists()
    assert [t.user for t in open_desk(db, group_share=True).takes()] == ["root"]
    root.take("a2", minutes=5)  # root still writes


OUTSIDE = TRY_EACH + """
folder = sys.argv[1]
try_each({
    "list": lambda: os.listdir(folder),
    "read": lambda: open(os.path.join(folder, "root.jsonl"), "rb").read(),
    "write": lambda: open(os.path.join(folder, "outsider.jsonl"), "ab").close(),
})
"""


def test_someone_outside_the_group_can_neither_read_nor_write_the_desk(shared: Path) -> None:
    db = shared / "decisions.json"
    _root_desk(db)
    shared.chmod(0o2775)  # let them reach the desk folder: its own mode must keep them out
    out = _as(AS_OUTSIDER, OUTSIDE, str(desk_folder(db)))
    assert out.returncode == 0, out.stderr
    assert "DID" not in out.stdout and out.stdout.count("refused") == 3, out.stdout

    def as_outsider():
        desk = open_desk(db, group_share=True)
        return desk.takes()

    with pytest.raises(StoreError) as refused:
        Remote(as_outsider, uid=OUTSIDER, gid=OUTSIDER)
    assert "Permission denied" in str(refused.value) and len(str(refused.value).splitlines()) == 1


def test_damaged_lines_and_files_a_member_makes_by_hand_cost_only_themselves(shared: Path) -> None:
    db = shared / "decisions.json"
    root = _root_desk(db)
    folder = desk_folder(db)
    member = Remote(lambda: open_desk(db, group_share=True), uid=NOBODY, gid=NOBODY)
    try:
        member.take("n1", minutes=30)
        junk = [
            b"not json",
            b'{"v":1,"kind":"take"\x00}',
            b"\xff\xfe\xfd",
            b'{"v":1,"kind":"take","at":1e999}',
            b"[" * 10_000 + b"]" * 10_000,
            b'{"v":1,"kind":"take","title":"' + b"x" * 200_000 + b'"}',
            _line("nobody", "explode").rstrip(),
            _line("nobody", at="yesterday").rstrip(),
            _line("nobody", title="t" * 5000).rstrip(),
            _line("nobody").replace(b'"v": 1', b'"v": 99').rstrip(),
            b'{"v":1,"kind":"take","uid":5}',
            b"   ",
        ]
        _append_as_nobody(folder / "nobody.jsonl", b"\n".join(junk) + b"\n")
        member.take("n2", minutes=30)  # after the junk, its own lines still count
        # a FIFO and a link to root's private file, named as the member's own
        secret = shared.parent / "secret"
        secret.write_text('{"v":1}\n')
        secret.chmod(0o600)
        fifo, link = folder / "nobody.0123456789abcdef.jsonl", folder / "nobody.fedcba9876543210.jsonl"
        out = _as(AS_NOBODY, "import os, sys; os.mkfifo(sys.argv[1]); os.symlink(sys.argv[3], sys.argv[2])",
                  str(fifo), str(link), str(secret))
        assert out.returncode == 0, out.stderr
        with open(folder / "root.jsonl", "ab") as fh:  # and root's own file damaged by hand
            fh.write(b'{"v":1,"kind":"take","article_id":"r9"\n')
        root.take("a3", minutes=30)
        started = time.monotonic()
        reader = open_desk(db, group_share=True)
        assert time.monotonic() - started < 10  # the FIFO is never waited on
        held = sorted((t.article_id, t.user) for t in reader.takes())
        assert held == [("a1", "root"), ("a3", "root"), ("n1", "nobody"), ("n2", "nobody")]
        damage = reader.damage
        assert len(damage.splitlines()) == 1 and "a FIFO" in damage and "and 13 more" in damage
        assert member.take("n3", minutes=30).article_id == "n3"
        assert reader.refresh() and len(reader.takes()) == 5
    finally:
        member.stop()


def test_a_take_root_holds_is_held_against_the_member_and_the_race_is_fair(shared: Path) -> None:
    db = shared / "decisions.json"
    _root_desk(db)
    member = Remote(lambda: open_desk(db, group_share=True), uid=NOBODY, gid=NOBODY)
    try:
        with pytest.raises(StoreError) as held:
            member.take("a1", minutes=30)
        assert "held by root" in str(held.value)
        assert isinstance(getattr(held.value, "take", None), Take)
    finally:
        member.stop()


SWAP = """
import json, os, sys
folder, line = sys.argv[1], sys.argv[2]
os.rename(folder, folder + ".old")
os.mkdir(folder, 0o3770)
os.chmod(folder, 0o3770)
with open(os.path.join(folder, "root.jsonl"), "w") as fh:
    fh.write(line)
"""


def test_a_member_who_swaps_the_whole_desk_folder_is_named_and_still_speaks_for_nobody(shared: Path) -> None:
    """The decisions file's folder is the group's to write, so a member can rename the desk folder away
    and make another: root's record is then no longer shown (said in `damage`), and nothing in the new
    folder is believed as root's."""
    db = shared / "decisions.json"
    root = _root_desk(db)
    reader = open_desk(db, group_share=True)
    out = _as(AS_NOBODY, SWAP, str(desk_folder(db)), _line("root", article_id="forged").decode())
    assert out.returncode == 0, out.stderr
    reader.refresh()
    assert reader.takes() == []
    assert "was replaced since it was opened" in reader.damage and "nobody's" in reader.damage
    root.take("a9", minutes=5)  # root still writes, to a file of its own in the new folder
    fresh = open_desk(db, group_share=True)
    assert [(t.article_id, t.user) for t in fresh.takes()] == [("a9", "root")]
    assert "named after another member, but it is nobody's" in fresh.damage
