"""triage.sources"""
