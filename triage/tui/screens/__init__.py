"""triage.tui.screens"""
