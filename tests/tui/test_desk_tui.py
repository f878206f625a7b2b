"""The desk in the TUI (issue 26), with real parts: my TUI (the pilot, at 80x24) and a colleague, uid 65534
through setpriv (the `triage` CLI, or a service of their own in a Python process), on one inbox and one
group-shared decisions file. What the colleague does shows on my rows and top bar within the poll, no
key pressed; my keys take, hand on, list mine and the watches, and open the handover; deciding a story
the colleague holds asks first."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.colleague import AS_NOBODY, CAN_ACT_AS_ANOTHER, NOBODY, readable_inbox, shared_folder
from triage.config import load_settings
from triage.core.service import TriageService
from triage.model import DESK, Decision
from triage.tui.app import make_app
from triage.tui.screens.desk_dialogs import AskScreen, HandoverScreen, HandScreen, MineScreen, WatchesScreen
from triage.tui.screens.main import MainScreen
from triage.tui.widgets.article_list import ArticleList, DeskMark

from .helpers import wait_for

STORIES = {
    "storm.txt": ("Storm hits the coast", "A storm warning was issued for the coast. Ukraine sent aid."),
    "bank.txt": ("Central bank raises rates", "The central bank raised its rate to four percent today."),
    "quake.txt": ("Quake shakes the capital", "An earthquake shook the capital before dawn."),
    "match.txt": ("Football match ends in a draw", "The match ended in a draw after extra time."),
}


@pytest.fixture
def desk() -> Iterator[Path]:
    """A desk on one host: a folder the desk's group (gid 65534 here) shares (setgid, 2770) for the
    decisions file and the desk folder beside it, an inbox both can read, and each editor's own data
    folder; a config that says the store is group-shared."""
    if not CAN_ACT_AS_ANOTHER:
        pytest.skip("needs root and setpriv to act as a colleague (uid 65534)")
    top = shared_folder("triage-desk-tui-").parent
    readable_inbox(top, STORIES)
    theirs = top / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    (top / "group.toml").write_text("[store]\ngroup_share = true\n", encoding="utf-8")
    (top / "group.toml").chmod(0o644)
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import triage"], capture_output=True,
                           timeout=60)
    if probe.returncode != 0:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("uid 65534 cannot run this Python and triage")
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _service(top: Path, **overrides) -> TriageService:
    settings = load_settings(db=top / "desk" / "decisions.json", data_dir=top / "mine",
                             inbox=[str(top / "inbox")], use_user_config=False,
                             overrides={"store": {"group_share": True, "poll_seconds": 0.2}, **overrides})
    return TriageService(settings, inbox=[top / "inbox"], db_path=settings.db_path)


def _colleague(top: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`triage ARGS` as the colleague (uid 65534, their own data folder, the desk's config)."""
    env = dict(os.environ, TRIAGE_CONFIG=str(top / "group.toml"), TRIAGE_DATA_DIR=str(top / "theirs"),
               HOME=str(top / "theirs"))
    out = subprocess.run([*AS_NOBODY, sys.executable, "-m", "triage", *args, "--db",
                          str(top / "desk" / "decisions.json")], capture_output=True, text=True, timeout=120,
                         env=env, cwd="/")
    if check:
        assert out.returncode == 0, out.stderr
    return out


READER = """
import sys, time
from pathlib import Path
from triage.config import load_settings
from triage.core.service import TriageService
top, story = Path(sys.argv[1]), sys.argv[2]
settings = load_settings(db=top / "desk" / "decisions.json", data_dir=top / "theirs",
                         inbox=[str(top / "inbox")], use_user_config=False,
                         overrides={"store": {"group_share": True}})
svc = TriageService(settings, inbox=[top / "inbox"], db_path=settings.db_path)
svc.inbox.load()
svc.viewing(story)
svc.desk.poll()
print("open", flush=True)
sys.stdin.readline()
svc.viewing("")
svc.desk.poll()
svc.close()
"""


def _reader(top: Path, story: str) -> subprocess.Popen[str]:
    """The colleague's own service with `story` open (presence), until its stdin closes."""
    env = dict(os.environ, HOME=str(top / "theirs"))
    proc = subprocess.Popen([*AS_NOBODY, sys.executable, "-c", READER, str(top), story],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd="/")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "open", proc.stderr
    return proc


