"""Decisions, as the service keeps them: the store (opened on first use), the book of optimistic marks
and its writer thread, this session's actions (undo), and the rescue when the disk refuses them.

The one path of a decision that is not durable yet (mine alone until it is):

1. **queued**: the book shows it at once and hands it to its writer thread (`book.unwritten_events()`);
2. **pending**: the store took it but could not make it durable (disk full, lock, server away): it is
   shown, counted by `store.pending`, and retried on every poll (`Saved.retrying`);
3. **rescued**: on quit (or when asked) whatever is still queued or pending goes to the user's own
   rescue file (0600; `rescue_now`), and leaves the store's pending list;
4. **replayed**: the next start that opens the store to write (the TUI, `triage decide`) writes each
   rescued event once, by uid, then removes the file. A reader (`triage decisions`) only names it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from triage.core.book import Action, DecisionBook, Saved
from triage.core.events import Notice, ServiceEvent, WriteSettled
from triage.model import Article, Decision, DecisionEvent

if TYPE_CHECKING:
    from triage.config import Settings
    from triage.store.api import Store
    from triage.store.rescue import RescueResult

__all__ = ["Decisions"]

log = logging.getLogger(__name__)


class Decisions:
    """Shown at once, written in order by one writer thread; whole duplicate groups at a time.

    `expand` turns ids into the ids of their duplicate groups and `article_of` finds the story a
    decision copies its title, source and wire fields from."""

    def __init__(self, settings: Settings, db_path: Path, *, expand: Callable[[Sequence[str]], list[str]],
                 article_of: Callable[[str], Article | None], emit: Callable[[ServiceEvent], None],
                 store: Store | None = None) -> None:
        self._settings = settings
        self.db_path = db_path
        self._expand = expand
        self._article_of = article_of
        self._emit = emit
        self._store = store
        self._store_lock = threading.Lock()
        self.book = DecisionBook(lambda: self.store)
        self.book.listeners.append(self._settled)
        self.actions: list[Action] = []  # this session's decisions and notes, the latest last (undo)
        self.rescued: RescueResult | None = None  # when decisions went to a rescue file

    @property
    def store(self) -> Store:
        """The decision store, opened on first use (replaying an earlier session's rescue file): the
        settings' PostgreSQL URL when they name one, else the TinyDB file at `db_path`."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from triage.store.open import open_store
                    from triage.store.rescue import default_rescue_dirs

                    self._store = open_store(
                        self._settings.db_url or self.db_path,
                        group_share=self._settings.store.group_share,
                        compact_every=self._settings.store.compact_every,
                        rescue_dirs=default_rescue_dirs(self._settings.data_dir),
                    )
        return self._store

    @property
    def opened(self) -> bool:
        return self._store is not None

    def _settled(self, saved: Saved) -> None:
        self._emit(WriteSettled(saved))
        if saved.conflicts:  # an undo that left someone else's later change alone says so
            reasons = "; ".join(saved.conflicts[:3]) + (" …" if len(saved.conflicts) > 3 else "")
            self._emit(Notice(f"Not undone: {reasons}.", "warning"))

    # -- reading ---------------------------------------------------------------------------------
    def load(self) -> None:
        self.book.load()

    def poll(self) -> tuple[bool, int]:
        """Retry refused writes and read what other processes wrote: (changed, saved now)."""
        return self.book.poll()

    def decision(self, article_id: str) -> Decision | None:
        return self.book.decision(article_id)

    def event(self, article_id: str) -> DecisionEvent | None:
        return self.book.event(article_id)

    def decided_ids(self) -> list[str]:
        """Every id that may have a decision (the others have none), for listings."""
        return self.book.ids()

    def note(self, article_id: str) -> str:
        return self.book.note(article_id)

    def history(self, article_id: str) -> list[DecisionEvent]:
        return self.store.history(article_id)

    def event_count(self) -> int:
        return len(self.store)

    def current_events(self) -> dict[str, DecisionEvent]:
        return self.store.current_many()

    def events_of(self, action: Action) -> list[DecisionEvent]:
        return [ev for ev in (self.book.event(aid) for aid in action.ids) if ev is not None]

    # -- writing ---------------------------------------------------------------------------------
    def _targets(self, ids: list[str]) -> list[Article | str]:
        return [self._article_of(i) or i for i in ids]

    def decide_soon(self, article_ids: Sequence[str], decision: Decision | None,
                    note: str | None = None) -> Action:
        ids: dict[str, str] = {}  # member -> the row (its duplicate group's leader) it is decided on
        for row in article_ids:
            members = self._expand([row])
            for member in members:
                ids.setdefault(member, members[0] if len(members) > 1 else "")
        return self._record(self.book.decide(self._targets(list(ids)), decision, note, list(ids.values())))

    def note_soon(self, article_id: str, note: str) -> Action:
        return self._record(self.book.set_note(self._expand([article_id]), note))

    def undo_soon(self, article_ids: Sequence[str]) -> Action:
        return self.book.undo(self._expand(article_ids))

    def _record(self, action: Action) -> Action:
        if action.ids:
            self.actions.append(action)
        return action

    def undo_last(self) -> Action | None:
        """Undo this session's latest action and nothing else; an undo that fails outright keeps it."""
        if not self.actions:
            return None
        action = self.actions.pop()
        undo = self.book.undo_action(action)

        def keep_if_lost(fut: Future[Saved]) -> None:
            if fut.result().lost:
                self.actions.append(action)

        undo.future.add_done_callback(keep_if_lost)
        return undo

    def flush(self, timeout: float) -> None:
        self.book.flush(timeout)

    # -- what is not durable yet -----------------------------------------------------------------
    @property
    def replayed(self) -> str:
        """What opening the file replayed from an earlier session's rescue file ("" if nothing)."""
        report = getattr(self._store, "replayed", None) if self._store is not None else None
        if report is None or not (report.count or report.refused or report.error or report.damaged):
            return ""
        return report.message

    @property
    def damage(self) -> str:
        """One sentence when the decisions file holds lines that could not be read ("" if none)."""
        return str(getattr(self._store, "damage", "") or "") if self._store is not None else ""

    @property
    def pending(self) -> int:
        return self._store.pending if self._store is not None else 0

    @property
    def store_error(self) -> str:
        if self._store is None or not self._store.pending:
            return ""
        return str(self._store.last_error or "")

    def unsaved(self) -> tuple[int, str]:
        queued = len(self.book.unwritten_events())
        return self.pending + queued, self.store_error or ("still being written" if queued else "")

    def rescue_now(self, timeout: float = 1.0) -> RescueResult | None:
        """Write every decision that is not durable to the rescue file at once; the RescueResult or None."""
        if self._store is None:
            return None
        extra = self.book.unwritten_events()
        if not (self._store.pending or extra):
            return None
        try:
            result = self._store.rescue(extra=extra, timeout=timeout)
        except Exception:
            log.exception("rescue failed")
            return None
        if result is not None:
            self.rescued = result
        return result

    def close(self, timeout: float) -> None:
        """Finish queued writes, retry refused ones, rescue what the disk still refuses, close the file."""
        from triage.store.errors import PendingWriteError

        self.book.close(timeout)
        if self._store is None:
            return
        try:
            if self._store.pending:
                self._store.retry_pending()
        except Exception:
            log.exception("retrying refused writes failed")
        self.rescue_now(timeout=2.0)
        try:
            self._store.close()
        except PendingWriteError:  # refused again after the rescue: rescue what is left, once more
            log.exception("closing the decisions file")
            self.rescue_now(timeout=2.0)
        except Exception:
            log.exception("closing the decisions file")
