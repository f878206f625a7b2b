"""triage.tui.widgets"""
