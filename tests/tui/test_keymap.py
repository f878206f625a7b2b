"""One keymap: every screen's bindings, the help, the palette and the README's key table come from
triage.tui.keymap, and a key means one thing on every screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.tui import keymap
from triage.tui.app import TriageApp
from triage.tui.screens.article_view import ArticleViewScreen
from triage.tui.screens.desk_dialogs import AskScreen, HandoverScreen, HandScreen, MineScreen, WatchesScreen
from triage.tui.screens.dialogs import HelpScreen, MessageScreen, NoteScreen, PickScreen, ProblemsScreen
from triage.tui.screens.main import MainScreen
from triage.tui.screens.quit import QuitScreen
from triage.tui.screens.review import ReviewScreen
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText

OWNERS = {
    "app": TriageApp,
    "main": MainScreen,
    "list": ArticleList,
    "text": ArticleText,
    "review": ReviewScreen,
    "article": ArticleViewScreen,
    "help": HelpScreen,
    "note": NoteScreen,
    "pick": PickScreen,
    "problems": ProblemsScreen,
    "message": MessageScreen,
    "quit": QuitScreen,
    "hand": HandScreen,
    "mine": MineScreen,
    "watches": WatchesScreen,
    "handover": HandoverScreen,
    "ask": AskScreen,
}
README = Path(__file__).resolve().parents[2] / "README.md"


def _pairs(cls):
    for b in cls.BINDINGS:
        for key in b.key.split(","):
            yield key.strip(), b.action


def test_every_screen_binds_what_the_keymap_says():
    assert set(OWNERS) == set(keymap.SCREENS)
    for name, cls in OWNERS.items():
        assert sorted(_pairs(cls)) == sorted(
            (k, b.action) for b in keymap.bindings(name) for k in b.key.split(",")
        )


def test_a_key_means_one_action_on_every_screen():
    meaning: dict[str, set[str]] = {}
    for cls in OWNERS.values():
        for key, action in _pairs(cls):
            meaning.setdefault(key, set()).add(action)
    clashes = {key: actions for key, actions in meaning.items() if len(actions) > 1}
    assert clashes == {}
    assert meaning["c"] == {"copy_url"}  # clearing a decision is backspace / delete now
    assert meaning["backspace"] == {"clear"} and meaning["escape"] == {"back"} and meaning["q"] == {"quit"}


def test_every_bound_action_has_its_handler():
    for name, cls in OWNERS.items():
        for b in keymap.bindings(name):
            method = "action_" + b.action.split("(")[0]
            assert callable(getattr(cls, method, None)), f"{cls.__name__} has no {method}"


def test_the_palette_offers_the_main_screens_actions_with_their_keys():
    entries = keymap.palette_entries()
    titles = [title for title, *_ in entries]
    assert {"Follow up", "Archive", "Flag", "Undo", "Note", "Search", "Copy URL", "Review", "Help"} <= set(
        titles
    )
    for title, help_text, action, _args in entries:
        assert callable(getattr(MainScreen, f"action_{action}")), title
        assert "(key " in help_text
    assert (
        "Follow up, with a note",
        "Follow up, with a note (key F)",
        "decide_note",
        ("follow-up",),
    ) in entries


def test_the_help_screen_names_every_main_key_once():
    lines = [(keys, what) for _group, rows in keymap.help_groups() for keys, what in rows]
    keys = " ".join(k for k, _ in lines).split()
    for key in (
        "j",
        "k",
        "f",
        "a",
        "x",
        "F",
        "A",
        "X",
        "u",
        "n",
        "/",
        "e",
        "S",
        "1",
        "5",
        "s",
        "c",
        "o",
        "r",
        "p",
        "?",
        "q",
        "z",
        "esc",
        "enter",
    ):
        assert key in keys, key
    assert ("f a x", "follow up, archive, flag") in lines
    assert ("1 … 5", "views: inbox, follow-up, flagged, archived, all") in lines
    assert "backspace" not in keys  # review only: its own key panel shows it


def test_the_readme_key_table_is_the_keymaps():
    table = keymap.readme_key_table()
    assert table.startswith("| Key | Action | Where |")
    assert "| `c` | Copy URL: copy the URL | main |" in table
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    start, end = "<!-- keys:start -->", "<!-- keys:end -->"
    if start not in text or end not in text:
        pytest.skip("README.md has no <!-- keys:start --> / <!-- keys:end --> markers yet")
    shown = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == table.strip(), (
        "README's key table drifted from triage.tui.keymap: paste readme_key_table()"
    )
