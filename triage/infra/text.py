"""Cleaning of untrusted text, in one place: control characters, terminal escapes, bidi tricks, wire
furniture.

Every string that comes from outside (files, feeds, mail, JSON) goes through `clean_text` (bodies) or
`clean_line` (titles, sources, authors, urls) before it reaches an Article, so the TUI can show it
without a terminal escape or an invisible override taking effect. `is_furniture` recognises wire-copy
paragraphs that are not story text (crossheads, syndication disclaimers, bylines, datelines); the
sources drop them from plain-text wire copy and the analysis keeps them out of summaries.
"""

from __future__ import annotations

import re
import unicodedata

from triage.infra.sanitize import sanitize

__all__ = ["byline_author", "clean_line", "clean_text", "dateline_date", "is_furniture", "normalise_title"]

# Tabs and the other spaces become plain spaces in article text; what a terminal could act on is
# removed by the one sanitiser (triage.infra.sanitize), which also turns CR, VT, FF and U+2028/9 into
# newlines.
_SPACES_RE = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_EDGE_SPACES = re.compile(r" *\n *")  # spaces at either end of a line
_SPACE_RUNS = re.compile(r" {2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_NOT_ALNUM = re.compile(r"[\W_]+")  # `\w` is alphanumeric or "_": this is what str.isalnum() refuses


def _strip(s: str) -> str:
    s = sanitize(s)
    if s.isascii():  # the only ASCII character _SPACES_RE names is the tab
        return s.replace("\t", " ") if "\t" in s else s
    return _SPACES_RE.sub(" ", s)


def clean_text(s: str) -> str:
    """Clean a body text: no controls or escape sequences, `\\n` newlines, paragraphs split by one blank line.

    Lines are right-stripped and runs of spaces collapsed; three or more newlines become two;
    the result has no leading or trailing blank lines.
    """
    s = _strip(s)
    # Each pass runs only when the text holds what it changes (substring tests are C-speed scans).
    if " \n" in s or "\n " in s:
        s = _EDGE_SPACES.sub("\n", s)
    if "  " in s:
        s = _SPACE_RUNS.sub(" ", s)
    if "\n\n\n" in s:
        s = _BLANK_RUNS.sub("\n\n", s)
    return s.strip()


def clean_line(s: str) -> str:
    """Clean a one-line field (title, source, author, url): like clean_text, newlines become spaces."""
    return sanitize(s, one_line=True)


def normalise_title(title: str) -> str:
    """A title reduced for identity: NFKC, case-folded, punctuation and spacing ignored."""
    s = clean_line(title)
    if not s.isascii():  # NFKC leaves ASCII as it is
        s = unicodedata.normalize("NFKC", s)
    return " ".join(_NOT_ALNUM.sub(" ", s.casefold()).split())


# --- wire furniture -------------------------------------------------------------------------------

_DASHES = "\u2013\u2014\u2012\u2015-"
# AFP-style crosshead: a short line between dashes, e.g. "– adding “vote” –" or "- Protests -".
_CROSSHEAD = re.compile(rf"^[{_DASHES}]\s*(?P<body>[^\n]{{1,90}}?)\s*[{_DASHES}]$")
# Disclaimers and credits: whole-paragraph patterns (matched at the start), and phrases found anywhere.
_DISCLAIMERS = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            r"^\(?\s*(except for the headline,?\s*)?this (story|article|report) "
            r"(has not been|was not|hasn't been) edited by .{0,80}staff",
            r"^\(?\s*this (story|article) (is|was) (auto-?generated|published) from a syndicated",
            r"^(copyright|\(c\)|©)\s*(\d{4}\s*)?.{0,80}all rights reserved\.?\)?$",
            r"^this material may not be published, broadcast, rewritten,? or redistributed",
            r"^\(?\s*reporting by [^.]{2,200}(;|\s)\s*(additional reporting|editing|writing) by .{2,200}\)?$",
            r"^\(?\s*(editing|writing|compiled) by [^()]{2,160}\)?$",
            r"^[©(]?\s*(c\)\s*)?(agence france-presse|afp|associated press|reuters)( \d{4})?\)?\.?$",
            r"^[-–—]*\s*(afp|ap|reuters)\s*[-–—]*$",
            r"^-?\s*end\s*-?$",
            r"^\d{1,3}\s+min(ute)?s?\s+read$",
            r"^(click here|subscribe|sign up) (to|for) .{0,80}(newsletter|updates)",
        )
    ),
    re.IGNORECASE,
)
_DISCLAIMER_PHRASES = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            r"(published|auto-generated|generated) (from|on|via) a syndicated (feed|channel)",
        )
    ),
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|BY)\s+(?P<name>[A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]+|de|van|von|der|al|bin|and|&)){0,5})"
    r"(?:\s*(?:,|\||-|–|—)\s*(?:[A-Z][\w .&'’-]{0,60}))?\.?$"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATELINE = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?(?:(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}),?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH}),?\s+(?P<y2>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))"
    r"(?:[ ,T]+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}|[+-]\d{2}:?\d{2}|Z)?)?\.?$",
    re.IGNORECASE,
)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def byline_author(paragraph: str) -> str:
    """The name in a byline paragraph ("By Jane Doe, Reuters" -> "Jane Doe"), else ""."""
    m = _BYLINE.match(paragraph.strip())
    return m.group("name").strip() if m else ""


def dateline_date(paragraph: str) -> str:
    """The ISO date of a paragraph that is only a date ("Friday, January 4, 2019"), else ""."""
    m = _DATELINE.match(paragraph.strip())
    if not m:
        return ""
    if m.group("iso"):
        return m.group("iso")
    month = (m.group("m1") or m.group("m2") or "")[:3].lower()
    day = int(m.group("d1") or m.group("d2"))
    year = int(m.group("y1") or m.group("y2"))
    if month not in _MONTHS or not 1 <= day <= 31:
        return ""
    return f"{year:04d}-{_MONTHS[month]:02d}-{day:02d}"


def is_furniture(paragraph: str) -> bool:
    """True for a wire-copy paragraph that is not story text: crosshead, syndication disclaimer,
    byline, dateline-only line, agency credit."""
    p = " ".join(paragraph.split())
    if not p or len(p) > 400:
        return False
    if p[0] in _DASHES:
        m = _CROSSHEAD.match(p)
        if m and not re.search(r"[.!?]\s+\S", m.group("body")):
            return True
    if _DISCLAIMERS.match(p) or ("syndicated" in p.lower() and _DISCLAIMER_PHRASES.search(p)):
        return True
    return bool(len(p) <= 80 and (byline_author(p) or dateline_date(p)))
