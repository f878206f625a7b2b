"""Durable file replacement, in one place for the whole project (the decisions store, the feeds file,
the feed spool): a reader sees the old file or the new one, never a mix, and once a call returns the new
one survives a crash. Pure standard library."""

from __future__ import annotations

import os
import secrets
import socket
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "write_all",
    "fsync_dir", "make_dirs", "replace", "temp_name", "unlink_quietly", "write_temp", "write_text_atomic",
]


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """fsync a directory so a create or rename in it is durable (raises OSError like any write)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(directory: str | os.PathLike[str], mode: int = 0o700) -> None:
    """Create `directory` and any missing parent, each with exactly `mode` (the umask is not applied);
    folders already there are left as they are. Raises OSError."""
    missing = []
    folder = Path(directory)
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, mode)


def write_all(fd: int, payload: bytes) -> None:
    """Write every byte of `payload` to `fd` (os.write may write fewer), then fsync it."""
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def temp_name(path: Path) -> Path:
    """A temp file beside `path`, named so a later reader can tell whether its writer is gone."""
    return path.with_name(f".{path.name}.tmp-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}")


def unlink_quietly(path: str | os.PathLike[str]) -> None:
    """Remove a file if it is there."""
    try:
        os.unlink(path)
    except OSError:
        pass


def write_temp(path: Path, payload: bytes, mode: int, like: os.stat_result | None = None,
               name: Callable[[Path], Path] = temp_name) -> Path:
    """Write `payload` to a new fsynced temp file beside `path`, with the mode and group of `like` when
    it is our own file. Another user's file lends nothing: the new file gets `mode`, and that file's
    group only when `mode` itself shares with a group (a group-shared store keeps its group)."""
    tmp = name(path)
    own = like is not None and like.st_uid == os.geteuid()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        try:
            os.fchmod(fd, (like.st_mode & 0o777) if own and like is not None else mode)
            if like is not None and like.st_gid != os.getegid() and (own or mode & 0o070):
                try:
                    os.fchown(fd, -1, like.st_gid)
                except OSError:
                    pass
            write_all(fd, payload)
        finally:
            os.close(fd)
    except BaseException:
        unlink_quietly(tmp)
        raise
    return tmp


def replace(tmp: Path, path: Path) -> None:
    """Put a written temp file in place of `path` and make that durable (the temp goes on failure)."""
    try:
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, mode: int | None = None,
                      errors: str = "strict") -> None:
    """Replace `path` with `text` (UTF-8). The new file keeps the mode and group of the one it replaces;
    a new one gets `mode` (default 0600); with `mode` given, exactly that. A symbolic link at `path` is
    replaced itself, its target never written. Folders made for it are 0700. Raises OSError."""
    target = Path(path)
    make_dirs(target.parent)
    like = None
    if mode is None:
        try:
            like = os.stat(target, follow_symlinks=False)
        except FileNotFoundError:
            pass
        if like is not None and not stat.S_ISREG(like.st_mode):
            like = None  # a link or something else there: a new private file, never its target's mode
    tmp = write_temp(target, text.encode("utf-8", errors), 0o600 if mode is None else mode, like)
    replace(tmp, target)
