"""The desk part on real files: two editors' services (each with its own data folder) on one inbox and one
decisions file, as two TUIs of one login would run. Takes, hand-offs, acknowledgements, watches and the
handover match what happened; another editor's act shows after a poll; deciding ends a take."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from triage.config import load_settings
from triage.core.events import DeskChanged
from triage.core.service import TriageService
from triage.desk.desk import login_name
from triage.desk.handover import handover_json, handover_markdown
from triage.infra.clock import now_iso
from triage.model import DESK, Article, Decision

ME = login_name()


def _art(i: int, title: str, text: str = "", dup: str = "", **wire) -> Article:
    return Article(id=f"a{i}", title=title, text=text or f"Body of {title}.", source="Wire",
                   published=f"2026-01-{i + 1:02d}T00:00:00+00:00", received=now_iso(),
                   content_hash=f"h{i}", duplicates_of=dup, **wire)


STORIES = [
    _art(0, "Storm hits the coast", "A storm warning was issued. Storms are expected all week."),
    _art(1, "Storm hits the coast, second wire", "The storm warning stands.", dup="a0"),
    _art(2, "Central bank raises rates", "The central bank raised its rate to 4 percent."),
    _art(3, "Quake: flash", "An earthquake shook the capital.", urgency=1),
    _art(4, "Minister resigns", "The minister resigned.", pubstatus="canceled"),
    _art(5, "Football results", "The match ended in a draw.", updated=True, updated_at=now_iso()),
]


@pytest.fixture
def desk_of(tmp_path: Path):
    """f(name, **overrides) -> a started-by-hand service of one editor on the shared decisions file."""
    made: list[TriageService] = []

    def make(name: str, overrides: dict | None = None) -> TriageService:
        settings = load_settings(db=tmp_path / "decisions.json", data_dir=tmp_path / f"data-{name}",
                                 overrides=overrides, use_user_config=False)
        svc = TriageService(settings, inbox=[], db_path=settings.db_path)
        svc.inbox.set_articles(STORIES)
        svc.refresh_decisions()
        made.append(svc)
        return svc

    def close(svc: TriageService) -> None:
        made.remove(svc)
        svc.close()

    make.close = close  # type: ignore[attr-defined]
    yield make
    for svc in made:
        svc.close()


def test_a_take_shows_to_the_other_editor_and_ends_when_the_story_is_decided(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    took = ana.take("a1")  # a member of a duplicate group: the take is on its row, for the whole group
    assert (took.article_id, took.user, took.story) == ("a0", ME, "a0")
    assert took.until > took.since
    ben.desk.poll()
    held = ben.faces.desk.holder("a1")
    assert held is not None and held.user == ME and held.article_id == "a0"
    assert ben.faces.desk.holder("a2") is None
    assert "a0" in ana.faces.desk.mine()
    ana.decide(["a0"], Decision.FOLLOW_UP)  # deciding gives my take back (at the next poll)
    ana.desk.poll()
    assert ana.desk.record.takes() == []
    ben.refresh_decisions()
    ben.desk.poll()
    assert ben.faces.desk.holder("a0") is None
    kinds = [a.kind for a in ben.faces.desk.acts("a1")]
    assert kinds == ["take", "release"]


def test_a_take_ended_by_a_decision_no_longer_holds_even_before_it_is_given_back(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    ana.take("a2")
    ben.decide(["a2"], Decision.ARCHIVE)  # the other TUI decides: ana's take is over by the rule
    ana.refresh_decisions()
    ana.desk.poll()
    assert ana.faces.desk.holder("a2") is None
    assert ana.desk.takes_in_force() == []


def test_a_hand_off_is_for_me_until_i_open_it_and_the_sender_sees_it_seen(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    assert ben.desk.poll().for_me == ()  # the first poll: nothing waiting is news
    handed = ana.hand("a2", ME, "check the figures")
    assert (handed.sender, handed.to, handed.note) == (ME, ME, "check the figures")
    found = ben.desk.poll()
    assert found.changed and found.for_me == ("a2",)
    assert [h.note for h in ben.faces.desk.for_me()] == ["check the figures"]
    assert ben.faces.desk.mine() == ["a2"]
    assert ben.desk.poll().for_me == ()  # told once
    ben.viewing("a2")  # opening a handed story acknowledges it (done by the poll, not the caller)
    assert ben.faces.desk.for_me()
    ben.desk.poll()
    assert ben.faces.desk.for_me() == [] and ben.faces.desk.mine() == []
    ana.desk.poll()
    (seen,) = ana.faces.desk.handoffs_of("a2")
    assert seen.seen and seen.seen_by == ME and seen.seen_at >= seen.at
    assert [a.kind for a in ana.faces.desk.acts("a2")] == ["handoff", "ack"]


def test_a_hand_off_to_the_desk_ends_when_the_story_is_decided(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    ana.hand("a3", DESK, "who has it?")
    ben.desk.poll()
    # my own hand-off to the desk is not for me; a desk hand-off of another login would be
    assert ben.faces.desk.for_me() == []
    (open_one,) = ben.faces.desk.handoffs_of("a3")
    assert ben.desk.is_open(open_one)
    ana.decide(["a3"], Decision.FLAG)
    ben.refresh_decisions()
    assert not ben.desk.is_open(open_one) and ben.desk.settled(open_one)


def test_a_story_handed_on_again_is_no_longer_for_its_first_addressee(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    ben.desk.poll()
    ana.hand("a2", ME, "check the figures")
    ana.hand("a2", "zoe", "I am off: zoe has it")
    ben.desk.poll()
    assert ben.faces.desk.for_me() == [] and ben.faces.desk.mine() == []
    report = ben.handover(timedelta(hours=1))
    assert [(h.to, h.note) for h in report.open_handoffs] == [("zoe", "I am off: zoe has it")]


def test_taking_my_own_story_again_renews_it_and_a_hand_off_names_someone(desk_of):
    """A colleague's take refusing mine needs another uid: tests/desk/test_two_editors.py."""
    ana = desk_of("ana")
    first = ana.take("a2")
    again = ana.take("a2")
    assert again.user == ME and again.until >= first.until
    assert len(ana.desk.record.takes()) == 1
    with pytest.raises(ValueError):
        ana.hand("a0", "  ", "to nobody")