# -- what the rows, the bar and the panel say (no colleague needed) ----------------------------------
def test_a_row_says_who_holds_the_story_in_the_columns_it_has():
    mark = DeskMark(holder="ana", readers=("ben", "cy"))
    assert mark.words(80) == ("ana has it", "◦ben+1")
    assert mark.words(60) == ("⊙ana", "◦ben+1")
    assert DeskMark(holder="me", mine=True).words(80) == ("mine", "")
    long = DeskMark(holder="\x1b[31mverylongname\u202e")  # a name is someone's text: cleaned, cut
    assert long.words(60)[0] == "⊙verylon…"


def test_the_top_bar_keeps_for_you_and_the_store_problem_at_80_columns():
    from triage.core import View
    from triage.tui.widgets.topbar import Status, render_status

    status = Status(view=View(), counts={"inbox": 12345, "follow-up": 12, "flagged": 3, "archived": 999,
                                         "all": 23000}, people=("ana", "ben"), for_me=2, not_saved=1,
                    problem="PostgreSQL store postgresql:///desk: connection is bad.",
                    problem_word="server down")
    wide = render_status(status, 200).plain
    assert "desk: ana ben" in wide and "⚠ server down: PostgreSQL store" in wide
    for width in (80, 60):
        bar = render_status(status, width).plain
        assert len(bar) <= width
        assert "⚠ server down" in bar and "2 for you" in bar and "1 NOT SAVED" in bar


def test_watch_words_are_highlighted_by_spans_and_the_text_stays_literal():
    from triage.model import Analysis, Article
    from triage.tui.widgets.reader import article_text
    from triage.tui.widgets.summary_lines import build_summary

    art = Article(id="a1", title="[bold]Kyiv[/bold] talks", text="Talks in Kyiv resumed. Kyivans wait.",
                  source="Wire")
    analysis = Analysis(summary=("Talks in Kyiv resumed.",), spans=((0, 22),))
    lines = build_summary(art, analysis, 60, watch_terms=["kyiv"])
    (sentence,) = lines.sentences[0]
    assert [sentence.plain[sp.start:sp.end] for sp in sentence.spans if "yellow" in str(sp.style)] == ["Kyiv"]
    text = article_text(art, analysis, terms=["kyiv"])
    assert "[bold]Kyiv[/bold] talks" in text.plain  # never read as markup
    marked = [text.plain[sp.start:sp.end] for sp in text.spans if "yellow" in str(sp.style)]
    assert marked == ["Kyiv", "Kyiv"]  # in the title and the text; "Kyivans" is another word


def test_the_panel_desk_line_stays_short_with_many_readers_and_long_notes():
    """The panel's desk line (80x24: a few lines over the summary) names three readers and counts the
    rest, and cuts a hand-off's note (up to 4,000 characters from a colleague): the summary stays."""
    from types import SimpleNamespace

    from triage.model import Handoff, Seen
    from triage.tui.screens.desk import NOTE_CELLS, DeskPart

    note = "\x1b[31m" + "please check the quote " * 170
    handoffs = [Handoff(uid=f"u{i}", article_id="s1", sender="ana", to="me", note=note,
                        at="2024-01-01T10:00:00Z") for i in range(2)]
    desk = SimpleNamespace(
        me="me", holder=lambda _sid: None, handoffs_of=lambda _sid: handoffs,
        readers=lambda _sid: [Seen(user=f"editor{i}", host="h", pid=i, article_id="s1") for i in range(50)])
    service = SimpleNamespace(faces=SimpleNamespace(desk=desk, articles=None),
                              settings=SimpleNamespace(ui=SimpleNamespace(bell_on_watch=False), db_url=""))
    line = DeskPart(SimpleNamespace(), service).story_line("s1")  # type: ignore[arg-type]
    assert line is not None
    text = line.plain
    assert "open by editor0, editor1, editor2 +47" in text and "editor3" not in text
    assert len(text) < 2 * (NOTE_CELLS + 80) + 60, len(text)
    assert "\x1b" not in text and "please check the quote" in text


