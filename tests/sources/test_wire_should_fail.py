"""Every should_fail file of IPTC's NewsML-G2 and ninjs suites: no traceback, exactly one plain problem
line, and the line says what is wrong (tests/sources/data/wire/NOTICE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.sources import read_file

WIRE = Path(__file__).parent / "data" / "wire"
SHOULD_FAIL = sorted(p for p in WIRE.rglob("should_fail/*") if p.is_file())
UNEXPECTED = ("Traceback", "could not be read (")


def test_the_suites_are_all_here():
    assert len([p for p in SHOULD_FAIL if "newsml-g2" in p.parts]) == 10
    assert len([p for p in SHOULD_FAIL if "newsinjson" in p.parts]) == 70


@pytest.mark.parametrize("path", SHOULD_FAIL, ids=lambda p: "/".join(p.parts[-4:]))
def test_should_fail_gives_exactly_one_plain_line(path: Path):
    articles, problems = read_file(path)
    assert len(problems) == 1, [p.reason for p in problems]
    reason = problems[0].reason
    assert reason.isprintable() and not any(u in reason for u in UNEXPECTED), reason
    assert problems[0].where == str(path)


# The faults in parts triage does not read, and the rules tied to a version: each named, and the story
# still read when it is usable (a warning, not a refusal).
@pytest.mark.parametrize(
    "rel, reason, stories",
    [
        (
            "newsinjson/test_suite/1.0/should_fail/014_type_component.json",
            "has type 'component', which ninjs defines only from 1.2, and declares no version (not valid "
            "ninjs); read as far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/1.3/should_fail/007_invalid_genre.json",
            "has 'genre' that is a string, where ninjs wants a list of objects (not valid ninjs); "
            "read as far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/1.4/should_fail/005_bad_rightsinfo.json",
            "has 'linkedrights' outside 'rightsinfo', where ninjs puts it (not valid ninjs); read as far as "
            "it goes",
            1,
        ),
        (
            "newsinjson/test_suite/1.4/should_fail/006_bad_rightsinfo.json",
            "has 'rightsinfo' with both 'linkedrights' and 'encodedrights', where ninjs wants one of them "
            "(not valid ninjs); read as far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/1.5/should_fail/002_bad_association.json",
            "has association 'first' with 'incorrectproperty', which ninjs does not define (not valid "
            "ninjs); it has neither a headline nor text: skipped",
            0,
        ),
        (
            "newsinjson/test_suite/2.0/should_fail/002_bad_association.json",
            "has association 1 with no 'name', which ninjs 2.1 and later require (not valid ninjs); read as "
            "far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/2.1/should_fail/001_bad_association.json",
            "has association 1 with 'incorrectproperty', which ninjs does not define (not valid ninjs); read "
            "as far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/2.1/should_fail/003_good_association_but_no_uri.json",
            "has association 1 with no 'uri', which ninjs 2.1 and later require (not valid ninjs); read as "
            "far as it goes",
            1,
        ),
        (
            "newsinjson/test_suite/1.3/should_fail/001_schema_bad.json",
            "has '$standard' that is a string, where ninjs wants an object (name, version, schema) (not "
            "valid ninjs); it has neither a headline nor text: skipped",
            0,
        ),
        (
            "newsinjson/test_suite/1.0/should_fail/004_representationtype_invalid.json",
            "has representationtype 'invalid', not complete, incomplete, full or partial (not valid ninjs); "
            "it has neither a headline nor text: skipped",
            0,
        ),
        (
            "newsinjson/test_suite/1.3/should_fail/005_bad_altids.json",
            "has 'altids' that is a string, where ninjs 1.x wants an object (not valid ninjs); "
            "it has neither a headline nor text: skipped",
            0,
        ),
        (
            "newsml-g2/2.34/should_fail/CR00218_too_many_nested_related.xml",
            "has <related> nested 4 deep, where NewsML-G2 2.34 allows 3 (not valid NewsML-G2): read as far "
            "as it goes",
            1,
        ),
        (
            "newsml-g2/2.28/should_fail/2.29_retiring_scheme_scheme.xml",
            "is a NewsML-G2 catalog, not a news story: skipped",
            0,
        ),
    ],
)
def test_faults_outside_what_triage_reads_are_named(rel, reason, stories):
    articles, problems = read_file(WIRE / rel)
    assert [p.reason for p in problems] == [reason]
    assert len(articles) == stories


@pytest.mark.parametrize(
    "rel, reason",
    [
        (
            "newsinjson/test_suite/1.0/should_fail/002_type_invalid.json",
            "has type 'invalid', which ninjs does not define (not valid ninjs); it has neither a headline "
            "nor text: skipped",
        ),
        (
            "newsinjson/test_suite/1.0/should_fail/015_pubstatus_commissioned.json",
            "has pubstatus 'commissioned', not usable, withheld or canceled (not valid ninjs); "
            "read as far as it goes",
        ),
        (
            "newsinjson/test_suite/1.2/should_fail/003_ednote_bad_type.json",
            "has 'ednote' that is not a string (not valid ninjs); "
            "it has neither a headline nor text: skipped",
        ),
        (
            "newsinjson/test_suite/3.0/should_fail/006_bad_urgency.json",
            "has an urgency that is not a number from 1 to 9 (not valid ninjs); "
            "it has neither a headline nor text: skipped",
        ),
        ("newsml-g2/2.29/should_fail/001_incomplete_file.xml", "has neither a headline nor text: skipped"),
        (
            "newsml-g2/2.30/should_fail/CR00215_hasInstrument_on_concept.xml",
            "is a NewsML-G2 concept item, not a news story: skipped",
        ),
    ],
)
def test_should_fail_exact_lines(rel, reason):
    assert [p.reason for p in read_file(WIRE / rel)[1]] == [reason]


def test_triage_ingest_on_every_should_fail_file_is_one_plain_line_each(tmp_path):
    """The installed command, as a desk would run it: problems on stderr, one line a file, no
    traceback, nothing but the files' own lines and the closing count."""
    import subprocess
    import sys

    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "d"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "triage", "ingest", "--no-cache", *map(str, SHOULD_FAIL)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in out.stderr and out.returncode in (0, 1)
    lines = out.stderr.splitlines()
    per_file = {str(p): [ln for ln in lines if ln.startswith(f"triage: {p}: ")] for p in SHOULD_FAIL}
    assert all(len(found) == 1 for found in per_file.values()), per_file
    others = [ln for ln in lines if not any(ln in found for found in per_file.values())]
    assert len(others) <= 1 and all(ln.isprintable() for ln in lines), others


