"""EventQuery: the one meaning of the decision filters, over stored documents and DecisionEvent objects.

Used by DecisionStore.query, ``triage decisions`` and the review screen alike:

* ``decision``: a decision ("follow-up", "archive", "flag" or a Decision), "clear"/"cleared" (cleared
  ones only) or "all"; None means "all" with ``history`` and, without it, the articles decided or
  holding a note (undecided with a note is part of the record).
* ``since`` / ``until``: inclusive bounds on ``at`` (aware datetimes, or canonical UTC keys).
* ``user``: the exact login name, casefolded (``ann`` matches ``Ann``, never ``joanna``).
* ``source``: a casefolded substring of the source, or ``tag:NAME``: the sources tagged NAME in ``tags``
  (source name -> its tags, as the feeds list gives them).
* ``text``: every whitespace-separated term must occur in title, note, source, user, id or url
  (casefolded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from triage.model import Decision, DecisionEvent
from triage.store.events import at_key, iso_key

__all__ = ["EventQuery", "decision_value", "haystack", "one_row_per_story", "recorded_story"]

_CLEAR_WORDS = ("clear", "cleared", "none", "undecided")
_ANY = object()  # any decision
_DECIDED = object()  # any but cleared


def decision_value(decision: Decision | str | None) -> str | None:
    """The stored value of a decision ('follow-up', 'archive', 'flag'; None: clear); ValueError else."""
    if decision is None:
        return None
    if isinstance(decision, Decision):
        return decision.value
    if decision.strip().lower() in _CLEAR_WORDS:
        return None
    return Decision.parse(decision).value


def _text(value: Any) -> str:
    return value if type(value) is str else ("" if value is None else str(value))


def haystack(event: DecisionEvent) -> str:
    """What the text filter looks in: title, note, source, user, id and url, casefolded."""
    return "\n".join(_text(v) for v in (event.title, event.note, event.source, event.user, event.article_id,
                                        event.url)).casefold()


def _doc_haystack(doc: Mapping[str, Any]) -> str:
    keys = ("title", "note", "source", "user", "article_id", "url")
    return "\n".join(_text(doc.get(k)) for k in keys).casefold()


def _bound(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    return iso_key(value) if isinstance(value, datetime) else at_key(value)


@dataclass(frozen=True)
class EventQuery:
    """Which events to keep (see module docstring); `matches_doc` for documents, `matches` for events."""

    decision: Decision | str | None = None
    since: datetime | str | None = None
    until: datetime | str | None = None
    user: str | None = None
    source: str | None = None
    text: str | None = None
    history: bool = False
    tags: Mapping[str, Iterable[str]] | None = field(default=None, compare=False, hash=False)
    _want: Any = field(init=False, repr=False, compare=False)
    _lo: str = field(init=False, repr=False, compare=False)
    _hi: str = field(init=False, repr=False, compare=False)
    _user: str | None = field(init=False, repr=False, compare=False)
    _source: str | None = field(init=False, repr=False, compare=False)
    _tagged: frozenset[str] | None = field(init=False, repr=False, compare=False)
    _terms: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Work out the filters once (ValueError for an unknown decision)."""
        want: Any = _ANY if self.history else _DECIDED
        if isinstance(self.decision, str) and self.decision.strip().lower() == "all":
            want = _ANY
        elif self.decision is not None:
            want = decision_value(self.decision)
        source = (self.source or "").strip().casefold()
        tagged = None
        if source.startswith("tag:"):
            tag = source[4:].strip()
            tagged = frozenset(name.casefold() for name, ts in (self.tags or {}).items()
                               if tag in (t.casefold() for t in ts))
        user = (self.user or "").strip().casefold()
        set_ = object.__setattr__
        set_(self, "_want", want)
        set_(self, "_lo", _bound(self.since))
        set_(self, "_hi", _bound(self.until))
        set_(self, "_user", user or None)
        set_(self, "_source", source or None)
        set_(self, "_tagged", tagged)
        set_(self, "_terms", tuple((self.text or "").casefold().split()))

    def _keeper(self) -> Callable[[Any, Any, Any, Any, Any], bool]:
        """The test on (decision value, at, user, source, note), each filter a local (the hot loop)."""
        want, lo, hi, user_cf = self._want, self._lo, self._hi, self._user
        source_cf, tagged = self._source, self._tagged

        def keep(decision: Any, at: Any, user: Any, source: Any, note: Any = "") -> bool:
            if want is _DECIDED:
                if decision is None and not note:  # undecided with a note is part of the record
                    return False
            elif want is not _ANY and decision != want:
                return False
            if lo or hi:
                key = at_key(at)
                if not key or (lo and key < lo) or (hi and key > hi):
                    return False
            if user_cf is not None and _text(user).casefold() != user_cf:
                return False
            if tagged is not None:
                return _text(source).casefold() in tagged
            return source_cf is None or source_cf in _text(source).casefold()

        return keep

    def doc_test(self) -> Callable[[Mapping[str, Any]], bool]:
        """`matches_doc` as a plain function, for a loop over many documents."""
        keep, terms = self._keeper(), self._terms

        def test(doc: Mapping[str, Any]) -> bool:
            get = doc.get
            if not keep(get("decision"), get("at"), get("user"), get("source"), get("note")):
                return False
            if terms:
                hay = _doc_haystack(doc)
                return all(t in hay for t in terms)
            return True

        return test

    def matches_doc(self, doc: Mapping[str, Any]) -> bool:
        """True if a stored event document passes every filter."""
        return self.doc_test()(doc)

    def matches(self, event: DecisionEvent, hay: str | None = None) -> bool:
        """True if an event passes every filter (`hay`: its haystack(), when the caller keeps them)."""
        value = event.decision.value if isinstance(event.decision, Decision) else None
        if not self._keeper()(value, event.at, event.user, event.source, event.note):
            return False
        if self._terms:
            hay = haystack(event) if hay is None else hay
            return all(t in hay for t in self._terms)
        return True

    def select(self, events: Iterable[DecisionEvent],
               hay: Mapping[str, str] | None = None) -> list[DecisionEvent]:
        """The events that match, in their order (`hay`: article id -> haystack(), read only)."""
        keep, terms, known = self._keeper(), self._terms, hay or {}
        out = []
        for event in events:
            value = event.decision.value if isinstance(event.decision, Decision) else None
            if not keep(value, event.at, event.user, event.source, event.note):
                continue
            if terms:
                text = known.get(event.article_id)
                text = haystack(event) if text is None else text
                if not all(t in text for t in terms):
                    continue
            out.append(event)
        return out

