"""Counts in words, in one place: "1 article", "2 articles", "0 entries"; "under a minute's read"."""

from __future__ import annotations

__all__ = ["count_of", "reading_time"]

_IRREGULAR = {"entry": "entries", "story": "stories", "copy": "copies", "person": "people"}


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it takes: "1 article", "0 articles", "3 damaged entries"
    (the last word is made plural; `plural` gives the whole plural form where the rule is wrong)."""
    if n == 1:
        return f"{n} {noun}"
    if plural is None:
        head, _, last = noun.rpartition(" ")
        many = _IRREGULAR.get(last) or (last + "es" if last.endswith(("s", "x", "ch", "sh")) else last + "s")
        plural = f"{head} {many}" if head else many
    return f"{n} {plural}"


def reading_time(minutes: float) -> str:
    """A reading time as a reader says it: "under a minute's read", "1 min read", "4 min read"."""
    whole = round(minutes)
    return "under a minute's read" if whole < 1 else f"{whole} min read"
