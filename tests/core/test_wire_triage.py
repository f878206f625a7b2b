"""Triage by what the wire says: flashes first until decided, provider/language/urgency filters and
counts, agency versions in order (3 before 2 is never replaced by 2), and a decided story the agency
kills comes back to the inbox whatever ui.reopen_on_update says. Real service, real TinyDB file."""

from __future__ import annotations

from pathlib import Path

from triage.core import View
from triage.core.service import TriageService
from triage.model import Article, Decision

BODY = (
    "The ministry said on Tuesday that the new rules would take effect next month after a vote in "
    "parliament. Officials in the capital said the measures were aimed at {what}.\n\n"
    "Opposition leaders criticised the plan and called for further talks on {what}."
)


def _art(aid: str, *, hours: int, what: str, **wire) -> Article:
    stamp = f"2026-12-01T{hours:02d}:00:00+00:00"
    text = BODY.format(what=what)
    return Article(
        id=aid,
        title=f"Story about {what}",
        text=text,
        source="wire",
        published=stamp,
        received=stamp,
        content_hash=f"h-{aid}-{wire.get('version', '')}-{wire.get('pubstatus', '')}",
        path=f"/inbox/{aid}-{wire.get('version', '0')}.xml",
        **wire,
    )


def _service(settings_factory, tmp_path: Path, **ui) -> TriageService:
    settings = settings_factory(
        inbox=[tmp_path],
        overrides={"watch": {"enabled": False}, "sources": {"duplicate_threshold": 0}, "ui": ui},
    )
    return TriageService(settings, inbox=[tmp_path], db_path=settings.db_path)


def test_undecided_flashes_and_bulletins_lead_the_inbox_then_newest_first(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    svc.inbox.set_articles(
        [
            _art("old-flash", hours=1, what="a flood", urgency=1),
            _art("bulletin", hours=3, what="an election", urgency=2),
            _art("newest", hours=9, what="a football match", urgency=5),
            _art("plain", hours=5, what="a museum"),
            _art("urgent3", hours=7, what="a strike", urgency=3),
        ]
    )
    try:
        ids = svc.listing(View("inbox")).ids
        assert ids == ("old-flash", "bulletin", "newest", "urgent3", "plain")
        svc.decide(["old-flash"], Decision.ARCHIVE)
        assert svc.listing(View("all")).ids == ("bulletin", "newest", "urgent3", "plain", "old-flash")
    finally:
        svc.close()


def test_provider_language_and_urgency_facets_filter_the_list(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    svc.inbox.set_articles(
        [
            _art("a", hours=1, what="trains", provider="AFP", language="fr-FR", urgency=3),
            _art("b", hours=2, what="ports", provider="dpa", language="de", urgency=1),
            _art("c", hours=3, what="roads", provider="dpa", language="de-AT", urgency=4),
            _art("d", hours=4, what="bridges"),
        ]
    )
    try:
        facets = svc.catalog.facets()
        assert facets["provider"] == [("dpa", 2), ("AFP", 1)]
        assert facets["language"] == [("de", 2), ("en", 1), ("fr", 1)]  # "d" states none: the desk's
        assert facets["urgency"] == [("1", 1), ("3", 1), ("4", 1)]
        assert set(svc.listing(View("all", source="provider:dpa")).ids) == {"b", "c"}
        assert set(svc.listing(View("all", source="language:de")).ids) == {"b", "c"}
        assert set(svc.listing(View("all", source="language:de-DE")).ids) == {"b", "c"}
        assert svc.listing(View("all", source="urgency:3")).ids == ("a",)
        assert svc.listing(View("all", source="provider:nobody")).ids == ()
    finally:
        svc.close()


def test_an_agency_version_that_arrives_out_of_order_never_replaces_a_newer_one(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    try:
        svc.inbox.set_articles([_art("story", hours=1, what="a summit", version="1")])
        svc.inbox.merge([_art("story", hours=3, what="a summit and its outcome", version="3")])
        assert svc.catalog.article("story").version == "3"
        svc.inbox.merge([_art("story", hours=4, what="a summit, earlier take", version="2")])  # late
        current = svc.catalog.article("story")
        assert current.version == "3" and "outcome" in current.text
    finally:
        svc.close()


def test_a_decided_story_the_agency_kills_comes_back_to_the_inbox(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path, reopen_on_update=[])  # updates re-open nothing...
    try:
        svc.inbox.set_articles([_art("s", hours=1, what="a merger", version="1")])
        svc.decide(["s"], Decision.FOLLOW_UP)
        assert svc.listing(View("inbox")).ids == ()
        kill = _art("s", hours=2, what="a merger", version="2", pubstatus="canceled")
        svc.inbox.merge([kill])
        assert svc.catalog.article("s").killed
        assert svc.listing(View("inbox")).ids == ("s",)  # ...but a kill does
        row = svc.row("s")
        assert row.reopened and row.decision is None and row.article.killed
        svc.decide(["s"], Decision.ARCHIVE)  # decided on the killed version: it stays
        assert svc.listing(View("inbox")).ids == ()
    finally:
        svc.close()


def test_languages_go_by_primary_subtag_and_a_story_stating_none_is_in_the_desks(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    svc.inbox.set_articles(
        [
            _art("us", hours=1, what="trains", language="en-US"),
            _art("gb", hours=2, what="ports", language="en-GB"),
            _art("none1", hours=3, what="roads"),
            _art("none2", hours=4, what="bridges"),
            _art("nb", hours=5, what="ferries", language="nb-NO"),
            _art("no", hours=6, what="tunnels", language="nb_NO"),
        ]
    )
    try:
        assert svc.catalog.facets()["language"] == [("en", 4), ("nb", 2)]  # not "en (0)" beside "en-GB (1)"
        assert set(svc.listing(View("all", source="language:en")).ids) == {"us", "gb", "none1", "none2"}
        assert set(svc.listing(View("all", source="language:en-GB")).ids) == {"us", "gb", "none1", "none2"}
        assert set(svc.listing(View("all", source="language:nb")).ids) == {"nb", "no"}
    finally:
        svc.close()


def test_the_urgency_filter_takes_a_range_and_search_takes_the_same_words(settings_factory, tmp_path):
    svc = _service(settings_factory, tmp_path)
    svc.inbox.set_articles(
        [
            _art("flash", hours=1, what="a flood", urgency=1),
            _art("bulletin", hours=2, what="an election", urgency=2),
            _art("urgent", hours=3, what="a strike", urgency=3),
            _art("plain", hours=4, what="a museum"),
        ]
    )
    try:
        assert set(svc.listing(View("all", source="urgency:1-2")).ids) == {"flash", "bulletin"}
        assert set(svc.listing(View("all", source="urgency:2-1")).ids) == {"flash", "bulletin"}
        assert svc.listing(View("all", source="urgency:2")).ids == ("bulletin",)
        assert svc.listing(View("all", source="urgency:x")).ids == ()
        assert set(svc.listing(View("all", search="urgency:1-3")).ids) == {"flash", "bulletin", "urgent"}
        assert svc.listing(View("all", search="urgency:1-3 election")).ids == ("bulletin",)
        assert svc.listing(View("all", search="election")).ids == ("bulletin",)
    finally:
        svc.close()
