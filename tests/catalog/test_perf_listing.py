"""The listing walk gives what the plain rule says, with or without the `decided` hint.

The reference below is the rule written as directly as possible (one pass, one decision_of call per
row); the listing must match it on catalogs with groups, muted stories, flashes, kept ids, every view,
sort and source filter.
"""

from __future__ import annotations

import random

import pytest

from triage.catalog.catalog import Catalog
from triage.catalog.listing import SORTS, VIEWS, View
from triage.catalog.rules import compile_rules
from triage.model import Article, Decision, PubStatus


def _reference(cat: Catalog, view: View, decision_of, keep=()) -> tuple[tuple[str, ...], dict[str, int]]:
    keep = set(keep)
    wanted = Decision.from_view(view.name)
    counts = dict.fromkeys(VIEWS, 0)
    ids = []
    for _d, _s, aid in reversed(cat._sorted):
        if cat.groups.leader_of(aid) != aid:
            continue
        art = cat.article(aid)
        dec = decision_of(aid)
        muted = aid in cat._muted
        counts["all"] += 1
        if not muted:
            counts["inbox" if dec is None else dec.view] += 1
        if view.source and art.source != view.source:
            continue
        left_out = (muted or (view.name == "inbox" and dec is not None)
                    or (wanted is not None and dec is not wanted))
        if view.name != "all" and aid not in keep and left_out:
            continue
        ids.append(aid)
    if view.sort == "newest":
        top = sorted((a.urgency, n, aid) for n, aid in enumerate(ids)
                     if (a := cat.article(aid)).urgency is not None and a.urgency <= 2
                     and aid not in keep and decision_of(aid) is None)
        lead = {aid for _u, _n, aid in top}
        ids = [aid for _u, _n, aid in top] + [aid for aid in ids if aid not in lead]
    elif view.sort == "source":
        ids.sort(key=lambda i: cat.article(i).source.casefold())
    elif view.sort == "priority":
        ids.sort(key=lambda i: (len(cat._watched.get(i, ())), cat.groups.size(i)), reverse=True)
    return tuple(ids), counts


def _catalog(seed: int) -> tuple[Catalog, dict[str, Decision]]:
    rnd = random.Random(seed)
    cat = Catalog(rules=compile_rules(["storm"], ["football"]))
    arts = []
    for i in range(120):
        topic = rnd.choice(["storm", "football", "budget", "election"])
        # Every fifth story repeats an earlier one's text: identical texts group.
        text = f"Text {i // 5 if i % 5 == 0 else i} about {topic}."
        arts.append(Article(id=f"a{i:03d}", title=f"{topic.title()} {i}", text=text,
                            source=rnd.choice(["Wire", "Desk", "Blog"]),
                            published=f"2024-01-{rnd.randrange(1, 28):02d}T{rnd.randrange(24):02d}:00:00Z",
                            content_hash=f"h{i}", path=f"/in/{i}.txt",
                            urgency=rnd.choice([None, None, 1, 2, 3, 5])))
    cat.add(arts)
    choices = [Decision.FLAG, Decision.ARCHIVE, Decision.FOLLOW_UP]
    decided = {a.id: rnd.choice(choices) for a in arts if rnd.random() < 0.3}
    return cat, decided


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_view_sort_and_filter_matches_the_rule(seed):
    cat, decided = _catalog(seed)
    assert cat.groups.members and cat._muted  # the cases that matter are there
    keep = set(list(decided)[:4])
    for name in (*VIEWS, "review"):
        for sort in SORTS:
            for source in ("", "Desk"):
                view = View(name, sort=sort, source=source)
                want_ids, want_counts = _reference(cat, view, decided.get, keep)
                got = cat.listing(view, decided.get, keep)
                assert got.ids == want_ids, (name, sort, source)
                assert got.counts == want_counts
                assert got.index == {aid: n for n, aid in enumerate(want_ids)}
                hinted = cat.listing(view, decided.get, keep, decided=list(decided) + ["gone"])
                assert (hinted.ids, hinted.counts) == (want_ids, want_counts)


def test_with_the_hint_decision_of_is_asked_only_about_decided_rows():
    cat, decided = _catalog(4)
    asked: list[str] = []

    def decision_of(aid: str) -> Decision | None:
        asked.append(aid)
        return decided.get(aid)

    listing = cat.listing(View("inbox"), decision_of, decided=decided)
    assert set(asked) <= set(decided) and len(asked) == len(set(asked))
    assert listing.ids == _reference(cat, View("inbox"), decided.get)[0]
    asked.clear()
    cat.listing(View("inbox"), decision_of)
    assert len(asked) == len(set(asked)) == len(cat.leaders())  # once per row, flashes included


def test_undecided_flashes_lead_then_newest_and_a_kept_decided_flash_keeps_its_date():
    cat = Catalog()
    cat.add([Article(id=i, title=i, text=f"text {i}", source="Wire", published=f"2024-01-0{d}T00:00:00Z",
                     content_hash=i, path=f"/in/{i}", urgency=u)
             for i, d, u in (("old-flash", 1, 1), ("bulletin", 2, 2), ("plain", 3, None), ("new", 4, 3),
                             ("decided-flash", 5, 1))])
    decided = {"decided-flash": Decision.FLAG}
    assert cat.listing(View("all"), decided.get).ids == (
        "old-flash", "bulletin", "decided-flash", "new", "plain")
    assert cat.listing(View("all"), lambda _a: None, keep={"old-flash"}).ids == (
        "decided-flash", "bulletin", "new", "plain", "old-flash")


def test_a_kill_leads_even_when_its_story_was_decided_on_screen():
    """A story decided on screen stays at its date (keep), but a kill that arrives for it reopens it:
    undecided, it leads the list like any kill; decided again, it goes back to its date."""
    cat = Catalog()
    cat.add([Article(id=i, title=i, text=f"text {i}", source="Wire", published=f"2024-01-0{d}T00:00:00Z",
                     content_hash=i, path=f"/in/{i}", pubstatus=s)
             for i, d, s in (("killed", 1, PubStatus.CANCELED.value), ("plain", 2, PubStatus.USABLE.value),
                             ("new", 3, PubStatus.USABLE.value))])
    assert cat.listing(View("inbox"), lambda _a: None, keep={"killed"}).ids == ("killed", "new", "plain")
    decided = {"killed": Decision.ARCHIVE}
    assert cat.listing(View("inbox"), decided.get, keep={"killed"}).ids == ("new", "plain", "killed")
