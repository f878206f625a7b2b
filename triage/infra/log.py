"""The log file: tracebacks and warnings go to triage.log in the data dir (0600), never onto the screen;
no URL in it keeps its query string or its user name and password (feed tokens live there), and it is
rotated (two old files kept), so a feed that makes triage log on every fetch cannot fill the disk."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from io import TextIOWrapper
from pathlib import Path

from triage.infra.private import NotPrivate, open_private, private_dir

__all__ = ["redact_url", "redact_urls", "setup_logging"]

_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)([^\s/?#@]*@)?([^\s/?#]*)([^\s?#]*)(\?[^\s#]*)?(#\S*)?")


def _redacted(m: re.Match[str]) -> str:
    return m.group(1) + m.group(3) + m.group(4) + ("?…" if m.group(5) else "")


def redact_url(url: str) -> str:
    """A URL fit for a log or a file name: no user name, password, query string or fragment."""
    return _URL.sub(_redacted, url)


def redact_urls(text: str) -> str:
    """`text` with every URL in it redacted (see redact_url)."""
    return _URL.sub(_redacted, text) if "://" in text else text


LOG_BYTES = 5_000_000  # one log file's size before it is rotated


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_urls(super().format(record))


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and each new one) are private."""

    def __init__(self, path: Path, group: bool) -> None:
        self._group = group
        super().__init__(path, maxBytes=LOG_BYTES, backupCount=2, encoding="utf-8", errors="backslashreplace")

    def _open(self) -> TextIOWrapper:
        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_APPEND, group=self._group)
        stream = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
        assert isinstance(stream, TextIOWrapper)  # text mode: always a TextIOWrapper
        return stream


def setup_logging(data_dir: Path, *, group: bool = False) -> Path | None:
    """Send log records to <data dir>/triage.log (once per process; the folder 0700 and the file 0600,
    or 0770/0660 with `group`); None when it cannot be written. A data folder of another user, or one
    others may write to, is refused: one line on stderr says so (the caches then stay in memory)."""
    root = logging.getLogger()
    try:
        try:
            data_dir = private_dir(Path(data_dir), group=group)
        except NotPrivate as exc:
            from triage.infra.sanitize import sanitize_line

            print(f"triage: {sanitize_line(f'{exc.filename}: {exc.strerror}')}; "
                  "no log or cache is kept there", file=sys.stderr)
            if not root.handlers:  # no log: records go nowhere, never onto the screen (logging's lastResort)
                root.addHandler(logging.NullHandler())
            return None
        path = data_dir / "triage.log"
        for h in root.handlers:
            if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.absolute():
                return path
        if root.handlers:  # basicConfig's rule: a process that set up logging already keeps it
            return path
        handler = _PrivateRotatingHandler(path, group)
        handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        return path
    except OSError:
        return None
