"""Read marks and story aliases are the user's own: a private file in the data folder, not the ingest
cache; the marks an older triage kept in the ingest cache are adopted once."""

from __future__ import annotations

import stat
from dataclasses import replace

from triage.config import load_settings
from triage.core.mine import MINE_FILE, Mine
from triage.core.service import TriageService
from triage.model import Article
from triage.sources.cache import IngestCache

STORY = Article(id="s1", title="Storm closes the port", text="The port closed.", source="Wire",
                content_hash="v1")


def test_read_marks_go_to_my_own_private_file_and_come_back(tmp_path):
    data = tmp_path / "data"
    settings = load_settings(db=tmp_path / "d.json", data_dir=data, use_user_config=False)
    service = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    service.inbox.set_articles([STORY])
    service.inbox.merge([replace(STORY, text="The port closed. It reopens at noon.", content_hash="v2",
                                         updated=True)])
    assert service.catalog.article("s1").updated
    service.versions.mark_read("s1")
    service.versions.save_read_marks()
    service.close()
    mine = data / MINE_FILE
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700
    assert Mine(data).read_marks()["s1"][0] == "v2"
    cache = data / "ingest-cache.sqlite"
    if cache.exists():
        assert IngestCache(cache).read_marks() == {}  # never written to the cache
    again = TriageService(settings, inbox=[], db_path=tmp_path / "d.json")
    again.versions.prepare()
    assert again.versions.baseline_version("s1") == "v2"
    again.close()


def test_marks_and_aliases_an_older_triage_kept_in_the_ingest_cache_are_adopted_once(tmp_path):
    legacy = IngestCache(tmp_path / "ingest-cache.sqlite")
    legacy.add_read_marks([("s1", "v1", "2026-11-25T10:00:00.000000Z")])
    legacy.add_aliases([("s1-take2", "s1")])
    legacy.close()
    mine = Mine(tmp_path)
    assert mine.read_marks() == {"s1": ("v1", "2026-11-25T10:00:00.000000Z")}
    assert mine.aliases() == {"s1-take2": "s1"}
    mine.add_read_marks([("s1", "v3", "2026-11-26T08:00:00.000000Z")])
    legacy = IngestCache(tmp_path / "ingest-cache.sqlite")
    legacy.add_read_marks([("s9", "x", "2026-11-26T09:00:00.000000Z")])  # after the adoption
    legacy.close()
    later = Mine(tmp_path)
    assert later.read_marks() == {"s1": ("v3", "2026-11-26T08:00:00.000000Z")}  # adopted once, kept mine


def test_personal_watches_and_opened_stories_are_kept_in_my_own_file(tmp_path):
    """The desk's watches live in the store; mine alone, and what I opened, live here (0600)."""
    data = tmp_path / "data"
    mine = Mine(data)
    assert mine.watches() == [] and mine.opened() == {}
    mine.add_watch("Money", "central bank", "2026-01-01T00:00:00.000000Z")
    mine.add_watch("Money", "central bank rates", "2026-01-02T00:00:00.000000Z")  # changed in place
    mine.add_opened([("s1", "2026-01-01T10:00:00.000000Z")])
    mine.add_opened([("s1", "2026-01-03T10:00:00.000000Z"), ("s2", "2026-01-03T10:00:00.000000Z")])
    again = Mine(data)
    assert [(w.name, w.query, w.desk) for w in again.watches()] == [("Money", "central bank rates", False)]
    assert again.opened() == {"s1": "2026-01-01T10:00:00.000000Z", "s2": "2026-01-03T10:00:00.000000Z"}
    gone = again.remove_watch("Money")
    assert gone is not None and gone.query == "central bank rates"
    assert again.remove_watch("Money") is None and Mine(data).watches() == []
    assert stat.S_IMODE((data / MINE_FILE).stat().st_mode) == 0o600
