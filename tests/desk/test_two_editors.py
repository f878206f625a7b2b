"""Two editors of one desk group on one host: a colleague (uid 65534 through setpriv) working from the
CLI and my service (root, with its own data folder) on the shared decisions file. Her take shows as hers
and refuses mine, naming her; `triage decide` asks first; her hand-off to me is for me until I open it,
and she sees that I did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.store.test_hostile_colleague import _colleague_can_run_triage, _triage, desk
from triage.config import load_settings
from triage.core.service import TriageService
from triage.desk.desk import login_name
from triage.model import Article
from triage.store.errors import HeldError
from triage.store.open import desk_folder

__all__ = ["desk"]  # the shared folder fixture (gid 65534, setgid) of the colleague tests

pytestmark = pytest.mark.usefixtures("desk")
ME = login_name()


def _my_service(top: Path) -> TriageService:
    settings = load_settings(db=top / "desk" / "decisions.json", data_dir=top / "mine",
                             overrides={"store": {"group_share": True}}, use_user_config=False)
    svc = TriageService(settings, inbox=[], db_path=settings.db_path)
    svc.inbox.set_articles([Article(id=f"a{i}", title=f"Story {i}", text=f"Text {i}.", content_hash=f"h{i}")
                            for i in (1, 2, 3)])
    svc.refresh_decisions()
    return svc


def _theirs(top: Path, *args: str):
    out = _triage(top, *args, "--db", str(top / "desk" / "decisions.json"), as_nobody=True)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_a_colleagues_take_is_hers_and_refuses_mine_and_decide_asks_first(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    out = _theirs(desk, "take", "a2")
    assert out.returncode == 0, out.stderr
    assert desk_folder(desk / "desk" / "decisions.json").is_dir()
    db = str(desk / "desk" / "decisions.json")
    svc = _my_service(desk)
    try:
        svc.desk.poll()
        held = svc.faces.desk.holder("a2")
        assert held is not None and held.user == "nobody" and held.user != ME
        with pytest.raises(HeldError, match="nobody"):
            svc.take("a2")
        assert "nobody" in svc.faces.desk.members()
        # the CLI of mine: deciding a story she holds asks first, naming her
        mine = _triage(desk, "decide", "a2", "flag", "--db", db)
        assert mine.returncode == 1 and "nobody has a2" in mine.stderr, mine.stderr
        assert "--anyway" in mine.stderr
        mine = _triage(desk, "take", "a2", "--db", db)
        assert mine.returncode == 1 and "nobody" in mine.stderr
        mine = _triage(desk, "decide", "a2", "flag", "--anyway", "--db", db)
        assert mine.returncode == 0, mine.stderr
        # decided after her take: it holds no more, and I may take the story
        svc.refresh_decisions()
        svc.desk.poll()
        assert svc.faces.desk.holder("a2") is None
        assert svc.take("a2").user == ME
    finally:
        svc.close()


def test_a_take_made_after_a_decided_one_shows_to_the_desk(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    db = str(desk / "desk" / "decisions.json")
    assert _theirs(desk, "take", "a2").returncode == 0
    assert _triage(desk, "decide", "a2", "flag", "--anyway", "--db", db).returncode == 0
    svc = _my_service(desk)
    try:
        svc.take("a2")
        svc.desk.poll()
        held = svc.faces.desk.holder("a2")
        assert held is not None and held.user == ME
    finally:
        svc.close()


def test_a_colleagues_hand_off_is_for_me_until_i_open_it(desk: Path) -> None:
    _colleague_can_run_triage(desk)
    svc = _my_service(desk)
    try:
        svc.desk.poll()
        out = _theirs(desk, "assign", "a3", ME, "--note", "check the figures")
        assert out.returncode == 0, out.stderr
        found = svc.desk.poll()
        assert found.for_me == ("a3",)
        (handoff,) = svc.faces.desk.for_me()
        assert (handoff.sender, handoff.to, handoff.note) == ("nobody", ME, "check the figures")
        listed = json.loads(_theirs(desk, "desk", "--json").stdout)
        assert [(h["article_id"], h["from"], h["seen"]) for h in listed["handoffs"]] == [
            ("a3", "nobody", False)]
        svc.viewing("a3")
        svc.desk.poll()
        assert svc.faces.desk.for_me() == []
        listed = json.loads(_theirs(desk, "desk", "--json").stdout)
        assert [(h["article_id"], h["seen"], h["seen_by"]) for h in listed["handoffs"]] == [("a3", True, ME)]
        # her export of what she handed me carries the note
        rows = json.loads(_theirs(desk, "decisions", "--assigned-to", ME, "--format", "json").stdout)
        assert [(r["article_id"], r["handed_by"], r["handoff_note"]) for r in rows] == [
            ("a3", "nobody", "check the figures")]
    finally:
        svc.close()
