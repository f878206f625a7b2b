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

import gc
import json
import os
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

from triage.store.errors import CorruptStoreError, StoreError

__all__ = ["JournalStorage", "Record", "atomic_write_json", "journal_path", "lock_path", "read_main"]

Record = tuple[str, int, dict[str, Any]]  # (table, doc id, document)
Tables = dict[str, dict[str, Any]]


def journal_path(path: Path) -> Path:
    """The journal file that belongs to a main file."""
    return path.with_name(path.name + ".journal")


def lock_path(path: Path) -> Path:
    """The lock file that belongs to a main file."""
    return path.with_name(path.name + ".lock")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _key(st: os.stat_result | None) -> tuple[int, int, int] | None:
    return None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns)


def fsync_dir(directory: Path) -> None:
    """fsync a directory so a create/rename in it is durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while loading ~10^5 acyclic dicts (it would rescan them many times)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_main(path: Path) -> Tables | None:
    """Parse the main TinyDB JSON file: None when absent, {} when empty; CorruptStoreError if it does not parse."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StoreError(f"{path}: is a directory, not a decisions file.") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the decisions file ({_reason(exc)}).") from None
    if not raw.strip():
        return {}
    try:
        with gc_paused():  # parsing builds ~10^5 dicts: the cyclic GC would rescan them many times
            data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptStoreError(_corrupt_message(path, f"not valid JSON: {exc}"), str(path)) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptStoreError(
            _corrupt_message(path, "not a TinyDB file (expected an object of tables)"), str(path)
        )
    return data


def _corrupt_message(path: Path, why: str) -> str:
    return (
        f"{path}: the decisions file does not parse ({why}); it was left untouched: "
        f"run `triage recover --db {path}` to copy every event that still parses into a new file, "
        f"or use another file with --db."
    )


def parse_journal(raw: bytes, path: Path) -> tuple[list[Record], int]:
    """Parse journal bytes: (records, bytes consumed up to the last newline).

    The bytes after the last newline are an unfinished append (never acknowledged) and are ignored;
    a complete line that does not parse is corruption (CorruptStoreError), because it was acknowledged.
    """
    end = raw.rfind(b"\n") + 1
    records: list[Record] = []
    if end == 0:
        return records, 0
    for number, line in enumerate(raw[:end].split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            record = (str(obj["t"]), int(obj["id"]), obj["doc"])
            if not isinstance(record[2], dict):
                raise TypeError("doc is not an object")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise CorruptStoreError(
                _corrupt_message(path, f"line {number} of the journal is damaged: {exc}"), str(path)
            ) from None
        records.append(record)
    return records, end


def encode_records(records: list[Record]) -> bytes:
    """Journal lines for some records."""
    return b"".join(
        json.dumps({"t": t, "id": i, "doc": d}, separators=(",", ":")).encode() + b"\n"
        for t, i, d in records
    )


def encode_tables(tables: Tables) -> bytes:
    """TinyDB JSON for some tables, byte for byte what ``json.dumps(tables)`` gives.

    Encoded one document at a time, so a compaction in a background thread lets other threads
    run between documents (one ``json.dumps`` of 10^5 documents would hold the GIL throughout).
    """
    dumps = json.dumps
    parts = []
    for name, table in tables.items():
        body = ", ".join([f"{dumps(str(key))}: {dumps(doc)}" for key, doc in table.items()])
        parts.append(f"{dumps(name)}: {{{body}}}")
    return ("{" + ", ".join(parts) + "}").encode()


def temp_name(path: Path) -> Path:
    """A temp file beside `path`, named so a later compaction can tell whether its writer is gone."""
    return path.with_name(f".{path.name}.tmp-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}")


def write_temp(path: Path, payload: bytes, mode: int, like: os.stat_result | None = None) -> Path:
    """Write `payload` to a new fsynced temp file beside `path` (mode and group of `like` if given)."""
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, (like.st_mode & 0o777) if like else mode)
            if like is not None and like.st_gid != os.getegid():
                try:
                    os.fchown(fd, -1, like.st_gid)
                except OSError:
                    pass
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write_json(path: Path, data: Any, mode: int, like: os.stat_result | None = None) -> None:
    """Write JSON to `path` atomically: temp file, fsync, os.replace, fsync of the directory.

    The new file gets the mode and group of `like` (the file it replaces) when given, else `mode`.
    """
    tmp = write_temp(path, encode_tables(data) if _is_tables(data) else json.dumps(data).encode(), mode, like)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    fsync_dir(path.parent)


