"""ANPA-1312 wire copy (AP's): SYN SYN SOH + sequence, the selector line (priority and category
letters, slug keyword, take key, date, word count), STX, "^" header lines (slug line, headline,
"Eds:" notes, byline), tab-indented text, ETX and the closing line ("AP-NY-12-02-26 0412GMT").

The take key ("1stLd-Writethru", "Correction", "Kill") is the version; the slug keyword + the date is
the identity. Header lines and the closing line never reach the text.
"""

from __future__ import annotations

import re
from pathlib import Path

from triage.model import Article, ProblemKind
from triage.sources.base import Rejected, WireFields, make_article
from triage.sources.readers.framed import FramedReader
from triage.sources.readers.iptc7901 import dateline_of, ednote_split
from triage.sources.readers.urgency import urgency_of
from triage.sources.readers.versions import advisory, take_key

__all__ = ["READER", "looks_like_anpa", "read_anpa"]

_START = re.compile(rb"^[\r\n ]*\x16*\x01[A-Za-z]\d{4}\x1f")
_SELECTOR = re.compile(r"^\s*([A-Za-z])\s([A-Za-z])[\x13\x14]?[\x11\x12]?\s+(?P<slug>\S+)(?P<rest>.*?)\s*$")
# A run of spaces is tried from its start only ((?<!\s)), so a search over one is linear.
_TAIL = re.compile(r"(?<!\s)\s++(?P<date>\d{1,2}-\d{1,2})(?:\s+(?P<words>\d{1,5}))?\s*$")
_CYCLE = re.compile(r"^(?:bc|am|pm|ap|ab|ad|dc)-", re.IGNORECASE)
_CLOSING = re.compile(
    r"^\s*(?P<agency>[A-Z]{2,5})-(?P<desk>[A-Z]{2,4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<y>\d{2,4})\s+"
    r"(?P<hh>\d{2})(?P<mm>\d{2})\s*(?:GMT|UTC|EST|EDT)?"
)
_ALERTS = {"FLASH", "BULLETIN", "URGENT", "APNEWSALERT", "AP NEWS ALERT", "BC-APNEWSALERT", "END", "(END)",
           "MORE",
           "ENDIT", "ENDS"}
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
# "Associated Press Writer", "AP Business Correspondent": the agency, then the writer's role after it
# (two searches, not one pattern with ".*" between them, which is quadratic on "ap ap ap ...").
_WRITER_AGENCY = re.compile(r"\b(?:associated press|ap)\b", re.IGNORECASE)
_WRITER_ROLE = re.compile(r"\b(?:writer|correspondent|reporter|editor)s?\b", re.IGNORECASE)


def _is_writer_line(line: str) -> bool:
    agency = _WRITER_AGENCY.search(line)
    return agency is not None and _WRITER_ROLE.search(line, agency.end()) is not None


# The keyword (slug) line that opens the header: "BC-LT--Argentina-Cancer Beauty,466",
# "BC-US--Giant Lobster Death, 1st Ld-Writethru,127", "*9006< ^AP-Top-Entertainment-Headlines,0176". It is
# the story's keyword and take key, never its headline.
_KEYWORD_LINE = re.compile(r"^(?:\*\d{1,6}<\s*\^?)?(?:bc|am|pm|ap|ab|ad|dc)-\S", re.IGNORECASE)


def _is_keyword_line(line: str, slug: str) -> bool:
    squeezed = re.sub(r"\s+", "", line).lower()
    return bool(_KEYWORD_LINE.match(line)) or squeezed.startswith(re.sub(r"\s+", "", slug).lower())


def looks_like_anpa(head: bytes) -> bool:
    """True when bytes open with ANPA-1312 framing (SYN SYN SOH, a letter and four digits, US)."""
    return _START.match(head[:64]) is not None


def _header_line(line: str) -> str:
    return line.strip().lstrip("^").rstrip("<").rstrip().rstrip("=").strip()


def _name(text: str) -> str:
    name = _BY.sub("", text).strip(" ,")
    return name.title() if name.isupper() else name


