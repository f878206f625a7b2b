"""What one line of a shared store file may hold: JSON decoding that never raises anything but
ValueError with a plain reason, the shape of a journal record and of an event document.

Another user who can write the shared folder may put anything in a line: numbers Python cannot hold
(``1e999``, NaN, 5000-digit integers), nesting deep enough to exhaust the stack, lone surrogates that
UTF-8 cannot encode, NUL bytes, bytes that are not UTF-8, a line of a gigabyte, JSON that is not an
event. Each is one damaged line, never a traceback.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MAX_ID_STEP", "MAX_LINE", "TEXT_FIELDS", "check_event", "decode_json", "decode_line", "decode_prefix",
    "decode_record", "is_timestamp", "own_id", "split_lines",
]

# bytes one journal or rescue line may take; a longer one is damaged (only its head is read)
MAX_LINE = 1 << 20
MAX_DEPTH = 64  # nesting a line may have (an event has two levels)
TEXT_FIELDS = ("note", "user", "host", "title", "source", "url", "action", "batch", "uid", "version",
               "slugline", "wire_version", "story")
DECISION_VALUES = ("follow-up", "archive", "flag")
# How far past the newest id it holds a record's own id may reach: a line never moves the store's
# numbering further than this, whatever id it says it has (see own_id).
MAX_ID_STEP = 1 << 20
# an ISO 8601 stamp as triage writes it (or an older file did): date, time, fraction, zone
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
_SPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # a surrogate escape: paired ones are fine, lone ones are not


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:24]} is out of range")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_float=_finite, parse_int=_short_int, parse_constant=_constant)
# NaN, Infinity and long integers are values Python holds (a main file may have them)
_LENIENT = json.JSONDecoder()


def _encodable(obj: Any) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def _depth_ok(text: str, limit: int) -> bool:
    """False if brackets nest deeper than `limit` (counted outside strings)."""
    if text.count("[") + text.count("{") <= limit:  # the usual case: too few brackets to nest that deep
        return True
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _decode(text: str, pos: int, strict: bool) -> tuple[Any, int]:
    try:
        obj, end = (_DECODER if strict else _LENIENT).raw_decode(text, pos)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from None
    except ValueError as exc:  # a number refused by the hooks, or too long for int()
        raise ValueError(str(exc).split(";")[0]) from None
    if strict and _SURROGATE.search(text, pos, end) and not _encodable(obj):
        raise ValueError("a lone surrogate (\\ud800-\\udfff), which UTF-8 cannot hold")
    return obj, end


def decode_json(text: str, *, max_depth: int | None = MAX_DEPTH, strict: bool = True) -> Any:
    """Parse JSON text into values Python and UTF-8 can hold; ValueError with a plain reason otherwise.

    `strict`: also refuse NaN, Infinity, numbers out of a float's range, integers of over 20 digits and
    lone surrogates (what a journal line never holds); without it (a main file, whose text is sanitised
    wherever it is shown) only what does not parse at all."""
    if max_depth is not None and not _depth_ok(text, max_depth):
        raise ValueError(f"nested more than {max_depth} levels deep")
    start = _SPACE.match(text)  # always matches: the pattern may match nothing
    obj, end = _decode(text, start.end() if start else 0, strict)
    if text[end:].strip():
        raise ValueError("not valid JSON: Extra data")
    return obj


def decode_prefix(text: str, pos: int = 0) -> tuple[Any, int]:
    """The JSON value starting at `pos` in `text` and where it ends, under the same rules as decode_json."""
    return _decode(text, pos, True)


def decode_line(raw: bytes) -> Any:
    """One line of a JSON-lines file (without its newline) as a value; ValueError with the reason."""
    if len(raw) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE} bytes")
    if b"\0" in raw:
        raise ValueError("a NUL byte")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"bytes that are not UTF-8 at {exc.start}") from None
    return decode_json(text)


# ---- what an event may hold: the one check every reader of a store applies ----------------------
# (the journal's lines, the main file's entries, rescue files, recovery; a database backend's rows too)

def is_timestamp(value: Any) -> bool:
    """True for an ISO 8601 date and time that exists (what `at` must hold)."""
    if type(value) is not str or not _STAMP.fullmatch(value):
        return False
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return True


def check_event(doc: Any) -> str:
    """Why `doc` is not an event document ("" when it is one): every field of its type, `at` a time.

    Text fields hold text when present (never null), `decision` is a known one or null, `urgency`
    a number from 0 to 9 or null, `at` a date and time that exists (or "" when unknown).
    """
    if type(doc) is not dict:
        return "not an object"
    aid = doc.get("article_id")
    if type(aid) is not str or not aid:
        return "no article_id"
    decision = doc.get("decision")
    if decision is not None and (type(decision) is not str or decision not in DECISION_VALUES):
        return "an unknown decision"
    for key in TEXT_FIELDS:
        if key in doc and type(doc[key]) is not str:
            return f"{key} is not text"
    at = doc.get("at", "")
    if at != "" and not is_timestamp(at):  # absent or "": an event of a file from before stamps
        return "at is not a date and time"
    urgency = doc.get("urgency")
    if urgency is not None and (type(urgency) is not int or not 0 <= urgency <= 9):
        return "urgency is not a number from 0 to 9"
    return ""


def own_id(doc_id: int, top: int) -> int:
    """The id a store files a record under, given the newest id it holds (`top`): the record's own id
    while that is at most MAX_ID_STEP past `top`, else `top` + 1. So no line, whatever id it says it
    has, can push the ids of the records after it out of the range every reader accepts."""
    return doc_id if doc_id <= top + MAX_ID_STEP else top + 1


def decode_record(raw: bytes) -> tuple[str, int, dict[str, Any]]:
    """A journal line as (table, doc id, document); ValueError with the reason it is damaged."""
    obj = decode_line(raw)
    if type(obj) is not dict or not {"t", "id", "doc"} <= obj.keys():
        raise ValueError("not a journal record")
    table, doc_id, doc = obj["t"], obj["id"], obj["doc"]
    if type(table) is not str or type(doc_id) is not int or doc_id <= 0 or type(doc) is not dict:
        raise ValueError("not a journal record")
    if table == "events" and (why := check_event(doc)):
        raise ValueError(f"not an event ({why})")
    return table, doc_id, doc


def split_lines(read: Callable[[int], bytes], limit: int = MAX_LINE, chunk: int = 1 << 22
                ) -> Iterator[tuple[bytes, bool, int]]:
    """Complete lines from a reader: (line, longer than `limit`, bytes it took with its newline).

    Of a line longer than `limit` only the first `limit` + 1 bytes are kept in memory. Bytes after the
    last newline (an unfinished append) are not yielded.
    """
    head: list[bytes] = []
    kept = taken = 0
    over = False
    while data := read(chunk):
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            piece = data[start:end]
            taken += len(piece) + 1
            if not over:
                head.append(piece)
            line = b"".join(head)
            yield line[: limit + 1], over or len(line) > limit, taken
            head, kept, taken, over = [], 0, 0, False
            start = end + 1
        rest = data[start:]
        taken += len(rest)
        if not over:
            head.append(rest)
            kept += len(rest)
            if kept > limit:
                head, over = [b"".join(head)[: limit + 1]], True
