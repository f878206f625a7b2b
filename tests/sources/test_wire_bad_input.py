"""Bad input for the wire readers, class by class, built from the real files in tests/sources/data/wire:
truncated XML, a wrong or absent charset, 7901 and ANPA copy with broken framing, a binary file with an
.xml name, huge and deep XML, and entities or DTDs that would read files, expand or go to the network.
Each class gives at most one plain problem line naming the file (no traceback, no control character),
and reads what can safely be read."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from triage.infra.text import clean_line
from triage.sources import read_file

WIRE = Path(__file__).parent / "data" / "wire"
G2 = (WIRE / "newsml-g2" / "examples" / "LISTING_2_NewsML-G2_Text_Document.xml").read_bytes()
NEWSML1 = (WIRE / "pynewsml" / "fixtures" / "50812345.xml").read_bytes()
NITF = (WIRE / "nitfr" / "fixtures" / "full_featured.xml").read_bytes()
OWN = WIRE / "own"
TITLE = b'Fed to halt QE to avert "bubble"'
ZURICH = 'Zürich café halts QE to avert "bubble"'


def read(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    articles, problems = read_file(path)
    assert len(problems) <= 1, problems
    for p in problems:
        assert p.where == str(path)
        assert p.reason == clean_line(p.reason) and "Traceback" not in p.reason
    return articles, [p.reason for p in problems]


# -- truncated XML ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("kind, data", [("g2", G2), ("newsml1", NEWSML1), ("nitf", NITF)])
def test_truncated_xml_is_one_line_and_keeps_what_it_can(tmp_path, kind, data, cut):
    articles, problems = read(tmp_path, f"{kind}.xml", data[: int(len(data) * cut)])
    assert len(problems) == 1 and problems[0].startswith("is not well-formed XML (")
    if articles:
        assert problems[0].endswith("): read what could be recovered")
    else:
        assert problems[0].endswith("): nothing could be recovered")


def test_a_g2_item_cut_in_its_body_keeps_headline_and_first_paragraph(tmp_path):
    cut = G2.index(b"</p>") + 4  # the first NITF paragraph, then nothing
    (a,), problems = read(tmp_path, "cut.xml", G2[:cut])
    assert a.title == TITLE.decode() and a.guid == "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"
    assert a.text.startswith("(New York, NY - October 21)") and len(a.paragraphs) == 1
    assert problems[0].endswith("read what could be recovered")


# -- charsets ------------------------------------------------------------------------------------------
def test_declared_iso_8859_1_but_really_utf8(tmp_path):
    data = G2.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(TITLE, ZURICH.encode())
    assert b'encoding="ISO-8859-1"' in data
    (a,), problems = read(tmp_path, "g2.xml", data)
    assert a.title == ZURICH and not problems


def test_declared_utf8_but_really_latin1(tmp_path):
    (a,), problems = read(tmp_path, "g2.xml", G2.replace(TITLE, ZURICH.encode("latin-1")))
    assert a.title == ZURICH and not problems


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "cp1252"])
def test_no_charset_declared(tmp_path, encoding):
    body = G2.split(b"?>", 1)[1]  # no XML declaration at all
    (a,), problems = read(tmp_path, "g2.xml", body.replace(TITLE, ZURICH.encode(encoding)))
    assert a.title == ZURICH and not problems


def test_newsml1_in_latin1_with_its_declaration_removed(tmp_path):
    (a,), problems = read(tmp_path, "n1.xml", NEWSML1.split(b"?>", 1)[1])
    assert a.title == "BREVES: Tecnologia - Novidades de Inovação" and not problems


def test_7901_in_latin1_without_any_declaration():
    (a,), problems = read_file(OWN / "dpa-7901-berichtigung.txt")
    assert not problems and any(c in a.title + a.text for c in "äöüßÄÖÜ")
    assert "\ufffd" not in a.title + a.text


# -- 7901 and ANPA framing ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dpa-7901-regular.txt", "ap-flash.tst"])
def test_a_message_without_its_end_is_read_and_said_to_be_cut(tmp_path, name):
    raw = (OWN / name).read_bytes()
    whole = read_file(OWN / name)[0][0]
    for data in (raw.replace(b"\x03", b""), raw[: raw.index(b"\x03") - 20]):
        (a,), problems = read(tmp_path, name, data)
        assert a.title == whole.title and a.urgency == whole.urgency
        assert problems == ["has no end of text (ETX), so it may be cut off: read as far as it goes"]


@pytest.mark.parametrize(
    "name, mangle, reason",
    [
        ("dpa-7901-regular.txt", lambda b: b[:25], "looks like IPTC 7901 wire copy but has no start of text"),
        ("dpa-7901-regular.txt", lambda b: b.replace(b"\x02", b"\x03", 1), "has no start of text (STX)"),
        ("ap-flash.tst", lambda b: b[:30], "looks like ANPA-1312 wire copy but has no start of text (STX)"),
        ("ap-flash.tst", lambda b: b.replace(b"f i\x13\x11 BC-Quake-Japan", b"??"), "selector line"),
    ],
)
def test_broken_framing_is_one_plain_line(tmp_path, name, mangle, reason):
    articles, problems = read(tmp_path, name, mangle((OWN / name).read_bytes()))
    assert articles == [] and len(problems) == 1 and reason in problems[0]


def test_several_messages_in_one_capture_are_each_read(tmp_path):
    takes = b"".join((OWN / n).read_bytes() for n in ("ap-flash.tst", "ap-writethru.tst", "ap-kill.tst"))
    articles, problems = read(tmp_path, "capture.tst", takes)
    assert not problems
    assert [(a.urgency, a.version, a.pubstatus) for a in articles] == [
        (1, "", "usable"), (articles[1].urgency, "1stLd-Writethru", "usable"), (2, "Kill", "canceled")
    ]
    two = b"".join((OWN / n).read_bytes() for n in ("dpa-7901-flash.txt", "dpa-7901-regular.txt"))
    articles, problems = read(tmp_path, "capture.txt", two)
    assert [a.urgency for a in articles] == [1, 4] and not problems


def test_a_capture_with_one_broken_message_names_it(tmp_path):
    good = (OWN / "ap-flash.tst").read_bytes()
    broken = (OWN / "ap-kill.tst").read_bytes().split(b"\x02")[0]  # header, then nothing
    articles, problems = read(tmp_path, "capture.tst", good + broken)
    assert [a.urgency for a in articles] == [1]
    assert problems == ["message 2 of 2: looks like ANPA-1312 wire copy but has no start of text (STX): "
                        "nothing to read"]


def test_framing_controls_never_reach_the_article():
    for path in sorted(OWN.glob("*")):
        for a in read_file(path)[0]:
            fields = [a.title, a.text, a.slugline, a.version, a.ednote, a.author, a.dateline, a.provider]
            assert not any(ord(c) < 32 and c not in "\n" for f in fields for c in f), path


# -- binary data under a wire name ---------------------------------------------------------------------
def test_a_binary_file_named_xml(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    assert read(tmp_path, "story.xml", png) == ([], ["is a binary file, not an RSS or Atom feed"])
    assert read(tmp_path, "tag_reuters.com,2016:newsml_L1N14N0FF", png)[0] == []


def test_a_g2_opening_followed_by_binary(tmp_path):
    articles, problems = read(tmp_path, "g2.xml", G2[:400] + bytes(range(256)) * 20)
    assert articles == [] and len(problems) == 1 and "binary" in problems[0]


# -- huge and deep XML ---------------------------------------------------------------------------------
def _g2_with_body(body: bytes) -> bytes:
    head, rest = G2.split(b"<contentSet>", 1)
    return head + b"<contentSet><inlineXML contenttype=\"application/xhtml+xml\">" + body + (
        b"</inlineXML></contentSet>" + rest.split(b"</contentSet>", 1)[1]
    )


def test_deep_xml_is_cut_at_the_parsers_depth_limit_and_said(tmp_path):
    deep = _g2_with_body(b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000)
    t0 = time.perf_counter()
    (a,), problems = read(tmp_path, "deep.xml", deep)
    assert time.perf_counter() - t0 < 30  # bounded (a generous bound: this is not a timing test)
    assert a.title == TITLE.decode() and "deep" not in a.text
    assert problems[0].startswith("is not well-formed XML (Excessive depth in document")


def test_huge_xml_over_the_size_cap_is_one_line_and_under_it_is_read(tmp_path):
    paragraph = b"<p>" + b"Markets moved on the news of the halt. " * 20 + b"</p>"
    huge = _g2_with_body(b"<div>" + paragraph * 7_000 + b"</div>")
    assert len(huge) > 5_000_000
    assert read(tmp_path, "huge.xml", huge) == ([], [f"is {len(huge):,} bytes, over the 5,000,000-byte "
                                                     "limit: skipped"])
    big = _g2_with_body(b"<div>" + paragraph * 5_000 + b"</div>")
    (a,), problems = read(tmp_path, "big.xml", big)
    assert not problems and len(a.paragraphs) == 5_000


def test_a_huge_single_text_node_is_read(tmp_path):
    words = b"word " * 900_000  # one 4.5 MB text node: lxml's 10 MB node limit is never reached under the cap
    (a,), problems = read(tmp_path, "node.xml", _g2_with_body(b"<p>" + words + b"</p>"))
    assert not problems and len(a.text) > 4_000_000


# -- entities, DTDs and the network --------------------------------------------------------------------
def test_entity_expansion_is_refused_before_anything_expands(tmp_path):
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    doc = (f'<?xml version="1.0"?><!DOCTYPE newsItem [<!ENTITY e0 "ha">{entities}]>'
           '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g" version="1"><contentMeta>'
           "<headline>&e9;</headline></contentMeta></newsItem>")
    articles, problems = read(tmp_path, "laughs.xml", doc.encode())
    assert articles == [] and problems[0].startswith("declares XML entities: refused")


def test_an_external_entity_never_reads_a_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    doc = G2.replace(b"<newsItem", f'<!DOCTYPE newsItem [<!ENTITY x SYSTEM "file://{secret}">]><newsItem'
                     .encode(), 1).replace(TITLE, b"&x;")
    articles, problems = read(tmp_path, "xxe.xml", doc)
    assert articles == [] and "TOP-SECRET" not in repr(problems)


@pytest.fixture
def listener():
    """A local TCP server that counts the connections made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    hits: list[int] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(2)
    server.close()


def test_no_dtd_schema_or_entity_is_fetched_over_the_network(tmp_path, listener):
    port, hits = listener
    url = f"http://127.0.0.1:{port}"
    nitf = (f'<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "{url}/nitf.dtd"><nitf><body><body.head><hedline>'
            "<hl1>Rates &mdash; up &undeclared;</hl1></hedline></body.head><body.content><p>Text.</p>"
            "</body.content></body></nitf>").encode()
    (a,), _problems = read(tmp_path, "n.xml", nitf)
    assert a.title.startswith("Rates — up")  # HTML's names from a fixed table; nothing looked up
    g2 = G2.replace(b"./NewsML-G2_2.35-spec-All-Power.xsd", f"{url}/schema.xsd".encode())
    (b,), _ = read(tmp_path, "g.xml", g2)
    assert b.title == TITLE.decode()
    pe = f'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]><nitf/>'.encode()
    assert read(tmp_path, "p.xml", pe)[0] == []
    time.sleep(0.3)
    assert hits == []
