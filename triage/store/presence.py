"""Presence on one host: who is on the desk now and what each has open, as one small file per open TUI
in the desk folder (`<login>.<token>.presence`), replaced whole when what it has open changes and
touched at each beat. Never in any history; it does not grow.

Who an entry is comes from the file's owner (a file named after someone else is not believed). How
old it is comes from the kernel: its modification time against the kernel's time now (DeskClock: the
change time of a file made every few seconds), so a process whose clock is set differently ages like
any other. An entry older than the expiry, or of a
process of this host that is gone, is not shown. Its owner removes it on leave(), and a TUI removes
its own stale ones from earlier runs when it starts: in a sticky folder nobody else can.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import threading
from pathlib import Path
from typing import Any

from triage.infra.clock import utc_key
from triage.model import Seen
from triage.store import deskfolder
from triage.store.errors import StoreError
from triage.store.files import open_regular, pid_alive

__all__ = ["MAX_PRESENCE", "SUFFIX", "FilePresence", "read_entry"]

SUFFIX = ".presence"
MAX_PRESENCE = 4096  # bytes an entry may take
MAX_PER_MEMBER = 64  # entries of one member shown at most (a member who makes thousands shows these)
VERSION = 1


def read_entry(raw: bytes) -> dict[str, Any] | None:
    """What an entry holds (host, pid, article_id, since), checked; None when it is not an entry."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if type(doc) is not dict or type(doc.get("v")) is not int:
        return None
    host, pid = doc.get("host"), doc.get("pid")
    article, since = doc.get("article_id", ""), doc.get("since", "")
    if type(host) is not str or len(host) > 255 or type(pid) is not int or not 0 < pid < 1 << 31:
        return None
    if type(article) is not str or len(article) > 512 or type(since) is not str:
        return None
    return {"host": host, "pid": pid, "article_id": article, "since": utc_key(since) if since else ""}


