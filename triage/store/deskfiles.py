"""The desk's record on one host: takes, hand-offs with their acknowledgements and desk watches, kept as
one append-only JSON-lines file per member in the desk folder (see deskfolder.py).

Only its owner writes a member's file (0640 in a sticky folder: the group reads it, nobody else may
change, remove or replace it), and a reader takes every line in it as its owner's: a line that names
someone else, or a file named after someone other than its owner, is not believed. A hand-off's uid is
bound to its sender (a hash of the sender's login), so nobody can shadow another's hand-off either.

Every write holds the desk's lock (an flock on `desk.lock` in the folder) while it reads what the
others wrote and appends its line, so of two takes at once exactly one wins. A line is appended with
one write and fdatasync; a write that fails part-way (a full disk) is cut off again, so nothing
half-written is ever read. Readers take in only complete lines, each checked on its own (types,
lengths, known kinds): a damaged one costs only itself and is said once in `damage`. Files are read
incrementally; `refresh()` when nothing changed is a stat of the folder and of each member's file.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.infra.atomic import fsync_dir
from triage.infra.clock import utc_key
from triage.model import DESK, DeskAct, Handoff, Take, Watch
from triage.store.deskfolder import (
    DeskClock,
    check_folder,
    create_exact,
    file_mode,
    iso_ns,
    kernel_now_ns,
    login_of,
    my_login,
    names_owner,
)
from triage.store.deskstate import LIMITS, MAX_TAKE_MINUTES, VERSION, DeskState, check_desk_line, make_uid
from triage.store.deskstate import check_name as _name
from triage.store.deskstate import check_text as _text
from triage.store.errors import HeldError, NotYoursError, StoreError
from triage.store.files import open_regular, os_reason
from triage.store.lines import decode_line, split_lines
from triage.store.lock import LockTimeout, StoreLock

__all__ = ["LOCK_NAME", "MAX_DESK_LINE", "SUFFIX", "FileDesk"]

SUFFIX = ".jsonl"
LOCK_NAME = "desk.lock"
MAX_DESK_LINE = 64 * 1024  # bytes one line may take; a longer one is damaged
MAX_DESK_FILE = 64 << 20  # bytes of one member's file a reader takes in at once (its latest)
MAX_DAMAGE = 1000  # damaged lines remembered (the count goes on)
MAX_FILES = 4  # files of one member read (they write one, or two when another took their plain name)


# ---- the files ----------------------------------------------------------------------------------------

@dataclass
class _Tail:
    """How far one member's file has been read."""

    ino: int
    key: tuple[int, int, int] = (-1, -1, -1)  # (inode, size, modified) at the last look
    offset: int = 0  # bytes taken in (complete lines only)
    last: bytes = b""  # the last line taken in, with its newline: still there, or the file was cut back
    lines: int = 0
    believed: bool = False  # its lines are its owner's (its name says whose it is)
    owner: str = ""


