"""Every real wire example in tests/sources/data/wire (IPTC's NewsML-G2 examples and should_pass items,
ninjs examples and valid test-suite items, amerine/nitfr's NITF fixtures, pynewsml's NewsML 1 file,
Business Wire's NewsML 1 items) is read, and every field it states comes out as stated.

What a file states is worked out here, from the file itself, with lxml's XPath on the namespaced
document or with `json`, never by calling triage's readers: headline, guid, version, urgency,
pubstatus, embargo, language, ednote, byline, dateline, slugline, subjects and provider. A file that
is not a text story (a picture, video, package, concept, planning or event item) must be named and
skipped in one plain line. The counts are printed with `-s` (files read / fields checked / right).

The agency fixtures in tests/sources/data/wire/agencies (each an agency's real layout with text of our
own) are checked the same way against STATED.toml beside them: what each file states, written by
reading it, with the first and last words of its text clean of furniture.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from triage.model import ProblemKind
from triage.sources import read_file
from triage.sources.base import identity_id
from triage.sources.providers import provider_name

WIRE = Path(__file__).parent / "data" / "wire"
NAR = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FIELDS = ("headline", "guid", "version", "urgency", "pubstatus", "embargoed", "language", "ednote",
          "author", "dateline", "slugline", "subjects", "provider")


def corpus() -> list[Path]:
    """Every real example: the folders the NOTICE names, should_fail files and own fixtures left out."""
    out = []
    for pattern in ("newsml-g2/examples/*.xml", "newsml-g2/*/should_pass/*.xml", "newsinjson/examples/**/*",
                    "newsinjson/test_suite/*/should_pass/*.json", "nitfr/fixtures/*.xml",
                    "pynewsml/fixtures/*.xml"):
        out.extend(p for p in WIRE.glob(pattern) if p.is_file())
    return sorted(out)


CORPUS = corpus()


@dataclass
class Stated:
    """One story as its file states it; `None` for a field the file does not state."""

    headline: str | None = None
    values: dict[str, object] = field(default_factory=dict)


def squash(s: str | None) -> str:
    return " ".join((s or "").split())


def utc(value: str) -> str:
    """An ISO 8601 date-time as UTC with a Z (what triage's fields carry)."""
    v = value.strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})?)?", v)
    if m:  # NITF / NewsML 1 compact form
        y, mo, d, h, mi, s, z = m.groups()
        if h is None:
            return f"{y}-{mo}-{d}"
        v = f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}{z or ''}"
    dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        return dt.replace(microsecond=0).isoformat()
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- NewsML-G2 --------------------------------------------------------------------------------------
def g2_stated(root) -> Iterator[Stated | str]:
    """Each newsItem of a G2 document as it states itself; a string for an item that is not a story."""
    ns = {"g": NAR}
    tag = etree.QName(root).localname
    if tag == "contentSet":  # a fragment holding an NITF story (IPTC's LISTING 25)
        nitf = root.find(".//{*}nitf")
        yield nitf_stated(nitf) if nitf is not None else "fragment"
        return
    if tag not in ("newsItem", "newsMessage"):
        yield tag
        return
    items = [root] if tag == "newsItem" else root.findall("g:itemSet/*", ns)
    for item in items:
        if etree.QName(item).localname != "newsItem":
            yield etree.QName(item).localname
            continue
        cls = item.xpath("string(g:itemMeta/g:itemClass/@qcode)", namespaces=ns)
        if cls.split(":")[-1] not in ("text", "composite"):
            yield cls
            continue
        s = Stated()
        v = s.values
        heads = item.xpath("g:contentMeta/g:headline", namespaces=ns)
        nitf = item.find("g:contentSet/g:inlineXML//{*}nitf", ns)
        inner = nitf_stated(nitf) if nitf is not None else None
        if heads:
            s.headline = squash("".join(heads[0].itertext()))
        elif inner is not None:
            s.headline = inner.headline
        texts = [squash("".join(x.itertext())) for x in item.xpath("g:contentSet/*", namespaces=ns)]
        descs = item.xpath("g:contentMeta/g:description", namespaces=ns)
        if not s.headline and not any(texts) and not descs:
            yield "no headline or text"
            continue
        v["guid"] = item.get("guid")
        if item.get("version"):
            v["version"] = item.get("version")
        urg = item.xpath("string(g:contentMeta/g:urgency)", namespaces=ns).strip()
        if urg:
            v["urgency"] = int(urg)
        status = item.xpath("string(g:itemMeta/g:pubStatus/@qcode)", namespaces=ns)
        if status:
            v["pubstatus"] = status.split(":")[-1]
        emb = item.xpath("string(g:itemMeta/g:embargoed)", namespaces=ns).strip()
        if emb:
            v["embargoed"] = utc(emb)
        lang = item.get(XML_LANG) or item.xpath("string(g:contentMeta/g:language/@tag)", namespaces=ns)
        if lang:
            v["language"] = lang.lower()
        notes = [squash("".join(n.itertext())) for n in item.xpath("g:itemMeta/g:edNote", namespaces=ns)]
        if any(notes):
            v["ednote"] = "\n\n".join(n for n in notes if n)
        creators = item.xpath("g:contentMeta/g:creator/g:name", namespaces=ns)
        if creators:
            v["author"] = ", ".join(squash(c.text) for c in creators)
        elif inner is not None and "author" in inner.values:
            v["author"] = inner.values["author"]
        for name in ("dateline", "slugline"):
            text = squash(item.xpath(f"string(g:contentMeta/g:{name})", namespaces=ns))
            if text:
                v[name] = text
        subjects = item.xpath("g:contentMeta/g:subject", namespaces=ns)
        if subjects:
            v["subjects"] = {g2_subject(x) for x in subjects}
        prov = item.find("g:itemMeta/g:provider", ns)
        if prov is not None:
            name = prov.find("g:name", ns)
            v["provider"] = (
                squash(name.text) if name is not None else prov.get("literal")
                or (prov.get("qcode") or "").split(":")[-1]
                or re.sub(r"^www\.", "", re.sub(r"^\w+://([^/]+).*", r"\1", prov.get("uri") or ""))
            )
        yield s


