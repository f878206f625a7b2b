"""The desk folder beside a decisions file (`<db>.desk/`), set up so a group can share it safely, and
the two things every file in it relies on: whose a file is, and what time it is by the kernel.

Shared (store.group_share), the folder is 3770: setgid so every file keeps the desk's group, sticky
so no member can remove or rename another's file, nothing for anyone outside the group. Alone, 0700.
A folder members can remove each other's files in is fixed by its owner, and refused by the others.
Two powers remain that no mode takes away: the folder's owner may remove files in it (an administrator
can make it, `install -d -m 3770 -g DESK <db>.desk`, so no member owns it), and a member may rename
the whole folder away, since its parent is the group's to write for the decisions file. Either loses
records and is said (FileDesk.damage); neither makes anything appear as another member's.

Who wrote a file is its owner's login (the passwd name of its uid), never what it says. What time it
is comes from the kernel's file times (a file made a moment ago), so a process whose clock is set
differently neither expires the others' entries nor lives forever itself.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import pwd
import re
import stat
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.infra.atomic import make_dirs
from triage.infra.clock import datetime_key
from triage.store.errors import StoreError

__all__ = ["DeskClock", "check_folder", "create_exact", "file_mode", "folder_mode", "iso_ns", "kernel_now_ns",
           "login_of", "my_login", "names_owner"]

SHARED_FOLDER = 0o3770  # setgid (files keep the group) + sticky (nobody removes another's file)
PRIVATE_FOLDER = 0o700
_TOKEN = r"[0-9a-f]{8,32}"


def folder_mode(group_share: bool) -> int:
    return SHARED_FOLDER if group_share else PRIVATE_FOLDER


def file_mode(group_share: bool) -> int:
    """A member's own files: the group reads them, only the owner writes them."""
    return 0o640 if group_share else 0o600


@functools.lru_cache(maxsize=256)
def login_of(uid: int) -> str:
    """The login of a uid (its passwd name; the number where it has none)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def my_login() -> str:
    """This process's login by its effective uid (what its files will say it is, whatever $USER says)."""
    return login_of(os.geteuid())


def names_owner(name: str, owner: str, suffix: str) -> bool:
    """True when a file name in the desk folder is its owner's: `<owner><suffix>`, or
    `<owner>.<token><suffix>` (the token lets a member whose name another has taken still write)."""
    if name == owner + suffix:
        return True
    return re.fullmatch(re.escape(owner) + r"\." + _TOKEN + re.escape(suffix), name) is not None


def _refuse(folder: Path, why: str) -> StoreError:
    return StoreError(f"{folder}: {why}")


