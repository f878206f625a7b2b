"""The kind of an entity group: the word lists and rules that say person, place or organisation
whatever the model's label ("Chelyabinsk regional" is a place, "Dominic Hare" a person, "Council"
alone nobody), for entities.py."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .gazetteer import is_country, is_given_name, is_place
from .mentions import PERSON_TITLES

__all__ = ["ORG_WORDS", "PLACE_WORDS", "Group", "camel", "decide_multi", "decide_single", "personish"]

# Last words that make a name an organisation's / a place's, whatever the model said.
ORG_WORDS = frozenset(
    """
air airlines airways bank group inc inc. corp corp. corporation company co co. ltd ltd. limited llc plc
kft kft. gmbh ag sa university college institute institution school academy agency ministry department
office council committee commission party union association federation society foundation fund trust
court senate assembly parliament congress police army navy force forces guard guards service services
news times post tv radio network press herald journal magazine review today telegraph guardian club
team fc united center centre laboratory lab program programme initiative directorate organization
organisation bureau board authority administration movement coalition alliance church hospital
investment investments engineering holdings capital partners ventures industries systems technologies
solutions consultancy consulting excavators media studio studios records entertainment energy
adventures aquatics commissioners challenges brands stores supermarket supermarkets pharmacy pharmacies
bulletin gazette gazeta tribune chronicle courier inquirer zeitung rovers wanderers
""".split()
)  # noqa: SIM905
PLACE_WORDS = frozenset(
    """
island islands county city town village province region state district street avenue road square
mountain mount river lake bay sea ocean gulf coast valley peninsula desert airport palace park bridge
mall cay point harbour harbor port pole
""".split()
)  # noqa: SIM905
# The last words of a region's or an administrative area's name.
_ADMIN_AREA = re.compile(
    r"\s(?:Oblast|Krai|Kray|Okrug|Governorate|Prefecture|Voivodeship|Province|Region|Territory|Municipality"
    r"|Canton|Raion|Emirate)$|\s(?:del|de) (?:Sur|Norte|Oriental|Occidental)$|^(?:Republic|Oblast) of \S+$"
)
# A body's generic name, capitalised alone ("the Council", "Order"): no name a reader can look up.
_GENERIC_BODIES = frozenset(
    """
