"""Event documents as every backend builds them: fields clipped, wire fields carried forward.

The rules of DecisionStore (triage.store.decisions) in functions of their inputs, so another backend
builds the very same documents: ``decide`` never erases a note, a decision by id carries the title,
source, url and wire fields of the article's latest event forward, a note or an undo stays on the
version the latest event was about.
"""

from __future__ import annotations

from typing import Any

from triage.model import Article
from triage.store.events import new_uid, utc_now_iso

__all__ = ["decide_doc", "new_doc", "text_of"]

Doc = dict[str, Any]
_CLIP = {"note": 60000, "title": 2048, "url": 8192}  # characters a field keeps


def text_of(value: Any, key: str = "") -> str:
    """A stored text field as a string of bounded length (a record may hold anything)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text[: _CLIP.get(key, 1024)]


def _urgency(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value <= 9 else None


def new_doc(article_id: str, decision: str | None, note: str, action: str, batch: str, title: Any,
            source: Any, url: Any, *, user: str, host: str, wire: Doc, uid: str = "") -> Doc:
    """One event document (a new uid unless given)."""
    return {
        "article_id": article_id, "decision": decision, "note": text_of(note, "note"), "user": user,
        "host": host, "at": utc_now_iso(), "title": text_of(title, "title"), "source": text_of(source),
        "url": text_of(url, "url"), "action": action, "batch": batch, "uid": uid or new_uid(),
        "version": text_of(wire.get("version")), "urgency": _urgency(wire.get("urgency")),
        "slugline": text_of(wire.get("slugline")), "wire_version": text_of(wire.get("wire_version")),
    }


def decide_doc(latest: Doc | None, article: Article | str, value: str | None, note: str, batch: str,
               title: str, source: str, url: str, *, user: str, host: str, uid: str = "") -> Doc:
    """The event of a decision (None: clear) given the article's latest event (None: never decided)."""
    wire: Doc = {"version": ""}
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
        title = title or text_of(latest.get("title"), "title")
        source = source or text_of(latest.get("source"))
        url = url or text_of(latest.get("url"), "url")
        note = note or text_of(latest.get("note"), "note")
        if not isinstance(article, Article):  # by id only: the story's wire fields carry forward
            wire = {**latest, "version": ""}
    action = "decide" if value else "clear"
    return new_doc(article_id, value, note, action, batch, title, source, url, user=user, host=host,
                   wire=wire, uid=uid)
