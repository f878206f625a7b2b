"""ServerMirror: what a PostgresStore has read of the server's events, read as it is asked for.

A desk's history grows to millions of rows, so nothing is read at opening but the newest id. Each
article's latest event is read when first asked for (one query for many ids; every article at once
from ``triage.latest`` when the caller wants them all), its whole history only when asked for, and
rows newer than the newest id held arrive through the store's catch-up (``add``), in id order. The
writers' lock makes ids commit in order, so an article read at any moment plus the rows caught up
later is its whole story: a row read twice is told apart by its id. Without a connection the
mirror answers from what it holds. Pending events (not yet durable) come last, as EventLog's do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from triage.model import Decision
from triage.store.events import ACTIONS, normalise_doc

__all__ = ["ROW_KEYS", "SELECT", "Fetch", "ServerMirror", "row_doc"]

Doc = dict[str, Any]
Row = Sequence[Any]
# run a query on the store's connection: its rows, or None when there is no connection to ask
Fetch = Callable[[str, Sequence[Any]], list[Row] | None]

SELECT = ("SELECT id, uid, article_id, decision, note, username, host, at, title, source, url, action, "
          "batch, version, urgency, slugline, wire_version, story FROM triage.events")
ROW_KEYS = ("uid", "article_id", "decision", "note", "user", "host", "at", "title", "source", "url",
            "action", "batch", "version", "urgency", "slugline", "wire_version", "story")
_LATEST_OF = ("SELECT e.id, e.uid, e.article_id, e.decision, e.note, e.username, e.host, e.at, e.title, "
              "e.source, e.url, e.action, e.batch, e.version, e.urgency, e.slugline, e.wire_version, e.story "
              "FROM triage.latest l JOIN triage.events e ON e.id = l.id")
_TEXT_AT = tuple(i + 1 for i, key in enumerate(ROW_KEYS) if key not in ("decision", "urgency"))
_DECIDED = frozenset({None, *(d.value for d in Decision)})
_CHUNK = 10_000  # article ids per query


def row_doc(row: Row) -> tuple[int, Doc] | None:
    """A row of triage.events as (id, event document), each field's type checked; None if not usable.

    The table's constraints give every field its type, so a row is usually taken as it is (checked, not
    rebuilt: a history read at once is hundreds of thousands of rows); any other is normalised."""
    if len(row) != len(ROW_KEYS) + 1 or type(row[0]) is not int:
        return None
    doc = dict(zip(ROW_KEYS, row[1:], strict=True))
    urgency = doc["urgency"]
    fits = urgency is None or (type(urgency) is int and 0 <= urgency <= 9)
    if (fits and all(type(row[i]) is str for i in _TEXT_AT) and row[1] and row[2]
            and doc["decision"] in _DECIDED and doc["action"] in ACTIONS):
        return row[0], doc
    fixed = normalise_doc(doc)
    return (row[0], fixed) if fixed is not None and fixed["uid"] else None


class ServerMirror:
    """Latest events per article, the histories asked for, and the pending events (module docstring)."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self.pending: list[Doc] = []
        self.max_id = 0  # the newest row taken in: catch-up reads the rows after it
        self.started = False  # max_id came from the server (once: later rows arrive by catch-up)
        self._latest: dict[str, tuple[int, Doc]] = {}
        self._absent: set[str] = set()  # asked for and found without events (rows to come arrive by add)
        self._hist: dict[str, list[tuple[int, Doc]]] = {}
        self._all = False  # every article's latest event is held
        self._count: int | None = None  # committed rows up to max_id (counted when first asked)
        self._top = 0  # the highest id held (a row read may be newer than max_id)

    def start(self, newest: int) -> None:
        """Begin at the server's newest id: what came before is read when asked for."""
        self.max_id = max(self.max_id, newest)
        self.started = True

    def add(self, row_id: int, doc: Doc) -> None:
        """A committed row newer than every row caught up so far (the store checks row_id > max_id)."""
        aid = doc["article_id"]
        held = self._latest.get(aid)
        if held is None or held[0] < row_id:
            self._latest[aid] = (row_id, doc)
            self._top = max(self._top, row_id)
        self._absent.discard(aid)
        hist = self._hist.get(aid)
        if hist is not None and (not hist or hist[-1][0] < row_id):
            hist.append((row_id, doc))
        if row_id > self.max_id:
            if self._count is not None:
                self._count += 1
            self.max_id = row_id

    def _take_latest(self, rows: Iterable[Row]) -> None:
        for row in rows:
            found = row_doc(row)
            if found is not None:
                held = self._latest.get(found[1]["article_id"])
                if held is None or held[0] < found[0]:
                    self._latest[found[1]["article_id"]] = found
                    self._top = max(self._top, found[0])

    def _load(self, ids: Iterable[str]) -> None:
        """Read the latest events of the articles not known yet (one query per chunk of ids)."""
        if self._all:
            return
        wanted = list(dict.fromkeys(a for a in ids if a not in self._latest and a not in self._absent))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            rows = self._fetch(_LATEST_OF + " WHERE l.article_id = ANY(%s)", (chunk,))
            if rows is None:
                return  # no server to ask: unknown for now, asked again later
            self._take_latest(rows)
            self._absent.update(a for a in chunk if a not in self._latest)

    def latest(self, article_id: str) -> Doc | None:
        """The latest event of an article, pending ones included."""
        for doc in reversed(self.pending):
            if doc["article_id"] == article_id:
                return doc
        self._load((article_id,))
        held = self._latest.get(article_id)
        return held[1] if held is not None else None

    def latest_many(self, ids: Iterable[str]) -> dict[str, Doc]:
        """The latest event of each article given that has one, pending ones included."""
        wanted = list(ids)
        self._load(wanted)
        out = {aid: self._latest[aid][1] for aid in wanted if aid in self._latest}
        asked = set(wanted)
        for doc in self.pending:
            if doc["article_id"] in asked:
                out[doc["article_id"]] = doc
        return out

    def latest_all(self) -> dict[str, tuple[int, Doc]]:
        """article id -> (position in event order, latest event) for every article, pending included."""
        if not self._all:
            rows = self._fetch(_LATEST_OF, ())
            if rows is not None:
                self._take_latest(rows)
                self._all = True
                self._absent.clear()
        latest = dict(self._latest)
        base = max(self.max_id, self._top) + 1
        for n, doc in enumerate(self.pending):
            latest[doc["article_id"]] = (base + n, doc)
        return latest

    def history(self, article_id: str) -> list[Doc]:
        """Every event of an article, oldest first, pending ones last."""
        hist = self._hist.get(article_id)
        if hist is None:
            rows = self._fetch(SELECT + " WHERE article_id = %s ORDER BY id", (article_id,))
            if rows is not None:
                hist = [found for found in map(row_doc, rows) if found is not None]
                self._hist[article_id] = hist
                self._take_latest(rows[-1:])
        if hist is None:  # no server: what is held
            held = self._latest.get(article_id)
            docs = [held[1]] if held is not None else []
        else:
            docs = [doc for _, doc in hist]
        docs.extend(d for d in self.pending if d["article_id"] == article_id)
        return docs

    def every_event(self) -> list[Doc]:
        """Every committed event in id order (read from the server each time), then pending ones."""
        rows = self._fetch(SELECT + " ORDER BY id", ())
        if rows is None:
            docs = [doc for _, doc in sorted(self._latest.values(), key=lambda item: item[0])]
        else:
            docs = [found[1] for found in map(row_doc, rows) if found is not None]
        return docs + list(self.pending)

    def __len__(self) -> int:
        """Events, pending ones included (committed rows counted once, then kept up to date by add)."""
        if self._count is None:
            rows = self._fetch("SELECT count(*) FROM triage.events WHERE id <= %s", (self.max_id,))
            if rows is None:
                return len(self._latest) + len(self.pending)
            self._count = int(rows[0][0])
        return self._count + len(self.pending)
