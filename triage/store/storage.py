"""Durable TinyDB storage: a main TinyDB JSON file plus an append-only journal beside it.

Layout for a store at ``decisions.json``:

* ``decisions.json``          the TinyDB JSON file (``{"events": {"1": {...}}, "meta": {...}}``); plain
                              ``tinydb.TinyDB(path)`` reads it. Only ever replaced atomically (temp file,
                              fsync, ``os.replace``, fsync of the directory), never truncated in place.
* ``decisions.json.journal``  one JSON line per change ``{"t": table, "id": doc_id, "doc": {...}}``,
                              appended with one write + fdatasync per change (the fast durable path).
                              Replayed on open; folded into the main file by :meth:`JournalStorage.compact`.
* ``decisions.json.lock``     the flock taken around every read-modify-write (lock.py).

Compaction (``point`` -> ``prepare`` -> ``install``): the events up to a point are written to an fsynced
temp file, possibly without the lock and off the caller's thread; then, under the lock, the temp file
replaces the main file (os.replace + fsync of the directory) unless another process compacted
meanwhile, and the journal lines written after the point move to a fresh journal (or it is emptied).

Crash safety: a kill during an append leaves at most an incomplete last line (no newline), which was
never acknowledged; it is ignored by readers and cut off by the next writer (under the lock). A kill
during compaction leaves either the old main file (the journal is intact) or the new one with the
journal not yet rewritten: journal records whose id is already in the main file are skipped on replay.
Temp files of a killed compaction are removed by a later one once their process is gone.

Plain TinyDB readers see only compacted events; ``JournalStorage`` used as a TinyDB storage
(``TinyDB(path, storage=JournalStorage)``) sees everything.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from triage.infra.atomic import fsync_dir, make_dirs, replace, unlink_quietly, write_all, write_temp
from triage.store.errors import LockTimeoutError, StoreError
from triage.store.files import (
    Record,
    Tables,
    apply_records,
    damaged_message,
    encode_records,
    encode_tables,
    gc_paused,
    journal_path,
    lock_path,
    open_regular,
    os_reason,
    parse_journal,
    pid_alive,
    read_main,
    stat_key,
    stat_or_none,
)
from triage.store.lock import LockTimeout, StoreLock
from triage.store.tail import tail_meta

__all__ = [
    "JournalStorage", "Record", "Tables", "apply_records", "gc_paused", "journal_path", "lock_path",
    "read_main",
]


class JournalStorage(Storage):
    """TinyDB Storage over a main JSON file and an fsynced append-only journal (see module docstring).

    As a TinyDB storage, ``read()`` returns main + journal and ``write()`` compacts atomically. The
    decision store uses the incremental methods (``poll``, ``load``, ``read_new``, ``append``,
    ``compact``) with :meth:`locked` held, so a change costs one small append instead of a rewrite.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, group_share: bool = False, lock_timeout: float = 10.0,
        **_ignored: Any,
    ) -> None:
        self.path = Path(path)
        self.journal = journal_path(self.path)
        self.mode = 0o660 if group_share else 0o600
        self._lock = StoreLock(lock_path(self.path), mode=self.mode, timeout=lock_timeout)
        self.lock_timeout = lock_timeout
        self._main_key: tuple[int, int, int] | None = None
        self._j_ino: int | None = None
        self._j_offset = 0
        self._j_lines = 0  # lines of the journal read so far (damaged ones are named by number)
        self.journal_records = 0  # complete records in the journal as of the last load/read/append
        self.damaged: list[tuple[int, str]] = []  # damaged journal lines (number, why): no compaction then
        self.held_back = ""  # why the main file must not be rewritten now ("" when it may)
        self.full_loads = 0  # how many times the main file was parsed (a figure for tests and benchmarks)

    # ---- locking -------------------------------------------------------------------------------
    @contextmanager
    def locked(self, *, create: bool = True) -> Iterator[bool]:
        """Hold the inter-process lock; yields False (no lock) when reading a store that does not exist."""
        if not create and not (self.path.exists() or self.journal.exists()):
            yield False  # nothing to read yet: do not create a lock file just to look
            return
        if create:
            self._ensure_dir()
        acquired = False
        try:
            self._lock.acquire()
            acquired = True
        except LockTimeout:
            raise LockTimeoutError(
                f"{self.path}: locked by another process for more than {self.lock_timeout:g} s."
            ) from None
        except OSError as exc:
            if create:
                raise StoreError(f"{self._lock.path}: cannot use the lock file ({os_reason(exc)}).") from None
            # e.g. a read-only directory: read without the lock (appends are whole lines anyway)
        try:
            self._check_owners()
            yield acquired
        finally:
            if acquired:
                self._lock.release()

    def _check_owners(self) -> None:
        """StoreError when the main file or the journal of a store that is not group-shared belongs to
        another user: planted beside ours in a shared folder, its lines would be read as our decisions
        and ours written where that user can change them."""
        if self.mode & 0o070:
            return
        for path in (self.path, self.journal):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_uid != os.geteuid():
                raise StoreError(f"{path}: belongs to another user (uid {st.st_uid}), so it is not used as "
                                 "your private decisions file; use a file of your own (--db), or set "
                                 "store.group_share for a file a group shares.")

    def _ensure_dir(self) -> None:
        make_dirs(self.path.parent, 0o770 if self.mode == 0o660 else 0o700)

    # ---- change detection ------------------------------------------------------------------------
    def poll(self) -> str:
        """Cheap stat check: 'same', 'journal' (new journal bytes) or 'reload' (main file replaced)."""
        if stat_key(stat_or_none(self.path)) != self._main_key:
            return "reload"
        st = stat_or_none(self.journal)
        if st is None:
            return "same" if self._j_ino is None else "reload"
        if self._j_ino is not None and st.st_ino != self._j_ino:
            return "reload"
        if st.st_size > self._j_offset:
            return "journal"
        return "same" if st.st_size == self._j_offset else "reload"

    def forget(self) -> None:
        """Drop what is known about the files, so the next poll() says 'reload'."""
        self._main_key = (-1, -1, -1)
        self._restart_journal()

    def _restart_journal(self) -> None:
        self._j_ino, self._j_offset, self._j_lines, self.journal_records = None, 0, 0, 0
        self.damaged = []

    @property
    def damage(self) -> str:
        """One sentence about what is damaged and kept as it is ("" when nothing is)."""
        if self.damaged:
            return damaged_message(self.path, self.journal, self.damaged)
        return self.held_back

    def load(self) -> tuple[Tables | None, list[Record]]:
        """Read the main file and the whole journal (caller holds the lock)."""
        st = stat_or_none(self.path)
        tables = read_main(self.path)
        self.full_loads += 1
        self._main_key = stat_key(st)
        self._restart_journal()
        return tables, self.read_new()

    def main_unchanged(self) -> bool:
        """True if the main file is the one last read (only the journal changed)."""
        return stat_key(stat_or_none(self.path)) == self._main_key

    def reread_journal(self) -> list[Record]:
        """Every record of the journal from its start, keeping what is known of the main file (lock held)."""
        self._restart_journal()
        return self.read_new()

    def adopt_main(self) -> list[Record]:
        """Take the current main file as read without parsing it (the caller knows its events), then
        read the whole journal (lock held)."""
        self._main_key = stat_key(stat_or_none(self.path))
        return self.reread_journal()

    def tail_meta(self, known: int) -> tuple[dict[str, Any], list[tuple[int, Any]] | None] | None:
        """The meta document and newer events from the end of the main file (see triage.store.tail)."""
        return tail_meta(self.path, known)

    def read_new(self) -> list[Record]:
        """Records appended to the journal since the last read (caller holds the lock); damaged lines
        are skipped and listed in `damaged`."""
        try:
            fd = open_regular(self.journal, os.O_RDONLY)
        except FileNotFoundError:
            self._j_ino, self._j_offset = None, 0
            return []
        except OSError as exc:
            raise StoreError(f"{self.journal}: cannot read the journal ({os_reason(exc)}).") from None
        try:
            st = os.fstat(fd)
            if st.st_ino != self._j_ino:
                self._restart_journal()
            self._j_ino = st.st_ino
            os.lseek(fd, self._j_offset, os.SEEK_SET)
            left = [max(0, st.st_size - self._j_offset)]  # what the size says: never read forever

            def read(n: int) -> bytes:
                data = os.read(fd, min(n, left[0])) if left[0] > 0 else b""
                left[0] -= len(data)
                return data

            records, used, lines, damaged = parse_journal(read, self._j_lines + 1)
        except OSError as exc:
            raise StoreError(f"{self.journal}: cannot read the journal ({os_reason(exc)}).") from None
        finally:
            os.close(fd)
        self._j_offset += used
        self._j_lines += lines
        self.damaged.extend(damaged)
        self.journal_records += len(records) + len(damaged)
        return records

    # ---- writing ---------------------------------------------------------------------------------
    def append(self, records: list[Record]) -> None:
        """Append records to the journal with one write and one fdatasync (caller holds the lock).

        The caller must have called load()/read_new() under this same lock hold, so any bytes past the
        known offset are an unfinished line from a writer that died holding the lock: they are cut off.
        """
        data = encode_records(records)
        existed = self._j_ino is not None or self.journal.exists()
        try:
            fd = open_regular(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self.mode, one_link=True)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EINVAL, errno.EMLINK):
                raise StoreError(f"{self.journal}: cannot write the journal ({os_reason(exc)}).") from None
            raise
        try:
            st = os.fstat(fd)
            if not existed:
                os.fchmod(fd, self.mode)
            if st.st_size != self._j_offset:
                if st.st_size < self._j_offset or (self._j_ino is not None and st.st_ino != self._j_ino):
                    raise StoreError(f"{self.journal}: the journal changed without the lock; not written.")
                os.ftruncate(fd, self._j_offset)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fdatasync(fd)
        except BaseException:
            try:  # take back a partial append (disk full): the caller keeps the records and retries
                os.ftruncate(fd, self._j_offset)
            except OSError:
                pass
            os.close(fd)
            raise
        os.close(fd)
        if not existed:
            fsync_dir(self.journal.parent)
        self._j_ino = st.st_ino
        self._j_offset += len(data)
        self.journal_records += len(records)

    def compact(self, tables: Tables) -> None:
        """Write `tables` as the new main file atomically, then empty the journal (caller holds the lock)."""
        point = self.point()
        tmp = self.prepare(tables)
        if not self.install(tmp, point):  # cannot happen while the lock is held throughout
            raise StoreError(f"{self.path}: changed during compaction; not replaced.")

    # A compaction in three steps, so the slow middle one can run without the lock (and off the UI
    # thread): point() and install() with the lock held, prepare() without it.
    def point(self) -> tuple[Any, ...]:
        """What the files look like now, as far as this storage has read them (lock held, synced)."""
        return (self._main_key, self._j_ino, self._j_offset)

    def prepare(self, tables: Tables) -> Path:
        """Encode and write `tables` to an fsynced temp file beside the main file (no lock needed).

        Refused (StoreError) while something is damaged: rewriting would drop it (see `damage`)."""
        if self.damage:
            raise StoreError(self.damage)
        return write_temp(self.path, encode_tables(tables), self.mode, stat_or_none(self.path))

    def install(self, tmp: Path, point: tuple[Any, ...]) -> bool:
        """Replace the main file with `tmp` and keep only the journal lines written after `point`.

        Lock held, and the caller has read the journal to its end. False (temp removed, nothing
        changed) if another process compacted since `point`.
        """
        main_key, j_ino, j_offset = point
        st = stat_or_none(self.journal)
        replaced = st is not None and j_ino is not None and st.st_ino != j_ino
        if stat_key(stat_or_none(self.path)) != main_key or replaced:
            unlink_quietly(tmp)
            return False
        self._remove_stale_temps()
        replace(tmp, self.path)
        self._main_key = stat_key(stat_or_none(self.path))
        # A kill from here on leaves journal lines whose ids are in the main file: replay skips them.
        tail = b""
        if st is not None and st.st_size > j_offset:
            fd = open_regular(self.journal, os.O_RDONLY)
            try:
                os.lseek(fd, j_offset, os.SEEK_SET)
                tail = os.read(fd, st.st_size - j_offset)
            finally:
                os.close(fd)
            tail = tail[: tail.rfind(b"\n") + 1]  # an unfinished line (a dead writer's) is dropped
        if st is None:
            self._j_ino = None
        elif not tail:
            fd = open_regular(self.journal, os.O_WRONLY, one_link=True)
            try:
                os.ftruncate(fd, 0)
                os.fsync(fd)
                self._j_ino = os.fstat(fd).st_ino
            finally:
                os.close(fd)
        else:  # lines appended while the temp file was written move to a fresh journal
            replace(write_temp(self.journal, tail, self.mode, st), self.journal)
            fresh = stat_or_none(self.journal)
            self._j_ino = fresh.st_ino if fresh is not None else None
        self._j_offset = len(tail)
        self._j_lines = self.journal_records = tail.count(b"\n")
        return True

    def backup(self, suffix: str) -> Path:
        """Copy the main file beside itself (e.g. before a migration); the copy is fsynced."""
        src = open_regular(self.path, os.O_RDONLY)
        try:
            st = os.fstat(src)
            with open(src, "rb", closefd=False) as fh:
                payload = fh.read()
        finally:
            os.close(src)
        target = self.path.with_name(self.path.name + suffix)
        n = 1
        while True:  # O_EXCL: a name taken (a planted link too) is never written through
            try:
                # our own file's mode; never another member's (a group-shared file may be more open)
                mode = st.st_mode & 0o777 if st.st_uid == os.geteuid() else self.mode
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
                break
            except FileExistsError:
                n += 1
                target = self.path.with_name(f"{self.path.name}{suffix}.{n}")
        try:
            write_all(fd, payload)
        finally:
            os.close(fd)
        fsync_dir(target.parent)
        return target

    def _remove_stale_temps(self) -> None:
        """Remove temp files of compactions whose process is gone (lock held)."""
        host = socket.gethostname()
        for pattern in (f".{self.path.name}.tmp-*", f".{self.journal.name}.tmp-*"):
            for stale in self.path.parent.glob(pattern):
                try:
                    age = time.time() - stale.stat().st_mtime
                except OSError:
                    continue
                rest = stale.name.split(".tmp-", 1)[1]
                writer_host, _, pid_part = rest.rpartition("-")[0].rpartition("-")
                alive = writer_host == host and pid_part.isdigit() and pid_alive(int(pid_part))
                if not alive and (writer_host == host or age > 3600):
                    unlink_quietly(stale)

    # ---- TinyDB Storage API ----------------------------------------------------------------------
    def read(self) -> Tables | None:
        """Main file plus journal, as TinyDB expects (None for a new, empty store)."""
        with self.locked(create=False):
            tables, records = self.load()
        tables = tables or {}
        apply_records(tables, records)
        return tables or None

    def write(self, data: Tables) -> None:
        """Replace the whole database atomically (TinyDB calls this on every change: slow but safe).

        The meta document gets a new uuid: open decision stores then read the file in full, since
        a TinyDB caller may have changed any document, not only appended.
        """
        meta = dict(data.get("meta") or {})
        if isinstance(meta.get("1"), dict):
            meta["1"] = {**meta["1"], "uuid": secrets.token_hex(8)}
            data = {**data, "meta": meta}
        with self.locked():
            self.compact(data)

    def close(self) -> None:
        """Nothing is held open between calls."""
