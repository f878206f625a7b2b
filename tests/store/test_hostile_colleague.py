"""Issue 19, attacks 5, 6 and 12 as a colleague on the host would make them: uid 65534 (through setpriv),
in the desk's group, sharing the owner's decisions file (store.group_share) or a folder with it. It
writes a line Python cannot hold, a note that would retitle a terminal, or plants a link where the
owner exports. The owner's triage reads on, recovers, shows the note clean and overwrites nothing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.colleague import AS_NOBODY, NOBODY, needs_root, shared_folder
from triage.store import DecisionStore
from triage.store.storage import journal_path

pytestmark = needs_root


@pytest.fixture
def desk() -> Iterator[Path]:
    """A folder the desk's group (gid 65534 here) shares: setgid, 2770, holding the owner's group-shared
    store, and a config saying so."""
    shared = shared_folder()
    top = shared.parent
    (top / "group.toml").write_text("[store]\ngroup_share = true\n", encoding="utf-8")
    theirs = top / "theirs"  # the colleague's own data folder
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    store = DecisionStore(shared / "decisions.json", group_share=True, rescue_dirs=[])
    store.decide("a1", "archive", "owner's note")
    store.close(compact=False)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _triage(top: Path, *args: str, as_nobody: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRIAGE_CONFIG=str(top / "group.toml"),
               TRIAGE_DATA_DIR=str(top / ("theirs" if as_nobody else "mine")), HOME=str(top))
    cmd = [*(AS_NOBODY if as_nobody else []), sys.executable, "-m", "triage", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd="/")


def _colleague_can_run_triage(top: Path) -> None:
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import triage"], capture_output=True,
                           timeout=60)
    if probe.returncode != 0:
        pytest.skip("uid 65534 cannot run this Python and triage")


def test_attack_5_a_colleagues_line_python_cannot_hold_breaks_neither_reading_nor_recover(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    db = desk / "desk" / "decisions.json"
    line = b'{"t":"events","id":9,"doc":{"article_id":"a1","decision":"flag","at":1e999,"note":"' + \
        b"[" * 1000 + b'"}}\n' + b'{"t":"events","id":10,"doc":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    append = "import sys; open(sys.argv[1], 'ab').write(sys.stdin.buffer.read())"
    subprocess.run([*AS_NOBODY, sys.executable, "-c", append, str(journal_path(db))], input=line, check=True,
                   timeout=60)
    out = _triage(desk, "decisions", "--db", str(db), "--format", "json", "--decision", "all")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and [e["article_id"] for e in json.loads(out.stdout)] == ["a1"]
    assert "damaged" in out.stderr and len(out.stderr.splitlines()) == 1  # one sentence names it
    fixed = desk / "desk" / "fixed.json"
    out = _triage(desk, "recover", "--db", str(db), "--output", str(fixed))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    events = DecisionStore(fixed, group_share=True, rescue_dirs=[]).query(history=True)
    assert [e.article_id for e in events] == ["a1"]


def test_attack_6_a_colleagues_note_never_reaches_the_owners_terminal_raw(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    db = desk / "desk" / "decisions.json"
    note = "see \x1b]2;pwned\x07 and \x1b[2J\u202egnp.exe"
    out = _triage(desk, "decide", "a2", "flag", "--note", note, "--db", str(db), as_nobody=True)
    assert out.returncode == 0, out.stderr
    out = _triage(desk, "decisions", "--db", str(db), "--decision", "all")
    assert out.returncode == 0, out.stderr
    assert "nobody see and gnp.exe" in out.stdout  # the sequences gone, with what they carried
    assert not any(c in out.stdout for c in ("\x1b", "\x07", "\u202e"))  # the TUI: test_terminal_safety.py


def test_attack_12_a_link_a_colleague_plants_where_the_owner_exports_is_not_followed(desk: Path) -> None:
    db = desk / "desk" / "decisions.json"
    victim = desk / "mine-authorized_keys"
    victim.write_text("ssh-ed25519 AAAA owner\n", encoding="utf-8")
    victim.chmod(0o600)
    out_file = desk / "desk" / "export.csv"
    subprocess.run([*AS_NOBODY, "ln", "-s", str(victim), str(out_file)], check=True, timeout=30)
    assert out_file.is_symlink() and os.lstat(out_file).st_uid == NOBODY
    out = _triage(desk, "decisions", "--db", str(db), "--format", "csv", "--output", str(out_file))
    assert out.returncode == 0, out.stderr
    assert victim.read_text(encoding="utf-8") == "ssh-ed25519 AAAA owner\n"
    assert not out_file.is_symlink() and "a1" in out_file.read_text(encoding="utf-8")
    st = os.stat(out_file)
    assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o660  # the shared decisions file's mode
