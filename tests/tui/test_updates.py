"""Wire stories that change, in the real app: an archived story whose file gets a new paragraph comes back
to the inbox marked updated, with the new sentence marked in the text and said in the summary panel; a
follow-up stays in its view, marked; an update that only retypes punctuation re-opens nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from triage.model import Decision
from triage.service import TriageService
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import NEW_STYLE, ArticleText, SummaryPanel

from .helpers import NOW, wait_for

NEW_PARA = ("Later on Thursday officials in the region said that rescue teams had found two more survivors "
            "under the rubble of the collapsed building.")


def _inbox(tmp_path: Path, n: int = 3) -> Path:
    """A wire folder of real demo stories (Wikinews, CC BY 2.5), old enough that an update is news."""
    from triage.cli import demo_dir

    inbox = tmp_path / "wire"
    inbox.mkdir()
    for i, src in enumerate(sorted(demo_dir().glob("*.txt"))[:n]):
        dest = inbox / src.name
        shutil.copy(src, dest)
        os.utime(dest, (time.time() - 7200 - i, time.time() - 7200 - i))
    return inbox


def _story_file(inbox: Path, title: str) -> Path:
    for path in inbox.iterdir():
        if path.read_text(encoding="utf-8").startswith(title):
            return path
    raise AssertionError(f"no file for {title!r}")


def _append(path: Path, para: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip() + "\n\n" + para + "\n", encoding="utf-8")


def _list(app) -> ArticleList:
    return app.screen.query_one(ArticleList)


async def test_an_archived_story_that_gets_a_new_paragraph_comes_back_marked(settings_factory, tmp_path):
    inbox = _inbox(tmp_path)
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"debounce_ms": 50}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        aid = _list(app).current_id
        title = svc.article(aid).title
        await pilot.press("a")  # archived
        await pilot.press("1")  # a fresh inbox view: the archived story is gone from it
        await wait_for(pilot, lambda: aid not in _list(app).ids and svc.book.queued == 0)
        # The agency resends it with a new paragraph: the file changes on disk.
        _append(_story_file(inbox, title), NEW_PARA)
        await wait_for(pilot, lambda: aid in _list(app).ids, timeout=20)
        row = svc.row(aid)
        assert row.article.updated and row.reopened and row.decision is None
        assert svc.decision(aid) is Decision.ARCHIVE  # the history still says archived
        line = next(_list(app).render_line(y).text for y in range(_list(app).size.height)
                    if title[:20] in _list(app).render_line(y).text)
        assert "↻" in line
        _list(app).cursor = _list(app).index_of(aid)
        await wait_for(pilot, lambda: "adds 1 sentence" in str(app.screen.query_one(SummaryPanel).render()))
        assert "↻ updated" in str(app.screen.query_one(SummaryPanel).render())
        await pilot.press("z")  # read it
        body = app.screen.query_one(ArticleText).shown_text
        plain = body.plain
        marked = [plain[span.start:span.end] for span in body.spans if str(span.style) == NEW_STYLE]
        assert any(m.startswith("Later on Thursday officials") for m in marked)
        assert "↻ updated" in plain
        # Deciding again records the new version: the story stays decided.
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: svc.book.queued == 0 and svc.current_event(aid).version
                       == svc.article(aid).content_hash)
        await pilot.press("2", "1")
        await wait_for(pilot, lambda: aid not in _list(app).ids)
    svc.close()


async def test_follow_up_stays_in_its_view_and_a_quiet_update_reopens_nothing(settings_factory, tmp_path):
    inbox = _inbox(tmp_path)
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"debounce_ms": 50}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    app = make_app(svc, now=NOW, analyze=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        first, second = _list(app).ids[:2]
        t1, t2 = svc.article(first).title, svc.article(second).title
        await pilot.press("f")  # first: follow-up
        await pilot.press("a")  # second: archived
        await wait_for(pilot, lambda: svc.book.queued == 0)
        _append(_story_file(inbox, t1), NEW_PARA)
        quiet = _story_file(inbox, t2)
        quiet.write_text(quiet.read_text(encoding="utf-8").replace(",", " ,"), encoding="utf-8")
        await wait_for(pilot, lambda: svc.article(first).updated and svc.article(second).updated, timeout=20)
        await pilot.press("2")  # follow-up: still there, marked
        await wait_for(pilot, lambda: _list(app).ids == (first,))
        assert svc.row(first).article.updated and svc.row(first).decision is Decision.FOLLOW_UP
        await pilot.press("1")
        await wait_for(pilot, lambda: len(_list(app).ids) == 1)
        assert first not in _list(app).ids and second not in _list(app).ids  # the quiet one stays archived
        assert not svc.row(second).reopened
    svc.close()


TRIAGE = Path(sys.executable).with_name("triage")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_tmux_an_archived_wire_story_comes_back_when_a_paragraph_is_added(tmp_path):
    inbox = _inbox(tmp_path, 2)
    db = tmp_path / "decisions.json"
    session = f"triage-upd-{uuid.uuid4().hex[:8]}"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "TERM": "xterm-256color", "PATH": f"{TRIAGE.parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    cmd = " ".join(f"{k}={v}" for k, v in env.items()) + f" {TRIAGE} --db {db} {inbox}; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd], check=True)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-pt", session], capture_output=True, text=True).stdout

    def wait(pred, timeout=60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = screen()
            if pred(got):
                return got
            time.sleep(0.2)
        raise AssertionError("timed out; the screen was:\n" + screen())

    try:
        wait(lambda s: "Inbox 2" in s)
        first_title = _list_title(screen())
        subprocess.run(["tmux", "send-keys", "-t", session, "a"], check=True)
        wait(lambda s: "Inbox 1" in s)
        _append(_story_file(inbox, first_title), NEW_PARA)
        got = wait(lambda s: "Inbox 2" in s and "↻" in s, timeout=30)
        assert "↻ " + first_title[:20] in got
        subprocess.run(["tmux", "send-keys", "-t", session, "g"], check=True)
        got = wait(lambda s: "↻ updated" in s and "adds 1 sentence" in s)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _list_title(screen: str) -> str:
    """The first list row's title, as the person sees it (cut titles end with an ellipsis)."""
    line = screen.splitlines()[1]
    return line[4:].split("…")[0].split("  ")[0].strip()


