"""EventLog: the decision events in memory, in file order, indexed by article, plus pending ones."""

from __future__ import annotations

import bisect
import itertools
from typing import Any

from triage.store.events import fitted_event
from triage.store.files import Record, Tables
from triage.store.lines import check_event, own_id

__all__ = ["EventLog"]

Doc = dict[str, Any]


class EventLog:
    """Committed events in doc-id order with each article's positions, then pending (not yet durable) ones.

    Documents are never changed once here, so snapshots may be encoded without a lock.
    """

    def __init__(self) -> None:
        self.docs: list[Doc] = []
        self.ids: list[int] = []
        self.hist: dict[str, list[int]] = {}
        self.pending: list[Doc] = []
        self.max_id = 0

    def __len__(self) -> int:
        return len(self.docs) + len(self.pending)

    def state(self) -> tuple[int, int]:
        """What changes when events arrive: (committed count, newest id)."""
        return len(self.docs), self.max_id

    def replace(self, raw_events: dict[str, Any]) -> int:
        """Take a TinyDB events table ({"1": doc, ...}) as the committed events; pending ones stay.

        Every document is brought to an event's types (events.fitted_event) and every id passes own_id
        (an id far past the others is renumbered).
        Returns how many entries were left out (not events, or not under a numeric id)."""
        skipped = 0
        try:
            ids = [int(key) for key in raw_events]
        except ValueError:  # a hand-added table entry: keep the documents with numeric ids only
            kept = {k: v for k, v in raw_events.items() if k.isascii() and k.isdigit() and len(k) < 16}
            skipped, raw_events = len(raw_events) - len(kept), kept
            ids = [int(key) for key in raw_events]
        docs = list(raw_events.values())
        if any(a >= b for a, b in itertools.pairwise(ids)):  # compaction writes id order; others may not
            order = sorted(range(len(ids)), key=ids.__getitem__)
            ids, docs = [ids[i] for i in order], [docs[i] for i in order]
        hist: dict[str, list[int]] = {}
        get = hist.get
        top = 0
        kept_ids: list[int] = []
        kept_docs: list[Doc] = []
        for doc_id, doc in zip(ids, docs, strict=True):  # 10^5 events: one tight loop
            if check_event(doc):
                doc = fitted_event(doc)
                if doc is None or doc_id <= 0:
                    skipped += 1
                    continue
            elif doc_id <= 0:
                skipped += 1
                continue
            top = doc_id = own_id(doc_id, top)
            aid = doc["article_id"]
            known = get(aid)
            if known is None:
                hist[aid] = [len(kept_docs)]
            else:
                known.append(len(kept_docs))
            kept_ids.append(doc_id)
            kept_docs.append(doc)
        self.docs, self.ids, self.hist = kept_docs, kept_ids, hist
        self.max_id = top
        return skipped

    def add(self, doc_id: int, doc: Any) -> bool:
        """Append one committed event; False (skipped) for a document that is not an event."""
        if check_event(doc):
            return False
        self.hist.setdefault(doc["article_id"], []).append(len(self.docs))
        self.docs.append(doc)
        self.ids.append(doc_id)
        self.max_id = max(self.max_id, doc_id)
        return True

    def apply(self, records: list[Record], extra: Tables) -> None:
        """Journal records: new events are added (ids already held are skipped), other tables to `extra`.
        An id far past the newest (see own_id) is not taken: the event is added after the others."""
        for table, doc_id, doc in records:
            if table != "events":
                extra.setdefault(table, {})[str(doc_id)] = doc
            elif self.max_id < doc_id == own_id(doc_id, self.max_id):
                self.add(doc_id, doc)
                if self.pending and self.pending[0] == doc:
                    self.pending.pop(0)  # a retried write that did land after all: keep it once
            elif not self._holds(doc_id, doc):
                # the id was taken by another document (a plain TinyDB insert into the main file while
                # this line waited in the journal), or is far past the others: keep the event, after them
                self.add(self.max_id + 1, doc)

    def _holds(self, doc_id: int, doc: Doc) -> bool:
        """True if this exact event is held (under `doc_id`, or later after an id clash)."""
        at = bisect.bisect_left(self.ids, doc_id)
        if at < len(self.ids) and self.ids[at] == doc_id and self.docs[at] == doc:
            return True  # the usual case: a compaction cut short left the line in the journal
        return any(self.docs[i] == doc for i in self.hist.get(str(doc.get("article_id")), ()))

    def latest(self, article_id: str) -> Doc | None:
        """The latest event of an article, pending ones included."""
        for doc in reversed(self.pending):
            if doc["article_id"] == article_id:
                return doc
        hist = self.hist.get(article_id)
        return self.docs[hist[-1]] if hist else None

    def history(self, article_id: str) -> list[Doc]:
        """Every event of an article, oldest first, pending ones last."""
        docs = [self.docs[i] for i in self.hist.get(article_id, ())]
        docs.extend(d for d in self.pending if d["article_id"] == article_id)
        return docs

    def latest_all(self) -> dict[str, tuple[int, Doc]]:
        """article id -> (position in event order, latest event), pending events included."""
        latest = {aid: (h[-1], self.docs[h[-1]]) for aid, h in self.hist.items()}
        base = len(self.docs)
        for n, doc in enumerate(self.pending):
            latest[doc["article_id"]] = (base + n, doc)
        return latest

    def events_table(self) -> dict[str, Doc]:
        """The committed events as a TinyDB table (a new dict; the documents are shared, never changed)."""
        return {str(i): d for i, d in zip(self.ids, self.docs, strict=False)}