def _ninjs(tmp_path: Path, obj: dict) -> list[str]:
    import json

    path = tmp_path / "item.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    articles, problems = read_file(path)
    assert len(articles) == 1  # a fault in a part triage does not read never costs the story
    return [p.reason for p in problems]


@pytest.mark.parametrize(
    "extra, said",
    [
        # A version rule follows the declared version: 'component' is ninjs 1.2's.
        ({"type": "component", "$standard": {"name": "ninjs", "version": "1.2"}}, []),
        (
            {"type": "component", "$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.1.json"},
            ["has type 'component', which ninjs defines only from 1.2 (it declares ninjs 1.1)"],
        ),
        # 2.0 lets an association be a name alone; 2.1 and later want a name and a uri.
        ({"standard": {"name": "ninjs", "version": "2.0"}, "associations": [{"name": "logo"}]}, []),
        (
            {"standard": {"version": "2.1"}, "associations": [{"name": "logo"}]},
            ["has association 1 with no 'uri', which ninjs 2.1 requires"],
        ),
        # The shape tells 1.x from 2.x when no version is declared.
        (
            {"headline": "H", "associations": [{"name": "logo", "uri": "u"}]},
            ["has 'associations' that is a list, where ninjs wants an object of named items"],
        ),
        (
            {"headlines": [{"value": "H"}], "associations": {"logo": {"uri": "u"}}},
            ["has 'associations' that is an object, where ninjs wants a list of items"],
        ),
        (
            {"headline": "H", "associations": {"logo": {"uri": "u", "headline_x": "ok", "type": "picture"}}},
            [],
        ),
        (
            {
                "versionCreated": "2024-01-01T00:00:00Z",
                "associations": [{"name": "n", "uri": "u", "rel": "r"}],
            },
            [],
        ),
        ({"rightsinfo": {"linkedrights": "http://example.com/r"}, "genre": [{"name": "Current"}]}, []),
        (
            {"rightsInfo": {"encodedRights": 5}},
            ["has 'rightsinfo' whose 'encodedrights' is a number, not a string"],
        ),
    ],
)
def test_ninjs_part_rules_by_declared_version_or_shape(tmp_path, extra, said):
    obj = {"uri": "urn:x:1", "body_text": "Text of the story.", **extra}
    assert _ninjs(tmp_path, obj) == [f"{s} (not valid ninjs); read as far as it goes" for s in said]


def test_related_nesting_follows_the_declared_newsml_g2_version(tmp_path):
    src = (WIRE / "newsml-g2/2.34/should_pass/CR00218_increase_nesting_of_related.xml").read_text("utf-8")
    assert read_file(WIRE / "newsml-g2/2.34/should_pass/CR00218_increase_nesting_of_related.xml")[1] == []
    older = tmp_path / "older.xml"  # three levels were allowed only from 2.34
    older.write_text(src.replace('standardversion="2.34"', 'standardversion="2.33"'), encoding="utf-8")
    articles, problems = read_file(older)
    assert len(articles) == 1
    assert [p.reason for p in problems] == [
        "has <related> nested 3 deep, where NewsML-G2 2.33 allows 2 (not valid NewsML-G2): "
        "read as far as it goes"
    ]
