"""RSS 0.9x/1.0/2.0 and Atom feeds (files on disk or fetched bodies) via feedparser, each entry an article.

Safety: feedparser parses with expat, which never fetches external entities (Python >= 3.7.1
`feature_external_ges` is off) and bounds entity expansion (expat >= 2.4 billion-laughs protection);
feedparser's loose fallback parser keeps only entities whose values are plain text. On top of that,
any DOCTYPE with ENTITY declarations is removed before parsing (a feed has no use for one), and
feedparser always gets a file object, never bytes it could take for a path or URL to open, so a
hostile feed costs bounded time and memory and no local file is ever read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from triage.infra.text import clean_line
from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, WireFields, controls_restored, controls_to_stand_ins, make_article
from triage.sources.decode import decode_bytes
from triage.sources.reader import Reader, Sample
from triage.sources.readers.html import html_to_text
from triage.sources.readers.plaintext import split_paragraphs, strip_furniture

__all__ = [
    "READER",
    "doctype_span",
    "entries_to_articles",
    "is_binary_not_feed",
    "looks_like_feed",
    "parse_feed_bytes",
]

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SUBSET_END = re.compile(rb"\][ \t\n\r\f\v]*>")  # the end of a DOCTYPE's internal subset


def looks_like_feed(head: bytes) -> bool:
    """True when the first bytes look like an RSS/RDF/Atom document."""
    h = head[:2048].lstrip().lower()
    return bool(re.search(rb"<(rss|rdf:rdf|feed)[\s>]", h))


def is_binary_not_feed(data: bytes) -> bool:
    """True for bytes that are binary (a known signature, or machine data) and do not open like a feed.
    A document that opens with a feed's root element is parsed whatever controls it holds."""
    from triage.sources.decode import BINARY_SIGNATURES, looks_binary

    if data.startswith(BINARY_SIGNATURES):
        return True
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return not looks_like_feed(head) and looks_binary(data)


def doctype_span(data: bytes, limit: int = 1 << 20) -> tuple[int, int] | None:
    """Where the first DOCTYPE within `limit` bytes starts and ends (its internal subset included), or
    None; one pass over the bytes, whatever they hold (a regex for it was quadratic on `<!DOCTYPE[`)."""
    head = data[:limit]
    start = head.lower().find(b"<!doctype")
    if start < 0:
        return None
    pos = start + len(b"<!doctype")
    close, subset = head.find(b">", pos), head.find(b"[", pos)
    if close >= 0 and (subset < 0 or close < subset):
        return start, close + 1
    if subset < 0:
        return None
    end = _SUBSET_END.search(head, subset)  # each "]" looks only at the spaces after it: linear
    return (start, end.end()) if end else None


def _defuse(data: bytes) -> tuple[bytes, bool]:
    """Remove a DOCTYPE that declares entities; True when one was removed."""
    head = data[:65536]
    if not _ENTITY_DECL.search(head) and b"<!doctype" not in head.lower():
        return data, False
    span = doctype_span(data)
    if span is None:
        return data, False
    start, end = span
    if not _ENTITY_DECL.search(data, start, end):
        return data, False
    return data[:start] + data[end:], True


# Forbidden C0 controls go through the parser as stand-ins (see base.controls_to_stand_ins) and come back
# in each field for the sanitiser: a feed holding them stays well-formed, so no entry is lost.
_C0_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_XML_DECL = re.compile(rb"^(\s*<\?xml[^>]*?\sencoding\s*=\s*)([\"'])([^\"'<>]{0,40})\2", re.IGNORECASE)
_XML_DECL_STR = re.compile(r"^(\s*<\?xml[^>]*?\sencoding\s*=\s*)([\"'])([^\"'<>]{0,40})\2", re.IGNORECASE)


def _declared_encoding(data: bytes) -> str:
    m = _XML_DECL.match(data[:512])
    return m.group(3).decode("ascii", "ignore").strip() if m else ""


def _decode_feed(data: bytes) -> tuple[str, str]:
    """(text, encoding) of feed bytes: byte-order mark, then the declared encoding, UTF-8, then a guess."""
    import codecs

    declared = _declared_encoding(data)
    try:
        name = codecs.lookup(declared).name if declared else ""
    except LookupError:
        name = ""
    if (
        name
        and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        and not name.startswith(("utf-16", "utf-32"))
    ):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            pass
    return decode_bytes(data)