def _poll_until_hits(svc, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not (found := svc.desk.poll()).watch_hits and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_watches_count_matches_and_unread_and_name_the_words_that_matched(desk_of):
    ana = desk_of("ana", {"rules": {"watch": ["minister"]}})
    ana.add_watch("Weather", "storm", desk=True)
    ana.add_watch("Money", "central bank", desk=False)
    ben = desk_of("ben")
    ana.desk.poll()
    ben.desk.poll()
    counts = {c.watch.name: c for c in ana.faces.desk.watches()}
    assert set(counts) == {"Weather", "Money", "minister"}  # the config's rules.watch entry too
    assert counts["Weather"].matches == ("a0",) and counts["Weather"].unread == ("a0",)
    assert counts["Weather"].watch.desk and not counts["Money"].watch.desk
    assert counts["Money"].matches == ("a2",) and counts["minister"].matches == ("a4",)
    # the desk's watch is the colleague's too; my personal one is not
    assert {c.watch.name for c in ben.faces.desk.watches()} == {"Weather"}
    assert ana.faces.desk.watch_terms("a0") == ["Storm", "storm", "Storms"]
    assert ana.faces.desk.watch_terms("a2") == ["Central", "bank", "central"]
    assert ana.faces.desk.watch_terms("a4") == ["Minister", "minister"]
    ana.viewing("a0")
    ana.desk.poll()
    counts = {c.watch.name: c for c in ana.faces.desk.watches()}
    assert counts["Weather"].unread == ()
    assert {c.watch.name: c.unread for c in ben.faces.desk.watches()} == {"Weather": ("a0",)}  # mine alone
    # a new story that matches is a hit (the bell), once
    ana.inbox.merge([_art(9, "Storm moves inland")])
    found = _poll_until_hits(ana)  # arrivals recount as the last count's cost allows: soon, not at once
    assert found.watch_hits == ("a9",)
    assert ana.desk.poll().watch_hits == ()
    assert ana.remove_watch("Money") is not None
    ana.desk.poll()
    assert "Money" not in {c.watch.name for c in ana.faces.desk.watches()}


def test_arrivals_count_the_watches_again_only_as_often_as_the_last_count_allows(desk_of):
    # a count walks the inbox once per watch: on a busy wire (an arrival every poll) it must not run
    # every 0.5 s, but a watch added counts at once and an arrival is counted soon after
    ana = desk_of("ana")
    ana.add_watch("Weather", "storm", desk=False)
    calls: list[str] = []
    real = ana.desk._match

    def slow(query: str) -> list[str]:
        calls.append(query)
        time.sleep(0.05)
        return real(query)

    ana.desk._match = slow
    ana.desk.poll()
    assert calls == ["storm"]  # the watch was added: counted at once
    ana.inbox.merge([_art(9, "Storm moves inland")])
    assert ana.desk.poll().watch_hits == ()
    assert calls == ["storm"]  # within four counts' time of the last: not yet
    assert _poll_until_hits(ana).watch_hits == ("a9",)  # once four counts' time has passed
    assert calls == ["storm", "storm"]


def test_the_handover_leaves_out_a_follow_up_its_editor_cleared_since(desk_of):
    ana = desk_of("ana")
    ana.decide(["a2"], Decision.FOLLOW_UP, "call the bank")
    ana.decide(["a2"], None)
    ana.decide(["a3"], Decision.FLAG)
    report = ana.handover(timedelta(hours=1))
    assert {u: [e.article_id for e in evs] for u, evs in report.editors.items()} == {ME: ["a3"]}


def test_stories_opened_before_still_count_as_read_when_one_is_opened_before_the_first_poll(desk_of):
    # the main screen opens its first row at once: that must not hide what my file says I opened
    ana = desk_of("ana")
    ana.versions.mine.add_opened([("a0", now_iso())])  # opened in an earlier session
    ana.add_watch("Weather", "storm", desk=False)
    ana.viewing("a2")
    ana.desk.poll()
    (weather,) = ana.faces.desk.watches()
    assert weather.matches == ("a0",) and weather.unread == ()


def test_the_handover_names_a_duplicate_group_once(desk_of):
    ana = desk_of("ana")
    ana.inbox.merge([_art(7, "Volcano: flash", urgency=1),
                     _art(8, "Volcano: flash, again", dup="a7", urgency=1)])
    report = ana.handover(timedelta(hours=1))
    assert [a.id for a in report.flashes if a.title.startswith("Volcano")] == ["a7"]


def test_the_handover_says_what_happened(desk_of):
    ana, ben = desk_of("ana"), desk_of("ben")
    ana.decide(["a2"], Decision.FOLLOW_UP, "call the bank")
    ana.decide(["a5"], Decision.ARCHIVE)
    ana.take("a0")
    ana.hand("a3", ME, "needs a second source")
    ana.hand("a4", DESK)
    ana.add_watch("Weather", "storm", desk=True)
    ben.desk.poll()
    report = ben.handover(timedelta(hours=8))
    assert {u: [(e.article_id, e.note) for e in evs] for u, evs in report.editors.items()} == {
        ME: [("a2", "call the bank")]}
    assert [(t.article_id, t.user) for t in report.takes] == [("a0", ME)]
    assert [(h.article_id, h.note) for h in report.open_handoffs] == [("a3", "needs a second source"),
                                                                     ("a4", "")]
    assert [h.article_id for h in report.unacknowledged] == ["a3", "a4"]
    assert [a.id for a in report.flashes] == ["a3"]
    assert [a.id for a in report.kills] == ["a4"]
    assert [a.id for a in report.corrections] == ["a5"]
    # a0 is taken (someone is on it): no unopened hit; the new storm story nobody touched is one
    assert report.watch_hits == []
    ben.inbox.merge([_art(9, "Storm moves inland")])
    report = ben.handover(timedelta(hours=8))
    assert [(w.watch, w.article.id) for w in report.watch_hits] == [("Weather", "a9")]
    doc = json.loads(handover_json(report))
    assert doc["open_handoffs"][0]["note"] == "needs a second source"
    assert doc["watch_hits"][0]["article_id"] == "a9" and doc["flashes"][0]["title"] == "Quake: flash"
    md = handover_markdown(report)
    assert "call the bank" in md and "needs a second source" in md and "Storm moves inland" in md
    ben.viewing("a9")  # I opened it: not a hit nobody opened any more
    ben.desk.poll()
    assert ben.handover(timedelta(hours=8)).watch_hits == []


def test_the_live_side_tells_of_a_hand_off_to_me_without_a_key_pressed(desk_of):
    ana = desk_of("ana", {"store": {"poll_seconds": 0.2}})
    ben = desk_of("ben", {"store": {"poll_seconds": 0.2}})
    told: list[DeskChanged] = []
    arrived = threading.Event()

    def listen(event) -> None:
        if isinstance(event, DeskChanged):
            told.append(event)
            if event.for_me:
                arrived.set()

    ben.start(listen, analyze=False, load=False)
    ana.start(analyze=False, load=False)
    ana.viewing("a2")
    for _ in range(100):  # the first polls settle: what waited is not news
        if any(s.article_id == "a2" for s in ben.faces.desk.people()):
            break
        threading.Event().wait(0.1)
    assert any(s.article_id == "a2" and s.user == ME for s in ben.faces.desk.people())
    ana.hand("a0", ME, "yours")
    assert arrived.wait(30), told
    assert any(e.for_me == ("a0",) for e in told)
    desk_of.close(ana)
    ben.desk.wake.set()
    for _ in range(100):  # presence leaves on close
        if not any(s.article_id == "a2" for s in ben.faces.desk.people()):
            break
        threading.Event().wait(0.1)
    assert not any(s.article_id == "a2" for s in ben.faces.desk.people())


def test_a_desk_that_cannot_be_opened_looks_my_login_up_once(monkeypatch):
    # the event loop asks `me` for every row it paints (readers, holder): no user-database call each time
    import triage.desk.desk as desk_module
    from triage.core.mine import Mine

    calls: list[int] = []
    monkeypatch.setattr(desk_module, "login_name", lambda: calls.append(1) or "me")

    def refused():
        raise OSError("the desk folder is not mine")

    desk = desk_module.Desk(refused, own=Mine(Path("/nonexistent")), take_minutes=30)
    assert desk.poll().changed is False and "cannot be used" in desk.problem
    assert [desk.me for _ in range(100)] == ["me"] * 100
    assert calls == [1]


def test_beats_alone_are_no_change_but_a_colleague_arriving_is(desk_of):
    """Every open TUI beats every few seconds: a beat moves no one on screen, so a poll that only saw
    beats reports no change (else every beat of every colleague repainted every screen)."""
    ana = desk_of("ana")
    desk = ana.desk
    desk._beat_seconds = 0.0  # a beat at every poll
    desk.poll()
    time.sleep(0.02)  # a beat's time differs from the last one's
    assert [desk.poll().changed for _ in range(4)] == [False] * 4
    ben = desk_of("ben")
    ben.desk.poll()  # ben's TUI is on the desk now
    assert desk.poll().changed
