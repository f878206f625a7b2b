"""Named entities grouped by kind, variants merged, kinds corrected, junk dropped.

"Putin", "Vladimir Putin" and "President Vladimir Putin's" are one person, "Vladimir Putin", with
every mention counted. A surname, a middle name ("Rosselló" in "Ricardo Rosselló Nevares"), a first
name that only one full name in the story starts with, or a shorter form of the full name joins it,
and the group is a person whatever the model called the short form ("Pierluisi" tagged ORG seven
times is still Pedro Pierluisi). A company's first word joins its name ("Mahan" -> "Mahan Air"); an
acronym joins the name it stands for. A name never tied to a full name is kept as a person only with
a title before it ("President Erdoğan"); one that is a known place (the gazetteer) or follows "in",
"near" ... is a place ("Kherson", "Yerevan"); the rest (a given name alone, "Photographs") is dropped.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from ..model import ENTITY_KINDS, Entity
from .gazetteer import is_given_name, is_place
from .keyterms import key_terms
from .kinds import ORG_WORDS, PLACE_WORDS, Group, decide_multi, decide_single
from .kinds import personish as is_personish
from .mentions import KIND_OF_LABEL, NAMED_KINDS, Mention, entity_mentions, is_junk

__all__ = ["KIND_OF_LABEL", "entity_mentions", "group_entities", "key_terms"]

_COUNTRY_SHORT = re.compile(r"^(?:u\.s\.|us|u\.k\.|uk)(?= )")
_COUNTRY_LONG = {
    "u.s.": "united states",
    "us": "united states",
    "u.k.": "united kingdom",
    "uk": "united kingdom",
}


def _canonical(key: str) -> str:
    """One key for "U.S. Embassy" and "United States Embassy"."""
    return _COUNTRY_SHORT.sub(lambda m: _COUNTRY_LONG[m.group()], key)


def _as_mention(m: Mention | Sequence[Any]) -> Mention:
    return m if isinstance(m, Mention) else Mention(str(m[0]), str(m[1]))


def _acronym(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w and w[0].isupper())


def _person_link(short: Group, long: Group) -> str:
    """How a shorter name is a form of a longer personal name: tail, middle, first-last, head, or ""."""
    sw, lw = short.words, long.words
    if len(sw) >= len(lw):
        return ""
    if lw[-len(sw) :] == sw or (len(sw) == 1 and sw[0] == lw[-1].split("-")[0]):
        return "tail"
    if len(sw) == 1 and sw[0] in lw[1:-1]:
        return "middle"
    if len(sw) == 2 and sw[0] == lw[0] and sw[1] == lw[-1]:
        return "first-last"  # "Robert Mugabe" in "Robert Gabriel Mugabe"
    if lw[: len(sw)] == sw:
        return "head"
    return ""


def _links(groups: dict[str, Group]) -> tuple[dict[str, str], dict[str, str]]:
    """parent[key] = the longer name a group joins; and the kind of roots known by their links
    (a full name that a surname joined is a person's; a company name that its first word joined is
    an organisation's; a name with a place word that its first word joined is a place's)."""
    named = [g for g in groups.values() if g.kind in NAMED_KINDS]
    personish = {
        g.key
        for g in named
        if is_personish(g)
        and (
            "people" in g.kinds
            or is_given_name(g.words[0])
            or any(sub in groups and "people" in groups[sub].kinds for sub in g.words)
        )
    }
    by_acronym = {a.lower(): g.key for g in named for a in g.acronyms}
    parent: dict[str, str] = {}
    roots: dict[str, str] = {}
    heads: dict[str, list[str]] = defaultdict(list)
    for k in personish:
        heads[groups[k].words[0]].append(k)
    containing: dict[str, list[Group]] = defaultdict(list)  # word -> the longer names holding it
    for g in named:
        if len(g.words) > 1:
            for w in {*g.words, g.words[-1].split("-")[0]}:
                containing[w].append(g)
    longer = [g for g in named if len(g.words) > 1]
    for short in sorted(named, key=lambda g: len(g.words)):
        if short.key in by_acronym and by_acronym[short.key] != short.key:
            parent[short.key] = by_acronym[short.key]
            continue
        best, best_n, person, company, place = None, -1, False, False, False
        acronym_like = len(short.words) == 1 and short.form.isupper()
        candidates = (
            longer
            if acronym_like
            else {id(g): g for w in (short.words[0], short.words[-1]) for g in containing.get(w, ())}.values()
        )
        for long in candidates:
            if len(long.words) <= len(short.words) or long.key in parent:
                continue
            ok = False
            if long.key in personish and (
                "people" in short.kinds
                or "people" in long.kinds
                or is_given_name(long.words[0])
                and short.kind != "places"
            ):
                link = _person_link(short, long)
                if link == "head":
                    ok = (len(short.words) > 1 or len(heads[short.words[0]]) == 1) and not short.any("anon")
                else:
                    ok = bool(link)
                is_person = ok
            else:
                is_person = False
            is_company = False
            if (
                not ok
                and long.kind == "organisations"
                and short.kind in ("people", "organisations", "other")
                and not is_place(short.form)
            ):
                # a company's first word(s): "Mahan" -> "Mahan Air", "Saha" -> "Saha Airlines"
                lw, sw = long.words, short.words
                ok = lw[: len(sw)] == sw and lw[-1].rstrip(".") in ORG_WORDS
                is_company = ok
            if not ok and len(short.words) == 1 and short.form.isupper() and long.kind != "people":
                ok = short.key.replace(".", "") == _acronym(long.form.split()).lower()
            is_place_name = False
            if (
                not ok
                and long.kind == "places"
                and (short.kind == "places" or short.kinds["places"] or short.any("near"))
                and len(short.words) < len(long.words)
                and long.words[: len(short.words)] == short.words
                and long.words[-1] in PLACE_WORDS
            ):
                ok = is_place_name = True  # "Abaco" -> "Abaco Islands", "at Payam" -> "Payam Airport"
            if ok and (long.n > best_n or long.n == best_n and best is not None and long.key < best):
                best, best_n, person, company, place = long.key, long.n, is_person, is_company, is_place_name
        if best is not None:
            parent[short.key] = best
            if person:
                roots[best] = "people"
            elif company and best not in roots:
                roots[best] = "organisations"
            elif place and best not in roots:
                roots[best] = "places"
    orgs = [g for g in named if g.kind == "organisations" and g.key not in parent]
    for short in orgs:
        if short.key in roots or is_place(short.form):
            continue
        holders = [
            g
            for g in orgs
            if len(g.words) > len(short.words)
            and _part_of(short.words, g.words)
            and "and" not in g.words
            or g.key == short.key + "s"
        ]  # "Defence Force(s)"
        if len(holders) == 1:  # "Senate" in "Puerto Rico Senate", "Salling Group" in "Salling Group A/S"
            parent[short.key] = holders[0].key
    return parent, roots


def _drop_glued_people(groups: dict[str, Group]) -> None:
    """An organisation's name that ends with a person's full name the story uses is two names glued
    ("House Nancy Pelosi", "Amnesty International Man-kei Tam"): it is dropped, the person stays."""
    people = {g.words for g in groups.values() if g.kind == "people" and len(g.words) > 1}
    for key, g in list(groups.items()):
        if g.kind == "organisations" and any(
            len(g.words) > len(p) and g.words[-len(p) :] == p for p in people
        ):
            del groups[key]


def _part_of(short: Sequence[str], long: Sequence[str]) -> bool:
    """True when `short` starts or ends `long` (word for word)."""
    n = len(short)
    return tuple(long[:n]) == tuple(short) or tuple(long[-n:]) == tuple(short)


_AND = re.compile(r" and ")


def _split_pairs(mentions: list[Mention]) -> list[Mention]:
    """"Coles and Woolworths" is two names when the story also names each alone and neither is a given
    name ("Marks and Spencer", whose "Spencer" never stands alone, stays one; so does "Ben and Jerry")."""
    alone = {" ".join(m.text.split()).lower() for m in mentions if not _AND.search(m.text)}
    out: list[Mention] = []
    for m in mentions:
        parts = _AND.split(" ".join(m.text.split()))
        if len(parts) > 1 and all(p.lower() in alone and not is_given_name(p) for p in parts):
            out.extend(Mention(p, m.kind, m.cues) for p in parts)
        else:
            out.append(m)
    return out


def group_entities(
    mentions: Sequence[Mention | tuple[str, str]], limit: int = 12
) -> dict[str, tuple[Entity, ...]]:
    """Merge variants, count mentions, correct kinds; kind -> entities, most mentioned first."""
    groups: dict[str, Group] = {}
    mentions = _split_pairs([_as_mention(m) for m in mentions])
    plural_groups = {m.text.lower() for m in mentions if m.kind == "groups"}
    for m in mentions:
        text = " ".join(m.text.split())
        if is_junk(text, m.kind):
            continue
        key = _canonical(text.lower()) if m.kind in NAMED_KINDS else f"{m.kind}:{text.lower()}"
        if m.kind == "groups" and key.endswith("s") and key[:-1] in plural_groups:
            key = key[:-1]  # "Russians" with "Russian"
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(key, tuple(key.split(" ")))
        g.forms[text] += 1
        g.kinds[m.kind] += 1
        g.cues.update(m.cues)
        if m.acronym:
            g.acronyms.add(m.acronym)
    for g in groups.values():
        g.finish()
    _drop_glued_people(groups)
    parent, root_kinds = _links(groups)
    full = [g for g in groups.values() if len(g.words) > 1 and g.kind == "people" and is_personish(g)]
    surnames = {g.words[-1] for g in full}
    firsts = {g.words[0] for g in full}
    members: dict[str, list[Group]] = defaultdict(list)
    for key, g in groups.items():
        root = key
        seen = {root}
        while root in parent and parent[root] not in seen:
            root = parent[root]
            seen.add(root)
        members[root].append(g)
    out: dict[str, list[Entity]] = defaultdict(list)
    for root, gs in members.items():
        main = groups[root]
        kinds: Counter[str] = Counter()
        for g in gs:
            kinds.update(g.kinds)
        kind = root_kinds.get(root) or kinds.most_common(1)[0][0]
        if (
            len(gs) == 1
            and len(main.words) == 1
            and kind != "people"
            and kinds["people"] * 5 >= 2 * sum(kinds.values())
        ):
            kind = "people"  # one word the model calls a person as often as not: decided below
        if root not in root_kinds and kind in NAMED_KINDS:
            decided = (
                decide_single(main, kind)
                if len(main.words) == 1
                else decide_multi(main, kind, surnames, firsts)
            )
            if decided is None:
                continue
            kind = decided
        text = main.form
        if is_junk(text, kind):
            continue
        forms: Counter[str] = Counter()
        for g in gs:
            forms.update(g.forms)
        variants = tuple(sorted(f for f in forms if f != text))
        out[kind].append(Entity(text=text, kind=kind, count=sum(forms.values()), variants=variants))
    return {
        kind: tuple(sorted(out[kind], key=lambda e: (-e.count, e.text))[:limit])
        for kind in ENTITY_KINDS
        if out.get(kind)
    }
