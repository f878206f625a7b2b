"""Recover the events that still parse from a damaged decisions file (and its journal) into a new file."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.store.errors import StoreError
from triage.store.events import SCHEMA_VERSION, normalise_doc, utc_now_iso
from triage.store.rescue import default_rescue_dirs, locked_rescue_files
from triage.store.storage import atomic_write_json, journal_path

__all__ = ["RecoverReport", "recover", "recover_events", "salvage"]

_ENTRY = re.compile(r'"(\d+)"\s*:\s*\{')


def _salvage_main(text: str) -> tuple[dict[int, dict[str, Any]], int]:
    """Event documents by id from TinyDB JSON that may be truncated or damaged; (events, entries lost)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        events = data.get("events")
        if isinstance(events, dict):
            found, lost = {}, 0
            for key, doc in events.items():
                norm = normalise_doc(doc) if key.isdigit() else None
                if norm is None:
                    lost += 1
                else:
                    found[int(key)] = norm
            return found, lost
    start = text.find('"events"')
    pos = max(start, 0)
    decoder = json.JSONDecoder()
    found, lost = {}, 0
    while match := _ENTRY.search(text, pos):
        try:
            doc, end = decoder.raw_decode(text, match.end() - 1)
        except ValueError:
            lost += 1
            pos = match.end()
            continue
        pos = end
        norm = normalise_doc(doc)
        if norm is not None:  # documents of other tables (meta) are not events and not lost
            found[int(match.group(1))] = norm
    return found, lost


def _salvage_journal(raw: bytes) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    found, lost = [], 0
    lines = raw.split(b"\n")
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            norm = normalise_doc(obj["doc"]) if obj.get("t") == "events" else None
            doc_id = int(obj["id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            norm, doc_id = None, 0
        if norm is None:
            lost += 1
        else:
            found.append((doc_id, norm))
    return found, lost


def salvage(src: Path) -> tuple[list[dict[str, Any]], int]:
    """Every event that still parses in `src` and its journal, in order; (events, entries lost)."""
    journal = journal_path(src)
    if not src.exists() and not journal.exists():
        raise StoreError(f"{src}: no such decisions file.")
    try:
        text = src.read_bytes().decode("utf-8", errors="replace") if src.exists() else ""
        jraw = journal.read_bytes() if journal.exists() else b""
    except OSError as exc:
        raise StoreError(f"{src}: cannot read the decisions file ({exc.strerror or exc}).") from None
    main, lost = _salvage_main(text)
    jfound, jlost = _salvage_journal(jraw)
    top = max(main, default=0)
    ordered = [main[k] for k in sorted(main)]
    for doc_id, doc in jfound:
        if doc_id > top:  # ids at or below the main file's were compacted into it already
            ordered.append(doc)
            top = doc_id
    return ordered, lost + jlost


@dataclass(frozen=True)
class RecoverReport:
    """What recover_events copied: events that still parse, entries lost, events added from rescue files."""

    found: int  # events written to the new file (rescued ones included)
    lost: int  # damaged entries that could not be read
    rescued: int = 0  # of `found`, events taken from rescue files (decisions an earlier session could not write)
    rescue_paths: tuple[Path, ...] = ()


def _rescued(src: Path, dirs: Sequence[Path], known: set[str]) -> tuple[list[dict[str, Any]], tuple[Path, ...]]:
    """Events of the rescue files of `src` whose uid is not among `known` (the files are left as they are)."""
    with locked_rescue_files(src, dirs) as (files, _problems):
        out = []
        for found in files:
            for doc in found.docs:
                if doc["uid"] not in known:
                    known.add(doc["uid"])
                    out.append(doc)
        return out, tuple(f.path for f in files)


def recover_events(src: str | os.PathLike[str], dst: str | os.PathLike[str], *,
                   rescue_dirs: Sequence[str | os.PathLike[str]] | None = None) -> RecoverReport:
    """Write every event that still parses in `src` (+ journal), and the events of its rescue files not
    already among them, to the new file `dst`; `src` and the rescue files are never modified.

    `dst` must not exist yet. `rescue_dirs`: the fallback rescue places (default: default_rescue_dirs()).
    """
    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if dst.exists() or journal_path(dst).exists():
        raise StoreError(f"{dst}: already exists; recover writes a new file, choose another name.")
    if dst.resolve() == src.resolve():
        raise StoreError(f"{dst}: is the damaged file itself; recover writes a new file.")
    events, lost = salvage(src)
    dirs = [Path(d) for d in rescue_dirs] if rescue_dirs is not None else default_rescue_dirs()
    extra, paths = _rescued(src, dirs, {d["uid"] for d in events if d.get("uid")})
    events += extra
    tables = {
        "events": {str(n): doc for n, doc in enumerate(events, 1)},
        "meta": {"1": {"schema_version": SCHEMA_VERSION, "app": "triage", "created": utc_now_iso(),
                       "recovered_from": str(src)}},
    }
    mode = (src.stat().st_mode & 0o777) if src.exists() else 0o600
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(dst, tables, mode)
    except OSError as exc:
        raise StoreError(f"{dst}: cannot write the recovered file ({exc.strerror or exc}).") from None
    return RecoverReport(len(events), lost, len(extra), paths)


def recover(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> tuple[int, int]:
    """Write every event that still parses in `src` (+ journal, + rescue files) to the new file `dst`;
    src is never modified. Returns (events recovered, entries lost). `dst` must not exist yet."""
    report = recover_events(src, dst)
    return report.found, report.lost
