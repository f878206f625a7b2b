"""Entity mentions from a spaCy Doc: cleaned names, their kind, and what the words around them say.

The small English model's labels are a first guess. The context kept with each mention lets the
grouping step (entities.py) correct it: a title before a name ("President", "Dr") says person; "in",
"near", "at" before it say place; "a man named X", "X, 44," say someone known by a given name only;
"Her Majesty" is not a name; a business noun before it ("supermarket chains Woolworths and Coles",
"news agency Xinhua") says organisation; a capitalised word that the story also uses in lower case ("State",
"Measles") is a common word, capitalised by position. "Federal Security Service (FSB)" defines an
acronym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .gazetteer import is_given_name, is_place
from .sentences import STOP_WORDS, doc_text

__all__ = ["KIND_OF_LABEL", "NAMED_KINDS", "PERSON_TITLES", "Mention", "clean_mention", "entity_mentions"]

KIND_OF_LABEL = {
    "PERSON": "people",
    "GPE": "places",
    "LOC": "places",
    "FAC": "places",
    "ORG": "organisations",
    "NORP": "groups",
    "DATE": "dates",
    "TIME": "dates",
    "CARDINAL": "numbers",
    "MONEY": "numbers",
    "PERCENT": "numbers",
    "QUANTITY": "numbers",
    "ORDINAL": "numbers",
}
NAMED_KINDS = frozenset({"people", "places", "organisations", "groups", "other"})

# Words that, right before a name or at its start, say the name is a person's.
PERSON_TITLES = frozenset(
    """
president presidents prime minister ministers secretary mr mrs ms miss mx dr sir dame lord lady king queen
prince princess pope general gen colonel col captain capt senator sen rep representative congressman
congresswoman governor gov judge justice chancellor ambassador spokesperson spokesman spokeswoman
director chairman chairwoman chair chief commissioner coach manager striker midfielder defender
goalkeeper sheriff inspector detective officer lieutenant lt sergeant sgt archbishop bishop cardinal rev
reverend father imam ayatollah sheikh emir premier mayor deputy vice professor prof ceo founder
co-founder chairperson administrator author co-author editor astronaut engineer heliophysicist
astronomer scientist researcher artist singer guitarist bassist drummer actor actress player leader
cde comrade monsenor monsignor saint st pastor rabbi uncle aunt wife husband son daughter brother
sister mother widow nephew niece grandson granddaughter technologist counsel lawyer attorney
prosecutor councillor councilor delegate candidate activist fellow
""".split()
)  # noqa: SIM905
_TITLE_PREFIX = PERSON_TITLES | {
    "former",
    "the",
    "of",
    "us",
    "u.s.",
    "state",
    "foreign",
    "interior",
    "finance",
    "defence",
    "defense",
    "health",
    "executive",
    "first",
}
# Before a place: "in Kherson", "near Dover" (narrow); the wide set also takes "from", "to", "of" ...
NARROW_PREPOSITIONS = frozenset({"in", "into", "near", "across", "throughout", "outside", "inside", "at"})
WIDE_PREPOSITIONS = NARROW_PREPOSITIONS | {
    "from",
    "to",
    "of",
    "on",
    "around",
    "towards",
    "toward",
    "via",
    "within",
    "between",
    "off",
    "over",
    "through",
    "visit",
    "visited",
}
_PLACE_NOUNS = frozenset({"island", "city", "town", "village", "province", "region", "port", "capital"})
_PLACE_AFTER = frozenset(
    {
        "airport",
        "region",
        "regional",
        "province",
        "provincial",
        "oblast",
        "governor",
        "mayor",
        "county",
        "district",
        "municipality",
        "prefecture",
        "man",
        "woman",
        "resident",
        "residents",
        "native",
    }
)  # "a Cheltenham man"
# Nouns that, right before a name, say it names a business or an agency ("the airline Saha", "retailer
# Ocado", "state news agency Xinhua"), whatever the model guessed: a person is not a supermarket chain.
BUSINESS_NOUNS = frozenset(
    """
