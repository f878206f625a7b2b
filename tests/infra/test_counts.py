"""Counts in words: the noun agrees with the number; a short story is under a minute's read."""

from __future__ import annotations

from triage.infra.counts import count_of, reading_time


def test_the_noun_agrees_with_the_number():
    assert count_of(1, "article") == "1 article"
    assert count_of(0, "article") == "0 articles"
    assert count_of(2, "duplicate group") == "2 duplicate groups"
    assert count_of(1, "damaged entry") == "1 damaged entry"
    assert count_of(3, "damaged entry") == "3 damaged entries"
    assert count_of(2, "match") == "2 matches" and count_of(2, "box") == "2 boxes"
    assert count_of(4, "feed", "feeds of yours") == "4 feeds of yours"


def test_reading_time_never_says_zero_minutes():
    assert reading_time(0.0) == reading_time(0.4) == "under a minute's read"
    assert reading_time(0.6) == "1 min read"
    assert reading_time(4.2) == "4 min read"
