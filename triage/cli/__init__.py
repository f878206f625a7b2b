"""Command-line entry points (click), one module per area."""
