"""SearchIndex: full-text search over titles, sources, texts and entities (SQLite FTS5, stdlib sqlite3).

Search as you type asks the index, never every text: each word is a prefix ("pol" finds "police"),
all words must match, case and accents are ignored ("zurich" finds "Zürich"). The index lives in a
file beside the other caches, keyed by article id and a hash of what was indexed, so a warm start
indexes nothing and a new story costs one insert. Any SQLite failure makes it an in-memory index.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from triage.infra.sqlitedb import open_index, transaction

__all__ = ["SearchIndex", "fold", "fts_query", "scan_match"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, rid INTEGER NOT NULL UNIQUE, digest TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, source, body, ents,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
"""


def fts_query(search: str = "", entity: str = "") -> str:
    """An FTS5 MATCH expression: every word of `search` as a prefix, `entity` as a phrase; "" when
    there is nothing to match on."""
    parts = [f'"{w}"*' for w in _WORD.findall(search.casefold())]
    words = _WORD.findall(entity.casefold())
    if words:
        parts.append('"' + " ".join(words) + '"')
    return " AND ".join(parts)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_chars(run: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", run) if not unicodedata.combining(ch))


_fold_short = functools.lru_cache(maxsize=65536)(_fold_chars)


def _fold_run(match: re.Match[str]) -> str:
    """A run's fold; short runs (words, quotes, dashes) recur and are remembered, long ones (text in a
    script written without spaces) are not, so the memory stays small."""
    run = match.group()
    return _fold_short(run) if len(run) <= 40 else _fold_chars(run)


def fold(text: str) -> str:
    """Case and accents folded away, as the index does it ("Zürich" -> "zurich"): casefold, NFKD, and
    every combining mark dropped. Only the runs of non-ASCII characters need the last two (NFKD leaves
    ASCII alone and decomposes character by character), and the same runs recur (quotes, dashes,
    accented letters), so each run's fold is remembered."""
    low = text.casefold()
    if low.isascii():
        return low
    return _NON_ASCII.sub(_fold_run, low)


def scan_match(hay: str, search: str = "", entity: str = "") -> bool:
    """The index's match, by reading a text: every search word a word prefix, the entity a phrase.
    A word that is not even a substring rules the text out before it is split into words."""
    folded = fold(hay)
    words = _WORD.findall(fold(search))
    phrase_words = _WORD.findall(fold(entity))
    if any(w not in folded for w in words) or any(w not in folded for w in phrase_words):
        return False
    tokens = _WORD.findall(folded)
    for word in words:
        if not any(t.startswith(word) for t in tokens):
            return False
    phrase = " ".join(phrase_words)
    return not phrase or f" {phrase} " in f" {' '.join(tokens)} "


def digest(title: str, source: str, body: str, ents: str) -> str:
    """What was indexed for a document, as a short hash (a change means re-index)."""
    h = hashlib.blake2b(digest_size=8)
    for part in (title, source, body, ents):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


class SearchIndex:
    """Article id -> (title, source, text, entity names) in an FTS5 table; thread-safe."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self.conn = open_index(path, self._prepare, "search index")
        self._digests: dict[str, str] | None = None

    @staticmethod
    def _prepare(conn: sqlite3.Connection) -> sqlite3.Connection:
        if conn.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            conn.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts;")
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        conn.executescript(_SCHEMA)
        return conn

    def _known(self) -> dict[str, str]:
        if self._digests is None:
            try:
                self._digests = dict(self.conn.execute("SELECT id, digest FROM docs"))
            except sqlite3.Error as exc:
                log.warning("search index read failed: %s", exc)
                self._digests = {}
        return self._digests

    def put_many(self, docs: Iterable[tuple[str, str, str, str, str]]) -> int:
        """Index (id, title, source, body, entity names) documents whose content changed; returns how
        many were written. Raises sqlite3.Error when they could not be (nothing is half-written)."""
        with self._lock:
            known = self._known()
            rows = []
            for aid, title, source, body, ents in docs:
                d = digest(title, source, body, ents)
                if known.get(aid) != d:
                    rows.append((aid, title, source, body, ents, d))
            if not rows:
                return 0
            try:
                with transaction(self.conn) as conn:
                    for aid, title, source, body, ents, d in rows:
                        old = conn.execute("SELECT rid FROM docs WHERE id = ?", (aid,)).fetchone()
                        if old is not None:
                            conn.execute("DELETE FROM fts WHERE rowid = ?", (old[0],))
                            conn.execute("DELETE FROM docs WHERE id = ?", (aid,))
                        cur = conn.execute("INSERT INTO fts (title, source, body, ents) VALUES (?, ?, ?, ?)",
                                           (title, source, body, ents))
                        conn.execute("INSERT INTO docs (id, rid, digest) VALUES (?, ?, ?)",
                                     (aid, cur.lastrowid, d))
            except sqlite3.Error:
                self._digests = None  # re-read: the rolled-back rows are not in the file
                raise
            for aid, *_rest, d in rows:
                known[aid] = d
            return len(rows)

    def search(self, search: str = "", entity: str = "") -> set[str] | None:
        """Ids of the documents matching; None when the query has no words (everything matches)."""
        expr = fts_query(search, entity)
        if not expr:
            return None
        with self._lock:
            try:
                return {r[0] for r in self.conn.execute(
                    "SELECT docs.id FROM fts JOIN docs ON docs.rid = fts.rowid WHERE fts MATCH ?", (expr,))}
            except sqlite3.Error as exc:
                log.warning("search failed for %r: %s", expr, exc)
                return set()

    def close(self) -> None:
        """Close the connection (one already broken is simply let go)."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self.conn.close()
