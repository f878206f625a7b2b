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

import hashlib
import json
import os
import re
import secrets
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from triage.infra.atomic import fsync_dir
from triage.infra.clock import utc_key
from triage.model import DESK, DESK_ACTS, DeskAct, Handoff, Take, Watch
from triage.store.deskfolder import (
    DeskClock,
    check_folder,
    file_mode,
    iso_ns,
    login_of,
    my_login,
    names_owner,
)
from triage.store.errors import HeldError, NotYoursError, StoreError
from triage.store.files import open_regular, os_reason
from triage.store.lines import decode_line, is_timestamp, split_lines
from triage.store.lock import LockTimeout, StoreLock

__all__ = ["LOCK_NAME", "MAX_DESK_LINE", "SUFFIX", "FileDesk", "check_desk_line", "make_uid", "uid_is_owners"]

SUFFIX = ".jsonl"
LOCK_NAME = "desk.lock"
VERSION = 1
MAX_DESK_LINE = 64 * 1024  # bytes one line may take; a longer one is damaged
MAX_DESK_FILE = 1 << 30  # bytes of one member's file a reader takes in at most
MAX_DAMAGE = 1000  # damaged lines remembered (the count goes on)
# the text a line may hold, and how long each may be
LIMITS = {"uid": 64, "user": 64, "host": 255, "article_id": 512, "story": 512, "title": 1000, "to": 64,
          "note": 4000, "ref": 256, "query": 2000}
REQUIRED = {"take": ("article_id", "until"), "release": ("article_id",), "handoff": ("article_id", "to"),
            "ack": ("ref",), "watch": ("ref", "query"), "unwatch": ("ref",)}
_NAME = re.compile(r"[^\s\x00-\x1f\x7f]+")  # a colleague's login or a watch's name: no spaces, no controls


def make_uid(owner: str) -> str:
    """A new uid bound to its writer: random, then a hash of the writer's login and that random part."""
    head = secrets.token_hex(8)
    return head + hashlib.blake2b(f"{owner}\0{head}".encode(), digest_size=8).hexdigest()


def uid_is_owners(uid: str, owner: str) -> bool:
    """True when `uid` was made by make_uid(owner): one member cannot reuse another's uid as their own."""
    if len(uid) != 32:
        return False
    head = uid[:16]
    return hashlib.blake2b(f"{owner}\0{head}".encode(), digest_size=8).hexdigest() == uid[16:]


def check_desk_line(doc: Any, owner: str) -> str:
    """Why a line of `owner`'s file is not believed ("" when it is): a known kind, every field text of a
    bounded length, the stamps real times, the writer its owner and the uid its owner's."""
    if type(doc) is not dict:
        return "not an object"
    version = doc.get("v")
    if type(version) is not int:
        return "no version"
    if version > VERSION:
        return "written by a newer triage"
    kind = doc.get("kind")
    if type(kind) is not str or kind not in DESK_ACTS:
        return "an unknown kind"
    for key, limit in LIMITS.items():
        value = doc.get(key, "")
        if type(value) is not str:
            return f"{key} is not text"
        if len(value) > limit:
            return f"{key} is longer than {limit} characters"
    for key in REQUIRED[kind]:
        if key != "until" and not doc.get(key):
            return f"no {key}"
    if not is_timestamp(doc.get("at")):
        return "at is not a date and time"
    if kind == "take" and not is_timestamp(doc.get("until")):
        return "until is not a date and time"
    if doc.get("user") != owner:
        return f"it names {doc.get('user')!r}, but the file is {owner}'s"
    if not uid_is_owners(doc.get("uid", ""), owner):
        return f"its uid is not one {owner} made"
    return ""


def _text(value: str, what: str, limit: int, *, required: bool = False) -> str:
    if type(value) is not str:
        raise TypeError(f"{what} must be text")
    if required and not value:
        raise ValueError(f"{what} is empty")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def _name(value: str, what: str) -> str:
    _text(value, what, LIMITS["to"], required=True)
    if not _NAME.fullmatch(value):
        raise ValueError(f"{what} holds spaces or control characters")
    return value


# ---- what the lines say, taken in one at a time ----------------------------------------------------

