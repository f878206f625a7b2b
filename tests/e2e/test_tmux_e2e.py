"""End to end: the installed `triage demo` in a real terminal (tmux), keys sent as a person types them."""

from __future__ import annotations

import time

import pytest
from tinydb import TinyDB

from .tmux import HAVE_TMUX, TRIAGE, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]


def test_installed_demo_in_tmux_records_a_decision(tmp_path):
    assert TRIAGE.exists(), "the triage console script is installed beside the interpreter"
    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} demo") as term:
        started = time.monotonic()
        term.wait(lambda s: "Inbox 50" in s)
        first_paint = time.monotonic() - started
        assert first_paint < 30
        term.keys("j")
        time.sleep(0.3)
        term.keys("f")
        term.wait(lambda s: "Inbox 49" in s and ("Follow-up 1" in s or "Follow 1" in s))
        term.keys("q")
        term.wait(lambda s: "Demo decisions:" in s, timeout=20)
    with TinyDB(db) as tdb:
        events = tdb.table("events").all()
    assert [e["decision"] for e in events] == ["follow-up"]
    assert events[0]["title"]
