"""What the wire says, on screen: flashes marked without colour, embargoes that count down and go,
kill and withhold banners, editors' notes apart from the copy, corrections, languages, the bell."""

from __future__ import annotations

from datetime import timedelta

from triage.model import Article
from triage.tui.app import make_app
from triage.tui.widgets.article_list import ArticleList
from triage.tui.widgets.reader import ArticleText, SummaryPanel

from .helpers import NOW, build_service, wait_for

BODY = "Officials said the plan would take effect next year. The vote is due on Friday in the capital."


def _iso(delta: timedelta) -> str:
    return (NOW + delta).isoformat().replace("+00:00", "Z")


def _art(aid: str, title: str, minutes_old: int, **wire) -> Article:
    text = f"{title} was reported on {aid}. " + BODY  # stories of their own: no near-duplicates
    wire.setdefault("source", "Wire")
    return Article(id=aid, title=title, text=text, published=_iso(timedelta(minutes=-minutes_old)), **wire)


def _wire_articles() -> list[Article]:
    return [
        _art("plain1", "Council meets on roads", 5),
        _art("flash1", "Quake hits the coast", 30, urgency=1),
        _art("bull1", "Minister resigns", 40, urgency=2),
        _art("emb1", "Budget figures", 50, embargoed=_iso(timedelta(minutes=42))),
        _art("kill1", "Wrong mayor named", 60, pubstatus="canceled"),
        _art("held1", "Court case held back", 70, pubstatus="withheld"),
        _art(
            "note1",
            "Wahl in Berlin",
            80,
            ednote="Corrects the spelling of the mayor's name",
            correction=True,
            language="de",
        ),
    ]


def _rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _row_of(app, title: str) -> str:
    """The list row that shows `title` (the list's part of the line, not the panel's beside it)."""
    return next(left for r in _rows(app) if title in (left := r.split("▕")[0]))


def _panel(app) -> str:
    return app.screen.query_one(SummaryPanel).render().plain


async def _open(pilot, app, aid: str) -> None:
    lst = app.screen.query_one(ArticleList)
    await wait_for(pilot, lambda: lst.index_of(aid) is not None)
    lst.cursor = lst.index_of(aid)
    await wait_for(pilot, lambda: aid in [app.screen.story.shown_id])
    await pilot.pause(0.1)


async def test_flash_bulletin_kill_withhold_and_embargo_marks_read_without_colour(
    settings_factory, monkeypatch
):
    monkeypatch.setenv("NO_COLOR", "1")
    svc = build_service(settings_factory, articles=_wire_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(app.screen.query_one(ArticleList).ids) == 7)
        await pilot.pause(0.1)
        assert "!! Quake hits the coast" in _row_of(app, "Quake hits")
        assert "! Minister resigns" in _row_of(app, "Minister resigns")
        assert "KILLED Wrong mayor named" in _row_of(app, "Wrong mayor")
        assert "WITHHELD Court case" in _row_of(app, "Court case")
        emb = (NOW + timedelta(minutes=42)).strftime("%H:%M")
        assert f"EMB {emb} Budget figures" in _row_of(app, "Budget figures")
        assert "de" in _row_of(app, "Wahl in Berlin").split("Wahl in Berlin")[1]  # not the default language
        assert "!" not in _row_of(app, "Council meets")
        await _open(pilot, app, "kill1")
        assert "KILLED: do not use" in _panel(app)
        await _open(pilot, app, "held1")
        assert "WITHHELD" in _panel(app)
        await _open(pilot, app, "flash1")
        assert "FLASH" in _panel(app)
    svc.close()


