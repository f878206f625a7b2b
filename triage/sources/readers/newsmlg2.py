"""NewsML-G2 (IPTC): news items and news messages (several items a file); bodies as NITF, XHTML or text.

Packages, concept/knowledge/planning/catalog items and picture, video, audio or graphic items are
named and skipped ("skipped: picture item"), never errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, WireFields, make_article
from triage.sources.reader import Sample
from triage.sources.readers.html import html_to_text
from triage.sources.readers.nitf import nitf_story
from triage.sources.readers.versions import advisory
from triage.sources.readers.wiredoc import WireXmlReader
from triage.sources.readers.wirexml import (
    Kids,
    attr,
    child,
    children,
    descendants,
    el_text,
    local,
    paragraphs,
)

__all__ = ["READER", "code_of", "read_newsml_g2", "strip_version"]

_SKIPPED = {
    "packageItem": "package item",
    "conceptItem": "concept item",
    "knowledgeItem": "knowledge item",
    "planningItem": "planning item",
    "catalogItem": "catalog item",
    "conceptSet": "concept set",
    "catalog": "catalog",
}
_TEXT_CLASSES = {"text", "composite", ""}
# How deep <related> may nest in <related>: 2 levels until NewsML-G2 2.33, 3 from 2.34 (CR00218).
_RELATED_DEPTH = ((2, 34), 3, 2)


def code_of(qcode: str) -> str:
    """The code of QCode or NewsCodes URI: "stat:usable" -> "usable", ".../ninature/picture" -> "picture"."""
    q = qcode.strip()
    if "://" in q:
        return q.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return q.split(":", 1)[1] if ":" in q else q


def strip_version(guid: str, version: str) -> str:
    """A guid without a trailing version ("...:50812345:1" with version 1 -> "...:50812345")."""
    if version and guid.endswith(":" + version) and guid.count(":") >= 2:
        return guid[: -len(version) - 1]
    return guid


def _party(el) -> str:
    """A provider, creator or source: its name, else its literal, QCode code, or the host of its URI."""
    if el is None:
        return ""
    name = el_text(child(el, "name"))
    if name:
        return name
    if attr(el, "literal"):
        return attr(el, "literal")
    if attr(el, "qcode"):
        return code_of(attr(el, "qcode"))
    host = urlsplit(attr(el, "uri")).netloc.rpartition("@")[2].split(":")[0]  # as written, case kept
    return host.removeprefix("www.")


def _name(el, lang: str) -> str:
    """A concept's name in the item's language when it has several."""
    names = children(el, "name")
    if len(names) > 1 and lang:
        want = lang.lower()[:2]
        for n in names:
            if attr(n, "lang").lower().startswith(want):
                return el_text(n)
    return el_text(names[0]) if names else ""


def _subject(el, lang: str) -> tuple[str, str]:
    """A subject's (code, name): its QCode, URI or literal; a faceted subject's main concept."""
    code = attr(el, "qcode") or attr(el, "uri") or attr(el, "literal")
    if code:
        return code, _name(el, lang)
    main = child(el, "mainConcept")
    code = attr(main, "qcode") or attr(main, "uri") or attr(main, "literal")
    return (code, _name(main, lang) or _name(el, lang)) if code else ("", "")


def _related_problem(item) -> str:
    """A <related> nested deeper than the item's declared NewsML-G2 version allows ("" when none);
    an item that declares no version is held to the newest rule."""
    deepest = 0
    for el in item.iter("related"):
        depth, up = 1, el.getparent()
        while up is not None and up.tag == "related":
            depth, up = depth + 1, up.getparent()
        deepest = max(deepest, depth)
    since, newest, older = _RELATED_DEPTH
    declared = attr(item, "standardversion")
    m = re.match(r"(\d+)\.(\d+)", declared)
    limit = older if m and (int(m.group(1)), int(m.group(2))) < since else newest
    if deepest <= limit:
        return ""
    said = f"NewsML-G2 {declared}" if m else "NewsML-G2"
    return (f"has <related> nested {deepest} deep, where {said} allows {limit} "
            "(not valid NewsML-G2): read as far as it goes")


_NOTE_HEADS = ("redaktionelle hinweise", "note to editors", "notes to editors", "hinweis an die redaktion")


def _ednote(el) -> str:
    """An edNote as the agency's note: dpa's "notepad" (an XHTML notebook of picture offers, links, places
    and non-public contacts) gives only its editorial notes; its "closingline" (the sign-off) nothing."""
    role = code_of(attr(el, "role")).lower()
    if role == "closingline":
        return ""
    if next(descendants(el, "section"), None) is None:
        return el_text(el)
    notes: list[str] = []
    for head in descendants(el, "h4"):
        if el_text(head).lower() in _NOTE_HEADS:
            follow = head.getnext()
            while follow is not None and local(follow) != "h4":
                notes.extend(t for li in descendants(follow, "li") if (t := el_text(li)))
                if local(follow) == "p" and el_text(follow):
                    notes.append(el_text(follow))
                follow = follow.getnext()
    return " ".join(notes)


def _xhtml_slugline(content_set) -> str:
    """dpa's XHTML header keywords (`<ul class="slugline"><li>Fußball</li>...`), joined with "/" as dpa's
    7901 keyword lines join them: the item's slugline when its contentMeta gives none."""
    for ul in descendants(content_set, "ul") if content_set is not None else ():
        if "slugline" in attr(ul, "class").split():
            return "/".join(t for li in descendants(ul, "li") if (t := el_text(li)))
    return ""