def _utf8_document(text: str) -> bytes:
    """A decoded feed as UTF-8 bytes whose XML declaration (if any) says so."""
    text = text.lstrip("\ufeff")
    return _XML_DECL_STR.sub(lambda m: f"{m.group(1)}{m.group(2)}utf-8{m.group(2)}", text, count=1).encode(
        "utf-8", "surrogatepass"
    )


def _stand_in_controls(data: bytes) -> tuple[bytes, int]:
    """Feed bytes with every forbidden C0 control swapped for its stand-in (as UTF-8); (bytes, count).

    Bytes without controls come back as they are. Feeds with controls are decoded first (the
    stand-ins are not ASCII), so the result is UTF-8 with a matching declaration.
    """
    from triage.sources.decode import utf16_guess

    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or bool(utf16_guess(data[:4096]))
    if not utf16 and len(data.translate(None, _C0_BYTES)) == len(data):
        return data, 0
    try:
        text = _decode_feed(data)[0]
    except Rejected:
        if utf16:
            return data, 0
        # Undecodable as a whole: drop the control bytes themselves (ASCII-compatible bytes).
        out = data.translate(None, _C0_BYTES)
        return out, len(data) - len(out)
    text, n = controls_to_stand_ins(text)
    if not n:
        return (data if not utf16 else _utf8_document(text)), 0
    return _utf8_document(text), n


def _field(value: Any, restore: bool) -> str:
    """A feedparser field as a string, with control stand-ins turned back into controls."""
    s = value if isinstance(value, str) else ""
    return controls_restored(s) if restore else s


def _entry_text(entry: Any, restore: bool = False) -> tuple[str, bool]:
    """(plain text, is_teaser) of an entry: full content when present, else the summary."""
    content = entry.get("content") or []
    best = ""
    for c in content:
        value = (c.get("value") or "") if isinstance(c, dict) else ""
        if isinstance(value, str) and len(value) > len(best):
            best = value
    if best:
        return html_to_text(_field(best, restore)), False
    summary = entry.get("summary") or entry.get("description") or ""
    return html_to_text(_field(summary, restore)), True


def entries_to_articles(
    parsed: Any, where: str | Path, source: str, *, restore: bool = False
) -> list[Article]:
    """Articles from a feedparser result, one per entry feedparser recovered; the feed's title is the
    source when it has one. An entry with neither title nor text still loads (titled by its link, or
    "(untitled)"), so nothing the feed holds is silently dropped."""
    return _convert(parsed, where, source, restore)[0]


def _convert(parsed: Any, where: str | Path, source: str, restore: bool) -> tuple[list[Article], int]:
    """(articles, how many entries had neither title nor text)."""
    feed = parsed.get("feed") or {}
    feed_title = clean_line(_field(feed.get("title") if hasattr(feed, "get") else "", restore))
    feed_language = feed.get("language") if hasattr(feed, "get") else ""
    src = feed_title or source
    articles: list[Article] = []
    empty = 0
    for n, entry in enumerate(parsed.get("entries") or [], start=1):
        if not hasattr(entry, "get"):
            continue
        text, _teaser = _entry_text(entry, restore)
        if text:
            paragraphs, _byline, _date = strip_furniture(split_paragraphs(text))
            text = "\n\n".join(paragraphs)
        title = _field(entry.get("title"), restore)
        if "<" in title or "&" in title:
            title = html_to_text(title)
        link = _field(entry.get("link"), restore)
        guid = _field(entry.get("id"), restore)
        if not clean_line(title) and not text.strip():
            empty += 1
            title = link
            if not guid and not link:
                guid = f"untitled-entry-{n}"  # a bare id: prefixed with the source, unique in this feed
        published = (
            entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("published") or ""
        )
        articles.append(
            make_article(
                title=title,
                text=text,
                path=where,
                source=src,
                url=link,
                published=published,
                author=_field(entry.get("author"), restore),
                guid=guid,
                wire=WireFields(language=_field(entry.get("language") or feed_language, restore))
                if (entry.get("language") or feed_language)
                else None,
            )
        )
    return articles, empty


def teaser_links(parsed: Any) -> dict[str, str]:
    """entry link -> "teaser" for entries with no full content (for fetch_full_article)."""
    out: dict[str, str] = {}
    for entry in parsed.get("entries") or []:
        link = entry.get("link") if hasattr(entry, "get") else None
        if isinstance(link, str) and link and not entry.get("content"):
            summary = entry.get("summary")
            out[link] = summary if isinstance(summary, str) else ""
    return out