async def test_an_embargo_counts_down_and_its_mark_goes_when_it_passes(settings_factory):
    svc = build_service(settings_factory, articles=_wire_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open(pilot, app, "emb1")
        until = (NOW + timedelta(minutes=42)).strftime("%H:%M")
        assert f"EMBARGO until {until} UTC (in 42 min)" in _panel(app)
        screen = app.screen
        screen.clock.set(NOW + timedelta(minutes=41))
        screen.tick()  # what the once-a-minute timer does
        await pilot.pause(0.1)
        assert f"EMBARGO until {until} UTC (in 1 min)" in _panel(app)
        assert f"EMB {until}" in _row_of(app, "Budget figures")
        screen.clock.set(NOW + timedelta(minutes=43))
        screen.tick()
        await pilot.pause(0.1)
        assert "EMBARGO" not in _panel(app)
        assert "EMB" not in _row_of(app, "Budget figures")
    svc.close()


async def test_the_ednote_is_in_the_panel_apart_from_the_copy(settings_factory):
    svc = build_service(settings_factory, articles=_wire_articles())
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, app, "note1")
        panel = _panel(app).splitlines()
        assert "Ed. note: Corrects the spelling of the mayor's name" in panel
        assert any("CORRECTION" in line and "de" in line for line in panel)
        text = app.screen.query_one(ArticleText)
        assert text.display and "Officials said" in text.shown_text.plain
        assert "Corrects the spelling" not in text.shown_text.plain
        await pilot.press("z")  # the reading view: the copy alone, no ednote in it
        await pilot.pause(0.1)
        assert "Corrects the spelling" not in text.shown_text.plain
    svc.close()


async def _bells(settings_factory, enabled: bool) -> int:
    svc = build_service(
        settings_factory,
        articles=[_art("plain1", "Council meets on roads", 5)],
        ui={"bell_on_flash": enabled},
    )
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    rung = []
    app.bell = lambda: rung.append(1)
    async with app.run_test(size=(100, 30)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 1)
        svc.inbox.merge(
            [
                _art("flash1", "Quake hits the coast", 1, urgency=1),
                _art("flash2", "Second quake", 1, urgency=1),
                _art("bull1", "Minister resigns", 1, urgency=2),
            ]
        )
        await wait_for(pilot, lambda: len(lst.ids) == 4)
        svc.inbox.merge(
            [_art("flash1", "Quake hits the coast again", 1, urgency=1)]
        )  # its update: rung already
        await wait_for(pilot, lambda: any("again" in r.article.title for r in lst.rows))
        svc.inbox.merge([_art("bull2", "Another bulletin", 1, urgency=2)])
        await wait_for(pilot, lambda: len(lst.ids) == 5)
        await pilot.pause(0.1)
    svc.close()
    return len(rung)


async def test_the_bell_rings_once_for_a_flash_when_enabled(settings_factory):
    assert await _bells(settings_factory, True) == 1


async def test_no_bell_when_disabled(settings_factory):
    assert await _bells(settings_factory, False) == 0


# -- with the service's wire side: urgency-first order, facets, kills that reopen -----------------
async def test_a_flash_that_arrived_first_is_the_top_row_of_the_inbox(settings_factory):
    arts = [_art("new1", "Newest council story", 1), _art("new2", "Another fresh story", 2),
            _art("flash1", "Quake hits the coast", 90, urgency=1)]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 3)
        assert lst.ids[0] == "flash1"
        assert _rows(app)[1].lstrip().startswith("!! Quake hits the coast")
    svc.close()


async def test_s_offers_provider_language_and_urgency_and_filters_by_one(settings_factory):
    from triage.tui.screens.dialogs import PickScreen

    arts = [_art("en1", "Council meets on roads", 5, provider="AP", language="en"),
            _art("de1", "Wahl in Berlin", 10, provider="dpa", language="de"),
            _art("fl1", "Quake hits the coast", 20, provider="AP", language="en", urgency=1)]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 3)
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        labels = [label for _value, label in picker._items]
        for heading in ("Sources", "Providers", "Languages", "Urgency"):
            assert heading in labels
        values = [value for value, _label in picker._items]
        assert {"provider:dpa", "provider:AP", "language:de", "urgency:1"} <= set(values)
        picker.dismiss("language:de")
        await wait_for(pilot, lambda: lst.ids == ("de1",))
        assert app.screen.view.source == "language:de"
        await pilot.press("escape")  # the filter goes
        await wait_for(pilot, lambda: len(lst.ids) == 3)
    svc.close()


