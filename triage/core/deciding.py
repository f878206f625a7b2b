"""The service's decisions: optimistic, for whole duplicate groups, undone per session action, rescued when
the disk refuses them. A mixin of TriageService."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import Future

from triage.core.book import Action, Saved
from triage.model import Article, Decision, DecisionEvent

__all__ = ["Decisions"]

log = logging.getLogger(__name__)


class Decisions:
    """Decisions for TriageService: shown at once, written in order by the book's writer thread."""

    # -- decisions -------------------------------------------------------------------------------
    def refresh_decisions(self) -> bool:
        """Retry refused writes and reload decisions other processes wrote; True when anything changed."""
        changed, _ = self.book.poll()
        return changed

    def decision(self, article_id: str) -> Decision | None:
        """The current decision of one article."""
        return self.book.decision(article_id)

    def current_event(self, article_id: str) -> DecisionEvent | None:
        """The latest decision event of one article (None when never decided)."""
        return self.book.event(article_id)

    def note(self, article_id: str) -> str:
        """The current note of one article."""
        return self.book.note(article_id)

    def _expand(self, article_ids: Iterable[str]) -> list[str]:
        out: dict[str, None] = {}
        for aid in article_ids:
            for member in self.group(aid):
                out[member] = None
        return list(out)

    def _targets(self, ids: list[str]) -> list[Article | str]:
        return [self.catalog.article(i) or i for i in ids]

    def decide_soon(self, article_ids: Sequence[str], decision: Decision | None,
                    note: str | None = None) -> Action:
        """Decide for articles and their duplicate groups: shown at once, written by the writer thread,
        and kept as this session's last action (undo)."""
        ids = self._expand(article_ids)
        return self._record(self.book.decide(self._targets(ids), decision, note))

    def note_soon(self, article_id: str, note: str) -> Action:
        """Set the note on an article (and its group), keeping its decision (an action: undoable)."""
        return self._record(self.book.set_note(self._expand([article_id]), note))

    def _record(self, action: Action) -> Action:
        if action.ids:
            self.actions.append(action)
        return action

    def undo_last(self) -> Action | None:
        """Undo this session's latest action (a decision, a note or a batch, from any screen) and
        nothing else: never another process's event. None when this session has nothing to undo.
        An undo that fails outright keeps its entry (it can be tried again)."""
        if not self.actions:
            return None
        action = self.actions.pop()
        undo = self.book.undo_action(action)

        def keep_if_lost(fut: Future[Saved]) -> None:
            if fut.result().lost:
                self.actions.append(action)

        undo.future.add_done_callback(keep_if_lost)
        return undo

    @property
    def replayed(self) -> str:
        """What opening the decisions file replayed from an earlier session's rescue file ("" if nothing)."""
        report = getattr(self._store, "replayed", None) if self._store is not None else None
        return report.message if report is not None and report.count else ""

    def unsaved(self) -> tuple[int, str]:
        """(decisions not durable yet, why): held by the store after a refused write, or still queued."""
        held = self._store.pending if self._store is not None else 0
        queued = len(self.book.unwritten_events())
        return held + queued, self.store_error or ("still being written" if queued else "")

    def rescue_now(self, timeout: float = 1.0):
        """Write every decision that is not durable to the rescue file beside the decisions file, at once
        (signal handlers, "quit anyway"); returns the RescueResult, or None when nothing needed it."""
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

    def events_of(self, action: Action) -> list[DecisionEvent]:
        """The current events of an action's articles (what the screens show right after it)."""
        return [ev for ev in (self.book.event(aid) for aid in action.ids) if ev is not None]

    def decide(self, article_ids: Sequence[str], decision: Decision | None, note: str | None = None) -> list[DecisionEvent]:
        """Record a decision for articles (and their duplicate groups); durable (or held as not saved)
        when it returns."""
        return self.decide_soon(article_ids, decision, note).future.result().events

    def set_note(self, article_id: str, note: str) -> list[DecisionEvent]:
        """Set the note on an article (and its group) keeping its decision; waits for the write."""
        return self.note_soon(article_id, note).future.result().events

    def undo(self, article_ids: Sequence[str]) -> list[DecisionEvent]:
        """Return articles (and their groups) to their previous state; waits for the write."""
        return self.book.undo(self._expand(article_ids)).future.result().events

    @staticmethod
    def parse_when(text: str, *, end: bool = False):
        """A date the user typed ("today", "7d", "2024-05-01") as a datetime; ValueError with a reason."""
        from triage.store import parse_when

        return parse_when(text, end=end)

    def history(self, article_id: str) -> list[DecisionEvent]:
        """Every event of an article, oldest first."""
        return self.store.history(article_id)

    @property
    def pending(self) -> int:
        """Decisions not durable yet: held in memory because the disk refused them, or still queued."""
        return (self._store.pending if self._store is not None else 0)

    @property
    def store_error(self) -> str:
        """Why the last write failed (empty when the file is being written fine)."""
        if self._store is None or not self._store.pending:
            return ""
        return str(self._store.last_error or "")

