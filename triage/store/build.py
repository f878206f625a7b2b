"""The one builder of decision events: every backend's writes and the book's optimistic marks.

An event is built here and nowhere else, so a new field is added in one place. The rules, as
functions of their inputs: ``decide`` never erases a note; a decision by id carries the title, source,
url, wire fields and story of the article's latest event forward; a note or an undo stays on the
version (and story) the latest event was about; text fields are clipped to bounded lengths.
Documents use the stored keys (triage.store.events maps them to DecisionEvent's attributes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage.model import Article
from triage.store.events import new_uid, utc_now_iso

__all__ = ["change_doc", "decide_doc", "field_text"]

Doc = dict[str, Any]
_CLIP = {"note": 60000, "title": 2048, "url": 8192}  # characters a field keeps: a line stays under 1 MiB
_WIRE = ("version", "urgency", "slugline", "wire_version")  # stored keys of what the story said when decided


def field_text(value: Any, key: str = "") -> str:
    """A stored text field as a string of bounded length (a record may hold anything)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text[: _CLIP.get(key, 1024)]


def _urgency(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value <= 9 else None


def _doc(article_id: str, decision: str | None, note: Any, action: str, batch: str, *, title: Any,
         source: Any, url: Any, wire: Mapping[str, Any], story: Any, user: str, host: str, uid: str) -> Doc:
    return {
        "article_id": article_id, "decision": decision, "note": field_text(note, "note"), "user": user,
        "host": host, "at": utc_now_iso(), "title": field_text(title, "title"), "source": field_text(source),
        "url": field_text(url, "url"), "action": action, "batch": batch, "uid": uid or new_uid(),
        "version": field_text(wire.get("version")), "urgency": _urgency(wire.get("urgency")),
        "slugline": field_text(wire.get("slugline")), "wire_version": field_text(wire.get("wire_version")),
        "story": field_text(story),
    }


def decide_doc(latest: Mapping[str, Any] | None, article: Article | str, value: str | None, note: str,
               batch: str = "", title: str = "", source: str = "", url: str = "", *, user: str = "",
               host: str = "", uid: str = "", story: str = "") -> Doc:
    """The event of a decision (`value` None: clear) given the article's latest event (None: never
    decided). An Article gives the version decided (its content hash) and its wire fields; `story` is
    the list row it was decided on (its duplicate group's leader; "" when decided on its own)."""
    wire: Mapping[str, Any] = {}
    if isinstance(article, Article):
        article_id = article.id
        title, source, url = title or article.title, source or article.source, url or article.url
        wire = {"version": article.content_hash, "urgency": article.urgency, "slugline": article.slugline,
                "wire_version": article.version}
    else:
        article_id = str(article)
    if not article_id:
        raise ValueError("an article id is required")
    if latest is not None:
        title = title or field_text(latest.get("title"), "title")
        source = source or field_text(latest.get("source"))
        url = url or field_text(latest.get("url"), "url")
        note = note or field_text(latest.get("note"), "note")
        story = story or field_text(latest.get("story"))
        if not isinstance(article, Article):  # by id only: the story's wire fields carry forward
            wire = {**{k: latest.get(k) for k in _WIRE}, "version": ""}
    return _doc(article_id, value, note, "decide" if value else "clear", batch, title=title, source=source,
                url=url, wire=wire, story=story, user=user, host=host, uid=uid)


def change_doc(latest: Mapping[str, Any] | None, article_id: str, decision: str | None, note: str,
               action: str, batch: str = "", *, user: str = "", host: str = "", uid: str = "") -> Doc:
    """A note or an undo event (`action`): the article's decision and note set as given, everything
    else (title, source, url, the version decided, wire fields, story) as its latest event says."""
    last = latest or {}
    return _doc(article_id, decision, note, action, batch, title=last.get("title"), source=last.get("source"),
                url=last.get("url"), wire=last, story=last.get("story"), user=user, host=host, uid=uid)
