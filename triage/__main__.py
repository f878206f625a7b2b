"""`python -m triage` runs the same CLI as the `triage` command."""

from triage.cli.main import main

if __name__ == "__main__":
    main()
