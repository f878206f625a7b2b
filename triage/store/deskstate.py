"""What a member's lines of the desk say: each line checked on its own (a known kind, every field
text of a bounded length, real times, written by the file's owner, a uid its owner made), and the
desk they add up to (DeskState): each member's takes, the hand-offs and their acknowledgements, the
watches, the history. No I/O: deskfiles.py reads the files and feeds the lines in.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from triage.infra.clock import parse_iso, utc_key
from triage.infra.sanitize import has_forbidden
from triage.model import DESK, DESK_ACTS, DeskAct, Handoff, Take, Watch
from triage.store.deskfolder import iso_ns
from triage.store.lines import is_timestamp

__all__ = ["LIMITS", "MAX_TAKE_MINUTES", "VERSION", "DeskState", "check_desk_line", "make_uid",
           "uid_is_owners"]

VERSION = 1
# the text a line may hold, and how long each may be
LIMITS = {"uid": 64, "user": 64, "host": 255, "article_id": 512, "story": 512, "title": 1000, "to": 64,
          "note": 4000, "ref": 256, "query": 2000}
_LOGIN = re.compile(r"\S+")  # a colleague's login: no spaces (and nothing the sanitiser forbids)
_WATCH = re.compile(r"\S(?:[\S ]*\S)?")  # a watch's name: one line, no end spaces (nor anything forbidden)


def check_text(value: str, what: str, limit: int, *, required: bool = False) -> str:
    """`value`, if it is text of at most `limit` characters (and not empty when `required`)."""
    if type(value) is not str:
        raise TypeError(f"{what} must be text")
    if required and not value:
        raise ValueError(f"{what} is empty")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def check_name(value: str, what: str, *, watch: bool = False) -> str:
    """`value`, if it can name a colleague (one word) or, with `watch`, a watch (words, one line): the
    same rule for both stores."""
    check_text(value, what, LIMITS["to"], required=True)
    if has_forbidden(value) or not (_WATCH if watch else _LOGIN).fullmatch(value):
        why = "control characters or end spaces" if watch else "spaces or control characters"
        raise ValueError(f"{what} holds {why}")
    return value


REQUIRED = {"take": ("article_id", "until"), "release": ("article_id",), "handoff": ("article_id", "to"),
            "ack": ("ref",), "watch": ("ref", "query"), "unwatch": ("ref",)}
MAX_TAKE_MINUTES = 7 * 24 * 60  # a take longer than a week is a slip of the keyboard (or not believed)
# how far after its file was last written a line may be dated: the writer's stamp is the kernel's
# time (or a second past the latest line), so more than a clock set right again is a line dated ahead
AHEAD_OF_FILE = timedelta(days=1)
KEEP_STAMPS = 64  # the latest stamps kept to stamp after (lines far ahead cannot hide them all)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def check_desk_line(doc: Any, owner: str, written: datetime | None = None) -> str:
    """Why a line of `owner`'s file is not believed ("" when it is): a known kind, every field text of a
    bounded length, the stamps real times (not dated far past `written`, when the file was last written;
    a take of at most a week), the writer its owner and the uid its owner's."""
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
    for key, value in doc.items():
        limit = LIMITS.get(key)
        if limit is None:
            continue
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
    at = parse_iso(doc["at"])
    if at is None or (written is not None and at > written + AHEAD_OF_FILE):
        return "dated after its file was last written"
    if kind == "take":
        until = parse_iso(doc["until"])
        if until is None or until - at > timedelta(minutes=MAX_TAKE_MINUTES + 1):
            return "a take longer than a week"
    return ""


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
        self.latest: list[str] = []  # the latest stamps read, sorted (a few: see next_stamp)
        self._sorted = True

    def apply(self, doc: dict[str, Any], owner: str) -> None:
        """Take in one checked line of `owner`'s file."""
        get = doc.get
        kind, at, aid = doc["kind"], utc_key(doc["at"]), get("article_id", "")
        act = DeskAct(kind=kind, article_id=aid, user=owner, at=at, host=get("host", ""), to=get("to", ""),
                      note=get("note", "") or get("query", ""), uid=doc["uid"], ref=get("ref", ""),
                      title=get("title", ""), story=get("story", ""))
        self.writers.add(owner)
        if len(self.latest) < KEEP_STAMPS or at > self.latest[0]:
            bisect.insort(self.latest, at)
            del self.latest[:-KEEP_STAMPS]
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

    def next_stamp(self, now_ns: int) -> int:
        """A stamp for a line written now (under the lock): after every line read so far, so the
        history's order is the order the lock let the lines in, whatever each clock's grain. A stamp
        more than a second ahead of now (a hand-written line) is not followed."""
        cap = iso_ns(now_ns + 1_000_000_000)
        below = bisect.bisect_right(self.latest, cap)
        floor = self.latest[below - 1] if below else ""
        if floor < iso_ns(now_ns):
            return now_ns
        stamp = parse_iso(floor)
        if stamp is None:
            return now_ns
        return (stamp - _EPOCH) // timedelta(microseconds=1) * 1000 + 1000

    # -- views -------------------------------------------------------------------------------------
    def in_force(self, now: str) -> list[Take]:
        """Every member's takes not given back and not expired at `now`, oldest first (expired ones are
        forgotten: a take never comes back but by a new line)."""
        for key in [k for k, t in self.held.items() if t.until <= now]:
            del self.held[key]
        return sorted(self.held.values(), key=lambda t: (t.since, t.user))

    def takes(self, now: str) -> list[Take]:
        """The holder of each story (see holder), oldest first."""
        latest: dict[str, Take] = {}
        for take in self.in_force(now):
            latest[take.article_id] = take
        return sorted(latest.values(), key=lambda t: (t.since, t.user))

    def holder(self, article_id: str, now: str) -> Take | None:
        """Who holds a story: of the claims still in force, the latest. A take is written under the
        lock only once every earlier claim was given back, expired or ended (the story decided since),
        so an earlier one still in force is one that ended."""
        claims = [t for t in self.in_force(now) if t.article_id == article_id]
        return claims[-1] if claims else None

    def handoff(self, uid: str) -> Handoff | None:
        made = self.handoffs.get(uid)
        if made is None:
            return None
        believed = [(at, user) for at, user in self.acks.get(uid, ()) if self.may_acknowledge(made, user)]
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

    def may_acknowledge(self, handoff: Handoff, user: str) -> bool:
        """Whether `user` is one who may say they saw it: the one it is for, or a colleague for the desk."""
        return user == handoff.to or (handoff.to == DESK and user != handoff.sender)

    def history(self) -> list[DeskAct]:
        """Every act, oldest first; an acknowledgement of a hand-off that was not for its writer is none."""
        if not self._sorted:
            self.acts.sort(key=lambda a: (a.at, a.user))
            self._sorted = True
        return [a for a in self.acts if a.kind != "ack" or self._fair_ack(a)]

    def _fair_ack(self, act: DeskAct) -> bool:
        made = self.handoffs.get(act.ref)
        return made is None or self.may_acknowledge(made, act.user)
