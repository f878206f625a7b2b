"""Key terms: the words and two-word phrases a story is about, ranked by frequency, spread and headline."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from .sentences import STOP_WORDS, Sentence, stem

__all__ = ["key_terms"]

_PHRASE_BREAK = re.compile(r"[^\w'’-]+")
# Frequent verbs of news prose: not what a story is about (no tagger runs, to keep the pipeline fast).
_VERBS = frozenset(
    """
reported reporting including include includes included according announced announce stated state added
owned owns lists listed supporting support supported alleged expected expect continued continue called
call made make makes take takes took taken given give gives going used use uses using based held hold set
put get gets got say saying told asked ask want wants wanted went came come comes began begin become
became left known seen found find think thought believe believed help helped need needs needed show
shows showed shown tried try trying run running told claimed claim claims described describe described
""".split()
)  # noqa: SIM905
_VERB_ENDINGS = ("ed", "ing", "ly")


def key_terms(
    sents: Sequence[Sentence], title: str, entity_texts: Sequence[str] = (), limit: int = 8
) -> tuple[str, ...]:
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
            if (
                low
                and low.isalpha()
                and len(low) > 2
                and low not in STOP_WORDS
                and low not in ents
                and low not in _VERBS
            ):
                run.append(w)
                continue
            if run:
                stems = [stem(g.lower()) for g in run]
                shown = [g if g.isupper() else g.lower() for g in run]
                for j in range(len(run)):
                    for key, form in (
                        ((stems[j], shown[j]),)
                        if j + 1 == len(run)
                        else (
                            (stems[j], shown[j]),
                            (f"{stems[j]} {stems[j + 1]}", f"{shown[j]} {shown[j + 1]}"),
                        )
                    ):
                        count[key] += 1
                        spread[key].add(i)
                        surface[key][form] += 1
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
        key_words = set(key.split())
        if key_words <= seen and len(key_words) == 1:
            continue
        out.append(surface[key].most_common(1)[0][0])
        seen |= key_words
        if len(out) >= limit:
            break
    return tuple(out)
