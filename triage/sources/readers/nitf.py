"""NITF 3.x (IPTC's News Industry Text Format), alone or inside a NewsML item: headline, byline,
dateline, paragraphs, and what docdata says (urgency, doc-id, status, release, ednote, correction)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from triage.model import Article, Problem
from triage.sources.base import WireFields, make_article
from triage.sources.readers import wirexml as wx
from triage.sources.readers.versions import advisory
from triage.sources.readers.wiredoc import WireXmlReader

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
    people = [wx.el_text(p) for p in wx.descendants(el, "person") if wx.el_text(p)]
    if people:
        return ", ".join(people)
    parts = [el.text or ""] + [c.tail or "" for c in el if c.tail]
    text = " ".join(" ".join(parts).split()) or wx.el_text(el)
    return _BY.sub("", text).strip(" ,")


def nitf_story(root) -> NitfStory:
    """Read an <nitf> element (or a bare <body>, as some NewsML items carry)."""
    story = NitfStory()
    w = story.wire
    head = wx.child(root, "head")
    body = root if wx.local(root) == "body" else wx.child(root, "body")
    docdata = wx.child(head, "docdata")
    w.language = wx.attr(root, "lang") or wx.attr(root, "baselang")  # NTB: <nitf baselang="nb-NO">
    if docdata is not None:
        urg = wx.attr(wx.child(docdata, "urgency"), "ed-urg")
        w.urgency = int(urg) if urg.isdigit() else None
        w.guid = wx.attr(wx.child(docdata, "doc-id"), "id-string")
        status = wx.attr(docdata, "management-status").lower()
        w.pubstatus = _STATUS.get(status, "")
        release = wx.attr(wx.child(docdata, "date.release"), "norm")
        if status == "embargoed" and release:
            w.embargoed = nitf_date(release)
        story.published = nitf_date(wx.attr(wx.child(docdata, "date.issue"), "norm") or release)
        du = wx.child(docdata, "du-key")
        w.version = wx.attr(du, "version") or wx.attr(du, "generation")
        messages = wx.children(docdata, "ed-msg")
        notes = [wx.attr(m, "info") for m in messages if wx.attr(m, "info")]
        corr = wx.child(docdata, "correction")
        if corr is not None:
            w.correction = True
            notes += [wx.attr(corr, "info")] if wx.attr(corr, "info") else []
        if any(wx.attr(m, "msg-type").lower() in ("kill", "withdrawal") for m in messages):
            w.pubstatus = "canceled"
        w.ednote = "\n\n".join(notes)
        w.subjects = [
            (wx.attr(c, "value") or wx.el_text(c), wx.el_text(c))
            for c in wx.descendants(docdata, "classifier")
            if wx.attr(c, "type").lower() in ("subject", "") and wx.el_text(c)
        ]
        w.slugline = wx.attr(wx.child(docdata, "du-key"), "key")
    bhead = wx.Kids(wx.child(body, "body.head"))  # its children by name, indexed once
    hed = bhead.one("hedline")
    hed = bhead.one("headline") if hed is None else hed
    story.title = wx.el_text(wx.child(hed, "hl1")) or wx.el_text(wx.child(head, "title"))
    w.author = ", ".join(a for a in (byline_text(b) for b in bhead.all("byline")) if a)
    w.dateline = wx.el_text(bhead.one("dateline"))
    w.provider = (wx.el_text(bhead.one("distributor"))
                  or wx.attr(wx.child(docdata, "doc.copyright"), "holder")
                  or wx.attr(wx.child(docdata, "doc-id"), "regsrc"))
    # NITF's slug is docdata's du-key; some producers (amerine/nitfr's fixtures) write a <slugline> instead.
    w.slugline = w.slugline or wx.el_text(bhead.one("slugline")) or wx.el_text(wx.child(head, "slugline"))
    content = wx.child(body, "body.content")
    story.paragraphs = wx.paragraphs(content) if content is not None else []
    if not story.paragraphs:
        story.paragraphs = wx.paragraphs(bhead.one("abstract"))
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
