"""Domain objects shared by every layer: frozen dataclasses and enums, no I/O, no third-party imports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "Article",
    "Problem",
    "Entity",
    "Analysis",
    "Decision",
    "DecisionEvent",
    "ENTITY_KINDS",
]


class Decision(str, enum.Enum):
    """A triage decision; the value is what the CLI and the TinyDB file use."""

    FOLLOW_UP = "follow-up"
    ARCHIVE = "archive"
    FLAG = "flag"

    @classmethod
    def parse(cls, value: str) -> "Decision":
        """Turn user input ('follow-up', 'followup', 'flag', ...) into a Decision or raise ValueError."""
        norm = value.strip().lower().replace("_", "-")
        if norm in ("followup", "follow"):
            norm = "follow-up"
        for member in cls:
            if member.value == norm:
                return member
        raise ValueError(f"unknown decision {value!r}: use follow-up, archive or flag")


@dataclass(frozen=True)
class Article:
    """One incoming story, as clean plain text (paragraphs separated by blank lines)."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: str = ""  # ISO 8601 when known, else ""
    received: str = ""  # ISO 8601 UTC, when the file/feed entry was first seen
    path: str = ""  # the file it came from (or the feed URL)
    content_hash: str = ""  # hash of title + text: a change means a new version
    updated: bool = False  # a newer version of an article seen before under the same id
    author: str = ""
    duplicates_of: str = ""  # id of the group leader when this is a near-duplicate
    updated_at: str = ""  # ISO 8601 UTC: when this version arrived, for a story seen before in another version

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs, without empty ones."""
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class Problem:
    """A source item that could not be read: where, and why in one plain sentence."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


ENTITY_KINDS = ("people", "places", "organisations", "groups", "dates", "numbers", "other")


@dataclass(frozen=True)
class Entity:
    """A named thing an article mentions, with its variants merged and mentions counted."""

    text: str
    kind: str  # one of ENTITY_KINDS
    count: int
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """What the analysis found in one article: summary spans, entities, key terms."""

    summary: tuple[str, ...]  # key sentences, in article order
    spans: tuple[tuple[int, int], ...]  # (start, end) char offsets of the summary sentences in Article.text
    entities: dict[str, tuple[Entity, ...]] = field(default_factory=dict)  # kind -> entities, most mentioned first
    key_terms: tuple[str, ...] = ()
    model: str = ""  # e.g. "en_core_web_sm 3.8.0" or "blank:en"
    entities_available: bool = True
    reading_minutes: float = 0.0


@dataclass(frozen=True)
class DecisionEvent:
    """One change of decision; the current decision of an article is its latest event."""

    article_id: str
    decision: Decision | None  # None: cleared or undone
    note: str = ""
    user: str = ""
    host: str = ""
    at: str = ""  # UTC ISO 8601
    title: str = ""
    source: str = ""
    url: str = ""
    action: str = "decide"  # decide | undo | clear | note
    batch: str = ""  # events written together (multi-select) share a batch id
    uid: str = ""  # unique per event ("" in files from before uids): replays and session undo match on it
    version: str = ""  # content hash of the story version the decision was made on ("" when unknown)