def g2_subject(el) -> str:
    """A subject's identifier: QCode, URI or literal, a faceted subject's main concept's."""
    for concept in (el, el.find("{*}mainConcept")):
        if concept is not None and (concept.get("qcode") or concept.get("uri") or concept.get("literal")):
            return concept.get("qcode") or concept.get("uri") or concept.get("literal")
    return squash(el.findtext("{*}name"))


# -- NITF --------------------------------------------------------------------------------------------
def nitf_stated(root) -> Stated:
    def one(path: str) -> str:
        return squash(root.xpath(f"string({path})"))

    s = Stated()
    v = s.values
    s.headline = one(".//*[local-name()='hl1']") or one("*[local-name()='head']/*[local-name()='title']")
    docdata = ".//*[local-name()='docdata']"
    doc_id = one(f"{docdata}/*[local-name()='doc-id']/@id-string")
    if doc_id:
        v["guid"] = doc_id
    urg = one(f"{docdata}/*[local-name()='urgency']/@ed-urg")
    if urg.isdigit():
        v["urgency"] = int(urg)
    status = one(f"{docdata}/@management-status")
    if status:
        v["pubstatus"] = {"embargoed": "usable"}.get(status, status)
        release = one(f"{docdata}/*[local-name()='date.release']/@norm")
        if status == "embargoed" and release:
            v["embargoed"] = utc(release)
    if root.get(XML_LANG):
        v["language"] = root.get(XML_LANG).lower()
    notes = root.xpath(f"{docdata}/*[local-name()='ed-msg']/@info")
    if notes:
        v["ednote"] = "\n\n".join(squash(n) for n in notes)
    bylines = root.xpath(".//*[local-name()='body.head']/*[local-name()='byline']")
    if bylines:
        people = bylines[0].xpath(".//*[local-name()='person']")
        own = squash(" ".join([bylines[0].text or ""] + [c.tail or "" for c in bylines[0]]))
        if people:
            v["author"] = ", ".join(squash(p.text) for p in people)
        elif own:
            v["author"] = re.sub(r"^By\s+", "", own).strip(" ,")
    for name in ("dateline", "distributor"):
        text = one(f".//*[local-name()='body.head']/*[local-name()='{name}']")
        if text:
            v["provider" if name == "distributor" else name] = text
    slug = one(f"{docdata}/*[local-name()='du-key']/@key") or one(".//*[local-name()='slugline']")
    if slug:
        v["slugline"] = slug
    classifiers = root.xpath(f"{docdata}//*[local-name()='classifier'][@type='subject' or not(@type)]")
    if classifiers:
        v["subjects"] = {c.get("value") or squash(c.text) for c in classifiers}
    return s


