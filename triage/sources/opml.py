"""Subscription lists in and out: OPML 1.0/2.0 and newsboat's `urls` file in, OPML 2.0 out.

Pure functions over bytes and Feeds (no file or network access):

    subs = read_subscriptions(data)   # sniffs OPML (XML) or a newsboat urls file; ListError if unusable
    subs.feeds, subs.problems, subs.notes
    text = to_opml(feeds)             # OPML 2.0, folders as nested outlines

OPML goes through defusedxml first, which refuses any entity declaration (XXE, "billion laughs") or
external reference before anything is expanded or read, and checks that the file is well-formed XML.
The checked document is then re-serialised as UTF-8 and read by listparser (feedparser's maintainer),
which knows the OPML dialects (text vs title, folders, the category attribute, duplicate outlines).
listparser alone would not do: it reads through lxml's forgiving HTML parser, which accepts anything,
leaves an entity reference as the literal text "&xxe;", and guesses Latin-1 for an undeclared encoding.
A file that is ill-formed only by bare "&" (exporters that forget to escape it) is read again with exactly
those escaped: nothing else is repaired and no entity is ever resolved.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from triage.infra.sanitize import XML_ILLEGAL
from triage.model import Problem, ProblemKind
from triage.sources.feedmodel import Feed, clean_name, feed_url, merge_feeds

__all__ = ["ListError", "Subscriptions", "parse_newsboat_urls", "parse_opml", "read_subscriptions", "to_opml"]

MAX_BYTES = 16 * 1024 * 1024  # far above any real subscription list; bounds memory and time
MAX_DEPTH = 64  # folders inside folders; real exports use two or three levels

_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_FEED_DOCUMENTS = {"rss": "an RSS feed", "feed": "an Atom feed", "RDF": "an RSS 1.0 feed"}


class ListError(Exception):
    """The whole file is unusable; the message is the plain reason (the caller names the file).
    `ill_formed` says the XML did not parse, which a second reading may mend."""

    def __init__(self, reason: str, *, ill_formed: bool = False) -> None:
        super().__init__(reason)
        self.ill_formed = ill_formed


@dataclass(frozen=True)
class Subscriptions:
    """What a subscription list held: its kind, its feeds, what was skipped and why, and notes."""

    kind: str  # "OPML 2.0", "OPML 1.0", "OPML", "newsboat urls"
    feeds: tuple[Feed, ...]
    problems: tuple[Problem, ...] = ()  # entries skipped, each with where ("line 3", 'outline "X"') and why
    notes: tuple[str, ...] = ()  # things deliberately left out (newsboat query feeds)


def _shown(s: str, limit: int = 60) -> str:
    """Attacker-controlled text quoted in a message: cleaned, one line, short."""
    return clean_name(s, limit)


def read_subscriptions(data: bytes) -> Subscriptions:
    """Read an OPML file or a newsboat urls file, told apart by their first character."""
    if len(data) > MAX_BYTES:
        raise ListError(f"is {len(data):,} bytes, over the {MAX_BYTES:,}-byte limit for a subscription list")
    if data.startswith(_UTF16_32_BOMS) or data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
        return parse_opml(data)
    if b"\x00" in data:
        raise ListError("is binary data, not an OPML file or a newsboat urls file")
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        raise ListError("is not UTF-8 text, so neither an OPML file nor a newsboat urls file") from None
    return parse_newsboat_urls(text)


# --- OPML ------------------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _checked_xml(data: bytes):
    """The document parsed by defusedxml (entities, external references refused); ListError otherwise."""
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        sysid = getattr(exc, "sysid", None)
        target = f", pointing at {_shown(sysid)}" if sysid else ""
        raise ListError(
            f"declares an XML entity ({_shown(exc.name or '')!r}{target}): refused, since OPML never "
            "needs one and it could read local files (XXE) or expand without bound"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise ListError(
            f"refers to an external resource ({_shown(getattr(exc, 'sysid', None) or '')}): refused"
        ) from None
    except DefusedXmlException as exc:
        raise ListError(f"uses XML features OPML never needs ({type(exc).__name__}): refused") from None
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":", 1)[0]
        raise ListError(f"is not well-formed XML ({reason} at line {line}, column {col + 1})",
                        ill_formed=True) from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding expat does not know
        raise ListError(f"could not be decoded as XML ({_shown(str(exc))})") from None


# "&" that starts neither a character reference nor a named one: exporters that forget to escape it
# ("Business & Economy", "?a=1&b=2") write it bare. Escaping exactly these keeps every entity refused.
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_][A-Za-z0-9_.-]*|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});)")


def _recovered_xml(data: bytes):
    """(root, notes): the checked document; one with bare "&" is read again with them escaped."""
    try:
        return _checked_xml(data), ()
    except ListError as exc:
        if not exc.ill_formed:
            raise
        fixed, n = _BARE_AMP.subn(b"&amp;", data)
        if not n:
            raise
        try:
            root = _checked_xml(fixed)
        except ListError:
            raise exc from None
    return root, (f"{n} unescaped '&' read as text (the exporter did not escape them)",)


def _check_shape(root) -> None:
    """An <opml> root with a <body>, folders nested at most MAX_DEPTH deep."""
    tag = _local(root.tag)
    if tag != "opml":
        if tag in _FEED_DOCUMENTS:
            raise ListError(
                f"is {_FEED_DOCUMENTS[tag]}, not a list of feeds: add its URL with `triage feeds add URL`"
            )
        raise ListError(f"is XML but not OPML (its root element is <{_shown(tag, 30)}>)")
    if not any(_local(child.tag) == "body" for child in root):
        raise ListError("is OPML without a <body>, so it lists no feeds")
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ListError(f"nests outlines more than {MAX_DEPTH} deep: refused")
        stack.extend((child, depth + 1) for child in el)


def _attr(el, name: str) -> str:
    """An attribute by name, ignoring case (xmlUrl, xmlurl and XMLURL all occur in the wild)."""
    for k, v in el.attrib.items():
        if _local(k).lower() == name:
            return v.strip()
    return ""


def parse_opml(data: bytes) -> Subscriptions:
    """Read OPML 1.0/2.0 bytes: folders (nested outlines, category attributes) become each feed's folders."""
    import xml.etree.ElementTree as ET

    import listparser

    if len(data) > MAX_BYTES:
        raise ListError(f"is {len(data):,} bytes, over the {MAX_BYTES:,}-byte limit for a subscription list")
    root, notes = _recovered_xml(data)
    _check_shape(root)
    version = (root.get("version") or "").strip()
    kind = f"OPML {version}" if version in ("1.0", "1.1", "2.0") else "OPML"
    sites: dict[str, str] = {}
    for el in root.iter():
        if _local(el.tag) == "outline" and _attr(el, "xmlurl"):
            sites.setdefault(_attr(el, "xmlurl"), _attr(el, "htmlurl"))
    # Only what defusedxml accepted, as UTF-8 with a declaration (lxml's HTML parser would guess Latin-1).
    clean = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode(
        "utf-8"
    )
    parsed = listparser.parse(clean)  # bytes: a str starting with http:// would be fetched

    feeds: list[Feed] = []
    problems: list[Problem] = []
    for entry in parsed.get("feeds", []):
        raw_url = entry.get("url") or ""
        title = clean_name(entry.get("title") or "")
        where = f'outline "{_shown(title)}"' if title else f"outline {_shown(raw_url)}"
        try:
            url = feed_url(raw_url)
        except ValueError as exc:
            problems.append(Problem(where, f"{exc}: skipped", ProblemKind.PARTIAL))
            continue
        if title in (url, raw_url):
            title = ""  # a reader that had no title wrote the URL as the text
        folders = tuple(
            p
            for p in (tuple(x for x in map(clean_name, path) if x) for path in entry.get("categories", []))
            if p
        )
        site = sites.get(raw_url, "")
        try:
            site = feed_url(site) if site else ""
        except ValueError:
            site = ""
        feeds.append(Feed(url, title, tuple(dict.fromkeys(folders)), site))
    for entry in parsed.get("lists", []):
        title = clean_name(entry.get("title") or "")
        problems.append(
            Problem(
                f'outline "{_shown(title)}"' if title else "outline",
                f"links to another subscription list ({_shown(entry.get('url') or '')}): "
                "not followed; import that list itself",
            )
        )
    if not feeds and not problems:
        raise ListError(f"is {kind} with no feeds in it (no <outline> has an xmlUrl)")
    return Subscriptions(kind, tuple(merge_feeds(feeds)), tuple(problems), notes)


