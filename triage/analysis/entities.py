"""Named entities grouped by kind with variants merged, and key terms ranked by salience.

"Putin", "Vladimir Putin" and "President Vladimir Putin's" are one person, "Vladimir Putin", with
every mention counted; the kind is the majority label over the merged mentions.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from ..model import ENTITY_KINDS, Entity
from .sentences import STOP_WORDS, Sentence, stem

__all__ = ["KIND_OF_LABEL", "entity_mentions", "group_entities", "key_terms"]

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
_NAMED = {"people", "places", "organisations", "groups", "other"}
_TITLES = {
    "president", "prime", "minister", "secretary", "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord",
    "lady", "king", "queen", "prince", "princess", "pope", "general", "gen", "colonel", "col", "captain",
    "capt", "senator", "sen", "rep", "governor", "gov", "judge", "justice", "chancellor", "foreign",
    "former", "leader", "chief", "executive", "chairman", "professor", "prof", "st", "saint", "vice",
    "deputy", "state", "of", "the", "us", "u.s.", "russian", "ukrainian", "defence", "defense", "interior",
    "finance", "secretary-general", "ceo", "coach", "manager", "striker", "midfielder", "mayor",
}
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_SPACE = re.compile(r"\s+")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def _clean(text: str) -> str:
    t = _SPACE.sub(" ", text).strip()
    t = _EDGE.sub("", t) if not t.endswith((".", ")")) or len(t) < 3 else _EDGE.sub("", t[:-1]) + t[-1]
    t = _POSSESSIVE.sub("", t).strip()
    return _EDGE.sub("", t) if t.endswith(".") and t.count(".") == 1 else t


def _strip_titles(text: str) -> str:
    """'President Vladimir Putin' -> 'Vladimir Putin' (leading titles and articles only)."""
    words = text.split(" ")
    i = 0
    while i < len(words) - 1 and words[i].lower().rstrip(".") in _TITLES:
        i += 1
    return " ".join(words[i:])


def _junk(text: str, kind: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    if len(text) < 2 or (kind in _NAMED and letters < 2):
        return True
    if kind == "people" and (any(c.isdigit() for c in text) or text.islower()):
        return True
    return kind in _NAMED and text.lower() in STOP_WORDS


_PLACE_PREPOSITIONS = {"in", "into", "near", "across", "throughout", "outside"}


def entity_mentions(doc: Any) -> list[tuple[str, str]]:
    """(cleaned text, kind) for every entity mention in a processed Doc."""
    out = []
    for ent in doc.ents:
        kind = KIND_OF_LABEL.get(ent.label_, "other")
        if kind == "people" and len(ent) == 1 and ent.start > 0 \
                and doc[ent.start - 1].lower_ in _PLACE_PREPOSITIONS:
            kind = "places"  # "in Kherson": the small model often calls a lone place name a person
        text = _clean(ent.text)
        if kind in ("people",):
            text = _strip_titles(text)
        elif kind in _NAMED and text.lower().startswith("the "):
            text = text[4:]
        if not _junk(text, kind):
            out.append((text, kind))
    return out


def _acronym(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w and w[0].isupper())


def group_entities(mentions: Sequence[tuple[str, str]], limit: int = 12) -> dict[str, tuple[Entity, ...]]:
    """Merge variants, count mentions, choose the kind by majority; kind -> entities, most mentioned first."""
    # 1. exact groups (case-insensitive); dates and numbers only merge with their own kind
    groups: dict[str, dict[str, Any]] = {}
    plural_groups = {t.lower() for t, k in mentions if k == "groups"}
    for text, kind in mentions:
        text = " ".join(text.split())
        if _junk(text, kind):
            continue
        key = text.lower() if kind in _NAMED else f"{kind}:{text.lower()}"
        if kind == "groups" and key.endswith("s") and key[:-1] in plural_groups:
            key = key[:-1]  # "Russians" with "Russian"
        g = groups.setdefault(key, {"forms": Counter(), "kinds": Counter(), "named": kind in _NAMED})
        g["forms"][text] += 1
        g["kinds"][kind] += 1
    # 2. a shorter name that is the tail, head or acronym of a longer one joins the longest, most
    #    mentioned such name ("Putin" -> "Vladimir Putin", "UN" -> "United Nations")
    keys = [k for k, g in groups.items() if g["named"]]
    info = {}
    for k in keys:
        g = groups[k]
        form = g["forms"].most_common(1)[0][0]
        info[k] = (tuple(k.split()), g["kinds"].most_common(1)[0][0], form, sum(g["forms"].values()))
    by_tail: dict[str, list[str]] = defaultdict(list)
    by_head: dict[str, list[str]] = defaultdict(list)
    by_acronym: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        words, kind, form, _ = info[k]
        if len(words) > 1:
            by_tail[words[-1]].append(k)
            by_head[words[0]].append(k)
            by_acronym[_acronym(form.split()).lower()].append(k)
    parent: dict[str, str] = {}
    for short in sorted(keys, key=lambda k: len(info[k][0])):
        sw = info[short][0]
        best, best_n = None, 0
        candidates = set(by_tail.get(sw[-1], ())) | set(by_head.get(sw[0], ()))
        short_form = info[short][2]
        if len(sw) == 1 and len(short) >= 2 and short_form.isupper():
            candidates |= set(by_acronym.get(short, ()))
        for long in candidates:
            lw, lkind, lform, n = info[long]
            if len(lw) <= len(sw) or long in parent:
                continue
            tail = lw[-len(sw):] == sw
            head = lw[: len(sw)] == sw and lkind != "people"
            acro = len(sw) == 1 and short_form.isupper() and short == _acronym(lform.split()).lower()
            if (tail or head or acro) and (best is None or n > best_n or n == best_n and long < best):
                best, best_n = long, n
        if best is not None:
            parent[short] = best
    merged: dict[str, dict[str, Any]] = {}
    for key, g in groups.items():
        root = key
        while root in parent:
            root = parent[root]
        m = merged.setdefault(root, {"forms": Counter(), "kinds": Counter(), "main": Counter()})
        m["forms"].update(g["forms"])
        m["kinds"].update(g["kinds"])
        if root == key:
            m["main"].update(g["forms"])
    out: dict[str, list[Entity]] = defaultdict(list)
    for root, m in merged.items():
        kind = m["kinds"].most_common(1)[0][0]
        text = (m["main"] or m["forms"]).most_common(1)[0][0]
        if _junk(text, kind):
            continue
        count = sum(m["forms"].values())
        variants = tuple(sorted(f for f in m["forms"] if f != text))
        out[kind].append(Entity(text=text, kind=kind, count=count, variants=variants))
    return {
        kind: tuple(sorted(out[kind], key=lambda e: (-e.count, e.text))[:limit])
        for kind in ENTITY_KINDS
        if out.get(kind)
    }


_PHRASE_BREAK = re.compile(r"[^\w'’-]+")
# Frequent verbs of news prose: not what a story is about (no tagger runs, to keep the pipeline fast).
_VERBS = frozenset("""
reported reporting including include includes included according announced announce stated state added
owned owns lists listed supporting support supported alleged expected expect continued continue called
call made make makes take takes took taken given give gives going used use uses using based held hold set
put get gets got say saying told asked ask want wants wanted went came come comes began begin become
became left known seen found find think thought believe believed help helped need needs needed show
shows showed shown tried try trying run running told claimed claim claims described describe described
""".split())  # noqa: SIM905
_VERB_ENDINGS = ("ed", "ing", "ly")


def key_terms(sents: Sequence[Sentence], title: str, entity_texts: Sequence[str] = (), limit: int = 8) -> tuple[str, ...]:
    """Key words and two-word phrases ranked by frequency x spread x headline presence; not entity names."""
    ents = {w.lower() for t in entity_texts for w in t.split()}
    title_stems = {stem(w) for w in _PHRASE_BREAK.split(title.lower()) if w}
    count: Counter[str] = Counter()
    spread: dict[str, set[int]] = defaultdict(set)
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for i, s in enumerate(sents):
        if s.furniture:
            continue
        words = [w for w in _PHRASE_BREAK.split(s.text) if w]
        run: list[str] = []
        for w in words + [""]:
            low = w.lower().strip("'’-")
            if low and low.isalpha() and len(low) > 2 and low not in STOP_WORDS and low not in ents \
                    and low not in _VERBS:
                run.append(w)
                continue
            for j in range(len(run)):
                for size in (1, 2):
                    if j + size <= len(run):
                        grams = run[j : j + size]
                        key = " ".join(stem(g.lower()) for g in grams)
                        count[key] += 1
                        spread[key].add(i)
                        surface[key][" ".join(g.lower() if not g.isupper() else g for g in grams)] += 1
            run = []
    scored = []
    for key, c in count.items():
        if c < 2 and " " not in key:
            continue
        if " " in key and c < 2:
            continue
        parts = key.split()
        score = c * (1 + math.log(len(spread[key]))) * (1.6 if set(parts) & title_stems else 1.0)
        score *= 1.5 if len(parts) == 2 else 1.0
        if len(parts) == 1 and key.endswith(_VERB_ENDINGS) and not set(parts) & title_stems:
            score *= 0.35  # "alleged", "continuing", "quickly": rarely a topic on their own
        scored.append((score, key))
    scored.sort(reverse=True)
    out: list[str] = []
    seen: set[str] = set()
    for _, key in scored:
        parts = set(key.split())
        if parts <= seen and len(parts) == 1:
            continue
        out.append(surface[key].most_common(1)[0][0])
        seen |= parts
        if len(out) >= limit:
            break
    return tuple(out)
