"""version_rank: which of two versions of one story is newer, from what the agency says."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.sources import read_file
from triage.sources.base import make_article
from triage.sources.readers.versions import take_key, version_rank

OWN = Path(__file__).parent / "data" / "wire" / "own"


def art(version: str = "", pubstatus: str = "usable", published: str = "", correction: bool = False):
    from triage.sources.base import WireFields

    return make_article(
        title="T",
        text="x",
        path="p",
        published=published,
        wire=WireFields(version=version, pubstatus=pubstatus, correction=correction, identity="g"),
    )


@pytest.mark.parametrize(
    "older, newer",
    [
        (art("2"), art("3")),
        (art("9"), art("10")),  # numbers, not strings
        (art("978556838"), art("1542761538", "canceled")),  # Reuters: 9 digits, then 10
        (art("978556838"), art("1542761538")),
        (art("99999999999999999999"), art("100000000000000000000")),  # any length
        (art("1.9"), art("1.10")),
        (art("v2"), art("v10")),
        (art("3", published="2026-12-02T10:00:00Z"), art("3", published="2026-12-02T11:00:00Z")),
        (art("1"), art("2", "canceled")),
        (art(""), art("1stLd")),
        (art("1stLd"), art("1stLd-Writethru")),
        (art("1stLd-Writethru"), art("2ndLd")),
        (art("2ndLd-Writethru"), art("3rdLd-Writethru")),
        (art(""), art("1stAdd")),
        (art("2ndLd"), art("Kill", "canceled")),
        (art("2ndLd"), art("2ndLd-Writethru,Correction", correction=True)),
        (art(""), art("1. Neufassung")),
        (art("1. Neufassung"), art("2. Neufassung")),
    ],
)
def test_newer_ranks_higher(older, newer):
    assert version_rank(newer) > version_rank(older)
    assert older.id == newer.id


def test_three_before_two_never_replaces_three():
    v3 = art("3", published="2026-12-02T10:00:00Z")
    v2_late = art("2", published="2026-12-02T12:00:00Z")  # arrives later, is older
    assert version_rank(v3) > version_rank(v2_late)
    assert max([v3, v2_late], key=version_rank) is v3


def test_take_keys():
    assert take_key("1stLd-Writethru").lead == 1 and take_key("1stLd-Writethru").writethru
    assert take_key("2ndLd").lead == 2 and take_key("3rdAdd").add == 3
    assert take_key("Correction").correction and take_key("Corrected").correction
    assert take_key("Kill").kill and take_key("ELIMINATION").kill and take_key("WITHDRAWN").kill
    assert take_key("URGENT") == take_key("")


def test_real_takes_order_and_share_an_id():
    (flash,), _ = read_file(OWN / "ap-flash.tst")
    (writethru,), _ = read_file(OWN / "ap-writethru.tst")
    assert flash.id == writethru.id
    assert version_rank(writethru) > version_rank(flash)
    (fix,), _ = read_file(OWN / "ap-correction.tst")
    (kill,), _ = read_file(OWN / "ap-kill.tst")
    assert fix.id == kill.id and version_rank(kill) > version_rank(fix)


def test_story_words_are_not_signals():
    from triage.sources.readers.versions import advisory

    for story in (
        "Police kill suspect in Ohio",
        "Rebels withdraw from the city",
        "Court corrects record",
        "Minister to withhold comment",
    ):
        assert advisory(story) == advisory(""), story
    assert advisory("KILL: House passes spending bill").kill
    assert advisory("The story has been withdrawn.").kill
    assert advisory("CORRECTED-UPDATE 2-Oil rises").correction
    assert advisory("Eds: CORRECTS vote count").correction
    assert advisory("WITHHOLD until further notice").withhold


def test_a_7901_headline_with_kill_as_a_story_word(tmp_path):
    src = (
        (OWN / "dpa-7901-flash.txt")
        .read_bytes()
        .replace(b"FLASH: German chancellor resigns", b"Police kill gunman")
    )
    (tmp_path / "a.txt").write_bytes(src)
    (a,), _ = read_file(tmp_path / "a.txt")
    assert a.title == "Police kill gunman" and a.pubstatus == "usable"


def test_a_version_number_of_any_length_is_a_number():
    from triage.sources.readers.versions import version_number

    assert version_number("1542761538") == (1542761538,)
    assert version_number(" v12 ") == (12,)
    assert version_number("2.0") == version_number("2") == (2,)
    assert version_number("1:10") == (1, 10)
    assert version_number("1stLd-Writethru") is None and version_number("") is None


@pytest.mark.parametrize("digits", [1, 9, 10, 19, 40])
def test_a_lower_version_that_arrives_later_never_wins(digits):
    high = art("9" * digits, published="2026-12-02T10:00:00Z")
    low = art("8" * digits, published="2026-12-02T12:00:00Z")
    assert max([low, high], key=version_rank) is high and max([high, low], key=version_rank) is high
