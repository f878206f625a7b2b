"""Private folders and files on a shared host: folders 0700 and files 0600 (0770 / 0660 when a Unix
group shares them), created so and tightened when we own them; and reading a file that must be a
regular one, without ever blocking on a pipe or opening a device."""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["NotRegular", "dir_mode", "file_mode", "open_private", "private_dir", "read_regular", "tighten"]


class NotRegular(OSError):
    """The path names a folder, a device, a socket or a pipe, not a regular file."""


def dir_mode(group: bool = False) -> int:
    """The mode of a private folder."""
    return 0o770 if group else 0o700


def file_mode(group: bool = False) -> int:
    """The mode of a private file."""
    return 0o660 if group else 0o600


def tighten(path: str | os.PathLike[str], *, group: bool = False) -> None:
    """Take away what others (and, unless `group`, the group) may do with a file or folder we own.

    A path owned by someone else, or a symbolic link, is left as it is: it is not ours to change."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if st.st_uid != os.geteuid() or stat.S_ISLNK(st.st_mode):
        return
    allowed = dir_mode(group) if stat.S_ISDIR(st.st_mode) else file_mode(group)
    mode = stat.S_IMODE(st.st_mode)
    if mode & ~allowed:
        try:
            os.chmod(path, mode & allowed)
        except OSError:
            pass


def private_dir(path: str | os.PathLike[str], *, group: bool = False) -> Path:
    """Make a folder (and missing parents, which get the same mode) and tighten it; returns it.
    Raises OSError when it cannot be made."""
    p = Path(path)
    missing = []
    probe = p
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, dir_mode(group))
        except FileExistsError:
            pass
    tighten(p, group=group)
    return p


def open_private(path: str | os.PathLike[str], flags: int = os.O_WRONLY | os.O_APPEND, *,
                 group: bool = False) -> int:
    """An fd on `path`, created with the private mode if missing and tightened if ours (O_CREAT added)."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), file_mode(group))
    try:
        st = os.fstat(fd)
        allowed = file_mode(group)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & ~allowed:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & allowed)
    except OSError:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], max_bytes: int = 0, *, follow: bool = True) -> bytes:
    """The bytes of a regular file, read through one descriptor: opened non-blocking (a pipe put in its
    place cannot hang us), checked with fstat (a device, pipe, socket or folder raises NotRegular) and
    read up to `max_bytes` + 1 (0: no cap). `follow=False` refuses a symbolic link (ELOOP)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    before = os.stat(path, follow_symlinks=follow)  # a device or pipe is never opened at all
    if not stat.S_ISREG(before.st_mode):
        raise NotRegular(0, "is not a regular file (device, socket or pipe)", os.fspath(path))
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(0, "is not a regular file (device, socket or pipe)", os.fspath(path))
        os.set_blocking(fd, True)
        limit = max_bytes + 1 if max_bytes else -1
        chunks = []
        size = 0
        while limit < 0 or size < limit:
            chunk = os.read(fd, 1 << 20 if limit < 0 else min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
