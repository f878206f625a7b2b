"""Moving a desk: `triage store copy` takes a whole history from a TinyDB file to PostgreSQL and back,
keeping who, when and each event's id, safe to run twice; both stores then export the same rows."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import isolate
from triage.model import Article
from triage.store import DecisionStore
from triage.store.export import format_decisions
from triage.store.open import open_store


def triage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `triage` command."""
    command = str(Path(sys.executable).with_name("triage"))
    return subprocess.run([command, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def desk_file(path: Path) -> None:
    """A desk's file: three editors, notes, a batch, undo, wire fields, and an event from before uids."""
    for user in ("ann", "bob", "cho"):
        store = DecisionStore(path, user=user, host=f"{user}-host", rescue_dirs=[path.parent / "r"])
        store.decide(Article(id=f"{user}-1", title=f"Story of {user}", text=".", source="Wire", urgency=2,
                             slugline="SLUG", version="3"), "flag", f"{user}'s note")
        store.decide_many([f"{user}-2", f"{user}-3"], "archive")
        store.undo(f"{user}-3")
        store.set_note("shared", f"note by {user}")
        store.close()
    raw = json.loads(path.read_text())
    old = {"article_id": "old", "decision": "follow-up", "note": "", "user": "zoe", "host": "h",
           "at": "2025-01-01T00:00:00.000000Z", "title": "Before uids", "source": "", "url": "",
           "action": "decide", "batch": "", "uid": "", "version": ""}
    raw["events"][str(len(raw["events"]) + 1)] = old
    path.write_text(json.dumps(raw))


def fields(events):
    return [dataclasses.astuple(e) for e in events]


def test_copy_a_desk_to_postgresql_and_back_twice(pg, tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    src = tmp_path / "desk.json"
    desk_file(src)
    original = DecisionStore(src).query(history=True)
    owner = pg.server.url(pg.dbname, pg.server.superuser)  # copying others' events in: the owner's job
    first = triage("store", "copy", str(src), owner, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"Copied {len(original)} of {len(original)} event(s)" in first.stdout
    again = triage("store", "copy", str(src), owner, cwd=tmp_path)
    assert again.returncode == 0 and f"Copied 0 of {len(original)}" in again.stdout  # safe twice

    on_server = pg.open(user="ann").query(history=True)
    assert len(on_server) == len(original)
    for a, b in zip(original, on_server, strict=True):  # who, when, what, in order; a uid for the old one
        assert dataclasses.replace(a, uid=b.uid if not a.uid else a.uid) == b
    assert on_server[-1].uid.startswith("copy-")

    back = tmp_path / "back.json"
    out = triage("store", "copy", pg.url_for("ann"), str(back), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert triage("store", "copy", pg.url_for("ann"), str(back), cwd=tmp_path).stdout.startswith("Copied 0 ")
    returned = DecisionStore(back).query(history=True)
    assert fields(returned) == fields(on_server)

    # the same rows exported from either store
    file_store, pg_store = open_store(back), open_store(pg.url_for("bob"), rescue_dirs=[tmp_path / "r"])
    for history in (False, True):
        for fmt in ("json", "csv", "md"):
            from_file = format_decisions(file_store.query(decision="all", history=history), fmt)
            from_pg = format_decisions(pg_store.query(decision="all", history=history), fmt)
            assert from_file == from_pg, (fmt, history)
    file_store.close()
    pg_store.close()


def test_copy_refuses_a_missing_source_and_the_same_store(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    nowhere = str(tmp_path / "nope" / "d.json")  # a folder that does not exist: a mistyped path
    missing = triage("store", "copy", nowhere, str(tmp_path / "d.json"), cwd=tmp_path)
    assert missing.returncode == 1 and "no such decisions file" in missing.stderr
    # a decisions file not made yet is an empty record: nothing to copy, and DST is not made either
    empty = triage("store", "copy", str(tmp_path / "nope.json"), str(tmp_path / "d.json"), cwd=tmp_path)
    assert empty.returncode == 0 and "nothing to copy" in empty.stderr and not (tmp_path / "d.json").exists()
    DecisionStore(tmp_path / "d.json").close()
    (tmp_path / "d.json").write_text('{"events": {}}')
    same = triage("store", "copy", str(tmp_path / "d.json"), str(tmp_path / "d.json"), cwd=tmp_path)
    assert same.returncode == 2 and "same store" in same.stderr


@pytest.mark.parametrize("editor", ["ann"])
def test_an_editor_cannot_copy_others_events_in(pg, tmp_path, monkeypatch, editor):
    isolate(monkeypatch, tmp_path)
    src = tmp_path / "desk.json"
    desk_file(src)
    pg.open(user=editor).close()
    result = triage("store", "copy", str(src), pg.url_for(editor), cwd=tmp_path)
    assert result.returncode == 1 and "only the schema's owner" in result.stderr
    assert pg.open(user=editor).query(history=True) == []  # nothing half-copied


def test_a_row_a_member_planted_under_a_colleagues_uid_stops_the_copy(pg, tmp_path, monkeypatch):
    """Uids are readable in the shared file: a member who puts a row of their own under a colleague's
    uid before the desk is moved kept it in the colleague's place (the copy skipped uids already there).
    Now the copy checks such rows and copies nothing when one says otherwise."""
    isolate(monkeypatch, tmp_path)
    src = tmp_path / "desk.json"
    store = DecisionStore(src, user="ann", rescue_dirs=[tmp_path / "r"])
    ev = store.decide("story-1", "follow-up", "keep on it")
    store.close()
    ben = pg.open(user="ben")
    ben.decide("story-1", "archive", "planted", uid=ev.uid)
    ben.close()
    owner = pg.server.url(pg.dbname, pg.server.superuser)
    result = triage("store", "copy", str(src), owner, cwd=tmp_path)
    assert result.returncode == 1 and "is there already, but as another event (ben's)" in result.stderr
    rows = pg.server.sql("SELECT uid, username, decision FROM triage.events", pg.dbname)
    assert rows == [(ev.uid, "ben", "archive")]  # nothing copied; the planted row is for the owner to see