class FilePresence:
    """PresenceBoard on one host (see triage.store.api.PresenceBoard and the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str], *, expiry: float, group_share: bool = False,
                 host: str | None = None) -> None:
        self.folder = Path(folder)
        self.user = deskfolder.my_login()
        self.host = host or socket.gethostname()
        self.expiry = float(expiry)
        self.group_share = group_share
        self.pid = os.getpid()
        self.path = self.folder / f"{self.user}.{secrets.token_hex(8)}{SUFFIX}"
        self._mode = deskfolder.file_mode(group_share)
        self._clock = deskfolder.DeskClock(self.folder)
        self._article = ""
        self._since = ""
        self._written = False
        self._left = False
        self._guard = threading.Lock()  # a TUI beats from one thread and leaves from another
        # what each entry read holds, by (name, inode, owner, size): an entry is replaced whole when it
        # changes (a beat only touches it), so a poll opens only the entries new since the last
        self._read: dict[tuple[str, int, int, int], dict[str, Any] | None] = {}
        deskfolder.check_folder(self.folder, group_share, create=False)
        self._clean_own()

    # -- PresenceBoard ---------------------------------------------------------------------------------
    def show(self, article_id: str) -> None:
        if type(article_id) is not str or len(article_id) > 512:
            raise ValueError("an article id is text of at most 512 characters")
        with self._guard:
            self._left = False
            if self._written and article_id == self._article:
                self._beat()
                return
            self._article, self._since = article_id, self._clock.now_iso()
            self._write()

    def beat(self) -> None:
        with self._guard:
            if not self._left:
                self._beat()

    def _beat(self) -> None:
        if self._written:
            try:
                os.utime(self.path, follow_symlinks=False)  # the kernel stamps it: that is the beat
                return
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot mark this TUI present ({exc.strerror}).") from None
        if not self._since:
            self._since = self._clock.now_iso()
        self._write()

    def seen(self) -> list[Seen]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{self.folder}: cannot read the desk folder ({exc.strerror}).") from None
        now = self._clock.now_ns()
        limit = int(self.expiry * 1e9)
        found: list[Seen] = []
        per_member: dict[str, int] = {}
        read: dict[tuple[str, int, int, int], dict[str, Any] | None] = {}
        for entry in entries:
            name = entry.name
            if not name.endswith(SUFFIX) or name.startswith("."):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            age = now - st.st_mtime_ns
            if not stat.S_ISREG(st.st_mode) or age > limit or age < -limit or st.st_size > MAX_PRESENCE:
                continue  # a link, a FIFO, an entry whose beats stopped: not read
            owner = deskfolder.login_of(st.st_uid)
            if not deskfolder.names_owner(name, owner, SUFFIX) or per_member.get(owner, 0) >= MAX_PER_MEMBER:
                continue
            key = (name, st.st_ino, st.st_uid, st.st_size)
            if key in self._read:
                doc = self._read[key]
            else:
                try:
                    doc = self._entry(Path(entry.path), st)
                except OSError:
                    continue  # gone or replaced meanwhile, or not readable now: looked at again next time
            read[key] = doc
            if doc is None or (doc["host"] == self.host and not pid_alive(doc["pid"])):
                continue
            per_member[owner] = per_member.get(owner, 0) + 1
            found.append(Seen(user=owner, host=doc["host"], pid=doc["pid"], article_id=doc["article_id"],
                              since=doc["since"], beat=deskfolder.iso_ns(st.st_mtime_ns)))
        self._read = read
        return sorted(found, key=lambda s: (s.user, s.host, s.pid))

    def leave(self) -> None:
        with self._guard:
            self._left = True
            if self._written:
                self._written = False
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise StoreError(f"{self.path}: cannot leave the desk ({exc.strerror}).") from None

    # -- the files ---------------------------------------------------------------------------------------
    @staticmethod
    def _entry(path: Path, listed: os.stat_result) -> dict[str, Any] | None:
        """What the entry `listed` holds (None when it holds no entry). OSError when it cannot be read
        now, or is not that file any more (replaced meanwhile; another's link, a FIFO in its place)."""
        fd = open_regular(path, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_uid, st.st_size) != (listed.st_ino, listed.st_uid, listed.st_size):
                raise FileNotFoundError(path)
            return read_entry(os.read(fd, MAX_PRESENCE + 1))
        finally:
            os.close(fd)

    def _write(self) -> None:
        """Replace this TUI's entry whole (a temp renamed onto it: ours, so allowed in a sticky folder)."""
        deskfolder.check_folder(self.folder, self.group_share, create=True)
        body = json.dumps({"v": VERSION, "host": self.host[:255], "pid": self.pid,
                           "article_id": self._article, "since": self._since}, ensure_ascii=False)
        tmp = self.folder / f".{self.path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, self._mode)
            try:
                os.fchmod(fd, self._mode)
                if self.group_share:
                    gid = os.stat(self.folder).st_gid
                    if os.fstat(fd).st_gid != gid:
                        try:
                            os.fchown(fd, -1, gid)
                        except OSError:
                            pass
                view = memoryview(body.encode("utf-8"))
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise StoreError(f"{self.path}: cannot mark this TUI present ({exc.strerror}).") from None
        self._written = True

    def _clean_own(self) -> None:
        """Remove this member's stale entries (and unfinished temp files) left by earlier runs: expired,
        or of a process of this host that is gone."""
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        now = deskfolder.kernel_now_ns(self.folder)
        limit = int(self.expiry * 1e9)
        me = os.geteuid()
        for entry in entries:
            name = entry.name
            temp = name.startswith(f".{self.user}.") and name.endswith(".tmp")
            if not (temp or (name.endswith(SUFFIX) and deskfolder.names_owner(name, self.user, SUFFIX))):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if st.st_uid != me or not stat.S_ISREG(st.st_mode):
                    continue
                stale = now - st.st_mtime_ns > limit
                if not stale and not temp and st.st_size <= MAX_PRESENCE:
                    with open(open_regular(entry.path, os.O_RDONLY), "rb") as fh:
                        doc = read_entry(fh.read(MAX_PRESENCE + 1))
                    stale = doc is None or (doc["host"] == self.host and not pid_alive(doc["pid"]))
                if stale:
                    os.unlink(entry.path)
            except OSError:
                continue
