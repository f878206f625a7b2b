"""IPTC 7901 wire copy (and dpa's variant): SOH header, keyword line, STX, headline to " =", text, ETX.

Layout (IPTC 7901, "Recommended Message Format for Exchange of Text between News Agencies and
Newspapers"): SOH; a header line of source id + sequence number, priority digit, category letters,
word count and optional text; optional keyword lines (the slug, ending in "/"); STX; the headline,
which dpa ends with " ="; the text, opening with a dateline ("Berlin (dpa) - "); the sign-off
("dpa ab xy") and the time line ("021530 Dec 20"); ETX, EOT. The framing controls are parsed here and
then removed by the one sanitiser in `make_article`; header, keyword, sign-off and time lines never
reach the text.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from triage.model import Article, ProblemKind
from triage.sources.base import Rejected, WireFields, make_article
from triage.sources.providers import provider_name
from triage.sources.readers.agency_copy import NOTEBOOK, designator_line, is_filler, notebook_note
from triage.sources.readers.framed import FramedReader
from triage.sources.readers.urgency import urgency_of
from triage.sources.readers.versions import TakeKey, advisory, take_key

__all__ = ["READER", "closing_time", "dateline_of", "ednote_split", "looks_like_7901", "read_7901"]

SOH, STX, ETX, EOT = "\x01", "\x02", "\x03", "\x04"
_HEADER = re.compile(r"^\s*([A-Za-z]{1,12})(\d{1,6})\s+(\d)\s+([A-Za-z]{1,3})\s+(\d{1,6})\b[ \t]*(.*)$")
_BARE_HEADER_B = re.compile(rb"^[a-z]{2,8}\d{2,6} \d [a-z]{1,3} \d{1,5}\b[^\r\n]*\r?\n")
_HEADER_B = re.compile(rb"^[\x16\x00\r\n ]*\x01\s*[A-Za-z]{1,12}\d{1,6}\s+\d\s+[A-Za-z]{1,3}\s+\d{1,6}\b")
_DATELINE = re.compile(
    r"^(?P<place>[^\W\d][\w .,'/-]{0,60}?)\s*\((?P<agency>[^()\n]{2,30})\)\s*(?:[-\u2013\u2014]+|_)\s*"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_MONTHS.update(
    {
        "mrz": 3,
        "mär": 3,
        "mai": 5,
        "okt": 10,
        "dez": 12,
        "avr": 4,
        "fév": 2,
        "déc": 12,
        "gen": 1,
        "ene": 1,
        "abr": 4,
        "ago": 8,
        "dic": 12,
        "set": 9,
        "out": 10,
        "mag": 5,
        "giu": 6,
        "lug": 7,
    }
)
# "021530 Dec 20", and dpa's "212322 GMT Nov 18" (day, hour, minute, zone, month, year).
_TIME_LINE = re.compile(
    r"^\s*(\d{2})(\d{2})(\d{2})\s+(?:GMT\s+|UTC\s+)?([^\W\d]{3,4})\.?\s+(\d{2}|\d{4})\s*$"
)
_SIGN_OFF = re.compile(r"^\s*[A-Za-z]{2,5}(?:/[A-Za-z]{2,5})*(?:\s+[a-z]{1,4}){1,4}\s*$")
_EDNOTE = re.compile(r"^\s*(?:notes?\s+to\s+editors?|eds?\s*:|editor'?s\s+note|hinweis\s+(?:an|für)\s+die\s+"
                     r"redaktion|anmerkung\s+(?:an\s+)?die\s+redaktion|the\s+following\s+information\s+is\s+not\s+"
                     r"(?:intended\s+)?for\s+publication|note\s+aux\s+rédactions)\b[\s:.-]*", re.IGNORECASE)


def looks_like_7901(head: bytes) -> bool:
    """True when bytes open with the SOH and a 7901 header line, or (the framing stripped by the
    receiving system) with a lower-case header line and a headline ending in " =" soon after."""
    if _HEADER_B.match(head[:400]) is not None:
        return True
    return _BARE_HEADER_B.match(head[:200]) is not None and re.search(rb" =\r?\n", head[:2000]) is not None


def dateline_of(paragraph: str) -> tuple[str, str]:
    """(dateline, agency) from a lead paragraph "Berlin (dpa) - ..." -> ("Berlin (dpa)", "dpa")."""
    m = _DATELINE.match(paragraph)
    if not m:
        return "", ""
    return f"{m.group('place').strip()} ({m.group('agency').strip()})", m.group("agency").strip()


def closing_time(line: str) -> str:
    """A 7901 time line "021530 Dec 20" (day, hour, minute, month, year; UTC) as ISO 8601, or ""."""
    m = _TIME_LINE.match(line)
    if not m:
        return ""
    day, hour, minute, mon, year = m.groups()
    month = _MONTHS.get(mon.lower()[:3]) or _MONTHS.get(mon.lower())
    if not month:
        return ""
    try:
        y = int(year) + (2000 if len(year) == 2 else 0)
        return datetime(y, month, int(day), int(hour), int(minute)).isoformat() + "Z"
    except ValueError:
        return ""


def ednote_split(paragraphs: list[str]) -> tuple[list[str], str]:
    """(story paragraphs, editors' note): a note paragraph and what follows it are the note."""
    for i, p in enumerate(paragraphs):
        if _EDNOTE.match(p) and (i > 0 or len(paragraphs) > 1):
            note = [_EDNOTE.sub("", p, count=1).strip(), *paragraphs[i + 1 :]]
            return paragraphs[:i], "\n\n".join(n for n in note if n)
    return paragraphs, ""


def _paras(lines: list[str]) -> list[str]:
    """Paragraphs from wire lines: a blank line or an indented line starts a new one."""
    out: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            out.append([])
        elif (line[:1] in (" ", "\t") or _EDNOTE.match(line)) and out[-1]:
            out.append([line.strip()])
        else:
            out[-1].append(line.strip())
    return [" ".join(p) for p in out if p]


def _strip_tail(lines: list[str]) -> tuple[list[str], str]:
    """Drop the closing lines (time line, sign-off, NNNN) at the end; return (lines, time as ISO)."""
    when = ""
    while lines and (
        not lines[-1].strip()
        or closing_time(lines[-1])
        or _SIGN_OFF.match(lines[-1])
        or lines[-1].strip() in ("NNNN", "=", "ENDS", "Ende")
    ):
        when = when or closing_time(lines[-1])
        lines = lines[:-1]
    return lines, when


def read_7901(text: str, path: Path, source: str) -> list[Article]:
    """One 7901 message (the first one when a file holds several)."""
    start = text.find(SOH)
    stx = text.find(STX, start + 1)
    if start < 0 and stx < 0:  # framing stripped: the keyword lines end with "/", then the text starts
        lines = text.split("\n")
        n = 1 + next((i for i, ln in enumerate(lines[1:6]) if not ln.rstrip().endswith("/")), 0)
        start, stx = -1, len("\n".join(lines[:n]))
    elif start < 0 or stx < 0:
        raise Rejected("looks like IPTC 7901 wire copy but has no start of text (STX): nothing to read")
    head_lines = [ln for ln in text[start + 1 : stx].replace("\r", "").split("\n") if ln.strip()]
    m = _HEADER.match(head_lines[0]) if head_lines else None
    if not m:
        raise Rejected("looks like IPTC 7901 wire copy but its header line is not readable")
    sid, seq, prio, category, _words, rest = m.groups()
    end = text.find(ETX, stx)
    body = text[stx + 1 : end if end >= 0 else len(text)]
    after = text[end + 1 :] if end >= 0 else ""
    lines, when = _strip_tail(body.replace("\r", "").split("\n"))
    when = when or next((t for ln in after.split("\n") if (t := closing_time(ln.strip(SOH + EOT)))), "")
    keyword = " ".join(ln.strip() for ln in head_lines[1:]).strip().rstrip("/").strip()
    h_end = next(
        (i for i, ln in enumerate(lines[:8]) if ln.rstrip().endswith(" =") or ln.rstrip() == "="), -1
    )
    if h_end < 0:
        h_end = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
    head = [ln.strip().removesuffix("=").strip() for ln in lines[: h_end + 1] if ln.strip()]
    marks: list[str] = []
    while len(head) > 1 and (found := designator_line(head[0])):  # "REFILE" / "1ST LEAD" above the headline
        marks.extend(found)
        head.pop(0)
    byline = head.pop()[3:].strip() if len(head) > 1 and head[-1].startswith("By ") else ""
    title = " ".join(h for h in head if h)
    body_lines = lines[h_end + 1 :]
    notebook = next((i for i, ln in enumerate(body_lines) if NOTEBOOK.match(ln.strip())), -1)
    book_note, book_marks = notebook_note(body_lines[notebook + 1 :]) if notebook >= 0 else ("", [])
    paras, note = ednote_split(_paras(body_lines[:notebook] if notebook >= 0 else body_lines))
    if is_filler(title, "\n".join(paras)):
        raise Rejected("is the agency's copyright filler (Impressum), not a story: skipped",
                       ProblemKind.NOT_A_STORY)
    w = WireFields(urgency=urgency_of(prio, "7901"), ednote=book_note or note)
    w.marks = [*marks, *book_marks]
    w.author = byline.split(",")[0].strip() if byline else ""
    w.dateline, agency = dateline_of(paras[0]) if paras else ("", "")
    # The one name of the agency, by its dateline or its source id: a kill with no "(dpa)" dateline
    # ("eca") then has the same identity as the story it kills.
    w.provider = provider_name(agency or sid)
    # A version marker closes the keyword line in parentheses: "(1. Neufassung)", "(Berichtigung)".
    marker = re.search(r"\(([^()]*)\)\s*$", keyword)
    key = take_key(marker.group(1)) if marker else TakeKey()
    if marker and (key.lead or key.add or key.correction or key.kill or key.writethru or key.withhold):
        w.version = marker.group(1).strip()
        keyword = keyword[: marker.start()].strip().rstrip("/").strip()
    signals = [key, advisory(keyword), advisory(title), advisory(note)]
    w.slugline = keyword
    w.guid = f"{sid}{seq}"
    w.correction = any(s.correction for s in signals)
    if any(s.kill for s in signals):
        w.pubstatus = "canceled"
    elif any(s.withhold for s in signals):
        w.pubstatus = "withheld"
    if keyword:  # the keyword line is the story (7901 states no story date: the time line is when the
        # take was sent, and a lead, correction or kill sent after midnight is still the same story)
        w.identity = f"7901:{w.provider.lower()}:{keyword.lower()}"
    w.subjects = [(f"7901-category:{category.lower()}", "")]
    return [
        make_article(title=title, text="\n\n".join(paras), path=path, source=source, published=when, wire=w)
    ]


READER = FramedReader("7901", looks_like_7901, re.compile(r"\x01"), read_7901)
