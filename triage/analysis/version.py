"""The summariser's version (code + shipped weights): part of every cache key. Cheap to import."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["SUMMARIZER_VERSION", "summarizer_version"]

# Bump when a change to the code changes what the analysis returns.
SUMMARIZER_VERSION = "5"


@lru_cache(maxsize=1)
def summarizer_version() -> str:
    """Code version + weights version, e.g. "1.20261125"."""
    try:
        data = json.loads(
            resources.files("triage.analysis").joinpath("weights.json").read_text(encoding="utf-8")
        )
        return f"{SUMMARIZER_VERSION}.{data.get('version', '0')}"
    except (OSError, ValueError):
        return SUMMARIZER_VERSION
