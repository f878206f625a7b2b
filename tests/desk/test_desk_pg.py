"""The desk part on a real PostgreSQL: two editors (two roles) on two simulated hosts (own data folders,
own services with their live side running) share one database. Each sees the other's decision, take,
hand-off and open story within a second, with no call made by hand; the names are the server's roles.
A server stopped mid-shift loses nothing: the decision is written once it is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desk.test_desk import STORIES
from triage.config import load_settings
from triage.core.service import TriageService
from triage.model import Decision

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'triage[postgres]')")


def _within(what: Callable[[], object], seconds: float) -> float:
    """Seconds until what() holds; fails after `seconds`."""
    start = time.monotonic()
    while not what():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.fixture
def newsroom(pg_server, tmp_path: Path) -> Iterator[Callable[[str], TriageService]]:
    """f(role) -> a started service of that editor on its own "host" (data folder), on one database."""
    db = pg_server.new_db()
    made: list[TriageService] = []

    def editor(role: str) -> TriageService:
        url = pg_server.url(db, pg_server.role(role))
        settings = load_settings(db=url, data_dir=tmp_path / f"host-{role}", use_user_config=False,
                                 overrides={"store": {"poll_seconds": 0.2}})
        svc = TriageService(settings, inbox=[], db_path=settings.db_path)
        svc.inbox.set_articles(STORIES)
        svc.start(analyze=False, load=False)
        made.append(svc)
        return svc

    yield editor
    for svc in made:
        svc.close()


def test_two_hosts_see_each_others_acts_within_a_second_named_by_their_roles(newsroom) -> None:
    ana, ben = newsroom("ana"), newsroom("ben")
    _within(lambda: (ana.faces.desk.me, ben.faces.desk.me) == ("ana", "ben"), 5)  # the server's word

    ana.viewing("a2")
    _within(lambda: any(s.user == "ana" and s.article_id == "a2" for s in ben.faces.desk.readers("a2")), 1.5)

    took = ana.take("a3")
    assert took.user == "ana"
    _within(lambda: (t := ben.faces.desk.holder("a3")) is not None and t.user == "ana", 1.5)

    ana.hand("a2", "ben", "check the figures")
    _within(lambda: [h.note for h in ben.faces.desk.for_me()] == ["check the figures"], 1.5)
    assert ben.faces.desk.for_me()[0].sender == "ana"

    ben.decide(["a2"], Decision.FOLLOW_UP)
    _within(lambda: ana.faces.decisions.decision("a2") is Decision.FOLLOW_UP, 1.5)
    assert ana.faces.decisions.event("a2").user == "ben"


def test_a_take_race_between_hosts_has_one_winner_who_the_other_is_told(newsroom) -> None:
    from triage.store.errors import HeldError

    ana, ben = newsroom("ana"), newsroom("ben")
    ana.take("a5")
    with pytest.raises(HeldError) as held:
        ben.take("a5")
    assert held.value.take.user == "ana" and "ana" in str(held.value)


def test_a_server_stopped_mid_shift_loses_no_decision(newsroom, pg_server) -> None:
    ana, ben = newsroom("ana"), newsroom("ben")
    pg_server.stop("fast")
    try:
        ana.decide_soon(["a0"], Decision.FLAG, note="while the server was away")
        _within(lambda: ana.faces.desk.problem != "" or ana.faces.decisions.unsaved()[0] > 0, 10)
    finally:
        pg_server.start()
    _within(lambda: ana.faces.decisions.unsaved()[0] == 0, 30)
    _within(lambda: ben.faces.decisions.decision("a0") is Decision.FLAG, 10)
    assert ben.faces.decisions.note("a0") == "while the server was away"
