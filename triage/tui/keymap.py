"""The keys that decide, in one place: the main screen, the review screen and the article page bind the
same letter to the same decision."""

from __future__ import annotations

from textual.binding import Binding

__all__ = ["CLEAR_KEY", "DECISION_KEYS", "decision_bindings"]

# key, decision, footer label
DECISION_KEYS = (("f", "follow-up", "Follow up"), ("a", "archive", "Archive"), ("x", "flag", "Flag"))
CLEAR_KEY = ("c", "clear", "Clear")


def decision_bindings(*, clear: bool = False, group: Binding.Group | None = None) -> list[Binding]:
    """One binding a decision (`decide('…')`), and with `clear` the key that clears one."""
    keys = DECISION_KEYS + ((CLEAR_KEY,) if clear else ())
    return [Binding(key, f"decide('{name}')", label, group=group) for key, name, label in keys]
