"""RSS 0.9x/1.0/2.0 and Atom feeds (files on disk or fetched bodies) via feedparser, each entry an article.

Safety: feedparser parses with expat, which never fetches external entities (Python >= 3.7.1
`feature_external_ges` is off) and bounds entity expansion (expat >= 2.4 billion-laughs protection);
feedparser's loose fallback parser keeps only entities whose values are plain text. On top of that,
any DOCTYPE with ENTITY declarations is removed before parsing (a feed has no use for one), so a
hostile feed costs bounded time and memory and no local file is ever read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from triage.model import Article, Problem
from triage.sources.base import Rejected, make_article
from triage.sources.decode import decode_bytes
from triage.sources.html import html_to_text
from triage.sources.plaintext import split_paragraphs, strip_furniture

__all__ = ["entries_to_articles", "looks_like_feed", "parse_feed_bytes"]

_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def looks_like_feed(head: bytes) -> bool:
    """True when the first bytes look like an RSS/RDF/Atom document."""
    h = head[:2048].lstrip().lower()
    return bool(re.search(rb"<(rss|rdf:rdf|feed)[\s>]", h))


def _defuse(data: bytes) -> tuple[bytes, bool]:
    """Remove a DOCTYPE that declares entities; True when one was removed."""
    head = data[:65536]
    if not _ENTITY_DECL.search(head) and b"<!doctype" not in head.lower():
        return data, False
    m = _DOCTYPE.search(data, 0, 1 << 20)
    if m is None:
        return data, False
    removed = bool(_ENTITY_DECL.search(m.group(0)))
    if not removed:
        return data, False
    return data[: m.start()] + data[m.end():], True


def _entry_text(entry: Any) -> tuple[str, bool]:
    """(plain text, is_teaser) of an entry: full content when present, else the summary."""
    content = entry.get("content") or []
    best = ""
    for c in content:
        value = c.get("value") or "" if isinstance(c, dict) else ""
        if len(value) > len(best):
            best = value
    if best:
        return html_to_text(best), False
    summary = entry.get("summary") or entry.get("description") or ""
    return html_to_text(summary), True


def entries_to_articles(parsed: Any, where: str | Path, source: str) -> list[Article]:
    """Articles from a feedparser result; the feed's title is the source when it has one."""
    feed_title = (parsed.feed.get("title") or "").strip() if hasattr(parsed, "feed") else ""
    src = feed_title or source
    articles: list[Article] = []
    for entry in parsed.entries:
        text, _teaser = _entry_text(entry)
        if text:
            paragraphs, _byline, _date = strip_furniture(split_paragraphs(text))
            text = "\n\n".join(paragraphs)
        title = entry.get("title") or ""
        if not text and not title:
            continue
        author = entry.get("author") or ""
        published = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("published") or ""
        articles.append(make_article(
            title=html_to_text(title) if "<" in title or "&" in title else title,
            text=text,
            path=where,
            source=src,
            url=entry.get("link") or "",
            published=published,
            author=author,
            guid=entry.get("id") or "",
        ))
    return articles


def teaser_links(parsed: Any) -> dict[str, str]:
    """entry link -> "teaser" for entries with no full content (for fetch_full_article)."""
    out: dict[str, str] = {}
    for entry in parsed.entries:
        if not entry.get("content") and entry.get("link"):
            out[entry["link"]] = entry.get("summary") or ""
    return out


def parse_feed_bytes(data: bytes, where: str | Path, source: str, problems: list[Problem]) -> tuple[list[Article], Any]:
    """Parse RSS/Atom bytes; recovered entries of an ill-formed feed load AND a problem is reported.

    Raises Rejected when nothing is recoverable or the bytes are not a feed at all.
    """
    import feedparser

    if not data.strip():
        raise Rejected("is empty")
    data, defused = _defuse(data)
    if defused:
        problems.append(Problem(str(where), "declares XML entities (DOCTYPE removed; no external entity read)"))
    try:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # noqa: BLE001 - feedparser's loose parser can crash on stray tags
        raise Rejected(f"is an ill-formed feed the feed parser failed on ({type(exc).__name__}: "
                       f"{' '.join(str(exc).split())[:100]})") from None
    if parsed.get("bozo") and type(parsed.get("bozo_exception")).__name__ == "CharacterEncodingOverride":
        # The declared encoding is wrong. feedparser's own fallback guess needs chardet (not a
        # dependency); decode with charset-normalizer (triage.sources.decode) and parse the text.
        try:
            text, enc = decode_bytes(data)
            reparsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
        except Exception:  # noqa: BLE001 - keep feedparser's own reading
            reparsed = None
        if reparsed is not None and reparsed.entries:
            problems.append(Problem(str(where), f"feed declares the wrong encoding (read as {enc}): "
                                    f"read {len(reparsed.entries)} recovered entries"))
            return entries_to_articles(reparsed, where, source), reparsed
    articles = entries_to_articles(parsed, where, source)
    version = parsed.get("version") or ""
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        why = " ".join(str(exc).split())[:160] if exc else "not well-formed"
        name = type(exc).__name__ if exc else ""
        if not articles:
            if not version and not looks_like_feed(data[:4096]):
                raise Rejected("is not an RSS or Atom feed" + (f" ({why})" if why else ""))
            raise Rejected(f"is an ill-formed feed with nothing recoverable ({why})")
        kind = "declares the wrong encoding" if name in ("CharacterEncodingOverride", "NonXMLContentType") else "is not well-formed"
        problems.append(Problem(str(where), f"feed {kind} ({why}): read {len(articles)} recovered entries"))
    elif not articles:
        if not version:
            raise Rejected("is not an RSS or Atom feed")
        if not parsed.entries:
            problems.append(Problem(str(where), "feed has no entries"))
    return articles, parsed


def read_feed_file(data: bytes, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A saved feed file (.xml, .rss, .atom, .rdf): each entry an article."""
    if data.lstrip()[:1] in (b"{", b"["):
        raise Rejected("is JSON, not an RSS or Atom feed")
    head = data[:4096].lstrip().lower()
    if not looks_like_feed(head) and (head.startswith((b"<!doctype html", b"<html"))):
        raise Rejected("is an HTML page, not a feed")
    articles, _ = parse_feed_bytes(data, path, source, problems)
    return articles
