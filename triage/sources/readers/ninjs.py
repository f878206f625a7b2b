"""ninjs 1.x-3.x (IPTC's news in JSON): headline(s), bodies, and what the item says of itself.

Keys are read case-insensitively (ninjs 3 writes `pubStatus`, 1.x `pubstatus`). Pictures, video,
audio and graphics are named and skipped; a composite item's text is read, its associations are not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, WireFields, as_text, make_article
from triage.sources.reader import Reader, Sample
from triage.sources.readers.html import html_to_text
from triage.sources.readers.jsonfiles import json_document, states_ninjs_keys
from triage.sources.readers.newsmlg2 import strip_version
from triage.sources.readers.ninjs_rules import part_problem
from triage.sources.readers.urgency import urgency_of

__all__ = ["READER", "looks_like_ninjs", "read_ninjs", "unwrap"]

# ninjs 1.x-3.x property names: an object with a "uri" and one of these is read as ninjs.
_MARKERS = {
    "versioncreated",
    "pubstatus",
    "headlines",
    "bodies",
    "body_text",
    "body_html",
    "body_xhtml",
    "firstcreated",
    "contentcreated",
    "ednote",
    "ednotes",
    "urgency",
    "embargoed",
    "associations",
    "renditions",
    "type",
    "profile",
    "version",
    "headline",
    "byline",
    "by",
    "copyrightholder",
    "copyrightnotice",
    "usageterms",
    "person",
    "people",
    "organisation",
    "organisations",
    "place",
    "places",
    "subject",
    "subjects",
    "located",
    "description_text",
    "description_html",
    "description_xhtml",
    "descriptions",
    "infosource",
    "altids",
    "genre",
    "expires",
    "representationtype",
    "rightsinfo",
    "trustindicators",
    "slugline",
    "keywords",
    "events",
    "objects",
    "language",
}
_KEYWORD = re.compile(r"^(?:bc|am|pm|ap)-(?=\S)", re.IGNORECASE)  # an ANPA keyword's cycle prefix
_MEDIA = {"picture", "video", "audio", "graphic"}
_NOT_STORIES = _MEDIA | {"event", "planning", "concept"}  # named and skipped, as G2's own items are
_TYPES = _MEDIA | {"text", "composite", "component", "event", "planning", "concept"}
_STATUSES = {"usable", "withheld", "canceled"}
_STRINGS = (
    "uri",
    "version",
    "headline",
    "byline",
    "by",
    "ednote",
    "language",
    "slugline",
    "pubstatus",
    "type",
    "profile",
    "copyrightholder",
    "copyrightnotice",
    "usageterms",
    "body_text",
    "body_html",
    "body_xhtml",
    "description_text",
    "description_html",
    "description_xhtml",
    "located",
)
_DATES = ("versioncreated", "firstcreated", "contentcreated", "embargoed", "embargoeduntil", "expires")


def spec_problem(obj: dict[str, Any], keys: dict[str, Any]) -> str:
    """The first way an item breaks the ninjs rules ("" when none): a missing uri, a type or pubstatus
    ninjs does not define, a wrong-typed field, a date that is not ISO 8601; then the rules on parts
    triage does not read and those tied to the item's version (ninjs_rules)."""
    from triage.sources.base import iso_date

    if not isinstance(keys.get("uri"), str) or not keys["uri"].strip():
        return "has no 'uri', which ninjs requires"
    for key in _STRINGS:
        if key in keys and not isinstance(keys[key], str):
            return f"has '{key}' that is not a string"
    if "type" in keys and keys["type"] not in _TYPES:
        return f"has type {keys['type'][:30]!r}, which ninjs does not define"
    if "pubstatus" in keys and keys["pubstatus"].lower() not in _STATUSES:
        return f"has pubstatus {keys['pubstatus'][:30]!r}, not usable, withheld or canceled"
    urgency = keys.get("urgency")
    if urgency is not None and (
        not isinstance(urgency, int) or isinstance(urgency, bool) or not 0 <= urgency <= 9
    ):
        return "has an urgency that is not a number from 1 to 9"
    for key in _DATES:
        if key in keys and not (isinstance(keys[key], str) and re_date(keys[key]) and iso_date(keys[key])):
            return f"has '{key}' that is not an ISO 8601 date and time"
    return part_problem(obj, keys)


def re_date(value: str) -> bool:
    return (
        re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", value.strip())
        is not None
    )


def _keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