async def test_feed_names_and_folders_filter_the_list(settings_factory, tmp_path):
    """S picks one source, or the feeds of one folder (tag); escape clears it. A feed that cannot be
    fetched is a problem line with its reason (the feeds point at a closed port on 127.0.0.1)."""
    from triage.model import Article
    from triage.tui.screens.dialogs import PickScreen

    feeds = [{"url": "http://127.0.0.1:9/world.xml", "name": "World Wire", "tags": ["world", "wires"]},
             {"url": "http://127.0.0.1:9/local.xml", "name": "City Desk", "tags": ["local"]}]
    settings = settings_factory()
    settings.data["feeds"] = feeds
    svc = TriageService(settings, inbox=[], db_path=settings.db_path)
    svc.catalog.source_tags, svc.catalog.file_tags = __import__("triage.service", fromlist=["x"])._feed_tags(settings)
    svc.set_articles([Article(id=f"w{i}", title=f"World {i}", text=f"World story number {i}.", source="World Wire",
                              content_hash=f"w{i}") for i in range(2)]
                     + [Article(id="c0", title="City", text="A city story.", source="City Desk", content_hash="c0")])
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        await wait_for(pilot, lambda: any("127.0.0.1:9/world.xml" in p.where and "could not be fetched" in p.reason
                                          for p in svc.problems))
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        labels = str(app.screen.query_one("OptionList").get_option_at_index(0).prompt)
        assert "Folder (tag): local" in labels
        await pilot.press("down", "down", "enter")  # tags come first (local, wires, world): "world"
        await wait_for(pilot, lambda: set(_list(app).ids) == {"w0", "w1"})
        assert "src:tag:world" in str(app.screen.query_one("#topbar").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(_list(app).ids) == 3)
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("end", "enter")  # the last choice: a source by name
        await wait_for(pilot, lambda: len(_list(app).ids) < 3)
        assert {svc.article(i).source for i in _list(app).ids} in ({"City Desk"}, {"World Wire"})
    svc.close()
