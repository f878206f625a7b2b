"""TriageService and the watch/mute rules on a real store: views, counts, groups, priorities."""

from __future__ import annotations

from triage.catalog.rules import compile_rules
from triage.core.service import TriageService, View
from triage.model import Article, Decision


def _art(i, title, text="", source="Wire", dup=""):
    return Article(
        id=f"a{i}",
        title=title,
        text=text or f"Body of {title}.",
        source=source,
        published=f"2024-01-{i + 1:02d}T00:00:00+00:00",
        content_hash=f"h{i}",
        duplicates_of=dup,
    )


def _svc(settings_factory, articles, **rules):
    settings = settings_factory(overrides={"rules": rules} if rules else None)
    svc = TriageService(settings, inbox=[], db_path=settings.db_path)
    svc.inbox.set_articles(articles)
    svc.refresh_decisions()
    return svc


def test_invalid_rules_are_reported_and_never_match_everything():
    rules = compile_rules(["re:(", "re:.*", "", "entity:", 5, "ok term"], "not a list")
    assert [r.label for r in rules.watch] == ["ok term"]
    text = "\n".join(rules.errors)
    assert "not a valid regex" in text
    assert "matches empty text" in text
    assert "names no entity" in text
    assert "rules.mute: must be a list" in text


def test_watch_raises_priority_and_mute_hides_except_in_all(settings_factory):
    arts = [_art(0, "Budget vote tonight"), _art(1, "Football results"), _art(2, "Weather: storm warning")]
    svc = _svc(settings_factory, arts, watch=["storm", "re:budget\\s+vote"], mute=["football"])
    assert svc.problems == []
    inbox = svc.rows(View("inbox", "priority"))
    assert [r.article.id for r in inbox][:2] in (["a0", "a2"], ["a2", "a0"])
    assert all(r.watched for r in inbox)
    assert "a1" not in [r.article.id for r in inbox]
    all_rows = {r.article.id: r for r in svc.rows(View("all"))}
    assert all_rows["a1"].muted
    assert svc.counts()["inbox"] == 2 and svc.counts()["all"] == 3


def test_views_counts_and_search(settings_factory):
    arts = [_art(i, f"Story {i}", source="Desk" if i % 2 else "Wire") for i in range(5)]
    svc = _svc(settings_factory, arts)
    svc.decide(["a0"], Decision.FOLLOW_UP)
    svc.decide(["a1"], Decision.FLAG)
    svc.decide(["a2"], Decision.ARCHIVE)
    c = svc.counts()
    assert (c["inbox"], c["follow-up"], c["flagged"], c["archived"], c["all"]) == (2, 1, 1, 1, 5)
    assert [r.article.id for r in svc.rows(View("inbox"))] == ["a4", "a3"]  # newest first
    assert [r.article.id for r in svc.rows(View("all", search="story 3"))] == ["a3"]
    assert [r.article.source for r in svc.rows(View("all", "source"))] == [
        "Desk",
        "Desk",
        "Wire",
        "Wire",
        "Wire",
    ]
    # Kept rows stay in the inbox view after their decision (until the view changes).
    assert "a0" in [r.article.id for r in svc.rows(View("inbox"), keep={"a0"})]


def test_a_decision_on_a_duplicate_group_applies_to_every_member(settings_factory):
    arts = [_art(0, "Wire story"), _art(1, "Same story elsewhere", dup="a0"), _art(2, "Other")]
    svc = _svc(settings_factory, arts)
    rows = svc.rows(View("all"))
    assert [r.article.id for r in rows] == ["a2", "a0"]
    assert next(r for r in rows if r.article.id == "a0").sources == 2
    svc.decide(["a0"], Decision.FLAG)
    assert svc.decisions.decision("a1") is Decision.FLAG
    svc.undo(["a0"])
    assert svc.decisions.decision("a0") is None and svc.decisions.decision("a1") is None


def test_live_merge_adds_updates_and_removes(settings_factory):
    svc = _svc(settings_factory, [_art(0, "First")])
    changed = svc.inbox.merge([_art(1, "Second")])
    assert changed == ["a1"] and len(svc.catalog.articles()) == 2
    assert svc.inbox.merge([_art(1, "Second")]) == []  # same content: nothing new
    p = Article(id="a9", title="File", text="x", path="/in/f.txt", content_hash="z")
    svc.inbox.merge([p])
    svc.inbox.merge([], removed_paths=["/in/f.txt"])
    assert svc.catalog.article("a9") is None


def test_screen_text_keeps_joiners_but_drops_controls():
    from triage.infra.text import clean_text
    from triage.tui.safe import plain

    persian = "می\u200cخواهم"  # ZWNJ is part of the word
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # an emoji ZWJ sequence
    for clean in (plain, clean_text):
        assert clean(persian) == persian
        assert clean(family) == family
        assert clean("a\x1b[31mb\u202ec\u200bd") in ("a[31mbcd", "abcd")
