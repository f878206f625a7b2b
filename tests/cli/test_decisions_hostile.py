"""`triage decisions` on a decisions file that holds hostile text: every format safe for a terminal,
JSON escaped (not dropped), CSV guarded against formulas, Markdown escaped with http(s) links only."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from tinydb import TinyDB

from tests.cli.conftest import write_tinydb
from triage.infra.sanitize import has_forbidden

RETITLE = "\x1b]0;pwned\x07"
TITLE = f"{RETITLE}Quake \x1b[2J\x1b[1;1Hhits\x07 coast \x9b31m red\u202ereversed\u2066isolated\u2069"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")


def hostile_doc(article_id: str = "a1\x1b[31m", **over: object) -> dict:
    doc = {
        "article_id": article_id, "decision": "flag", "note": "=cmd|' /C calc'!A0\n# Injected heading",
        "user": "@evil\x07", "host": "h", "at": "2026-01-02T03:04:05.000000Z", "title": TITLE,
        "source": "+SUM(1+1)\x9b", "url": "javascript:alert(1)", "action": "decide", "batch": "",
        "uid": "-2+3",
    }
    doc.update(over)
    return doc


@pytest.fixture(params=["tinydb-insert-into-triage-file", "new-tinydb-file"])
def planted(request, tmp_path, run):
    """Hostile events planted with a plain TinyDB write, as any group member could: into a file triage
    made (read as it is) or into a new file (read as an older schema and migrated)."""
    path = tmp_path / "d.json"
    if request.param == "tinydb-insert-into-triage-file":
        assert run("decide", "seed", "archive", "--db", path).exit_code == 0
    db = TinyDB(path)
    db.table("events").insert(hostile_doc())
    title = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> | a | b | &#x202e; ![i](http://x)"
    db.table("events").insert(hostile_doc("a2", decision="follow-up", title=title,
                                          url="https://news.test/a2?q=1 (x)", note="-1", source="\tTab"))
    db.table("events").insert(hostile_doc("a3", decision="archive"))
    db.close()
    return path


def ids_in(path) -> list[str]:
    return [d["article_id"] for d in json.loads(path.read_text())["events"].values()]


def assert_terminal_safe(text: str) -> None:
    for ch in RAW:
        assert ch not in text, repr(ch)
    assert not has_forbidden(text)


def test_table_passes_no_escape_bell_c1_or_bidi(run, planted):
    result = run("decisions", "--db", planted)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout + result.stderr)
    assert "Quake hits coast" in result.stdout
    assert "pwned" not in result.stdout  # the retitle payload goes with its sequence
    assert len(result.stdout.splitlines()) == 2 + len(set(ids_in(planted)))  # one line per article


def test_markdown_is_escaped_and_links_only_http(run, planted):
    result = run("decisions", "--db", planted, "--format", "md")
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    assert_terminal_safe(md)
    assert not re.search(r"(?<!\\)\]\(javascript", md)  # escaped text only, never a link
    assert "\\[click\\]" in md and "\\<img" in md and "\\| a \\|" in md and "\\&\\#x202e;" in md
    assert "](https://news.test/a2?q=1%20%28x%29)" in md  # the only link: http(s), its brackets encoded
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)
    assert links and all(u.startswith(("http://", "https://")) for u in links)
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert all(re.match(r"#{1,3} ", line) for line in headings)
    assert not any("Injected heading" in line and line.startswith("#") for line in md.splitlines())
    assert "> =cmd\\|' /C calc'!A0 \\# Injected heading" in md


def test_csv_guards_formulas_and_has_no_raw_controls(run, planted):
    result = run("decisions", "--db", planted, "--format", "csv", "--history")
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["article_id"] != "seed"]
    assert len(rows) == 3
    assert rows[0]["note"].startswith("'=cmd|")
    assert rows[0]["source"] == "'+SUM(1+1)" and rows[0]["user"] == "'@evil" and rows[0]["uid"] == "'-2+3"
    assert rows[1]["note"] == "'-1" and rows[1]["source"] == "'\tTab"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_json_escapes_and_round_trips(run, planted):
    result = run("decisions", "--db", planted, "--format", "json", "--history")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert_terminal_safe(out)
    for escape in ("\\u001b", "\\u009b", "\\u202e", "\\u2066", "\\u0007"):
        assert escape in out
    rows = [r for r in json.loads(out) if r["article_id"] != "seed"]
    assert rows[0]["title"] == TITLE and rows[0]["article_id"] == "a1\x1b[31m"  # nothing dropped
    assert rows[0]["user"] == "@evil\x07" and rows[0]["note"] == hostile_doc()["note"]


def test_decide_refuses_an_id_with_an_escape(run, tmp_path):
    path = tmp_path / "d.json"
    result = run("decide", f"{RETITLE}id\x9b2J", "flag", "--db", path)
    assert result.exit_code == 2
    assert_terminal_safe(result.stdout + result.stderr)
    assert "control, escape or bidi" in result.stderr
    assert not path.exists()  # nothing recorded


def test_decide_note_with_escapes_is_stored_clean_and_echo_is_safe(run, tmp_path):
    path = tmp_path / "d.json"
    result = run("decide", "n1", "flag", "--note", f"call {RETITLE}back\u202e", "--db", path)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout + result.stderr)
    rows = json.loads(run("decisions", "--db", path, "--format", "json").stdout)
    assert rows[0]["note"] == "call back"


def test_title_copied_from_the_store_is_echoed_safely(run, planted):
    result = run("decide", "a3", "flag", "--db", planted)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout + result.stderr)
    assert result.stdout.startswith("a3: flag (Quake hits coast")


def test_error_messages_quote_paths_sanitised(run, tmp_path):
    folder = tmp_path / f"x{RETITLE}\u202e"
    folder.mkdir()
    result = run("decisions", "--db", folder / "missing.json")  # a desk where nothing was decided yet
    assert result.exit_code == 0 and "nothing decided there yet" in result.stderr
    assert_terminal_safe(result.stderr)
    result = run("decisions", "--db", folder / "no-such-folder" / "d.json")  # a mistyped path
    assert result.exit_code == 1 and "no such decisions file" in result.stderr
    assert_terminal_safe(result.stderr)
    broken = folder / "d.json"
    broken.write_text('{"events": {"1": ')
    for args in (("decisions", "--db", broken), ("decide", "a1", "flag", "--db", broken)):
        result = run(*args)
        assert result.exit_code == 1 and "does not parse" in result.stderr, result.stderr
        assert_terminal_safe(result.stderr)
        assert result.stderr.count("\n") == 1


def test_wrong_types_written_by_hand_do_not_crash_any_format(run, tmp_path):
    path = tmp_path / "d.json"
    write_tinydb(path, [
        {"article_id": "t1", "decision": ["flag"], "title": 5, "note": None, "at": 7, "user": {"a": 1}},
        {"article_id": "t2", "decision": "flag", "title": float("nan"), "url": ["http://x"]},
        {"article_id": "t3"},
        {"not": "an event"},
    ])
    for fmt in ("table", "csv", "json", "md"):
        for extra in ((), ("--history",), ("--since", "7d"), ("--user", "x"), ("--source", "y"),
                      ("--text", "z")):
            result = run("decisions", "--db", path, "--format", fmt, "--decision", "all", *extra)
            assert result.exit_code == 0, (fmt, extra, result.stderr)
            assert_terminal_safe(result.stdout + result.stderr)
    rows = json.loads(run("decisions", "--db", path, "--format", "json", "--history").stdout)
    assert [(r["article_id"], r["decision"], r["title"]) for r in rows] == [
        ("t1", None, "5"), ("t2", "flag", "nan"), ("t3", None, "")]
    result = run("decide", "t1", "flag", "--db", path)  # decide on top of a hand-written event
    assert result.exit_code == 0, result.stderr