def _feedparser(data: bytes) -> Any:
    """feedparser.parse on bytes, given as a file object: feedparser takes bytes or a string that looks
    like a path or URL for a file to open or fetch (a body of "/home/u/private.xml" would be read).
    Its own crashes (the loose parser on stray tags) become Rejected."""
    import io

    import feedparser

    try:
        return feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    except RecursionError:
        raise Rejected("is an ill-formed feed nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - feedparser's loose parser can crash on stray tags
        raise Rejected(
            f"is an ill-formed feed the feed parser failed on ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:100]})"
        ) from None


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())[:160]


def _notes(empty: int, controls: int) -> str:
    """What a problem line adds about the entries read: untitled ones and removed controls."""
    notes = []
    if empty:
        notes.append(f"{empty} with no title or text, loaded as untitled")
    if controls:
        notes.append(f"{controls:,} control character{'s' if controls != 1 else ''} removed")
    return f" ({'; '.join(notes)})" if notes else ""


def parse_feed_bytes(
    data: bytes, where: str | Path, source: str, problems: list[Problem]
) -> tuple[list[Article], Any]:
    """Parse RSS/Atom bytes; recovered entries of an ill-formed feed load AND a problem is reported.

    Every entry feedparser recovers becomes an article (never fewer than feedparser.parse finds).
    Raises Rejected when nothing is recoverable or the bytes are not a feed at all.
    """
    if not data.strip():
        raise Rejected("is empty", ProblemKind.EMPTY)
    if is_binary_not_feed(data):
        raise Rejected("is a binary file, not an RSS or Atom feed", ProblemKind.UNSUPPORTED)
    data, defused = _defuse(data)
    if defused:
        problems.append(
            Problem(str(where), "declares XML entities (DOCTYPE removed; no external entity read)")
        )
    data, controls = _stand_in_controls(data)
    parsed = _feedparser(data)
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    name = type(exc).__name__ if exc is not None else ""
    if name == "CharacterEncodingOverride" and not controls:
        # The declared (or, undeclared, UTF-8) encoding is wrong. feedparser's own fallback guess needs
        # chardet (not a dependency): decode with triage.sources.decode and parse that as UTF-8. The
        # reading that recovers more entries wins; on a tie, ours (it knows more encodings).
        try:
            text, enc = _decode_feed(data)
            reparsed = _feedparser(_utf8_document(text))
        except Rejected:
            reparsed = None
        if reparsed is not None and reparsed.entries and len(reparsed.entries) >= len(parsed.entries):
            articles, empty = _convert(reparsed, where, source, False)
            problems.append(
                Problem(
                    str(where),
                    f"feed declares the wrong encoding (read as {enc}): "
                    f"read {len(articles)} recovered entries{_notes(empty, 0)}",
                )
            )
            return articles, reparsed
    articles, empty = _convert(parsed, where, source, controls > 0)
    version = parsed.get("version") or ""
    if parsed.get("bozo"):
        why = _one_line(exc) if exc else "not well-formed"
        if not articles:
            if not version and not looks_like_feed(data[:4096]):
                raise Rejected("is not an RSS or Atom feed" + (f" ({why})" if why else ""))
            raise Rejected(f"is an ill-formed feed with nothing recoverable ({why})")
        kind = (
            "declares the wrong encoding"
            if name in ("CharacterEncodingOverride", "NonXMLContentType")
            else "is not well-formed"
        )
        problems.append(
            Problem(
                str(where),
                f"feed {kind} ({why}): read {len(articles)} recovered entries" + _notes(empty, controls),
            )
        )
    elif not articles:
        if not version:
            raise Rejected("is not an RSS or Atom feed")
        problems.append(Problem(str(where), "feed has no entries", ProblemKind.NOT_A_STORY))
    elif empty or controls:
        problems.append(
            Problem(
                str(where),
                f"read {len(articles)} feed entr{'y' if len(articles) == 1 else 'ies'}"
                f"{_notes(empty, controls)}",
            )
        )
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


class _FeedReader(Reader):
    """An RSS or Atom feed saved to a file: by its name, or a file of no firmer kind that opens with a
    feed's root element."""

    kind = "feed"
    extensions = frozenset({".xml", ".rss", ".atom", ".rdf"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "feed" or (sample.named in ("", "text") and looks_like_feed(sample.opening))

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        # A text feed with a few NUL or other control bytes is not binary (its controls are removed).
        if is_binary_not_feed(sample.data):
            raise Rejected("is a binary file, not an RSS or Atom feed", ProblemKind.UNSUPPORTED)
        return read_feed_file(sample.data, sample.path, source, problems)


READER = _FeedReader()
