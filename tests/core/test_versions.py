"""Stories that change: versions kept with their arrival, a resend under a new headline recognised, and
what an update added (or that it added nothing)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from triage.catalog.changes import compare
from triage.core.service import TriageService
from triage.infra.text import is_furniture
from triage.sources.loader import iter_load

NEW_PARA = ("Later on Thursday officials in the region said the first ballots had been printed and "
            "delivered to polling stations across the four districts.")


def _service(settings_factory, inbox: Path) -> TriageService:
    settings = settings_factory(inbox=[inbox], overrides={"watch": {"enabled": False}})
    return TriageService(settings, inbox=[inbox], db_path=settings.db_path)


def _merge_file(svc: TriageService, path: Path) -> list[str]:
    """What the inbox watcher does with a file that appeared or changed."""
    arts, probs = [], []
    for part in iter_load([path], **svc.inbox.load_options()):
        arts += part.articles
        probs += part.problems
    return svc.inbox.merge(arts, probs)


def _wire(folder: Path, name: str, title: str, paras: list[str], mtime: float) -> Path:
    path = folder / name
    path.write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def _demo_story() -> tuple[str, list[str]]:
    from triage.cli.common import demo_dir

    text = (demo_dir() / "01-magnitogorsk-apartment-building-collapses-after-explosion-dozens.txt")
    if not text.exists():
        text = sorted(demo_dir().glob("*.txt"))[0]
    title, _, body = text.read_text(encoding="utf-8").partition("\n")
    return title.strip(), [p.strip() for p in body.split("\n\n") if p.strip()]


def test_an_edited_file_is_a_new_version_with_its_arrival_and_what_it_added(settings_factory, tmp_path):
    inbox = tmp_path / "wire"
    inbox.mkdir()
    title, paras = _demo_story()
    path = _wire(inbox, "story.txt", title, paras, time.time() - 3600)
    svc = _service(settings_factory, inbox)
    svc.inbox.load()
    (story,) = [a.id for a in svc.catalog.articles()]
    assert not svc.catalog.article(story).updated
    _wire(inbox, "story.txt", title, [*paras, NEW_PARA], time.time())
    assert _merge_file(svc, path) == [story]
    art = svc.catalog.article(story)
    assert art.updated and art.updated_at > art.received
    update, when = svc.versions.update_of(story)
    assert update.news and when == art.updated_at
    assert update.sentences[0].startswith("Later on Thursday officials")
    a, b = update.spans[0]
    assert art.text[a:b].startswith("Later on Thursday")
    # A second start knows it is an updated story, and still what it added.
    again = _service(settings_factory, inbox)
    again.inbox.load()
    assert again.catalog.article(story).updated and again.versions.update_of(story)[0].news


def test_a_resend_in_a_new_file_under_a_rewritten_headline_is_the_same_story(settings_factory, tmp_path):
    inbox = tmp_path / "AFP"
    inbox.mkdir()
    title, paras = _demo_story()
    _wire(inbox, "first.txt", title, paras, time.time() - 3600)
    svc = _service(settings_factory, inbox)
    svc.inbox.load()
    (story,) = [a.id for a in svc.catalog.articles()]
    svc.decide([story], None)  # touch the store so the file exists
    second = _wire(inbox, "second.txt", "UPDATE 1-" + title.upper(), [*paras, NEW_PARA], time.time())
    assert _merge_file(svc, second) == [story]
    assert len(svc.catalog.articles()) == 1
    assert svc.catalog.article(story).title.startswith("UPDATE 1-")
    assert svc.versions.update_of(story)[0].sentences[0].startswith("Later on Thursday")
    # Next start: the link is remembered, one story, the update still known.
    again = _service(settings_factory, inbox)
    again.inbox.load()
    assert [a.id for a in again.catalog.articles()] == [story]
    assert again.versions.update_of(story)[0].news


def test_quiet_updates_add_nothing(wire_story):
    from triage.sources.registry import read_file

    (art,), _ = read_file(wire_story)
    retyped = art.text.replace("“", '"').replace("”", '"').replace("’", "'").replace(",", " ,")
    furniture = retyped + "\n\n– adding “vote” –\n\n(Reporting by Jane Doe; Editing by John Roe)"
    update = compare(art.text, furniture)
    assert not update.news and update.sentences == ()
    assert is_furniture("– adding “vote” –")
    news = compare(art.text, art.text + "\n\n" + NEW_PARA)
    assert news.news and news.line().startswith("Update adds 1 sentence: “Later on Thursday")
