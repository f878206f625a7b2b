"""triage.analysis"""
