"""DecisionWriter: the rules of every change to the decision record, written once for both backends.

Each store is a DecisionWriter (as tinydb's storages are a Storage) and gives three primitives: the
latest event of an article and its history (both read under the backend's write lock, after taking
in what others wrote) and ``_write(build)``, which runs ``build`` under that lock and makes the
events it returns durable (or keeps them pending and raises PendingWriteError); with ``user``,
``host`` and ``last_error``. Everything else is here: which events a decide, a batch, an undo, a note or an
undo of this session's own changes makes (build.py builds each one), their batch ids, and the record
of which events this instance wrote (undo.py's SessionUndo).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from triage.model import Article, Decision, DecisionEvent
from triage.store.build import change_doc, decide_doc
from triage.store.errors import PendingWriteError
from triage.store.events import decision_or_none, undo_target
from triage.store.query import decision_value
from triage.store.undo import SessionUndo, UndoConflict, UndoResult

__all__ = ["DecisionWriter"]

Doc = dict[str, Any]
Build = Callable[[], list[Doc]]


class DecisionWriter(ABC):
    """Builds the events of each change from fresh state and hands them to the backend's durable write."""

    user: str  # who the events name (a server names its role on connecting)
    host: str

    def __init__(self) -> None:
        self._session_undo = SessionUndo()

    @property
    @abstractmethod
    def last_error(self) -> str:
        """The reason of the latest failed write ("" after one that worked)."""

    @abstractmethod
    def _latest(self, article_id: str) -> Doc | None:
        """The article's latest event, pending ones included (called under the write lock)."""

    @abstractmethod
    def _history(self, article_id: str) -> list[Doc]:
        """The article's events oldest first, pending ones last (called under the write lock)."""

    @abstractmethod
    def _write(self, build: Build) -> list[DecisionEvent]:
        """Run `build` under the write lock after taking in others' events; its events made durable,
        or kept pending with PendingWriteError."""

    def _change_doc(self, latest: Doc | None, article_id: str, decision: str | None, note: str, action: str,
                    batch: str, uid: str = "") -> Doc:
        doc = change_doc(latest, article_id, decision, note, action, batch, user=self.user, host=self.host,
                         uid=uid)
        self._session_undo.remember(doc["uid"])
        return doc

    def _decide_doc(self, article: Article | str, value: str | None, note: str, batch: str, title: str,
                    source: str, url: str, uid: str, story: str) -> Doc:
        article_id = article.id if isinstance(article, Article) else str(article)
        doc = decide_doc(self._latest(article_id), article, value, note, batch, title, source, url,
                         user=self.user, host=self.host, uid=uid, story=story)
        self._session_undo.remember(doc["uid"])
        return doc

    def decide(self, article: Article | str, decision: Decision | str | None, note: str = "", *,
               batch: str = "", title: str = "", source: str = "", url: str = "", uid: str = "",
               story: str = "") -> DecisionEvent:
        """Record a decision (None or "clear": clear it) durably; returns the event written.

        `uid`: the event's id when the caller made one (new_uid()) to know the event before it is
        written, e.g. to rescue it if the write never happens; by default a new one.
        """
        value = decision_value(decision)
        return self._write(
            lambda: [self._decide_doc(article, value, note, batch, title, source, url, uid, story)])[0]

    def decide_many(self, articles: Sequence[Article | str], decision: Decision | str | None,
                    note: str = "", *, uids: Sequence[str] | None = None,
                    stories: Sequence[str] | None = None) -> list[DecisionEvent]:
        """The same decision for several articles: one batch id, one durable write (`uids`: as in decide)."""
        value = decision_value(decision)
        batch = secrets.token_hex(6)
        given = list(uids) if uids is not None else [""] * len(articles)
        rows = list(stories) if stories is not None else [""] * len(articles)
        if len(given) != len(articles) or len(rows) != len(articles):
            raise ValueError("uids and stories must give one id per article")
        return self._write(lambda: [self._decide_doc(a, value, note, batch, "", "", "", u, r)
                                    for a, u, r in zip(articles, given, rows, strict=True)])

    def undo(self, article_ids: str | Sequence[str]) -> list[DecisionEvent]:
        """Return each article to the state before its latest change, whoever made it.

        An article's history is a stack of states (decision, note): every decide, clear or note event
        pushes one, every undo event pops one (events.undo_target). An article with nothing left to
        undo gets no event."""
        ids = [article_ids] if isinstance(article_ids, str) else list(article_ids)
        batch = secrets.token_hex(6) if len(ids) > 1 else ""

        def build() -> list[Doc]:
            docs = []
            for article_id in ids:
                history = self._history(article_id)
                target = undo_target(history)
                if target is not None:
                    decision, note = target
                    docs.append(self._change_doc(history[-1], article_id, decision, note, "undo", batch))
            return docs

        return self._write(build)

    def set_note(self, article_id: str, note: str, *, uid: str = "") -> DecisionEvent:
        """Replace the note of an article (also with ""), keeping its decision (`uid`: as in decide)."""

        def build() -> list[Doc]:
            latest = self._latest(article_id)
            decision = decision_or_none(latest.get("decision")) if latest is not None else None
            return [self._change_doc(latest, article_id, decision, note, "note", "", uid)]

        return self._write(build)[0]

    def undo_own(self, events: Sequence[DecisionEvent], *,
                 states: Mapping[str, tuple[Decision | str | None, str]] | None = None,
                 uids: Mapping[str, str] | None = None) -> UndoResult:
        """Take back events this store instance wrote (a decision, a note, a batch), never anyone else's.

        Atomic: under the write lock, after reading what others wrote, each article goes back to the
        state just before its event (or to ``states[article_id]`` = (decision, note) when given) only
        while no other writer changed it since; those are returned as conflicts and left alone. One
        "undo" event per article, all in one durable write (several: one batch id). Never raises for
        I/O: when the write cannot be made durable the events are kept pending (shown, retried) and
        ``saved`` is False. `uids`: article id -> the id of its undo event (as in decide).
        """
        wanted = list(events)
        made = dict(uids or {})
        given = {k: (decision_value(d), n) for k, (d, n) in states.items()} if states is not None else None
        conflicts: list[UndoConflict] = []

        def build() -> list[Doc]:
            plan, found = self._session_undo.plan(wanted, self._history, given)
            conflicts[:] = found
            batch = secrets.token_hex(6) if len(plan) > 1 else ""
            return [self._change_doc(last, aid, decision, note, "undo", batch, made.get(aid, ""))
                    for aid, decision, note, last in plan]

        try:
            written = self._write(build)
        except PendingWriteError as exc:
            return UndoResult(tuple(exc.events), tuple(conflicts), saved=False, error=self.last_error)
        return UndoResult(tuple(written), tuple(conflicts))
