"""Time, written once: the "now" stamp every layer records, the sort key of a stamp, and parsing.

Stamps are UTC ISO 8601 text ending in "Z". `utc_key` puts any ISO stamp in the one canonical form
(microseconds, "Z"), so stamps compare as strings.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["datetime_key", "now_iso", "parse_iso", "utc_key"]

_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now_iso(*, seconds: bool = False) -> str:
    """The current UTC time as ISO 8601 ending in "Z"; whole seconds with `seconds`, else microseconds."""
    now = datetime.now(UTC)
    if seconds:
        return now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return now.strftime(_KEY_FORMAT)


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 stamp as an aware datetime (naive ones are UTC); None when it does not parse."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def datetime_key(value: datetime) -> str:
    """A datetime in the canonical stamp form (naive: taken as UTC), so it compares with stored stamps."""
    dt = value if value.tzinfo else value.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime(_KEY_FORMAT)


def utc_key(value: object) -> str:
    """A stamp in canonical form, so stamps compare as strings ("" when it does not parse)."""
    if isinstance(value, str) and len(value) == 27 and value.endswith("Z") and value[10] == "T":
        return value
    dt = parse_iso(value)
    if dt is None:
        return ""
    try:
        return datetime_key(dt)
    except (OverflowError, ValueError):  # year 1 in a zone east of UTC, and the like
        return ""
