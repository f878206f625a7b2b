"""ninjs rules on parts triage does not read (associations, rights, genres) and rules tied to a version.

Light structural checks, written by hand from IPTC's JSON Schemas 1.0 to 3.1 (no schema is fetched): a
part's type, its required members, the names ninjs defines inside an association. The version is the
one the item declares (`$schema`, `$standard` or `standard`: a version or a `ninjs-schema_X.Y` URI);
an item that declares none is judged by its shape (1.x: `headline`, `body_text`, an object of
associations; 2.x: `headlines`, `bodies`; 3.x: camelCase names such as `versionCreated`), by the rules
of the newest version of that shape.
"""

from __future__ import annotations

import re
from typing import Any

from triage.sources.readers.jsonfiles import json_type

__all__ = ["Version", "item_version", "part_problem"]

Version = tuple[int, int | None]  # (major, minor); minor None when only the shape tells the major

# Property names each major version defines (union of its minor versions), lowercased. 1.x also allows
# `body_*`, `description_*` and `headline_*` extensions.
_PROPS_1 = frozenset(
    "$standard altids associations byline charcount contentcreated copyrightholder copyrightnotice "
    "digitalsourcetype ednote embargoed event expires firstcreated genre headline infosource language "
    "located mimetype object organisation person place profile pubstatus renditions representationtype "
    "rightsinfo slugline subject title trustindicator type urgency uri usageterms version versioncreated "
    "wordcount".split()
)
_PROPS_2 = frozenset(
    "altids associations bodies by contentcreated copyrightholder copyrightnotice descriptions "
    "digitalsourcetype ednote embargoed events expires firstcreated genres headlines infosources language "
    "located objects organisations people places profile pubstatus renditions representationtype "
    "rightsinfo slugline standard subjects title trustindicators type urgency uri usageterms version "
    "versioncreated".split()
)
_PROPS_3 = (_PROPS_2 - {"embargoed"}) | {"embargoeduntil", "eventdetails", "plannedcoverage"}
_PROPS = {1: _PROPS_1, 2: _PROPS_2, 3: _PROPS_3}
_ASSOCIATION_EXTRA = frozenset({"name", "rel"})  # an association's own members (2.x name, 3.x rel)
_EXTENSION_1 = re.compile(r"(body|description|headline)_[a-zA-Z0-9_]+")

_SHAPE_3 = frozenset(
    "versionCreated firstCreated contentCreated pubStatus edNote embargoedUntil altIds infoSources "
    "copyrightHolder copyrightNotice usageTerms rightsInfo trustIndicators representationType "
    "eventDetails plannedCoverage".split()
)
_SHAPE_2 = frozenset(
    "headlines bodies descriptions genres infosources people places organisations objects subjects "
    "events trustindicators standard".split()
)
_SHAPE_1 = frozenset(
    "headline body_text body_html body_xhtml description_text description_html description_xhtml genre "
    "infosource person place organisation object subject byline $standard trustindicator".split()
)
_SCHEMA_VERSION = re.compile(r"ninjs-schema_(\d+)\.(\d+)")
_VERSION = re.compile(r"(?<![\s\d])\s*+(\d++)\.(\d+)")  # from a run's start only: linear


def item_version(obj: dict[str, Any], keys: dict[str, Any]) -> Version | None:
    """The ninjs version an item declares, else the major version its shape shows, else None.
    `keys` is `obj` with lowercased names."""
    for key in ("$schema", "$standard", "standard"):
        declared = keys.get(key)
        if isinstance(declared, dict):
            declared = {k.lower(): v for k, v in declared.items() if isinstance(k, str)}
            stated = declared.get("version")
            m = _VERSION.match(stated) if isinstance(stated, str) else None
            if m is None and isinstance(declared.get("schema"), str):
                m = _SCHEMA_VERSION.search(declared["schema"])
        else:
            m = _SCHEMA_VERSION.search(declared) if isinstance(declared, str) else None
        if m is not None:
            return int(m.group(1)), int(m.group(2))
    if not _SHAPE_3.isdisjoint(obj.keys()):
        return 3, None
    if not _SHAPE_2.isdisjoint(keys):
        return 2, None
    if not _SHAPE_1.isdisjoint(keys) or any(map(_EXTENSION_1.fullmatch, keys)):
        return 1, None
    associations = keys.get("associations")  # the last sign: its own shape
    return (
        (2, None) if isinstance(associations, list) else (1, None) if isinstance(associations, dict) else None
    )


def _said(version: Version | None) -> str:
    if version is None or version[1] is None:
        return "ninjs"
    return f"ninjs {version[0]}.{version[1]}"


def part_problem(obj: dict[str, Any], keys: dict[str, Any]) -> str:
    """The first way the item breaks a rule on a part triage does not read, or a rule of its version
    ("" when none), worded to follow "has"/"is" after the item's name."""
    version = item_version(obj, keys)
    for key in ("$standard", "standard"):
        if key in keys and not isinstance(keys[key], dict):
            wants = "an object (name, version, schema)"
            return f"has '{key}' that is {json_type(keys[key])}, where ninjs wants {wants}"
    if keys.get("type") == "component" and version is not None and version[0] == 1:
        if version[1] is None:
            return "has type 'component', which ninjs defines only from 1.2, and declares no version"
        if version[1] < 2:
            return f"has type 'component', which ninjs defines only from 1.2 (it declares {_said(version)})"
    return (
        _representation(keys, version)
        or _lists(keys, version)
        or _associations(keys, version)
        or _genres(keys)
        or _rights(keys)
    )