def one_row_per_story(events: Mapping[str, DecisionEvent], story_of: Callable[[str], str]
                      ) -> dict[str, DecisionEvent]:
    """Current events by article id, one per story: a decision made on a list row is written for every
    version and near-duplicate the row stands for, and is one decision to a person. Events of one story
    (`story_of`: the list row an article id belongs to) that say the same (decision and note) become the
    row's own event, else the newest; a story whose members were decided apart keeps each of them."""
    by_story: dict[str, list[DecisionEvent]] = {}
    for ev in events.values():
        by_story.setdefault(story_of(ev.article_id), []).append(ev)
    out: dict[str, DecisionEvent] = {}
    for story, evs in by_story.items():
        if len(evs) > 1 and len({(ev.decision, ev.note) for ev in evs}) == 1:
            own = next((ev for ev in evs if ev.article_id == story), None)
            evs = [own or max(evs, key=lambda ev: ev.at)]
        for ev in evs:
            out[ev.article_id] = ev
    return out


def recorded_story(events: Mapping[str, DecisionEvent]) -> Callable[[str], str]:
    """The list row each event of `events` (by article id) was decided on, as its event says: the
    `story` recorded when a duplicate group was decided, else the article itself. For a reader that
    has no catalog (the CLI's exports)."""
    return lambda aid: (ev.story or aid) if (ev := events.get(aid)) is not None else aid
