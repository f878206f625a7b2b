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

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from triage.model import Article, Decision, DecisionEvent

if TYPE_CHECKING:
    from triage.store.query import EventQuery
    from triage.store.rescue import ReplayReport, RescueResult, Waiting
    from triage.store.undo import UndoResult

__all__ = ["Store"]


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
