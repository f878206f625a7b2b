"""Domain objects shared by every layer: frozen dataclasses and enums, no I/O, no third-party imports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "Article",
    "Problem",
    "ProblemKind",
    "Entity",
    "Analysis",
    "Decision",
    "DecisionEvent",
    "ENTITY_KINDS",
    "CLEAR_LABEL",
    "NOTE_LABEL",
    "UNDECIDED_LABEL",
    "CLEAR_WORDS",
    "PubStatus",
    "DESK",
    "Take",
    "Handoff",
    "Watch",
    "DeskAct",
    "DESK_ACTS",
    "Seen",
]


class Decision(str, enum.Enum):
    """A triage decision; the value is what the CLI and the TinyDB file use.

    The one vocabulary: `label` (past tense, as the list and the review say it), `verb` (the action),
    `mark` (the list letter, readable without colour), `view` (the view that lists it), `parse()`.
    """

    FOLLOW_UP = "follow-up"
    ARCHIVE = "archive"
    FLAG = "flag"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def verb(self) -> str:
        return _VERBS[self]

    @property
    def mark(self) -> str:
        return _MARKS[self]

    @property
    def view(self) -> str:
        return _VIEWS[self]

    @classmethod
    def parse(cls, value: str) -> Decision:
        """User input ('follow-up', 'followup', 'flagged', 'F', ...) as a Decision; ValueError else."""
        norm = value.strip().lower().replace("_", "-").replace(" ", "-")
        found = _ALIASES.get(norm)
        if found is None:
            raise ValueError(f"unknown decision {value!r}: use follow-up, archive or flag")
        return found

    @classmethod
    def parse_or_clear(cls, value: str) -> Decision | None:
        """As parse(), with 'clear' (and 'none', 'cleared') meaning no decision."""
        if value.strip().lower() in CLEAR_WORDS:
            return None
        return cls.parse(value)

    @classmethod
    def from_view(cls, view: str) -> Decision | None:
        """The decision a view lists ('flagged' -> FLAG); None for 'inbox' and 'all'."""
        return _BY_VIEW.get(view)


_LABELS = {Decision.FOLLOW_UP: "follow-up", Decision.ARCHIVE: "archived", Decision.FLAG: "flagged"}
_VERBS = {Decision.FOLLOW_UP: "Follow up", Decision.ARCHIVE: "Archive", Decision.FLAG: "Flag"}
_MARKS = {Decision.FOLLOW_UP: "F", Decision.ARCHIVE: "A", Decision.FLAG: "X"}
_VIEWS = {Decision.FOLLOW_UP: "follow-up", Decision.ARCHIVE: "archived", Decision.FLAG: "flagged"}
_BY_VIEW = {v: d for d, v in _VIEWS.items()}
_ALIASES = {
    **{d.value: d for d in Decision},
    **{d.label: d for d in Decision},
    **{d.mark.lower(): d for d in Decision},
    "followup": Decision.FOLLOW_UP,
    "follow": Decision.FOLLOW_UP,
}
CLEAR_WORDS = frozenset({"clear", "cleared", "none", "undecided"})
CLEAR_LABEL = "cleared"  # a decision taken off
UNDECIDED_LABEL = "undecided"  # no decision (an undo left none)
NOTE_LABEL = "note"  # only a note


class PubStatus(str, enum.Enum):
    """What the agency says of an item's use (ninjs `pubstatus`)."""

    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


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
    updated_at: str = (
        ""  # ISO 8601 UTC: when this version arrived, for a story seen before in another version
    )
    # What the wire says, named as IPTC's ninjs names it ("" / None when the item does not say).
    urgency: int | None = None  # IPTC 1 (flash) .. 9; see triage.sources.readers.urgency for the mapping
    slugline: str = ""
    version: str = ""  # the agency's own version or revision ("1", "2", "1stLd-Writethru" ...)
    pubstatus: str = "usable"  # PubStatus value: usable | withheld | canceled
    embargoed: str = ""  # UTC ISO 8601: not for use before this time
    ednote: str = ""  # the editors' note, never part of the text
    dateline: str = ""
    language: str = ""  # BCP 47 ("en", "de", "nb-NO")
    guid: str = ""  # the agency's item id
    subjects: tuple[tuple[str, str], ...] = ()  # (code, name) pairs where the item gives them
    provider: str = ""  # the agency
    correction: bool = False  # this version corrects an earlier one
    marks: tuple[str, ...] = ()  # the agency's take designators, out of the headline: "REFILE", "1ST LEAD"

    @property
    def killed(self) -> bool:
        """The agency withdrew or withholds the item: do not use."""
        return self.pubstatus in (PubStatus.WITHHELD.value, PubStatus.CANCELED.value)

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs, without empty ones."""
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


class ProblemKind(str, enum.Enum):
    """What went wrong with a source item, for code to test; the Problem's sentence is for people."""

    MISSING = "missing"  # not there (deleted, or a broken link), or gone between the stat and the open
    DENIED = "denied"  # there, but this user may not read it
    NOT_A_FILE = "not_a_file"  # a folder, device, socket, pipe or link loop
    TOO_LARGE = "too_large"  # over sources.max_file_bytes
    EMPTY = "empty"  # no bytes, or white space only
    UNSUPPORTED = "unsupported"  # a kind of file no reader takes (binary, unknown type)
    BAD_FORMAT = "bad_format"  # a known format, broken or not as the standard says
    NOT_A_STORY = "not_a_story"  # read, but it holds no article (filler, navigation, no text)
    PARTIAL = "partial"  # read, but part of it was skipped or cut off
    TIMED_OUT = "timed_out"  # parsing took longer than sources.parse_seconds
    OUTSIDE_INBOX = "outside_inbox"  # a link that leads out of the folders being read
    FETCH_FAILED = "fetch_failed"  # a feed that could not be fetched (network, HTTP status)
    REFUSED = "refused"  # a feed address refused (a private or loopback host, a scheme we never use)
    CONFIG = "config"  # a setting or rule that cannot be used
    UNREADABLE = "unreadable"  # anything else that stopped the read


