"""One module per input format; `triage.sources.registry` picks one by content."""
