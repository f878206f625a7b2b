"""Opening the SQLite files that are speed-ups (ingest cache, search and duplicate indexes, analyses):
private (folder 0700, the file and its -wal/-shm 0600, or 0770/0660 with a shared group; older, more
open files we own are tightened), WAL, shared by threads, and an in-memory database when the file
cannot be used, since nothing in them is a source of truth."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from triage.infra.private import open_private, private_dir, tighten

__all__ = ["make_private_file", "connect_private", "open_index", "transaction"]

log = logging.getLogger(__name__)


def make_private_file(path: Path, *, group: bool = False) -> None:
    """Create the SQLite file `path` private (0600 in a 0700 folder; 0660/0770 with `group`) before
    SQLite opens it, and tighten its -wal, -shm and -journal files. Raises OSError."""
    path = Path(path)
    private_dir(path.parent, group=group)
    os.close(open_private(path, os.O_RDWR, group=group))  # SQLite gives -wal and -shm the file's mode
    for extra in ("-wal", "-shm", "-journal"):
        tighten(f"{path}{extra}", group=group)


def connect_private(path: Path, *, group: bool = False, timeout: float = 10,
                    check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection to the SQLite file `path`, in WAL mode, made private first (see above).
    Raises sqlite3.Error or OSError."""
    path = Path(path)
    make_private_file(path, group=group)
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None,
                           check_same_thread=check_same_thread)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def open_index(path: Path | None, prepare: Callable[[sqlite3.Connection], sqlite3.Connection],
               what: str, *, group: bool = False) -> sqlite3.Connection:
    """A connection (autocommit, usable from any thread under the caller's lock) to `path`, prepared by
    `prepare`; in memory when `path` is None or the file cannot be used (said in the log, `what` names it)."""
    if path is not None:
        try:
            return prepare(connect_private(Path(path), group=group, check_same_thread=False))
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
