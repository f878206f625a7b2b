"""NITF 3.x (IPTC's News Industry Text Format), alone or inside a NewsML item: headline, byline,
dateline, paragraphs, and what docdata says (urgency, doc-id, status, release, ednote, correction)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from triage.model import Article, Problem
from triage.sources.base import WireFields, make_article
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

__all__ = ["READER", "NitfStory", "nitf_date", "nitf_story", "read_nitf"]

_STATUS = {
    "usable": "usable",
    "embargoed": "usable",
    "withheld": "withheld",
    "canceled": "canceled",
    "cancelled": "canceled",
}
_BY = re.compile(r"^\s*(by|von|par|por|di|av|door)\s+", re.IGNORECASE)


@dataclass
class NitfStory:
    """What an NITF document holds, before it becomes an Article."""

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    published: str = ""
    wire: WireFields = field(default_factory=WireFields)


def nitf_date(value: str) -> str:
    """An NITF `norm` date ("20241215", "20241215T103000Z", "2024-12-15T10:30:00+01:00") as ISO 8601."""
    v = value.strip()
    if re.fullmatch(r"\d{8}", v):
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v


def byline_text(el) -> str:
    """The author of an NITF byline: its person elements, else its text without "By" and titles."""
    if el is None:
        return ""
    people = [el_text(p) for p in descendants(el, "person") if el_text(p)]
    if people:
        return ", ".join(people)
    parts = [el.text or ""] + [c.tail or "" for c in el if c.tail]
    text = " ".join(" ".join(parts).split()) or el_text(el)
    return _BY.sub("", text).strip(" ,")


def nitf_story(root) -> NitfStory:
    """Read an <nitf> element (or a bare <body>, as some NewsML items carry)."""
    story = NitfStory()
    w = story.wire
    head = child(root, "head")
    body = root if local(root) == "body" else child(root, "body")
    docdata = child(head, "docdata")
    w.language = attr(root, "lang") or attr(root, "baselang")  # NTB: <nitf baselang="nb-NO">
    if docdata is not None:
        urg = attr(child(docdata, "urgency"), "ed-urg")
        w.urgency = int(urg) if urg.isdigit() else None
        w.guid = attr(child(docdata, "doc-id"), "id-string")
        status = attr(docdata, "management-status").lower()
        w.pubstatus = _STATUS.get(status, "")
        release = attr(child(docdata, "date.release"), "norm")
        if status == "embargoed" and release:
            w.embargoed = nitf_date(release)
        story.published = nitf_date(attr(child(docdata, "date.issue"), "norm") or release)
        du = child(docdata, "du-key")
        w.version = attr(du, "version") or attr(du, "generation")
        notes = [attr(m, "info") for m in children(docdata, "ed-msg") if attr(m, "info")]
        corr = child(docdata, "correction")
        if corr is not None:
            w.correction = True
            notes += [attr(corr, "info")] if attr(corr, "info") else []
        if any(attr(m, "msg-type").lower() in ("kill", "withdrawal") for m in children(docdata, "ed-msg")):
            w.pubstatus = "canceled"
        w.ednote = "\n\n".join(notes)
        w.subjects = [
            (attr(c, "value") or el_text(c), el_text(c))
            for c in descendants(docdata, "classifier")
            if attr(c, "type").lower() in ("subject", "") and el_text(c)
        ]
        w.slugline = attr(child(docdata, "du-key"), "key")
    bhead = Kids(child(body, "body.head"))  # its children by name, indexed once
    hed = bhead.one("hedline")
    hed = bhead.one("headline") if hed is None else hed
    story.title = el_text(child(hed, "hl1")) or el_text(child(head, "title"))
    w.author = ", ".join(a for a in (byline_text(b) for b in bhead.all("byline")) if a)
    w.dateline = el_text(bhead.one("dateline"))
    w.provider = (el_text(bhead.one("distributor")) or attr(child(docdata, "doc.copyright"), "holder")
                  or attr(child(docdata, "doc-id"), "regsrc"))
    # NITF's slug is docdata's du-key; some producers (amerine/nitfr's fixtures) write a <slugline> instead.
    w.slugline = w.slugline or el_text(bhead.one("slugline")) or el_text(child(head, "slugline"))
    content = child(body, "body.content")
    story.paragraphs = paragraphs(content) if content is not None else []
    if not story.paragraphs:
        story.paragraphs = paragraphs(bhead.one("abstract"))
    return story


def read_nitf(root, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A standalone NITF file: one article."""
    story = nitf_story(root)
    signal = advisory(story.title)
    story.wire.correction = story.wire.correction or signal.correction
    if signal.kill:
        story.wire.pubstatus = "canceled"
    return [
        make_article(
            title=story.title,
            text="\n\n".join(story.paragraphs),
            path=path,
            source=source,
            published=story.published,
            wire=story.wire,
        )
    ]


READER = WireXmlReader("nitf", read_nitf)
