"""The identity of a text, for near-duplicate grouping (triage.catalog.dupindex does the grouping:
MinHash LSH over word shingles, kept in SQLite)."""

from __future__ import annotations

import hashlib

__all__ = ["text_key"]


def text_key(text: str) -> str:
    """Hash of a text alone (titles differ between outlets running the same copy): identical texts are
    duplicates without comparing anything."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # texts are already cleaned
