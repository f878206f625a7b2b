"""File primitives of the decision store: parse and encode TinyDB JSON and journal lines, fsynced
temp files and atomic replacement. No state; JournalStorage (storage.py) puts them together."""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.infra.atomic import fsync_dir, replace, temp_name, unlink_quietly, write_temp  # noqa: F401 - re-exported
from triage.store.errors import CorruptStoreError, StoreError

__all__ = [
    "Record",
    "Tables",
    "apply_records",
    "atomic_write_json",
    "encode_records",
    "encode_tables",
    "fsync_dir",
    "gc_paused",
    "journal_path",
    "lock_path",
    "os_reason",
    "parse_journal",
    "pid_alive",
    "read_main",
    "stat_key",
    "stat_or_none",
    "temp_name",
    "unlink_quietly",
    "write_temp",
]

Record = tuple[str, int, dict[str, Any]]  # (table, doc id, document)
Tables = dict[str, dict[str, Any]]


def journal_path(path: Path) -> Path:
    """The journal file that belongs to a main file."""
    return path.with_name(path.name + ".journal")


def lock_path(path: Path) -> Path:
    """The lock file that belongs to a main file."""
    return path.with_name(path.name + ".lock")


def os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


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


def read_main(path: Path) -> Tables | None:
    """Parse the main TinyDB JSON file: None when absent, {} when empty; CorruptStoreError if it does not parse."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StoreError(f"{path}: is a directory, not a decisions file.") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the decisions file ({os_reason(exc)}).") from None
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


def atomic_write_json(path: Path, data: Any, mode: int, like: os.stat_result | None = None) -> None:
    """Write JSON to `path` atomically: temp file, fsync, os.replace, fsync of the directory.

    The new file gets the mode and group of `like` (the file it replaces) when given, else `mode`.
    """
    replace(write_temp(path, encode_tables(data) if _is_tables(data) else json.dumps(data).encode(), mode, like),
            path)


def _is_tables(data: Any) -> bool:
    return isinstance(data, dict) and all(isinstance(t, dict) for t in data.values())


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