# representationtype: 1.x "complete" / "incomplete", 2.x and later "full" / "partial".
_REPRESENTATIONS = {1: ("complete", "incomplete"), 2: ("full", "partial"), 3: ("full", "partial")}
# Parts that are lists of objects (people, places, subjects ...): 1.x singular names, 2.x and 3.x plural.
_OBJECT_LISTS = (
    "person organisation place object subject infosource "
    "people organisations places objects subjects infosources".split()
)


def _representation(keys: dict[str, Any], version: Version | None) -> str:
    value = keys.get("representationtype")
    if value is None:
        return ""
    allowed: tuple[str, ...] = _REPRESENTATIONS.get(version[0], ()) if version is not None else ()
    allowed = allowed or ("complete", "incomplete", "full", "partial")
    if value not in allowed:
        shown = repr(value[:30]) if isinstance(value, str) else json_type(value)
        return f"has representationtype {shown}, not {', '.join(allowed[:-1])} or {allowed[-1]}"
    return ""


def _lists(keys: dict[str, Any], version: Version | None) -> str:
    for key in _OBJECT_LISTS:
        if key in keys and (problem := _object_list(key, keys[key])):
            return problem
    altids = keys.get("altids")
    if altids is None or version is None:
        return ""
    if version[0] == 1:
        return (
            ""
            if isinstance(altids, dict)
            else f"has 'altids' that is {json_type(altids)}, where ninjs 1.x wants an object"
        )
    return _object_list("altids", altids)


def _object_list(key: str, value: Any) -> str:
    if not isinstance(value, list):
        return f"has '{key}' that is {json_type(value)}, where ninjs wants a list of objects"
    for n, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            return f"has '{key}' whose item {n} is {json_type(item)}, not an object"
    return ""


def _associations(keys: dict[str, Any], version: Version | None) -> str:
    value = keys.get("associations")
    if value is None:
        return ""
    major = version[0] if version is not None else (1 if isinstance(value, dict) else 2)
    if major == 1:
        if not isinstance(value, dict):
            wants = f"{_said(version)} wants an object of named items"
            return f"has 'associations' that is {json_type(value)}, where {wants}"
        named = [(f"'{name}'", item) for name, item in value.items()]
        needs: tuple[str, ...] = ("uri",) if version != (1, 0) else ()
        since = "1.1"
    else:
        if not isinstance(value, list):
            return (
                f"has 'associations' that is {json_type(value)}, where {_said(version)} wants a list of items"
            )
        named = [(str(n), item) for n, item in enumerate(value, start=1)]
        needs, since = ("name", "uri"), "2.1"
    allowed = _PROPS.get(major, _PROPS_3) | _ASSOCIATION_EXTRA
    for name, item in named:
        if not isinstance(item, dict):
            return f"has association {name} that is {json_type(item)}, not an object"
        lowered = {k.lower() for k in item if isinstance(k, str)}
        unknown = sorted(
            k
            for k in item
            if isinstance(k, str)
            and k.lower() not in allowed
            and not (major == 1 and _EXTENSION_1.fullmatch(k))
        )
        if version == (2, 0):  # 2.0: a name, or else a whole ninjs object (a uri and ninjs names only)
            if "name" not in lowered and ("uri" not in lowered or unknown):
                why = f"'{unknown[0][:40]}', which ninjs does not define" if unknown else "no 'uri'"
                return f"has association {name} with no 'name' and {why}"
            continue
        missing = [k for k in needs if k not in lowered]
        if missing:
            which = (
                f"{_said(version)} requires"
                if version and version[1] is not None
                else f"ninjs {since} and later require"
            )
            return f"has association {name} with no '{missing[0]}', which {which}"
        if unknown:
            return f"has association {name} with '{unknown[0][:40]}', which ninjs does not define"
    return ""


def _genres(keys: dict[str, Any]) -> str:
    for key in ("genre", "genres"):
        if key in keys and (problem := _object_list(key, keys[key])):
            return problem
    return ""


def _rights(keys: dict[str, Any]) -> str:
    for key in ("linkedrights", "encodedrights"):
        if key in keys:
            return f"has '{key}' outside 'rightsinfo', where ninjs puts it"
    value = keys.get("rightsinfo")
    if value is None:
        return ""
    if not isinstance(value, dict):
        return f"has 'rightsinfo' that is {json_type(value)}, where ninjs wants an object"
    rights = {k.lower(): v for k, v in value.items() if isinstance(k, str)}
    given = [k for k in ("linkedrights", "encodedrights") if k in rights]
    if len(given) != 1:
        which = (
            "both 'linkedrights' and 'encodedrights'"
            if given
            else "neither 'linkedrights' nor 'encodedrights'"
        )
        return f"has 'rightsinfo' with {which}, where ninjs wants one of them"
    if not isinstance(rights[given[0]], str):
        return f"has 'rightsinfo' whose '{given[0]}' is {json_type(rights[given[0]])}, not a string"
    return ""
