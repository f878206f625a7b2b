"""Pick a reader for one file by content, then extension, and read it without ever raising.

`read_file` is the one door for a single file: size cap, permissions, binary and encoding checks,
then the reader for its kind. Wire formats are told by content whatever the file is called (ANPA-1312
and IPTC 7901 by their framing, NewsML-G2 / NewsML 1 / NITF by the root element, ninjs by its keys,
an RFC 822 message by its header block); other files by extension, then content. Every failure becomes
a Problem naming the file and the reason.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import stat
from pathlib import Path
from typing import Any

from triage.model import Article, Problem
from triage.sources.base import Rejected, WireFields, clean_problems, make_article

__all__ = ["KNOWN_EXTENSIONS", "SPOOL_STATE_SUFFIX", "SPOOL_SUFFIX", "read_file", "source_name"]

log = logging.getLogger(__name__)
# A library logger: with no handler configured anywhere (`triage ingest` in a script), Python's
# last-resort handler would print a reader's traceback onto the terminal. The NullHandler stops that;
# an application that configures logging (the TUI's log file) still receives every record.
log.addHandler(logging.NullHandler())

SPOOL_SUFFIX = ".spool.jsonl"  # feed spool files written by triage.sources.fetch
SPOOL_STATE_SUFFIX = ".spool-state.json"  # their fetch state (ETag ...): never an article

_TEXT = {".txt", ".text", ".wire"}
_MARKDOWN = {".md", ".markdown", ".mdown"}
_HTML = {".html", ".htm", ".xhtml"}
_FEED = {".xml", ".rss", ".atom", ".rdf"}
_JSON = {".json"}
_JSONL = {".jsonl", ".ndjson"}
_EML = {".eml"}
_MBOX = {".mbox", ".mbx"}
KNOWN_EXTENSIONS = _TEXT | _MARKDOWN | _HTML | _FEED | _JSON | _JSONL | _EML | _MBOX


def source_name(path: Path) -> str:
    """The default source of a file: the name of the folder it is in."""
    return path.parent.name or "inbox"


def _rejected(exc: OSError) -> Rejected:
    """The plain reason for an OS error met while statting or opening a file."""
    if isinstance(exc, FileNotFoundError):
        return Rejected("does not exist (or is a broken symbolic link)")
    if isinstance(exc, PermissionError):
        return Rejected("cannot be read: permission denied")
    if isinstance(exc, IsADirectoryError):
        return Rejected("is a folder, not a file")
    if exc.errno == errno.ELOOP:
        return Rejected("is a symbolic link loop")
    return Rejected(f"cannot be read ({exc.strerror or exc})")


def _read_bytes(path: Path, max_file_bytes: int) -> bytes:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _rejected(exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise Rejected("is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise Rejected("is not a regular file (device, socket or pipe): skipped")
    if max_file_bytes and st.st_size > max_file_bytes:
        raise Rejected(f"is {st.st_size:,} bytes, over the {max_file_bytes:,}-byte limit: skipped")
    if st.st_size == 0:
        raise Rejected("is empty")
    from triage.infra.private import NotRegular, read_regular

    try:  # one non-blocking descriptor, checked with fstat: a FIFO or device swapped in now cannot block
        data = read_regular(path, max_file_bytes)
    except NotRegular:
        raise Rejected("is not a regular file (device, socket or pipe): skipped") from None
    except OSError as exc:
        raise _rejected(exc) from None
    if max_file_bytes and len(data) > max_file_bytes:
        raise Rejected(f"grew over the {max_file_bytes:,}-byte limit while being read: skipped")
    if not data.strip():
        raise Rejected("is empty" if not data else "holds only white space")
    return data


# Roots other formats use too (an OASIS XML catalog): NewsML-G2 only in the G2 namespace, then skipped.
_G2_IN_NAMESPACE = {"catalog"}


def _wire_kind(data: bytes) -> str:
    """A wire format told by content alone, whatever the file is called ("" when none)."""
    from triage.sources.readers.anpa import looks_like_anpa
    from triage.sources.readers.iptc7901 import looks_like_7901
    from triage.sources.readers.mail import looks_like_message
    from triage.sources.readers.wirexml import WIRE_ROOTS, root_name

    head = data[:8192]
    if looks_like_anpa(head):
        return "anpa"
    if looks_like_7901(head):
        return "7901"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"<" or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        root = root_name(head)
        if root in _G2_IN_NAMESPACE and b"iptc.org/std/nar/" in head:
            return "newsml-g2"
        return WIRE_ROOTS.get(root, "")
    if stripped[:1] in (b"{", b"[") and re.search(rb'"(uri|\$schema|\$standard)"\s*:', data[:200_000]):
        return "ninjs?"
    if looks_like_message(head):
        return "eml"
    return ""


def _kind(path: Path, data: bytes) -> str:
    from triage.sources.readers.feedfile import looks_like_feed
    from triage.sources.readers.mail import looks_like_mbox

    name = path.name.lower()
    if name.endswith(SPOOL_SUFFIX):
        return "spool"
    ext = path.suffix.lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    wire = _wire_kind(data) if ext not in _EML | _MBOX else ""
    if wire == "ninjs?":
        wire = "" if ext in _JSONL else "json"
    if wire:
        return wire
    if ext in _FEED:
        return "feed"
    if ext in _JSON:
        return "json"
    if ext in _JSONL:
        return "jsonl"
    if ext in _EML:
        return "eml"
    if ext in _MBOX:
        return "mbox"
    if ext in _HTML:
        return "html"
    if ext in _MARKDOWN:
        return "markdown"
    # .txt or unknown: look at the content.
    if looks_like_feed(head):
        return "feed"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if looks_like_mbox(data[:4096]):
        return "mbox"
    if ext in _TEXT:
        return "text"
    return ""


def _dispatch(path: Path, data: bytes, problems: list[Problem]) -> list[Article]:
    from triage.sources.decode import decode_bytes, looks_binary

    kind = _kind(path, data)
    source = source_name(path)
    if kind == "":
        if looks_binary(data):
            raise Rejected(
                f"is a binary file of an unsupported type ({path.suffix or 'no extension'}): skipped"
            )
        raise Rejected(f"has an unsupported file type ({path.suffix or 'no extension'}): skipped")
    if kind == "feed":
        from triage.sources.readers.feedfile import is_binary_not_feed, read_feed_file

        # A text feed with a few NUL or other control bytes is not binary (its controls are removed).
        if is_binary_not_feed(data):
            raise Rejected("is a binary file, not an RSS or Atom feed")
        return read_feed_file(data, path, source, problems)
    if kind in _WIRE_XML:
        return _read_wire_xml(kind, data, path, source, problems)
    if kind in ("anpa", "7901"):
        from triage.sources.readers.anpa import read_anpa
        from triage.sources.readers.iptc7901 import read_7901

        # The framing controls (SOH, STX, ETX, SYN, US, DC1-DC4) are the format, not a sign of binary data:
        # the encoding is found without them, then the whole take is decoded with it.
        _text, enc = decode_bytes(data.translate(_FRAMING_AS_SPACE), "")
        reader = read_anpa if kind == "anpa" else read_7901
        return _read_framed(reader, kind, data.decode(enc, "replace"), path, source, problems)
    if kind == "eml":
        from triage.sources.readers.mail import read_eml

        if looks_binary(data):
            raise Rejected("is a binary file, not an e-mail message")
        return read_eml(data, path, source)
    if kind == "mbox":
        from triage.sources.readers.mail import read_mbox

        if looks_binary(data):
            raise Rejected("is a binary file, not a mailbox")
        return read_mbox(data, path, source, problems)
    text, _enc = decode_bytes(data, _declared_charset(data) if kind == "html" else "")
    if kind == "text":
        from triage.sources.readers.plaintext import read_wire_text

        return read_wire_text(text, path, source)
    if kind == "markdown":
        from triage.sources.readers.plaintext import read_markdown

        return read_markdown(text, path, source)
    if kind == "html":
        from triage.sources.readers.html import read_html

        return read_html(text, path, source, problems)
    if kind == "json":
        from triage.sources.readers.jsonfiles import loads, read_json
        from triage.sources.readers.ninjs import looks_like_ninjs, read_ninjs

        if text.lstrip().startswith(("{", "[")):
            try:
                obj = loads(text)
            except Rejected:
                obj = None
            if looks_like_ninjs(obj):
                return read_ninjs(obj, path, source, problems)
        return read_json(text, path, source, problems)
    if kind == "jsonl":
        from triage.sources.readers.jsonfiles import read_jsonl

        return read_jsonl(text, path, source, problems)
    if kind == "spool":
        return _read_spool(text, path, problems)
    raise Rejected("has an unsupported file type")  # pragma: no cover


_MESSAGE_START = {"anpa": re.compile(r"\x16*\x01[A-Za-z]\d{4}\x1f"), "7901": re.compile(r"\x01")}


def _read_framed(
    reader, kind: str, text: str, path: Path, source: str, problems: list[Problem]
) -> list[Article]:
    """ANPA-1312 or IPTC 7901 copy: each message in the file (a capture of the line can hold several,
    each opened by SOH). A message whose text starts (STX) but never ends (ETX) may be cut off: it is
    read as far as it goes, and a problem line says so. A file of one message that cannot be read is
    one plain line; in a file of several, each unreadable message is one line."""
    starts = [m.start() for m in _MESSAGE_START[kind].finditer(text)]
    bounds = [0, *starts[1:], len(text)]
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]
    several = len(chunks) > 1
    articles: list[Article] = []
    failed: list[str] = []
    for n, chunk in enumerate(chunks, start=1):
        label = f"message {n} of {len(chunks)}: " if several else ""
        try:
            got = reader(chunk, path, source)
        except Rejected as exc:
            if not several:
                raise
            failed.append(f"{label}{exc}")
            continue
        stx = chunk.find("\x02")
        if stx >= 0 and chunk.find("\x03", stx) < 0:
            problems.append(Problem(str(path), f"{label}has no end of text (ETX), so it may be cut off: "
                                               "read as far as it goes"))
        articles.extend(got)
    if not articles and failed:
        raise Rejected(f"holds {len(chunks)} wire messages and none can be read ({failed[0]})")
    problems.extend(Problem(str(path), reason) for reason in failed)
    return articles


_FRAMING_AS_SPACE = bytes.maketrans(bytes([1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x16, 0x1F]), b" " * 10)
_WIRE_XML = {"newsml-g2": "NewsML-G2", "newsml1": "NewsML 1", "nitf": "NITF", "ritzau": "Ritzau"}


def _read_wire_xml(kind: str, data: bytes, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """NewsML-G2, NewsML 1, NITF or Ritzau's XML: decoded (declared charset after strict UTF-8), parsed
    safely, read."""
    from triage.sources.decode import decode_bytes
    from triage.sources.readers.wirexml import parse_wire_xml

    m = re.match(rb"""\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", data.lstrip(b"\xef\xbb\xbf"))
    text, _enc = decode_bytes(data, m.group(1).decode("ascii") if m else "")
    root, problem = parse_wire_xml(text)
    if kind == "newsml-g2":
        from triage.sources.readers.newsmlg2 import read_newsml_g2 as read
    elif kind == "newsml1":
        from triage.sources.readers.newsml1 import read_newsml1 as read
    elif kind == "ritzau":
        from triage.sources.readers.ritzau import read_ritzau as read
    else:
        from triage.sources.readers.nitf import read_nitf as read
    found: list[Problem] = []
    try:
        articles = read(root, path, source, found)
    except Rejected:
        if not problem:
            raise
        articles = []
    if problem and not articles:  # broken, and nothing recovered: the breakage is the one thing to say
        broken = problem.removesuffix(": read what could be recovered")
        raise Rejected(f"{broken}: nothing could be recovered")
    problems.extend([Problem(str(path), problem)] if problem else [])
    problems.extend(found)
    return articles


