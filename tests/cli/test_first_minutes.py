"""What a new user met in the CLI in the first ten minutes (issues 29 and 25), through the installed
`triage` as a shell runs it: each message says what is missing and how to give it, exit codes as
DESIGN.md says, plurals right, usage lines that name only what can be typed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRIAGE = Path(sys.executable).with_name("triage")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home: no user config, data and state inside tmp_path."""
    (tmp_path / "home").mkdir()
    (tmp_path / "none.toml").write_text("")
    return tmp_path


def triage(home: Path, *args: str | Path, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        "HOME": str(home / "home"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "COLUMNS": "80",
        "TRIAGE_CONFIG": str(config or home / "none.toml"),
        "TRIAGE_DATA_DIR": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    return subprocess.run(
        [str(TRIAGE), *map(str, args)], capture_output=True, text=True, cwd=home, timeout=120, env=env
    )


def _story(folder: Path, name: str, title: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


# -- an inbox with nothing triage can read


@pytest.mark.parametrize("command", ["ingest", "summarize"])
def test_an_empty_folder_says_no_stories_and_what_triage_reads(home, command):
    empty = home / "inbox"
    empty.mkdir()
    out = triage(home, command, empty)
    assert out.returncode == 1 and out.stdout == ""
    line = out.stderr.strip()
    assert line.startswith(f"triage: No stories in {empty}. triage reads ") and "\n" not in line
    for kind in ("NITF", "NewsML-G2", "RSS", "Atom", "HTML", ".eml", "plain text"):
        assert kind in line, kind


@pytest.mark.parametrize("command", ["ingest", "summarize"])
def test_a_folder_of_unreadable_files_names_each_then_says_no_stories(home, command):
    folder = home / "inbox"
    folder.mkdir()
    (folder / "photo.dat").write_bytes(bytes(range(256)) * 8)
    out = triage(home, command, folder)
    assert out.returncode == 1 and out.stdout == ""
    problem, summary = out.stderr.strip().split("\n")
    assert problem.startswith(f"triage: {folder / 'photo.dat'}: ")
    assert summary.startswith(f"triage: No stories in {folder}; 1 file could not be read (see above).")
    assert "triage reads wire copy" in summary


# -- usage lines, --config, mistyped commands


@pytest.mark.parametrize(
    "args", [["{inbox}", "--bogus"], ["no-such-folder-here"], ["--db", "x.json", "{inbox}", "-q"]]
)
def test_usage_lines_never_name_the_hidden_open_command(home, args):
    inbox = home / "inbox"
    inbox.mkdir()
    out = triage(home, *[a.format(inbox=inbox) for a in args])
    assert out.returncode == 2
    assert "triage open" not in out.stderr
    assert "Usage: triage [--config FILE] [--db FILE] [INBOX]..." in out.stderr
    assert "Try 'triage --help' for help." in out.stderr


def test_config_is_read_after_the_command_as_before_it(home):
    config = home / "mine.toml"
    config.write_text('[[feeds]]\nurl = "https://wire.example.org/rss"\nname = "Wire"\n')
    for args in (
        ["--config", config, "feeds", "list", "--json"],
        ["feeds", "list", "--json", "--config", config],
        ["feeds", "list", f"--config={config}", "--json"],
    ):
        out = triage(home, *args)
        assert out.returncode == 0, (args, out.stderr)
        assert [f["url"] for f in json.loads(out.stdout)] == ["https://wire.example.org/rss"], args
    out = triage(home, "feeds", "list", "--config", home / "missing.toml")
    assert out.returncode == 2 and f"{home / 'missing.toml'}" in out.stderr  # read, and refused


def test_a_mistyped_command_is_not_taken_for_an_inbox(home):
    out = triage(home, "decsions")
    assert out.returncode == 2
    assert "did you mean `decisions`?" in out.stderr and "decsions" in out.stderr
    out = triage(home, "sumarize", "x.txt")
    assert out.returncode == 2 and "did you mean `summarize`?" in out.stderr


def test_a_folder_whose_name_is_close_to_a_command_is_still_an_inbox(home):
    (home / "revew").mkdir()  # a real folder: its name wins over the `review` command it resembles
    out = triage(home, "revew", "--bogus")
    assert out.returncode == 2 and "did you mean" not in out.stderr and "--bogus" in out.stderr


# -- what each message asks for


def test_decide_without_an_inbox_says_what_is_missing_and_how_to_give_it(home):
    out = triage(home, "decide", "abc123", "flag", "--db", home / "d.json")
    assert out.returncode == 0 and out.stdout.strip() == "abc123: flag"
    warning = out.stderr.strip()
    assert "no INBOX folder was given after the decision" in warning and "[paths] inbox" in warning
    assert "recorded by its id alone, without its title, source or URL" in warning


def test_recover_counts_a_file_it_could_not_read_at_all(home):
    junk = home / "junk.json"
    junk.write_bytes(b"this is not a decisions file \x00\xff at all\nnor this {\n")
    target = home / "new.json"
    out = triage(home, "recover", "--db", junk, "--output", target)
    assert out.returncode == 1  # nothing usable
    assert out.stdout.startswith(f"Recovered 0 events into {target} (1 damaged entry set aside (kept in ")
    kept = list(home.glob("new.json.damaged-*.jsonl"))
    assert len(kept) == 1 and b"this is not a decisions file" in kept[0].read_bytes()
    assert junk.read_bytes().startswith(b"this is not a decisions file")  # left as it is


# -- plurals, and nothing cut in a pipe


def test_one_article_is_one_article_and_a_short_story_is_under_a_minute(home):
    folder = home / "inbox"
    _story(folder, "one.txt", "Council opens new library", "The town council opened a new library on Monday.")
    out = triage(home, "ingest", folder)
    assert out.returncode == 0 and out.stderr.strip() == "1 article"
    out = triage(home, "summarize", folder)
    assert out.returncode == 0
    assert "under a minute's read" in out.stdout and "0 min read" not in out.stdout


def test_ingest_table_into_a_pipe_keeps_whole_titles(home):
    title = "A headline far longer than any terminal is wide, " * 3 + "which a script reads whole"
    _story(home / "inbox", "long.txt", title.strip(), "Body text of the story, in one sentence.")
    out = triage(home, "ingest", home / "inbox")  # COLUMNS=80, stdout a pipe
    assert out.returncode == 0 and title.strip() in out.stdout and "…" not in out.stdout
