"""What agencies put around their copy that is not story text: one list of wire furniture per agency
profile, each rule beside an example of what it takes out, and where it goes (dateline, byline, marks,
editors' note, or nowhere).

`tidy_title` takes take designators ("REFILE 1ST LEAD", "UPDATE 2-", "CORRECTED-") to marks and a
trailing byline to the byline; `tidy_text` takes a leading dateline to the dateline, advisories to the
editors' note, sign-offs, notebooks, Markdown links and pseudo-markup out of the text. Both run on every
wire item in `make_article`, with the rules of the item's provider (as `providers.provider_name` names
it) after the rules every agency shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "FURNITURE",
    "KEYWORD_TITLE",
    "NOTEBOOK",
    "Tidied",
    "designator_line",
    "is_filler",
    "notebook_note",
    "tidy_text",
    "tidy_title",
]

# --- titles ---------------------------------------------------------------------------------------

# Take designators agencies put before a headline. Capitals only (dpa, Reuters, AP write them so), so
# "Lead singer quits" and "Urgent care closes" stay headlines.
_DESIGNATOR = (
    r"REFILE|EXTRA|URGENT|CORRECTED|CORRECTION|CORRECTS|UPDATE\s+\d{1,2}|UPDATE|\d{1,2}(?:ST|ND|RD|TH)\s+LEAD"
    r"|LEAD|WRAPUP(?:\s+\d{1,2})?|RPT|REPEAT|FLASH|BULLETIN|ADVISORY|RECASTS?|NEWSALERT|APNEWSALERT"
    r"|EXCLUSIVE|INSIGHT|ANALYSIS|FACTBOX|BREAKINGVIEWS|RECAST|WRITETHRU|\d{1,2}(?:ST|ND|RD|TH)\s+ADD"
    r"|EILMELDUNG|BLITZ|ZUSAMMENFASSUNG|KORREKTUR|BERICHTIGUNG|MANDATORY\s+KILL|KILL|WITHDRAWN|ELIMINATION"
)
_DESIGNATORS = re.compile(rf"^\s*((?:(?:{_DESIGNATOR})(?:\s+|\s*[-:/]\s*|$))+)")
# A designator line alone in a keyword or headline block: "1ST LEAD", "REFILE", "(Achtung)".
_DESIGNATOR_LINE = re.compile(rf"^\s*(?:(?:{_DESIGNATOR})\s*)+$"
                              r"|^\s*\d{1,2}(?:st|nd|rd|th)\s*Ld-Writethru\s*$",
                              re.IGNORECASE)
# A byline closing a headline: "... legend Mueller By Manuel Schwarz, dpa" (dpa 7901),
# "... don't count on it By Tom Krasovic, The San Diego Union-Tribune", "... By dpa correspondents".
_TITLE_BYLINE = re.compile(  # (?<!\s): a run of spaces is tried from its start only (linear)
    r"(?<!\s)\s++By\s+(?P<name>(?:[A-Z][\w'’.-]*|dpa|and|de|van|von|der|al|bin)(?:\s+(?:[A-Z][\w'’.-]*|and|de|van|von|"
    r"der|al|bin|correspondents?|staff|reporters?)){0,6})(?:\s*,\s*(?P<org>[^,]{2,60}))?\s*$"
)


def _marks_of(prefix: str) -> list[str]:
    """The designators in a prefix, one mark each, in capitals: "REFILE 1ST LEAD " -> [REFILE, 1ST LEAD]."""
    found = re.findall(_DESIGNATOR, prefix.upper())
    return [" ".join(m.split()) for m in found]


# An ANPA keyword standing where the headline should be: "BC-BBN--Top Ten", "BC-US--Earns-Nutrisystem".
KEYWORD_TITLE = re.compile(r"^(?:\*\d{1,6}<\s*\^?)?(?:BC|AM|PM|AP)-\S*-", re.IGNORECASE)


def tidy_title(title: str) -> tuple[str, list[str], str]:
    """(headline, marks, byline): take designators and a closing byline taken out of a headline; "" for a
    headline that is only an ANPA keyword (the caller takes the text's first line instead)."""
    marks: list[str] = []
    t = " ".join(title.split())
    if KEYWORD_TITLE.match(t):
        return "", [], ""
    m = _DESIGNATORS.match(t)
    if m and m.end() < len(t) and any(c.islower() for c in t[m.end():]):
        marks = _marks_of(m.group(1))
        t = t[m.end():].lstrip(" -:/")
    author = ""
    b = _TITLE_BYLINE.search(t)
    if b and b.start() > 10:
        author = b.group("name")
        t = t[: b.start()].rstrip()
    return t, marks, author


def designator_line(line: str) -> list[str]:
    """The marks of a line that is only take designators ("1ST LEAD", "REFILE"), else []."""
    if _DESIGNATOR_LINE.match(line):
        return _marks_of(line) or [" ".join(line.split())]
    return []


# --- text ---------------------------------------------------------------------------------------------


@dataclass
class Tidied:
    """A story's text after its furniture left, and where the furniture went."""

    paragraphs: list[str]
    dateline: str = ""
    notes: list[str] = field(default_factory=list)


_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|April|June|July|August|"
    r"September|October|November|December|Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember|gen|feb|mar|apr|"
    r"mag|giu|lug|ago|set|ott|nov|dic|ene|abr|jan|fév|avr|mai|juin|juil|août|sept|oct|déc)\.?"
)
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\.?\s+{_MONTH}(?:\s+\d{{4}})?)"
# Each word's letters taken whole (*+): the hyphen is both in a word and between words, and a pattern
# free to split "A-A-A-..." every way would take time to the fourth power of its length.
_PLACE = (r"[A-ZÀ-ÞÅÄÖ][\w'’./-]*+(?:[ -][A-ZÀ-ÞÅÄÖa-z][\w'’./-]*+){0,3}"
          r"(?:,\s*[A-Z][\w'’.-]*+(?:\s+[A-Z][\w'’.-]*+){0,2})?")
