"""A small shift in tmux, with the installed `triage`: a story is followed up, then the agency kills it in
its format's own way (NewsML-G2 and ninjs pubstatus canceled, NITF management-status, ANPA's KILL
advisory, IPTC 7901's Kill keyword, NewsML 1.x Status). The kill leads the inbox marked KILLED, the
counts agree with the panel, and after a restart it is still so. Fixtures: tests/core/data/kills (own
text in each agency's layout) and tests/sources/data/wire/own (ANPA)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .tmux import HAVE_TMUX, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")]

TESTS = Path(__file__).resolve().parents[1]
KILLS = TESTS / "core" / "data" / "kills"
ANPA = TESTS / "sources" / "data" / "wire" / "own"

# (format, story file, kill file, words of the story's title)
CASES = [
    pytest.param(KILLS / "reuters-g2-978556838.xml", KILLS / "reuters-g2-1542761538-kill.xml",
                 "Harbour authority orders", id="newsml-g2"),
    pytest.param(KILLS / "ninjs-story.json", KILLS / "ninjs-kill.json", "Ferry service", id="ninjs"),
    pytest.param(KILLS / "nitf-story.xml", KILLS / "nitf-kill.xml", "Library to open", id="nitf"),
    pytest.param(ANPA / "ap-correction.tst", ANPA / "ap-kill.tst", "spending bill", id="anpa"),
    pytest.param(KILLS / "dpa-7901-story.txt", KILLS / "dpa-7901-kill.txt", "Port orders", id="iptc7901"),
    pytest.param(KILLS / "newsml1-story.xml", KILLS / "newsml1-kill.xml", "Old river bridge", id="newsml1"),
]

FILLER = ("Council approves new cycle lanes\n\nThe city council approved four new cycle lanes on Tuesday "
          "after a long debate.\n\nWork on the first lane starts in the spring, officials said.\n")


def _row(screen: str, words: str) -> int:
    """The list row (0 = first under the top bar) whose list part names `words`."""
    rows = [line.split("▕")[0] for line in screen.splitlines()[1:]]
    return next(i for i, r in enumerate(rows) if words.lower() in r.lower())


def _killed_in_front(term: Tmux) -> None:
    screen = term.wait(lambda s: "KILLED" in s.splitlines()[1] and re.search(r"Follow(-up)? 0 ", s),
                       timeout=30)
    assert "Inbox 2 " in screen.splitlines()[0]  # both rows are the inbox's: the counts are the rows
    term.keys("g")
    term.wait(lambda s: "KILLED: do not use" in s and "back in the inbox: KILLED since it was marked" in s)


@pytest.mark.parametrize("story, kill, words", CASES)
def test_a_followed_up_story_killed_in_its_formats_way_comes_back_marked(tmp_path, story, kill, words):
    inbox = tmp_path / "wire"
    inbox.mkdir()
    shutil.copy(story, inbox / story.name)
    (inbox / "council.txt").write_text(FILLER, encoding="utf-8")
    db = tmp_path / "decisions.json"
    with Tmux(tmp_path, f"--db {db} {inbox}", size=(160, 48)) as term:
        screen = term.wait(lambda s: words.lower() in s.lower() and "Council approves" in s)
        term.keys("g", *["j"] * _row(screen, words), "f")
        term.wait(lambda s: re.search(r"Follow(-up)? 1 ", s) is not None)
        shutil.copy(kill, inbox / kill.name)  # the agency's kill arrives in the drop folder
        _killed_in_front(term)
        term.keys("q")
        term.wait(lambda s: "Inbox" not in s)  # quit: the decisions file is closed
        # The next shift, opened while this session still holds the tmux server (a server that just lost
        # its last session may refuse a new one): the kill is still in front.
        with Tmux(tmp_path, f"--db {db} {inbox}", size=(160, 48)) as again:
            _killed_in_front(again)
            again.keys("q")
