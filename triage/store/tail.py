"""Catching up after another process compacted: the meta document and the newest events, read from
the end of the main file only (compaction writes the events in id order and the meta table last)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from triage.store.files import open_regular
from triage.store.lines import decode_json, decode_prefix

__all__ = ["tail_meta"]

# a document key in TinyDB JSON (outside strings: quotes there are escaped)
_ENTRY_KEY = re.compile(rb'"(\d+)": \{')


def tail_meta(path: Path, known: int) -> tuple[dict[str, Any], list[tuple[int, Any]] | None] | None:
    """From the end of the main file only: the meta document, and the events with ids above `known`.

    Compaction writes the events in id order and the meta table after them, so a reader that
    holds events 1..known can catch up after another process compacted without parsing the
    whole file. Returns None when the file does not end that way; the event list is None when
    they are not all within the last few MiB (the caller then reads the whole file).
    """
    try:
        fd = open_regular(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        os.lseek(fd, max(0, size - (1 << 22)), os.SEEK_SET)
        chunk = os.read(fd, 1 << 22)
    except OSError:
        return None
    finally:
        os.close(fd)
    pos = chunk.rfind(b'"meta": {')
    if pos < 0:
        return None
    try:
        text = chunk[pos + 8:].decode("utf-8")
        table, end = decode_prefix(text)
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
    keys = list(_ENTRY_KEY.finditer(chunk, max(0, pos - 65536), pos))
    last = keys[-1] if keys else None
    if last is None or int(last.group(1)) != through:
        return None
    if through <= known:
        return doc, []
    start = chunk.rfind(b'"%d": {' % (known + 1), 0, pos)
    head = chunk[start:pos].rstrip()
    if start < 0 or not head.endswith(b"},"):
        return doc, None
    try:  # '"5": {...}, "6": {...}},' -> the events table's last entries as one object
        events = decode_json((b"{" + head[:-2] + b"}").decode("utf-8"), max_depth=None)
        newer = [(int(k), v) for k, v in events.items()]
    except (ValueError, UnicodeDecodeError):
        return doc, None
    if not all(isinstance(v, dict) for _, v in newer):
        return doc, None
    return doc, newer