def test_many_stories_handed_at_once_are_told_in_one_notice():
    """A colleague handing me fifty stories at once gives one notice with the count, not fifty toasts
    over the screen for eight seconds; a few are still told one by one, with the sender and note."""
    from types import SimpleNamespace

    from triage.core.events import DeskChanged
    from triage.model import Handoff
    from triage.tui.screens.desk import DeskPart

    told: list[str] = []
    handoffs = [Handoff(uid=f"u{i}", article_id=f"s{i}", sender="ana", to="me", note="look", title=f"T{i}")
                for i in range(50)]
    desk = SimpleNamespace(me="me", for_me=lambda: handoffs)
    host = SimpleNamespace(article_list=SimpleNamespace(refresh=lambda: None), set_status=lambda: None,
                           reshow_story=lambda: None, tell=lambda words, **_kw: told.append(words))
    articles = SimpleNamespace(article=lambda _i: None)
    service = SimpleNamespace(faces=SimpleNamespace(desk=desk, articles=articles),
                              settings=SimpleNamespace(ui=SimpleNamespace(bell_on_watch=False), db_url=""))
    part = DeskPart(host, service)  # type: ignore[arg-type]
    part.changed(DeskChanged(for_me=tuple(h.article_id for h in handoffs)))
    assert told == ["50 stories handed to you: m lists them."]
    told.clear()
    part.changed(DeskChanged(for_me=("s1", "s2")))
    assert told == ["ana handed you: T1 (look)", "ana handed you: T2 (look)"]


def test_asking_before_deciding_counts_the_held_stories_not_the_selection():
    """Ten stories selected, one held by a colleague: the question names the holder and says nothing of
    nine more (they are nobody's); two held say "and 1 more story held"."""
    from types import SimpleNamespace

    from triage.model import Seen, Take
    from triage.tui.format import local_when
    from triage.tui.screens.desk import ask_if_held

    takes = {"s0": Take(article_id="s0", user="ana"), "s1": Take(article_id="s1", user="me")}
    here = [Seen("ana", "h", 1), Seen("me", "h", 2)]  # bo's TUI is not open
    desk = SimpleNamespace(me="me", holder=takes.get, people=lambda: here)
    asked: list[str] = []
    ids = [f"s{i}" for i in range(10)]
    ask_if_held(desk, ids, lambda: None, lambda dialog, _then: asked.append(dialog._question),  # type: ignore
                lambda *_a, **_k: None)
    assert asked == ["ana holds this — decide anyway?"]
    takes["s5"] = Take(article_id="s5", user="bo")
    ask_if_held(desk, ids, lambda: None, lambda dialog, _then: asked.append(dialog._question),  # type: ignore
                lambda *_a, **_k: None)
    assert asked[-1] == "ana holds this (and 1 more story held) — decide anyway?"
    went: list[bool] = []
    ask_if_held(desk, ["s1", "s9"], lambda: went.append(True), lambda *_a: None, lambda *_a, **_k: None)
    assert went == [True]  # mine or nobody's: no question
    # a holder whose TUI is gone (killed, closed): the take holds until it ends, and the question says so
    takes["s7"] = Take(article_id="s7", user="bo", until="2026-12-07T18:30:00.000000Z")
    ask_if_held(desk, ["s7"], lambda: None, lambda dialog, _then: asked.append(dialog._question),  # type: ignore
                lambda *_a, **_k: None)
    assert asked[-1] == (f"bo holds this, not on the desk now (until "
                         f"{local_when('2026-12-07T18:30:00.000000Z', 'clock')}) — decide anyway?")


