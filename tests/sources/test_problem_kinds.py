"""Errors are types: each Problem has a kind that code tests, whatever its sentence says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from watchfiles import Change

import triage.infra.private as private
from triage.model import ProblemKind
from triage.sources import load, read_file
from triage.sources.readers.jsonfiles import NotJson, loads
from triage.sources.watch import changes_to_update


def _kind(path: Path, **opts: object) -> ProblemKind:
    articles, problems = read_file(path, **opts)  # type: ignore[arg-type]
    assert not articles and len(problems) == 1, problems
    return problems[0].kind


def test_each_way_a_file_fails_has_its_kind(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "spaces.txt").write_bytes(b"  \n\n ")
    (tmp_path / "big.txt").write_text("x" * 200, encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (tmp_path / "bad.json").write_text("[", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "package.xml").write_text(
        '<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"/>', encoding="utf-8")
    assert _kind(tmp_path / "gone.txt") is ProblemKind.MISSING
    assert _kind(tmp_path / "empty.txt") is ProblemKind.EMPTY
    assert _kind(tmp_path / "spaces.txt") is ProblemKind.EMPTY
    assert _kind(tmp_path / "big.txt", max_file_bytes=100) is ProblemKind.TOO_LARGE
    assert _kind(tmp_path / "image.png") is ProblemKind.UNSUPPORTED
    assert _kind(tmp_path / "bad.json") is ProblemKind.BAD_FORMAT
    assert _kind(tmp_path / "folder.txt") is ProblemKind.NOT_A_FILE
    assert _kind(tmp_path / "pipe.txt") is ProblemKind.NOT_A_FILE
    assert _kind(tmp_path / "loop.txt") is ProblemKind.NOT_A_FILE
    assert _kind(tmp_path / "package.xml") is ProblemKind.NOT_A_STORY


def test_a_file_gone_between_the_stat_and_the_open_is_missing(tmp_path: Path, monkeypatch) -> None:
    """The race a watched inbox meets: the stat finds the file, then another process deletes it before
    the open. The open's error says so in other words; the kind is the same."""
    path = tmp_path / "story.txt"
    path.write_text("Headline\n\nText of the story.\n", encoding="utf-8")
    real_open = private.read_regular

    def deleted_first(p, limit):  # the file really goes, then the real open runs on it
        os.unlink(p)
        return real_open(p, limit)

    monkeypatch.setattr(private, "read_regular", deleted_first)
    articles, problems = read_file(path)
    assert not articles and [p.kind for p in problems] == [ProblemKind.MISSING]


def test_a_watched_file_deleted_before_its_read_is_a_removal_not_a_problem(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    kept, gone = inbox / "kept.txt", inbox / "gone.txt"
    kept.write_text("Headline\n\nText of the story.\n", encoding="utf-8")
    update = changes_to_update({(Change.added, str(kept)), (Change.added, str(gone))}, [str(inbox)])
    assert [a.title for a in update.articles] == ["Headline"]
    assert update.problems == [] and update.removed == [str(gone)]


def test_a_missing_path_given_to_load_is_missing(tmp_path: Path) -> None:
    res = load([tmp_path / "nope.txt"])
    assert [p.kind for p in res.problems] == [ProblemKind.MISSING]


@pytest.mark.parametrize(
    ("text", "more_after"), [('{"a": 1}\n{"b": 2}', True), ('{"a": 1', False), ("[1] x", True)]
)
def test_json_that_goes_on_after_its_value_is_told_by_structure(text: str, more_after: bool) -> None:
    with pytest.raises(NotJson) as err:
        loads(text)
    assert err.value.more_after is more_after and err.value.kind is ProblemKind.BAD_FORMAT


def test_json_lines_named_json_still_read(tmp_path: Path) -> None:
    path = tmp_path / "lines.json"
    path.write_text(
        '{"title": "One", "text": "First body."}\n{"title": "Two", "text": "Second body."}\n',
        encoding="utf-8",
    )
    articles, problems = read_file(path)
    assert [a.title for a in articles] == ["One", "Two"] and problems == []


def test_watch_passes_the_parse_bound_on(tmp_path: Path) -> None:
    """sources.parse_seconds reaches the reads a watch makes: a bound no parse can meet times each out."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    story = inbox / "story.md"
    story.write_text("# Headline\n\n" + "A paragraph of the story. " * 20000, encoding="utf-8")
    update = changes_to_update({(Change.added, str(story))}, [str(inbox)], parse_seconds=1e-6)
    assert update.articles == [] and [p.kind for p in update.problems] == [ProblemKind.TIMED_OUT]