def to_opml(feeds: Iterable[Feed], *, title: str = "triage feeds", created: datetime | None = None) -> str:
    """OPML 2.0 text: each feed inside its folders (nested outlines; a feed in two folders appears in
    both), titles as text and title attributes, the web page as htmlUrl."""
    import xml.etree.ElementTree as ET
    from email.utils import format_datetime

    def safe(s: str) -> str:
        return XML_ILLEGAL.sub("", s)

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = safe(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(
        created or datetime.now(UTC).replace(microsecond=0)
    )
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}

    def folder(path: tuple[str, ...]) -> ET.Element:
        if path not in folders:
            name = safe(path[-1])
            folders[path] = ET.SubElement(folder(path[:-1]), "outline", text=name, title=name)
        return folders[path]

    for f in feeds:
        shown = safe(f.name or f.url)
        for path in f.folders or ((),):
            attrs = {"type": "rss", "text": shown, "title": shown, "xmlUrl": safe(f.url)}
            if f.site:
                attrs["htmlUrl"] = safe(f.site)
            ET.SubElement(folder(path), "outline", attrs)
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- newsboat urls -----------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _newsboat_tokens(line: str) -> list[str]:
    """Split a urls line as newsboat does: blanks separate, "double quotes" group (with backslash
    escapes), and a token that starts with # starts a comment."""
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t\r\n":
            i += 1
        if i >= n or line[i] == "#":
            break
        if line[i] == '"':
            i += 1
            buf: list[str] = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                    buf.append(_ESCAPES.get(line[i], line[i]))
                else:
                    buf.append(line[i])
                i += 1
            tokens.append("".join(buf))
            i += 1
        else:
            start = i
            while i < n and line[i] not in " \t\r\n":
                i += 1
            tokens.append(line[start:i])
    return tokens


