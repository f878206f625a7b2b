"""The ingest cache: parsed articles by (path, size, mtime), first-seen times and hashes, groupings.

One SQLite file (stdlib sqlite3, safe for several processes). A rescan of an inbox where nothing
changed reads every article from here instead of parsing files again. Any cache failure is logged
and the load goes on without it: the cache is a speed-up, never a source of truth.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from triage.model import Article
from triage.sources.base import WIRE_ARTICLE_FIELDS

__all__ = ["PARSER_VERSION", "IngestCache"]

log = logging.getLogger(__name__)

# Bump when a reader's output changes, so cached parses are redone.
PARSER_VERSION = 7  # 7: linear Markdown (links with parentheses, bold kinds apart), readers as Reader classes

_SCHEMA_VERSION = 4  # 3: paths stored as their bytes (os.fsencode); 4: what the wire says, kept (arts.wire)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (path BLOB PRIMARY KEY, size INTEGER, mtime_ns INTEGER, version INTEGER);
CREATE TABLE IF NOT EXISTS arts (path BLOB NOT NULL, idx INTEGER NOT NULL, id TEXT, title TEXT, text TEXT,
    source TEXT, url TEXT, published TEXT, apath BLOB, content_hash TEXT, author TEXT, received TEXT,
    wire TEXT, PRIMARY KEY (path, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, first_hash TEXT NOT NULL, received TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (id TEXT NOT NULL, hash TEXT NOT NULL, received TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (id, hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (id TEXT PRIMARY KEY, story TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS read_marks (story TEXT PRIMARY KEY, hash TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS first_screen (pos INTEGER PRIMARY KEY, path BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS arts_by_id ON arts (id);
"""
_DROP = (
    "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS arts; DROP TABLE IF EXISTS kv; "
    "DROP TABLE IF EXISTS sigs;"
)


def _key(path: str) -> bytes:
    """A path as stored: its bytes, so a name that is not UTF-8 is kept like any other."""
    return os.fsencode(path)


def _path(value: Any) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _storable(row: tuple[Any, ...]) -> bool:
    """False for a row with text SQLite cannot hold (a lone surrogate): it is left out of the cache."""
    try:
        for v in row:
            if isinstance(v, str):
                v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# What the wire says (Article fields), kept as one JSON object per row: only the fields an item states.
# The author has a column of its own.
_WIRE_FIELDS = tuple(k for k in WIRE_ARTICLE_FIELDS if k != "author")
_PLAIN = Article(id="", title="", text="")


def _wire(a: Article) -> str | None:
    stated = {k: getattr(a, k) for k in _WIRE_FIELDS if getattr(a, k) != getattr(_PLAIN, k)}
    return json.dumps(stated, ensure_ascii=False) if stated else None


def _unwire(value: Any) -> dict[str, Any]:
    if not value:
        return {}
    try:
        stated = json.loads(value)
    except (TypeError, ValueError):
        return {}
    if not isinstance(stated, dict):
        return {}
    out = {k: v for k, v in stated.items() if k in _WIRE_FIELDS}
    if "subjects" in out:
        out["subjects"] = tuple(tuple(s) for s in out["subjects"] if isinstance(s, list) and len(s) == 2)
    return out


def _row(path: str, idx: int, a: Article) -> tuple[Any, ...]:
    """The parsed part of an Article as a row (received only when the reader set it, e.g. a spool;
    updated/duplicates_of are per load)."""
    return (
        _key(path),
        idx,
        a.id,
        a.title,
        a.text,
        a.source,
        a.url,
        a.published,
        _key(a.path),
        a.content_hash,
        a.author,
        a.received,
        _wire(a),
    )


