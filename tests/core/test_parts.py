"""The service's parts on their own, with real files: the inbox loads progressively and tells what it
read, decisions show at once and undo only this session's own, a refused write is rescued and replayed,
the analyses never read the cache file on the event loop, and the live side starts and stops."""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
from pathlib import Path

import pytest

from triage.core import events
from triage.core.service import TriageService
from triage.model import Article, Decision

STORY = (
    "{title}\n\nThe council voted on Tuesday to close the old bridge to cars from next month, "
    "officials said.\n\nRepairs are expected to take two years and cost about 40 million euros.\n"
)


def _inbox(tmp_path: Path, n: int) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(n):
        (inbox / f"story-{i:02d}.txt").write_text(
            STORY.format(title=f"Bridge story number {i}"), encoding="utf-8"
        )
    return inbox


def _service(settings_factory, inbox: Path | None, **over) -> tuple[TriageService, list]:
    overrides = {"watch": {"enabled": False}, "store": {"poll_seconds": 0}, **over}
    settings = settings_factory(inbox=[inbox] if inbox else None, overrides=overrides)
    svc = TriageService(settings, inbox=[inbox] if inbox else [], db_path=settings.db_path)
    heard: list = []
    svc.listeners.append(heard.append)
    return svc, heard


def test_the_inbox_loads_progressively_and_says_how_far_it_got(settings_factory, tmp_path):
    inbox = _inbox(tmp_path, 7)
    (inbox / "broken.json").write_bytes(b"{not json")
    svc, heard = _service(settings_factory, inbox)
    try:
        svc.inbox.load()
        progress = [e for e in heard if isinstance(e, events.LoadProgress)]
        assert progress[-1].finished and progress[-1].done == progress[-1].total == 8
        assert all(not e.finished for e in progress[:-1])
        changed = [i for e in heard if isinstance(e, events.ArticlesChanged) for i in e.change.changed]
        assert len(changed) == len(set(changed)) == 7 == len(svc.catalog.articles())
        assert svc.progress == (8, 8, True)
        assert [p.where for p in svc.problems] == [str(inbox / "broken.json")]
        assert svc.start_loading().done()  # loaded by hand: nothing is read again
    finally:
        svc.close()


def test_a_merge_tells_only_what_changed(settings_factory, tmp_path):
    svc, heard = _service(settings_factory, None)
    try:
        art = Article(id="x", title="T", text="Body.", content_hash="h1")
        assert svc.inbox.merge([art]) == ["x"]
        assert svc.inbox.merge([art]) == []
        told = [e for e in heard if isinstance(e, events.ArticlesChanged)]
        assert len(told) == 1 and told[0].change.changed == ["x"]
    finally:
        svc.close()


def test_a_decision_shows_at_once_and_undo_takes_back_only_this_sessions_own(settings_factory, tmp_path):
    svc, heard = _service(settings_factory, None)
    other = None
    try:
        svc.inbox.set_articles([Article(id=i, title=i, text="Body.", content_hash=i) for i in ("a", "b")])
        action = svc.decide_soon(["a"], Decision.FLAG, "check the figures")
        # before the write
        assert svc.decisions.decision("a") is Decision.FLAG and svc.decisions.note("a") == "check the figures"
        action.future.result(timeout=10)
        assert any(isinstance(e, events.WriteSettled) for e in heard)
        # Another process decides on b; this session's undo leaves it alone.
        other = TriageService(svc.settings, inbox=[], db_path=svc.db_path)
        other.decide(["b"], Decision.ARCHIVE)
        svc.refresh_decisions()
        assert svc.decisions.decision("b") is Decision.ARCHIVE
        undo = svc.undo_last()
        undo.future.result(timeout=10)
        assert svc.decisions.decision("a") is None and svc.decisions.decision("b") is Decision.ARCHIVE
        assert svc.undo_last() is None  # nothing of ours is left to undo
    finally:
        svc.close()
        if other is not None:
            other.close()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full for a real ENOSPC")
def test_a_refused_write_is_held_rescued_on_close_and_replayed_by_the_next_start(settings_factory, tmp_path):
    svc, heard = _service(settings_factory, None)
    svc.inbox.set_articles([Article(id="a", title="A story", text="Body.", content_hash="h")])
    svc.refresh_decisions()  # the store exists
    journal = Path(str(svc.db_path) + ".journal")
    journal.unlink(missing_ok=True)
    journal.symlink_to("/dev/full")
    svc.decide_soon(["a"], Decision.FOLLOW_UP).future.result(timeout=10)
    count, why = svc.decisions.unsaved()
    assert count == 1 and why
    svc.close()
    rescue = svc.decisions.rescued
    assert rescue is not None and Path(rescue.path).exists()
    assert stat.S_IMODE(os.stat(rescue.path).st_mode) == 0o600
    journal.unlink()
    again, _ = _service(settings_factory, None)
    try:
        again.refresh_decisions()
        assert again.decisions.decision("a") is Decision.FOLLOW_UP
        assert "Replayed 1" in again.decisions.replayed
    finally:
        again.close()