# Properties only ninjs items carry (not JSON Feed, not a CMS export): with a `guid` in place of a `uri`
# (Superdesk's ninjs, 2016 on), two of them make an object a ninjs item.
_NINJS_ONLY = {"versioncreated", "firstcreated", "pubstatus", "urgency", "body_html", "body_text", "slugline",
               "ednote", "located", "copyrightholder", "usageterms", "embargoed", "description_text"}


def unwrap(obj: Any) -> tuple[Any, bool]:
    """The ninjs items inside an agency API's envelope, and whether there was one: the BBC's
    `{"total", "limit", "offset", "item": [...]}` and AP Media API's `{"api_version", "data": {"item"}}` or
    `{"data": {"items": [{"item": ...}]}}`. Anything else is returned as it is."""
    if not isinstance(obj, dict):
        return obj, False
    if "item" in obj and ("total" in obj or "offset" in obj) and isinstance(obj["item"], (list, dict)):
        return obj["item"], True  # the BBC's content API
    data = obj.get("data")
    if "api_version" in obj and isinstance(data, dict):  # AP Media API
        if isinstance(data.get("item"), dict):
            return data["item"], True
        items = data.get("items")
        if isinstance(items, list):
            return [i.get("item") if isinstance(i, dict) and "item" in i else i for i in items], True
    return obj, False


def looks_like_ninjs(obj: Any) -> bool:
    """A ninjs item (or a list of them, or an agency API's envelope of them): an object with a `uri` (or a
    ninjs $schema) and ninjs fields, or with a `guid` and properties only ninjs has (Superdesk's)."""
    obj, _ = unwrap(obj)
    if isinstance(obj, list):
        return bool(obj) and all(isinstance(o, dict) for o in obj[:50]) and looks_like_ninjs(obj[0])
    if not isinstance(obj, dict):
        return False
    keys = _keys(obj)
    schema = as_text(keys.get("$schema")).lower() + str(keys.get("$standard", ""))[:200].lower()
    if "ninjs" in schema:
        return True
    if "uri" in keys and bool(_MARKERS & keys.keys()):
        return True
    return "guid" in keys and len(_NINJS_ONLY & keys.keys()) >= 2


def _values(value: Any, prefer: str = "main") -> list[dict[str, Any]]:
    """ninjs 2/3 lists of {role, value, contenttype}; the `prefer` role first."""
    if not isinstance(value, list):
        return []
    items = [_keys(v) for v in value if isinstance(v, dict) and isinstance(v.get("value"), str)]
    return sorted(items, key=lambda v: v.get("role") != prefer)


def _text(keys: dict[str, Any]) -> str:
    for body in _values(keys.get("bodies")):
        ctype = as_text(body.get("contenttype")).lower()
        role = as_text(body.get("role")).lower()
        value = body["value"]
        return (
            html_to_text(value)
            if "html" in ctype or "html" in role or value.lstrip().startswith("<")
            else value
        )
    for key in ("body_xhtml", "body_html"):
        if isinstance(keys.get(key), str) and keys[key].strip():
            return html_to_text(keys[key])
    if isinstance(keys.get("body_text"), str):
        return keys["body_text"]
    for desc in _values(keys.get("descriptions"), "text"):
        return desc["value"]
    for key in ("description_text", "description_xhtml", "description_html"):
        if isinstance(keys.get(key), str):
            return html_to_text(keys[key]) if key != "description_text" else keys[key]
    return ""


