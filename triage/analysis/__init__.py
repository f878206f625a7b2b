"""triage.analysis: extractive summaries, grouped entities and key terms with spaCy, cached on disk.

The only package (besides tests) that imports spaCy, and only when a model is first needed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Analyzer", "Pipeline", "load_pipeline", "summarize_text"]


def __getattr__(name: str) -> Any:  # lazy: importing triage.analysis must stay cheap
    if name == "Analyzer":
        from .analyzer import Analyzer

        return Analyzer
    if name in ("Pipeline", "load_pipeline"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "summarize_text":
        from .summarize import summarize_text

        return summarize_text
    raise AttributeError(f"module 'triage.analysis' has no attribute {name!r}")