# -- NewsML 1 ----------------------------------------------------------------------------------------
def newsml1_stated(root) -> Iterator[Stated | str]:
    for item in root.iter("NewsItem"):
        def one(path: str, item=item) -> str:
            return squash(item.xpath(f"string(({path})[1])"))

        s = Stated()
        v = s.values
        s.headline = one(".//NewsLines/HeadLine")
        ident = "Identification/NewsIdentifier"
        v["guid"] = one(f"{ident}/PublicIdentifier")
        v["version"] = one(f"{ident}/RevisionId")
        v["provider"] = one(f"{ident}/ProviderId")
        v["pubstatus"] = one("NewsManagement/Status/@FormalName").lower()
        urg = one("NewsManagement/Urgency/@FormalName") or squash(
            root.xpath("string(NewsEnvelope/Priority/@FormalName)")
        )
        if urg:
            v["urgency"] = int(urg)
        lang = one(".//DescriptiveMetadata/Language/@FormalName")
        if lang:
            v["language"] = lang.lower()
        for name, el in (("author", "ByLine"), ("dateline", "DateLine"), ("slugline", "SlugLine")):
            text = one(f".//NewsLines/{el}")
            if text:
                v[name] = text
        codes = {squash(t.text) for t in item.xpath(".//Topic/FormalName")}
        if codes:
            v["subjects"] = codes
        s.values = {name: x for name, x in v.items() if x != ""}
        yield s


# -- ninjs ---------------------------------------------------------------------------------------------
def ninjs_stated(obj) -> Iterator[Stated | str]:
    for item in obj if isinstance(obj, list) else [obj]:
        k = {key.lower(): value for key, value in item.items()}
        kind = k.get("type", "text")
        if kind not in ("text", "composite", "component"):  # media, event, planning: not stories
            yield kind
            continue
        s = Stated()
        v = s.values
        heads = k.get("headlines") or []
        main = [h["value"] for h in heads if h.get("role") == "main"] or [h["value"] for h in heads]
        s.headline = squash(main[0] if main else k.get("headline", ""))
        v["guid"] = k["uri"]
        for name in ("version", "pubstatus", "language", "slugline"):
            if k.get(name):
                v[name] = k[name].lower() if name in ("pubstatus", "language") else k[name]
        if "urgency" in k:
            v["urgency"] = k["urgency"]
        if k.get("embargoed"):
            v["embargoed"] = utc(k["embargoed"])
        if isinstance(k.get("ednote"), str):
            v["ednote"] = squash(k["ednote"])
        elif k.get("ednotes"):
            v["ednote"] = "\n\n".join(squash(n["value"]) for n in k["ednotes"])
        if k.get("byline") or k.get("by"):
            v["author"] = squash(k.get("byline") or k.get("by"))
        if isinstance(k.get("located"), str):
            v["dateline"] = k["located"]
        listed = k.get("subject") or k.get("subjects") or []
        subjects = [{x.lower(): y for x, y in sub.items()} for sub in listed]
        if subjects:
            v["subjects"] = {sub.get("code") or sub.get("uri") or sub.get("literal") or sub.get("name")
                             for sub in subjects}
        sources = [src.get("name") for src in k.get("infosource") or k.get("infosources") or []
                   if isinstance(src, dict) and src.get("name")]
        provider = sources[0] if sources else k.get("copyrightholder")
        if provider:
            v["provider"] = provider
        yield s


