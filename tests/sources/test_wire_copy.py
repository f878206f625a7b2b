"""IPTC 7901 (dpa layout), ANPA-1312 (AP layout) and e-mailed stories, chosen by content whatever the
file is called; the framing, header, slug, take key, ednote and closing lines never reach the text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from triage.sources import read_file
from triage.sources.readers.urgency import ANPA_PRIORITY, IPTC7901_PRIORITY, urgency_of

OWN = Path(__file__).parent / "data" / "wire" / "own"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one(path: Path):
    articles, problems = read_file(path)
    assert len(articles) == 1 and not problems, problems
    a = articles[0]
    for value in (a.title, a.text, a.ednote, a.slugline, a.author, a.dateline, a.version):
        assert not CONTROLS.search(value), value
    return a


def test_dpa_7901_regular_every_field():
    a = one(OWN / "dpa-7901-regular.txt")
    assert a.title == "Coalition agrees on budget after all-night talks"  # not the header, no " ="
    assert a.urgency == 4  # the priority digit
    assert a.slugline == "Germany-politics"  # the keyword line, not in the text
    assert a.dateline == "Berlin (dpa)" and a.provider == "dpa"
    assert a.published == "2026-12-02T06:30:00Z"  # the closing time line
    assert a.ednote == "a photo package follows at 0900 GMT."
    assert a.subjects == (("7901-category:i", ""),)
    assert a.guid == "eca062"
    assert a.paragraphs == [
        "Germany's governing parties agreed on next year's budget early on "
        "Wednesday after talks "
        "that ran through the night, the chancellor's office said.",
        "The deal closes a gap of several billion euros without new borrowing, government spokesman Steffen "
        "Hebestreit told reporters in Berlin.",
        "Opposition leaders called the plan a collection of accounting tricks and said "
        "they would challenge it in "
        "the Bundestag.",
    ]
    for furniture in ("eca062", "ccccb", "Germany-politics/", "dpa ab xy", "020630", " =", "Note to editors"):
        assert furniture not in a.text


def test_dpa_7901_flash_and_correction():
    flash = one(OWN / "dpa-7901-flash.txt")
    assert flash.urgency == 1 and flash.title == "German chancellor resigns" and flash.marks == ("FLASH",)
    fix = one(OWN / "dpa-7901-berichtigung.txt")  # ISO-8859-1
    assert fix.title == "Bayern München gewinnt Spitzenspiel gegen Dortmund"
    assert fix.correction and fix.version == "Berichtigung" and fix.slugline == "Fußball/Bundesliga/Bayern"
    assert (fix.urgency, fix.dateline, fix.published) == (3, "München (dpa)", "2026-12-02T19:15:00Z")


def test_anpa_writethru_every_field():
    a = one(OWN / "ap-writethru.tst")
    assert a.title == "Strong earthquake jolts northern Japan, tsunami warning issued"
    assert a.urgency == 3  # priority letter u
    assert a.slugline == "Quake-Japan" and a.version == "1stLd-Writethru"
    assert a.ednote == "UPDATES with tsunami warning, details on damage. AP Photo TOK101."
    assert a.author == "Mari Yamaguchi"
    assert a.dateline == "TOKYO (AP)" and a.provider == "AP"
    assert a.published == "2026-12-02T05:07:00Z"
    assert a.subjects == (("anpa-category:i", ""),)
    assert len(a.paragraphs) == 3 and a.paragraphs[0].startswith("A strong earthquake jolted")
    for furniture in (
        "BC-Quake-Japan",
        "Writethru",
        "Eds:",
        "MARI",
        "Associated Press Writer",
        "AP-NY",
        "0412",
    ):
        assert furniture not in a.text


def test_anpa_flash_correction_kill():
    flash = one(OWN / "ap-flash.tst")
    assert flash.urgency == 1 and flash.title == "Strong earthquake hits northern Japan"
    fix = one(OWN / "ap-correction.tst")
    assert fix.correction and fix.version == "Correction" and fix.pubstatus == "usable"
    assert fix.ednote == "CORRECTS vote count in 2nd graf to 218-210 sted 281-210."
    kill = one(OWN / "ap-kill.tst")
    assert kill.pubstatus == "canceled" and kill.killed and kill.version == "Kill" and kill.urgency == 2
    assert kill.id == fix.id  # same slug keyword and day: the same story


def test_wire_copy_is_read_whatever_the_name(tmp_path):
    for src, name in (
        ("ap-writethru.tst", "noext"),
        ("ap-writethru.tst", "story.xml"),
        ("dpa-7901-regular.txt", "dpa.json"),
        ("dpa-7901-regular.txt", "x"),
    ):
        shutil.copy(OWN / src, tmp_path / name)
        assert one(tmp_path / name).title == one(OWN / src).title


def test_a_take_without_text_start_is_one_plain_line(tmp_path):
    (tmp_path / "cut.tst").write_bytes(b"\x16\x16\x01a0421\x1f\r\nu i\x13\x11 BC-Quake 12-02 0412\r\n")
    articles, problems = read_file(tmp_path / "cut.tst")
    assert articles == [] and [p.reason for p in problems] == [
        "looks like ANPA-1312 wire copy but has no start of text (STX): nothing to read"
    ]
    (tmp_path / "cut.txt").write_bytes(b"\x01eca062 4 i 211 ccccb dpa 061\r\nGermany/\r\n")
    assert [p.reason for p in read_file(tmp_path / "cut.txt")[1]] == [
        "looks like IPTC 7901 wire copy but has no start of text (STX): nothing to read"
    ]


def test_mailed_story_saved_as_txt():
    a = one(OWN / "mailed-story.txt")
    assert a.title == "Port strike ends after pay deal"
    assert a.author == "Agency Desk" and a.published == "2026-12-02T06:11:58Z"
    assert a.guid == "" and a.text.startswith("ROTTERDAM, Dec 2 - Dock workers at Europe's largest port")
    for header in ("Received:", "Return-Path", "Message-ID", "MIME-Version", "Agency Desk, +31"):
        assert header not in a.text


def test_plain_text_that_only_mentions_a_header_stays_plain(tmp_path):
    (tmp_path / "a.txt").write_text("From: the desk\nA story about mail headers.\n\nSecond paragraph.\n")
    a = one(tmp_path / "a.txt")
    assert a.title == "From: the desk"


@pytest.mark.parametrize(
    "code, scheme, urgency",
    [
        ("1", "7901", 1),
        ("4", "7901", 4),
        ("9", "7901", 9),
        ("f", "anpa", 1),
        ("B", "anpa", 2),
        ("u", "anpa", 3),
        ("r", "anpa", 4),
        ("d", "anpa", 5),
        ("x", "anpa", None),
        ("0", "7901", None),
    ],
)
def test_one_urgency_table(code, scheme, urgency):
    assert urgency_of(code, scheme) == urgency
    assert set(IPTC7901_PRIORITY.values()) <= set(range(1, 10)) and set(ANPA_PRIORITY.values()) <= set(
        range(1, 10)
    )


def test_a_from_header_the_email_package_chokes_on(tmp_path):
    (tmp_path / "m.txt").write_bytes(b"Received: from x\nFrom: . <a@b.example>\nSubject: Strike ends\n"
                                     b"Date: Wed, 02 Dec 2026 06:11:58 +0000\n\nDock workers went back.\n")
    a = one(tmp_path / "m.txt")
    assert a.title == "Strike ends" and a.text == "Dock workers went back."
    assert a.author == "."  # the display name, as written


def test_7901_with_its_framing_stripped(tmp_path):
    raw = (OWN / "dpa-7901-regular.txt").read_bytes()
    (tmp_path / "bare.txt").write_bytes(raw.translate(None, b"\x01\x02\x03\x04"))
    a, b = one(tmp_path / "bare.txt"), one(OWN / "dpa-7901-regular.txt")
    assert (a.title, a.urgency, a.slugline, a.dateline, a.text, a.published) == (
        b.title, b.urgency, b.slugline, b.dateline, b.text, b.published)
