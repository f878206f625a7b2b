"""Plumbing every layer may use: atomic writes, the SQLite opener, time helpers, the sanitiser, the log."""