async def test_adding_and_removing_a_watch_writes_off_the_event_loop():
    """+ and - on the watches screen write the desk's record (a lock, an fsync, a PostgreSQL server that
    may be down): never on the event loop, where the TUI would freeze until the write gave up."""
    import threading

    from rich.text import Text
    from textual.app import App
    from textual.widgets import Input

    from triage.tui.screens.desk_dialogs import WatchAddScreen

    threads: list[str] = []
    rows: list[tuple[str, Text]] = [("old", Text("old"))]

    def add(name: str, query: str, shared: bool) -> str:
        threads.append(threading.current_thread().name)
        rows.append((name, Text(name)))
        return f"Watch added: {name}."

    def remove(name: str) -> str:
        threads.append(threading.current_thread().name)
        rows[:] = [r for r in rows if r[0] != name]
        return f"Watch removed: {name}."

    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(WatchesScreen(lambda: list(rows), add=add, remove=remove))
        await pilot.press("plus")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchAddScreen), timeout=5)
        app.screen.query_one("#watch-name", Input).value = "ukraine"
        app.screen.query_one("#watch-query", Input).value = "kyiv"
        app.screen.query_one("#watch-query", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(threads) == 1 and isinstance(app.screen, WatchesScreen), timeout=5)
        await pilot.press("minus")
        await wait_for(pilot, lambda: len(threads) == 2, timeout=5)
    assert threading.main_thread().name not in threads, threads
    assert [v for v, _t in rows] == ["ukraine"]


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


def _row_text(app, story: str) -> str:
    """The list row of a story as the terminal shows it."""
    lst = _list(app)
    index = lst.index_of(story)
    assert index is not None, story
    return lst.render_line(index - int(lst.scroll_y)).text


def _bar(app) -> str:
    return str(app.screen.query_one("#topbar").render())


def _id_of(app, title: str) -> str:
    return next(r.article.id for r in _list(app).rows if r.article.title == title)


def _notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _started(pilot, app) -> None:
    await wait_for(pilot, lambda: len(_list(app).rows) == len(STORIES))
    await wait_for(pilot, lambda: app.service.faces.desk.me != "")


@asynccontextmanager
async def _my_tui(desk: Path, *,
                  notifications: bool = False) -> AsyncIterator[tuple[TriageService, Any, Any]]:
    """My TUI on the desk at 80x24, its stories listed and the desk known: (service, app, pilot)."""
    svc = _service(desk)
    app = make_app(svc, analyze=False)
    async with app.run_test(size=(80, 24), notifications=notifications) as pilot:
        await _started(pilot, app)
        yield svc, app, pilot


async def test_a_colleagues_take_and_open_story_show_on_my_rows_and_bar_with_no_key_pressed(desk):
    async with _my_tui(desk) as (svc, app, pilot):
        bank, quake = _id_of(app, "Central bank raises rates"), _id_of(app, "Quake shakes the capital")
        _colleague(desk, "take", bank)
        await wait_for(pilot, lambda: "nobody has it" in _row_text(app, bank), timeout=10)
        assert "has it" not in _row_text(app, quake)
        reader = _reader(desk, quake)
        try:
            await wait_for(pilot, lambda: "◦nobody" in _row_text(app, quake), timeout=10)
            await wait_for(pilot, lambda: "desk: nobody" in _bar(app), timeout=10)
        finally:
            assert reader.stdin is not None
            reader.stdin.close()
            reader.wait(timeout=60)
        await wait_for(pilot, lambda: "◦nobody" not in _row_text(app, quake), timeout=10)
        assert "nobody has it" in _row_text(app, bank)  # the take outlives its taker's process


async def test_the_take_key_takes_and_gives_back_and_the_colleague_is_told_who_holds_it(desk):
    async with _my_tui(desk, notifications=True) as (svc, app, pilot):
        story = _list(app).current_id
        await pilot.press("h")
        await wait_for(pilot, lambda: "mine" in _row_text(app, story), timeout=10)
        held = svc.faces.desk.holder(story)
        assert held is not None and held.user == svc.faces.desk.me
        refused = _colleague(desk, "take", story, check=False)
        assert refused.returncode == 1 and svc.faces.desk.me in refused.stderr
        await pilot.press("h")
        await wait_for(pilot, lambda: svc.faces.desk.holder(story) is None, timeout=10)
        await wait_for(pilot, lambda: "mine" not in _row_text(app, story))
        assert any(n.startswith("Given back") for n in _notices(app))
        assert _colleague(desk, "take", story).returncode == 0  # free for the colleague now
        await wait_for(pilot, lambda: "nobody has it" in _row_text(app, story), timeout=10)
        await pilot.press("h")  # theirs now: not taken, and it says who holds it
        await wait_for(pilot, lambda: any(n.startswith("Not taken: nobody holds this since")
                                          for n in _notices(app)), timeout=10)
        held = svc.faces.desk.holder(story)
        assert held is not None and held.user == "nobody"