def _body(content_set) -> tuple[list[str], dict]:
    """Paragraphs of the first textual rendition, and the NITF story's fields if it was NITF."""
    for rendition in content_set if content_set is not None else ():
        name, ctype = local(rendition), attr(rendition, "contenttype").lower()
        if name == "inlineXML":
            nitf = next(descendants(rendition, "nitf"), None)
            if nitf is not None:
                story = nitf_story(nitf)
                return story.paragraphs, {"title": story.title, "wire": story.wire}
            html_body = next(descendants(rendition, "body"), None)
            # dpa's XHTML opens with a <header> of keywords, a time and the headline: not the text
            paras = paragraphs(html_body if html_body is not None else rendition, skip=("header",))
            if paras:
                return paras, {}
        elif name == "inlineData":
            text = el_text(rendition) if "html" not in ctype else ""
            raw = "".join(rendition.itertext())
            if "html" in ctype:
                text = html_to_text(raw)
            elif raw.strip():
                text = "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", raw) if p.strip())
            if text.strip():
                return text.split("\n\n"), {}
    return [], {}


def _news_item(item, path: Path, source: str, inherited_lang: str) -> Article | str:
    """One newsItem -> Article, or the reason it is skipped."""
    top = Kids(item)
    m, c = Kids(top.one("itemMeta")), Kids(top.one("contentMeta"))
    item_class = code_of(attr(m.one("itemClass"), "qcode") or attr(m.one("itemClass"), "uri"))
    guid = attr(item, "guid")
    if item_class not in _TEXT_CLASSES:
        return f"skipped: {item_class} item"
    w = WireFields()
    w.version = attr(item, "version")
    w.guid = guid
    w.identity = strip_version(guid, w.version)
    w.language = attr(item, "lang") or attr(c.one("language"), "tag") or inherited_lang
    w.provider = _party(m.one("provider"))
    w.pubstatus = code_of(attr(m.one("pubStatus"), "qcode"))
    w.embargoed = el_text(m.one("embargoed"))
    w.ednote = "\n\n".join(note for n in m.all("edNote") if (note := _ednote(n)))
    signals = {code_of(attr(s, "qcode")).lower() for s in m.all("signal")}
    w.correction = bool(signals & {"correction", "correct"})
    urg = el_text(c.one("urgency"))
    w.urgency = int(urg) if urg.isdigit() else None
    w.slugline = el_text(c.one("slugline")) or _xhtml_slugline(top.one("contentSet"))
    w.dateline = el_text(c.one("dateline"))
    authors = [_party(x) for x in c.all("creator")] or [el_text(b) for b in c.all("by")]
    w.author = ", ".join(a for a in authors if a)
    lang = w.language
    w.subjects = [pair for s in c.all("subject") if (pair := _subject(s, lang))[0]]
    headlines = c.all("headline")
    main = next((h for h in headlines if not attr(h, "role") or code_of(attr(h, "role")) == "main"), None)
    title = el_text(main if main is not None else (headlines[0] if headlines else None))
    paras, nitf = _body(top.one("contentSet"))
    inner: WireFields | None = nitf.get("wire")
    if inner is not None:
        title = title or nitf.get("title", "")
        w.author = w.author or inner.author
        w.dateline = w.dateline or inner.dateline
        w.urgency = w.urgency if w.urgency is not None else inner.urgency
        w.ednote = w.ednote or inner.ednote
        w.correction = w.correction or inner.correction
    if not paras:
        paras = [el_text(d) for d in c.all("description") if el_text(d)]
    if not title and not paras:
        return "has neither a headline nor text: skipped"
    signal = advisory(title)  # Reuters-style "CORRECTED-..." headlines
    w.correction = w.correction or signal.correction
    published = (
        el_text(m.one("versionCreated")) or el_text(m.one("firstCreated")) or el_text(c.one("contentCreated"))
    )
    return make_article(
        title=title, text="\n\n".join(paras), path=path, source=source, published=published, wire=w
    )


