"""open_store: the one place that picks the backend for a store location (a file path or a URL).

A ``postgresql://`` URL opens the PostgreSQL store (the `postgres` extra: psycopg 3); anything else
is a TinyDB decisions file, as it always was. Without the extra a URL gets one sentence naming it,
never a traceback and never a file named after the URL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from triage.store.errors import StoreError
from triage.store.pg.conninfo import UrlError, display_name, is_server_url

if TYPE_CHECKING:
    from triage.store.api import Store

__all__ = ["MissingExtraError", "is_server_url", "nothing_decided_yet", "open_store", "store_name"]

EXTRA_HINT = "pip install 'triage[postgres]'"


class MissingExtraError(StoreError):
    """A PostgreSQL URL on an install without the `postgres` extra."""


def nothing_decided_yet(location: str | os.PathLike[str]) -> bool:
    """True for a decisions file not made yet (neither it nor its journal) in a folder that exists: a
    desk where nothing has been decided, whose record is empty. False for a URL (the server says) and
    for a path whose folder is missing (a mistyped path, said as such by the caller)."""
    if isinstance(location, str) and is_server_url(location):
        return False
    from triage.store.files import journal_path

    path = Path(os.path.expanduser(os.fspath(location)))
    return path.parent.is_dir() and not path.exists() and not journal_path(path).exists()


def store_name(location: str | os.PathLike[str]) -> str:
    """A store's location as people may see it (a URL without any password)."""
    return display_name(location) if isinstance(location, str) and is_server_url(location) else str(location)


def open_store(location: str | os.PathLike[str], *, group_share: bool = False, compact_every: int = 1000,
               rescue_dirs: Sequence[str | os.PathLike[str]] | None = None, user: str | None = None,
               host: str | None = None, replay: bool = True, read_only: bool = False) -> Store:
    """The store at `location`: PostgreSQL for a postgresql:// URL, else the TinyDB file.

    `user` names the writer of a file store only: on PostgreSQL the database role does (the URL's
    user, or libpq's default). `read_only`: a reader (`triage decisions`) that never writes, not even a
    replay or a schema upgrade. StoreError, one sentence, when the location cannot be used."""
    if isinstance(location, str) and is_server_url(location):
        try:
            import psycopg  # noqa: F401 - only to learn whether the extra is installed
        except ImportError:
            raise MissingExtraError(
                f"{display_name(location)}: a PostgreSQL store needs triage's postgres extra "
                f"({EXTRA_HINT}).") from None
        from triage.store.pg.store import PostgresStore

        try:
            return PostgresStore(location.strip(), host=host, rescue_dirs=rescue_dirs, replay=replay,
                                 read_only=read_only)
        except UrlError as exc:
            raise StoreError(str(exc)) from None
    from triage.store.decisions import DecisionStore

    return DecisionStore(location, group_share=group_share, compact_every=compact_every,
                         rescue_dirs=rescue_dirs, user=user, host=host, replay=replay, read_only=read_only)
