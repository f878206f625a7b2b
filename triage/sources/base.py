"""What every reader shares: the result type, stable ids, and building a clean Article from raw fields.

Identity (documented in triage/sources/README.md): an article's id is a 12-hex-digit SHA-256 of its
*source identity*, never of its text, so a changed text under the same identity is a new version
(same id, new content_hash, `updated=True` once a cache has seen the old one):

* a feed entry / JSON item / mail: its guid (`guid`, JSON `id`, Message-ID) when it has one, else its URL;
* any other file article with a URL (front matter `url:`, HTML canonical URL, JSON `url`): the URL;
* otherwise: the source name (front matter `source:` or the folder the file is in) + the normalised title.

Nothing machine-specific (no absolute path) enters an id, so ids agree across runs and machines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from triage.infra.sanitize import has_forbidden
from triage.infra.text import clean_line, clean_text, normalise_title
from triage.model import Article, Problem, ProblemKind

__all__ = [
    "IngestResult",
    "Rejected",
    "WIRE_ARTICLE_FIELDS",
    "WireFields",
    "clean_problems",
    "content_hash",
    "controls_restored",
    "controls_to_stand_ins",
    "identity_id",
    "iso_date",
    "language_tag",
    "make_article",
]


class Rejected(Exception):
    """Raised by a reader when a whole file is unusable: the message is the plain reason, `kind` what
    code tests (a broken document unless said otherwise)."""

    def __init__(self, reason: str, kind: ProblemKind = ProblemKind.BAD_FORMAT) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind

    def problem(self, where: str) -> Problem:
        """The Problem this rejection makes for `where`."""
        return Problem(where, self.reason, self.kind)


@dataclass
class IngestResult:
    """Articles read (duplicates grouped) and problems met, in one place.

    `groups` maps a duplicate group's leader id to its member ids, leader first; articles that are
    not near-duplicates of anything are not in `groups`. Every member keeps its own Article, with
    `duplicates_of` set to the leader's id.
    """

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)

    def extend(self, other: IngestResult) -> None:
        """Append another result's articles and problems (groups are recomputed by the caller)."""
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)


_MAX_TITLE = 300


def clean_problems(problems: list[Problem]) -> list[Problem]:
    """Problems safe to show: file names, server reason phrases and parser messages are untrusted too."""
    out = []
    for p in problems:
        where, reason = clean_line(p.where), clean_line(p.reason)
        out.append(p if (where, reason) == (p.where, p.reason) else replace(p, where=where, reason=reason))
    return out


def _h(s: str, n: int = 12) -> str:
    return hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def identity_id(*, guid: str = "", url: str = "", source: str = "", title: str = "", text: str = "") -> str:
    """The stable id for an article identity (see the module docstring for the order)."""
    guid = clean_line(guid)
    url = clean_line(url)
    if guid:
        if not (
            re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", guid) or "/" in guid or "@" in guid or len(guid) >= 16
        ):
            guid = clean_line(source).casefold() + "#" + guid  # a bare "1234" is unique only in its feed
        return _h("guid:" + guid)
    if url:
        return _h("url:" + url)
    nt = normalise_title(title)
    if nt:
        return _h("title:" + clean_line(source).casefold() + "\x00" + nt)
    # No title at all: the text is all there is.
    return _h("text:" + clean_line(source).casefold() + "\x00" + " ".join(text.split())[:2000])


def content_hash(title: str, text: str) -> str:
    """Hash of title + text: a different value under the same id is a new version."""
    return _h(title + "\n\n" + text, 16)


