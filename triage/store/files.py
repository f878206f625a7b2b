"""File primitives of the decision store: safe opening, parsing and encoding of TinyDB JSON and
journal lines. No state; JournalStorage (storage.py) puts them together (atomic replacement is
triage.infra.atomic's)."""

from __future__ import annotations

import errno
import gc
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.store.errors import CorruptStoreError, StoreError
from triage.store.lines import MAX_LINE, decode_json, decode_record, own_id, split_lines

__all__ = [
    "MAX_MAIN", "Record", "Tables", "apply_records", "damaged_message", "encode_records", "encode_tables",
    "gc_paused", "journal_path", "lock_path", "open_regular", "os_reason", "parse_journal", "pid_alive",
    "read_main", "stat_key", "stat_or_none",
]

Record = tuple[str, int, dict[str, Any]]  # (table, doc id, document)
MAX_MAIN = 2 << 30  # bytes of a main file the store reads (10^6 events take about 400 MiB)
Tables = dict[str, dict[str, Any]]


def journal_path(path: Path) -> Path:
    """The journal file that belongs to a main file."""
    return path.with_name(path.name + ".journal")


def lock_path(path: Path) -> Path:
    """The lock file that belongs to a main file."""
    return path.with_name(path.name + ".lock")


def stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def stat_key(st: os.stat_result | None) -> tuple[int, int, int] | None:
    return None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns)


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


def open_regular(path: str | os.PathLike[str], flags: int, mode: int = 0o600, *,
                 one_link: bool = False) -> int:
    """Open a file of the store without blocking on a FIFO; it must be a regular file (with `one_link`,
    without another hard link: it is written in place). A symbolic link is followed only when it is
    this user's own (ELOOP otherwise: another user's link in a shared folder may point anywhere).
    Raises OSError."""
    base = flags | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, base | os.O_NOFOLLOW, mode)
        own_link = False
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        link = os.lstat(path)
        if link.st_uid != os.geteuid():
            raise
        fd = os.open(path, base, mode)  # the user's own link (e.g. a file kept elsewhere, or /dev/full)
        own_link = True
        again = os.lstat(path)  # still the same link of ours: not swapped for another user's meanwhile
        if (again.st_ino, again.st_dev, again.st_uid) != (link.st_ino, link.st_dev, link.st_uid):
            os.close(fd)
            raise OSError(errno.ELOOP, "a symbolic link that changed while opened", str(path)) from None
    try:
        st = os.fstat(fd)
        if not (stat.S_ISREG(st.st_mode) or (own_link and stat.S_ISCHR(st.st_mode))):
            if stat.S_ISDIR(st.st_mode):
                raise OSError(errno.EISDIR, "is a directory", str(path))
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
            raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(path))
        if one_link and st.st_nlink > 1 and stat.S_ISREG(st.st_mode):
            raise OSError(errno.EMLINK, "a hard link to another file, not written", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def os_reason(exc: OSError) -> str:
    """The reason of an OSError in a few words (a link that was not followed says so)."""
    if exc.errno == errno.ELOOP:
        return "a symbolic link of another user, not followed"
    return exc.strerror or str(exc)


def read_main(path: Path) -> Tables | None:
    """Parse the main TinyDB JSON file: None when absent, {} when empty; CorruptStoreError if it does not
    parse."""
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the decisions file ({os_reason(exc)}).") from None
    try:
        with open(fd, "rb", closefd=True) as fh:
            if os.fstat(fh.fileno()).st_size > MAX_MAIN:
                raise StoreError(f"{path}: larger than {MAX_MAIN >> 30} GiB, not read as a decisions file; "
                                 f"it was left untouched (use another file with --db).")
            raw = fh.read()
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the decisions file ({os_reason(exc)}).") from None
    except MemoryError:
        raise StoreError(f"{path}: too large to read into memory; it was left untouched.") from None
    return _parse_main(path, raw)


def _parse_main(path: Path, raw: bytes) -> Tables:
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
        with gc_paused():  # parsing builds ~10^5 dicts: the cyclic GC would rescan them many times
            data = decode_json(text, max_depth=None, strict=False)
    except UnicodeDecodeError as exc:
        why = f"bytes that are not UTF-8 at {exc.start}"
        raise CorruptStoreError(_corrupt_message(path, why), str(path)) from None
    except ValueError as exc:
        raise CorruptStoreError(_corrupt_message(path, str(exc)), str(path)) from None
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


def damaged_message(db: Path, journal: Path, damaged: list[tuple[int, str]]) -> str:
    """One sentence about damaged journal lines: which, why, and the way out."""
    number, why = damaged[0]
    more = f" and {len(damaged) - 1} more line(s)" if len(damaged) > 1 else ""
    return (f"{journal}: line {number} is damaged ({why}){more}; skipped and kept as it is (the file is not "
            f"compacted meanwhile): run `triage recover --db {db}` to set it aside and keep every "
            f"other event.")


def parse_journal(read: Callable[[int], bytes], first_line: int = 1
                  ) -> tuple[list[Record], int, int, list[tuple[int, str]]]:
    """Parse journal lines from a reader: (records, bytes consumed, lines consumed, [(line, why damaged)]).

    The bytes after the last newline are an unfinished append (never acknowledged) and are not
    consumed; a complete line that is not a journal record is damaged: reported, never raised.
    """
    records: list[Record] = []
    damaged: list[tuple[int, str]] = []
    used = lines = 0
    for line, too_long, taken in split_lines(read):
        number = first_line + lines
        used += taken
        lines += 1
        if too_long:
            damaged.append((number, f"longer than {MAX_LINE} bytes"))
            continue
        if not line.strip():
            continue
        try:
            records.append(decode_record(line))
        except ValueError as exc:
            damaged.append((number, str(exc)))
    return records, used, lines, damaged


def encode_records(records: list[Record]) -> bytes:
    """Journal lines for some records."""
    return b"".join(
        json.dumps({"t": t, "id": i, "doc": d}, separators=(",", ":")).encode() + b"\n"
        for t, i, d in records
    )


def encode_tables(tables: Tables) -> bytes:
    """TinyDB JSON for some tables, byte for byte what ``json.dumps(tables)`` gives.

    Encoded a few hundred documents at a time with a pause in between, so a compaction in a
    background thread lets a waiting thread (a decision being saved) run within about a
    millisecond: one ``json.dumps`` of 10^5 documents would hold the GIL throughout.
    """
    dumps = json.dumps
    parts = []
    for name, table in tables.items():
        items = list(table.items())
        chunks = []
        for start in range(0, len(items), 256):
            chunks.append(", ".join([f"{dumps(str(k))}: {dumps(d)}" for k, d in items[start:start + 256]]))
            time.sleep(0)  # give the GIL to a thread that waits for it
        parts.append(f"{dumps(name)}: {{{', '.join(chunks)}}}")
    return ("{" + ", ".join(parts) + "}").encode()


def apply_records(tables: Tables, records: list[Record]) -> list[Record]:
    """Add journal records to tables, skipping ids already present (a compaction that was cut short);
    an id far past the table's newest is not taken (see lines.own_id): the record goes after it."""
    applied = []
    top: dict[str, int] = {}
    for table, doc_id, doc in records:
        current = tables.setdefault(table, {})
        if table not in top:
            top[table] = max((int(k) for k in current if k.isascii() and k.isdigit()), default=0)
        filed = own_id(doc_id, top[table])
        if filed != doc_id and doc in current.values():
            continue  # filed after the others already (by an earlier read of the same line)
        if filed <= top[table]:
            continue
        current[str(filed)] = doc
        top[table] = filed
        applied.append((table, filed, doc))
    return applied


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