def test_the_event_loop_never_waits_on_the_analysis_cache(settings_factory, tmp_path):
    art = Article(
        id="s",
        title="Bridge closed",
        text=STORY.format(title="Bridge closed").split("\n\n", 1)[1],
        content_hash="c1",
    )
    first, _ = _service(settings_factory, None, analysis={"processes": 0})
    try:
        first.analyses.analyze(art)  # real model, written to the cache file
    finally:
        first.close()
    svc, heard = _service(settings_factory, None, analysis={"processes": 0})
    try:
        svc.inbox.set_articles([art])
        assert svc.analyses.cached(art, wait=False) is None  # the file is not read on the event loop
        svc.analyses.read_cache()
        assert any(isinstance(e, events.Analysed) and not e.ids for e in heard)
        got = svc.analyses.cached(art, wait=False)
        assert got is not None and got.summary
    finally:
        svc.close()


def test_the_live_side_starts_its_threads_and_stops_them(settings_factory, tmp_path):
    inbox = _inbox(tmp_path, 3)
    svc, heard = _service(settings_factory, inbox, store={"poll_seconds": 0.05})
    done = threading.Event()
    svc.listeners.append(lambda e: done.set() if isinstance(e, events.LoadProgress) and e.finished else None)
    try:
        svc.start(analyze=False)
        assert done.wait(30)
        assert any(isinstance(e, events.DecisionsChanged) for e in heard)
        assert svc.live.more_started
        threads = list(svc.live.threads)
        assert {t.name for t in threads} >= {"triage-decisions", "triage-index", "triage-poll"}
    finally:
        svc.close()
    for t in threads:
        t.join(10)
    assert not [t.name for t in threads if t.is_alive()]


def test_every_event_is_a_frozen_dataclass_with_a_handler_name():
    kinds = [
        c
        for c in vars(events).values()
        if isinstance(c, type) and issubclass(c, events.ServiceEvent) and c is not events.ServiceEvent
    ]
    assert len(kinds) >= 8
    for kind in kinds:
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen
        assert kind.__doc__
    assert events.ArticlesChanged.handler_name() == "on_articles_changed"
    assert events.AnalysisStopped.handler_name() == "on_analysis_stopped"
    from triage.tui.screens.main import MainScreen

    missing = [k.handler_name() for k in kinds if not callable(getattr(MainScreen, k.handler_name(), None))]
    assert not missing, f"the main screen does not handle {missing}"


@pytest.mark.parametrize("owner", ["mine", "another user's"])
def test_the_feed_spool_is_read_only_from_a_data_folder_of_ones_own(settings_factory, tmp_path, owner):
    """A data folder another user owns (and could plant stories in) is refused by the fetcher; the
    inbox does not read its spool as the user's feeds either."""
    if owner != "mine" and os.geteuid() != 0:
        pytest.skip("needs root to give the data folder to another uid")
    inbox = _inbox(tmp_path, 1)
    spool = tmp_path / "data" / "spool"
    spool.mkdir(parents=True, mode=0o700)
    os.chmod(tmp_path / "data", 0o700)
    (spool / "planted.txt").write_text(STORY.format(title="A story in the spool"), encoding="utf-8")
    if owner != "mine":
        for folder in (tmp_path / "data", spool):
            os.chown(folder, 65534, 65534)
    svc, _ = _service(settings_factory, inbox, feeds=[{"url": "http://127.0.0.1:9/feed.xml"}])
    try:
        svc.inbox.load()
        titles = sorted(a.title for a in svc.catalog.articles())
        if owner == "mine":
            assert titles == ["A story in the spool", "Bridge story number 0"]
        else:
            assert titles == ["Bridge story number 0"]
    finally:
        svc.close()


def _wait_until(cond, seconds: float) -> bool:
    end = threading.Event()
    for _ in range(int(seconds * 10)):
        if cond():
            return True
        end.wait(0.1)
    return cond()