def check_folder(folder: Path, group_share: bool, *, create: bool) -> os.stat_result | None:
    """Make the desk folder (with `create`) or check the one there: its stat, or None when it is missing
    and not made. StoreError (one sentence) for one that cannot be used safely."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        if not create:
            return None
        return _make(folder, group_share)
    except OSError as exc:
        raise _refuse(folder, f"cannot use the desk folder ({exc.strerror}).") from None
    if stat.S_ISLNK(st.st_mode):
        if st.st_uid != os.geteuid():
            raise _refuse(folder, "a symbolic link of another user, not followed as the desk folder.")
        try:
            st = os.stat(folder)
        except OSError as exc:
            raise _refuse(folder, f"cannot use the desk folder ({exc.strerror}).") from None
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(folder, "not a folder, so it cannot be the desk folder; move it away.")
    return _settle(folder, st, group_share)


def _make(folder: Path, group_share: bool) -> os.stat_result:
    """Make the folder whole before it appears (set up under a temp name, then renamed into place), so
    a colleague never meets it half made (ours and 0700 for a moment)."""
    try:
        make_dirs(folder.parent, 0o770 if group_share else 0o700)
    except OSError as exc:
        raise _refuse(folder, f"cannot make the desk folder ({exc.strerror}).") from None
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
    try:
        os.mkdir(tmp, 0o700)
        try:
            if group_share:
                _take_group(tmp, folder)
            os.chmod(tmp, folder_mode(group_share))
            _rename_noreplace(tmp, folder)
        except BaseException:
            os.rmdir(tmp)
            raise
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) or os.path.lexists(folder):
            return check_folder(folder, group_share, create=False) or _make(folder, group_share)
        raise _refuse(folder, f"cannot make the desk folder ({exc.strerror}).") from None
    return check_folder(folder, group_share, create=False) or _make(folder, group_share)


_AT_FDCWD, _RENAME_NOREPLACE = -100, 1


@functools.cache
def _renameat2() -> Any:
    """libc's renameat2, or None where there is none (not Linux, an old C library)."""
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _rename_noreplace(src: Path, dst: Path) -> None:
    """Rename `src` to `dst` unless `dst` is there (FileExistsError). A plain rename(2) of a folder
    replaces an empty folder in its place: two members making a new desk at once, the second replaced
    the first's folder in the instant before anything was in it, and the first's lock file went with
    it. Python's os has no RENAME_NOREPLACE, so libc's renameat2 is called; where the kernel or the
    file system has none, the folder is looked for first (a window of microseconds remains there)."""
    call = _renameat2()
    if call is not None:
        if call(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(err, os.strerror(err), str(dst))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


def _take_group(made: Path, folder: Path) -> None:
    """Give a new shared folder the decisions file's group (else its folder's): the desk's group."""
    decisions = folder.with_name(folder.name.removesuffix(".desk"))
    for source in (decisions, folder.parent):
        try:
            gid = os.stat(source).st_gid
        except OSError:
            continue
        if gid != os.stat(made).st_gid:
            try:
                os.chown(made, -1, gid)
            except OSError:
                pass  # not a member of that group: the folder keeps ours
        return


def _settle(folder: Path, st: os.stat_result, group_share: bool) -> os.stat_result:
    mode = stat.S_IMODE(st.st_mode)
    others_write = bool(mode & 0o022)
    sticky = bool(mode & stat.S_ISVTX)
    if st.st_uid == os.geteuid():
        want = mode
        if group_share:
            want = SHARED_FOLDER
        elif others_write:
            want = (mode & ~0o007) | stat.S_ISVTX | stat.S_ISGID
        if want != mode:
            try:
                os.chmod(folder, want)
                return os.stat(folder)
            except OSError as exc:
                raise _refuse(folder, f"cannot set up the desk folder ({exc.strerror}).") from None
        return st
    owner = login_of(st.st_uid)
    if not group_share:
        raise _refuse(folder, f"the desk folder belongs to another user ({owner}); set store.group_share "
                              "for a desk a group shares, or use a decisions file of your own (--db).")
    if others_write and not sticky:
        raise _refuse(folder, f"a desk folder where members can remove each other's files (no sticky bit); "
                              f"its owner ({owner}) can fix it with `chmod 3770 {folder}`.")
    if mode & 0o002:
        raise _refuse(folder, f"a desk folder anyone on the host may write; its owner ({owner}) can fix it "
                              f"with `chmod 3770 {folder}`.")
    return st


def create_exact(path: Path, mode: int) -> None:
    """Make an empty file with exactly `mode` from its first instant (a temp file set up, then linked
    into place): a colleague who opens it at once is never refused by a mode the umask narrowed. An
    existing file is left alone. Raises OSError."""
    if os.path.lexists(path):
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, mode)
        gid = os.stat(path.parent).st_gid
        if mode & 0o070 and os.fstat(fd).st_gid != gid:
            try:
                os.fchown(fd, -1, gid)
            except OSError:
                pass
        os.close(fd)
        fd = -1
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass


# ---- the kernel's clock ----------------------------------------------------------------------------

def kernel_now_ns(folder: Path | None = None) -> int:
    """Now by the kernel (the change time of a file made this instant), in ns since the epoch: a file
    in `folder` when it can be made there (so a shared file system's clock is the one read), else in
    the temp folder, else the process's clock."""
    if folder is not None:
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except (OSError, AttributeError):
            fd = -1
        if fd >= 0:
            try:
                return os.fstat(fd).st_mtime_ns
            finally:
                os.close(fd)
    try:
        with tempfile.TemporaryFile() as fh:
            return os.fstat(fh.fileno()).st_mtime_ns
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENOENT, errno.EDQUOT):
            raise
        return time.time_ns()


def iso_ns(ns: int) -> str:
    """A time in ns since the epoch as the store's UTC stamp."""
    return datetime_key(datetime.fromtimestamp(ns / 1e9, UTC))


class DeskClock:
    """The kernel's time read cheaply: the process's clock plus its offset from the kernel's, measured
    again every `every` seconds (each measure makes one unnamed file)."""

    def __init__(self, folder: Path, every: float = 10.0) -> None:
        self.folder = folder
        self.every = every
        self._offset = 0
        self._measured = -float("inf")

    def now_ns(self) -> int:
        if time.monotonic() - self._measured > self.every:
            folder = self.folder if self.folder.is_dir() else None
            self._offset = kernel_now_ns(folder) - time.time_ns()
            self._measured = time.monotonic()
        return time.time_ns() + self._offset

    def now_iso(self) -> str:
        return iso_ns(self.now_ns())
