"""triage.tui"""
