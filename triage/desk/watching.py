"""Watches read one article: whether a watch's query matches it (the query language of `/`: words as
word prefixes, case and accents folded, and facet terms such as "urgency:1-2") and which of its words
matched, for highlighting. The open TUI counts matches through the catalog's search index; this is the
same rule for one text (highlighting, and the handover without a catalog)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from triage.catalog.catalog import facet_value, split_query, urgency_range
from triage.catalog.listing import primary_language
from triage.catalog.rules import RuleSet
from triage.catalog.search import fold, scan_match
from triage.model import Article

__all__ = ["article_matches", "matched_words", "rule_words"]

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 50  # a story's distinct highlighted words, at most


def _facet_ok(article: Article, kind: str, value: str, default_language: str) -> bool:
    if kind == "urgency":
        wanted = urgency_range(value)
        level = article.urgency
        return wanted is not None and level is not None and wanted[0] <= level <= wanted[1]
    have = facet_value(article, kind, default_language)
    if kind == "language":
        return primary_language(value) == have
    return have.casefold() == value.casefold()


def article_matches(article: Article, query: str, default_language: str = "") -> bool:
    """True when the article matches `query` as `/` would (title, source and text; facet terms)."""
    terms, words = split_query(query)
    if not words.strip() and not terms:
        return False
    if not all(_facet_ok(article, kind, value, default_language) for kind, value in terms):
        return False
    return not words.strip() or scan_match("\n".join((article.title, article.source, article.text)), words)


def matched_words(text: str, queries: Iterable[str]) -> list[str]:
    """The words of `text`, as written there, that a query's words match (each query word is a prefix
    of the word, case and accents folded), in order of first appearance."""
    wanted = {w for q in queries for w in _WORD.findall(fold(split_query(q)[1]))}
    if not wanted:
        return []
    out: dict[str, None] = {}
    for token in _WORD.findall(text):
        folded = fold(token)
        if token not in out and any(folded.startswith(w) for w in wanted):
            out[token] = None
            if len(out) >= MAX_WORDS:
                break
    return list(out)


def rule_words(text: str, rules: RuleSet, labels: Iterable[str]) -> list[str]:
    """The words of `text` that the config's watch rules named by `labels` match (`rules.watch`:
    terms and `re:` patterns; entity rules as whole words)."""
    wanted = set(labels)
    out: dict[str, None] = {}
    for rule in rules.watch:
        if rule.label not in wanted:
            continue
        if rule.kind == "entity":
            pattern = re.compile(rf"(?<!\w){re.escape(rule.entity)}(?!\w)", re.IGNORECASE)
        elif rule.kind == "term" and rule.pattern is not None:
            pattern = rule.pattern
        else:  # a `re:` rule may backtrack: its words are not looked for on the event loop
            continue
        for match in pattern.finditer(text):
            if match.group() and len(out) < MAX_WORDS:
                out[match.group()] = None
    return list(out)
