"""The installed `triage` in tmux on a wire desk's drop folder: a flash that arrived first is the top row,
an embargo counts down in the list, and a story followed up and then killed by the agency comes back to
the inbox with the kill banner. Real ANPA takes from tests/sources/data/wire/own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .tmux import HAVE_TMUX, TRIAGE, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]

WIRE = Path(__file__).resolve().parents[1] / "sources" / "data" / "wire" / "own"


def _ninjs_embargoed(folder: Path, seconds: int) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    item = {
        "uri": "urn:example:embargo-1", "type": "text", "version": "1", "pubstatus": "usable",
        "headline": "Central bank sets new interest rate", "urgency": 4,
        "embargoed": until.isoformat().replace("+00:00", "Z"),
        "body_text": "The central bank will announce its new rate at the time of the embargo.\n\n"
                     "Analysts expect a cut of a quarter point after months of slowing growth.",
    }
    (folder / "embargo.json").write_text(json.dumps(item), encoding="utf-8")


def _decisions(db: Path) -> list[dict]:
    """What `triage decisions` says is decided in the file (journal included), as JSON rows."""
    out = subprocess.run([str(TRIAGE), "decisions", "--db", str(db), "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout or "[]")


def test_in_tmux_a_flash_leads_an_embargo_counts_and_a_killed_follow_up_comes_back(tmp_path):
    inbox = tmp_path / "wire"
    inbox.mkdir()
    for name in ("ap-flash.tst", "ap-correction.tst"):
        shutil.copy(WIRE / name, inbox / name)
    _ninjs_embargoed(inbox, 150)  # lifts in 2.5 min: the once-a-minute repaint shows it count down
    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} {inbox}", size=(80, 24)) as term:
        screen = term.wait(lambda s: "!!" in s and "EMB" in s)
        rows = screen.splitlines()[1:5]
        assert "!!" in rows[0]  # the flash is the top row of the inbox
        emb = next(i for i, r in enumerate(rows) if "EMB" in r and "Central bank" in r)
        term.keys(*["j"] * emb)
        shown = term.wait(lambda s: re.search(r"EMBARGO until \d\d:\d\d UTC \(in \d min\)", s) is not None)
        left = int(re.search(r"\(in (\d) min\)", shown).group(1))
        assert left in (2, 3)
        term.wait(lambda s: f"(in {left - 1} min)" in s, timeout=90)  # the embargo counts down
        term.keys("g")
        budget = next(i for i, r in enumerate(rows) if "spending bill" in r.lower() or "budget" in r.lower())
        term.keys(*["j"] * budget, "f")  # follow up the budget story
        term.wait(lambda s: "Follow-up 1" in s or "Follow 1" in s)
        decided = _decisions(db)
        assert [(d["decision"], d["slugline"]) for d in decided] == [("follow-up", "Budget-Vote")]
        shutil.copy(WIRE / "ap-kill.tst", inbox / "ap-kill.tst")  # the agency kills it
        back = term.wait(lambda s: "KILLED" in s and ("Follow-up 0" in s or "Follow 0" in s), timeout=30)
        killed = next(i for i, line in enumerate(back.splitlines()[1:6]) if "KILLED" in line)
        term.keys("g", *["j"] * killed)
        term.wait(lambda s: "KILLED: do not use" in s)  # the panel's banner on the story back in the inbox
        term.keys("q")
