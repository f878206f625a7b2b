"""A kill that must not be lost: Reuters' 10-digit version after a 9-digit one, read from real NewsML-G2
files in Reuters' layout (tests/core/data/kills), through the loader, the catalog and the service, and
again after a restart. Real service, real TinyDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

from triage.core import View
from triage.core.service import TriageService
from triage.model import Article, Decision
from triage.sources.loader import iter_load

KILLS = Path(__file__).parent / "data" / "kills"
FIRST = "reuters-g2-978556838.xml"
KILL = "reuters-g2-1542761538-kill.xml"


def _service(settings_factory, inbox: Path, **ui) -> TriageService:
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"enabled": False}, "ui": ui})
    return TriageService(settings, inbox=[inbox], db_path=settings.db_path)


def _drop(svc: TriageService, inbox: Path, name: str) -> list[str]:
    """What the inbox watcher does with a file the agency pushed into the folder."""
    shutil.copy(KILLS / name, inbox / name)
    arts, probs = [], []
    for part in iter_load([inbox / name], **svc.inbox.load_options()):
        arts += part.articles
        probs += part.problems
    return svc.inbox.merge(arts, probs)


def _stories(n: int) -> list[Article]:
    return [
        Article(id=f"s{i}", title=f"Council story number {i}",
                text=f"The council met {i} times this year. " * 3, source="wire",
                published=f"2026-12-01T{i % 24:02d}:00:00+00:00", content_hash=f"h{i}")
        for i in range(n)
    ]


def test_the_10_digit_kill_replaces_the_9_digit_follow_up_and_brings_it_back(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(KILLS / FIRST, inbox / FIRST)
    svc = _service(settings_factory, inbox)
    try:
        svc.inbox.load()
        (story,) = [a.id for a in svc.catalog.articles()]
        assert svc.catalog.article(story).version == "978556838"
        svc.decide([story], Decision.FOLLOW_UP)
        assert svc.listing(View("inbox")).ids == ()
        assert _drop(svc, inbox, KILL) == [story]
        art = svc.catalog.article(story)
        assert art.version == "1542761538" and art.killed and "KILL" in art.marks  # the designator is a mark
        listing = svc.listing(View("inbox"))
        assert listing.ids == (story,)
        assert listing.counts["inbox"] == 1 and listing.counts["follow-up"] == 0  # list and counts agree
        row = svc.row(story)
        assert row.reopened and row.decision is None and row.article.killed
    finally:
        svc.close()
    again = _service(settings_factory, inbox)  # a restart reads both files: the kill still wins
    try:
        again.inbox.load()
        again.decisions.load()  # what the live side does on start
        listing = again.listing(View("inbox"))
        assert listing.ids == (story,) and listing.counts["follow-up"] == 0
        assert again.row(story).reopened and again.catalog.article(story).killed
    finally:
        again.close()


def test_an_older_version_that_arrives_later_never_replaces_the_newer_one(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    later = (KILLS / KILL).read_text(encoding="utf-8").replace("stat:canceled", "stat:usable")
    (inbox / "newer.xml").write_text(later, encoding="utf-8")
    svc = _service(settings_factory, inbox)
    try:
        svc.inbox.load()
        (story,) = [a.id for a in svc.catalog.articles()]
        _drop(svc, inbox, FIRST)  # the 9-digit version, late
        assert svc.catalog.article(story).version == "1542761538"
    finally:
        svc.close()


def test_a_kill_for_a_story_never_seen_leads_the_inbox(settings_factory, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    svc = _service(settings_factory, inbox)
    try:
        svc.inbox.set_articles(_stories(24))
        (story,) = _drop(svc, inbox, KILL)  # dated 2018: the oldest story by far
        listing = svc.listing(View("inbox"))
        assert listing.ids[0] == story and len(listing.ids) == 25 and listing.counts["inbox"] == 25
        svc.decide([story], Decision.ARCHIVE)  # seen and decided: it goes to its date
        assert story not in svc.listing(View("inbox")).ids
        assert svc.listing(View("all")).ids[-1] == story
    finally:
        svc.close()


def test_rows_kept_on_screen_after_a_decision_are_counted_apart(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    try:
        svc.inbox.set_articles(_stories(25))
        svc.decide(["s3"], Decision.FOLLOW_UP)
        listing = svc.listing(View("inbox"), keep={"s3"})
        assert len(listing.ids) == 25 and listing.counts["inbox"] == 24 and listing.kept == 1
        assert svc.listing(View("follow-up"), keep={"s3"}).kept == 0
        assert svc.listing(View("inbox")).kept == 0
    finally:
        svc.close()