async def test_deciding_a_story_the_colleague_holds_asks_first_and_never_decides_silently(desk):
    async with _my_tui(desk, notifications=True) as (svc, app, pilot):
        story = _list(app).current_id
        _colleague(desk, "take", story)
        await wait_for(pilot, lambda: svc.faces.desk.holder(story) is not None, timeout=10)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        question = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "nobody holds this since" in question and "decide anyway?" in question
        await pilot.press("escape")  # no: nothing decided, and it says so
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert svc.faces.decisions.decision(story) is None
        assert any("Not decided" in n for n in _notices(app))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: svc.faces.decisions.decision(story) is Decision.FLAG)


async def test_handing_on_with_a_note_and_n_for_you_from_the_colleague(desk):
    async with _my_tui(desk, notifications=True) as (svc, app, pilot):
        storm, bank = _id_of(app, "Storm hits the coast"), _id_of(app, "Central bank raises rates")
        me = svc.faces.desk.me
        _colleague(desk, "assign", bank, me, "--note", "check the \x1b[31mfigures")
        await wait_for(pilot, lambda: "1 for you" in _bar(app), timeout=10)
        await wait_for(pilot, lambda: any("nobody handed you: Central bank raises rates" in n
                                          for n in _notices(app)))
        told = next(n for n in _notices(app) if "handed you" in n)
        assert "\x1b" not in told and "check the" in told
        # the colleague is a member now: hand my story to them with a note
        _list(app).cursor = _list(app).index_of(storm)
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HandScreen))
        assert app.screen.picked == DESK  # the desk first, then the colleagues (the group's, the store's)
        while app.screen.picked != "nobody":
            await pilot.press("j")
        await pilot.press("enter")  # the colleague; then the note
        for ch in "your beat":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: any(h.to == "nobody" for h in svc.faces.desk.handoffs_of(storm)),
                       timeout=10)
        seen = json.loads(_colleague(desk, "desk", "--json").stdout)
        assert {"article_id": storm, "to": "nobody", "note": "your beat"}.items() <= next(
            h for h in seen["handoffs"] if h["article_id"] == storm).items()
        # the mine view lists the story handed to me; enter goes to it and opening it acknowledges it
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MineScreen))
        assert app.screen.highlighted == bank
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and _list(app).current_id == bank)
        await wait_for(pilot, lambda: "for you" not in _bar(app), timeout=10)
        seen = json.loads(_colleague(desk, "desk", "--json").stdout)
        # the sender sees that it was seen
        assert [h["seen"] for h in seen["handoffs"] if h["article_id"] == bank] == [True]


async def test_the_mine_view_lists_what_i_took(desk):
    async with _my_tui(desk) as (svc, app, pilot):
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MineScreen))
        assert app.screen.highlighted is None  # nothing is mine yet: it says how to take one
        await pilot.press("escape")
        quake = _id_of(app, "Quake shakes the capital")
        _list(app).cursor = _list(app).index_of(quake)
        await pilot.press("h")
        await wait_for(pilot, lambda: svc.faces.desk.mine() == [quake], timeout=10)
        _list(app).cursor = 0 if _list(app).index_of(quake) else 1
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, MineScreen))
        assert app.screen.highlighted == quake
        await pilot.press("enter")
        await wait_for(pilot, lambda: _list(app).current_id == quake)