class DeskState:
    """The desk as the lines read so far say it is: each member's takes, the hand-offs and their
    acknowledgements, the watches, and the history. Lines are applied in each file's order; the
    files' lines interleave by their stamps only where it matters (the history, the first of two
    claims)."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], Take] = {}  # (user, article) -> that user's latest take of it
        self.handoffs: dict[str, Handoff] = {}  # uid -> hand-off as made (without its acknowledgement)
        self.acks: dict[str, list[tuple[str, str]]] = {}  # hand-off uid -> [(at, user)]
        self.watches: dict[tuple[str, str], tuple[str, Watch]] = {}  # (owner, name) -> (first at, watch)
        self.acts: list[DeskAct] = []
        self.writers: set[str] = set()
        self._sorted = True

    def apply(self, doc: dict[str, Any], owner: str) -> None:
        """Take in one checked line of `owner`'s file."""
        get = doc.get
        kind, at, aid = doc["kind"], utc_key(doc["at"]), get("article_id", "")
        act = DeskAct(kind=kind, article_id=aid, user=owner, at=at, host=get("host", ""), to=get("to", ""),
                      note=get("note", "") or get("query", ""), uid=doc["uid"], ref=get("ref", ""),
                      title=get("title", ""), story=get("story", ""))
        self.writers.add(owner)
        if self.acts and (self.acts[-1].at, self.acts[-1].user) > (at, owner):
            self._sorted = False
        self.acts.append(act)
        key = (owner, aid)
        if kind == "take":
            before = self.held.get(key)
            if before is not None and act.ref and act.ref == before.uid:  # a renewal keeps since and uid
                self.held[key] = replace(before, until=utc_key(doc["until"]), host=act.host)
            else:
                self.held[key] = Take(article_id=aid, user=owner, host=act.host, since=at,
                                      until=utc_key(doc["until"]), story=act.story, title=act.title,
                                      uid=act.uid)
        elif kind == "release":
            before = self.held.get(key)
            if before is not None and act.ref in ("", before.uid):
                del self.held[key]
        elif kind == "handoff":
            self.handoffs.setdefault(act.uid, Handoff(uid=act.uid, article_id=aid, sender=owner, to=act.to,
                                                      note=act.note, at=at, host=act.host, title=act.title,
                                                      story=act.story))
        elif kind == "ack":
            self.acks.setdefault(act.ref, []).append((at, owner))
        elif kind == "watch":
            first = self.watches.get((owner, act.ref), (at, None))[0]
            self.watches[(owner, act.ref)] = (first, Watch(name=act.ref, query=get("query", ""), owner=owner,
                                                           desk=True, at=at))
        else:  # unwatch
            self.watches.pop((owner, act.ref), None)

    # -- views -------------------------------------------------------------------------------------
    def in_force(self, now: str) -> list[Take]:
        """Every member's takes not given back and not expired at `now`, oldest first (expired ones are
        forgotten: a take never comes back but by a new line)."""
        for key in [k for k, t in self.held.items() if t.until <= now]:
            del self.held[key]
        return sorted(self.held.values(), key=lambda t: (t.since, t.user))

    def takes(self, now: str) -> list[Take]:
        """At most one per story: of two claims (only a line written without the lock makes two), the
        first."""
        first: dict[str, Take] = {}
        for take in self.in_force(now):
            first.setdefault(take.article_id, take)
        return list(first.values())

    def handoff(self, uid: str) -> Handoff | None:
        made = self.handoffs.get(uid)
        if made is None:
            return None
        believed = [(at, user) for at, user in self.acks.get(uid, ())
                    if user == made.to or (made.to == DESK and user != made.sender)]
        if not believed:
            return made
        at, user = min(believed)
        return replace(made, seen_by=user, seen_at=at)

    def all_handoffs(self, since: str) -> list[Handoff]:
        chosen = [self.handoff(uid) for uid, h in self.handoffs.items() if h.at >= since]
        return sorted((h for h in chosen if h is not None), key=lambda h: (h.at, h.uid))

    def watch_of(self, owner: str, name: str) -> Watch | None:
        found = self.watches.get((owner, name))
        return found[1] if found else None

    def watch_named(self, name: str) -> Watch | None:
        """The desk's watch of that name: of two members' (made without the lock), the first made."""
        claims = sorted((first, owner, w) for (owner, n), (first, w) in self.watches.items() if n == name)
        return claims[0][2] if claims else None

    def all_watches(self) -> list[Watch]:
        names = sorted({name for _, name in self.watches})
        return [w for w in (self.watch_named(n) for n in names) if w is not None]

    def history(self) -> list[DeskAct]:
        if not self._sorted:
            self.acts.sort(key=lambda a: (a.at, a.user))
            self._sorted = True
        return self.acts


# ---- the files -------------------------------------------------------------------------------------

