"""Page furniture inside story text: wire slugs, editor's notes, crossheads, disclaimers, bylines, time
stamps, datelines, captions.

Two kinds of guesses, each cheap to get wrong:
- `is_summary_furniture(line)`: a whole short paragraph or sentence that is not story text (it is never
  chosen for a summary, so a wrong guess costs that one sentence);
- `leading_furniture(text)`: how many characters at the start of a paragraph are a byline, a time
  stamp or a dateline ("By . Daily Mail Reporter . ", "UPDATED: . 13:47 EST, 4 January 2012 . ",
  "Beirut (CNN) -- "); only that prefix is cut, never the sentence it is glued to.
`caption_score(sentence)` says how much a sentence looks like a picture caption (a summary feature).
"""

from __future__ import annotations

import re

__all__ = ["MAX_FURNITURE_CHARS", "caption_score", "is_summary_furniture", "leading_furniture"]

from triage.infra.text import is_furniture as _wire_furniture  # crossheads, disclaimers, bylines, datelines

# A paragraph longer than this is story text, whatever it starts with: furniture is short.
MAX_FURNITURE_CHARS = 400

# Wire-service transmission lines: slug and take key ("BC-Germany-Politics,1stLd-Writethru",
# "^AM-Germany-Politics,0412<"), an editor's note ("Eds: UPDATES with ..."), a dateline alone
# ("BERLIN", "BERLIN, Germany", "BERLIN, Dec. 1 (Reuters) -").
_SLUG = re.compile(r"^\s*\^?[A-Za-z0-9&]+(?:[-,/][A-Za-z0-9&]+){2,}\s*<?\s*$")
_EDNOTE = re.compile(r"^\s*(?:Eds?|EDS|Editors?|Editor['’]s [Nn]ote|EDITOR['’]S NOTE|Editorial [Nn]ote)\s*:")
# A correction or repeat note in brackets, a sentence of its own: "(Berichtigt wird im ersten Satz das
# Ergebnis.)" (dpa), "(Corrects spelling of name in 3rd paragraph)".
_NOTE = re.compile(
    r"^\s*\(\s*(?:Berichtig|Korrig|Klarstell|Wiederhol|Neu\s*:|Corrects?\b|Correction|Clarif|Updates?\b|"
    r"Repeats?\b|Recasts?\b|Adds\b|Fixes\b)[^()]*\)\s*$",
    re.IGNORECASE,
)
_AGENCY = r"\((?:CNN|AP|AFP|Reuters|UPI|dpa|Xinhua|PTI|IANS)\)"
# The place and date before an agency's name: capitalised words, day and year numbers, a month in
# lower case ("Beirut", "WASHINGTON, Dec. 1", "Lisboa, 28 jan 2025").
_PLACE_DATE = r"(?:[A-Z][\w'’.-]*(?:[ ,]+(?:[A-Z][\w'’.-]*|\d{1,4}\b|[a-z]{3}\.?(?=[ ,]))){0,4}\s*)?"
_LONE_DATELINE = re.compile(
    rf"^\s*[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){{0,3}}(?:,\s*[A-Z][\w.]*(?:\s+[A-Z\d][\w.]*){{0,2}})?"
    rf"\s*(?:{_AGENCY})?\s*(?:--|—|–|-|_|:)?\s*$"
)
_DISCLAIMER = re.compile(
    r"has not been edited by .{0,40}staff|published (?:from|on) a syndicated (?:feed|channel)"
    r"|^\s*\(?(?:AFP|AP|Reuters|PTI|IANS|ANI)\)?\s*$|^\s*(?:advertisement|read more|click here)\b"
    r"|^\s*With (?:AP |AFP |Reuters )?(?:Photos?|Video|Graphics?|Audio)\b"
    r"|^\s*scroll down (?:for|to)\b|^\s*(?:PUBLISHED|UPDATED|Last updated)\s*:|^\s*By\s+\.\s",
    re.IGNORECASE,
)