def read_anpa(text: str, path: Path, source: str) -> list[Article]:
    """One ANPA-1312 take."""
    stx = text.find("\x02")
    if stx < 0:
        raise Rejected("looks like ANPA-1312 wire copy but has no start of text (STX): nothing to read")
    lines = text[:stx].replace("\r", "").split("\n")
    seq_m = re.search(r"\x01([A-Za-z])(\d{4})\x1f", text[:64])
    selector = next(
        (m for ln in lines[1:] + [lines[0].split("\x1f", 1)[-1]] if (m := _SELECTOR.match(ln))), None
    )
    if selector is None:
        raise Rejected(
            "looks like ANPA-1312 wire copy but its selector line (priority, category, slug) is not readable"
        )
    w = WireFields(urgency=urgency_of(selector.group(1), "anpa"))
    rest = selector.group("rest")
    tail = _TAIL.search(rest)
    date = tail.group("date") if tail else ""
    keyword = _CYCLE.sub("", selector.group("slug"))
    take = (rest[: tail.start()] if tail else rest).strip()
    etx = text.find("\x03", stx)
    body = text[stx + 1 : etx if etx >= 0 else len(text)].replace("\r", "")
    after = text[etx + 1 :] if etx >= 0 else ""
    header: list[str] = []
    paras: list[str] = []
    for line in body.split("\n"):
        if line.startswith("^"):
            header.append(_header_line(line))
        elif line.startswith("\t") or line.startswith("   "):
            paras.append(" ".join(line.split()))
        elif line.strip() and paras:
            paras[-1] += " " + " ".join(line.split())
        elif line.strip():
            paras.append(" ".join(line.split()))
    slug_line = next((h for h in header if _is_keyword_line(h, selector.group("slug"))), "")
    notes: list[str] = []
    title = author = ""
    for h in header:
        if h == slug_line or not h:
            continue
        if re.match(r"^eds?\s*:", h, re.IGNORECASE) or (notes and not title and not _BY.match(h)):
            notes.append(re.sub(r"^eds?\s*:\s*", "", h, flags=re.IGNORECASE))
        elif _BY.match(h):
            author = author or _name(h)
        elif _is_writer_line(h) or h.upper() in _ALERTS:
            continue
        elif not title and not _is_keyword_line(h, selector.group("slug")):
            title = h
    if slug_line and not take:
        parts = [p.strip() for p in slug_line.split(",")]
        take = next((p for p in parts[1:] if not p.isdigit()), "")
    paras, note = ednote_split(paras)
    key = take_key(take)
    signals = [advisory(t) for t in (title, *notes)]
    kill = key.kill or any(s.kill for s in signals)
    w.version = take
    w.slugline = keyword
    w.ednote = "\n\n".join([*notes, note] if note else notes)
    w.author = author
    w.dateline, agency = dateline_of(paras[0]) if paras else ("", "")
    closing = next(
        (m for ln in (after + "\n" + body).split("\n") if (m := _CLOSING.match(ln.strip("\x04")))), None
    )
    w.provider = closing.group("agency") if closing else agency
    published = ""
    if closing:
        y = closing.group("y")
        year = int(y) + (2000 if len(y) == 2 else 0)
        day = f"{year:04d}-{closing.group('m')}-{closing.group('d')}"
        published = f"{day}T{closing.group('hh')}:{closing.group('mm')}:00Z"
    w.correction = key.correction or any(s.correction for s in signals)
    withhold = key.withhold or any(s.withhold for s in signals)
    w.pubstatus = "canceled" if kill else "withheld" if withhold else "usable"
    w.guid = f"{seq_m.group(1)}{seq_m.group(2)}" if seq_m else ""
    w.identity = f"anpa:{w.provider.lower()}:{keyword.lower()}:{date}"
    w.subjects = [(f"anpa-category:{selector.group(2).lower()}", "")]
    if not title and not paras:
        raise Rejected("is ANPA-1312 wire copy with neither a headline nor text", ProblemKind.NOT_A_STORY)
    return [
        make_article(
            title=title,  # never the keyword: with no headline line, the text's first sentence is it
            text="\n\n".join(paras),
            path=path,
            source=source,
            published=published,
            wire=w,
        )
    ]


READER = FramedReader("anpa", looks_like_anpa, re.compile(r"\x16*\x01[A-Za-z]\d{4}\x1f"), read_anpa)