_AGENCY = r"\((?P<agency>[A-Za-z][\w/&.-]{1,20}(?:\s[\w/&.-]{1,12}){0,2})\)"
# A dateline opening the text, with what follows it cut: each pattern beside the copy it is for.
_DATELINES = [
    # ANSA: "(ANSA) - Rome, October 11 - Italian Foreign Minister ..."
    re.compile(rf"^\((?P<agency>ANSA|AGI)\)\s*[-–—]\s*(?P<place>{_PLACE}),\s*(?P<date>{_DATE})\s*[-–—]+\s+"),
    # EFE: "Tegucigalpa, Jan 2 (EFE).- Test body."
    re.compile(rf"^(?P<place>{_PLACE}),\s*(?P<date>{_DATE})\s*{_AGENCY}\s*\.?\s*[-–—]+\s*"),
    # ANSA without its name: "Rome, October 11 - ..."
    re.compile(rf"^(?P<place>{_PLACE}),\s*(?P<date>{_DATE})\s*[-–—]+\s+(?=[A-Z\"'“‘])"),
    # AAP: "SEOUL, Nov 26 AFP - Samsung has ..."
    re.compile(rf"^(?P<place>[A-Z][A-Z .'-]{{2,40}}),\s*(?P<date>{_DATE})\s+"
               r"(?P<agency>AAP|AFP|AP|Reuters|dpa)\s+[-–—]+\s+"),
    # Reuters, AP, dpa, AFP: "DAMASCUS (Reuters) - ", "TOKYO (AP) _ ", "Berlin (dpa) - ",
    # "GROSSETO, Italy (AP) -- ", "STOCKHOLM, Aug 29, 2014 (AFP) - "
    re.compile(rf"^(?P<place>{_PLACE})(?:,\s*(?P<date>{_DATE}))?\s*{_AGENCY}\s*(?:--|[-–—_:]|\.-)\s*"),
    # a date and a source, no place: "Jan 30 (Gracenote) - Results ...", "Jan. 12 (BusinessDesk) - "
    re.compile(rf"^(?P<date>{_DATE})\s*{_AGENCY}\s*(?:--|[-–—_])\s+"),
]

