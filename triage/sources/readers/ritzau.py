"""Ritzau's XML news service (Ritzaus Bureau, Denmark): one `<RBNews>` story, or the service's queue
response `<XMLNewsQueuedResponse>` with a `<ListOfRBNews>` of them.

Each RBNews names its fields in Ritzau's own words: NewsID (the id), version, PublishDate (Copenhagen
local time, no zone), strapline (the slug, "NU/FLASH-U"), headline and subtitle, town (the dateline),
byLine, origin ("/ritzau/", "Via Ritzau" for press releases), Priority (1 highest), format ("Flash",
"Print", "inpublic"), content and TilRedaktionen ("to the editors": the ednote) as escaped HTML,
IPTCList (IPTC subject codes), and the flags Annuleret (withdrawn), Korrektion and NyVersion.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, WireFields, make_article
from triage.sources.readers.html import html_to_text
from triage.sources.readers.wiredoc import WireXmlReader
from triage.sources.readers.wirexml import Kids, descendants, el_text, read_each

__all__ = ["READER", "RITZAU_ROOTS", "read_ritzau"]

RITZAU_ROOTS = {"RBNews", "XMLNewsQueuedResponse"}
_ZONE = "Europe/Copenhagen"  # PublishDate is Danish local time


def _utc(local: str) -> str:
    """Ritzau's zone-less PublishDate ("2018-01-30T17:32:18.397") as UTC ISO 8601; as given when the
    zone database is missing."""
    try:
        from zoneinfo import ZoneInfo

        stamp = datetime.fromisoformat(local.strip())
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=ZoneInfo(_ZONE))
        return stamp.isoformat()
    except (ValueError, KeyError, ImportError, OSError):
        return local


def _flag(kids: Kids, name: str) -> bool:
    return el_text(kids.one(name)).lower() == "true"


def _story(item, path: Path, source: str) -> Article | str:
    k = Kids(item)
    text_of = lambda name: el_text(k.one(name))  # noqa: E731 - a short local reader of one field
    w = WireFields()
    w.guid = text_of("NewsID")
    w.version = text_of("version")
    w.identity = f"ritzau:{w.guid}" if w.guid else ""
    w.slugline = text_of("strapline")
    w.dateline = text_of("town")
    w.author = text_of("byLine")
    w.provider = text_of("origin") or "Ritzau"
    w.language = "da"  # the service is Danish; a story in another language is found by its text
    priority = text_of("Priority")
    w.urgency = int(priority) if priority.isdigit() and 1 <= int(priority) <= 9 else None
    if text_of("format").lower() == "flash":
        w.marks.append("FLASH")
    if _flag(k, "NyVersion"):
        w.marks.append("NEW VERSION")
    w.correction = _flag(k, "Korrektion")
    w.pubstatus = "canceled" if _flag(k, "Annuleret") else "usable"
    note = k.one("TilRedaktionen")
    w.ednote = html_to_text("".join(note.itertext())) if note is not None else ""
    codes = k.one("IPTCList")
    w.subjects = [(f"subj:{el_text(c)}", "") for c in (codes if codes is not None else ()) if el_text(c)]
    content = k.one("content")
    body = "".join(content.itertext()) if content is not None else ""
    subtitle = html.unescape(text_of("subtitle"))  # written escaped twice at times: "Spire&amp;apos;s"
    text = "\n\n".join(p for p in (subtitle, html_to_text(body) if body.strip() else "") if p)
    title = html.unescape(text_of("headline"))
    if not title and not text:
        return "has neither a headline nor text: skipped"
    published = _utc(text_of("PublishDate"))
    return make_article(title=title, text=text, path=path, source=source, published=published, wire=w)


def read_ritzau(root, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A Ritzau RBNews story, or each story of a queue response (an error the service reports is said)."""
    if root.tag == "RBNews":
        items = [root]
    else:
        items = list(descendants(root, "RBNews"))
        error = next((el_text(e) for e in descendants(root, "errormsg") if el_text(e)), "")
        if not items and error:
            raise Rejected(f"is a Ritzau response reporting an error ({error[:100]})")
    if not items:
        raise Rejected("is a Ritzau news response with no stories", ProblemKind.NOT_A_STORY)
    return read_each(items, lambda item: _story(item, path, source), path, "story", problems)


READER = WireXmlReader("ritzau", read_ritzau)