class FileDesk:
    """DeskRecord on one host (see triage.store.api.DeskRecord and the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str], *, group_share: bool = False, user: str | None = None,
                 host: str | None = None, read_only: bool = False, lock_timeout: float = 5.0) -> None:
        self.folder = Path(folder)
        me = my_login()
        if user is not None and user != me:
            raise StoreError(f"{self.folder}: on one host each editor writes the desk as their own login "
                             f"({me}), never as {user!r}.")
        self.user = me
        self.host = host or socket.gethostname()
        self.group_share = group_share
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self._mode = file_mode(group_share)
        self._lock = StoreLock(self.folder / LOCK_NAME, mode=0o660 if group_share else 0o600,
                               timeout=lock_timeout)
        self._clock = DeskClock(self.folder)
        self._guard = threading.RLock()
        self._state = DeskState()
        self._tails: dict[str, _Tail] = {}
        self._believed_files: dict[str, set[str]] = {}  # owner -> the names of their files believed
        self._folder_key: tuple[int, int] | None = None
        self._folder_id: tuple[int, int] | None = None  # (inode, owner) of the folder first read
        self._replaced = ""  # said when the folder, or a file read before, was swapped or removed since
        self._names: list[str] = []
        self._damaged: list[tuple[str, int, str]] = []  # (file, line, why)
        self._damaged_count = 0
        self._noted: set[tuple[str, int]] = set()  # (file, inode) said once as not believed
        self._mine: Path | None = None
        self._last_error = ""
        self._members: list[str] | None = None
        check_folder(self.folder, group_share, create=False)
        self.refresh()

    # -- DeskRecord: state -------------------------------------------------------------------------
    @property
    def last_error(self) -> str:
        return self._last_error

    @property
    def damage(self) -> str:
        if self._replaced:
            return self._replaced
        if not self._damaged:
            return ""
        name, number, why = self._damaged[0]
        where = f"line {number}" if number else "the file"
        more = f" and {self._damaged_count - 1} more" if self._damaged_count > 1 else ""
        return f"{self.folder / name}: {where} is not believed ({why}){more}; skipped."

    # -- DeskRecord: writing -----------------------------------------------------------------------
    def take(self, article_id: str, *, minutes: float, story: str = "", title: str = "",
             ended: Callable[[Take], bool] | None = None) -> Take:
        _text(article_id, "article_id", LIMITS["article_id"], required=True)
        _text(story, "story", LIMITS["story"])
        if not 0 < minutes <= MAX_TAKE_MINUTES:
            raise ValueError(f"a take lasts more than 0 and at most {MAX_TAKE_MINUTES} minutes")

        def build(now: int) -> dict[str, Any]:
            held = self._state.holder(article_id, iso_ns(now))
            if held is not None and ended is not None and ended(held):
                held = None
            if held is not None and held.user != self.user:
                raise HeldError(f"{article_id} is held by {held.user} until {held.until[11:16]} UTC.", held)
            mine = held
            doc = self._doc("take", now, article_id=article_id, until=iso_ns(now + int(minutes * 60e9)),
                            story=story, title=title[:LIMITS["title"]])
            if mine is not None:
                doc["ref"] = mine.uid
            return doc

        self._write(build)
        return self._state.held[(self.user, article_id)]

    def release(self, article_id: str) -> Take | None:
        given: list[Take] = []

        def build(now: int) -> dict[str, Any] | None:
            held = self._state.held.get((self.user, article_id))
            if held is None or held.until <= iso_ns(now):
                return None
            given.append(held)
            return self._doc("release", now, article_id=article_id, ref=held.uid)

        self._write(build)
        return given[0] if given else None

    def hand(self, article_id: str, to: str, note: str = "", *, story: str = "", title: str = "") -> Handoff:
        _text(article_id, "article_id", LIMITS["article_id"], required=True)
        _name(to, "the colleague's name")
        _text(note, "the note", LIMITS["note"])
        _text(story, "story", LIMITS["story"])
        made: list[str] = []

        def build(now: int) -> dict[str, Any]:
            doc = self._doc("handoff", now, article_id=article_id, to=to, note=note, story=story,
                            title=title[:LIMITS["title"]])
            made.append(doc["uid"])
            return doc

        self._write(build)
        handoff = self._state.handoff(made[0])
        assert handoff is not None
        return handoff

    def acknowledge(self, handoff_uid: str) -> Handoff:
        def build(now: int) -> dict[str, Any] | None:
            handoff = self._state.handoff(handoff_uid)
            if handoff is None:
                raise KeyError(handoff_uid)
            if not self._state.may_acknowledge(handoff, self.user):
                whom = "the desk" if handoff.to == DESK else handoff.to
                who = "a colleague" if handoff.to == DESK else whom
                raise NotYoursError(f"the hand-off of {handoff.article_id} by {handoff.sender} is for "
                                    f"{whom}, so only {who} can acknowledge it.")
            if handoff.seen:
                return None
            return self._doc("ack", now, article_id=handoff.article_id, ref=handoff_uid)

        if self.read_only:
            self.refresh()
            build(0)  # the same answers (KeyError, NotYoursError) before the read-only refusal
        self._write(build)
        handoff = self._state.handoff(handoff_uid)
        assert handoff is not None
        return handoff

    def add_watch(self, name: str, query: str) -> Watch:
        _name(name, "the watch's name", watch=True)
        _text(query, "the query", LIMITS["query"], required=True)

        def build(now: int) -> dict[str, Any] | None:
            mine = self._state.watch_of(self.user, name)
            current = mine or self._state.watch_named(name)
            if current is not None and current.owner != self.user:
                raise NotYoursError(f"the desk watch {name!r} is {current.owner}'s; pick another name.")
            if mine is not None and mine.query == query:
                return None
            return self._doc("watch", now, ref=name, query=query)

        self._write(build)
        watch = self._state.watch_of(self.user, name)
        assert watch is not None
        return watch

    def remove_watch(self, name: str) -> Watch | None:
        removed: list[Watch] = []

        def build(now: int) -> dict[str, Any] | None:
            mine = self._state.watch_of(self.user, name)
            if mine is None:
                theirs = self._state.watch_named(name)
                if theirs is not None:
                    raise NotYoursError(f"the desk watch {name!r} is {theirs.owner}'s; only they can "
                                        "remove it.")
                return None
            removed.append(mine)
            return self._doc("unwatch", now, ref=name)

        self._write(build)
        return removed[0] if removed else None

    # -- DeskRecord: reading -----------------------------------------------------------------------
    def takes(self) -> list[Take]:
        with self._guard:
            return self._state.takes(self._clock.now_iso())

    def handoffs(self, *, since: str = "") -> list[Handoff]:
        with self._guard:
            return self._state.all_handoffs(utc_key(since) if since else "")

    def watches(self) -> list[Watch]:
        with self._guard:
            return self._state.all_watches()

    def acts(self, article_id: str | None = None, *, since: str = "") -> list[DeskAct]:
        start = utc_key(since) if since else ""
        with self._guard:
            return [a for a in self._state.history()
                    if (article_id is None or a.article_id == article_id) and a.at >= start]

    def members(self) -> list[str]:
        with self._guard:
            if self._members is None:
                self._members = self._group_members()
            return sorted({*self._members, *self._state.writers, self.user})

    def _group_members(self) -> list[str]:
        """The desk group's members (by the folder's group, else the decisions file's) when shared."""
        import grp
        import pwd

        decisions = self.folder.with_name(self.folder.name.removesuffix(".desk"))
        for source in (self.folder, decisions):
            try:
                st = os.stat(source)
            except OSError:
                continue
            if not st.st_mode & 0o070:
                return []
            try:
                named = set(grp.getgrgid(st.st_gid).gr_mem)
            except KeyError:
                named = set()
            named.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == st.st_gid)
            return sorted(named)
        return []

    def refresh(self) -> bool:
        with self._guard:
            changed = self._refresh()
            if self._rebuild_needed:
                self._state, self._tails, self._folder_key = DeskState(), {}, None
                self._believed_files = {}
                self._damaged, self._damaged_count, self._noted = [], 0, set()
                self._refresh()
                changed = True
            return changed

    def close(self) -> None:
        """Nothing is held open between calls."""

    # -- reading the files -------------------------------------------------------------------------
    _rebuild_needed = False

    def _refresh(self) -> bool:
        self._rebuild_needed = False
        try:
            st = os.stat(self.folder)
        except OSError:
            if self._tails:
                self._rebuild_needed = True
            return False
        key = (st.st_ino, st.st_mtime_ns)
        if self._folder_id is None:
            self._folder_id = (st.st_ino, st.st_uid)
        elif self._folder_id[0] != st.st_ino and not self._replaced:
            # its folder (the decisions file's) is the group's to write: a member may rename the whole
            # desk folder away and make another; nobody's lines become another's, but say it
            self._replaced = (f"{self.folder}: the desk folder was replaced since it was opened (it is now "
                              f"{login_of(st.st_uid)}'s); what the old one held is no longer shown.")
        # a folder changed within the last seconds is listed again: its time is coarse, so a file made
        # in the same tick as the last listing leaves it unchanged
        listed = key != self._folder_key or self._clock.now_ns() - st.st_mtime_ns < 2_000_000_000
        if listed:
            try:
                self._names = sorted(e.name for e in os.scandir(self.folder)
                                     if e.name.endswith(SUFFIX) and not e.name.startswith("."))
            except OSError as exc:
                raise StoreError(f"{self.folder}: cannot read the desk folder ({exc.strerror}).") from None
            self._folder_key = key
            gone = [name for name, tail in self._tails.items() if tail.offset and name not in self._names]
            if gone:  # a file read before was removed (by its owner, or the folder's): so is what it said
                if not self._replaced:
                    self._replaced = (f"{self.folder / gone[0]}: removed since it was read; what it held "
                                      "is no longer shown.")
                self._rebuild_needed = True
                return True
        changed = False
        for name in self._names:
            tail = self._tails.get(name)
            if not listed and tail is not None and tail.ino >= 0 and not tail.believed:
                continue  # whose a file is stays so: another put in its place would change the folder
            changed |= self._scan(name)
            if self._rebuild_needed:
                return True
        return changed

    def _scan(self, name: str) -> bool:
        path = self.folder / name
        try:
            lst = os.lstat(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the desk record ({exc.strerror}).") from None
        tail = self._tails.get(name)
        if tail is not None and tail.key == (lst.st_ino, lst.st_size, lst.st_mtime_ns):
            return False
        try:
            fd = open_regular(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as exc:  # said once; looked at again when it changes (it may be readable then)
            self._note_file(name, lst.st_ino, os_reason(exc))
            self._tails[name] = _Tail(-1, (lst.st_ino, lst.st_size, lst.st_mtime_ns))
            return False
        try:
            return self._read(name, fd, tail)
        finally:
            os.close(fd)

    def _read(self, name: str, fd: int, tail: _Tail | None) -> bool:
        st = os.fstat(fd)
        if tail is not None and (tail.ino != st.st_ino or st.st_size < tail.offset or (
                tail.last and os.pread(fd, len(tail.last), tail.offset - len(tail.last)) != tail.last)):
            # replaced or cut back (a write whose sync failed, and another line since where it was):
            # what was read of it may no longer be so
            if tail.offset:
                self._rebuild_needed = True
                return True
            tail = None
        if tail is None:
            owner = login_of(st.st_uid)
            named = names_owner(name, owner, SUFFIX)
            # a device only comes through our own link (e.g. /dev/full): nothing in it to read
            tail = _Tail(st.st_ino, believed=named and stat.S_ISREG(st.st_mode), owner=owner)
            if not named:
                self._note_file(name, st.st_ino, f"named after another member, but it is {owner}'s")
            elif tail.believed:
                # a heap of one member's files costs the desk no more than these (counted by owner, not
                # by walking every file read: that was the square of a heap's size)
                files = self._believed_files.setdefault(owner, set())
                if len(files - {name}) >= MAX_FILES:
                    tail.believed = False
                    self._note_file(name, st.st_ino, f"one of more than {MAX_FILES} files of {owner}")
                else:
                    files.add(name)
            self._tails[name] = tail
        tail.key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if not tail.believed:
            return False
        skip = st.st_size - tail.offset > MAX_DESK_FILE  # read its latest lines: they hold what is in force
        if skip:
            self._note_file(name, st.st_ino, f"more than {MAX_DESK_FILE >> 20} MiB to read; only its last "
                                             f"{MAX_DESK_FILE >> 20} MiB are")
            tail.offset = st.st_size - MAX_DESK_FILE
        os.lseek(fd, tail.offset, os.SEEK_SET)
        left = [max(0, st.st_size - tail.offset)]

        def read(n: int) -> bytes:
            data = os.read(fd, min(n, left[0])) if left[0] > 0 else b""
            left[0] -= len(data)
            return data

        owner = login_of(st.st_uid)
        # when the file was last written: its ctime, which no one can set (its owner can set the mtime)
        written = datetime.fromtimestamp(st.st_ctime_ns / 1e9, UTC)
        changed = False
        for line, too_long, taken in split_lines(read, MAX_DESK_LINE):
            tail.offset += taken
            tail.lines += 1
            tail.last = line + b"\n" if not too_long else b""
            if skip:  # the end of a line whose start was skipped
                skip = False
                continue
            if too_long:
                self._note(name, tail.lines, f"longer than {MAX_DESK_LINE} bytes")
                continue
            if not line.strip():
                continue
            try:
                doc = decode_line(line)
            except ValueError as exc:
                self._note(name, tail.lines, str(exc))
                continue
            why = check_desk_line(doc, owner, written)
            if why:
                self._note(name, tail.lines, why)
                continue
            self._state.apply(doc, owner)
            changed = True
        return changed

    def _note(self, name: str, line: int, why: str) -> None:
        self._damaged_count += 1
        if len(self._damaged) < MAX_DAMAGE:
            self._damaged.append((name, line, why))

    def _note_file(self, name: str, ino: int, why: str) -> None:
        if (name, ino) not in self._noted:
            self._noted.add((name, ino))
            self._note(name, 0, why)

    # -- writing ------------------------------------------------------------------------------------
    def _doc(self, kind: str, now: int, **fields: str) -> dict[str, Any]:
        return {"v": VERSION, "kind": kind, "uid": make_uid(self.user), "at": iso_ns(now), "user": self.user,
                "host": self.host[:LIMITS["host"]], **fields}

    def _write(self, build: Callable[[int], dict[str, Any] | None]) -> None:
        """Under the desk's lock: take in what the others wrote, build the line (or raise), append it.
        Readers in other threads wait only for that, never for the lock (each thread takes it itself)."""
        try:
            if self.read_only:
                raise StoreError(f"{self.folder}: the desk was opened read-only; nothing was written.")
            self.refresh()  # catch up first, so the lock is held only for what came meanwhile
            self._hold_lock()
            try:
                with self._guard:
                    self.refresh()
                    doc = build(self._state.next_stamp(kernel_now_ns(self.folder)))
                    if doc is not None:
                        self._append(doc)
                        self.refresh()
            finally:
                self._lock.release()
        except StoreError as exc:
            self._last_error = str(exc)
            raise
        self._last_error = ""

    def _hold_lock(self) -> None:
        check_folder(self.folder, self.group_share, create=True)
        try:
            create_exact(self._lock.path, self._lock.mode)
            self._lock.acquire()
        except LockTimeout:
            raise StoreError(f"{self.folder}: busy: another process has held the desk's lock for more than "
                             f"{self.lock_timeout:g} s; try again.") from None
        except OSError as exc:
            raise StoreError(f"{self._lock.path}: cannot use the desk's lock file "
                             f"({os_reason(exc)}).") from None

    def _my_path(self) -> Path:
        """This member's own file: `<login>.jsonl`, or `<login>.<token>.jsonl` when another member made a
        file of that name first (it is not believed, and cannot be removed by us in a sticky folder)."""
        if self._mine is not None:
            return self._mine
        plain = self.folder / f"{self.user}{SUFFIX}"
        try:
            taken = os.lstat(plain).st_uid != os.geteuid()
        except FileNotFoundError:
            taken = False
        if taken:
            plain = self.folder / f"{self.user}.{secrets.token_hex(8)}{SUFFIX}"
            for entry in os.scandir(self.folder):
                if names_owner(entry.name, self.user, SUFFIX) and \
                        entry.stat(follow_symlinks=False).st_uid == os.geteuid():
                    plain = Path(entry.path)
                    break
        self._mine = plain
        return plain

    def _append(self, doc: dict[str, Any]) -> None:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        if len(data) > MAX_DESK_LINE:
            raise ValueError(f"a desk line longer than {MAX_DESK_LINE} bytes")
        path, fd, st = self._open_mine()
        size = st.st_size  # what a failure cuts back to: never less than was there
        new = size == 0
        try:
            if stat.S_ISREG(st.st_mode):
                self._settle_file(fd, st)
            if size and os.pread(fd, 1, size - 1) != b"\n":
                size = self._cut_unfinished(fd, size)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fdatasync(fd)
        except OSError as exc:
            try:  # take back a partial line (a full disk): nothing half-written is ever read
                os.ftruncate(fd, size)
            except OSError:
                pass
            raise StoreError(f"{path}: cannot write the desk record ({os_reason(exc)}); nothing was "
                             "recorded.") from None
        finally:
            os.close(fd)
        if new:
            try:
                fsync_dir(self.folder)
            except OSError:
                pass

    def _open_mine(self) -> tuple[Path, int, os.stat_result]:
        """Open this member's own file to append (made with its mode when missing). A file of that name
        another member made (before us, or in a desk folder swapped for theirs) is left alone: we write
        to a name of our own beside it."""
        for _ in range(3):
            path = self._my_path()
            try:
                create_exact(path, self._mode)
                fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, self._mode, one_link=True)
            except OSError as exc:
                raise StoreError(f"{path}: cannot write the desk record ({os_reason(exc)}); nothing was "
                                 "recorded.") from None
            st = os.fstat(fd)
            if st.st_uid == os.geteuid():
                return path, fd, st
            os.close(fd)
            self._mine = None
        raise StoreError(f"{self.folder}: other members keep making files under this member's name; "
                         "nothing was recorded.")

    def _settle_file(self, fd: int, st: os.stat_result) -> None:
        """Our file's mode and group: the group reads it (the folder's group), nobody else does."""
        if stat.S_IMODE(st.st_mode) != self._mode:
            os.fchmod(fd, self._mode)
        if self.group_share:
            gid = os.stat(self.folder).st_gid
            if st.st_gid != gid:
                try:
                    os.fchown(fd, -1, gid)
                except OSError:
                    pass

    @staticmethod
    def _cut_unfinished(fd: int, size: int) -> int:
        """End an unfinished line (a writer of ours that died mid-write), which no reader took in: cut
        it off, or (longer than a line may be) end it, so it is one damaged line."""
        start = max(0, size - MAX_DESK_LINE - 1)
        tail = os.pread(fd, size - start, start)
        if b"\n" in tail or start == 0:
            cut = start + tail.rfind(b"\n") + 1
            os.ftruncate(fd, cut)
            return cut
        os.write(fd, b"\n")
        return size + 1