# Whole paragraphs that are not story text: one list per agency profile ("*": every agency), each rule
# beside its example.
FURNITURE: dict[str, list[re.Pattern[str]]] = {
    "*": [
        re.compile(r"^[_=*#\s-]{3,}$"),  # AP "___", dpa "* * * *"
    ],
    "AFP": [
        re.compile(r"^[a-z]{1,4}(?:/[a-z]{1,4}){1,6}$"),  # editors' initials "hh/ph/ts/hd"
        re.compile(r"^AFP(?:\s+[A-Za-z]{1,4}){1,3}$"),  # "AFP sn" (AFP copy on AAP's wire)
    ],
    "AAP": [
        re.compile(r"^(?:AAP|AFP)(?:\s+[A-Za-z]{1,4}){1,3}$"),  # sign-off "AAP sn", "AAP RTV ar", "AFP sn"
    ],
    "PA": [
        re.compile(r"^-?\s*ends?\s*-?$", re.IGNORECASE),  # "ends"
    ],
    "BusinessDesk": [
        re.compile(r"^\(BusinessDesk\)\.?$"),  # "(BusinessDesk)" closing the story
    ],
    "AP": [
        # "APTN contributor Kacey Cherry in Buenos Aires helped with this story."
        re.compile(r"^(?:APTN|AP)\b[^.]{0,200}\bhelped with this (?:story|report)\.?$"),
    ],
    "STT": [
        # "*** DISCLAIMER: THIS IS AN AUTOMATED TRANSLATION FROM FINNISH ***"
        re.compile(r"^\*\*\*\s*DISCLAIMER:.*\*\*\*$"),
    ],
    "ANA": [
        # the copyright notice closing each story, in Greek: "© 2018 ΑΠΕ-ΜΠΕ ΑΕ. Τα πνευματικά δικαιώματα ..."
        re.compile(r"^(?:©|\(c\))?\s*(?:\d{4}\s*)?ΑΠΕ-ΜΠΕ.{0,300}δικαιώματα"),
    ],
}