# Where the file's words need a reader of the language: a hand-written table, checked against the file.
BY_HAND = {
    "nitfr/fixtures/unicode_content.xml": {"author": "François Müller"},  # <byline>Par François Müller
}


def stated(path: Path) -> list[Stated | str]:
    """What a file states, story by story (strings for items that are not stories)."""
    found = _stated(path)
    for name, value in BY_HAND.get(str(path.relative_to(WIRE)), {}).items():
        assert isinstance(found[0], Stated) and str(value) in str(found[0].values[name])
        found[0].values[name] = value
    return found


def _stated(path: Path) -> list[Stated | str]:
    data = path.read_bytes()
    if path.suffix == ".json":
        return list(ninjs_stated(json.loads(data)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    name = etree.QName(root).localname
    if name == "nitf":
        return [nitf_stated(root)]
    if name == "NewsML":
        return list(newsml1_stated(root))
    return list(g2_stated(root))


def desk_name(values: dict[str, object]) -> dict[str, object]:
    """The stated provider under the one name the desk knows it by ("REUTERS" -> "Reuters")."""
    if "provider" in values:
        values["provider"] = provider_name(str(values["provider"]))
    return values


def got(article, name: str) -> object:
    value = getattr(article, "title" if name == "headline" else name)
    if name == "subjects":
        return {code or name for code, name in value}
    if name == "language":
        return value.lower()
    if name == "ednote":
        return "\n\n".join(squash(p) for p in value.split("\n\n"))
    return value


TALLY = {"files": 0, "stories": 0, "skipped": 0, "checked": 0, "right": 0}
# Stated fields checked and right, per format and agency (the agency as the file names its provider).
TABLE: dict[tuple[str, str], list[int]] = {}


def format_of(path: Path) -> str:
    top = str(path.relative_to(WIRE)).split("/", 1)[0]
    return {"newsml-g2": "NewsML-G2", "newsinjson": "ninjs", "nitfr": "NITF", "pynewsml": "NewsML 1"}[top]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(WIRE)))
def test_every_field_a_real_example_states_comes_out_as_stated(path: Path):
    expected = stated(path)
    articles, problems = read_file(path)
    stories = [e for e in expected if isinstance(e, Stated)]
    skipped = [e for e in expected if not isinstance(e, Stated)]
    assert len(articles) == len(stories), (problems, [a.title for a in articles])
    # What is not a story is named and skipped: one plain line each, no traceback.
    assert len(problems) == len(skipped), problems
    assert all("\n" not in p.reason and "Traceback" not in p.reason for p in problems)
    wrong = []
    fmt = format_of(path)
    for want, article in zip(stories, articles, strict=True):
        row = TABLE.setdefault((fmt, article.provider or "(none named)"), [0, 0])
        stated_values = desk_name(dict(want.values))
        checks = {"headline": want.headline, **stated_values} if want.headline else stated_values
        for name, value in checks.items():
            TALLY["checked"] += 1
            row[0] += 1
            if got(article, name) == value:
                TALLY["right"] += 1
                row[1] += 1
            else:
                wrong.append((name, value, got(article, name)))
    TALLY["files"] += 1
    TALLY["stories"] += len(stories)
    TALLY["skipped"] += len(skipped)
    assert not wrong, wrong


# -- the agency fixtures ------------------------------------------------------------------------------
AGENCIES = WIRE / "agencies"
STATED_BY_HAND = tomllib.loads((AGENCIES / "STATED.toml").read_text(encoding="utf-8"))
AGENCY_TABLE: dict[tuple[str, str], list[int]] = {}


