"""Mine: what is one user's alone, kept in a file of their own (``mine.sqlite``, 0600 in the 0700 data
folder, never shared with the group).

Where each kind of state lives (DESIGN.md, "one home per kind"):

* **the desk's durable record** (decisions and their history; next, takes, hand-offs and desk watches):
  the store, `triage.store` (a TinyDB file or PostgreSQL), behind `triage.store.api.Store`;
* **the desk's short-lived state** (presence): beside the store, never in its history (see
  `triage.store.api`);
* **mine alone**: my read marks, the stories I opened, story aliases and my personal watches (here);
  my decisions not durable yet, which take one
  path told in `triage.core.deciding`: the book's queue, the store's pending list, my rescue file,
  replayed by my next start;
* **caches** that may be thrown away: the ingest cache (`triage.sources.cache`, also the story's kept
  versions) and the analysis cache (`triage.analysis.cache`).

Read marks and aliases lived in the ingest cache before; they are copied from it once, read-only, the
first time this file is made, so nothing a user marked is lost.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from triage.infra.sqlitedb import connect_private
from triage.model import Watch

__all__ = ["MINE_FILE", "Mine"]

log = logging.getLogger(__name__)

MINE_FILE = "mine.sqlite"
_LEGACY = "ingest-cache.sqlite"  # where read marks and aliases were kept before
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS read_marks (story TEXT PRIMARY KEY, hash TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (id TEXT PRIMARY KEY, story TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS opened (story TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watches (name TEXT PRIMARY KEY, query TEXT NOT NULL, at TEXT NOT NULL);
"""
T = TypeVar("T")


class Mine:
    """My read marks (story -> the version's content hash and when I read it), the stories I opened
    (any version: a watch's "not opened yet"), story aliases (an article id -> the story it continues)
    and my personal watches, in my own file. Each call opens a short connection, so any
    thread may call; a file that cannot be used is logged and the call gives its empty answer."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / MINE_FILE
        self._legacy = Path(data_dir) / _LEGACY
        self._ready = False

    def _use(self, work: Callable[[sqlite3.Connection], T], empty: T) -> T:
        try:
            conn = connect_private(self.path)
        except (OSError, sqlite3.Error) as exc:
            log.warning("%s cannot be used (%s)", self.path, exc)
            return empty
        try:
            if not self._ready:
                conn.executescript(_SCHEMA)
                self._adopt(conn)
                self._ready = True
            return work(conn)
        except sqlite3.Error as exc:
            log.warning("%s cannot be used (%s)", self.path, exc)
            return empty
        finally:
            conn.close()

    def _adopt(self, conn: sqlite3.Connection) -> None:
        """Copy the read marks and aliases an older triage kept in the ingest cache, once."""
        if conn.execute("SELECT 1 FROM meta WHERE key = 'adopted'").fetchone():
            return
        marks: list[tuple[Any, ...]] = []
        links: list[tuple[Any, ...]] = []
        if self._legacy.is_file():
            try:
                old = sqlite3.connect(f"{self._legacy.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
                try:
                    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                    if "read_marks" in tables:
                        marks = old.execute("SELECT story, hash, at FROM read_marks").fetchall()
                    if "aliases" in tables:
                        links = old.execute("SELECT id, story FROM aliases").fetchall()
                finally:
                    old.close()
            except sqlite3.Error as exc:  # an unreadable cache: nothing to adopt
                log.warning("%s: read marks not adopted (%s)", self._legacy, exc)
        with conn:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO read_marks VALUES (?, ?, ?)", _texts(marks, 3))
            conn.executemany("INSERT OR IGNORE INTO aliases VALUES (?, ?)", _texts(links, 2))
            conn.execute("INSERT INTO meta VALUES ('adopted', ?)", (str(self._legacy),))

    def read_marks(self) -> dict[str, tuple[str, str]]:
        """Story id -> (content hash of the version I read, when)."""
        query = "SELECT story, hash, at FROM read_marks"
        rows: list[Any] = self._use(lambda c: c.execute(query).fetchall(), [])
        return {story: (digest, at) for story, digest, at in rows}

    def add_read_marks(self, marks: Iterable[tuple[str, str, str]]) -> None:
        """Keep (story, content hash, when) marks, a newer one replacing the story's older one."""
        rows = list(marks)
        if rows:
            self._use(lambda c: _write(c, "INSERT OR REPLACE INTO read_marks VALUES (?, ?, ?)", rows), None)

    def aliases(self) -> dict[str, str]:
        """Article id -> the story id it continues."""
        rows: list[Any] = self._use(lambda c: c.execute("SELECT id, story FROM aliases").fetchall(), [])
        return {article_id: story for article_id, story in rows}

    def add_aliases(self, links: Iterable[tuple[str, str]]) -> None:
        """Keep (article id, story id) links."""
        rows = list(links)
        if rows:
            self._use(lambda c: _write(c, "INSERT OR REPLACE INTO aliases VALUES (?, ?)", rows), None)

    def opened(self) -> dict[str, str]:
        """Story id -> when I first opened it (in the reading pane or full screen)."""
        rows: list[Any] = self._use(lambda c: c.execute("SELECT story, at FROM opened").fetchall(), [])
        return {story: at for story, at in rows}

    def add_opened(self, marks: Iterable[tuple[str, str]]) -> None:
        """Keep (story, when) for stories opened; the first opening stays."""
        rows = list(marks)
        if rows:
            self._use(lambda c: _write(c, "INSERT OR IGNORE INTO opened VALUES (?, ?)", rows), None)

    def watches(self) -> list[Watch]:
        """My personal watches, by name (owner "": they are mine; the desk part names me)."""
        rows: list[Any] = self._use(
            lambda c: c.execute("SELECT name, query, at FROM watches ORDER BY name").fetchall(), [])
        return [Watch(name, query, "", desk=False, at=at) for name, query, at in _texts(rows, 3)]

    def add_watch(self, name: str, query: str, at: str) -> Watch:
        """Add or change a personal watch; the watch kept. OSError when my file cannot be written."""
        def put(conn: sqlite3.Connection) -> bool:
            _write(conn, "INSERT OR REPLACE INTO watches VALUES (?, ?, ?)", [(name, query, at)])
            return True

        if not self._use(put, False):
            raise OSError(f"{self.path}: the watch could not be kept (see the log)")
        return Watch(name, query, "", desk=False, at=at)

    def remove_watch(self, name: str) -> Watch | None:
        """Remove my personal watch of that name; the watch removed (None: there was none)."""
        def drop(conn: sqlite3.Connection) -> Watch | None:
            row = conn.execute("SELECT name, query, at FROM watches WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            _write(conn, "DELETE FROM watches WHERE name = ?", [(name,)])
            return Watch(str(row[0]), str(row[1]), "", desk=False, at=str(row[2]))

        return self._use(drop, None)


def _write(conn: sqlite3.Connection, sql: str, rows: Sequence[tuple[str, ...]]) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)


def _texts(rows: Sequence[tuple[Any, ...]], width: int) -> list[tuple[str, ...]]:
    """Rows whose every field is text (an old file may hold anything)."""
    return [tuple(str(v) for v in row) for row in rows
            if len(row) == width and all(isinstance(v, str) for v in row)]
