"""How long hostile or live input takes (wall-clock: marked slow; the unit tests in tests/sources check
the same inputs by what comes out and by memory, not by the clock)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from triage.sources import read_file
from triage.sources.opml import ListError, read_subscriptions

from ..sources.conftest import copy_demo, watching

pytestmark = pytest.mark.slow


def _laughs(root: str, inner: str) -> str:
    levels = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY l0 "lol">{levels}]>{inner}'


def test_an_entity_bomb_in_a_feed_is_refused_within_two_seconds(tmp_path: Path) -> None:
    bomb = _laughs("rss", '<rss version="2.0"><channel><title>B</title><item><title>&l9;</title>'
                   "<guid>b1</guid><description>Bomb &l9;</description></item></channel></rss>")
    (tmp_path / "bomb.rss").write_text(bomb, encoding="utf-8")
    t0 = time.perf_counter()
    _, probs = read_file(tmp_path / "bomb.rss")
    assert probs and time.perf_counter() - t0 < 2.0


def test_an_entity_bomb_in_opml_is_refused_within_a_second() -> None:
    bomb = _laughs("opml", '<opml version="2.0"><body><outline text="&l9;" '
                   'xmlUrl="https://a.example/rss"/></body></opml>')
    t0 = time.perf_counter()
    with pytest.raises(ListError, match="entity"):
        read_subscriptions(bomb.encode())
    assert time.perf_counter() - t0 < 1.0


def test_a_dropped_file_is_handed_over_within_two_seconds(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with watching(inbox, tmp_path / "c.sqlite") as got:
        t0 = time.perf_counter()
        copy_demo(inbox, ["01-"])
        update = got.get(timeout=5)
        assert update.articles and time.perf_counter() - t0 < 2.0
