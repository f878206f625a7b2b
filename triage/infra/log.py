"""The log file: tracebacks and warnings go to triage.log in the data dir, never onto the screen."""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["setup_logging"]


def setup_logging(data_dir: Path) -> Path | None:
    """Send log records to <data dir>/triage.log (once per process); None when it cannot be written."""
    try:
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / "triage.log"
        logging.basicConfig(filename=path, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return path
    except OSError:
        return None
