"""Which of two versions of one story is newer, from what the agency says (never from arrival order).

`version_rank(article)` is the one ordering the catalog uses: a greater tuple is a newer version.
`take_key(text)` reads an ANPA take key or a 7901 keyword-line marker ("1stLd-Writethru", "2ndLd",
"Correction", "Kill", "2. Neufassung", "Berichtigung") that the readers and the rank share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.model import Article

__all__ = ["TakeKey", "advisory", "take_key", "version_number", "version_rank"]

_I = re.IGNORECASE
_ORDINAL = re.compile(r"\b(\d{1,2})\s*(?:st|nd|rd|th|\.)?\s*-?\s*"
                      r"(ld|lead|neufassung|zusammenfassung|fassung|version|new)\b", _I)
_ADD = re.compile(r"\b(\d{1,2})?\s*(?:st|nd|rd|th)?\s*-?\s*add\b", _I)
_WRITETHRU = re.compile(r"writethru|write-thru|writethrough|neufassung", _I)
_CORRECTION = re.compile(r"\b(correct(?:ed|ion|s)?|corrective|berichtigung|korrektur|rectification|"
                         r"rectificatif)\b", _I)
_KILL = re.compile(r"\b(kill|mandatory\s+kill|elimination|eliminate|withdrawn|withdrawal|withdraw|annulation|"
                   r"sperrvermerk|story\s+killed)\b", _I)
_WITHHOLD = re.compile(r"\b(withhold|withheld|hold\s+for\s+release|sperrfrist\s+beachten)\b", _I)
# A numbered version of any length: "3", "1542761538", "v2", "1.10", "2:3" (each part compared as a number).
_NUMERIC = re.compile(r"^\s*v?(\d+(?:[.:]\d+)*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TakeKey:
    """What a take key or keyword-line marker says: lead number, writethru, add number, correction, kill."""

    lead: int = 0
    writethru: bool = False
    add: int = 0
    correction: bool = False
    kill: bool = False
    withhold: bool = False


def take_key(text: str) -> TakeKey:
    """Read a take key: "1stLd-Writethru" -> lead 1 + writethru; "2ndAdd" -> add 2; "Kill" -> kill."""
    text = text or ""
    lead = next((int(m.group(1)) for m in _ORDINAL.finditer(text)), 0)
    if not lead and re.search(r"\blead\b|\bld\b", text, re.IGNORECASE):
        lead = 1
    m = _ADD.search(text)
    add = (int(m.group(1)) if m.group(1) else 1) if m else 0
    return TakeKey(
        lead=lead,
        writethru=bool(_WRITETHRU.search(text)),
        add=add,
        correction=bool(_CORRECTION.search(text)),
        kill=bool(_KILL.search(text)),
        withhold=bool(_WITHHOLD.search(text)),
    )


# In running text (a headline, an editors' note, a keyword line) only what agencies write as a signal counts:
# the word in capitals ("KILL", "CORRECTED", "WITHDRAWN") or an explicit phrase. "Police kill suspect" and
# "rebels withdraw" are stories, not kills.
_KILL_CAPS = re.compile(
    r"\b(?:MANDATORY KILL|KILL|KILLED|ELIMINATION|ELIMINATE|WITHDRAWN|WITHDRAWAL|STORNO|"
    r"ANNULATION)\b"
)
_KILL_PHRASE = re.compile(
    r"\b(?:kill|eliminate|withdraw)\s+(?:this|the)\s+(?:story|item|report|dispatch)\b|"
    r"\b(?:story|item|report|dispatch|meldung)\s+(?:is|has\s+been|was|wird)\s+"
    r"(?:killed|withdrawn|eliminated|zurückgezogen)\b",
    re.IGNORECASE,
)
_CORRECTION_CAPS = re.compile(
    r"\b(?:CORRECTED|CORRECTION|CORRECTS|CORRECTIVE|BERICHTIGUNG|KORREKTUR|"
    r"RECTIFICATIF)\b|^\s*(?:Correction|Corrected|Berichtigung|Korrektur)\b"
)
_WITHHOLD_CAPS = re.compile(r"\b(?:WITHHOLD|WITHHELD|HOLD FOR RELEASE)\b")


def advisory(text: str) -> TakeKey:
    """What a headline, editors' note or keyword line signals: kill, withhold or correction (strictly)."""
    text = text or ""
    return TakeKey(
        kill=bool(_KILL_CAPS.search(text) or _KILL_PHRASE.search(text)),
        correction=bool(_CORRECTION_CAPS.search(text)),
        withhold=bool(_WITHHOLD_CAPS.search(text)),
    )


def version_number(version: str) -> tuple[int, ...] | None:
    """A numbered version as numbers, whatever its length ("1542761538" -> (1542761538,), "1.10" ->
    (1, 10), "2.0" -> (2,)); None when the version is not a number (a take key, or nothing)."""
    m = _NUMERIC.match(version or "")
    if m is None:
        return None
    parts = [int(p) for p in re.split(r"[.:]", m.group(1))]
    while len(parts) > 1 and parts[-1] == 0:  # "2.0" is "2"
        parts.pop()
    return tuple(parts)


def version_rank(article: Article) -> tuple:
    """A sortable rank of an article's version: compare two versions of one id, the greater is newer.

    (agency version number, status, lead, writethru, add, correction, published): a numbered version
    (NewsML `version`, RevisionId, ninjs `version`, of any length) decides first, so version 3 never
    gives way to a 2 that arrives later, nor a 10-digit version to a 9-digit one; then a kill or
    withhold beats the copy it stops; then the take key (2ndLd > 1stLd-Writethru > 1stLd > plain; an
    add or a correction after what it adds to or corrects); the publication time breaks what is left.
    """
    number = version_number(article.version)
    key = take_key(article.version) if article.version and number is None else TakeKey()
    status = 2 if article.pubstatus == "canceled" else 1 if article.pubstatus == "withheld" else 0
    return (
        number if number is not None else (-1,),
        status,
        key.lead,
        int(key.writethru),
        key.add,
        int(key.correction or article.correction),
        article.published or "",
    )
