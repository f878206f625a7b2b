"""The ingest cache: parsed articles by (path, size, mtime), first-seen times and hashes, groupings.

One SQLite file (stdlib sqlite3, safe for several processes). A rescan of an inbox where nothing
changed reads every article from here instead of parsing files again. Any cache failure is logged
and the load goes on without it: the cache is a speed-up, never a source of truth.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from triage.model import Article

__all__ = ["PARSER_VERSION", "IngestCache"]

log = logging.getLogger(__name__)

# Bump when a reader's output changes, so cached parses are redone.
PARSER_VERSION = 5

_SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, version INTEGER);
CREATE TABLE IF NOT EXISTS arts (path TEXT NOT NULL, idx INTEGER NOT NULL, id TEXT, title TEXT, text TEXT,
    source TEXT, url TEXT, published TEXT, apath TEXT, content_hash TEXT, author TEXT, received TEXT,
    PRIMARY KEY (path, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, first_hash TEXT NOT NULL, received TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sigs (key TEXT PRIMARY KEY, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS versions (id TEXT NOT NULL, hash TEXT NOT NULL, received TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (id, hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (id TEXT PRIMARY KEY, story TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS read_marks (story TEXT PRIMARY KEY, hash TEXT NOT NULL, at TEXT NOT NULL);
"""
_DROP = "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS arts; DROP TABLE IF EXISTS kv; DROP TABLE IF EXISTS sigs;"


def _row(path: str, idx: int, a: Article) -> tuple[Any, ...]:
    """The parsed part of an Article as a row (received only when the reader set it, e.g. a spool;
    updated/duplicates_of are per load)."""
    return (path, idx, a.id, a.title, a.text, a.source, a.url, a.published, a.path, a.content_hash, a.author,
            a.received)


