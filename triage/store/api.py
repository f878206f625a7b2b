"""The store's interface: what the desk keeps durably, whatever holds it.

Two backends implement it: the TinyDB file (`DecisionStore`, the default: no server) and PostgreSQL
(a newsroom on several hosts). The service, the CLI and the tests use this face only, so the same
tests run against both. Semantics are those stated in triage.store.decisions: events are appended,
the current decision of an article is its latest event, every event has a unique `uid` and a write
that cannot be made durable is held `pending`, retried, and rescued on demand.

Who acted is the backend's word, never the caller's: the file store names the login of the process
that wrote (its uid owns the write), PostgreSQL the database role (`current_user`).

What lives here, and what does not (the homes of state; triage.core.mine lists them all):

* **The desk's durable record**, this interface: decisions and their history. The desk's next records
  (takes, hand-offs and their acknowledgements, desk watches) join it as members of their own, written
  and read the same way on both backends (a PostgreSQL migration, a table of the TinyDB file).
* **The desk's short-lived state, presence** (who has which story open, who is on the desk), lives
  beside the store and never in its history: it expires on its own and is never exported or copied.
  It gets a face of its own next to this one, opened from the same location (a file beside the
  TinyDB file; a table without history on PostgreSQL).
* **Not here**: what is one user's alone (read marks, aliases: triage.core.mine; rescue files: the
  user's own, replayed by uid) and the caches (ingest, analysis).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from triage.model import Article, Decision, DecisionEvent, DeskAct, Handoff, Seen, Take, Watch

if TYPE_CHECKING:
    from triage.store.query import EventQuery
    from triage.store.rescue import ReplayReport, RescueResult, Waiting
    from triage.store.undo import UndoResult

__all__ = ["DeskRecord", "PresenceBoard", "Store"]


@runtime_checkable
class Store(Protocol):
    """The decision record of a desk: decisions, notes and undo, with their history."""

    user: str  # who this store's writes are attributed to (the backend's word)
    host: str
    replayed: ReplayReport | None  # what opening replayed from this user's rescue files

    # -- state a UI shows ---------------------------------------------------------------------------
    @property
    def last_error(self) -> str:
        """The reason of the latest failed write ("" after a write that worked)."""
        ...

    @property
    def lock_busy(self) -> bool:
        """True when that failure was contention (a lock or a busy server) rather than a fault."""
        ...

    @property
    def damage(self) -> str:
        """One sentence about records that could not be read and were set aside ("" when none)."""
        ...

    @property
    def pending(self) -> int:
        """Events accepted in memory but not durable yet (they are retried)."""
        ...

    # -- writing ------------------------------------------------------------------------------------
    def decide(self, article: Article | str, decision: Decision | str | None, note: str = "", *,
               batch: str = "", title: str = "", source: str = "", url: str = "",
               uid: str = "", story: str = "") -> DecisionEvent:
        """Record a decision (None or "clear": clear it) durably; the event written."""
        ...

    def decide_many(self, articles: Sequence[Article | str], decision: Decision | str | None,
                    note: str = "", *, uids: Sequence[str] | None = None,
                    stories: Sequence[str] | None = None) -> list[DecisionEvent]:
        """The same decision for several articles in one durable write (one batch id)."""
        ...

    def undo(self, article_ids: str | Sequence[str]) -> list[DecisionEvent]:
        """Each article back to the state before its latest change, whoever made it."""
        ...

    def set_note(self, article_id: str, note: str, *, uid: str = "") -> DecisionEvent:
        """Replace the note of an article (also with ""), keeping its decision."""
        ...

    def undo_own(self, events: Sequence[DecisionEvent], *,
                 states: Mapping[str, tuple[Decision | str | None, str]] | None = None,
                 uids: Mapping[str, str] | None = None) -> UndoResult:
        """Take back events this store instance wrote, never anyone else's; atomic."""
        ...

    # -- reading ------------------------------------------------------------------------------------
    def current(self, article_id: str) -> DecisionEvent | None:
        """The latest event of an article, or None if it was never decided."""
        ...

    def current_many(self, ids: Iterable[str] | None = None) -> dict[str, DecisionEvent]:
        """The latest event per article, for `ids` (those with events) or for every article."""
        ...

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        ...

    def query(self, where: EventQuery | None = None, *, decision: Decision | str | None = None,
              since: datetime | None = None, until: datetime | None = None, user: str | None = None,
              source: str | None = None, text: str | None = None,
              history: bool = False) -> list[DecisionEvent]:
        """Filtered events, oldest first: the current one per article, or every event (history)."""
        ...

    def __len__(self) -> int:
        """Number of events, pending ones included."""
        ...

    def refresh(self) -> bool:
        """Take in what other processes or hosts wrote; True when anything arrived. Cheap when
        nothing changed (an open TUI calls it every second)."""
        ...

    # -- faults and closing -------------------------------------------------------------------------
    def retry_pending(self) -> int:
        """Try to write pending events now; how many are still pending."""
        ...

    def discard_pending(self) -> list[DecisionEvent]:
        """Give up the events that are not durable (never written later); the events dropped."""
        ...

    def rescue(self, *, extra: Sequence[DecisionEvent] = (), timeout: float = 2.0) -> RescueResult | None:
        """Write what is not durable to this user's rescue file, replayed once by the next start."""
        ...

    def waiting_rescue(self) -> Waiting:
        """This user's rescue files of this store not replayed yet: the next store opened to write
        (the TUI's start, `triage decide`) replays them; a reader only names them."""
        ...

    def compact(self) -> None:
        """Fold what was written into its compact form now (the file store; a no-op where none)."""
        ...

    def close(self, compact: bool | None = None) -> None:
        """Retry pending events and close; PendingWriteError when some still could not be saved."""
        ...