async def test_watches_view_counts_unread_opens_as_a_filter_and_highlights_the_words(desk):
    _colleague(desk, "watches", "add", "Aid", "ukraine", "--desk")
    async with _my_tui(desk) as (svc, app, pilot):
        await wait_for(pilot, lambda: [len(c.matches) for c in svc.faces.desk.watches()
                                       if c.watch.name == "Aid"] == [1], timeout=10)
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchesScreen))
        rows = [str(o.prompt) for o in app.screen.query_one("OptionList")._options]
        assert any(r.startswith("Aid") and "unread / 1" in r and "desk" in r for r in rows), rows
        # add one of my own: +, a name, tab, a search, enter
        await pilot.press("plus")
        for ch in "Rates":
            await pilot.press(ch)
        await pilot.press("tab")
        for ch in "bank":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(c.watch.name == "Rates" for c in svc.faces.desk.watches()),
                       timeout=10)
        await wait_for(pilot, lambda: isinstance(app.screen, WatchesScreen)
                       and any(str(o.prompt).startswith("Rates") for o in app.screen.query_one(
                           "OptionList")._options))
        while app.screen.highlighted != "desk:Aid":
            await pilot.press("k")
        await pilot.press("enter")  # its stories, as a search
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen)
                       and app.screen.view.search == "ukraine")
        await wait_for(pilot, lambda: [r.article.title for r in _list(app).rows] == ["Storm hits the coast"])
        await pilot.press("z")  # the text: the watch's word highlighted (by spans, the text literal)
        await pilot.pause(0.3)
        text = app.screen.query_one("#text").shown_text
        styled = {text.plain[s.start:s.end] for s in text.spans if "yellow" in str(s.style)}
        assert styled == {"Ukraine"}


async def _highlight(pilot, app, value: str) -> None:
    for _ in range(20):
        if app.screen.highlighted == value:
            return
        await pilot.press("j")
    assert app.screen.highlighted == value, [v for v, _t in app.screen._rows]


async def test_a_desk_watch_and_mine_of_one_name_are_each_their_own_row(desk):
    """The desk's watch "Aid" and my own "Aid" are two rows: enter on mine runs my search, and - on the
    desk's removes the desk's (it removed mine, the first one found by name)."""
    _colleague(desk, "watches", "add", "Aid", "ukraine", "--desk")
    async with _my_tui(desk) as (svc, app, pilot):
        await asyncio.to_thread(svc.add_watch, "Aid", "bank", desk=False)
        both = [(False, "bank"), (True, "ukraine")]
        await wait_for(pilot, lambda: sorted((c.watch.desk, c.watch.query) for c in svc.faces.desk.watches()
                                             if c.watch.name == "Aid") == both, timeout=10)
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchesScreen))
        await _highlight(pilot, app, "mine:Aid")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.view.search == "bank")
        await pilot.press("W")
        await wait_for(pilot, lambda: isinstance(app.screen, WatchesScreen))
        await _highlight(pilot, app, "desk:Aid")
        await pilot.press("minus")
        # a colleague's desk watch is theirs: mine stays whatever the answer
        await wait_for(pilot, lambda: any(n.startswith("Not removed") for n in _notices(app)), timeout=10)
        assert any(not c.watch.desk and c.watch.name == "Aid" for c in svc.faces.desk.watches())


async def test_the_handover_screen_opens_with_the_shift(desk):
    async with _my_tui(desk) as (svc, app, pilot):
        bank = _id_of(app, "Central bank raises rates")
        _colleague(desk, "take", bank)
        _colleague(desk, "assign", bank, "--desk", "--note", "rates")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, HandoverScreen))
        await wait_for(pilot, lambda: "Takes still open (1)" in app.screen.text, timeout=20)
        assert "Central bank raises rates" in app.screen.text and "nobody" in app.screen.text
        assert "Hand-offs still open (1)" in app.screen.text
        await pilot.press("j", "k", "escape")
        assert isinstance(app.screen, MainScreen)


async def test_80x24_shows_the_desk_on_the_bar_and_rows_whole(desk):
    async with _my_tui(desk) as (svc, app, pilot):
        bank = _id_of(app, "Central bank raises rates")
        _colleague(desk, "take", bank)
        _colleague(desk, "assign", bank, svc.faces.desk.me, "--note", "look")
        await wait_for(pilot, lambda: "1 for you" in _bar(app) and "nobody has it" in _row_text(app, bank),
                       timeout=10)
        bar = _bar(app)
        assert len(bar) <= 80 and "Inbox" in bar
        row = _row_text(app, bank)
        assert len(row) == _list(app).size.width and "Central bank" in row