# Leading furniture, matched again and again at the start of a paragraph.
_NAME_WORD = r"(?:[A-Z][\w'’.-]*|and|of|for|the|de|van|von|der|al|&)"
# Tried only where a word does not go on ((?<!...)): over a run of letters each start is one step.
_LEADING = re.compile(
    r"(?<![\w'’.-])(?:"
    + "|".join(
        f"(?:{p})"
        for p in (
            # Daily Mail bylines, the page's line breaks turned into " . ": "By . Jane Doe . "
            rf"By\s+\.\s+(?:{_NAME_WORD}\s+){{1,8}}?\.\s+(?:\|\s+\.\s+)?",
            # the tail of such a byline when its start was cut: "and Hugo Gye . "
            r"and\s+(?:[A-Z][\w'’-]*\s+){1,4}\.\s+",
            # "PUBLISHED: . 12:06 EST, 3 October 2013 . | . UPDATED: . 13:47 EST, 4 January 2012 . "
            (
                r"(?:PUBLISHED|UPDATED|Last updated(?: at)?)\s*:?\s*\.?\s*\d{1,2}[:.]\d{2}\s*(?:[AP]M\s*)?"
                r"(?:[A-Z]{2,4}\s*)?,?\s*(?:\d{1,2}\s+[A-Z][a-z]+|[A-Z][a-z]+\s+\d{1,2}),?\s+\d{4}\s*\.?\s*(?:\|\s*\.?\s*)?"
            ),
            # agency datelines: "Beirut (CNN) -- ", "WASHINGTON (Reuters) - ", "(CNN)", ANPA's
            # "WASHINGTON (AP) _ " (7-bit copy has no dash), "Lisboa, 28 jan 2025 (NewsAgency) -- "
            rf"{_PLACE_DATE}{_AGENCY}\s*(?:--|—|–|-|_|:)?\s*",
            # another agency's credit, before a dash: "(Sports Network) - "
            rf"{_PLACE_DATE}\((?:[A-Z][\w&'’.-]*\s?){{1,4}}\)\s*(?:--|—|–|-|_)\s+",
            # a dateline in capitals before a dash: "BERLIN — ", "WASHINGTON, Dec. 1 -- ", "BERLIN _ "
            r"[A-Z]{3,}(?:[ ,]+[A-Z]{2,}\.?){0,6}(?:,\s*[A-Z][a-z]+\.?(?:\s+\d{1,2})?)?\s+(?:--|—|–|_)\s+",
            # ... and before a hyphen when a date says it is one: "ROTTERDAM, Dec 2 - "
            r"[A-Z]{3,}(?:[ ,]+[A-Z]{2,}\.?){0,6},\s*[A-Z][a-z]{2,}\.?\s+\d{1,2}\s+-\s+",
            # a dateline in brackets: "(New York, NY - October 21) "
            r"\([A-Z][\w'’.]*(?:\s+[A-Z][\w'’.]*){0,3}(?:,\s*[A-Z][\w.]*)?\s*(?:--|—|–|-)\s*"
            r"[A-Z][a-z]+\.?\s+\d{1,2}(?:,\s*\d{4})?\)\s*",
            # an editor's note glued to the story: "Eds: UPDATES with quotes. "
            r"(?:Eds?|EDS)\s*:[^.]{0,200}\.\s+",
        )
    )
    + ")"
)

_CAPTION_MARKS = re.compile(
    r"\((?:pictured|left|right|centre|center|above|below|top|bottom|inset|file photo)"
    r"(?:[ ,]+(?:left|right|centre|center|above|below|top|bottom|with \w+))*\)",
    re.IGNORECASE,
)
_CAPTION_LABEL = re.compile(r"^(?:[A-Z][\w'’-]*+\s?){1,3}:\s+\S")  # "Retread: David Cameron with ..."
_CAPTION_WORDS = re.compile(r"^(?:pictured|picture|photo|photograph|video|watch|file)\b", re.IGNORECASE)


def is_summary_furniture(line: str) -> bool:
    """True for a short wire-copy line a summary must never take. The wire's crossheads, disclaimers,
    bylines and datelines are the text cleaner's rule (triage.infra.text); added here is what only a
    summary must never take: page disclaimers, slugs and take keys, editors' notes, a lone dateline."""
    if len(line) > MAX_FURNITURE_CHARS:
        return False
    if _wire_furniture(line):
        return True
    return bool(
        _DISCLAIMER.search(line)
        or _EDNOTE.match(line)
        or _NOTE.match(line)
        or _SLUG.match(line)
        or _LONE_DATELINE.match(line)
    )


def leading_furniture(text: str, start: int = 0, end: int | None = None) -> int:
    """The offset where story text starts in text[start:end], past bylines, time stamps and datelines."""
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        m = _LEADING.match(text, pos, end)
        if not m or m.end() == pos:
            break
        pos = m.end()
    return pos if pos > start and any(c.isalnum() for c in text[pos:end]) else start


def caption_score(sentence: str) -> float:
    """0..1: how much a sentence reads like a picture caption ("Bishop John Folda (pictured) ...")."""
    score = 0.0
    if _CAPTION_MARKS.search(sentence):
        score += 0.6
    if _CAPTION_LABEL.match(sentence):
        score += 0.5
    if _CAPTION_WORDS.match(sentence):
        score += 0.5
    return min(score, 1.0)
