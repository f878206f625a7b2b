"""ninjs 1.x-3.x (IPTC's news in JSON): headline(s), bodies, and what the item says of itself.

Keys are read case-insensitively (ninjs 3 writes `pubStatus`, 1.x `pubstatus`). Pictures, video,
audio and graphics are named and skipped; a composite item's text is read, its associations are not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.model import Article, Problem
from triage.sources.base import Rejected, WireFields, as_text, make_article
from triage.sources.readers.html import html_to_text
from triage.sources.readers.newsmlg2 import strip_version

__all__ = ["looks_like_ninjs", "read_ninjs"]

_MARKERS = {"versioncreated", "pubstatus", "headlines", "bodies", "body_text", "body_html", "body_xhtml",
            "firstcreated", "ednote", "urgency", "embargoed", "associations", "renditions"}
_MEDIA = {"picture", "video", "audio", "graphic"}


def _keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


def looks_like_ninjs(obj: Any) -> bool:
    """A ninjs item (or a list of them): an object with a `uri` (or a ninjs $schema) and ninjs fields."""
    if isinstance(obj, list):
        return bool(obj) and all(isinstance(o, dict) for o in obj[:50]) and looks_like_ninjs(obj[0])
    if not isinstance(obj, dict):
        return False
    keys = _keys(obj)
    schema = as_text(keys.get("$schema")).lower()
    if "ninjs" in schema:
        return True
    return isinstance(keys.get("uri"), str) and bool(_MARKERS & keys.keys())


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
        return html_to_text(value) if "html" in ctype or "html" in role or value.lstrip().startswith("<") else value
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


def _people(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(n for v in value if isinstance(v, dict) and (n := as_text(v.get("name"))))
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


def _item(obj: dict[str, Any], path: Path, source: str) -> Article | str:
    keys = _keys(obj)
    kind = as_text(keys.get("type")).lower()
    if kind in _MEDIA:
        return f"skipped: {kind} item"
    w = WireFields()
    w.guid = as_text(keys.get("uri")) or as_text(keys.get("guid"))
    w.version = as_text(keys.get("version"))
    w.identity = strip_version(w.guid, w.version)
    w.pubstatus = as_text(keys.get("pubstatus"))
    urgency = keys.get("urgency")
    w.urgency = urgency if isinstance(urgency, int) and not isinstance(urgency, bool) else None
    w.embargoed = as_text(keys.get("embargoed"))
    notes = keys.get("ednote")
    w.ednote = notes if isinstance(notes, str) else "\n\n".join(v["value"] for v in _values(keys.get("ednotes")))
    w.language = as_text(keys.get("language"))
    w.slugline = as_text(keys.get("slugline"))
    w.author = as_text(keys.get("byline")) or as_text(keys.get("by"))
    located = keys.get("located")
    w.dateline = located if isinstance(located, str) else ""
    holder = keys.get("copyrightholder")
    w.provider = as_text(holder) or as_text(keys.get("provider"))
    w.subjects = _subjects(keys)
    heads = _values(keys.get("headlines"))
    title = heads[0]["value"] if heads else as_text(keys.get("headline"))
    text = _text(keys)
    if not title.strip() and not text.strip():
        return "has neither a headline nor text: skipped"
    published = as_text(keys.get("versioncreated")) or as_text(keys.get("firstcreated"))
    return make_article(title=title, text=text, path=path, source=source, published=published,
                        wire=w)


def read_ninjs(obj: Any, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A ninjs file: one item or a list of items."""
    items = obj if isinstance(obj, list) else [obj]
    articles: list[Article] = []
    for n, item in enumerate(items, start=1):
        got = _item(item, path, source) if isinstance(item, dict) else "is not an object: skipped"
        if isinstance(got, str):
            problems.append(Problem(str(path), f"item {n} {got}" if len(items) > 1 else got))
        else:
            articles.append(got)
    if not articles and not problems:
        raise Rejected("is a ninjs file with no items")
    return articles
