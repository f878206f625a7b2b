"""Every should_fail file of IPTC's NewsML-G2 and ninjs suites: no traceback, at most one plain problem
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
def test_should_fail_gives_at_most_one_plain_line(path: Path):
    articles, problems = read_file(path)
    assert len(problems) <= 1
    for p in problems:
        assert "\n" not in p.reason and not any(u in p.reason for u in UNEXPECTED), p.reason
        assert p.where == str(path)
    assert articles or problems  # never silently nothing


def test_most_should_fail_files_say_why():
    said = sum(1 for p in SHOULD_FAIL if read_file(p)[1])
    assert said >= 69  # the rest break rules on fields triage does not read (associations, rights blocks)


@pytest.mark.parametrize(
    "rel, reason",
    [
        (
            "newsinjson/test_suite/1.0/should_fail/002_type_invalid.json",
            "has type 'invalid', which ninjs does not define (not valid ninjs): read as far as it goes",
        ),
        (
            "newsinjson/test_suite/1.0/should_fail/007_pubstatus_cancelled.json",
            "has pubstatus 'cancelled', not usable, withheld or canceled (not valid "
            "ninjs): read as far as it goes",
        ),
        (
            "newsinjson/test_suite/1.2/should_fail/003_ednote_bad_type.json",
            "has 'ednote' that is not a string (not valid ninjs): read as far as it goes",
        ),
        (
            "newsinjson/test_suite/3.0/should_fail/006_bad_urgency.json",
            "has an urgency that is not a number from 1 to 9 (not valid ninjs): read as far as it goes",
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


def test_triage_ingest_on_every_should_fail_file_is_at_most_one_plain_line_each(tmp_path):
    """The installed command, as a desk would run it: problems on stderr, one line a file at most, no
    traceback, nothing but the files' own lines and the closing count."""
    import subprocess
    import sys

    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_CONFIG_HOME": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "triage", "ingest", "--no-cache", *map(str, SHOULD_FAIL)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in out.stderr and out.returncode in (0, 1)
    lines = out.stderr.splitlines()
    per_file = {str(p): [ln for ln in lines if ln.startswith(f"triage: {p}: ")] for p in SHOULD_FAIL}
    assert all(len(found) <= 1 for found in per_file.values()), per_file
    said = sum(1 for found in per_file.values() if found)
    assert said == 69
    others = [ln for ln in lines if not any(ln in found for found in per_file.values())]
    assert len(others) <= 1 and all(ln.isprintable() for ln in lines), others