class IngestCache:
    """Parsed files keyed by path with (size, mtime_ns); ids first seen with their first content hash."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                conn.executescript(_DROP)
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            conn.executescript(_SCHEMA)
            self.conn = conn
        except (sqlite3.Error, OSError) as exc:
            log.warning("ingest cache %s unusable (%s): loading without it", self.path, exc)
            self.conn = None

    def _articles(self, rows) -> dict[str, list[Article]]:
        out: dict[str, list[Article]] = {}
        for (path, _i, aid, title, text, source, url, published, apath, chash, author, received) in rows:
            out.setdefault(path, []).append(Article(id=aid, title=title, text=text, source=source, url=url,
                                                    published=published, received=received, path=apath,
                                                    content_hash=chash, author=author))
        return out

    def meta(self) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of every file parsed by the current parser version (no texts read)."""
        if self.conn is None:
            return {}
        try:
            return {p: (s, m) for p, s, m in self.conn.execute(
                "SELECT path, size, mtime_ns FROM files WHERE version = ?", (PARSER_VERSION,))}
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}

    def lookup(self, paths: list[str]) -> dict[str, tuple[int, int, list[Article]]]:
        """path -> (size, mtime_ns, articles) for these paths only (what the watcher needs)."""
        if self.conn is None or not paths:
            return {}
        out: dict[str, tuple[int, int, list[Article]]] = {}
        try:
            for i in range(0, len(paths), 500):
                part = paths[i:i + 500]
                marks = ",".join("?" * len(part))
                meta = {p: (s, m) for p, s, m in self.conn.execute(
                    f"SELECT path, size, mtime_ns FROM files WHERE version = ? AND path IN ({marks})",
                    (PARSER_VERSION, *part))}
                if not meta:
                    continue
                rows = self.conn.execute(
                    f"SELECT * FROM arts WHERE path IN ({','.join('?' * len(meta))}) ORDER BY path, idx", list(meta))
                for path, arts in self._articles(rows).items():
                    out[path] = (meta[path][0], meta[path][1], arts)
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}
        return out

    def iter_articles(self, paths: set[str], chunk: int = 2000):
        """(path, articles) for the cached files among `paths`, streamed in path order (a warm start
        reads the whole table once, in chunks, without building one big dict first)."""
        if self.conn is None or not paths:
            return
        try:
            cur = self.conn.execute("SELECT * FROM arts ORDER BY path, idx")
            while True:
                rows = cur.fetchmany(chunk)
                if not rows:
                    break
                wanted = [r for r in rows if r[0] in paths]
                yield from self._articles(wanted).items()
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)

    def files(self) -> dict[str, tuple[int, int, list[Article]]]:
        """path -> (size, mtime_ns, articles) for files parsed by the current parser version (reads
        everything: for tools and tests; the loader uses meta(), lookup() and iter_articles())."""
        meta = self.meta()
        out: dict[str, tuple[int, int, list[Article]]] = {}
        for path, arts in self.iter_articles(set(meta)):
            got = out.get(path)
            if got is None:
                out[path] = (meta[path][0], meta[path][1], list(arts))
            else:
                got[2].extend(arts)
        return out

    def versions_for(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(id, content hash) -> when that version was first seen, for these versions only."""
        if self.conn is None or not keys:
            return {}
        out: dict[tuple[str, str], str] = {}
        try:
            for i in range(0, len(keys), 400):
                part = keys[i:i + 400]
                where = " OR ".join("(id = ? AND hash = ?)" for _ in part)
                args = [x for k in part for x in k]
                out.update({(r[0], r[1]): r[2] for r in self.conn.execute(
                    f"SELECT id, hash, received FROM versions WHERE {where}", args)})
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
        return out

    def add_versions(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        """Keep versions (id, hash, received, title, text); a version kept already stays as it was."""
        if self.conn is None or not rows:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?)", rows)
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def version(self, article_id: str, content_hash: str) -> tuple[str, str, str] | None:
        """(title, text, received) of one kept version, or None."""
        if self.conn is None:
            return None
        try:
            row = self.conn.execute("SELECT title, text, received FROM versions WHERE id = ? AND hash = ?",
                                    (article_id, content_hash)).fetchone()
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return None
        return (row[0], row[1], row[2]) if row else None

    def version_list(self, article_ids: list[str]) -> list[tuple[str, str, str]]:
        """(id, hash, received) of every kept version of these ids, oldest first."""
        if self.conn is None or not article_ids:
            return []
        try:
            marks = ",".join("?" * len(article_ids))
            return [(r[0], r[1], r[2]) for r in self.conn.execute(
                f"SELECT id, hash, received FROM versions WHERE id IN ({marks}) ORDER BY received", article_ids)]
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return []

    def aliases(self) -> dict[str, str]:
        """Article id -> story id links found in earlier runs (a resend under a new headline)."""
        if self.conn is None:
            return {}
        try:
            return dict(self.conn.execute("SELECT id, story FROM aliases"))
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}

    def add_aliases(self, links: list[tuple[str, str]]) -> None:
        """Remember article id -> story id links."""
        if self.conn is None or not links:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany("INSERT OR REPLACE INTO aliases (id, story) VALUES (?, ?)", links)
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def read_marks(self) -> dict[str, tuple[str, str]]:
        """story id -> (content hash, when) of the version this user last read."""
        if self.conn is None:
            return {}
        try:
            return {r[0]: (r[1], r[2]) for r in self.conn.execute("SELECT story, hash, at FROM read_marks")}
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}

    def add_read_marks(self, marks: list[tuple[str, str, str]]) -> None:
        """Remember (story, content hash, when) read marks."""
        if self.conn is None or not marks:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany("INSERT OR REPLACE INTO read_marks (story, hash, at) VALUES (?,?,?)", marks)
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def seen_for(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """id -> (first content hash, received) for these ids only."""
        if self.conn is None or not ids:
            return {}
        out: dict[str, tuple[str, str]] = {}
        try:
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                out.update({r[0]: (r[1], r[2]) for r in self.conn.execute(
                    f"SELECT id, first_hash, received FROM seen WHERE id IN ({','.join('?' * len(part))})", part)})
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
        return out

    def seen(self) -> dict[str, tuple[str, str]]:
        """id -> (first content hash, received)."""
        if self.conn is None:
            return {}
        try:
            return {i: (h, r) for i, h, r in self.conn.execute("SELECT id, first_hash, received FROM seen")}
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}

    def signatures(self) -> dict[str, frozenset[int]]:
        """Stored duplicate-detection signatures: "<shingle size>:<text key>" -> shingle hash sample."""
        if self.conn is None:
            return {}
        from array import array

        out: dict[str, frozenset[int]] = {}
        try:
            for key, blob in self.conn.execute("SELECT key, sig FROM sigs"):
                a = array("I")
                a.frombytes(blob)
                out[key] = frozenset(a)
        except (sqlite3.Error, ValueError) as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}
        return out

    def write_signatures(self, sigs: dict[str, frozenset[int]]) -> None:
        """Store new signatures (existing keys are left as they are)."""
        if self.conn is None or not sigs:
            return
        from array import array

        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany("INSERT OR IGNORE INTO sigs (key, sig) VALUES (?, ?)",
                                      [(k, array("I", sorted(v)).tobytes()) for k, v in sigs.items()])
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def get(self, key: str) -> str | None:
        """A stored value (e.g. a grouping), or None."""
        if self.conn is None:
            return None
        try:
            row = self.conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def write(
        self,
        files: list[tuple[str, int, int, list[Article]]],
        seen: list[tuple[str, str, str]],
        kv: dict[str, str] | None = None,
        forget: list[str] | None = None,
    ) -> None:
        """Store parsed files, newly seen ids, key/values; drop rows of files that are gone."""
        if self.conn is None or not (files or seen or kv or forget):
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                gone = [(p,) for p, _s, _m, _a in files] + [(p,) for p in (forget or [])]
                self.conn.executemany("DELETE FROM arts WHERE path = ?", gone)
                self.conn.executemany(
                    "INSERT OR REPLACE INTO files (path, size, mtime_ns, version) VALUES (?,?,?,?)",
                    [(p, s, m, PARSER_VERSION) for p, s, m, _arts in files],
                )
                self.conn.executemany("INSERT INTO arts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                                      [_row(p, i, a) for p, _s, _m, arts in files for i, a in enumerate(arts)])
                self.conn.executemany("INSERT OR IGNORE INTO seen (id, first_hash, received) VALUES (?,?,?)", seen)
                if kv:
                    self.conn.execute("DELETE FROM kv WHERE key LIKE 'groups:%'")
                    self.conn.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?,?)", list(kv.items()))
                if forget:
                    self.conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in forget])
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def close(self) -> None:
        """Close the database connection."""
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self.conn = None