def _subjects(keys: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key in ("subject", "subjects"):
        for s in keys.get(key) or []:
            if isinstance(s, dict):
                s = _keys(s)
                code = as_text(s.get("code")) or as_text(s.get("uri")) or as_text(s.get("literal"))
                if as_text(s.get("scheme")) and as_text(s.get("code")) and ":" not in code:
                    code = f"{as_text(s.get('scheme'))}{code}" if "://" in as_text(s.get("scheme")) else code
                out.append((code, as_text(s.get("name"))))
    return out


def _infosource(keys: dict[str, Any]) -> str:
    """The first named infosource (ninjs 1.2+: the parties that provided the content)."""
    for key in ("infosource", "infosources"):
        sources = keys.get(key)
        for src in sources if isinstance(sources, list) else [sources] if isinstance(sources, dict) else []:
            name = as_text(_keys(src).get("name")) if isinstance(src, dict) else ""
            if name.strip():
                return name
    return ""


def _item(
    obj: dict[str, Any], path: Path, source: str, problems: list[Problem], label: str, dialect: bool = False
) -> Article | str:
    keys = _keys(obj)
    # An agency's own dialect (Superdesk's guid in place of a uri, the BBC's and AP's API items) is read as
    # the agency sends it; IPTC's rules are held against items that claim to be plain ninjs.
    dialect = dialect or ("uri" not in keys and "guid" in keys)
    wrong = "" if dialect else spec_problem(obj, keys)
    got = _story(keys, path, source, dialect)
    if wrong:  # one line: the fault, then what became of the item
        if isinstance(got, str):
            then = f"it {got}" if got.startswith("has") else got
        else:
            then = "read as far as it goes"
        problems.append(Problem(str(path), f"{label}{wrong} (not valid ninjs); {then}"))
    return got


def _story(keys: dict[str, Any], path: Path, source: str, dialect: bool = False) -> Article | str:
    kind = as_text(keys.get("type")).lower()
    if kind in _NOT_STORIES:
        return f"skipped: {kind} item"
    w = WireFields()
    altids = keys.get("altids")
    # AP Media API: its item id is the identity (its `uri` carries a session's query string)
    itemid = as_text(_keys(altids).get("itemid")) if dialect and isinstance(altids, dict) else ""
    w.guid = itemid or as_text(keys.get("uri")) or as_text(keys.get("guid"))
    version = keys.get("version")
    w.version = as_text(version) if not isinstance(version, bool) else ""
    w.identity = strip_version(w.guid, w.version)
    w.pubstatus = as_text(keys.get("pubstatus"))
    urgency = keys.get("urgency")
    w.urgency = urgency if isinstance(urgency, int) and not isinstance(urgency, bool) else None
    if w.urgency is None and isinstance(urgency, str) and urgency.strip().isdigit():
        w.urgency = int(urgency)  # Superdesk and BBC exports write it as a string at times
    if w.urgency is None:  # AP Media API: its editorial priority letter, on the ANPA scale
        w.urgency = urgency_of(as_text(keys.get("editorialpriority")), "anpa")
    w.embargoed = as_text(keys.get("embargoed")) or as_text(keys.get("embargoeduntil"))  # 3.x: embargoedUntil
    notes = keys.get("ednote")
    w.ednote = (
        notes if isinstance(notes, str) else "\n\n".join(v["value"] for v in _values(keys.get("ednotes")))
    )
    w.language = as_text(keys.get("language"))
    w.slugline = as_text(keys.get("slugline"))
    w.author = as_text(keys.get("byline")) or as_text(keys.get("by"))
    located = keys.get("located")
    w.dateline = located if isinstance(located, str) else ""
    w.provider = (as_text(keys.get("provider")) or _infosource(keys) or as_text(keys.get("copyrightholder"))
                  or as_text(keys.get("source")))
    w.subjects = _subjects(keys)
    heads = _values(keys.get("headlines"))
    title = heads[0]["value"] if heads else as_text(keys.get("headline"))
    if _KEYWORD.match(title):  # AP Media API's headline of a text item is its keyword "BC-BBN--Top Ten"
        title = as_text(keys.get("headline_extended")) or _KEYWORD.sub("", title)
    text = _text(keys)
    if not title.strip() and not text.strip():
        return "has neither a headline nor text: skipped"
    published = as_text(keys.get("versioncreated")) or as_text(keys.get("firstcreated"))
    return make_article(title=title, text=text, path=path, source=source, published=published, wire=w)


def read_ninjs(obj: Any, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A ninjs file: one item, a list of items, or an agency API's envelope of them."""
    wrapped, dialect = unwrap(obj)
    bbc = dialect and isinstance(obj, dict) and "total" in obj  # the BBC's API names no provider in its items
    items = wrapped if isinstance(wrapped, list) else [wrapped]
    articles: list[Article] = []
    for n, item in enumerate(items, start=1):
        label = f"item {n} " if len(items) > 1 else ""
        before = len(problems)
        got = (
            _item({"provider": "BBC", **item} if bbc else item, path, source, problems, label, dialect)
            if isinstance(item, dict)
            else "is not an object: skipped"
        )
        if isinstance(got, str) and len(problems) == before:
            problems.append(Problem(str(path), f"{label}{got}"))
        elif not isinstance(got, str):
            articles.append(got)
    if not articles and not problems:
        raise Rejected("is a ninjs file with no items", ProblemKind.NOT_A_STORY)
    return articles


class _NinjsReader(Reader):
    """ninjs: JSON naming ninjs keys whatever the file is called, or any .json file, whose document
    looks like ninjs items."""

    kind = "ninjs"

    def claims(self, sample: Sample) -> bool:
        named = sample.named == "json" or states_ninjs_keys(sample)
        return named and looks_like_ninjs(json_document(sample))

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        return read_ninjs(json_document(sample), sample.path, source, problems)


READER = _NinjsReader()
