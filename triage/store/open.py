"""open_store: the one place that picks the backend for a store location (a file path or a URL).

A ``postgresql://`` URL opens the PostgreSQL store (the `postgres` extra: psycopg 3); anything else
is a TinyDB decisions file, as it always was. Without the extra a URL gets one sentence naming it,
never a traceback and never a file named after the URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from triage.store.errors import StoreError
from triage.store.pg.conninfo import UrlError, display_name, is_server_url

if TYPE_CHECKING:
    from triage.store.api import DeskRecord, PresenceBoard, Store

__all__ = ["MissingExtraError", "desk_folder", "is_server_url", "nothing_decided_yet", "open_desk",
           "open_presence", "open_store", "store_name"]

T = TypeVar("T")
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


def _need_extra(location: str) -> None:
    try:
        import psycopg  # noqa: F401 - only to learn whether the extra is installed
    except ImportError:
        raise MissingExtraError(
            f"{display_name(location)}: a PostgreSQL store needs triage's postgres extra "
            f"({EXTRA_HINT}).") from None


def _said(make: Callable[[], T]) -> T:
    """A PostgreSQL part made from its URL, a URL it cannot use said as a StoreError."""
    try:
        return make()
    except UrlError as exc:
        raise StoreError(str(exc)) from None


def desk_folder(location: str | os.PathLike[str]) -> Path:
    """The desk folder of a decisions file: beside it, named after it (`decisions.json.desk`). It holds
    one file per member (takes, hand-offs, watches; presence) and the shared analysis. ValueError for a
    URL (a PostgreSQL desk keeps all of it in the database)."""
    if isinstance(location, str) and is_server_url(location):
        raise ValueError("a PostgreSQL store has no desk folder")
    path = Path(os.path.expanduser(os.fspath(location)))
    return path.with_name(path.name + ".desk")


def open_desk(location: str | os.PathLike[str], *, group_share: bool = False, user: str | None = None,
              host: str | None = None, read_only: bool = False) -> DeskRecord:
    """The desk record that belongs with the store at `location` (see open_store). `user` names the
    writer on one host only when it is this process's own login (tests); identity is otherwise the
    owner of the files, or the database role. StoreError, one sentence, when it cannot be used."""
    if isinstance(location, str) and is_server_url(location):
        _need_extra(location)
        from triage.store.pg.desk import PostgresDesk

        return _said(lambda: PostgresDesk(location.strip(), host=host, read_only=read_only))
    from triage.store.deskfiles import FileDesk

    return FileDesk(desk_folder(location), group_share=group_share, user=user, host=host,
                    read_only=read_only)


def open_presence(location: str | os.PathLike[str], *, expiry: float, group_share: bool = False,
                  host: str | None = None) -> PresenceBoard:
    """Presence beside the store at `location`: a file per member in the desk folder, or a table on
    PostgreSQL. StoreError, one sentence, when it cannot be used."""
    if isinstance(location, str) and is_server_url(location):
        _need_extra(location)
        from triage.store.pg.desk import PostgresPresence

        return _said(lambda: PostgresPresence(location.strip(), expiry=expiry, host=host))
    from triage.store.presence import FilePresence

    return FilePresence(desk_folder(location), expiry=expiry, group_share=group_share, host=host)


def open_store(location: str | os.PathLike[str], *, group_share: bool = False, compact_every: int = 1000,
               rescue_dirs: Sequence[str | os.PathLike[str]] | None = None, user: str | None = None,
               host: str | None = None, replay: bool = True, read_only: bool = False) -> Store:
    """The store at `location`: PostgreSQL for a postgresql:// URL, else the TinyDB file.

    `user` names the writer of a file store only: on PostgreSQL the database role does (the URL's
    user, or libpq's default). `read_only`: a reader (`triage decisions`) that never writes, not even a
    replay or a schema upgrade. StoreError, one sentence, when the location cannot be used."""
    if isinstance(location, str) and is_server_url(location):
        _need_extra(location)
        from triage.store.pg.store import PostgresStore

        return _said(lambda: PostgresStore(location.strip(), host=host, rescue_dirs=rescue_dirs,
                                           replay=replay, read_only=read_only))
    from triage.store.decisions import DecisionStore

    return DecisionStore(location, group_share=group_share, compact_every=compact_every,
                         rescue_dirs=rescue_dirs, user=user, host=host, replay=replay, read_only=read_only)