@dataclass(frozen=True)
class Problem:
    """A source item that could not be read: where, why in one plain sentence, and the kind of why."""

    where: str
    reason: str
    kind: ProblemKind = ProblemKind.UNREADABLE

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
    entities: dict[str, tuple[Entity, ...]] = field(
        default_factory=dict
    )  # kind -> entities, most mentioned first
    key_terms: tuple[str, ...] = ()
    model: str = ""  # e.g. "en_core_web_sm 3.8.0" or "blank:en"
    entities_available: bool = True
    reading_minutes: float = 0.0


@dataclass(frozen=True)
class DecisionEvent:
    """One change of decision; the current decision of an article is its latest event.

    Built in one place (triage.store.build). `version` is the agency's, as on Article; `content_hash`
    names the text that was decided. Stored keys predate these names: triage.store.events maps them.
    """

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
    content_hash: str = ""  # Article.content_hash of the story version decided ("" when unknown)
    urgency: int | None = None  # the wire's urgency of the story when decided (exports carry it)
    slugline: str = ""
    version: str = ""  # the agency's version of the story when decided (Article.version)
    story: str = ""  # the list row it was decided on: its duplicate group's leader ("" when on its own)


def story_word(event: DecisionEvent) -> str:
    """A story's word by its latest event, on screens and in exports alike: its decision, 'note' (a
    note and no decision), 'cleared' (a decision taken off) or 'undecided' (an undo left none)."""
    if event.decision is not None:
        return event.decision.label
    if event.action in ("decide", "clear"):
        return CLEAR_LABEL
    return NOTE_LABEL if event.note else UNDECIDED_LABEL


# --- the desk: several editors on one store ----------------------------------------------------------
# Times are UTC ISO 8601 strings, as on DecisionEvent. Who acted (`user`, `sender`, `owner`) is the
# backend's word: on one host the owner of the file it was read from, on PostgreSQL the role that wrote
# the row; never a name the record states.

DESK = "@desk"  # a hand-off to the whole desk rather than to one colleague
DESK_ACTS = ("take", "release", "handoff", "ack", "watch", "unwatch")


@dataclass(frozen=True)
class Take:
    """A story held by one editor, so that colleagues leave it to them. It ends when given back, when
    `until` passes, or when the story is decided after `since` (triage.desk applies that last rule)."""

    article_id: str
    user: str
    host: str = ""
    since: str = ""
    until: str = ""
    story: str = ""  # the list row it was taken on (its duplicate group's leader; "" on its own)
    title: str = ""
    uid: str = ""


@dataclass(frozen=True)
class Handoff:
    """A story handed on to a colleague (`to`: a user name) or to the whole desk (`to` == DESK), with a
    note. `seen_by`/`seen_at` say who acknowledged it and when ("": not yet)."""

    uid: str
    article_id: str
    sender: str
    to: str
    note: str = ""
    at: str = ""
    host: str = ""
    title: str = ""
    story: str = ""
    seen_by: str = ""
    seen_at: str = ""

    @property
    def seen(self) -> bool:
        return bool(self.seen_by)


RULE_WATCH = "rules.watch"  # the `at` of a watch that is a config rule (`rules.watch`), not a kept one


@dataclass(frozen=True)
class Watch:
    """A named standing search, in the query language of `/`. `desk`: shared with the desk (kept in the
    store); else personal (kept in my own folder); `at` RULE_WATCH: a config rule, named by its label."""

    name: str
    query: str
    owner: str
    desk: bool = True
    at: str = ""


@dataclass(frozen=True)
class DeskAct:
    """One line of the desk's history: a take, release, hand-off, acknowledgement or watch change
    (`kind` is one of DESK_ACTS). `ref` is what an act refers to (an ack: the hand-off's uid; a watch
    change: the watch's name)."""

    kind: str
    article_id: str
    user: str
    at: str
    host: str = ""
    to: str = ""
    note: str = ""
    uid: str = ""
    ref: str = ""
    title: str = ""
    story: str = ""


@dataclass(frozen=True)
class Seen:
    """Presence: one editor's open TUI, short-lived and never in the history. `article_id` is the story
    open in its reading pane or full screen ("" none), open since `since`; `beat` is its last sign of
    life (an entry whose beat is older than desk.presence_seconds is gone)."""

    user: str
    host: str
    pid: int
    article_id: str = ""
    since: str = ""
    beat: str = ""