def _fragment_story(content_set, path: Path, source: str) -> Article | None:
    """A <contentSet> alone that carries a whole NITF or XHTML story (IPTC's documentation shows one):
    the story, without the item's metadata; None when it holds no text."""
    paras, nitf = _body(content_set)
    title = nitf.get("title", "")
    if not paras and not title:
        return None
    return make_article(title=title, text="\n\n".join(paras), path=path, source=source, wire=nitf.get("wire"))


def read_newsml_g2(root, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A newsItem, or a newsMessage's items; every other G2 item is named and skipped."""
    name = local(root)
    if name in _SKIPPED:
        raise Rejected(f"is a NewsML-G2 {_SKIPPED[name]}, not a news story: skipped", ProblemKind.NOT_A_STORY)
    if name == "contentSet" and (story := _fragment_story(root, path, source)) is not None:
        return [story]
    if name in ("itemMeta", "contentMeta", "contentSet", "groupSet"):
        raise Rejected(
            f"is a fragment of a NewsML-G2 item (<{name}> alone), not a whole item: skipped",
            ProblemKind.NOT_A_STORY,
        )
    item_set = child(root, "itemSet")
    items = [root] if name == "newsItem" else list(item_set) if item_set is not None else []
    lang = attr(root, "lang")
    articles: list[Article] = []
    for n, item in enumerate(items, start=1):
        kind = local(item)
        label = f"item {n}" + (f" ({attr(item, 'guid')})" if attr(item, "guid") else "")
        if kind != "newsItem":
            if kind:
                skipped = f"{label}: skipped: {_SKIPPED.get(kind, kind)}"
                problems.append(Problem(str(path), skipped, ProblemKind.PARTIAL))
            continue
        got = _news_item(item, path, source, lang)
        if isinstance(got, str):
            problems.append(Problem(str(path), f"{label}: {got}" if len(items) > 1 else got))
            continue
        articles.append(got)
        if wrong := _related_problem(item):
            problems.append(Problem(str(path), f"{label}: {wrong}" if len(items) > 1 else wrong))
    if not articles and not problems:
        raise Rejected("is a NewsML-G2 news message with no items", ProblemKind.NOT_A_STORY)
    return articles


class _G2Reader(WireXmlReader):
    """NewsML-G2 by its root element; a root other formats use too (an OASIS XML catalog) only in the
    G2 namespace."""

    def claims(self, sample: Sample) -> bool:
        return super().claims(sample) or (
            sample.named not in ("eml", "mbox")
            and sample.root == "catalog"
            and b"iptc.org/std/nar/" in sample.head
        )


READER = _G2Reader("newsml-g2", read_newsml_g2)
