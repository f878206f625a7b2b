"""triage.tui.format: decisions, times and the wire's marks, worded once, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.infra.clock import datetime_key, parse_iso
from triage.model import CLEAR_LABEL, Article, Decision
from triage.tui.format import (
    age,
    decision_text,
    decision_word,
    duration,
    embargo_line,
    embargo_short,
    kill_banner,
    kill_word,
    local_when,
    urgency_mark,
    urgency_word,
    wire_flags,
)

NOW = datetime(2026, 12, 1, 13, 48, tzinfo=UTC)


def _art(**wire) -> Article:
    return Article(id="w1", title="Quake", text="A quake hit.", **wire)


def test_decisions_are_worded_by_the_model():
    assert [decision_word(d) for d in Decision] == [d.label for d in Decision]
    assert decision_word(None) == "undecided"  # a state; "cleared" is an act (a decision taken off)
    assert CLEAR_LABEL == "cleared"
    assert decision_text(Decision.FLAG).plain == "flagged"


def test_ages_and_times(zone):
    zone("UTC")
    assert age("2026-12-01T11:40:00Z", NOW) == "2h"
    assert age("2026-12-01T13:47:30+00:00", NOW) == "now"
    assert age("2026-12-02T00:00:00Z", NOW) == "new"
    assert age("not a date", NOW) == "" and age("", NOW) == ""
    assert age("2026-10-01T00:00:00", NOW) == "2mo"  # naive: UTC
    assert local_when("2026-11-26T10:42:00.000000Z") == "2026-11-26 10:42"
    assert local_when("2026-11-26T10:42:00Z", "short") == "11-26 10:42"
    assert local_when("2026-11-26T10:42:00Z", "date") == "2026-11-26"
    assert local_when("2026-12-01T10:42:00Z", "clock", now=NOW) == "10:42"
    assert local_when("2026-11-26T10:42:00Z", "clock", now=NOW) == "26 Nov 10:42"
    assert local_when("\x1b]2;x\x07garbage") == "garbage"
    assert parse_iso("2026-11-26") == datetime(2026, 11, 26, tzinfo=UTC)
    assert datetime_key(datetime(2026, 11, 26, 10, 42, tzinfo=UTC)) == "2026-11-26T10:42:00.000000Z"


def test_urgency_marks_read_without_colour():
    assert (urgency_mark(1), urgency_mark(2), urgency_mark(3), urgency_mark(None)) == ("!!", "! ", "  ", "  ")
    assert (urgency_word(1), urgency_word(2), urgency_word(5)) == ("FLASH", "BULLETIN", "")


def test_an_embargo_counts_down_and_goes_when_it_passes():
    art = _art(embargoed="2026-12-01T14:30:00Z")
    assert embargo_line(art, NOW) == "EMBARGO until 14:30 UTC (in 42 min)"
    assert embargo_short(art, NOW) == "EMB 14:30"
    later = NOW + timedelta(minutes=40)
    assert embargo_line(art, later) == "EMBARGO until 14:30 UTC (in 2 min)"
    assert (
        embargo_line(art, NOW + timedelta(minutes=42)) == ""
        and embargo_short(art, later + timedelta(hours=1)) == ""
    )
    far = _art(embargoed="2026-12-03T09:00:00Z")
    assert embargo_line(far, NOW) == "EMBARGO until 3 Dec 09:00 UTC (in 1 d 19 h)"
    assert embargo_short(far, NOW) == "EMB 3 Dec"
    assert duration(3 * 3600 + 5 * 60) == "3 h 5 min" and duration(7200) == "2 h"


def test_kills_and_withholds_are_loud_words():
    assert (kill_word(_art(pubstatus="canceled")), kill_banner(_art(pubstatus="canceled"))) == (
        "KILLED",
        "KILLED: do not use",
    )
    assert kill_word(_art(pubstatus="withheld")) == "WITHHELD"
    assert kill_banner(_art()) == "" and kill_word(_art()) == ""


def test_the_panels_wire_line():
    line = wire_flags(_art(urgency=1, correction=True, language="de", embargoed="2026-12-01T14:30:00Z"), NOW)
    assert line.plain == "FLASH · CORRECTION · de · EMBARGO until 14:30 UTC (in 42 min)"
    assert wire_flags(_art(), NOW).plain == ""
    assert wire_flags(_art(language="de\x1b[31m"), NOW).plain == "de"
