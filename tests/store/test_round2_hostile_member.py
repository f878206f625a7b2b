"""Round two, a hostile member of the desk's group (uid 65534 through setpriv) sharing the decisions file:
one well-formed line with the largest id JSON numbers allow, or with a field of the wrong type
(`"at": null`), costs only itself. Every reader (the review screen, `triage decisions`, recover,
compaction) still shows every other member's decisions; a fuzz test tries every field and type."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.colleague import AS_NOBODY, NOBODY
from tests.store.test_hostile_colleague import _colleague_can_run_triage, _triage, desk
from tests.tui.test_review import ReviewApp, _ids, _ready
from triage.config import load_settings
from triage.core.service import TriageService
from triage.store import DecisionStore
from triage.store.events import EVENT_KEYS
from triage.store.recover import recover_events
from triage.store.storage import journal_path

__all__ = ["desk"]  # the shared folder fixture, as the round-one colleague tests build it

needs_setpriv = pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(),
                                   reason="needs root and setpriv to act as another user")

GOOD_AT = "2024-05-01T10:00:00.000000Z"


def _line(doc_id: int, **fields) -> bytes:
    doc = {"article_id": "m1", "decision": "flag", "note": "", "user": "mallory", "host": "h", "at": GOOD_AT,
           "title": "Mallory's", "source": "", "url": "", "action": "decide", "batch": "", "uid": "m" * 16,
           "version": "", **fields}
    return json.dumps({"t": "events", "id": doc_id, "doc": doc}).encode() + b"\n"


def _append_as_nobody(path: Path, data: bytes) -> None:
    append = "import sys; open(sys.argv[1], 'ab').write(sys.stdin.buffer.read())"
    subprocess.run([*AS_NOBODY, sys.executable, "-c", append, str(path)], input=data, check=True, timeout=60)


def _decisions(top: Path, db: Path) -> tuple[dict[str, str | None], str]:
    out = _triage(top, "decisions", "--db", str(db), "--format", "json", "--decision", "all")
    assert out.returncode == 0, out.stderr
    return {row["article_id"]: row["decision"] for row in json.loads(out.stdout)}, out.stderr


@needs_setpriv
def test_a_members_line_with_the_largest_id_costs_only_itself(desk: Path) -> None:
    """Hole 3: id 2^53-1 made every later record unreadable, stopped compaction, and recover kept the
    attacker's line while it set the victims' decisions aside."""
    _colleague_can_run_triage(desk)
    db = desk / "desk" / "decisions.json"
    _append_as_nobody(journal_path(db), _line(2**53 - 1))
    out = _triage(desk, "decide", "a2", "follow-up", "--db", str(db))
    assert out.returncode == 0, out.stderr
    seen, warned = _decisions(desk, db)
    assert seen["a1"] == "archive" and seen["a2"] == "follow-up"  # the owner's, before and after
    assert "damaged" not in warned
    # compaction keeps working, and files every event under an id the store chose
    store = DecisionStore(db, group_share=True, rescue_dirs=[])
    store.decide("a3", "flag")
    store.compact()
    store.close()
    ids = [int(k) for k in json.loads(db.read_text())["events"]]
    assert max(ids) < 100 and journal_path(db).read_bytes() == b""
    seen, _ = _decisions(desk, db)
    assert {k: seen[k] for k in ("a1", "a2", "a3")} == {"a1": "archive", "a2": "follow-up", "a3": "flag"}


@needs_setpriv
def test_recover_keeps_the_victims_and_sets_the_attackers_jump_aside(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    db = desk / "desk" / "decisions.json"
    _append_as_nobody(journal_path(db), _line(2**53 - 1))
    victim = DecisionStore(db, group_share=True, rescue_dirs=[])
    victim.decide("a2", "follow-up")
    victim.close(compact=False)  # the line is still there as the attacker wrote it
    fixed = desk / "desk" / "fixed.json"
    out = _triage(desk, "recover", "--db", str(db), "--output", str(fixed))
    assert out.returncode == 0, out.stderr
    events = DecisionStore(fixed, group_share=True, rescue_dirs=[]).query(history=True)
    assert [(e.article_id, e.decision and e.decision.value) for e in events] == [
        ("a1", "archive"), ("a2", "follow-up")]
    (aside,) = fixed.parent.glob("fixed.json.damaged-*")
    assert b"Mallory's" in aside.read_bytes()


def _review_ids(db: Path, data: Path) -> list[str]:
    """The article ids the review screen lists for a store (the real app's screen, through pilot)."""
    import asyncio

    settings = load_settings(db=db, data_dir=data, use_user_config=False,
                             overrides={"store": {"group_share": True}})
    service = TriageService(settings, inbox=[], db_path=db)

    async def look() -> list[str]:
        async with ReviewApp(service).run_test(size=(120, 30)) as pilot:
            return sorted(_ids(await _ready(pilot)))

    try:
        return asyncio.run(look())
    finally:
        service.close()


@needs_setpriv
@pytest.mark.parametrize("where", ["journal", "main file"])
def test_an_at_that_is_no_time_breaks_no_reader(desk: Path, tmp_path: Path, where: str) -> None:
    """Hole 4: `"at": null` in a journal line (or `"at": ["x"]` in the main file) left review saying
    "the rows could not be worked out" for every member, for good."""
    _colleague_can_run_triage(desk)
    db = desk / "desk" / "decisions.json"
    if where == "journal":
        _append_as_nobody(journal_path(db), _line(2, at=None))
    else:
        owner = DecisionStore(db, group_share=True, rescue_dirs=[])
        owner.compact()  # a main file to change
        owner.close()
        data = json.loads(db.read_text())
        data["events"]["2"] = json.loads(_line(2, at=["x"]))["doc"]
        subprocess.run([*AS_NOBODY, sys.executable, "-c",
                        "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())", str(db)],
                       input=json.dumps(data), text=True, check=True, timeout=60)
    assert "a1" in _review_ids(db, tmp_path / "data")
    seen, _ = _decisions(desk, db)
    assert seen["a1"] == "archive"
    fixed = desk / "desk" / "fixed.json"
    assert _triage(desk, "recover", "--db", str(db), "--output", str(fixed)).returncode == 0
    events = DecisionStore(fixed, group_share=True, rescue_dirs=[]).query(history=True)
    assert ("a1", "archive") in [(e.article_id, e.decision and e.decision.value) for e in events]
    assert all(isinstance(e.at, str) for e in events)  # text whatever the line held


# ---- the fuzz test: any field, any JSON type, any id -------------------------------------------------

ODD_TEXT = ["", "\u202e", "\x1b]0;x\x07", "\x9b31m", "9999-99-99T99:99:99Z", "2024-02-30T10:00:00Z", "flag",
            "undo"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40) | st.sampled_from(ODD_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
FIELDS = st.sampled_from([*EVENT_KEYS, "article_id", "extra"])
HOSTILE_LINE = st.tuples(st.integers(1, 2**64), st.dictionaries(FIELDS, JSON_VALUES, min_size=1, max_size=3))


def _owned_store(root: Path) -> Path:
    """A group-shared store with ann's and bob's decisions, the folder open to uid 65534's group."""
    root.mkdir(mode=0o770)
    os.chown(root, os.geteuid(), NOBODY)
    db = root / "decisions.json"
    ann = DecisionStore(db, group_share=True, rescue_dirs=[], user="ann")
    ann.decide("ann1", "archive", "ann's note")
    ann.close(compact=False)
    bob = DecisionStore(db, group_share=True, rescue_dirs=[], user="bob")
    bob.decide("bob1", "flag")
    bob.close(compact=False)
    os.chown(journal_path(db), os.geteuid(), NOBODY)
    return db


@needs_setpriv
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(HOSTILE_LINE, min_size=1, max_size=4))
@example(lines=[(2**53 - 1, {"title": "the largest id"})])
@example(lines=[(3, {"at": None}), (4, {"at": ["x"]}), (5, {"note": None, "user": 7})])
def test_fuzz_a_members_well_formed_lines_cost_only_themselves(lines) -> None:
    top = Path(tempfile.mkdtemp(prefix="triage-fuzz-"))  # a folder uid 65534 can enter
    try:
        _fuzz_once(top, lines)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _fuzz_once(top: Path, lines: list[tuple[int, dict]]) -> None:
    top.chmod(0o755)
    db = _owned_store(top / "desk")
    data = b"".join(_line(doc_id, **fields) for doc_id, fields in lines)
    _append_as_nobody(journal_path(db), data)
    want = {"ann1": "archive", "bob1": "flag"}

    def check(seen: dict) -> None:
        assert {k: seen.get(k) for k in want} == want

    # the store, as every command reads it
    store = DecisionStore(db, group_share=True, rescue_dirs=[], user="carol")
    check({aid: e.decision and e.decision.value for aid, e in store.current_many().items()})
    store.decide("carol1", "follow-up")  # a later record: readable whatever ids the lines said
    damage = store.damage
    if not damage:  # a well-formed event: compaction keeps working and keeps everyone's
        store.compact()
    store.close()
    want["carol1"] = "follow-up"
    # `triage decisions`, as the CLI prints it
    (top / "group.toml").write_text("[store]\ngroup_share = true\n", encoding="utf-8")
    env = dict(os.environ, TRIAGE_CONFIG=str(top / "group.toml"), TRIAGE_DATA_DIR=str(top / "mine"),
               HOME=str(top))
    out = subprocess.run([sys.executable, "-m", "triage", "decisions", "--db", str(db), "--format", "json",
                          "--decision", "all"], capture_output=True, text=True, timeout=120, env=env, cwd="/")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    check({row["article_id"]: row["decision"] for row in json.loads(out.stdout)})
    # the review screen
    assert set(want) <= set(_review_ids(db, top / "data"))
    # recover, then the recovered file compacts
    fixed = top / "fixed.json"
    report = recover_events(db, fixed, rescue_dirs=[], group_share=True)
    assert report.found >= 3
    again = DecisionStore(fixed, group_share=True, rescue_dirs=[])
    check({aid: e.decision and e.decision.value for aid, e in again.current_many().items()})
    again.decide("dan1", "flag")
    again.compact()
    again.close()