def parse_newsboat_urls(text: str) -> Subscriptions:
    """Read newsboat's urls file: a URL a line, then tags; "~Name" names the feed, "!" (hidden) is
    dropped; `query:` feeds (searches over newsboat's own articles) are left out with a note;
    `exec:` and `filter:` feeds run local commands and are skipped."""
    feeds: list[Feed] = []
    problems: list[Problem] = []
    notes: list[str] = []
    url_like = 0
    for n, line in enumerate(text.splitlines(), start=1):
        tokens = _newsboat_tokens(line)
        if not tokens:
            continue
        first, rest = tokens[0], tokens[1:]
        where = f"line {n}"
        if first.startswith("query:"):
            url_like += 1
            name = first.split(":", 2)[1] if first.count(":") >= 2 else first[6:]
            notes.append(
                f'{where}: query feed "{_shown(name)}" left out: it is a search over newsboat\'s own '
                "articles, not a feed to fetch"
            )
            continue
        if first.startswith(("exec:", "filter:")):
            url_like += 1
            problems.append(
                Problem(
                    where,
                    f"{first.split(':', 1)[0]}: feeds run a local command; triage fetches "
                    "only http(s) URLs: skipped",
                )
            )
            continue
        if "://" in first or first.lower().startswith("feed:"):
            url_like += 1
        try:
            url = feed_url(first)
        except ValueError as exc:
            problems.append(Problem(where, f"{exc}: skipped", ProblemKind.PARTIAL))
            continue
        name = ""
        tags: list[str] = []
        for tok in rest:
            if tok.startswith("~"):
                name = clean_name(tok[1:])
            elif tok != "!" and (tag := clean_name(tok)):
                tags.append(tag)
        feeds.append(Feed(url, name, tuple((t,) for t in dict.fromkeys(tags))))
    if not url_like:
        raise ListError("is neither OPML nor a newsboat urls file: no line starts with a feed URL")
    return Subscriptions("newsboat urls", tuple(merge_feeds(feeds)), tuple(problems), tuple(notes))
