"""Watchlist and mute rules from config: plain terms, `re:` regexes and `entity:` names, checked once.

A `re:` rule runs on the `regex` module with a time bound per text (REGEX_SECONDS): a pattern that
backtracks catastrophically (`(a|aa)+$` on a long run of a's) stops there, counts as no match and is
logged, instead of holding a thread for ever. Without `regex` installed, the standard `re` is used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from triage.model import Analysis, Article

try:
    import regex as _rx

    _ERRORS: tuple[type[Exception], ...] = (re.error, _rx.error)
except ImportError:  # pragma: no cover - regex comes with trafilatura's dependencies
    _rx = None
    _ERRORS = (re.error,)

log = logging.getLogger(__name__)

REGEX_SECONDS = 0.25  # the most one `re:` rule may spend on one title or text
REGEX_STRIKES = 3  # a rule that runs out of time on this many texts is turned off until the next start

__all__ = ["Rule", "RuleSet", "compile_rules"]


@dataclass(frozen=True)
class Rule:
    """One compiled rule; `label` is what the user wrote."""

    label: str
    kind: str  # term | regex | entity
    pattern: Any = None  # a compiled re (terms) or regex (re: rules) pattern
    entity: str = ""
    # Texts this `re:` rule ran out of time on (shared by copies of the rule; not part of its identity).
    strikes: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)

    def _search(self, text: str) -> bool:
        if self.kind != "regex" or _rx is None:
            return bool(self.pattern.search(text))
        if self.strikes[0] >= REGEX_STRIKES:
            return False
        try:
            return bool(self.pattern.search(text, timeout=REGEX_SECONDS))
        except TimeoutError:
            self.strikes[0] += 1
            if self.strikes[0] >= REGEX_STRIKES:
                log.warning("rule %r ran out of time (%s s) on %d texts: turned off until triage starts "
                            "again; simplify it", self.label, REGEX_SECONDS, REGEX_STRIKES)
            else:
                log.warning("rule %r took longer than %s s on one text: counted as no match",
                            self.label, REGEX_SECONDS)
            return False

    def matches(self, article: Article, analysis: Analysis | None = None) -> bool:
        """True when the article's title or text (or, for entity rules, its entities) match."""
        if self.kind == "entity":
            wanted = self.entity.casefold()
            if analysis is not None:
                for group in analysis.entities.values():
                    for ent in group:
                        if ent.text.casefold() == wanted or any(v.casefold() == wanted for v in ent.variants):
                            return True
            # Without analysis yet, fall back to a whole-word text match so the rule is never silent.
            return bool(
                re.search(
                    rf"(?<!\w){re.escape(self.entity)}(?!\w)",
                    article.title + "\n" + article.text,
                    re.IGNORECASE,
                )
            )
        assert self.pattern is not None
        return self._search(article.title) or self._search(article.text)


@dataclass(frozen=True)
class RuleSet:
    """Compiled watch and mute rules plus the problems found while compiling them."""

    watch: tuple[Rule, ...] = ()
    mute: tuple[Rule, ...] = ()
    errors: tuple[str, ...] = ()

    def watched(self, article: Article, analysis: Analysis | None = None) -> list[str]:
        """Labels of the watch rules the article matches."""
        return [r.label for r in self.watch if r.matches(article, analysis)]

    def muted(self, article: Article, analysis: Analysis | None = None) -> bool:
        """True when any mute rule matches."""
        return any(r.matches(article, analysis) for r in self.mute)


def _compile_one(raw: object, where: str) -> tuple[Rule | None, str | None]:
    if not isinstance(raw, str) or not raw.strip():
        return None, f"{where}: rule {raw!r} is not a non-empty string; ignored"
    text = raw.strip()
    if text.startswith("re:"):
        expr = text[3:]
        if not expr:
            return None, f"{where}: rule {raw!r} has an empty regex; ignored"
        try:
            engine: Any = _rx if _rx is not None else re
            pattern = engine.compile(expr, engine.IGNORECASE)
        except _ERRORS as exc:
            return None, f"{where}: rule {raw!r} is not a valid regex ({exc}); ignored"
        if pattern.search("") is not None:
            return None, f"{where}: rule {raw!r} matches empty text, so it would match every article; ignored"
        return Rule(text, "regex", pattern=pattern), None
    if text.startswith("entity:"):
        name = text[7:].strip()
        if not name:
            return None, f"{where}: rule {raw!r} names no entity; ignored"
        return Rule(text, "entity", entity=name), None
    return Rule(text, "term", pattern=re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)), None


def compile_rules(watch: object, mute: object) -> RuleSet:
    """Compile the [rules] watch and mute lists; invalid rules are reported, never silently kept."""
    errors: list[str] = []
    out: dict[str, list[Rule]] = {"watch": [], "mute": []}
    for name, raw_list in (("watch", watch), ("mute", mute)):
        if not isinstance(raw_list, list):
            errors.append(f"rules.{name}: must be a list of strings; ignored")
            continue
        for raw in raw_list:
            rule, err = _compile_one(raw, f"rules.{name}")
            if err:
                errors.append(err)
            elif rule:
                out[name].append(rule)
    return RuleSet(tuple(out["watch"]), tuple(out["mute"]), tuple(errors))
