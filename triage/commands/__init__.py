"""Click subcommands, one module per area; registered on the main group in triage/cli.py."""