# Advisories: a note to the desk in brackets, kept as the editors' note.
# Reuters "(Adds comments, detail)", "(Corrects paragraph 3 ...)", "(Recasts with ...)".
_ADVISORY = re.compile(
    r"^\(\s*((?:Adds|Updates|Corrects|Recasts|Repeats|Refiles|Changes|Removes|Fixes|Inserts|Rewrites|Edits|"
    r"Clarifies|Combines|Moves|Deletes|Writes through|Versión|Corrige|Amplía|Actualiza|Berichtigt|Neu:|"
    r"Wiederholung|Aktualisiert)[^()]{0,300})\)\s*"
)
_TRAILING_ADVISORY = re.compile(
    r"\s\(\s*((?:Berichtigt|Korrigiert|Klargestellt|Corrects|Corrected|Clarifies|Adds|Updates)\b[^()]{0,300})\)\s*$"
)
# Markdown links in dpa copy: "[UN migration pact](http://dpaq.de/hKivX)" -> "UN migration pact".
_MD_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\((?:https?://|mailto:|www\.)[^()\s]{1,500}\)")
# STT's escaped pseudo-markup: "35<endash>-</endash>40" -> "35–40"; the same for em dashes.
_PSEUDO_DASH = re.compile(r"<(endash|emdash)>[^<]{0,3}</\1>", re.IGNORECASE)
# HTML left as text inside a text rendition: ANSA's "<p>" opening its CDATA text.
_LEFT_TAGS = re.compile(r"</?(?:p|br|div|span|b|i|u|em|strong|font|center|small|big)(?:\s[^<>]{0,200})?/?>",
                        re.IGNORECASE)
# dpa's notebook, which closes the story ("# Notebook", "# dpa NOTEBOOK"): what follows is not text.
NOTEBOOK = re.compile(r"^#\s*(?:dpa\s+)?notebook\b|^#\s*notizblock\b", re.IGNORECASE)
_NOTE_HEADS = re.compile(r"^##\s*(?:note to editors|notes to editors|redaktionelle hinweise|hinweis an die "
                         r"redaktion|anmerkung für die redaktion)\s*$", re.IGNORECASE)


def notebook_note(lines: list[str]) -> tuple[str, list[str]]:
    """The agency's note in a dpa notebook (the items under "## Note to editors"), and the notebook's
    marks ("## Refile" -> REFILE); contacts, links and the publication notice are left out."""
    note: list[str] = []
    marks: list[str] = []
    taking = False
    for raw in lines:
        line = raw.strip()
        if line.startswith("##"):
            taking = bool(_NOTE_HEADS.match(line))
            head = line.lstrip("#").strip()
            marks.extend(designator_line(head))
            continue
        if line.startswith("* * *") or re.match(r"^the following information is not", line, re.IGNORECASE):
            taking = False
            continue
        if taking and line:
            note.append(line.lstrip("-• ").strip())
    return " ".join(note), marks


def _clean_paragraph(p: str) -> str:
    if "](" in p:
        p = _MD_LINK.sub(r"\1", p)
    if "<" in p:
        p = _PSEUDO_DASH.sub(lambda m: "–" if m.group(1).lower() == "endash" else "—", p)
        p = _LEFT_TAGS.sub(" ", p)
        p = " ".join(p.split())
    return p


def tidy_text(paragraphs: list[str], *, provider: str = "", title: str = "") -> Tidied:
    """A story's paragraphs without wire furniture: the rules every agency shares, then the provider's."""
    rules = FURNITURE["*"] + FURNITURE.get(provider, [])
    out = Tidied([])
    paras = []
    for i, p in enumerate(paragraphs):
        if NOTEBOOK.match(p.strip()):
            note, _marks = notebook_note([ln for q in paragraphs[i + 1:] for ln in q.split("\n")])
            if note:
                out.notes.append(note)
            break
        p = _clean_paragraph(p)
        if p:
            paras.append(p)
    # An advisory opens the text: "(Adds comments, detail) * Spot gold may ..."
    while paras:
        m = _ADVISORY.match(paras[0])
        if not m:
            break
        out.notes.append(m.group(1).strip())
        paras[0] = paras[0][m.end():].strip()
        if not paras[0]:
            paras.pop(0)
    paras = [p for p in paras if not any(rule.match(p) for rule in rules)]
    # An advisory closing a paragraph: dpa's "... gewonnen. (Berichtigt wird im ersten Satz das Ergebnis.)"
    for i, p in enumerate(paras):
        m = _TRAILING_ADVISORY.search(p)
        if m and m.start() > 0:
            out.notes.append(m.group(1).strip())
            paras[i] = p[: m.start()].rstrip()
    # AP's NITF repeats its keyword as the first block: "BC-BBN--Top Ten".
    while paras and KEYWORD_TITLE.match(paras[0]) and len(paras[0]) < 120 and len(paras) > 1:
        paras.pop(0)
    # The headline repeated as the first paragraph (dpa NewsML-G2, STT): once is enough.
    if title and paras and _same(paras[0], title) and len(paras) > 1:
        paras.pop(0)
    if paras:
        for rule in _DATELINES:
            m = rule.match(paras[0])
            if m and m.end() < len(paras[0]):
                found = m.group(0).strip().rstrip("-–—_:").rstrip(" .").strip()
                out.dateline = found
                paras[0] = paras[0][m.end():].lstrip(" -–—_.")
                paras[0] = paras[0][:1].upper() + paras[0][1:] if paras[0][:1].islower() else paras[0]
                break
    out.paragraphs = paras
    return out


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(re.sub(r"[\W_]+", " ", s.casefold()).split())

    return norm(a) == norm(b)


# dpa's copyright filler, sent now and then to mark its copy: "(Achtung) Impressum" with a body of
# "ryryryry copyright by dpa ryryryry". Not a story.
_FILLER_TITLE = re.compile(r"^\s*(?:\(achtung\)\s*)?impressum\s*$", re.IGNORECASE)
_FILLER_TEXT = re.compile(r"\b(?:ryryryry|copyright by dpa)\b", re.IGNORECASE)


def is_filler(title: str, text: str) -> bool:
    """True for an agency's copyright or line-test filler ("(Achtung) Impressum"), which is not a story."""
    return bool(_FILLER_TITLE.match(title) or len(_FILLER_TEXT.findall(text[:2000])) >= 3)