class IngestCache:
    """Parsed files keyed by path with (size, mtime_ns); ids first seen with their first content hash."""

    def __init__(self, path: Path, *, group: bool = False, timeout: float = 10) -> None:
        from triage.infra.sqlitedb import connect_private

        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None
        try:
            # it holds the text of every story read: 0600
            conn = connect_private(self.path, group=group, timeout=timeout)
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
        for path, _i, aid, title, text, source, url, published, apath, chash, author, received, wire in rows:
            out.setdefault(_path(path), []).append(
                Article(
                    id=aid, title=title, text=text, source=source, url=url, published=published,
                    received=received, path=_path(apath), content_hash=chash, author=author, **_unwire(wire),
                )
            )
        return out

    def meta(self) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of every file parsed by the current parser version (no texts read)."""
        if self.conn is None:
            return {}
        try:
            return {
                _path(p): (s, m)
                for p, s, m in self.conn.execute(
                    "SELECT path, size, mtime_ns FROM files WHERE version = ?", (PARSER_VERSION,)
                )
            }
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
                part = paths[i : i + 500]
                marks = ",".join("?" * len(part))
                meta = {
                    _path(p): (s, m)
                    for p, s, m in self.conn.execute(
                        f"SELECT path, size, mtime_ns FROM files WHERE version = ? AND path IN ({marks})",
                        (PARSER_VERSION, *map(_key, part)),
                    )
                }
                if not meta:
                    continue
                rows = self.conn.execute(
                    f"SELECT * FROM arts WHERE path IN ({','.join('?' * len(meta))}) ORDER BY path, idx",
                    [_key(p) for p in meta],
                )
                for path, arts in self._articles(rows).items():
                    out[path] = (meta[path][0], meta[path][1], arts)
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return {}
        return out

    def first_screen(self) -> list[str]:
        """The files of the stories the list led with when it was last kept (set_first_screen), in
        order: a warm start reads these first, so its first screen is the one the full list will show."""
        return [_path(p) for (p,) in self._rows("SELECT path FROM first_screen ORDER BY pos")]

    def set_first_screen(self, paths: list[str]) -> None:
        """Keep the files of the stories the list leads with now (at most a few hundred)."""
        if self.conn is None:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.execute("DELETE FROM first_screen")
                self.conn.executemany("INSERT INTO first_screen (pos, path) VALUES (?, ?)",
                                      [(i, _key(p)) for i, p in enumerate(paths)])
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            log.warning("ingest cache write failed: %s", exc)

    def shared_ids(self, ids: list[str]) -> set[str]:
        """Those of these article ids that more than one cached file holds (one title in one folder,
        say): which file keeps such an id depends on the order files are admitted in a load."""
        return {
            aid
            for (aid,) in self._in_chunks(
                "SELECT id FROM arts WHERE id IN ({marks}) GROUP BY id HAVING count(DISTINCT path) > 1",
                list(dict.fromkeys(ids)),
            )
        }

    def iter_articles(self, paths: set[str], chunk: int = 2000, first: int = 0):
        """(path, articles) for the cached files among `paths`, streamed in path order (a warm start
        reads the whole table once, in chunks, without building one big dict first). `first`: rows in
        the first chunk, when the caller wants a screenful before the rest (0: `chunk`)."""
        if self.conn is None or not paths:
            return
        try:
            cur = self.conn.execute("SELECT * FROM arts ORDER BY path, idx")
            size = first or chunk
            while True:
                rows = cur.fetchmany(size)
                size = chunk
                if not rows:
                    break
                wanted = [r for r in rows if _path(r[0]) in paths]
                yield from self._articles(wanted).items()
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)

    # -- small reads and writes: any failure is logged, and the caller goes on without the cache ---
    def _rows(self, sql: str, args=()) -> list[tuple]:
        if self.conn is None:
            return []
        try:
            return list(self.conn.execute(sql, args))
        except sqlite3.Error as exc:
            log.warning("ingest cache read failed: %s", exc)
            return []

    def _write_many(self, sql: str, rows: list[tuple]) -> None:
        rows = [r for r in rows if _storable(r)]
        if self.conn is None or not rows:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            log.warning("ingest cache write failed: %s", exc)

    def _in_chunks(self, sql: str, keys: list, width: int = 1) -> list[tuple]:
        """`sql` with "{marks}" run on the keys 500 (or 400 pairs) at a time."""
        out: list[tuple] = []
        step = 500 // width
        for i in range(0, len(keys), step):
            part = keys[i : i + step]
            marks = ",".join(["(" + ",".join("?" * width) + ")" if width > 1 else "?"] * len(part))
            args = [x for k in part for x in k] if width > 1 else part
            out.extend(self._rows(sql.format(marks=marks), args))
        return out

    # -- versions, links between ids, read marks ------------------------------------------------
    def versions_for(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(id, content hash) -> when that version was first seen, for these versions only."""
        rows = self._in_chunks(
            "SELECT id, hash, received FROM versions WHERE (id, hash) IN (VALUES {marks})", keys, width=2
        )
        return {(r[0], r[1]): r[2] for r in rows}

    def add_versions(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        """Keep versions (id, hash, received, title, text); a version kept already stays as it was."""
        self._write_many("INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?)", rows)

    def version(self, article_id: str, content_hash: str) -> tuple[str, str, str] | None:
        """(title, text, received) of one kept version, or None."""
        rows = self._rows(
            "SELECT title, text, received FROM versions WHERE id = ? AND hash = ?", (article_id, content_hash)
        )
        return tuple(rows[0]) if rows else None

    def version_list(self, article_ids: list[str]) -> list[tuple[str, str, str]]:
        """(id, hash, received) of every kept version of these ids, oldest first."""
        rows = self._in_chunks("SELECT id, hash, received FROM versions WHERE id IN ({marks})", article_ids)
        return sorted(((r[0], r[1], r[2]) for r in rows), key=lambda r: r[2])

    def aliases(self) -> dict[str, str]:
        """Article id -> story id links found in earlier runs (a resend under a new headline)."""
        return dict(self._rows("SELECT id, story FROM aliases"))

    def add_aliases(self, links: list[tuple[str, str]]) -> None:
        """Remember article id -> story id links."""
        self._write_many("INSERT OR REPLACE INTO aliases (id, story) VALUES (?, ?)", links)

    def read_marks(self) -> dict[str, tuple[str, str]]:
        """story id -> (content hash, when) of the version this user last read."""
        return {r[0]: (r[1], r[2]) for r in self._rows("SELECT story, hash, at FROM read_marks")}

    def add_read_marks(self, marks: list[tuple[str, str, str]]) -> None:
        """Remember (story, content hash, when) read marks."""
        self._write_many("INSERT OR REPLACE INTO read_marks (story, hash, at) VALUES (?,?,?)", marks)

    def seen_for(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """id -> (first content hash, received) for these ids only."""
        rows = self._in_chunks("SELECT id, first_hash, received FROM seen WHERE id IN ({marks})", ids)
        return {r[0]: (r[1], r[2]) for r in rows}

    def write(
        self,
        files: list[tuple[str, int, int, list[Article]]],
        seen: list[tuple[str, str, str]],
        forget: list[str] | None = None,
    ) -> None:
        """Store parsed files and newly seen ids; drop the rows of files that are gone."""
        if self.conn is None or not (files or seen or forget):
            return
        arts = [_row(p, i, a) for p, _s, _m, arts in files for i, a in enumerate(arts)]
        bad = {r[0] for r in arts if not _storable(r)}
        if bad:  # a file whose text SQLite cannot hold is parsed again next time; the others are kept
            log.warning("ingest cache: %d file(s) not cached (text that is not valid Unicode)", len(bad))
            arts = [r for r in arts if r[0] not in bad]
            files = [f for f in files if _key(f[0]) not in bad]
        seen = [r for r in seen if _storable(r)]
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                gone = [(_key(p),) for p, _s, _m, _a in files] + [(_key(p),) for p in (forget or [])]
                self.conn.executemany("DELETE FROM arts WHERE path = ?", gone)
                self.conn.executemany(
                    "INSERT OR REPLACE INTO files (path, size, mtime_ns, version) VALUES (?,?,?,?)",
                    [(_key(p), s, m, PARSER_VERSION) for p, s, m, _arts in files],
                )
                self.conn.executemany("INSERT INTO arts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", arts)
                self.conn.executemany(
                    "INSERT OR IGNORE INTO seen (id, first_hash, received) VALUES (?,?,?)", seen
                )
                if forget:
                    self.conn.executemany("DELETE FROM files WHERE path = ?", [(_key(p),) for p in forget])
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