def agency_got(article, name: str, want: object) -> object:
    """The article's value for a stated field, in the form STATED.toml states it."""
    text = squash(article.text)
    if name == "first":
        return want if text.startswith(str(want)) else text[: len(str(want)) + 20]
    if name == "last":
        return want if text.endswith(str(want)) else text[-len(str(want)) - 20 :]
    if name == "identity":  # an e-mail's Message-ID: the story's id is made from it
        return want if article.id == identity_id(guid=str(want)) else article.id
    if name == "language":  # the primary subtag
        return article.language.split("-")[0].lower()
    if name == "byline":  # ANPA sends bylines in capitals
        author = squash(article.author)
        return want if author.casefold() == str(want).casefold() else author
    if name == "marks":
        return list(article.marks)
    if name == "ednote":
        return squash(article.ednote)
    return getattr(article, {"headline": "title"}.get(name, name))


def test_the_agency_table_names_every_fixture():
    fixtures = {p.name for p in AGENCIES.iterdir() if p.name not in ("STATED.toml", "NOTICE.md")}
    assert set(STATED_BY_HAND) == fixtures
    assert len(fixtures) == 27


@pytest.mark.parametrize("name", sorted(STATED_BY_HAND))
def test_every_field_an_agency_fixture_states_comes_out_as_stated(name: str):
    entry = STATED_BY_HAND[name]
    articles, problems = read_file(AGENCIES / name)
    row = AGENCY_TABLE.setdefault((entry["format"], entry["agency"]), [0, 0])
    if "not_a_story" in entry:  # a filler: no story, one plain line saying what it is
        assert not articles
        assert [p.kind for p in problems] == [ProblemKind.NOT_A_STORY]
        assert entry["not_a_story"] in problems[0].reason
        return
    assert not problems, problems
    assert len(articles) == len(entry["items"]), [a.title for a in articles]
    wrong = []
    for want, article in zip(entry["items"], articles, strict=True):
        for field_name, value in want.items():
            row[0] += 1
            if agency_got(article, field_name, value) == value:
                row[1] += 1
            else:
                wrong.append((field_name, value, agency_got(article, field_name, value)))
    assert not wrong, wrong


def test_the_corpus_is_all_here_and_the_tally(capsys):
    kinds = {
        "newsml-g2 examples": len(list(WIRE.glob("newsml-g2/examples/*.xml"))),
        "newsml-g2 should_pass": len(list(WIRE.glob("newsml-g2/*/should_pass/*.xml"))),
        "ninjs examples": len([p for p in WIRE.glob("newsinjson/examples/**/*") if p.is_file()]),
        "ninjs should_pass": len(list(WIRE.glob("newsinjson/test_suite/*/should_pass/*.json"))),
        "nitfr": len(list(WIRE.glob("nitfr/fixtures/*.xml"))),
        "pynewsml": len(list(WIRE.glob("pynewsml/fixtures/*.xml"))),
    }
    assert kinds == {"newsml-g2 examples": 35, "newsml-g2 should_pass": 7, "ninjs examples": 46,
                     "ninjs should_pass": 38, "nitfr": 16, "pynewsml": 1}
    assert len(CORPUS) == sum(kinds.values())
    with capsys.disabled():
        print(f"\nwire corpus: {TALLY}")
        print(f"{'format':<11} {'agency':<32} {'stated':>6} {'right':>6}")
        for (fmt, agency), (stated, right) in sorted(TABLE.items()):
            print(f"{fmt:<11} {agency[:32]:<32} {stated:>6} {right:>6}")
        if AGENCY_TABLE:
            print(f"\nagency fixtures ({len(STATED_BY_HAND)} files in {AGENCIES.relative_to(WIRE)})")
            print(f"{'format':<11} {'agency':<32} {'stated':>6} {'right':>6}")
            for (fmt, agency), (stated, right) in sorted(AGENCY_TABLE.items()):
                print(f"{fmt:<11} {agency[:32]:<32} {stated:>6} {right:>6}")
            stated_all = sum(r[0] for r in AGENCY_TABLE.values())
            right_all = sum(r[1] for r in AGENCY_TABLE.values())
            print(f"{'all':<11} {'':<32} {stated_all:>6} {right_all:>6}")
    if TABLE:  # the parametrized tests ran in this session: the table adds up to the tally
        assert sum(r[0] for r in TABLE.values()) == TALLY["checked"]
        assert sum(r[1] for r in TABLE.values()) == TALLY["right"]
