"""Stories dropped while the inbox loads: after the load listed the folders and before the watcher
listens, a new file was seen by neither, and waited for the next start (issue 29's tmux run saw it)."""

from __future__ import annotations

import os
import time

from triage.core.service import TriageService
from triage.sources.watch import arrivals

BODIES = {  # unlike each other: a near-duplicate arriving later would be read as the same story
    "Known story": "The harbour reopened on Tuesday after a week of repairs to the northern quay.",
    "Changed story": "Farmers in the valley began the grape harvest two weeks earlier than usual.",
    "Unknown story": "The city council approved a new cycle lane along the river embankment.",
    "Ignored story": "A hidden file that the scan and the watcher both leave alone.",
    "Story number 0": "Astronomers reported a comet that will pass close to the Earth in March.",
    "Story number 1": "The national orchestra announced a winter tour of twelve cities.",
    "Story number 2": "A new ferry service links the two islands from the first of June.",
    "Late arrival": "Rescue teams found two climbers stranded on the glacier since Sunday night.",
}


def _write(path, title: str, mtime: float | None = None) -> None:
    path.write_text(f"{title}\n\n{BODIES[title]}\n", encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_arrivals_are_the_files_a_load_did_not_read_or_that_changed_since_it_began(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    old = time.time() - 3600
    _write(inbox / "known.txt", "Known story", old)
    _write(inbox / "changed.txt", "Changed story")  # known, but written after the load began
    _write(inbox / "unknown.txt", "Unknown story", old)  # never read (its mtime kept by a copy)
    _write(inbox / ".hidden.txt", "Ignored story")
    known = {str(inbox / "known.txt"), str(inbox / "changed.txt")}
    update = arrivals([inbox], known, since=time.time() - 60, ignore=[".*"])
    assert sorted(a.title for a in update.articles) == ["Changed story", "Unknown story"]
    assert not update.problems and not update.removed


def test_a_story_dropped_while_the_inbox_loads_is_listed_without_a_restart(settings_factory, tmp_path):
    """The file lands after the load listed the folder (some files are read already) and before the
    watcher, which starts once the load is done, listens."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        _write(inbox / f"s{i}.txt", f"Story number {i}")
    for i in range(1000):  # enough files that the load takes a while after listing them
        body = f"Filler number {i} says {i * 7919} things."
        (inbox / f"f{i:04d}.txt").write_text(f"Filler story {i}\n\n{body}\n", encoding="utf-8")
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"debounce_ms": 50},
                                                          "sources": {"duplicate_threshold": 0}})
    svc = TriageService(settings, inbox=[inbox], db_path=settings.db_path)
    try:
        svc.start(analyze=False)
        deadline = time.monotonic() + 60
        while svc.inbox.progress[1] == 0 and time.monotonic() < deadline:  # listed: the total is known
            time.sleep(0.001)
        _write(inbox / "late.txt", "Late arrival")
        assert not svc.inbox.progress[2], "the load ended before the file landed: nothing was tested"
        titles: set[str] = set()
        deadline = time.monotonic() + 60
        while "Late arrival" not in titles and time.monotonic() < deadline:
            time.sleep(0.05)
            titles = {a.title for a in svc.catalog.articles()}
        assert "Late arrival" in titles
    finally:
        svc.close()