@pytest.mark.parametrize("long_load", [False, True])
def test_search_indexing_waits_for_a_short_load_and_runs_alongside_a_long_one(
    settings_factory, tmp_path, monkeypatch, long_load
):
    """While the inbox is still being read, the search index waits (the reading has the CPU), unless
    the load has gone on for INDEX_DURING_LOAD_AFTER seconds: then it is indexed alongside."""
    from triage.core import live

    inbox = _inbox(tmp_path, 12)
    svc, _ = _service(settings_factory, inbox)
    try:
        svc.inbox.load()
        assert svc.catalog.unindexed == 12
        svc.inbox.progress = (12, 20, False)  # as if eight files were still to read
        monkeypatch.setattr(live, "INDEX_DURING_LOAD_AFTER", 0.0 if long_load else 3600.0)
        threading.Thread(target=svc.live._index_loop, daemon=True).start()
        indexed = _wait_until(lambda: svc.catalog.unindexed == 0, 5.0 if long_load else 1.0)
        assert indexed == long_load
        svc.inbox.progress = (20, 20, True)  # the load ends: everything is indexed
        assert _wait_until(lambda: svc.catalog.unindexed == 0, 5.0)
    finally:
        svc.close()


def test_a_held_load_waits_after_its_first_stories_until_the_screen_has_painted(settings_factory, tmp_path,
                                                                                 monkeypatch):
    """`triage` starts reading before Textual starts: the first batch is read, then the rest waits
    until the screen has painted it (start_more), so it does not compete with the screen for the
    interpreter; a screen that never says so holds it up HOLD_SECONDS at most."""
    import triage.core.inbox as inbox_mod

    inbox = tmp_path / "inbox"  # a first batch of 48 parsed files, then the rest
    inbox.mkdir()
    for i in range(120):
        (inbox / f"story-{i:03d}.txt").write_text(
            f"Story number {i}\n\nStory {i} is about item {i * 7919 % 1000} of the list, and about "
            f"nothing else: {i} {i * 31} {i * 97}.\n", encoding="utf-8")
    monkeypatch.setattr(inbox_mod, "HOLD_SECONDS", 60.0)
    svc, _heard = _service(settings_factory, inbox)
    try:
        loading = svc.start_loading(hold=True)
        deadline = threading.Event()
        for _ in range(600):
            if svc.progress[0]:
                break
            deadline.wait(0.05)
        first = svc.progress
        assert first[0] and not first[2] and len(svc.catalog.articles()) == first[0] < 120
        deadline.wait(0.5)
        assert svc.progress == first and not loading.done()  # held: nothing more was read
        svc.start_more()  # the screen has painted
        loading.result(timeout=60)
        assert svc.progress == (120, 120, True) and len(svc.catalog.articles()) == 120
    finally:
        svc.close()

    monkeypatch.setattr(inbox_mod, "HOLD_SECONDS", 0.2)
    svc, _heard = _service(settings_factory, inbox)
    try:
        svc.start_loading(hold=True).result(timeout=60)  # nobody paints: it goes on by itself
        assert svc.progress == (120, 120, True)
    finally:
        svc.close()


def test_a_screen_keeps_what_the_list_led_with_and_the_next_start_reads_those_first(settings_factory,
                                                                                     tmp_path):
    """Once the inbox and the decisions are read, and again on closing, the files of the start view's
    first rows are kept in the ingest cache; the next start's first batch is those stories."""
    from triage.catalog.listing import View
    from triage.sources.cache import IngestCache

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(260):  # the newest are the highest numbers (file times: no dates in the text)
        path = inbox / f"story-{i:03d}.txt"
        path.write_text(f"Story number {i}\n\nStory {i} is about item {i * 7919 % 1000}, and about "
                        f"nothing else: {i} {i * 31} {i * 97}.\n", encoding="utf-8")
        os.utime(path, (1_700_000_000 + i * 60, 1_700_000_000 + i * 60))
    cache_path = tmp_path / "data" / "ingest-cache.sqlite"

    def kept() -> list[str]:
        cache = IngestCache(cache_path)
        try:
            return [Path(p).name for p in cache.first_screen()]
        finally:
            cache.close()

    svc, _heard = _service(settings_factory, inbox)
    try:
        svc.start(analyze=False)
        svc.start_loading().result(timeout=60)
        for _ in range(200):  # after the load, on the live side's thread
            if kept():
                break
            threading.Event().wait(0.05)
        top = [Path(svc.catalog.article(a).path).name for a in svc.listing(View()).ids[:240]]
        assert kept() == top and top[0] == "story-259.txt" and len(top) == 240
        svc.decide([svc.listing(View()).ids[0]], Decision.ARCHIVE)
    finally:
        svc.close()
    assert kept()[0] == "story-258.txt"  # on closing: the decided one has left the inbox view

    svc, heard = _service(settings_factory, inbox)
    try:
        svc.inbox.load()
        first = next(e for e in heard if isinstance(e, events.ArticlesChanged))
        names = {Path(svc.catalog.article(a).path).name for a in first.change.changed}
        assert names == set(kept())
    finally:
        svc.close()