@runtime_checkable
class DeskRecord(Protocol):
    """The desk's durable record beside the decisions: takes, hand-offs with their acknowledgements,
    desk watches, and the history of all of them. Opened from the same location as the Store
    (`triage.store.open.open_desk`): on one host a desk folder beside the decisions file, with one file
    per member that only that member's uid writes; on PostgreSQL tables whose rows name the role that
    wrote them.

    Identity is the backend's word: a record shown as ana's was written by ana's uid (the owner of the
    file it was read from) or ana's role. A line or row that names someone else is never believed.
    Writes are durable when the call returns, or raise StoreError (one sentence) and change nothing.
    A damaged or hostile record is skipped and said once in `damage`; it costs only itself.
    """

    user: str  # who this record's writes are attributed to (the backend's word)
    host: str

    @property
    def last_error(self) -> str:
        """The reason of the latest failed write ("" after one that worked)."""
        ...

    @property
    def damage(self) -> str:
        """One sentence about records that could not be read and were skipped ("" when none)."""
        ...

    # -- writing ------------------------------------------------------------------------------------
    def take(self, article_id: str, *, minutes: float, story: str = "", title: str = "",
             ended: Callable[[Take], bool] | None = None) -> Take:
        """Take a story for this user for `minutes` (taking it again renews it). Atomic across
        processes and hosts: of two takes at the same moment exactly one wins. HeldError, naming the
        holder, when another editor's take is in force; `ended(take)` says a take is over although
        neither given back nor expired (the story was decided after it)."""
        ...

    def release(self, article_id: str) -> Take | None:
        """Give back this user's take of a story; the take given back (None: I held none)."""
        ...

    def hand(self, article_id: str, to: str, note: str = "", *, story: str = "",
             title: str = "") -> Handoff:
        """Hand a story on to a colleague (a user name) or to the desk (model.DESK), with a note."""
        ...

    def acknowledge(self, handoff_uid: str) -> Handoff:
        """Say that this user has seen a hand-off addressed to them (or to the desk); the hand-off as
        it now stands. Acknowledging again is a no-op. NotYoursError for one addressed to another;
        KeyError for a uid that does not exist."""
        ...

    def add_watch(self, name: str, query: str) -> Watch:
        """Add (or change, when it is this user's) a desk watch. NotYoursError when a colleague's
        watch has that name."""
        ...

    def remove_watch(self, name: str) -> Watch | None:
        """Remove this user's desk watch of that name (None: there is none). NotYoursError for a
        colleague's: nobody removes another's."""
        ...

    # -- reading ------------------------------------------------------------------------------------
    def takes(self) -> list[Take]:
        """The takes in force now (not given back, not expired), oldest first; at most one per story."""
        ...

    def handoffs(self, *, since: str = "") -> list[Handoff]:
        """Hand-offs (made at or after `since`, UTC ISO; "": all) with their acknowledgement, oldest
        first."""
        ...

    def watches(self) -> list[Watch]:
        """The desk's watches, by name."""
        ...

    def acts(self, article_id: str | None = None, *, since: str = "") -> list[DeskAct]:
        """The desk's history (of one story, or all; at or after `since`), oldest first."""
        ...

    def members(self) -> list[str]:
        """The people of the desk: those who may use this store (the file's group; the database roles
        granted the editor role) and those who have written to it; sorted."""
        ...

    def refresh(self) -> bool:
        """Take in what other processes or hosts wrote; True when anything arrived. Cheap when nothing
        changed (an open TUI calls it every second)."""
        ...

    def close(self) -> None:
        ...


@runtime_checkable
class PresenceBoard(Protocol):
    """Who is on the desk now and what each has open: short-lived, never in any history, never
    exported or copied. One entry per open TUI (user, host, pid), replaced in place: it does not grow.
    An entry whose last beat is older than `expiry` seconds is gone, so a TUI killed or cut off leaves
    the desk within that time. On one host a file per member in the desk folder (ages read from the
    kernel's file times, not from what a process's clock says); on PostgreSQL a table without history
    (ages from the server's clock)."""

    user: str
    host: str
    expiry: float  # seconds

    def show(self, article_id: str) -> None:
        """What this TUI has open now ("": nothing); it is also a beat. Visible to the others at their
        next `seen()`."""
        ...

    def beat(self) -> None:
        """This TUI is still here (called every few seconds while it runs)."""
        ...

    def seen(self) -> list[Seen]:
        """Everyone present now, this TUI included, by user."""
        ...

    def leave(self) -> None:
        """This TUI leaves the desk (its entry goes at once)."""
        ...
