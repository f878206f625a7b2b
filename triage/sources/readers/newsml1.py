"""NewsML 1.x (IPTC, 2000-2008; AFP's profile among others): every NewsItem with a text component.

Identity: ProviderId:DateId:NewsItemId (the PublicIdentifier without its revision), version = RevisionId;
Status, Urgency (or the envelope's Priority), headline, byline, dateline, slug and language from the
item's NewsLines and DescriptiveMetadata; the text of every text ContentItem in document order.
"""

from __future__ import annotations

from pathlib import Path

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, WireFields, make_article
from triage.sources.readers.html import html_to_text
from triage.sources.readers.newsmlg2 import strip_version
from triage.sources.readers.nitf import nitf_story
from triage.sources.readers.versions import advisory
from triage.sources.readers.wiredoc import WireXmlReader
from triage.sources.readers.wirexml import (
    attr,
    child,
    children,
    descendants,
    el_text,
    paragraphs,
    read_each,
)

__all__ = ["READER", "read_newsml1"]

_TEXT_MEDIA = {"text", "html", "xhtml", "nitf", ""}
_TEXT_FORMATS = {"", "text", "html", "xhtml", "nitf", "ascii", "iso-8859-1", "utf-8", "plain"}
# Components that are not story text: styles, a repeated headline, contacts, pictures and their captions.
_NOT_TEXT_ROLES = {
    "stylesheet",
    "headline",
    "logo",
    "caption",
    "contact",
    "thumbnail",
    "preview",
    "photo",
    "picture",
    "image",
    "graphic",
}


def _is_text(ci) -> bool:
    """A ContentItem that carries story text (by MediaType, Format, MIME type and its component's Role)."""
    media = _formal(child(ci, "MediaType")).lower()
    fmt = _formal(child(ci, "Format")).lower()
    mime = _formal(child(ci, "MimeType")).lower()
    parent = ci.getparent()
    role = _formal(child(parent, "Role")).lower() if parent is not None else ""
    if role in _NOT_TEXT_ROLES or (
        mime and not (mime.startswith("text/") or "xml" in mime or "html" in mime)
    ):
        return False
    # AFP names its NITF flavour with a version: "NITF3.1", "bcNITF2.5".
    known = fmt in _TEXT_FORMATS or "nitf" in fmt or "html" in fmt
    return media in _TEXT_MEDIA and known and mime != "text/css"


def _first(item, name: str) -> str:
    return next((t for el in descendants(item, name) if (t := el_text(el))), "")


def _formal(el) -> str:
    return attr(el, "FormalName")


def _content_text(ci) -> list[str]:
    """Paragraphs of one text ContentItem: NITF, XHTML elements, or (escaped or CDATA) HTML or plain text."""
    data = child(ci, "DataContent")
    if data is None:
        return []
    nitf = next(descendants(data, "nitf"), None)
    if nitf is not None:
        return nitf_story(nitf).paragraphs
    if len(data):
        return paragraphs(data)
    raw = "".join(data.itertext())
    if "<" in raw and ">" in raw:
        raw = html_to_text(raw)
    return [" ".join(p.split()) for p in raw.replace("\r", "").split("\n") if p.strip()]


def _item(item, envelope, path: Path, source: str) -> Article | str:
    ident = child(item, "Identification", "NewsIdentifier")
    mgmt = child(item, "NewsManagement")
    w = WireFields()
    provider = el_text(child(ident, "ProviderId"))
    item_id = el_text(child(ident, "NewsItemId"))
    revision = child(ident, "RevisionId")
    w.version = el_text(revision)
    public = el_text(child(ident, "PublicIdentifier"))
    parts = [provider, el_text(child(ident, "DateId")), item_id]
    w.guid = public or ":".join(p for p in parts if p)
    w.identity = strip_version(public, w.version) if public else (":".join(parts) if item_id else "")
    w.provider = provider
    w.pubstatus = _formal(child(mgmt, "Status")).lower()
    urgency = _formal(child(mgmt, "Urgency")) or _formal(child(envelope, "Priority"))
    w.urgency = int(urgency) if urgency.isdigit() else None
    instructions = {_formal(i).lower() for i in children(mgmt, "Instruction")}
    w.correction = (
        bool(instructions & {"correction", "rectify", "correct"})
        or advisory(_first(item, "HeadLine")).correction
    )
    if "kill" in instructions or "withdraw" in instructions:
        w.pubstatus = "canceled"
    will_change = child(mgmt, "StatusWillChange")
    if will_change is not None and _formal(child(will_change, "FutureStatus")).lower() == "usable":
        w.embargoed = el_text(child(will_change, "DateAndTime"))
    title = _first(item, "HeadLine")
    w.author = _first(item, "ByLine")
    w.dateline = _first(item, "DateLine")
    w.slugline = _first(item, "SlugLine")
    w.ednote = "\n\n".join(
        el_text(n)
        for n in descendants(item, "Comment")
        if el_text(n) and (not _formal(n) or "note" in _formal(n).lower())
    )
    lang = next((_formal(x) for x in descendants(item, "Language") if _formal(x)), "")
    w.language = lang or next((attr(x, "lang") for x in descendants(item, "HeadLine") if attr(x, "lang")), "")
    subjects: list[tuple[str, str]] = []
    for topic in descendants(item, "Topic"):
        code = el_text(child(topic, "FormalName"))
        names = [d for d in children(topic, "Description") if attr(d, "Variant") in ("Name", "")]
        pick = next((d for d in names if lang and attr(d, "lang").lower() == lang.lower()), None)
        pick = pick if pick is not None else next((d for d in names if attr(d, "lang").lower() == "en"), None)
        name = el_text(pick) if pick is not None else (el_text(names[0]) if names else "")
        if code or name:
            subjects.append((code, name))
    if not subjects:
        subjects = [(_formal(s), "") for s in descendants(item, "Subject") if _formal(s)]
    w.subjects = subjects
    paras: list[str] = []
    for ci in descendants(item, "ContentItem"):
        if _is_text(ci):
            paras.extend(_content_text(ci))
    if not title and not paras:
        kinds = sorted(
            {_formal(child(ci, "MediaType")).lower() for ci in descendants(item, "ContentItem")} - {""}
        )
        return f"skipped: {kinds[0]} item" if kinds else "has neither a headline nor text: skipped"
    published = el_text(child(mgmt, "ThisRevisionCreated")) or el_text(child(mgmt, "FirstCreated"))
    return make_article(
        title=title, text="\n\n".join(paras), path=path, source=source, published=published, wire=w
    )


def read_newsml1(root, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A NewsML 1 document: each NewsItem (nested in NewsComponents or not) that carries text."""
    envelope = child(root, "NewsEnvelope")
    items = list(descendants(root, "NewsItem"))
    if not items:
        raise Rejected("is a NewsML 1 document with no NewsItem", ProblemKind.NOT_A_STORY)
    return read_each(items, lambda item: _item(item, envelope, path, source), path, "news item", problems)


READER = WireXmlReader("newsml1", read_newsml1)