@dataclass
class _Tail:
    """How far one member's file has been read."""

    ino: int
    key: tuple[int, int] = (-1, -1)  # (inode, size) at the last look
    offset: int = 0  # bytes taken in (complete lines only)
    lines: int = 0
    believed: bool = False  # its lines are its owner's (its name says whose it is)


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
        self._folder_key: tuple[int, int] | None = None
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
        if not minutes > 0:
            raise ValueError("a take lasts a positive number of minutes")

        def build(now: int) -> dict[str, Any]:
            mine = None
            for held in self._state.in_force(iso_ns(now)):
                if held.article_id != article_id or (ended is not None and ended(held)):
                    continue
                if held.user != self.user:
                    raise HeldError(f"{article_id} is held by {held.user} until {held.until[11:16]} UTC.",
                                    held)
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
            if handoff.to != self.user and (handoff.to != DESK or handoff.sender == self.user):
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
        _name(name, "the watch's name")
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
        # a folder changed within the last seconds is listed again: its time is coarse, so a file made
        # in the same tick as the last listing leaves it unchanged
        if key != self._folder_key or self._clock.now_ns() - st.st_mtime_ns < 2_000_000_000:
            try:
                self._names = sorted(e.name for e in os.scandir(self.folder)
                                     if e.name.endswith(SUFFIX) and not e.name.startswith("."))
            except OSError as exc:
                raise StoreError(f"{self.folder}: cannot read the desk folder ({exc.strerror}).") from None
            self._folder_key = key
            if any(name not in self._names for name, tail in self._tails.items() if tail.offset):
                self._rebuild_needed = True  # a file read before is gone: what it said goes too
                return True
        changed = False
        for name in self._names:
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
        if tail is not None and tail.key == (lst.st_ino, lst.st_size):
            return False
        try:
            fd = open_regular(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as exc:
            self._note_file(name, lst.st_ino, os_reason(exc))
            self._tails[name] = _Tail(lst.st_ino, (lst.st_ino, lst.st_size))
            return False
        try:
            return self._read(name, fd, tail)
        finally:
            os.close(fd)

    def _read(self, name: str, fd: int, tail: _Tail | None) -> bool:
        st = os.fstat(fd)
        if tail is not None and (tail.ino != st.st_ino or st.st_size < tail.offset):
            if tail.offset:  # replaced or cut short: what was read of it may no longer be so
                self._rebuild_needed = True
                return True
            tail = None
        if tail is None:
            owner = login_of(st.st_uid)
            named = names_owner(name, owner, SUFFIX)
            # a device only comes through our own link (e.g. /dev/full): nothing in it to read
            tail = _Tail(st.st_ino, believed=named and stat.S_ISREG(st.st_mode))
            self._tails[name] = tail
            if not named:
                self._note_file(name, st.st_ino, f"named after another member, but it is {owner}'s")
        tail.key = (st.st_ino, st.st_size)
        if not tail.believed:
            return False
        end = min(st.st_size, MAX_DESK_FILE)
        if st.st_size > MAX_DESK_FILE:
            self._note_file(name, st.st_ino, f"larger than {MAX_DESK_FILE >> 20} MiB; only its start is read")
        os.lseek(fd, tail.offset, os.SEEK_SET)
        left = [max(0, end - tail.offset)]

        def read(n: int) -> bytes:
            data = os.read(fd, min(n, left[0])) if left[0] > 0 else b""
            left[0] -= len(data)
            return data

        owner = login_of(st.st_uid)
        changed = False
        for line, too_long, taken in split_lines(read, MAX_DESK_LINE):
            tail.offset += taken
            tail.lines += 1
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
            why = check_desk_line(doc, owner)
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
        """Under the desk's lock: take in what the others wrote, build the line (or raise), append it."""
        with self._guard:
            try:
                if self.read_only:
                    raise StoreError(f"{self.folder}: the desk was opened read-only; nothing was written.")
                self._hold_lock()
                try:
                    self.refresh()
                    doc = build(self._clock.now_ns())
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
        path = self._my_path()
        try:
            fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, self._mode, one_link=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot write the desk record ({os_reason(exc)}); nothing was "
                             "recorded.") from None
        size = 0
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid():  # made by another member a moment ago: write our own elsewhere
                self._mine = None
                raise StoreError(f"{path}: made by another member; not written (try again).")
            new = st.st_size == 0
            if stat.S_ISREG(st.st_mode):
                self._settle_file(fd, st)
            size = st.st_size
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
