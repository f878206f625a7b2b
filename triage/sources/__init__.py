"""Ingestion: every kind of incoming article (files, folders, feeds), bad input named and never fatal.

    from triage.sources import load, read_file, IngestResult
    result = load(["~/inbox", "https://example.org/rss"], cache_path=..., spool_dir=...)
    result.articles   # list[Article], near-duplicates marked with duplicates_of=<leader id>
    result.problems   # list[Problem], one plain line each
    result.groups     # {leader id: [leader id, member ids...]} for groups of two or more

Readers (one module per kind): plaintext (.txt wire copy, .md), html (.html/.htm, trafilatura),
mail (.eml, mbox), jsonfiles (.json/.jsonl articles, JSON Feed), feedfile (RSS/Atom via feedparser),
feeds (feed URLs via httpx, spool), watch (live folders, watchfiles). All untrusted text is cleaned by
triage.infra.text in `base.make_article`, the one place Articles are built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.sources.base import IngestResult
    from triage.sources.loader import load
    from triage.sources.registry import read_file

__all__ = ["IngestResult", "load", "read_file"]

# Imported on first use: a module of this package (the readers' one-line READS, the feed list) is
# imported by every command, and must not bring the loader, the parsers and the registry with it.
_HOMES = {"IngestResult": "triage.sources.base", "load": "triage.sources.loader",
          "read_file": "triage.sources.registry"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