def _is_tables(data: Any) -> bool:
    return isinstance(data, dict) and all(isinstance(t, dict) for t in data.values())


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
            raise StoreError(
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
            directory.mkdir(parents=True, mode=0o770 if self.mode == 0o660 else 0o700, exist_ok=True)

    # ---- change detection ------------------------------------------------------------------------
    def poll(self) -> str:
        """Cheap stat check: 'same', 'journal' (new journal bytes) or 'reload' (main file replaced)."""
        if _key(_stat(self.path)) != self._main_key:
            return "reload"
        st = _stat(self.journal)
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
        st = _stat(self.path)
        tables = read_main(self.path)
        self.full_loads += 1
        self._main_key = _key(st)
        self._j_ino, self._j_offset, self.journal_records = None, 0, 0
        return tables, self.read_new()

    def main_unchanged(self) -> bool:
        """True if the main file is the one last read (only the journal changed)."""
        return _key(_stat(self.path)) == self._main_key

    def reread_journal(self) -> list[Record]:
        """Every record of the journal from its start, keeping what is known of the main file (lock held)."""
        self._j_ino, self._j_offset, self.journal_records = None, 0, 0
        return self.read_new()

    def adopt_main(self) -> list[Record]:
        """Take the current main file as read without parsing it (the caller knows its events), then
        read the whole journal (lock held)."""
        self._main_key = _key(_stat(self.path))
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
        if not isinstance(through, int) or through <= known:
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
            raise StoreError(f"{self.journal}: cannot read the journal ({_reason(exc)}).") from None
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
            raise StoreError(f"{self.journal}: cannot read the journal ({_reason(exc)}).") from None
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
        return write_temp(self.path, encode_tables(tables), self.mode, _stat(self.path))

    def install(self, tmp: Path, point: tuple[Any, ...]) -> bool:
        """Replace the main file with `tmp` and keep only the journal lines written after `point`.

        Lock held, and the caller has read the journal to its end. False (temp removed, nothing
        changed) if another process compacted since `point`.
        """
        main_key, j_ino, j_offset = point
        st = _stat(self.journal)
        if _key(_stat(self.path)) != main_key or (st is not None and j_ino is not None and st.st_ino != j_ino):
            _unlink(tmp)
            return False
        self._remove_stale_temps()
        try:
            os.replace(tmp, self.path)
        except BaseException:
            _unlink(tmp)
            raise
        fsync_dir(self.path.parent)
        self._main_key = _key(_stat(self.path))
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
            self._j_ino = _stat(self.journal).st_ino
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
                alive = writer_host == host and pid_part.isdigit() and _pid_alive(int(pid_part))
                if not alive and (writer_host == host or age > 3600):
                    _unlink(stale)

    # ---- TinyDB Storage API ----------------------------------------------------------------------
    def read(self) -> Tables | None:
        """Main file plus journal, as TinyDB expects (None for a new, empty store)."""
        with self.locked(create=False):
            tables, records = self.load()
        tables = tables or {}
        apply_records(tables, records)
        return tables or None

    def write(self, data: Tables) -> None:
        """Replace the whole database atomically (TinyDB calls this on every change: slow but safe)."""
        with self.locked():
            self.compact(data)

    def close(self) -> None:
        """Nothing is held open between calls."""


def apply_records(tables: Tables, records: list[Record]) -> list[Record]:
    """Add journal records to tables, skipping ids already present (a compaction that was cut short)."""
    applied = []
    top: dict[str, int] = {}
    for table, doc_id, doc in records:
        current = tables.setdefault(table, {})
        if table not in top:
            top[table] = max((int(k) for k in current), default=0)
        if doc_id <= top[table]:
            continue
        current[str(doc_id)] = doc
        top[table] = doc_id
        applied.append((table, doc_id, doc))
    return applied


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
