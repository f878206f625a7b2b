"""Recover the events that still parse from a damaged decisions file (and its journal) into a new file.

Whatever a line or an entry holds, recovery ends with a usable new file; what could not be read is
kept aside, byte for byte, in ``<new file>.damaged-<stamp>.jsonl`` (0600), never dropped.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.infra.atomic import make_dirs, replace, write_temp
from triage.store.errors import StoreError
from triage.store.events import SCHEMA_VERSION, normalise_doc, utc_now_iso
from triage.store.files import MAX_MAIN, encode_tables, journal_path, open_regular, os_reason
from triage.store.lines import (
    MAX_ID_STEP,
    MAX_LINE,
    decode_json,
    decode_prefix,
    decode_record,
    split_lines,
)
from triage.store.rescue import default_rescue_dirs, locked_rescue_files

__all__ = ["RecoverReport", "recover", "recover_events", "salvage"]

_ENTRY = re.compile(r'"(\d{1,15})"\s*:\s*\{')


def _event(doc: Any) -> dict[str, Any] | None:
    """An entry as an event of the current shape (every field of its type), or None when it is not one."""
    return normalise_doc(doc)


def _salvage_main(text: str, aside: list[bytes]) -> tuple[dict[int, dict[str, Any]], int]:
    """Event documents by id from TinyDB JSON that may be truncated or damaged; (events, entries lost)."""
    try:
        data = decode_json(text, max_depth=None, strict=False)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("events"), dict):
        found, lost = {}, 0
        for key, doc in data["events"].items():
            norm = _event(doc) if key.isascii() and key.isdigit() and len(key) < 16 else None
            if norm is None:
                lost += 1
                aside.append(encode_tables({"events": {key: doc}}))
            else:
                found[int(key)] = norm
        return found, lost
    start = text.find('"events"')
    pos = max(start, 0)
    found, lost = {}, 0
    while match := _ENTRY.search(text, pos):
        try:
            doc, end = decode_prefix(text, match.end() - 1)
        except ValueError:
            lost += 1
            following = _ENTRY.search(text, match.end())
            stop = following.start() if following else len(text)
            aside.append(text[match.start():min(stop, match.start() + MAX_LINE)].encode("utf-8", "replace"))
            pos = match.end()
            continue
        pos = end
        norm = normalise_doc(doc)
        if norm is not None:  # documents of other tables (meta) are not events and not lost
            found[int(match.group(1))] = norm
    if data is None and not found and not lost and text.strip():  # not JSON, and no entry in it at all
        lost = 1
        aside.append(text[:MAX_LINE].encode("utf-8", "replace"))
    return found, lost


def _salvage_journal(path: Path, aside: list[bytes], problems: list[str]
                     ) -> tuple[list[tuple[int, dict[str, Any], bytes]], int]:
    """(id, event, the line) of each journal line that is an event, in file order; lines lost."""
    found: list[tuple[int, dict[str, Any], bytes]] = []
    lost = 0
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return found, lost
    except OSError as exc:  # a FIFO, a directory, another user's link: nothing in it can be read
        problems.append(f"{path}: not read ({os_reason(exc)})")
        return found, lost
    try:
        size = os.fstat(fd).st_size
        left = [size]

        def read(n: int) -> bytes:
            data = os.read(fd, min(n, left[0])) if left[0] > 0 else b""
            left[0] -= len(data)
            return data

        lines = list(split_lines(read))
        used = sum(taken for _, _, taken in lines)
        tail = b""
        if used < size:  # an unfinished last line: read as a line of its own
            os.lseek(fd, used, os.SEEK_SET)
            tail = os.read(fd, MAX_LINE + 1)
    except OSError as exc:
        problems.append(f"{path}: not read to its end ({os_reason(exc)})")
        return found, lost
    finally:
        os.close(fd)
    items = [(line, too_long) for line, too_long, _ in lines]
    if tail.strip():
        items.append((tail, len(tail) > MAX_LINE))
    for line, too_long in items:
        if not line.strip():
            continue
        norm = None
        if not too_long:
            try:
                table, doc_id, doc = decode_record(line)
                norm = _event(doc) if table == "events" else None
            except ValueError:
                norm = None
        if norm is None:
            lost += 1
            aside.append(line[:MAX_LINE])
        else:
            found.append((doc_id, norm, line))
    return found, lost


def _read_main(src: Path, problems: list[str]) -> str:
    try:
        fd = open_regular(src, os.O_RDONLY)
    except FileNotFoundError:
        return ""
    except OSError as exc:  # a FIFO, a directory, another user's link: nothing in it can be read
        problems.append(f"{src}: not read ({os_reason(exc)})")
        return ""
    try:
        if os.fstat(fd).st_size > MAX_MAIN:
            problems.append(f"{src}: not read (larger than {MAX_MAIN >> 30} GiB)")
            return ""
        with open(fd, "rb", closefd=False) as fh:
            return fh.read().decode("utf-8", errors="replace")
    except MemoryError:
        problems.append(f"{src}: not read (too large to read into memory)")
        return ""
    except OSError as exc:
        problems.append(f"{src}: not read ({os_reason(exc)})")
        return ""
    finally:
        os.close(fd)


def salvage(src: Path, aside: list[bytes] | None = None, problems: list[str] | None = None
            ) -> tuple[list[dict[str, Any]], int]:
    """Every event that still parses in `src` and its journal, in order; (events, entries lost).

    The raw bytes of each lost entry or line are added to `aside`; a file that cannot be read at all
    (a FIFO, a directory, another user's link) is named in `problems` and counts as one lost entry."""
    journal = journal_path(src)
    if not os.path.lexists(src) and not os.path.lexists(journal):
        raise StoreError(f"{src}: no such decisions file.")
    aside = [] if aside is None else aside
    problems = [] if problems is None else problems
    main, lost = _salvage_main(_read_main(src, problems), aside)
    main, far = _in_bounds(main, aside)
    jfound, jlost = _salvage_journal(journal, aside, problems)
    top = max(main, default=0)
    held = dict(main)  # id -> event, to know a line compacted (or written twice) already
    ordered = [main[k] for k in sorted(main)]
    for doc_id, doc, line in jfound:
        if doc_id > top + MAX_ID_STEP:  # an id far past the others (see lines.own_id): set aside
            jlost += 1
            aside.append(line)
            top = doc_id  # the lines after it that number on from it are kept
            continue
        if held.get(doc_id) == doc:
            continue
        held[doc_id] = doc
        ordered.append(doc)
        top = max(top, doc_id)
    return ordered, lost + far + jlost + len(problems)


def _in_bounds(main: dict[int, dict[str, Any]], aside: list[bytes]) -> tuple[dict[int, dict[str, Any]], int]:
    """The main file's events without an entry whose id is far past the ones before it (set aside);
    (events, how many were set aside)."""
    kept: dict[int, dict[str, Any]] = {}
    top = 0
    for key in sorted(main):
        if key > top + MAX_ID_STEP:
            aside.append(encode_tables({"events": {str(key): main[key]}}))
        else:
            kept[key] = main[key]
        top = key
    return kept, len(main) - len(kept)


@dataclass(frozen=True)
class RecoverReport:
    """What recover_events copied: events that still parse, entries lost, events added from rescue files."""

    found: int  # events written to the new file (rescued ones included)
    lost: int  # damaged entries that could not be read (kept in `damaged_path`)
    rescued: int = 0  # of `found`, events from rescue files (decisions an earlier session could not write)
    rescue_paths: tuple[Path, ...] = ()
    damaged_path: Path | None = None  # the damaged lines, byte for byte (None: there were none)
    unreadable: tuple[str, ...] = ()  # files that could not be read at all, each with the reason


def _rescued(src: Path, dirs: Sequence[Path],
             known: set[str]) -> tuple[list[dict[str, Any]], tuple[Path, ...]]:
    """Events of the rescue files of `src` whose uid is not among `known` (the files are left as they are)."""
    with locked_rescue_files(src, dirs) as (files, _problems, _refused):
        out = []
        for found in files:
            for doc in found.docs:
                if doc["uid"] not in known:
                    known.add(doc["uid"])
                    out.append(doc)
        return out, tuple(f.path for f in files)


def recover_events(src: str | os.PathLike[str], dst: str | os.PathLike[str], *,
                   rescue_dirs: Sequence[str | os.PathLike[str]] | None = None,
                   group_share: bool = False) -> RecoverReport:
    """Write every event that still parses in `src` (+ journal), and the events of its rescue files not
    already among them, to the new file `dst`; `src` and the rescue files are never modified.

    `dst` must not exist yet. `rescue_dirs`: the fallback rescue places (default: default_rescue_dirs()).
    The new file is 0600 (0660 with `group_share`); the damaged lines set aside are always 0600.
    """
    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if os.path.lexists(dst) or os.path.lexists(journal_path(dst)):
        raise StoreError(f"{dst}: already exists; recover writes a new file, choose another name.")
    if dst.resolve() == src.resolve():
        raise StoreError(f"{dst}: is the damaged file itself; recover writes a new file.")
    aside: list[bytes] = []
    problems: list[str] = []
    events, lost = salvage(src, aside, problems)
    dirs = [Path(d) for d in rescue_dirs] if rescue_dirs is not None else default_rescue_dirs()
    extra, paths = _rescued(src, dirs, {d["uid"] for d in events if d.get("uid")})
    events += extra
    tables = {
        "events": {str(n): doc for n, doc in enumerate(events, 1)},
        "meta": {"1": {"schema_version": SCHEMA_VERSION, "app": "triage", "created": utc_now_iso(),
                       "recovered_from": str(src)}},
    }
    mode = 0o660 if group_share else 0o600
    damaged_path = None
    try:
        make_dirs(dst.parent, 0o770 if group_share else 0o700)
        if aside:
            damaged_path = dst.with_name(f"{dst.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
            replace(write_temp(damaged_path, b"".join(line + b"\n" for line in aside), 0o600), damaged_path)
        replace(write_temp(dst, encode_tables(tables), mode), dst)
    except OSError as exc:
        raise StoreError(f"{dst}: cannot write the recovered file ({os_reason(exc)}).") from None
    return RecoverReport(len(events), lost, len(extra), paths, damaged_path, tuple(problems))


def recover(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> tuple[int, int]:
    """Write every event that still parses in `src` (+ journal, + rescue files) to the new file `dst`;
    src is never modified. Returns (events recovered, entries lost). `dst` must not exist yet."""
    report = recover_events(src, dst)
    return report.found, report.lost
