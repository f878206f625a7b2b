"""triage.store"""