supermarket supermarkets chain chains retailer retailers grocer grocers store stores shop shops airline
airlines carrier carriers agency agencies company companies firm firms brand brands bank banks insurer
insurers lender lenders manufacturer manufacturers maker makers broadcaster broadcasters newspaper
newspapers tabloid tabloids outlet outlets conglomerate conglomerates startup start-up startups subsidiary
subsidiaries automaker carmaker chipmaker drugmaker distributor distributors wholesaler wholesalers
"""
    # not "producer", "publisher", "operator", "giant": people's jobs and nicknames too
    .split()
)  # noqa: SIM905
_STATE = re.compile(r"^[A-Z]{2}$|^[A-Z][a-z]{1,3}\.$")  # "Gardena, CA", "Hammond, La."
_ANON_BEFORE = frozenset({"named", "called", "nicknamed", "pseudonym", "alias"})
_PRONOUNS = frozenset({"her", "his", "their", "its", "your", "my", "our"})
_TIME_WORDS = frozenset({
    "a.m.", "p.m.", "am", "pm", "utc", "gmt", "bst", "ist", "est", "edt", "cet", "cest", "pst", "pdt", "cst",
    "cdt", "mst", "mdt", "aest", "aedt", "jst", "hkt", "msk", "c.e.", "b.c.", "b.c.e.", "a.d.", "bc", "ad",
})

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_SPACE = re.compile(r"\s+")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_AND = re.compile(r"(?<!\s)\s+(?:and|&)\s+")  # from a run's start only: linear on long white space
_INNER_POSSESSIVE = re.compile(r"(?:'s|’s|s'|s’)\s+(?=[A-Z])")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]+(?![\w'’-])")
# Two names glued in one span: "Tesco — Netto Poland", "Public Image Ltd. Cream",
# "Blues Incorporated for The Rolling Stones"; a score glued to a team: "Caboolture 43–5".
_GLUE = re.compile(
    # each run of spaces is tried from its start only ((?<!\s)): linear over any run of white space
    r"(?<!\s)\s+[—–-]\s+|(?:(?<=\bLtd\.)|(?<=\bInc\.)|(?<=\bCo\.))\s+(?=[A-Z])"
    r"|(?<!\s)\s+(?:for|with|and|of)\s+(?=The\s)"
)
# "Amnesty International Man-kei Tam", "House Nancy Pelosi": a body's name, then a person's.
_BODY_ENDS = frozenset(
    {"house", "senate", "congress", "parliament", "party", "international", "council", "union"}
)
_HYPHEN_GIVEN = re.compile(r"^[A-Z][a-z]+-[a-z]+$")  # "Man-kei", "Jae-in"
# A dateline's credit glued to the first word: "(CNN)Singer-songwriter David Crosby ..."
_AGENCY_PREFIX = re.compile(r"^\(?(?:CNN|AP|AFP|Reuters|UPI)\)\s*(?=\S)")
_COMPANY_SUFFIX = re.compile(r",\s*(?:Inc|Ltd|LLC|Corp|Co)\.?$")  # "Hungarian National Asset Management, Inc"
_LIST_GAPS = frozenset({",", "and", "or", ", and", ", or"})
_SCORE = re.compile(r"(?<!\s)\s++\d++[–-]\d++$")  # a run of spaces tried from its start only
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&.-]{1,9}$")


@dataclass(frozen=True)
class Mention:
    """One entity mention: cleaned text, kind, and cues from its context (see the module docstring)."""

    text: str
    kind: str
    cues: frozenset[str] = field(
        default_factory=frozenset
    )  # title, near, wide, placenoun, business, anon, pronoun, common, initial, office
    acronym: str = ""  # "FSB" for "Federal Security Service (FSB)"

    def __iter__(self):  # unpacks as (text, kind), like the plain pairs tests and callers pass
        return iter((self.text, self.kind))


def clean_mention(text: str, kind: str) -> str:
    """Spacing, edge punctuation, possessives, a leading article, titles (people), trailing lower-case
    words, a glued dateline credit, a company suffix."""
    t = _AGENCY_PREFIX.sub("", _SPACE.sub(" ", text).strip())
    if "(" in t and ")" not in t:
        t = t[: t.index("(")].strip()
    t = _EDGE.sub("", t) if not t.endswith((".", ")")) or len(t) < 3 else _EDGE.sub("", t[:-1]) + t[-1]
    t = _POSSESSIVE.sub("", t).strip()
    if t.endswith(".") and t.count(".") == 1:
        t = _EDGE.sub("", t)
    if kind in NAMED_KINDS:
        t = _LEADING_ARTICLE.sub("", t)
        words = t.split(" ")
        while len(words) > 1 and words[-1].isalpha() and words[-1].islower():
            words.pop()  # "Patrice Talon of", "Pacific island"
        if kind == "people":
            i = 0
            while i < len(words) - 1 and words[i].lower().rstrip(".") in _TITLE_PREFIX:
                i += 1
            words = words[i:]
        t = " ".join(words)
        if kind == "organisations":
            t = _COMPANY_SUFFIX.sub("", t)
    return t


def is_junk(text: str, kind: str) -> bool:
    """Too short, no capital letter in a name, a time word, a stop word, digits or brackets in a person."""
    letters = sum(c.isalpha() for c in text)
    if len(text) < 2 or (kind in NAMED_KINDS and letters < 2):
        return True
    low = text.lower()
    if kind in NAMED_KINDS and (
        not any(c.isupper() for c in text) or low in STOP_WORDS or low in _TIME_WORDS
    ):
        return True
    if kind in NAMED_KINDS and all(w.rstrip(".") in PERSON_TITLES for w in low.split(" ")):
        return True  # "Detective Inspector", "Monsenor"
    return kind == "people" and (any(c.isdigit() or c in "[]{}" for c in text))


def _cues(doc: Any, start: int, end: int, lower_words: set[str], text: str) -> set[str]:
    cues = set()
    prev = doc[start - 1].lower_ if start > 0 else ""
    first = doc[start].lower_.rstrip(".")
    if prev.rstrip(".") in PERSON_TITLES or first in PERSON_TITLES:
        cues.add("title")
    if prev in NARROW_PREPOSITIONS:
        cues.add("near")
    if prev in WIDE_PREPOSITIONS:
        cues.add("wide")
    if prev in _ANON_BEFORE or (
        prev == "as" and start > 1 and doc[start - 2].lower_ in ("only", "identified")
    ):
        cues.add("anon")
    if end + 1 < len(doc) and doc[end].text == "," and doc[end + 1].like_num and len(doc[end + 1]) <= 3:
        cues.add("anon")  # "Sergei, 44,": someone known by a given name only
    after = end + 1 if end < len(doc) and doc[end].lower_ in ("'s", "’s") else end
    state = after + 1 < len(doc) and doc[after].text == "," and _STATE.match(doc[after + 1].text)
    if prev in _PLACE_NOUNS or after < len(doc) and doc[after].lower_ in _PLACE_AFTER or state:
        cues.add("placenoun")  # "the island Crete"; "Chelyabinsk regional", "Chelyabinsk's governor"
    if prev in BUSINESS_NOUNS:
        cues.add("business")
    if prev in _PRONOUNS:
        cues.add("pronoun")
    if " " not in text and text.lower() in lower_words:
        cues.add("common")
    if doc[start].is_sent_start or (start > 0 and doc[start - 1].is_punct and doc[start - 1].is_sent_start):
        cues.add("initial")
    if (
        prev == "of"
        and start > 1
        and doc[start - 2].lower_ in ("secretary", "minister", "ministry", "department")
    ):
        cues.add("office")  # "Secretary of State": an office, not the organisation "State"
    return cues


def _parts(text: str, kind: str) -> list[tuple[str, str]]:
    """A span that holds two names: "Coles and Woolworths" (people), "Karipur, Kerala" (places),
    "Scotland Nicola Sturgeon", "the Presidential Spokesperson Harry Roque" (a person at the end)."""
    if kind == "people" and _AND.search(text):
        return [(t, kind) for t in _AND.split(text)]
    if kind in NAMED_KINDS:
        pieces = [p for p in _GLUE.split(_SCORE.sub("", text)) if p]
        if kind != "people" and len(pieces) == 1 and _AND.search(text):
            both = _AND.split(text)
            if len(both) == 2 and all(" " not in b for b in both) and any(is_place(b) for b in both):
                pieces = both  # "Crete and Cyprus"
        if len(pieces) > 1:
            return [(p, kind) for p in pieces]
        text = pieces[0] if pieces else text
    if kind == "places" and ", " in text:
        head, _, tail = text.rpartition(", ")
        if "." not in tail and len(tail) >= 3 and (is_place(tail) or tail[0].isupper() and " " not in tail):
            return [(head, kind), (tail, kind)]  # not "Washington, D.C."
    m = _INNER_POSSESSIVE.search(text)
    if kind in NAMED_KINDS and m:  # "Goddard’s Detector Development Laboratory"
        return [(text[: m.start()], kind), (text[m.end() :], kind)]
    words = text.split(" ")
    if kind in NAMED_KINDS and len(words) >= 3:
        for i in range(1, len(words) - 1):
            rest = words[i:]
            if (
                (is_given_name(words[i]) or _HYPHEN_GIVEN.match(words[i]))
                and len(rest) <= 3
                and all(w[:1].isupper() and w.isalpha() or "-" in w for w in rest)
            ):
                head = " ".join(words[:i])
                if not (
                    is_place(head)
                    or words[i - 1].lower() in PERSON_TITLES
                    or kind == "organisations"
                    and words[i - 1].lower() in _BODY_ENDS
                ):
                    break  # "Santa Barbara County", "Air India Express": one name
                keep = (
                    is_place(head) or kind == "organisations" and words[i - 1].lower() in _BODY_ENDS and i > 1
                )
                return ([(head, kind)] if keep else []) + [(" ".join(rest), "people")]
    return [(text, kind)]


def _title_case(headline: str) -> bool:
    """True for a headline in Title Case ("NASA Engineers Push Limits of Physics to Focus Light")."""
    words = [w for w in headline.split() if w[:1].isalpha() and len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def entity_mentions(doc: Any, body_start: int = 0) -> list[Mention]:
    """Every entity mention of a processed Doc, cleaned, with its kind and context cues.

    With `body_start`, the text before it is the headline; a Title Case headline capitalises every
    word, so the model's guesses there count only for names the body also has.
    """
    ents = list(doc.ents)
    if not ents:
        return []
    full = doc_text(doc)
    if body_start and _title_case(full[:body_start]):
        body = full[body_start:]
        ents = [e for e in ents if e.start_char >= body_start or e.text in body]
    lower_words = set(_LOWER_WORD.findall(full))
    out: list[Mention] = []
    prev_end, prev_cues = -10, frozenset[str]()  # of the last place mention
    named_end, named_business = -10, False  # of the last name
    for ent in ents:
        kind = KIND_OF_LABEL.get(ent.label_, "other")
        raw = ent.text
        acronym = ""
        if "(" in raw and ")" not in raw:
            inner = raw[raw.index("(") + 1 :].strip()
            acronym = inner if _ACRONYM.match(inner) else ""
        elif (
            ent.end + 2 < len(doc)
            and doc[ent.end].text == "("
            and doc[ent.end + 2].text == ")"
            and _ACRONYM.match(doc[ent.end + 1].text)
        ):
            acronym = doc[ent.end + 1].text
        cues = _cues(doc, ent.start, ent.end, lower_words, raw.strip())
        # a list of places shares its preposition: "the towns of Beni, Butembo, Mangina, and Katwa"
        gap = full[prev_end : ent.start_char].strip() if 0 <= prev_end <= ent.start_char else "?"
        if gap in _LIST_GAPS and "wide" in prev_cues:
            cues |= prev_cues & {"wide", "near"}
        # and its business noun: "supermarket chains Woolworths and Coles"
        gap = full[named_end : ent.start_char].strip() if 0 <= named_end <= ent.start_char else "?"
        if gap in _LIST_GAPS and named_business:
            cues.add("business")
        if kind in NAMED_KINDS:
            named_end, named_business = ent.end_char, "business" in cues
        if kind == "places":
            prev_end, prev_cues = ent.end_char, frozenset(cues)
        for part, part_kind in _parts(clean_mention(raw, kind), kind):
            text = clean_mention(part, part_kind)
            if not is_junk(text, part_kind):
                out.append(Mention(text, part_kind, frozenset(cues), acronym))
    return out


def texts(mentions: Iterable[Mention | tuple[str, str]]) -> list[str]:
    """The names of some mentions (for key terms, which leave entity names out)."""
    return [m[0] if isinstance(m, tuple) else m.text for m in mentions]
