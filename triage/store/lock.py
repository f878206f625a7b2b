"""The inter-process lock of a store: an flock on ``<decisions file>.lock``, reentrant per thread.

The lock file is opened without following a symbolic link and must be a regular file: another user
who plants a link there (to a file of ours) or a directory gets a one-sentence error, never a
truncated file or a wait that lasts forever. A lock file another user owns is refused too, unless the
store is shared by a group (its mode lets the group in): whoever owns the lock file decides who may
take it. The file is kept between uses (its mode is the store's).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from pathlib import Path

from triage.store.files import open_regular

__all__ = ["ForeignLock", "LockTimeout", "StoreLock", "flock_until"]


class LockTimeout(TimeoutError):
    """The lock was held elsewhere for longer than the timeout."""


class ForeignLock(PermissionError):
    """The lock file belongs to another user and the store is not shared by a group."""


def flock_until(fd: int, deadline: float, interval: float = 0.005) -> None:
    """An exclusive flock on `fd`, waited for until `deadline` (time.monotonic) at most: LockTimeout after."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(errno.ETIMEDOUT, "locked by another process") from None
            time.sleep(interval)


class StoreLock:
    """An exclusive flock held by one thread at a time (each thread opens the file itself)."""

    def __init__(self, path: str | os.PathLike[str], *, mode: int = 0o600, timeout: float = 10.0,
                 poll_interval: float = 0.002) -> None:
        self.path = Path(path)
        self.mode = mode
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._local = threading.local()

    @property
    def is_locked(self) -> bool:
        """True if the calling thread holds the lock."""
        return getattr(self._local, "depth", 0) > 0

    def acquire(self) -> None:
        """Take the lock (again, if this thread holds it); LockTimeout, or OSError for a bad lock file."""
        local = self._local
        if getattr(local, "depth", 0):
            local.depth += 1
            return
        fd = open_regular(self.path, os.O_RDWR | os.O_CREAT, self.mode)
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() and not self.mode & 0o070:
                raise ForeignLock(errno.EPERM, f"it belongs to another user (uid {st.st_uid}); remove it, or "
                                  "set store.group_share for a decisions file a group shares", str(self.path))
            if st.st_uid == os.geteuid() and st.st_mode & 0o777 != self.mode:
                try:
                    os.fchmod(fd, self.mode)  # exactly the store's mode: the umask may have taken bits away
                except OSError:
                    pass
            flock_until(fd, time.monotonic() + max(0.0, self.timeout), self.poll_interval)
        except BaseException:
            os.close(fd)
            raise
        local.fd, local.depth = fd, 1

    def release(self) -> None:
        """Give the lock back (the last release of this thread closes the file, which unlocks it)."""
        local = self._local
        if not getattr(local, "depth", 0):
            return
        local.depth -= 1
        if local.depth == 0:
            fd, local.fd = local.fd, None
            os.close(fd)