def _declared_charset(data: bytes) -> str:
    m = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", data[:8192], re.IGNORECASE)
    return m.group(1).decode("ascii", "ignore") if m else ""


def _spooled_wire(obj: dict[str, Any]) -> WireFields:
    """The wire fields of a spooled Article (written with dataclasses.asdict); wrong types are dropped."""

    def text(key: str) -> str:
        value = obj.get(key)
        return value if isinstance(value, str) else ""

    urgency = obj.get("urgency")
    subjects = obj.get("subjects")
    pairs = (
        [
            (str(p[0]), str(p[1]))
            for p in subjects
            if isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        ]
        if isinstance(subjects, list)
        else []
    )
    return WireFields(
        urgency=urgency if type(urgency) is int else None,
        slugline=text("slugline"),
        version=text("version"),
        pubstatus=text("pubstatus"),
        embargoed=text("embargoed"),
        ednote=text("ednote"),
        dateline=text("dateline"),
        language=text("language"),
        guid=text("guid"),
        subjects=pairs,
        provider=text("provider"),
        correction=obj.get("correction") is True,
    )


def _read_spool(text: str, path: Path, problems: list[Problem]) -> list[Article]:
    """A feed spool file: one stored Article a line (ids and received times kept)."""
    out: list[Article] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            problems.append(Problem(f"{path}:{n}", f"spool line {n} is damaged: skipped"))
            continue
        art = make_article(
            title=obj.get("title"),
            text=obj.get("text"),
            path=obj.get("path") or str(path),
            source=obj.get("source"),
            url=obj.get("url"),
            published=obj.get("published") or "",
            author=obj.get("author"),
            received=obj.get("received") if isinstance(obj.get("received"), str) else "",
            article_id=obj["id"],
            wire=_spooled_wire(obj),
        )
        out.append(art)
    return out


def read_file(
    path: str | os.PathLike[str], *, max_file_bytes: int = 5_000_000, **_opts: Any
) -> tuple[list[Article], list[Problem]]:
    """Read one file of any supported kind: (articles, problems). Never raises for bad input."""
    p = Path(path)
    problems: list[Problem] = []
    try:
        data = _read_bytes(p, max_file_bytes)
        articles = _dispatch(p, data, problems)
    except Rejected as exc:
        return [], clean_problems(problems + [Problem(str(p), str(exc))])
    except RecursionError:
        return [], clean_problems(problems + [Problem(str(p), "is nested too deeply to read")])
    except MemoryError:
        return [], clean_problems(problems + [Problem(str(p), "needs too much memory to read")])
    except Exception as exc:
        log.exception("reading %s", p)
        return [], clean_problems(
            problems + [Problem(str(p), f"could not be read ({type(exc).__name__}: {str(exc)[:120]})")]
        )
    if not articles and not problems:
        problems.append(Problem(str(p), "holds no articles"))
    return articles, clean_problems(problems)
