"""Live inbox: a file dropped into a watched folder is read and handed over within 2 s."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.sources.conftest import copy_demo, demo_article, watching
from triage.sources.watch import WatchUpdate, awatch_paths


def test_watch_thread_new_changed_removed(inbox: Path, tmp_path: Path) -> None:
    with watching(inbox, tmp_path / "c.sqlite") as got:
        [path] = copy_demo(inbox, ["01-"])
        update = got.get(timeout=10)  # a hang fails; how fast it comes is tests/perf's job
        assert [a.title for a in update.articles] == [
            "Magnitogorsk apartment building collapses after explosion, dozens dead"]
        first = update.articles[0]
        # A changed text: same id, a new content hash.
        title, paras = demo_article("01-")
        path.write_text(title + "\n\n" + "\n\n".join(paras[:2]) + "\n", encoding="utf-8")
        update = got.get(timeout=2)
        while not update.articles:
            update = got.get(timeout=2)
        assert update.articles[0].id == first.id and update.articles[0].content_hash != first.content_hash
        assert update.articles[0].updated
        # Ignored names produce nothing; a bad file is a problem; a removal is reported.
        (inbox / ".partial.txt").write_text("x", encoding="utf-8")
        (inbox / ".git").mkdir()
        (inbox / ".git" / "HEAD.txt").write_text("ref: x", encoding="utf-8")
        (inbox / "bad.json").write_text("[", encoding="utf-8")
        batch = [got.get(timeout=2)]
        time.sleep(0.5)
        while not got.empty():
            batch.append(got.get())
        assert [a for u in batch for a in u.articles] == []
        assert [p.reason.split(" (")[0] for u in batch for p in u.problems] == ["is not valid JSON"]
        path.unlink()
        update = got.get(timeout=2)
        assert update.removed == [str(path)]


async def test_awatch_async_iterator(inbox: Path) -> None:
    stop, ready = asyncio.Event(), asyncio.Event()

    async def first_update() -> WatchUpdate:
        async for update in awatch_paths([inbox], stop_event=stop, ready=ready, debounce_ms=100):
            return update
        raise AssertionError("watch ended")

    task = asyncio.create_task(first_update())
    await asyncio.wait_for(ready.wait(), 5)
    copy_demo(inbox, ["09-"])
    update = await asyncio.wait_for(task, 2)
    stop.set()
    assert [a.source for a in update.articles] == ["Wikinews"]
