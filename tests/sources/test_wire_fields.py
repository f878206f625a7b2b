"""WireFields.article_fields and make_article: every wire field goes through the one sanitiser, whether
cleaned in one pass (nothing to remove) or field by field; dates parsed once per string say the same as
parsing each time; the readers' white-space squash is `" ".join(s.split())`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.sources.test_hostile_properties import FORBIDDEN, check
from triage.infra.text import clean_line, clean_text
from triage.sources.base import WireFields, _clean_lines, _parse_iso_text, iso_date, make_article
from triage.sources.readers.wirexml import squash

HOSTILE = (
    "\x1b[31mRED\x1b[0m \x07bell\x00nul \u202eevil\u202c \x9b2J\u200b zw\x1b]0;title\x07 tab\there\r\nnext"
)


def _wire(value: str) -> WireFields:
    return WireFields(
        urgency=3,
        slugline=value,
        version=value,
        pubstatus="stat:withheld" + value,
        embargoed="2026-12-02T10:00:00Z",
        ednote=value,
        author=value,
        dateline=value,
        language="en-GB",
        guid=value,
        identity="urn:x:1",
        subjects=[(value, value), ("medtop:1", value), ("", "")],
        provider=value,
    )


def test_control_characters_in_every_wire_field_are_removed():
    a = make_article(title="T" + HOSTILE, text="Body " + HOSTILE, path="p", source="s", wire=_wire(HOSTILE))
    one_line = clean_line(HOSTILE)
    assert not FORBIDDEN.search(one_line) and "RED" in one_line and "evil" in one_line
    for field in ("slugline", "version", "dateline", "guid", "provider", "author"):
        assert getattr(a, field) == one_line, field
    assert a.ednote == clean_text(HOSTILE) and not FORBIDDEN.search(a.ednote)
    assert a.subjects == ((one_line, one_line), ("medtop:1", one_line))  # the empty pair is dropped
    assert a.pubstatus == "usable"  # "withheld" followed by junk is no status triage knows
    assert a.embargoed == "2026-12-02T10:00:00Z" and a.language == "en-GB" and a.urgency == 3
    for value in (a.title, a.text, a.author, *(c + n for c, n in a.subjects)):
        assert not FORBIDDEN.search(value)


def test_a_clean_item_keeps_its_fields_with_white_space_squashed():
    w = WireFields(
        slugline="  US-Finance-Fed ",
        version="11",
        pubstatus="usable",
        dateline="NEW YORK,\n Nov 21",
        guid="urn:newsml:x:1",
        provider="Acme",
        subjects=[("medtop:04000000", "economy,  business")],
    )
    f = w.article_fields()
    assert (f["slugline"], f["version"], f["pubstatus"], f["dateline"], f["guid"], f["provider"]) == (
        "US-Finance-Fed",
        "11",
        "usable",
        "NEW YORK, Nov 21",
        "urn:newsml:x:1",
        "Acme",
    )
    assert f["subjects"] == (("medtop:04000000", "economy, business"),)


@check(300)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list(" a\té\n\x1b[]\x07\x00\u202e\u2028\u00a0\x9b;0")), max_size=12),
        max_size=8,
    )
)
def test_clean_lines_in_one_pass_is_clean_line_of_each(values):
    assert _clean_lines(values) == [clean_line(v) for v in values]


@check(300)
@given(
    st.text(
        alphabet=st.sampled_from(list(" ab\t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u2003\u2028\u3000é")), max_size=120
    )
)
def test_squash_is_split_and_join(text):
    assert squash(text) == " ".join(text.split())
    assert squash("x" * 50 + text) == " ".join(("x" * 50 + text).split())


def test_dates_parsed_once_per_string_read_the_same():
    for value in (
        "2018-11-21T16:25:32-05:00",
        "2024-02-09",
        "Wed, 02 Dec 2026 06:11:58 +0000",
        "junk",
        "0001-01-01T00:00:00+01:00",
        " 2024-02-09T12:25:32Z\x1b[31m",
        "x" * 100,
    ):
        assert iso_date(value) == iso_date(value) == _parse_iso_text(value), value
    assert iso_date("2018-11-21T16:25:32-05:00") == "2018-11-21T21:25:32Z"
