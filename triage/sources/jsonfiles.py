"""JSON and JSON Lines articles, and JSON Feed 1 / 1.1 (read with the json module, against the spec)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triage.model import Article, Problem
from triage.sources.base import Rejected, as_text, make_article
from triage.sources.html import html_to_text

__all__ = ["article_from_object", "is_json_feed", "read_json", "read_json_feed", "read_jsonl"]

_TEXT_KEYS = ("text", "body", "content", "content_text", "description", "summary")


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"


def is_json_feed(obj: Any) -> bool:
    """True for a JSON Feed document (a `version` URL under jsonfeed.org)."""
    return isinstance(obj, dict) and isinstance(obj.get("version"), str) and "jsonfeed.org/version" in obj["version"]


def article_from_object(obj: Any, path: Path, source: str, where: str) -> tuple[Article | None, str]:
    """One article object -> (Article, "") or (None, reason). Fields of the wrong type are ignored."""
    if not isinstance(obj, dict):
        return None, f"{where} is a JSON {type(obj).__name__}, not an article object"
    title = as_text(obj.get("title")) or as_text(obj.get("headline"))
    text = ""
    for key in _TEXT_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            text = value
            break
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = "\n\n".join(value)  # a list of paragraphs
            break
    if not text and isinstance(obj.get("content_html"), str):
        text = obj["content_html"]
    if not text.strip():
        return None, f"{where} has no text (expected a string in 'text', 'body' or 'content')"
    if "<" in text and ">" in text and ("</p>" in text.lower() or "<br" in text.lower() or "</div>" in text.lower()):
        text = html_to_text(text)
    author = obj.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    received = as_text(obj.get("received"))
    return make_article(
        title=title,
        text=text,
        path=path,
        source=as_text(obj.get("source")) or source,
        url=as_text(obj.get("url")) or as_text(obj.get("link")),
        published=as_text(obj.get("published")) or as_text(obj.get("date")) or as_text(obj.get("date_published")),
        author=author,
        guid=as_text(obj.get("guid")) or as_text(obj.get("id")),
        received=received,
    ), ""


def read_jsonl(text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """JSON Lines: one article object a line; a bad line is a problem, the other lines still load."""
    articles: list[Article] = []
    seen_any = False
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen_any = True
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{path}:{n}", f"line {n} is not valid JSON ({exc.msg}): skipped"))
            continue
        art, why = article_from_object(obj, path, source, f"line {n}")
        if art is None:
            problems.append(Problem(f"{path}:{n}", why + ": skipped"))
        else:
            articles.append(art)
    if not seen_any:
        raise Rejected("is empty")
    if not articles:
        raise Rejected("holds no usable article lines (see the problems above)")
    return articles


def read_json(text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A .json file: a JSON Feed, a list of article objects, {"articles"|"items": [...]} or one article."""
    if not text.strip():
        raise Rejected("is empty")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        # Maybe it is JSON Lines with a .json name.
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return read_jsonl(text, path, source, problems)
        raise Rejected(_json_error(exc)) from None
    if is_json_feed(obj):
        return read_json_feed(obj, path, source, problems)
    items: Any = None
    if isinstance(obj, list):
        items = obj
    elif isinstance(obj, dict):
        for key in ("articles", "items", "entries", "stories"):
            if key in obj:
                items = obj[key]
                if not isinstance(items, list):
                    raise Rejected(f"has '{key}' that is a JSON {type(items).__name__}, not a list of articles")
                break
        else:
            art, why = article_from_object(obj, path, source, "the object")
            if art is None:
                raise Rejected("is neither a feed nor article objects: " + why)
            return [art]
    else:
        raise Rejected(f"is a JSON {type(obj).__name__}, neither a feed nor article objects")
    articles: list[Article] = []
    for i, item in enumerate(items):
        art, why = article_from_object(item, path, source, f"item {i + 1}")
        if art is None:
            problems.append(Problem(str(path), why + ": skipped"))
        else:
            articles.append(art)
    if not articles:
        raise Rejected("is neither a feed nor article objects (no item has a title and text)")
    return articles


def _str(v: Any) -> str:
    return as_text(v)


def read_json_feed(obj: dict[str, Any], path: Path | str, source: str, problems: list[Problem]) -> list[Article]:
    """JSON Feed 1 / 1.1 items as articles; an item that is not an object is skipped with a problem."""
    items = obj.get("items")
    if not isinstance(items, list):
        raise Rejected(f"is a JSON Feed whose 'items' is {'missing' if items is None else 'not a list'}")
    feed_title = _str(obj.get("title")) or source
    feed_author = obj.get("authors") if isinstance(obj.get("authors"), list) else [obj.get("author")]
    articles: list[Article] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(str(path), f"JSON Feed item {i} is a {type(item).__name__}, not an object: skipped"))
            continue
        text = _str(item.get("content_text"))
        if not text.strip() and _str(item.get("content_html")).strip():
            text = html_to_text(_str(item["content_html"]))
        if not text.strip():
            text = html_to_text(_str(item.get("summary")))
        title = _str(item.get("title"))
        if not text.strip() and not title.strip():
            problems.append(Problem(str(path), f"JSON Feed item {i} has neither title nor content: skipped"))
            continue
        authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
        names = [a.get("name") for a in (authors or feed_author or []) if isinstance(a, dict)]
        author = ", ".join(n for n in names if isinstance(n, str))
        url = _str(item.get("url")) or _str(item.get("external_url"))
        articles.append(make_article(
            title=title,
            text=text,
            path=path,
            source=feed_title,
            url=url,
            published=_str(item.get("date_published")) or _str(item.get("date_modified")),
            author=author,
            guid=_str(item.get("id")),
        ))
    if not articles and items:
        raise Rejected("is a JSON Feed with no readable items")
    return articles
