"""The issue's "done when" at 80x24, as a person tries it: the installed command in tmux."""

from __future__ import annotations

import pytest
from tinydb import TinyDB

from .tmux import HAVE_TMUX, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]

CHIP_LABELS = ("People:", "Places:", "Orgs:", "Groups:")


def _events(path) -> list[dict]:
    with TinyDB(path) as db:
        return db.table("events").all()


# -- the "done when", as a person tries it: the installed command in tmux at 80x24 -----------
def test_done_when_at_80x24_in_tmux(tmp_path):
    import subprocess
    import time

    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} demo") as term:
        # The first story's whole summary and a line of its entity chips, with no key pressed.
        screen = term.wait(lambda s: any(r.lstrip().startswith(CHIP_LABELS) for r in s.splitlines()))
        rows = screen.splitlines()
        bullets = [i for i, r in enumerate(rows) if r.lstrip().startswith("• ")]
        chips = next(i for i, r in enumerate(rows) if r.lstrip().startswith(CHIP_LABELS))
        assert len(bullets) == 4 and bullets[-1] < chips
        assert rows[chips - 1].rstrip().endswith((".", '"', "”", "'", "’", ")")), "the last sentence is whole"
        assert "more summary" not in screen
        # The five view counts, readable.
        top = rows[0]
        for label in ("Inbox 50", "Flagged 0", "Archived 0", "All 50"):
            assert label in top
        assert "Follow-up 0" in top or "Follow 0" in top
        first_title = rows[1].strip()[:30]
        # Enter: at least 14 lines of the story; Escape: back to the list.
        term.keys("Enter")
        screen = term.wait(lambda s: "esc Back" in s)
        body = screen.splitlines()[1:23]
        blank = next(i for i, r in enumerate(body) if not r.strip())  # after the title and source lines
        assert len([r for r in body[blank:] if r.strip()]) >= 14
        term.keys("Escape")
        term.wait(lambda s: "• " in s and "esc Back" not in s)
        # Decide with a note: the note lands on the story decided (the first), not the next one.
        term.keys("X")
        term.wait(lambda s: "with a note" in s)
        assert first_title[:20] in term.screen().replace("\n", " ")
        subprocess.run(["tmux", "send-keys", "-t", term.session, "-l", "ask the desk"], check=True)
        term.keys("Enter")
        term.wait(lambda s: "Flagged 1" in s)
        time.sleep(0.3)
        term.keys("q")
        term.wait(lambda s: "Demo decisions:" in s, timeout=20)
    events = _events(db)
    assert [(e["decision"], e["note"]) for e in events] == [("flag", "ask the desk")]
    assert events[0]["title"].startswith(first_title[:20].rstrip("…"))
