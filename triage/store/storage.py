"""Durable TinyDB storage: a main TinyDB JSON file plus an append-only journal beside it.

Layout for a store at ``decisions.json``:

* ``decisions.json``          the TinyDB JSON file (``{"events": {"1": {...}}, "meta": {...}}``); plain
                              ``tinydb.TinyDB(path)`` reads it. Only ever replaced atomically (temp file,
                              fsync, ``os.replace``, fsync of the directory), never truncated in place.
* ``decisions.json.journal``  one JSON line per change ``{"t": table, "id": doc_id, "doc": {...}}``,
                              appended with one write + fdatasync per change (the fast durable path).
                              Replayed on open; folded into the main file by :meth:`JournalStorage.compact`.
* ``decisions.json.lock``     the filelock taken around every read-modify-write.

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

import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb.storages import Storage

from triage.store.errors import LockTimeoutError, StoreError
from triage.store.files import (
    Record,
    Tables,
    apply_records,
    atomic_write_json,
    encode_records,
    encode_tables,
    fsync_dir,
    gc_paused,
    journal_path,
    lock_path,
    os_reason,
    parse_journal,
    pid_alive,
    read_main,
    stat_key,
    stat_or_none,
    unlink_quietly,
    write_temp,
)

__all__ = [
    "JournalStorage", "Record", "Tables", "apply_records", "atomic_write_json", "gc_paused", "journal_path",
    "lock_path", "read_main",
]


_ENTRY_KEY = re.compile(rb'"(\d+)": \{')  # a document key in TinyDB JSON (outside strings: quotes there are escaped)


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
        self._lock = FileLock(
            str(lock_path(self.path)), timeout=lock_timeout, mode=self.mode,
            preserve_lock_file=True, poll_interval=0.002,
        )
        self.lock_timeout = lock_timeout
        self._main_key: tuple[int, int, int] | None = None
        self._j_ino: int | None = None
        self._j_offset = 0
        self.journal_records = 0  # complete records in the journal as of the last load/read/append
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
        except Timeout:
            raise LockTimeoutError(
                f"{self.path}: locked by another process for more than {self.lock_timeout:g} s."
            ) from None
        except OSError:
            if create:
                raise
            # e.g. a read-only directory: read without the lock (appends are whole lines anyway)
        try:
            yield acquired
        finally:
            if acquired:
                self._lock.release()

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            mode = 0o770 if self.mode == 0o660 else 0o700
            directory.mkdir(parents=True, mode=mode, exist_ok=True)
            try:
                os.chmod(directory, mode)  # exactly: the umask would take the group's write bit away
            except OSError:
                pass

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
        self._j_ino, self._j_offset, self.journal_records = None, 0, 0

    def load(self) -> tuple[Tables | None, list[Record]]:
        """Read the main file and the whole journal (caller holds the lock)."""
        st = stat_or_none(self.path)
        tables = read_main(self.path)
        self.full_loads += 1
        self._main_key = stat_key(st)
        self._j_ino, self._j_offset, self.journal_records = None, 0, 0
        return tables, self.read_new()

    def main_unchanged(self) -> bool:
        """True if the main file is the one last read (only the journal changed)."""
        return stat_key(stat_or_none(self.path)) == self._main_key

    def reread_journal(self) -> list[Record]:
        """Every record of the journal from its start, keeping what is known of the main file (lock held)."""
        self._j_ino, self._j_offset, self.journal_records = None, 0, 0
        return self.read_new()

    def adopt_main(self) -> list[Record]:
        """Take the current main file as read without parsing it (the caller knows its events), then
        read the whole journal (lock held)."""
        self._main_key = stat_key(stat_or_none(self.path))
        return self.reread_journal()

    def tail_meta(self, known: int) -> tuple[dict[str, Any], list[tuple[int, Any]] | None] | None:
        """From the end of the main file only: the meta document, and the events with ids above `known`.

        Compaction writes the events in id order and the meta table after them, so a reader that
        holds events 1..known can catch up after another process compacted without parsing the
        whole file. Returns None when the file does not end that way; the event list is None when
        they are not all within the last few MiB (the caller then reads the whole file).
        """
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(max(0, size - (1 << 22)))
                chunk = fh.read()
        except OSError:
            return None
        pos = chunk.rfind(b'"meta": {')
        if pos < 0:
            return None
        try:
            text = chunk[pos + 8:].decode("utf-8")
            table, end = json.JSONDecoder().raw_decode(text)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(table, dict) or not text[end:].lstrip().startswith(("}", ",")):
            return None
        doc = table.get("1")
        if not isinstance(doc, dict):
            return None
        through = doc.get("through")
        if not isinstance(through, int):
            return None
        # the last key before the meta table must be event `through`: a document added by another
        # writer (plain TinyDB) that did not update meta makes the caller read the whole file
        last = None
        for last in _ENTRY_KEY.finditer(chunk, max(0, pos - 65536), pos):
            pass
        if last is None or int(last.group(1)) != through:
            return None
        if through <= known:
            return doc, []
        start = chunk.rfind(b'"%d": {' % (known + 1), 0, pos)
        head = chunk[start:pos].rstrip()
        if start < 0 or not head.endswith(b"},"):
            return doc, None
        try:  # '"5": {...}, "6": {...}},' -> the events table's last entries as one object
            events = json.loads(b"{" + head[:-2] + b"}")
            newer = [(int(k), v) for k, v in events.items()]
        except (ValueError, UnicodeDecodeError):
            return doc, None
        if not all(isinstance(v, dict) for _, v in newer):
            return doc, None
        return doc, newer

    def read_new(self) -> list[Record]:
        """Records appended to the journal since the last read (caller holds the lock)."""
        try:
            fd = os.open(self.journal, os.O_RDONLY)
        except FileNotFoundError:
            self._j_ino, self._j_offset = None, 0
            return []
        except OSError as exc:
            raise StoreError(f"{self.journal}: cannot read the journal ({os_reason(exc)}).") from None
        try:
            st = os.fstat(fd)
            if st.st_ino != self._j_ino:
                self._j_offset, self.journal_records = 0, 0
            self._j_ino = st.st_ino
            os.lseek(fd, self._j_offset, os.SEEK_SET)
            chunks, left = [], max(0, st.st_size - self._j_offset)  # what the size says: never read forever
            while left > 0 and (chunk := os.read(fd, min(left, 1 << 22))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise StoreError(f"{self.journal}: cannot read the journal ({os_reason(exc)}).") from None
        finally:
            os.close(fd)
        records, used = parse_journal(b"".join(chunks), self.journal)
        self._j_offset += used
        self.journal_records += len(records)
        return records

    # ---- writing ---------------------------------------------------------------------------------
    def append(self, records: list[Record]) -> None:
        """Append records to the journal with one write and one fdatasync (caller holds the lock).

        The caller must have called load()/read_new() under this same lock hold, so any bytes past the
        known offset are an unfinished line from a writer that died holding the lock: they are cut off.
        """
        data = encode_records(records)
        existed = self._j_ino is not None or self.journal.exists()
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self.mode)
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
        """Encode and write `tables` to an fsynced temp file beside the main file (no lock needed)."""
        return write_temp(self.path, encode_tables(tables), self.mode, stat_or_none(self.path))

    def install(self, tmp: Path, point: tuple[Any, ...]) -> bool:
        """Replace the main file with `tmp` and keep only the journal lines written after `point`.

        Lock held, and the caller has read the journal to its end. False (temp removed, nothing
        changed) if another process compacted since `point`.
        """
        main_key, j_ino, j_offset = point
        st = stat_or_none(self.journal)
        if stat_key(stat_or_none(self.path)) != main_key or (st is not None and j_ino is not None and st.st_ino != j_ino):
            unlink_quietly(tmp)
            return False
        self._remove_stale_temps()
        try:
            os.replace(tmp, self.path)
        except BaseException:
            unlink_quietly(tmp)
            raise
        fsync_dir(self.path.parent)
        self._main_key = stat_key(stat_or_none(self.path))
        # A kill from here on leaves journal lines whose ids are in the main file: replay skips them.
        tail = b""
        if st is not None and st.st_size > j_offset:
            with open(self.journal, "rb") as fh:
                fh.seek(j_offset)
                tail = fh.read(st.st_size - j_offset)
            tail = tail[: tail.rfind(b"\n") + 1]  # an unfinished line (a dead writer's) is dropped
        if st is None:
            self._j_ino = None
        elif not tail:
            fd = os.open(self.journal, os.O_WRONLY)
            try:
                os.ftruncate(fd, 0)
                os.fsync(fd)
                self._j_ino = os.fstat(fd).st_ino
            finally:
                os.close(fd)
        else:  # lines appended while the temp file was written move to a fresh journal
            new = write_temp(self.journal, tail, self.mode, st)
            os.replace(new, self.journal)
            fsync_dir(self.journal.parent)
            self._j_ino = stat_or_none(self.journal).st_ino
        self._j_offset = len(tail)
        self.journal_records = tail.count(b"\n")
        return True

    def backup(self, suffix: str) -> Path:
        """Copy the main file beside itself (e.g. before a migration); the copy is fsynced."""
        target = self.path.with_name(self.path.name + suffix)
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}{suffix}.{n}")
        shutil.copy2(self.path, target)
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
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