def iso_date(value: object) -> str:
    """A date in ISO 8601 (UTC when a zone is known), from ISO strings, RFC 2822, struct_time or datetime."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _iso_text(value)
    try:
        if isinstance(value, datetime):
            dt = value
        elif hasattr(value, "tm_year"):
            dt = datetime(*value[:6], tzinfo=UTC)  # type: ignore[index, misc]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            dt = datetime.fromtimestamp(float(value), tz=UTC)
        else:
            return _iso_text(str(value))
        return _iso(dt)
    except (ValueError, OverflowError, OSError, TypeError):
        return ""


def _iso_text(value: str) -> str:
    """iso_date of a string; a short one (a real date) is parsed once per distinct string, as a batch of
    wire items shares its timestamps."""
    return _iso_text_cached(value) if len(value) <= 64 else _parse_iso_text(value)


def _parse_iso_text(value: str) -> str:
    try:
        s = clean_line(value)
        if not s:
            return ""
        if _DAY.fullmatch(s):
            return s
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            try:
                dt = parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                return ""
            if dt is None:
                return ""
        return _iso(dt)
    except (ValueError, OverflowError, OSError, TypeError):
        return ""


_iso_text_cached = lru_cache(maxsize=4096)(_parse_iso_text)


def _iso(dt: datetime) -> str:
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
        return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return dt.replace(microsecond=0).isoformat()


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")

# C0 controls that XML 1.0 forbids (all but tab, LF, CR). Markup parsers (expat for feeds, libxml2 for
# HTML) refuse or silently drop them, which breaks a feed or leaves an escape sequence's tail ("[31m")
# in the text. Readers swap each for its Control Pictures stand-in (U+2400 + code, "␛" for ESC: XML
# allows it and no parser or extractor drops it) and turn the stand-ins back into controls in each
# extracted field, so the one sanitiser (triage.infra.text) removes them with the sequences they introduce.
# Only a document that held raw controls is restored: a "␛" in ordinary text is never touched.
_C0_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STAND_IN = 0x2400  # the Control Pictures block: "␛" for ESC, printable, kept by every parser
_RESTORE = {_STAND_IN + c: c for c in range(32) if c not in (9, 10, 13)}


def controls_to_stand_ins(text: str) -> tuple[str, int]:
    """(text with forbidden C0 controls replaced by their stand-ins, how many there were)."""
    if _C0_RE.search(text) is None:  # the usual case: one scan, no copy
        return text, 0
    n = len(_C0_RE.findall(text))
    return _C0_RE.sub(lambda m: chr(_STAND_IN + ord(m.group())), text), n


def controls_restored(text: str) -> str:
    """A parsed field with its control stand-ins turned back into the controls (for the sanitiser)."""
    return text.translate(_RESTORE) if text else text


def as_text(value: object) -> str:
    """A field of unknown type as text: strings as they are, numbers as digits, anything else "".

    Lone surrogates (JSON "\\ud800", undecodable mail header bytes) become U+FFFD: they cannot be
    written as UTF-8, so they would break every later print, export or save.
    """
    if isinstance(value, str):
        return (
            _SURROGATE.sub("\ufffd", value) if not value.isprintable() and _SURROGATE.search(value) else value
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # an int of more than 4,300 digits
            return ""
    return ""


def make_article(
    *,
    title: object,
    text: object,
    path: str | Path,
    source: object = "",
    url: object = "",
    published: object = "",
    author: object = "",
    guid: object = "",
    received: str = "",
    article_id: str = "",
    wire: WireFields | None = None,
) -> Article:
    """Build an Article from raw fields: every string cleaned here, id and content hash computed.

    `wire` carries what a wire item says of itself (urgency, version, status ...); its guid, when set,
    is the identity (see `WireFields`).
    """
    t = clean_line(as_text(title))
    body = clean_text(as_text(text))
    src = clean_line(as_text(source))
    u = clean_line(as_text(url))
    if u and not re.match(r"^https?://[^\s/]", u, re.IGNORECASE):
        u = ""  # relative, javascript:, file: ... links are neither an identity nor something to open
    if wire is not None:
        t, body = _tidy_wire(t, body, wire)
    if not t:
        first = body.split("\n", 1)[0] if body else ""
        t = clean_line(first[:120]) if first else "(untitled)"
    elif body:
        first, sep, rest = body.partition("\n\n")
        if sep and rest.strip() and normalise_title(first) == normalise_title(t):
            body = rest.strip()  # the headline repeated as the first paragraph (HTML h1, feed content)
    if len(t) > _MAX_TITLE:
        t = t[: _MAX_TITLE - 1].rstrip() + "…"
    w = wire or WireFields()
    identity = w.identity or w.guid or as_text(guid)
    aid = article_id or identity_id(guid=identity, url=u, source=src, title=t, text=body)
    return Article(
        id=aid,
        title=t,
        text=body,
        source=src,
        url=u,
        published=iso_date(published) if not isinstance(published, str) else (iso_date(published) or ""),
        received=received,
        path=str(path),
        content_hash=content_hash(t, body),
        author=clean_line(as_text(author)) or clean_line(w.author),
        marks=w.article_marks(),
        **w.article_fields(),
    )


def _tidy_wire(title: str, body: str, w: WireFields) -> tuple[str, str]:
    """A wire item's headline and text without the agency's furniture (see readers.agency_copy): take
    designators become marks, a byline in the headline the byline, a dateline opening the text the
    dateline, advisories and notebook notes the editors' note; the provider gets its one name and the
    declared language is checked against the text."""
    from triage.sources.providers import provider_name
    from triage.sources.readers.agency_copy import tidy_text, tidy_title
    from triage.sources.readers.textlanguage import checked_language

    w.provider = provider_name(w.provider, w.guid or w.identity)
    head, marks, byline = tidy_title(title)
    if head or (title and body):  # "" for a keyword in the headline's place: the text's first line is it
        title = head
    elif title:
        title = re.sub(r"^(?:BC|AM|PM|AP)-", "", title, flags=re.IGNORECASE)
    w.marks = list(dict.fromkeys([*w.marks, *marks]))
    w.author = re.sub(r"^\s*by\s+", "", w.author, flags=re.IGNORECASE) or byline  # "By Henning Gloystein"
    if body:
        tidied = tidy_text(body.split("\n\n"), provider=w.provider, title=title)
        body = "\n\n".join(tidied.paragraphs)
        stated = w.dateline.rstrip(" -–—_:")  # "London (dpa) -", "STOCKHOLM, Aug 29, 2014 (AFP) -"
        # EFE's <dateline> holds a time stamp ("20170102T222800+0000"): the text's dateline is the place
        w.dateline = stated if re.search(r"[^\dTZ:+.\s-]", stated) else tidied.dateline or stated
        if tidied.notes:
            w.ednote = "\n\n".join(n for n in [w.ednote, *tidied.notes] if n and n not in w.ednote)
    w.language = checked_language(language_tag(w.language) if w.language else "", f"{title}\n\n{body}")
    return title, body


_PUBSTATUS = {"usable": "usable", "withheld": "withheld", "canceled": "canceled", "cancelled": "canceled"}
# The Article fields a wire item states (what WireFields.article_fields gives), in the one order the
# ingest cache and `triage ingest --json` keep them.
WIRE_ARTICLE_FIELDS = (
    "urgency", "slugline", "version", "pubstatus", "embargoed", "ednote", "author", "dateline", "language",
    "guid", "subjects", "provider", "correction",
)


@dataclass
class WireFields:
    """What a wire item says of itself, as raw strings from the file; cleaned by `article_fields`.

    `identity` is the agency's id of the story without its version (a NewsML-G2 guid, a NewsML 1
    ProviderId:DateId:NewsItemId, an ANPA slug keyword): when set, it is the Article id's basis, so every
    version of one story has the same id. `guid` is the item id as the agency wrote it.
    """

    urgency: int | None = None
    slugline: str = ""
    version: str = ""
    pubstatus: str = ""
    embargoed: str = ""
    ednote: str = ""
    author: str = ""
    dateline: str = ""
    language: str = ""
    guid: str = ""
    identity: str = ""
    subjects: list[tuple[str, str]] = field(default_factory=list)
    provider: str = ""
    correction: bool = False
    marks: list[str] = field(default_factory=list)  # take designators: "REFILE", "1ST LEAD", "EXTRA" ...

    def article_fields(self) -> dict[str, Any]:
        """The Article keyword arguments, every string through the one sanitiser (see `_clean_lines`)."""
        urgency = self.urgency if isinstance(self.urgency, int) and 1 <= self.urgency <= 9 else None
        pairs = self.subjects[:200]
        slug, version, status, dateline, guid, provider, *flat = _clean_lines(
            [self.slugline, self.version, self.pubstatus, self.dateline, self.guid, self.provider]
            + [as_text(v) for pair in pairs for v in pair]
        )
        subjects = dict.fromkeys(pair for pair in zip(flat[::2], flat[1::2], strict=True) if any(pair))
        return {
            "urgency": urgency,
            "slugline": slug[:_MAX_TITLE],
            "version": version[:80],
            "pubstatus": _PUBSTATUS.get(status.lower().removeprefix("stat:"), "usable"),
            "embargoed": iso_date(self.embargoed) if self.embargoed else "",
            "ednote": clean_text(self.ednote)[:4000] if self.ednote else "",
            "dateline": dateline[:_MAX_TITLE],
            "language": language_tag(self.language) if self.language else "",
            "guid": guid[:_MAX_TITLE],
            "subjects": tuple(subjects),
            "provider": provider[:120],
            "correction": bool(self.correction),
        }

    def article_marks(self) -> tuple[str, ...]:
        """The take designators, each through the one sanitiser."""
        return tuple(m for m in _clean_lines([as_text(m) for m in self.marks[:20]]) if m)


def _clean_lines(values: list[str]) -> list[str]:
    """`clean_line` of each value, in one pass: one scan of them all for what the sanitiser removes; only
    when that finds something does each value go through `clean_line` on its own. Clean text keeps
    clean_line's one-line form (white space runs as one space, ends stripped); empty fields cost nothing."""
    if not has_forbidden("\n".join(values)):
        return [" ".join(v.split()) if v else "" for v in values]
    return [clean_line(v) if v else "" for v in values]


def language_tag(value: str) -> str:
    """A BCP 47 tag from what an item states ("en-GB", "PT", "de_DE", "x-default" -> ""): "" when none."""
    return _language_tag_cached(value) if len(value) <= 64 else _language_tag(value)


def _language_tag(value: str) -> str:
    tag = clean_line(value).replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", tag):
        return ""
    first, *rest = tag.split("-")
    out = [first.lower()]
    for part in rest:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(out)


_language_tag_cached = lru_cache(maxsize=512)(_language_tag)