# -- issue 27: a store that cannot be reached is said on the top bar before anything is pending ---------
async def test_a_desk_folder_that_cannot_be_used_is_said_on_the_bar_and_clears_when_fixed(desk):
    folder = desk / "desk" / "decisions.json.desk"  # a colleague made it, and left it open to all
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    folder.chmod(0o777)
    svc = _service(desk)
    app = make_app(svc, analyze=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == len(STORIES))
        await wait_for(pilot, lambda: "⚠ desk folder" in _bar(app), timeout=10)
        assert svc.faces.decisions.pending == 0 and "NOT SAVED" not in _bar(app)
        assert "sticky" in svc.faces.desk.problem
        folder.chmod(0o3770)  # its owner fixes it as the sentence says: the bar clears, no key pressed
        await wait_for(pilot, lambda: "⚠" not in _bar(app), timeout=10)
        await pilot.press("h")  # and the desk works
        story = _list(app).current_id
        await wait_for(pilot, lambda: "mine" in _row_text(app, story), timeout=10)


async def test_a_server_down_at_start_still_opens_the_tui_and_the_bar_says_so(desk):
    import importlib.util

    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed here (pip install 'triage[postgres]')")
    url = f"postgresql:///triage?host={desk / 'no-server'}&port=5999"
    settings = load_settings(db=url, data_dir=desk / "mine", inbox=[str(desk / "inbox")],
                             use_user_config=False, overrides={"store": {"poll_seconds": 0.2}})
    svc = TriageService(settings, inbox=[desk / "inbox"], db_path=settings.db_path)
    app = make_app(svc, analyze=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).rows) == len(STORIES))
        await wait_for(pilot, lambda: "⚠ server down" in _bar(app), timeout=15)
        assert svc.faces.decisions.pending == 0


async def test_a_new_story_a_watch_matches_rings_the_bell_when_asked(desk):
    _colleague(desk, "watches", "add", "Volcano", "volcano", "--desk")
    svc = _service(desk, ui={"bell_on_watch": True})
    app = make_app(svc, analyze=False)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]  # the terminal's bell, counted
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _started(pilot, app)
        await wait_for(pilot, lambda: any(c.watch.name == "Volcano" for c in svc.faces.desk.watches()),
                       timeout=10)
        await pilot.pause(1.0)
        assert rings == []  # nothing new matched yet
        new = desk / "inbox" / "volcano.txt"
        new.write_text("Volcano erupts near the town\n\nThe volcano erupted overnight.\n", encoding="utf-8")
        await wait_for(pilot, lambda: len(_list(app).rows) == len(STORIES) + 1, timeout=15)
        await wait_for(pilot, lambda: rings == [1], timeout=15)
        assert any("for your watches" in n for n in _notices(app))


async def test_changing_a_decision_in_the_review_asks_when_a_colleague_holds_the_story(desk):
    from triage.tui.screens.article_view import ArticleViewScreen

    async with _my_tui(desk, notifications=True) as (svc, app, pilot):
        story = _list(app).current_id
        await pilot.press("x")
        await wait_for(pilot, lambda: svc.faces.decisions.decision(story) is Decision.FLAG)
        await pilot.pause(1.0)  # written, then the colleague takes it up again
        _colleague(desk, "take", story)
        await wait_for(pilot, lambda: svc.faces.desk.holder(story) is not None, timeout=10)
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReviewScreen")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleViewScreen))
        # the story's history holds the colleague's take beside the decisions, by its real author
        await wait_for(pilot, lambda: "taken  by nobody" in str(app.screen.query_one("#av-history").render()))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleViewScreen))
        assert svc.faces.decisions.decision(story) is Decision.FLAG
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: svc.faces.decisions.decision(story) is Decision.ARCHIVE)


def test_a_colleagues_wide_name_on_the_top_bar_is_cut_by_cells():
    """Names on the bar are cut to ten terminal cells, not ten characters: a name in CJK (two cells a
    character) took twenty and pushed "N for you" and the view counts into degrading."""
    from rich.cells import cell_len

    from triage.core import View
    from triage.tui.safe import short
    from triage.tui.widgets.topbar import Status, render_status

    assert short("\x1b]2;x\x07王小明王小明王小明", 10) == "王小明王…"
    assert cell_len(short("王小明王小明", 10)) <= 10
    wide = render_status(Status(view=View(), people=("王小明王小明王小明王小明",)), 200).plain
    assert "desk: 王小明王…" in wide
