"""DecisionWriter: the rules of every change to the decision record, written once for both backends.

A backend gives three primitives: the latest event of an article and its history (both read under
the backend's write lock, after taking in what others wrote) and ``write(build)``, which runs
``build`` under that lock and makes the events it returns durable (or keeps them pending and raises
PendingWriteError). Everything else is here: which events a decide, a batch, an undo, a note or an
undo of this session's own changes makes (build.py builds each one), their batch ids, and the record
of which events this instance wrote (undo.py's SessionUndo).
"""

from __future__ import annotations

import secrets
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


class DecisionWriter:
    """Builds the events of each change from fresh state and hands them to the backend's durable write."""

    def __init__(self, *, latest: Callable[[str], Doc | None], history: Callable[[str], list[Doc]],
                 write: Callable[[Build], list[DecisionEvent]], who: Callable[[], tuple[str, str]],
                 last_error: Callable[[], str]) -> None:
        self._latest = latest
        self._history = history
        self._write = write
        self._who = who  # (user, host) as the backend knows them now (a server names its role on connecting)
        self._last_error = last_error
        self._undo = SessionUndo()

    def _change_doc(self, latest: Doc | None, article_id: str, decision: str | None, note: str, action: str,
                    batch: str, uid: str = "") -> Doc:
        user, host = self._who()
        doc = change_doc(latest, article_id, decision, note, action, batch, user=user, host=host, uid=uid)
        self._undo.remember(doc["uid"])
        return doc

    def _decide_doc(self, article: Article | str, value: str | None, note: str, batch: str, title: str,
                    source: str, url: str, uid: str, story: str) -> Doc:
        article_id = article.id if isinstance(article, Article) else str(article)
        user, host = self._who()
        doc = decide_doc(self._latest(article_id), article, value, note, batch, title, source, url,
                         user=user, host=host, uid=uid, story=story)
        self._undo.remember(doc["uid"])
        return doc

    def decide(self, article: Article | str, decision: Decision | str | None, note: str = "", *,
               batch: str = "", title: str = "", source: str = "", url: str = "", uid: str = "",
               story: str = "") -> DecisionEvent:
        """One decision (None or "clear": clear it); the event written."""
        value = decision_value(decision)
        return self._write(
            lambda: [self._decide_doc(article, value, note, batch, title, source, url, uid, story)])[0]

    def decide_many(self, articles: Sequence[Article | str], decision: Decision | str | None,
                    note: str = "", *, uids: Sequence[str] | None = None,
                    stories: Sequence[str] | None = None) -> list[DecisionEvent]:
        """The same decision for several articles: one batch id, one durable write."""
        value = decision_value(decision)
        batch = secrets.token_hex(6)
        given = list(uids) if uids is not None else [""] * len(articles)
        rows = list(stories) if stories is not None else [""] * len(articles)
        if len(given) != len(articles) or len(rows) != len(articles):
            raise ValueError("uids and stories must give one id per article")
        return self._write(lambda: [self._decide_doc(a, value, note, batch, "", "", "", u, r)
                                    for a, u, r in zip(articles, given, rows, strict=True)])

    def undo(self, article_ids: str | Sequence[str]) -> list[DecisionEvent]:
        """Each article back to the state before its latest change, whoever made it (undo_target)."""
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
        """The note of an article replaced (also with ""), its decision kept."""

        def build() -> list[Doc]:
            latest = self._latest(article_id)
            decision = decision_or_none(latest.get("decision")) if latest is not None else None
            return [self._change_doc(latest, article_id, decision, note, "note", "", uid)]

        return self._write(build)[0]

    def undo_own(self, events: Sequence[DecisionEvent], *,
                 states: Mapping[str, tuple[Decision | str | None, str]] | None = None,
                 uids: Mapping[str, str] | None = None) -> UndoResult:
        """This instance's own events taken back, never anyone else's (undo.py); never raises for I/O."""
        wanted = list(events)
        made = dict(uids or {})
        given = {k: (decision_value(d), n) for k, (d, n) in states.items()} if states is not None else None
        conflicts: list[UndoConflict] = []

        def build() -> list[Doc]:
            plan, found = self._undo.plan(wanted, self._history, given)
            conflicts[:] = found
            batch = secrets.token_hex(6) if len(plan) > 1 else ""
            return [self._change_doc(last, aid, decision, note, "undo", batch, made.get(aid, ""))
                    for aid, decision, note, last in plan]

        try:
            written = self._write(build)
        except PendingWriteError as exc:
            return UndoResult(tuple(exc.events), tuple(conflicts), saved=False, error=self._last_error())
        return UndoResult(tuple(written), tuple(conflicts))
