"""AnalysisQueue lives with the analysis pool now (triage.analysis.pool); kept importable from here."""

from triage.analysis.pool import AnalysisQueue

__all__ = ["AnalysisQueue"]
