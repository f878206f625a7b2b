"""Property tests (hypothesis) for the wire readers: random bytes behind each format's opening, and
valid skeletons (NewsML-G2, NewsML 1, NITF, ninjs, IPTC 7901, ANPA-1312, mail) with hostile fields,
never raise and never put a control character, escape sequence or bidi override into an Article."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from hypothesis import given
from hypothesis import strategies as st

from tests.sources.test_hostile_properties import FORBIDDEN, assert_clean, check, hostile_text, wordy_text
from triage.sources import read_file

_DIR = Path(tempfile.mkdtemp(prefix="triage-wire-hypothesis-"))
WIRE_FIELDS = (
    "slugline",
    "version",
    "pubstatus",
    "embargoed",
    "ednote",
    "dateline",
    "language",
    "guid",
    "provider",
)

OPENINGS = [
    b'<?xml version="1.0"?><newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g" version="1">',
    b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet><newsItem guid="x">',
    b"<NewsML><NewsItem><Identification>",
    b"<nitf><head><docdata>",
    b"<nitf><body><body.content><p>",
    b"\x01eca062 4 i 211 ccccb dpa 061\r\n",
    b"\x01eca062 4 i 211 x\r\nkw/\r\n\x02",
    b"\x16\x16\x01a0421\x1f\r\n",
    b"\x16\x16\x01a0421\x1f\r\nu i\x13\x11 BC-X 1stLd 12-02 0412\r\n\x02",
    b'{"uri": "urn:x", "type": "text", ',
    b"Received: from x\nFrom: a@b\nSubject: s\nDate: d\n\n",
]


def wire_clean(path: Path) -> None:
    articles, problems = read_file(path)
    assert_clean(articles, problems)
    for a in articles:
        for field in WIRE_FIELDS:
            assert not FORBIDDEN.search(getattr(a, field)), (field, getattr(a, field))
        for code, name in a.subjects:
            assert not FORBIDDEN.search(code + name)
        assert a.urgency is None or 1 <= a.urgency <= 9
        assert a.pubstatus in ("usable", "withheld", "canceled")


@check(200)
@given(
    opening=st.sampled_from(OPENINGS),
    tail=st.binary(max_size=2000),
    name=st.sampled_from(["a.xml", "a.txt", "a"]),
)
def test_random_bytes_after_a_wire_opening(opening: bytes, tail: bytes, name: str) -> None:
    path = _DIR / name
    path.write_bytes(opening + tail)
    wire_clean(path)


def _g2(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" '
        f'guid={quoteattr(slug)} version="2" '
        f'xml:lang={quoteattr(lang)}><itemMeta><itemClass qcode="ninat:text"/>'
        f'<provider literal={quoteattr(note)}/><pubStatus '
        f'qcode="stat:usable"/><edNote>{escape(note)}</edNote>'
        f"</itemMeta><contentMeta><urgency>3</urgency><slugline>{escape(slug)}</slugline><headline>{escape(title)}"
        f"</headline><subject qcode={quoteattr(slug)}><name>{escape(title)}</name></subject></contentMeta>"
        '<contentSet><inlineXML contenttype="application/nitf+xml"><nitf><body><body.head><byline>'
        f"{escape(note)}</byline></body.head><body.content><p>{escape(body)}</p></body.content></body></nitf>"
        "</inlineXML></contentSet></newsItem>"
    )


def _newsml1(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return (
        f"<NewsML><NewsItem><Identification><NewsIdentifier><ProviderId>{escape(note)}</ProviderId><DateId>1"
        f"</DateId><NewsItemId>{escape(slug)}</NewsItemId><RevisionId>1</RevisionId></NewsIdentifier>"
        f'</Identification><NewsManagement><Status FormalName="Usable"/></NewsManagement><NewsComponent>'
        f"<NewsLines><HeadLine>{escape(title)}</HeadLine><ByLine>{escape(note)}</ByLine></NewsLines>"
        f"<DescriptiveMetadata><Language FormalName={quoteattr(lang)}/></DescriptiveMetadata><ContentItem>"
        f'<MediaType '
        f'FormalName="Text"/><DataContent>{escape(body)}</DataContent></ContentItem></NewsComponent>'
        "</NewsItem></NewsML>"
    )


def _ninjs(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return json.dumps(
        {
            "uri": slug,
            "type": "text",
            "version": "1",
            "headline": title,
            "body_text": body,
            "ednote": note,
            "slugline": slug,
            "language": lang,
            "byline": note,
            "urgency": 2,
            "subjects": [{"code": slug, "name": note}],
        }
    )


def _7901(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return (f"\x01eca062 4 i 211 ccccb dpa 061\r\n{slug}/\r\n\x02{title} =\r\n{body}\r\n"
            f"Note to editors: {note}\r\n\x03")


def _anpa(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return (
        f"\x16\x16\x01a0421\x1f\r\nu i\x13\x11 BC-{slug} 1stLd-Writethru 12-02 "
        f"0412\r\n\x02^BC-{slug},1stLd<\r\n"
        f"^{title}<\r\n^Eds: {note}<\r\n^By {note}=<\r\n\t{body}\r\n\x03\r\nAP-NY-12-02-26 0412GMT\r\n"
    )


def _mail(title: str, body: str, note: str, slug: str, lang: str) -> str:
    return (
        f"Received: from x\nFrom: {note.splitlines()[0] if note.strip() else 'x'} <a@b.example>\n"
        f"Subject: {title.splitlines()[0] if title.strip() else 's'}\nDate: Wed, 02 Dec "
        f"2026 06:11:58 +0000\n\n{body}\n"
    )


SKELETONS = {"g2": _g2, "newsml1": _newsml1, "ninjs": _ninjs, "7901": _7901, "anpa": _anpa, "mail": _mail}


@check(120)
@given(
    kind=st.sampled_from(sorted(SKELETONS)),
    title=hostile_text,
    body=wordy_text,
    note=hostile_text,
    slug=hostile_text,
    lang=st.sampled_from(["en", "de-DE", "x-default", "\x1b[31m", ""]),
    encoding=st.sampled_from(["utf-8", "latin-1"]),
)
def test_wire_skeletons_with_hostile_fields(kind, title, body, note, slug, lang, encoding) -> None:
    doc = SKELETONS[kind](title, body, note, slug, lang)
    path = _DIR / f"skeleton-{kind}.wire"
    path.write_bytes(doc.encode(encoding, "replace"))
    wire_clean(path)