async def test_a_followed_up_story_killed_by_a_later_version_comes_back_with_the_banner(settings_factory):
    from triage.model import Decision

    first = _art("story1", "Mayor resigns", 60, guid="urn:wire:1", version="1", content_hash="v1")
    svc = build_service(settings_factory, articles=[first, _art("other1", "Council meets on roads", 30)],
                        ui={"reopen_on_update": []})  # updates re-open nothing: only the kill may
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: "story1" in lst.ids)
        lst.cursor = lst.index_of("story1")
        await pilot.press("f")
        await wait_for(pilot, lambda: svc.decisions.decision("story1") is Decision.FOLLOW_UP)
        await pilot.press("1")
        await wait_for(pilot, lambda: "story1" not in lst.ids)
        update = _art("story1", "Mayor resigns, deputy takes over", 30, guid="urn:wire:1", version="2",
                      content_hash="v2", updated=True)
        svc.inbox.merge([update])  # a plain update of a followed-up story stays where it is
        await wait_for(pilot, lambda: svc.row("story1").article.version == "2")
        await pilot.pause(0.2)
        assert "story1" not in lst.ids
        kill = _art("story1", "Mayor resigns", 1, guid="urn:wire:1", version="3", pubstatus="canceled",
                    content_hash="v3", updated=True)
        svc.inbox.merge([kill])
        await wait_for(pilot, lambda: "story1" in lst.ids)
        row = svc.row("story1")
        assert row.reopened and row.article.killed
        assert "KILLED ↻ Mayor resigns" in _row_of(app, "Mayor resigns")  # killed, and a later version
        lst.cursor = lst.index_of("story1")
        await wait_for(pilot, lambda: "KILLED: do not use" in _panel(app))
    svc.close()


async def test_english_variants_are_not_foreign_and_the_row_names_the_agency_not_the_folder(settings_factory):
    arts = [_art("gb1", "Council meets on roads", 5, language="en-GB", provider="Reuters", source="inbox"),
            _art("us1", "Storm closes the harbour", 6, language="en-US", source="inbox"),
            _art("de1", "Wahl in Berlin", 7, language="de-DE", provider="dpa", source="inbox")]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(160, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 3)
        await pilot.pause(0.1)
        gb, us, de = (_row_of(app, t) for t in ("Council meets", "Storm closes", "Wahl in Berlin"))
        assert "en-GB" not in gb and "en-US" not in us and "de-DE" in de  # only the foreign one
        assert "Reuters" in gb and "dpa" in de and "inbox" in us  # the agency; the folder without one
        assert "inbox" not in gb and "inbox" not in de
    svc.close()


async def test_s_offers_flash_and_bulletin_together_and_search_takes_the_range(settings_factory):
    from triage.tui.screens.dialogs import PickScreen

    arts = [_art("fl1", "Quake hits the coast", 20, urgency=1),
            _art("bu1", "Minister resigns", 30, urgency=2), _art("ur1", "Strike called", 40, urgency=3),
            _art("pl1", "Council meets on roads", 5)]
    svc = build_service(settings_factory, articles=arts)
    app = make_app(svc, now=NOW, analyze=False, loaded=True)
    async with app.run_test(size=(100, 40)) as pilot:
        lst = app.screen.query_one(ArticleList)
        await wait_for(pilot, lambda: len(lst.ids) == 4)
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        assert "urgency:1-2" in [value for value, _label in picker._items]
        picker.dismiss("urgency:1-2")
        await wait_for(pilot, lambda: set(lst.ids) == {"fl1", "bu1"})
        await wait_for(pilot, lambda: "src:urgency:1-2 (2)" in _rows(app)[0])
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(lst.ids) == 4)
        await pilot.press("slash")
        for key in "urgency:2-3":
            await pilot.press(key if key not in ":-" else {"-": "minus", ":": "colon"}[key])
        await pilot.press("enter")
        await wait_for(pilot, lambda: set(lst.ids) == {"bu1", "ur1"})
    svc.close()
