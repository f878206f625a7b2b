"""Private folders and files on a shared host: folders 0700 and files 0600 (0770 / 0660 when a Unix
group shares them), created so and tightened when we own them, and a folder another user owns or may
write to refused; and reading a file that must be a regular one, without ever blocking on a pipe or
opening a device, and (when confined) only where its opened descriptor really lies inside given roots."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Confinement", "NotPrivate", "NotRegular", "OutsideRoots", "check_private_dir", "confined_reads",
           "dir_mode", "inside", "open_private", "private_dir", "private_file_mode", "read_regular",
           "real_path_of", "tighten"]


class NotRegular(OSError):
    """The path names a folder, a device, a socket or a pipe, not a regular file."""


class NotPrivate(OSError):
    """A folder for private files that another user owns, or that others may write to."""


class OutsideRoots(OSError):
    """The file opened really lies outside the folders it must be read from (a link swapped in)."""


def inside(real: str, roots: Sequence[str]) -> bool:
    """True when the real path `real` is one of `roots` or under one."""
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


@dataclass(frozen=True)
class Confinement:
    """Where files may be read from: each file read whose path lies (as written) under one of `under`
    (every file when `under` is None) must really lie inside one of `roots` once opened, whatever
    links or renamed folders its path went through; `follow` False opens no link as the last part."""

    roots: tuple[str, ...]
    under: tuple[str, ...] | None = None
    follow: bool = True

    def applies_to(self, path: str | os.PathLike[str]) -> bool:
        return self.under is None or inside(os.path.abspath(path), self.under)


_CONFINED: ContextVar[Confinement | None] = ContextVar("triage_confined_reads", default=None)


@contextmanager
def confined_reads(rules: Confinement | None) -> Iterator[None]:
    """Within the block (this thread or task), read_regular applies `rules` (None: no confinement)."""
    token = _CONFINED.set(rules)
    try:
        yield
    finally:
        _CONFINED.reset(token)


def real_path_of(fd: int, path: str | os.PathLike[str]) -> str:
    """The real path of the file open on `fd` (Linux: what /proc says of the descriptor itself, so no
    rename or link swapped in after the open can fool it; elsewhere the path's realpath)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


def dir_mode(group: bool = False) -> int:
    """The mode of a private folder."""
    return 0o770 if group else 0o700


def private_file_mode(group: bool = False) -> int:
    """The mode of a private file."""
    return 0o660 if group else 0o600


def tighten(path: str | os.PathLike[str], *, group: bool = False) -> None:
    """Take away what others (and, unless `group`, the group) may do with a file or folder we own.

    A path owned by someone else, or a symbolic link, is left as it is: it is not ours to change. So is
    a folder with the sticky bit (/tmp, /var/tmp, a desk folder): it is shared by design, even when we
    own it (root owns /tmp), and closing it would lock everyone else out of it; check_private_dir then
    refuses to keep anything private there."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if st.st_uid != os.geteuid() or stat.S_ISLNK(st.st_mode):
        return
    if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return
    allowed = dir_mode(group) if stat.S_ISDIR(st.st_mode) else private_file_mode(group)
    mode = stat.S_IMODE(st.st_mode)
    if mode & ~allowed:
        try:
            os.chmod(path, mode & allowed)
        except OSError:
            pass


def check_private_dir(path: str | os.PathLike[str], *, group: bool = False) -> None:
    """NotPrivate when another user owns the folder (unless `group`: a folder a Unix group shares, that
    not everyone may write to) or when others than its owner (and, with `group`, the group) may write to
    it: private files there could be read, swapped or planted by someone else."""
    st = os.stat(path)
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid != os.geteuid() and not (group and not mode & 0o002):
        raise NotPrivate(errno.EPERM, f"belongs to another user (uid {st.st_uid}), so triage keeps nothing "
                         "private in it; use a folder of your own (paths.data_dir, TRIAGE_DATA_DIR)"
                         + ("" if group else ", or set store.group_share for a folder a group shares"),
                         os.fspath(path))
    if mode & (0o002 if group else 0o022):
        raise NotPrivate(errno.EPERM, f"may be written by other users (mode {mode:04o}), so triage keeps "
                         "nothing private in it; make it 0700 (chmod 700)", os.fspath(path))


def private_dir(path: str | os.PathLike[str], *, group: bool = False) -> Path:
    """Make a folder (and missing parents, which get the same mode) and tighten it; returns it.
    Raises NotPrivate for a folder of another user or one others may write to (see check_private_dir),
    OSError when it cannot be made."""
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
    check_private_dir(p, group=group)
    return p


def open_private(path: str | os.PathLike[str], flags: int = os.O_WRONLY | os.O_APPEND, *,
                 group: bool = False) -> int:
    """An fd on `path`, created with the private mode if missing and tightened if ours (O_CREAT added)."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), private_file_mode(group))
    try:
        st = os.fstat(fd)
        allowed = private_file_mode(group)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & ~allowed:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & allowed)
    except OSError:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], max_bytes: int = 0, *, follow: bool = True,
                 within: Confinement | None = None) -> bytes:
    """The bytes of a regular file, read through one descriptor: opened non-blocking (a pipe put in its
    place cannot hang us), checked with fstat (a device, pipe, socket or folder raises NotRegular) and
    read up to `max_bytes` + 1 (0: no cap). `follow=False` refuses a symbolic link (ELOOP).

    Confined (`within`, or the confined_reads block around the call), the descriptor's real path must
    lie inside the roots (OutsideRoots otherwise): a link or folder swapped in between the scan and
    this open cannot lead the read out of the inbox."""
    rules = within if within is not None else _CONFINED.get()
    if rules is not None and not rules.applies_to(path):
        rules = None
    if rules is not None and not rules.follow:
        follow = False
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
        if rules is not None and not inside(real_path_of(fd, path), rules.roots):
            raise OutsideRoots(errno.EXDEV, "a link out of the inbox, swapped in after the scan",
                               os.fspath(path))
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
