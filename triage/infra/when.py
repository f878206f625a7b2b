"""The dates people type for filters: 'today', 'yesterday', '7d', '12h', '2w', ISO dates and times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["parse_when"]

_AGO = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _local_day(day: date, end: bool) -> datetime:
    start = datetime.combine(day, time.min).astimezone()  # local midnight
    if end:
        start = datetime.combine(day + timedelta(days=1), time.min).astimezone() - timedelta(microseconds=1)
    return start.astimezone(UTC)


def parse_when(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """An aware UTC datetime for a filter bound; with end=True a whole day means its last instant.

    'today'/'yesterday' and plain dates are local calendar days; '7d', '12h', '30m', '2w' mean that
    long before now; ISO datetimes without an offset are local time. Raises ValueError otherwise.
    """
    raw = text.strip().lower()
    current = (now or datetime.now(UTC)).astimezone()
    if raw in ("now", ""):
        if not raw:
            raise ValueError("an empty date: use today, 7d, 30d, or a date like 2026-11-25")
        return current.astimezone(UTC)
    if raw in ("today", "yesterday"):
        day = current.date() - timedelta(days=1 if raw == "yesterday" else 0)
        return _local_day(day, end)
    match = _AGO.match(raw)
    if match:
        return (current - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})).astimezone(UTC)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return _local_day(date.fromisoformat(raw), end)
        except ValueError:
            pass
    else:
        try:
            dt = datetime.fromisoformat(text.strip())
        except ValueError:
            pass
        else:
            if dt.tzinfo is None:
                dt = dt.astimezone()  # naive: local time
            return dt.astimezone(UTC)
    raise ValueError(f"cannot read {text!r} as a date: use today, yesterday, 7d, 30d, 12h, or 2026-11-25")
