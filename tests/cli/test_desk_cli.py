"""The desk from the command line, through the installed `triage` as a script runs it (DESIGN.md, "The
desk"): take and give back, assign with a note, `desk --json`, watches, the handover, `decisions
--assigned-to`, with `--db FILE` and no inbox; untrusted text never reaches the terminal raw; the desk
commands stay light (no spaCy, no Textual)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from triage.desk.desk import login_name

TRIAGE = Path(sys.executable).with_name("triage")
ME = login_name()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "none.toml").write_text("")
    return tmp_path


def triage(home: Path, *args: str | Path) -> subprocess.CompletedProcess:
    env = {"HOME": str(home / "home"), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "COLUMNS": "80",
           "TRIAGE_CONFIG": str(home / "none.toml"), "TRIAGE_DATA_DIR": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state")}
    out = subprocess.run([str(TRIAGE), *map(str, args)], capture_output=True, text=True, cwd=home,
                         timeout=120, env=env)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_take_assign_desk_and_assigned_to_with_no_inbox(home: Path) -> None:
    db = home / "d.json"
    out = triage(home, "take", "desk-1", "--db", db)
    assert out.returncode == 0 and f"taken by {ME}" in out.stdout
    out = triage(home, "assign", "desk-2", "ana", "--note", "check the figures", "--db", db)
    assert out.returncode == 0 and "handed to ana (check the figures)" in out.stdout
    out = triage(home, "assign", "desk-3", "--desk", "--db", db)
    assert out.returncode == 0 and "handed to the desk" in out.stdout
    doc = json.loads(triage(home, "desk", "--json", "--db", db).stdout)
    assert set(doc) >= {"people", "takes", "handoffs"} and doc["people"] == []
    assert [(t["article_id"], t["user"]) for t in doc["takes"]] == [("desk-1", ME)]
    assert doc["takes"][0]["until"] > doc["takes"][0]["since"]
    assert [(h["article_id"], h["from"], h["to"], h["note"], h["seen"]) for h in doc["handoffs"]] == [
        ("desk-2", ME, "ana", "check the figures", False), ("desk-3", ME, "@desk", "", False)]
    out = triage(home, "decisions", "--db", db, "--assigned-to", "Ana", "--format", "json")
    rows = json.loads(out.stdout)
    assert [(r["article_id"], r["decision"], r["handoff_note"]) for r in rows] == [
        ("desk-2", None, "check the figures")]
    table = triage(home, "decisions", "--db", db, "--assigned-to", "ana").stdout
    assert "desk-2" in table and "check the figu" in table and "desk-3" not in table
    csv = triage(home, "decisions", "--db", db, "--assigned-to", "ana", "--format", "csv").stdout
    assert "handoff_note" in csv.splitlines()[0] and "check the figures" in csv
    # giving back: once, then there is nothing to give back (exit 1)
    assert triage(home, "take", "desk-1", "--release", "--db", db).returncode == 0
    out = triage(home, "take", "desk-1", "--release", "--db", db)
    assert out.returncode == 1 and "no take" in out.stderr
    assert json.loads(triage(home, "desk", "--json", "--db", db).stdout)["takes"] == []
    people = triage(home, "desk", "--db", db)
    assert people.returncode == 0 and "Nobody is on the desk now." in people.stdout


def test_a_decision_ends_a_take_and_the_handover_tells_the_shift(home: Path) -> None:
    db = home / "d.json"
    inbox = home / "inbox"
    inbox.mkdir()
    (inbox / "storm.txt").write_text("Storm hits the coast\n\nA storm warning was issued.\n",
                                     encoding="utf-8")
    ids = [json.loads(line)["id"] for line in triage(home, "ingest", inbox, "--json").stdout.splitlines()]
    (storm,) = ids
    assert triage(home, "take", storm, "--db", db).returncode == 0
    assert triage(home, "decide", "other", "follow-up", "--note", "call them", "--db", db).returncode == 0
    assert triage(home, "decide", storm, "flag", "--db", db).returncode == 0  # my own take: no question
    assert json.loads(triage(home, "desk", "--json", "--db", db).stdout)["takes"] == []
    assert triage(home, "watches", "add", "Weather", "storm", "--desk", "--db", db).returncode == 0
    assert triage(home, "watches", "add", "Quakes", "quake", "--db", db).returncode == 0
    listed = json.loads(triage(home, "watches", "list", "--json", "--db", db).stdout)
    assert [(w["name"], w["desk"]) for w in listed] == [("Quakes", False), ("Weather", True)]
    (inbox / "quake.txt").write_text("Quake shakes the capital\n\nA quake was felt.\n", encoding="utf-8")
    out = triage(home, "handover", inbox, "--since", "1h", "--format", "json", "--db", db)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {u: [(e["article_id"], e["note"]) for e in evs] for u, evs in doc["editors"].items()} == {
        ME: [("other", "call them"), (storm, "")]}
    assert [(w["watch"], w["title"]) for w in doc["watch_hits"]] == [("Quakes", "Quake shakes the capital")]
    md = triage(home, "handover", inbox, "--db", db).stdout
    assert md.startswith("# Handover") and "call them" in md and "Quake shakes the capital" in md
    assert triage(home, "watches", "remove", "Quakes", "--db", db).returncode == 0
    out = triage(home, "watches", "remove", "Quakes", "--db", db)
    assert out.returncode == 1 and "no watch" in out.stderr


def test_untrusted_text_is_clean_and_bad_arguments_are_usage_errors(home: Path) -> None:
    db = home / "d.json"
    out = triage(home, "assign", "desk-2", "ana", "--note", "\x1b]0;owned\x07 look \u202e here", "--db", db)
    assert out.returncode == 0 and "\x1b" not in out.stdout and "\u202e" not in out.stdout
    doc = triage(home, "desk", "--json", "--db", db).stdout
    assert "\x1b" not in doc and "\u202e" not in doc
    assert "\x1b" not in triage(home, "desk", "--db", db).stdout
    assert triage(home, "assign", "desk-2", "--db", db).returncode == 2  # neither USER nor --desk
    assert triage(home, "assign", "desk-2", "ana", "--desk", "--db", db).returncode == 2
    assert triage(home, "take", "bad\x1b[2J", "--db", db).returncode == 2
    assert triage(home, "handover", "--since", "soon", "--db", db).returncode == 2


@pytest.mark.parametrize("args", [["take", "x1"], ["desk", "--json"], ["watches", "list"],
                                  ["handover", "--format", "json"]])
def test_desk_commands_are_light(args: list[str], home: Path) -> None:
    code = ("import sys; from triage.cli.main import cli\n"
            f"try:\n    cli({[*args, '--db', str(home / 'd.json')]!r}, prog_name='triage')\n"
            "except SystemExit as done:\n    print('exit', done.code)\n"
            "print(sorted(m for m in ('spacy', 'textual') if m in sys.modules))")
    env = {"HOME": str(home / "home"), "PATH": "/usr/bin:/bin", "TRIAGE_CONFIG": str(home / "none.toml"),
           "TRIAGE_DATA_DIR": str(home / "data")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=home, timeout=120,
                         env=env)
    lines = out.stdout.strip().splitlines()
    assert lines[-2:] == ["exit 0", "[]"], out.stdout + out.stderr  # it ran to the end, importing neither


def test_decide_is_not_stopped_by_my_own_take_when_the_desk_knows_me_by_another_name(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # on PostgreSQL the desk knows me by my role, not my login: `decide` must compare the take's user
    # with the record's name for me, which it has only once the record is open
    from click.testing import CliRunner

    import triage.desk.desk as desk_module
    from triage.cli.main import cli

    db = home / "d.json"
    assert triage(home, "take", "desk-1", "--db", db).returncode == 0
    monkeypatch.setattr(desk_module, "login_name", lambda: "not-my-role")
    monkeypatch.setenv("TRIAGE_CONFIG", str(home / "none.toml"))
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(home / "data"))
    out = CliRunner().invoke(cli, ["decide", "desk-1", "archive", "--db", str(db)])
    assert out.exit_code == 0, out.output


def test_assigned_to_lists_a_story_handed_on_since_under_its_new_holder_only(home: Path) -> None:
    db = home / "d.json"
    assert triage(home, "assign", "desk-1", "ana", "--note", "first", "--db", db).returncode == 0
    assert triage(home, "assign", "desk-1", "ben", "--note", "ana is off", "--db", db).returncode == 0
    ana = json.loads(triage(home, "decisions", "--db", db, "--assigned-to", "ana", "--format", "json").stdout)
    ben = json.loads(triage(home, "decisions", "--db", db, "--assigned-to", "ben", "--format", "json").stdout)
    assert ana == []
    assert [(r["article_id"], r["handoff_note"]) for r in ben] == [("desk-1", "ana is off")]


def test_decide_says_so_when_the_desk_cannot_be_read_to_check_for_a_take(home: Path) -> None:
    """A desk that cannot be read (here a file where its folder should be) no longer lets `decide` pass a
    colleague's take in silence: the decision is made, and stderr says the take could not be checked."""
    db = home / "decisions.json"
    (home / "decisions.json.desk").write_text("not a folder")
    out = triage(home, "decide", "a1", "flag", "--db", db)
    assert out.returncode == 0 and out.stdout.strip() == "a1: flag"
    assert "the desk cannot be read, so whether a colleague holds a1 is not known" in out.stderr
    assert "not a folder" in out.stderr