council order assembly court committee commission agency ministry department office board authority
government administration bureau directorate
""".split()
)  # noqa: SIM905
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)\b")
_PEOPLE_ENDINGS = ("ians", "ists")  # "Egyptologists", "Ancient Egyptians": a group of people
_DOMAIN = re.compile(r"\w\.(?:com|org|net|co|gov|edu|io|au|uk|hu|de|fr|in|ru)\b", re.IGNORECASE)
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{1,3}|IX|X)$")
_PARTICLES = frozenset(
    {
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "della",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "le",
        "la",
        "bin",
        "ibn",
        "al",
        "el",
        "y",
    }
)


@dataclass
class Group:
    key: str
    words: tuple[str, ...]
    forms: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    cues: Counter = field(default_factory=Counter)
    acronyms: set = field(default_factory=set)
    n: int = 0  # mentions
    kind: str = ""  # the majority kind
    form: str = ""  # the most common spelling

    def finish(self) -> Group:
        """Fix n, kind and form once all mentions are in (they are read many times)."""
        self.n = sum(self.forms.values())
        self.kind = self.kinds.most_common(1)[0][0]
        self.form = self.forms.most_common(1)[0][0]
        return self

    def any(self, cue: str) -> bool:
        return self.cues[cue] > 0


def personish(g: Group) -> bool:
    """2-4 capitalised words, no organisation or place word, not a known place: could be a full name."""
    words = g.form.split(" ")
    if not 2 <= len(words) <= 4 or is_place(g.form) or words[-1].lower() in PERSON_TITLES:
        return False
    for w in words:
        low = w.lower()
        if low in _PARTICLES or low.startswith(("al-", "el-")):
            continue
        if not w[:1].isupper() or any(c.isdigit() for c in w) or low in ORG_WORDS or low in PLACE_WORDS:
            return False
        if low.endswith("ics") and w is words[-1]:  # "Ridgeback Biotherapeutics", "Starpath Robotics"
            return False
        if _ROMAN.match(w) and w is not words[0]:
            continue  # "Elizabeth II"
        if camel(w):  # "SpaceX", "UC", "IRAD"; not "McMaster"
            return False
    return True


def camel(word: str) -> bool:
    """An acronym or brand spelling ("NASA", "SpaceX", "EastMed"), not a name like "McMaster"."""
    caps = sum(c.isupper() for c in word)
    return caps > 1 and (word[-1].isupper() or caps > 2) and "-" not in word


def decide_single(g: Group, kind: str) -> str | None:
    """The kind of a one-word name that joined no longer name (None: drop it)."""
    if _DOMAIN.search(g.form):
        return "organisations"
    if kind == "people":
        if g.form.lower().rstrip(".") in PERSON_TITLES:
            return None  # "Cde" (comrade) tagged alone
        if g.any("pronoun") or g.any("common") or g.any("anon"):
            return None  # "Her Majesty", "Measles", "a man named Dmitri", "Sergei, 44,"
        if g.any("business") and not g.any("title"):
            return "organisations"  # "supermarket chains Woolworths and Coles": shops, not shoppers
        if g.any("title"):
            return "people"  # "President Erdoğan"
        if is_place(g.form) or g.any("near"):
            return "places"  # "in Kherson"; "Yerevan has become ..."
        if camel(g.form):
            return "organisations"  # "SpaceX", "ALDI", "EastMed"
        if is_given_name(g.form) or g.kinds["people"] < 2 or g.cues["initial"] >= g.n:
            return None  # a given name alone, a one-off or a word capitalised by its position ("Bloody hell")
        return "people"  # a surname the story keeps using ("Rosselló" eight times, never in full)
    if kind == "organisations":
        if (
            g.any("common")
            or g.any("office")
            or g.form.lower() in PERSON_TITLES
            or g.key.endswith(_PEOPLE_ENDINGS)
            or g.key.rstrip("s") in _GENERIC_BODIES
            or g.key.endswith("s")
            and g.key[:-1] in ORG_WORDS
        ):  # "Senates"
            return None  # "State" in "Secretary of State", "Measles" at a sentence start
        if g.any("business") and not is_place(g.form):
            return kind  # "the airline Saha", however often it follows "in" or "at"
        if (
            is_country(g.form)
            or g.any("placenoun")
            or (g.any("wide") or g.any("near"))
            and (is_place(g.form) or 2 * g.kinds["places"] >= g.n)
        ):
            # "Slovakia"; "Chelyabinsk's governor", "in Niamey", "a man from Cheltenham"; a city the model
            # calls a place as often as not ("in Santiago"), known or not
            return "places"
        return kind
    if kind == "groups" and g.any("business"):
        return "organisations"  # "store chains Woolworths" read as a people's name
    if kind == "other" and (g.any("near") or is_country(g.form)):
        return "places"  # "in Sangatte" tagged as a product
    if kind == "places":
        if g.any("business") and not is_place(g.form):
            return "organisations"  # "state news agency Xinhua"; not "retailer Tesco and Denmark"
        if g.any("common") or not (is_place(g.form) or g.any("wide") or g.any("near") or g.any("placenoun")):
            return None  # unknown to the gazetteer, never "in"/"at"/"from" it nor "X region": "Universo"
        return kind
    return kind


def decide_multi(
    g: Group, kind: str, surnames: set[str], firsts: frozenset[str] | set[str] = frozenset()
) -> str | None:
    """The kind of a name of several words that no shorter form tied to a person or company."""
    words = g.form.split(" ")
    last = words[-1].lower().rstrip(".")
    if _DOMAIN.search(g.form):
        return "organisations"  # "News.com.au", "Portfolio.hu"
    if kind == "organisations" and (
        is_country(g.form)
        or last in PLACE_WORDS
        and last != "state"
        and not any(w.lower() in ORG_WORDS for w in words)
    ):
        return "places"  # "United States", "Sandy Point" tagged as organisations
    if kind == "organisations" and (last in PERSON_TITLES or _ORDINAL.match(g.form)):
        return None  # "Royal Society University Research Fellow": a job; "3rd Place"
    if (
        kind == "organisations"
        and _ADMIN_AREA.search(g.form)
        and not any(w.lower() in ORG_WORDS for w in words)
    ):
        return "places"  # "Chelyabinsk Oblast", "Davao del Sur", "Republic of Karelia"
    if kind == "organisations" and last.endswith(_PEOPLE_ENDINGS):
        return None  # "Ancient Egyptians": people, not a body
    if kind in ("people", "places") and g.any("business") and not g.any("title"):
        return "organisations"  # "retailer John Lewis", "producer Who Gives a Crap"
    if kind == "organisations" and personish(g) and g.any("title") and not g.any("near"):
        return "people"  # "Foreign Minister Nikos Christodoulides" tagged an organisation
    if (
        kind in ("places", "organisations")
        and personish(g)
        and not g.any("near")
        and last not in PLACE_WORDS
        and (
            is_given_name(words[0])
            and g.words[0] not in _PARTICLES
            or g.words[-1] in surnames
            or g.words[0] in firsts
        )
    ):
        return "people"  # "Dominic Hare" tagged a place; "Thaksin Shinawatra" beside "Yingluck Shinawatra"
    if kind != "people":
        return kind
    if last in PERSON_TITLES:
        return None  # "Goddard Heliophysicist": a place or employer and a job, not a name
    if is_place(g.form) or last in PLACE_WORDS or (g.any("near") and not g.any("title")):
        return "places"  # "Sultan Kudarat", "Gaisano Mall", "in Tuna el-Gebel"
    if not personish(g):
        return "organisations"  # "UC Davis", "NASA Glenn", "Védelmi Ipari Kft"
    return kind
