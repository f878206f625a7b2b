"""triage.infra.text: the one place untrusted text is cleaned, and wire furniture recognised."""

from __future__ import annotations

import pytest

from triage.infra.text import (
    byline_author,
    clean_line,
    clean_text,
    dateline_date,
    is_furniture,
    normalise_title,
)


def test_clean_text_strips_terminal_escapes_and_controls() -> None:
    hostile = (
        "Red \x1b[31malert\x1b[0m \x1b]0;pwned title\x07 \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ "
        "bell\x07 nul\x00 del\x7f c1\x9b31m\x85next"
    )
    out = clean_text(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x7f" not in out
    assert not any(0x80 <= ord(c) < 0xA0 for c in out)
    assert "Red alert" in out and "link" in out and "pwned" not in out
    assert "next" in out


def test_clean_text_strips_bidi_and_zero_width() -> None:
    s = "invoice\u202etxt.exe\u202c and zero\u200bwidth\u2066isolate\u2069 \ufeffbom soft\u00adhyphen"
    out = clean_text(s)
    for ch in "\u202e\u202c\u200b\u2066\u2069\ufeff\u00ad":
        assert ch not in out
    assert "zerowidth" in out and "softhyphen" in out


def test_clean_text_normalises_newlines_and_paragraphs() -> None:
    s = "one\r\ntwo\rthree\u2028four\n\n\n\n\tfive  six \n"
    assert clean_text(s) == "one\ntwo\nthree\nfour\n\nfive six"


def test_clean_line_one_line_and_markup_kept_literal() -> None:
    # Rich markup is not ours to interpret: kept as literal text (the TUI renders it as Text).
    assert clean_line("[bold red]Breaking[/]\n news\t now ") == "[bold red]Breaking[/] news now"


def test_normalise_title() -> None:
    assert normalise_title("  Russia BEGINS mobilizing — troops!\u200b ") == normalise_title(
        "russia begins mobilizing troops"
    )


@pytest.mark.parametrize(
    "para",
    [
        "– adding “vote” –",
        "– “Everyone would like to leave” –",
        (
            "(Except for the headline, this story has not been edited by NDTV staff and is published "
            "from a syndicated feed.)"
        ),
        "By Jane Doe, Reuters",
        "Friday, January 4, 2019",
        "(Reporting by Guy Faulconbridge; Editing by Alex Richardson)",
        "Copyright 2022 The Associated Press. All rights reserved.",
        "2 min read",
    ],
)
def test_is_furniture_yes(para: str) -> None:
    assert is_furniture(para)


@pytest.mark.parametrize(
    "para",
    [
        "Moscow began a mandatory call-up of troops on Thursday to bolster its faltering military operation.",
        "“I don’t want to go to war,” said a man named Dmitri.",
        "By the end of the day, more than 1,300 people had been detained.",
        "– USCG dispatcher, CNN. The boat sank within minutes. Rescuers arrived later. –",
    ],
)
def test_is_furniture_no(para: str) -> None:
    assert not is_furniture(para)


def test_byline_and_dateline_values() -> None:
    assert byline_author("By Jane Doe, Reuters") == "Jane Doe"
    assert dateline_date("Friday, January 4, 2019") == "2019-01-04"
    assert dateline_date("4 Jan 2019") == "2019-01-04"
    assert dateline_date("The storm hit on January 4, 2019") == ""
