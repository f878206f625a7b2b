"""ninjs 1.x-3.x on IPTC's examples and validation suite (tests/sources/data/wire/NOTICE.md)."""

from __future__ import annotations

import json
from pathlib import Path

from triage.sources import read_file

NINJS = Path(__file__).parent / "data" / "wire" / "newsinjson"


def one(path: Path):
    articles, problems = read_file(path)
    assert len(articles) == 1 and not problems, problems
    return articles[0]


def test_ninjs_1_4_simple_text():
    a = one(NINJS / "examples" / "1.4" / "ninjsExSimpleText1.json")
    assert a.title == "Captain of wrecked cruise ship on trial in Italy"
    assert a.guid == "http://ninjs.example.com/newsitems/20130709simp123"
    assert a.author == "Paulo Santalucia and Frances d'Emilio"
    assert a.published == "2013-07-09T10:37:00Z"
    assert len(a.paragraphs) == 4  # body_xhtml's paragraphs, not the one-block body_text
    assert a.paragraphs[0].startswith("The trial of the captain")  # the dateline is not text
    assert a.dateline == "GROSSETO, Italy (AP)"  # the item states no `located`: the text's dateline


def test_ninjs_2_1_ntb_every_field():
    a = one(NINJS / "examples" / "2.1" / "ntb_text.json")
    assert a.title == "Google har kjøpt giganttomt i Skien"
    assert (a.version, a.urgency, a.pubstatus, a.language) == ("6", 5, "usable", "nb-NO")
    assert a.ednote == "Noe utvidet."
    assert a.slugline == "skien-google" and a.author == "NTB" and a.provider == "NTB"
    assert a.guid == "urn:8d19cf88-b3ab-4972-8fec-1207599f2872"
    assert a.published == "2019-08-09T09:46:53Z"
    assert a.subjects == (
        ("Innenriks", "Innenriks"),
        ("13010000", "Teknologi"),
        ("04011000", "Industri"),
        ("04005000", "Olje og energi"),
    )
    assert a.text.startswith("IT-giganten Google har kjøpt en tomt på nærmere 2.000 mål i Skien")


def test_ninjs_3_0_dpa_camel_case_keys():
    a = one(NINJS / "examples" / "3.0" / "dpa_text.json")
    assert a.title == "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    assert (a.version, a.urgency, a.language, a.provider) == ("2", 4, "de", "dpa")
    assert a.guid == "urn:newsml:dpa.com:20090101:190510-99-167362"
    assert a.published == "2019-05-10T14:02:28Z"
    assert a.author == "Von Christian Hollmann, dpa"
    assert a.paragraphs[0].startswith("Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».")
    assert len(a.paragraphs) == 9


def test_ninjs_3_0_tt_text_with_image_association():
    a = one(NINJS / "examples" / "3.0" / "tt_text_image_3.json")
    assert a.title == "Militärövning i jätteformat hålls 2023"
    assert (a.version, a.urgency, a.language, a.slugline) == ("1", 3, "sv", "militärövning")
    assert a.subjects == (("http://tt.se/spec/subref/1.0/16000000", "Krig, konflikter och oroligheter"),)


def test_ninjs_pictures_are_skipped():
    for rel in ("1.4/ninjsExSimplePhoto1.json", "3.0/ap_image.json"):
        articles, problems = read_file(NINJS / "examples" / rel)
        assert articles == [] and [p.reason for p in problems] == ["skipped: picture item"]


def test_ninjs_embargo_withhold_and_versions(tmp_path):
    item = {
        "uri": "urn:newsml:example.com:20261202:abc",
        "version": "3",
        "type": "text",
        "pubstatus": "withheld",
        "embargoed": "2026-12-03T08:00:00+01:00",
        "headline": "Embargoed report",
        "body_text": "Text.",
        "ednote": "Embargoed until 0700 GMT",
        "language": "en-GB",
    }
    (tmp_path / "v3.json").write_text(json.dumps(item))
    v3 = one(tmp_path / "v3.json")
    assert v3.pubstatus == "withheld" and v3.killed and v3.embargoed == "2026-12-03T07:00:00Z"
    item.update(version="4", pubstatus="canceled")
    (tmp_path / "v4.txt").write_text(json.dumps(item))  # chosen by content, whatever the name
    v4 = one(tmp_path / "v4.txt")
    assert v4.id == v3.id and v4.pubstatus == "canceled"


def test_plain_article_json_is_still_read_as_before(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps({"title": "T", "text": "Body.", "url": "https://e.example/a"})
    )
    a = one(tmp_path / "a.json")
    assert (a.title, a.text, a.url, a.version) == ("T", "Body.", "https://e.example/a", "")


def test_ninjs_3_embargoed_until(tmp_path):
    item = {
        "standard": {"name": "ninjs", "version": "3.0"},
        "uri": "urn:newsml:example.com:20261202:emb",
        "type": "text",
        "pubStatus": "usable",
        "embargoedUntil": "2026-12-03T08:00:00+01:00",
        "headlines": [{"role": "main", "value": "Embargoed report"}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": "Text."}],
    }
    (tmp_path / "emb.json").write_text(json.dumps(item))
    assert one(tmp_path / "emb.json").embargoed == "2026-12-03T07:00:00Z"
