"""NewsML-G2, NewsML 1 and NITF readers on real files (tests/sources/data/wire/NOTICE.md): the fields
each file states come out as stated; what is not a text story is named and skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from triage.sources import read_file

WIRE = Path(__file__).parent / "data" / "wire"
G2 = WIRE / "newsml-g2" / "examples"


def one(path: Path):
    articles, problems = read_file(path)
    assert len(articles) == 1 and not problems, problems
    return articles[0]


def test_g2_news_item_listing_1_every_field():
    a = one(G2 / "LISTING_1_A_NewsML-G2_News_Item.xml")
    assert a.title == 'Fed to halt QE to avert "bubble"'
    assert a.text == ""  # its inlineXML holds only comments
    assert a.guid == "urn:newsml:acmenews.com:20161018:US-FINANCE-FED"
    assert a.version == "11"
    assert a.language == "en-GB"
    assert a.provider == "Reuters"  # "REUTERS" in the file: one name per provider
    assert a.pubstatus == "usable" and not a.killed
    assert a.embargoed == "2018-10-23T12:00:00Z"
    assert a.ednote == (
        "Note to editors: STRICTLY EMBARGOED. Not for public release until 12noon on Friday, "
        "October 23, 2018."
    )
    assert a.slugline == "US-Finance-Fed"
    assert a.author == "Meredith Jameson"
    assert a.published == "2018-10-21T21:25:32Z"  # versionCreated, in UTC
    assert a.subjects == (
        ("medtop:04000000", "economy, business and finance"),
        ("medtop:20000523", "labour market"),
    )
    assert a.urgency is None


def test_g2_text_document_with_nitf_body():
    a = one(G2 / "LISTING_2_NewsML-G2_Text_Document.xml")
    assert a.title == 'Fed to halt QE to avert "bubble"'
    assert a.language == "en-US" and a.version == "11" and a.provider == "acmenews.com"
    paras = a.paragraphs
    assert len(paras) == 2
    assert paras[0].startswith("(New York, NY - October 21) Et, sent luptat luptat, commy Nim zzriureet")
    assert paras[1].endswith("esto cons dolutpat, si.")
    assert [c for c, _ in a.subjects] == ["medtop:04000000", "medtop:20000350", "medtop:20000379"]


def test_g2_sports_story_nitf_in_inline_xml():
    a = one(G2 / "LISTING_22_Sports_story_in_NewsML-G2NITF.xml")
    assert a.title == "Preview: Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05 p.m."
    assert a.guid == "tag:xmlteam.com,2016:xt.5932656-preview" and a.version == "11"
    assert a.slugline == "AAV!PREVIEW-ARI-PHI"
    assert a.author == "The Sports Network"
    assert a.text.startswith("(Sports Network) - A pair of teams coming off big weekend sweeps")
    assert ("team:l.mlb.com-t.19", "Philadelphia Phillies") in a.subjects


def test_same_item_under_a_reuters_name_without_extension(tmp_path):
    target = tmp_path / "tag_reuters.com,2016:newsml_L1N14N0FF"
    shutil.copy(G2 / "LISTING_2_NewsML-G2_Text_Document.xml", target)
    a = one(target)
    assert a.title == 'Fed to halt QE to avert "bubble"' and a.version == "11"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("LISTING_3_Photo_in_NewsML-G2.xml", "skipped: picture item"),
        ("LISTING_4_Multiple_Renditions_of_a_Video_in_NewsML-G2.xml", "skipped: video item"),
        ("LISTING_6_Simple_NewsML-G2_Package.xml", "is a NewsML-G2 package item, not a news story: skipped"),
        ("LISTING_13_Complete_Catalog_Item.xml", "is a NewsML-G2 catalog item, not a news story: skipped"),
        (
            "LISTING_28_Illustrating_Located_Subject_and_Dateline.xml",
            "is a fragment of a NewsML-G2 item (<contentMeta> alone), not a whole item: skipped",
        ),
    ],
)
def test_g2_items_that_are_not_text_stories_are_named_and_skipped(name, reason):
    articles, problems = read_file(G2 / name)
    assert articles == [] and [p.reason for p in problems] == [reason]


def test_g2_news_message_names_each_item():
    articles, problems = read_file(G2 / "LISTING_24_News_Message_conveying_a_complete_News_Package.xml")
    assert articles == []
    assert [p.reason for p in problems] == ["item 1: skipped: package item"] + [
        f"item {n + 1} (N{n}): has neither a headline nor text: skipped" for n in range(1, 5)
    ]


def test_g2_news_message_with_two_stories(tmp_path):
    item = (G2 / "LISTING_2_NewsML-G2_Text_Document.xml").read_text(encoding="utf-8").split("?>", 1)[1]
    second = item.replace("US-FINANCE-FED", "US-FINANCE-ECB").replace("Fed to halt", "ECB to halt")
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">'
        f"<header><sent>2018-10-19T11:17:00Z</sent></header><itemSet>{item}{second}</itemSet></newsMessage>"
    )
    (tmp_path / "msg.xml").write_text(doc, encoding="utf-8")
    articles, problems = read_file(tmp_path / "msg.xml")
    assert not problems
    assert [a.title for a in articles] == [
        'Fed to halt QE to avert "bubble"',
        'ECB to halt QE to avert "bubble"',
    ]
    assert len({a.id for a in articles}) == 2


def test_g2_versions_share_an_id_and_a_kill_is_canceled(tmp_path):
    src = (G2 / "LISTING_2_NewsML-G2_Text_Document.xml").read_text(encoding="utf-8")
    (tmp_path / "v11.xml").write_text(src, encoding="utf-8")
    killed = src.replace('version="11"', 'version="12"').replace("stat:usable", "stat:canceled")
    (tmp_path / "v12.xml").write_text(killed, encoding="utf-8")
    withheld = src.replace('version="11"', 'version="13"').replace("stat:usable", "stat:withheld")
    (tmp_path / "v13.xml").write_text(withheld, encoding="utf-8")
    v11, v12, v13 = (one(tmp_path / f"v{n}.xml") for n in (11, 12, 13))
    assert v11.id == v12.id == v13.id
    assert (v11.pubstatus, v12.pubstatus, v13.pubstatus) == ("usable", "canceled", "withheld")
    assert v12.killed and v13.killed and not v11.killed


def test_g2_signal_correction_and_urgency(tmp_path):
    src = (G2 / "LISTING_1_A_NewsML-G2_News_Item.xml").read_text(encoding="utf-8")
    src = src.replace('<signal qcode="sig:update" />', '<signal qcode="sig:correction" />')
    src = src.replace("<slugline>", "<urgency>2</urgency><slugline>")
    (tmp_path / "c.xml").write_text(src, encoding="utf-8")
    a = one(tmp_path / "c.xml")
    assert a.correction and a.urgency == 2


def test_newsml1_pynewsml_latin1_every_field():
    a = one(WIRE / "pynewsml" / "fixtures" / "50812345.xml")
    assert a.title == "BREVES: Tecnologia - Novidades de Inovação"
    assert a.guid == "urn:newsml:NewsAgency.com:20250128:50812345:1" and a.version == "1"
    assert a.provider == "NewsAgency.com" and a.language == "pt" and a.urgency == 4
    assert a.author == "Maria Antunes" and a.dateline == "28/01/2025"
    assert a.published == "2025-01-28T10:15:30"
    assert a.subjects == (("06000000", "Tecnologia"), ("06002000", "Inovações"))
    assert a.paragraphs[0] == "Notícias breves de tecnologia:"  # the dateline is not text
    assert a.dateline == "28/01/2025"  # the file's own dateline is kept
    assert "Startup portuguesa desenvolve ferramenta para otimizar entregas" in a.paragraphs
    assert "Property" not in a.text and "Photo" not in a.text  # the photo ContentItem is not text


def test_newsml1_revisions_share_an_id(tmp_path):
    src = (WIRE / "pynewsml" / "fixtures" / "50812345.xml").read_bytes()
    rev2 = src.replace(b'PreviousRevision="0">1<', b'PreviousRevision="1">2<').replace(
        b":50812345:1<", b":50812345:2<"
    )
    (tmp_path / "r2.xml").write_bytes(rev2)
    assert one(tmp_path / "r2.xml").id == one(WIRE / "pynewsml" / "fixtures" / "50812345.xml").id
    assert one(tmp_path / "r2.xml").version == "2"


def test_newsml1_businesswire_components():
    a = one(WIRE / "newsinjson" / "examples" / "NewsML" / "businesswire-newsml-20130515006361.xml")
    assert a.title == (
        "Dell Redefines Workstation Computing Boundaries with Smallest Tower and Most Powerful "
        "Rack Workstations"
    )
    assert a.slugline == "TX-DELL" and a.dateline == "ROUND ROCK, Texas" and a.language == "en"
    assert a.provider == "businesswire.com" and a.version == "1"
    assert "bwlistitemmargb" not in a.text  # the style sheet component is not text
    assert "lauren_mauro@dell.com" not in a.text  # nor the contacts
    assert a.text.startswith("Offering powerful workstation performance at near desktop PC prices")


def test_nitf_full_featured():
    a = one(WIRE / "nitfr" / "fixtures" / "full_featured.xml")
    assert a.title == "Full Featured Headline"
    assert a.guid == "full-001" and a.urgency == 2 and a.published == "2024-12-15"
    assert a.author == "John Author" and a.dateline == "NEW YORK, Dec 15" and a.provider == "Wire Service"
    assert a.ednote == "Test message"
    assert a.paragraphs[:2] == [
        "This is the lead paragraph with an emphasized word.",
        "Second paragraph with a link.",
    ]
    assert "Test caption" not in a.text and "Contact: test@example.com" not in a.text


@pytest.mark.parametrize(
    "name, title, first",
    [
        ("simple_article.xml", None, None),
        ("unicode_content.xml", None, None),
        ("nested_entities.xml", None, None),
    ],
)
def test_nitf_fixtures_read_with_title_and_text(name, title, first):
    a = one(WIRE / "nitfr" / "fixtures" / name)
    assert a.title and a.title != "(untitled)"
    assert a.text


def test_nitf_kill_and_embargo(tmp_path):
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><nitf xml:lang="fr"><head><docdata '
        'management-status="embargoed">'
        '<doc-id id-string="AFP-123"/><urgency ed-urg="3"/><date.release norm="20261203T060000Z"/>'
        '<correction info="Corrige le chiffre du deuxième paragraphe"/></docdata></head><body><body.head>'
        "<hedline><hl1>Grève à la SNCF</hl1></hedline><byline>Par Marie Dupont</byline></body.head>"
        "<body.content><p>PARIS (AFP) - La grève continue.</p></body.content></body></nitf>"
    )
    (tmp_path / "a.xml").write_text(doc, encoding="utf-8")
    a = one(tmp_path / "a.xml")
    assert (a.language, a.urgency, a.guid, a.author) == ("fr", 3, "AFP-123", "Marie Dupont")
    assert a.embargoed == "2026-12-03T06:00:00Z" and a.correction
    assert a.ednote == "Corrige le chiffre du deuxième paragraphe"
    (tmp_path / "k.xml").write_text(doc.replace("embargoed", "canceled"), encoding="utf-8")
    assert one(tmp_path / "k.xml").pubstatus == "canceled"


def test_declared_latin1_really_utf8(tmp_path):
    doc = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><nitf><body><body.head><hedline><hl1>Zürich: Café crème'
        "</hl1></hedline></body.head><body.content><p>Grüße aus Zürich.</p></body.content></body></nitf>"
    )
    (tmp_path / "a.xml").write_bytes(doc.encode("utf-8"))
    a = one(tmp_path / "a.xml")
    assert a.title == "Zürich: Café crème" and a.text == "Grüße aus Zürich."


def test_entities_are_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-9931")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<nitf><body><body.content><p>&x;</p></body.content></body></nitf>"
    )
    (tmp_path / "x.xml").write_text(doc)
    articles, problems = read_file(tmp_path / "x.xml")
    assert articles == [] and "TOP-SECRET" not in repr(problems)
    assert [p.reason for p in problems] == [
        "declares XML entities: refused (a wire file never needs one, and they could read "
        "local files or expand "
        "without bound)"
    ]


def test_broken_xml_is_recovered_with_a_problem(tmp_path):
    doc = "<nitf><body><body.head><hedline><hl1>Cut off</hl1></hedline></body.head><body.content><p>First."
    (tmp_path / "cut.xml").write_text(doc)
    articles, problems = read_file(tmp_path / "cut.xml")
    assert [a.title for a in articles] == ["Cut off"] and articles[0].text == "First."
    assert len(problems) == 1 and problems[0].reason.startswith("is not well-formed XML (")
    assert problems[0].reason.endswith("): read what could be recovered")


def test_html_named_entities_of_the_nitf_dtd_without_loading_it(tmp_path):
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE nitf SYSTEM "nitf-3-2.dtd">\n<nitf><body><body.head><hedline>'
           "<hl1>Rates &mdash; up</hl1></hedline></body.head><body.content>"
           "<p>Caf&eacute; &amp; bar&nbsp;open.</p></body.content></body></nitf>\n")
    (tmp_path / "n.xml").write_text(doc)
    a = one(tmp_path / "n.xml")
    assert a.title == "Rates — up" and a.text == "Café & bar open."
