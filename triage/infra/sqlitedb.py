"""Opening the SQLite files that are speed-ups (search and duplicate indexes): WAL, shared by threads,
and an in-memory database when the file cannot be used, since nothing in them is a source of truth."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["open_index", "transaction"]

log = logging.getLogger(__name__)


def open_index(path: Path | None, prepare: Callable[[sqlite3.Connection], sqlite3.Connection],
               what: str) -> sqlite3.Connection:
    """A connection (autocommit, usable from any thread under the caller's lock) to `path`, prepared by
    `prepare`; in memory when `path` is None or the file cannot be used (said in the log, `what` names it)."""
    if path is not None:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return prepare(conn)
        except (sqlite3.Error, OSError) as exc:
            log.warning("%s %s unusable (%s): keeping it in memory", what, path, exc)
    return prepare(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection: committed at the end, rolled back (and the
    error raised) when anything in it, or the commit itself, fails (a full disk, say)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise
