"""The desk's shared analysis: one JSON file per analysis in a folder every member of the desk reads,
so that a story is analysed once per host, not once per editor; and claim files, so that editors
started together split the work instead of each doing all of it.

What another member wrote is data, checked on reading (schema, types, sizes, spans inside the text,
the key and the text it was made for): an entry that fails costs its story one fresh analysis and one
log line. Entries are created without replacing (a link from a private temp file), in a folder with
the sticky bit when a group shares it, so no member can replace or remove another's.
"""

from __future__ import annotations

import enum
import errno
import hashlib
import json
import logging
import math
import os
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triage.infra.private import NotRegular, read_regular

from ..model import ENTITY_KINDS, Analysis, Article, Entity
from .cache import analysis_to_dict

__all__ = ["BadEntry", "Claim", "SharedCache", "entry_bytes", "entry_from_bytes", "text_digest"]

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_ENTRY_BYTES = 256 << 10  # far above any real analysis (a few kB): a bigger file is not read
MAX_CLAIM_BYTES = 4096
CLAIM_WAIT = 60.0  # a claim seen longer than this (by our own clock) is taken over
KEEP_DAYS = 30  # our own entries older than this are removed when a pool starts
_LIMITS = {"summary": 64, "entities": 1000, "variants": 200, "key_terms": 64, "chars": 2000}
_FLAGS = os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


class Claim(enum.Enum):
    """What `SharedCache.claim` found: analyse it (MINE: release it after; FREE: nothing to release),
    another process is on it (THEIRS), or its analysis is there already (DONE)."""

    MINE = "mine"
    FREE = "free"
    THEIRS = "theirs"
    DONE = "done"


class BadEntry(ValueError):
    """A shared entry that cannot be used; the message says why, in a few words."""


def text_digest(article: Article) -> str:
    """The digest of the text an analysis was made from (headline and text)."""
    return hashlib.sha256(f"{article.title}\x00{article.text}".encode("utf-8", "surrogatepass")).hexdigest()


def file_stem(key: str) -> str:
    """The file name (without suffix) of a cache key: a digest, so no key can name another path."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


# -- entries: written as JSON, read back as checked data ------------------------------------------
def entry_bytes(key: str, article: Article, analysis: Analysis) -> bytes:
    """The bytes of the entry for `analysis` of `article` under `key`."""
    entry = {"schema": SCHEMA, "key": key, "text": text_digest(article),
             "analysis": analysis_to_dict(analysis)}
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def _str(value: Any, what: str, limit: int = _LIMITS["chars"]) -> str:
    if not isinstance(value, str):
        raise BadEntry(f"{what} is not a string")
    if len(value) > limit:
        raise BadEntry(f"{what} is too long")
    return value


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise BadEntry(f"{what} is not a list")
    if len(value) > limit:
        raise BadEntry(f"{what} has too many items")
    return value


def _int(value: Any, what: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadEntry(f"{what} is not a whole number in range")
    return value


def _entities(value: Any) -> dict[str, tuple[Entity, ...]]:
    if not isinstance(value, dict):
        raise BadEntry("entities is not an object")
    out: dict[str, tuple[Entity, ...]] = {}
    for kind, items in value.items():
        if kind not in ENTITY_KINDS:
            raise BadEntry("an entity kind is unknown")
        group = []
        for item in _list(items, "an entity group", _LIMITS["entities"]):
            if not isinstance(item, list) or len(item) != 3:
                raise BadEntry("an entity is not [text, count, variants]")
            text, count, variants = item
            group.append(Entity(text=_str(text, "an entity"), kind=kind,
                                count=_int(count, "an entity's count", 1, 10_000_000),
                                variants=tuple(_str(v, "a variant") for v in
                                               _list(variants, "variants", _LIMITS["variants"]))))
        out[kind] = tuple(group)
    return out


# What may come right before a summary sentence's first character (after spaces) or right at its end: a
# sentence ends there. An entry of another member holds only whole sentences of the story, so it can
# leave some out but never make one up from pieces ("The minister" + "take bribes").
_SENTENCE_EDGE = frozenset('.!?"\'”’()[]…:;«»-—–')  # not a comma: clauses are not sentences
_WORD_EDGE = '.,;:!?"\'“”‘’()[]{}«»…-—–'


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _sentence_at(text: str, a: int, b: int) -> bool:
    before = text[:a]
    kept = before.rstrip()
    starts = not kept or kept[-1] in _SENTENCE_EDGE or "\n" in before[len(kept):]
    ends = b == len(text) or text[b - 1] in _SENTENCE_EDGE or "\n" in text[b:b + 2] or not text[b:].strip()
    return starts and ends


def _in_story(values: Any, hay: str, what: str) -> None:
    """Every name or term an entry gives is in the story (headline or text): a member cannot add one."""
    for value in values:
        words = [w.strip(_WORD_EDGE) for w in _folded(value).split()]
        if not all(w in hay for w in words if w):
            raise BadEntry(f"{what} is not in the story")


def _analysis(d: Any, article: Article) -> Analysis:
    if not isinstance(d, dict):
        raise BadEntry("analysis is not an object")
    summary = [_str(s, "a summary sentence", len(article.text))
               for s in _list(d.get("summary"), "summary", _LIMITS["summary"])]
    spans = _list(d.get("spans"), "spans", _LIMITS["summary"])
    if len(spans) != len(summary):
        raise BadEntry("spans and summary differ in length")
    text, end = article.text, 0
    pairs = []
    for sentence, span in zip(summary, spans, strict=True):
        if not isinstance(span, list) or len(span) != 2:
            raise BadEntry("a span is not [start, end]")
        a = _int(span[0], "a span's start", end, len(text))
        b = _int(span[1], "a span's end", a + 1, len(text))
        if text[a:b] != sentence:
            raise BadEntry("a summary sentence is not the text at its span")
        if not _sentence_at(text, a, b):
            raise BadEntry("a summary sentence is not a whole sentence of the text")
        pairs.append((a, b))
        end = b
    minutes = d.get("reading_minutes", 0.0)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not math.isfinite(minutes) \
            or not 0 <= minutes <= 100_000:
        raise BadEntry("reading_minutes is not a number in range")
    available = d.get("entities_available", True)
    if not isinstance(available, bool):
        raise BadEntry("entities_available is not true or false")
    entities = _entities(d.get("entities", {}))
    key_terms = tuple(_str(t, "a key term") for t in _list(d.get("key_terms", []), "key_terms",
                                                           _LIMITS["key_terms"]))
    hay = _folded(f"{article.title}\n{article.text}")
    _in_story((n for group in entities.values() for e in group for n in (e.text, *e.variants)), hay, "a name")
    _in_story(key_terms, hay, "a key term")
    return Analysis(
        summary=tuple(summary), spans=tuple(pairs), entities=entities, key_terms=key_terms,
        model=_str(d.get("model", ""), "model"), entities_available=available,
        reading_minutes=float(minutes),
    )


def entry_from_bytes(raw: bytes, key: str, article: Article) -> Analysis:
    """The Analysis an entry holds, checked against the key and the article it is read for; BadEntry
    says why it cannot be used."""
    if len(raw) > MAX_ENTRY_BYTES:
        raise BadEntry("the file is too large")
    try:
        d = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadEntry("not JSON") from None
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        raise BadEntry("not an analysis entry of this version")
    if d.get("key") != key:
        raise BadEntry("made under another key")
    if d.get("text") != text_digest(article):
        raise BadEntry("made for another text")
    return _analysis(d.get("analysis"), article)


# -- claims: who is analysing what ----------------------------------------------------------------
def _start_time(pid: int) -> int | None:
    """When a process started (clock ticks since boot, from /proc), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _holder_dead(holder: Any, host: str) -> bool:
    """True when a claim's holder is known to have ended: a process of this host that is gone, or
    whose id now belongs to a process started later. Anything unreadable is not known dead."""
    if not isinstance(holder, dict) or holder.get("host") != host:
        return False
    pid, start = holder.get("pid"), holder.get("start")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 1 << 31:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive, another user's
        pass
    now = _start_time(pid)
    return isinstance(start, int) and now is not None and now != start


class SharedCache:
    """Analyses shared by the desk in `folder` (created on first use, group-shared when `group`).

    Nothing happens at construction; every method may do file I/O (a background thread's job) and
    none raises: a folder that cannot be used turns sharing off with one log line."""

    def __init__(self, folder: Path, *, group: bool = False, claim_wait: float = CLAIM_WAIT,
                 make_folder: Callable[[Path], object] | None = None) -> None:
        self.folder = Path(folder)
        self.group = group
        # Makes a missing folder whole before it appears (the desk's own rule, given by the caller);
        # without it a folder is made here, and a colleague may meet it private for a moment.
        self._make_folder = make_folder
        self.claim_wait = claim_wait
        self._usable: bool | None = None
        self._lock = threading.Lock()
        self._gid = -1
        self._host = socket.gethostname()
        self._me = {"pid": os.getpid(), "host": self._host, "start": _start_time(os.getpid())}
        self._mine: set[str] = set()  # claims held by this process (file stems)
        self._seen: dict[str, float] = {}  # stem -> when a claim on it was first seen (monotonic)
        self._told: set[str] = set()  # what was logged already (once each)
        self.bad_entries = 0  # entries found unusable: each cost its story a fresh analysis

    # -- the folder
    @property
    def file_mode(self) -> int:
        """The mode of entries and claims: the group reads them when it shares the desk."""
        return 0o640 if self.group else 0o600

    @property
    def dir_mode(self) -> int:
        """The mode of the folders made: setgid and sticky when a group shares the desk."""
        return 0o3770 if self.group else 0o700

    def _tell(self, what: str, message: str, *args: object) -> None:
        if what not in self._told:
            if len(self._told) > 10_000:
                self._told.clear()
            self._told.add(what)
            log.warning(message, *args)

    def usable(self) -> bool:
        """Make the folder (and the desk folder) if missing and check it; False turns sharing off."""
        if self._usable is None:
            with self._lock:
                if self._usable is None:
                    self._usable = self._prepare()
        return self._usable

    def _make(self, folder: Path, gid: int) -> None:
        if self._make_folder is not None:
            try:
                self._make_folder(folder)
            except OSError:
                raise
            except Exception as exc:  # noqa: BLE001 - the desk's rule refused it: one sentence
                raise OSError(errno.EPERM, str(exc)) from None
            return
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            return
        if self.group and gid >= 0:
            try:
                os.chown(folder, -1, gid)  # the desk's group (a member may chown to it)
            except OSError:
                pass
        os.chmod(folder, self.dir_mode)

    def _prepare(self) -> bool:
        desk = self.folder.parent
        try:
            gid = os.stat(desk.parent).st_gid
            self._make(desk, gid)
            self._make(self.folder, os.stat(desk).st_gid)
            st = os.lstat(self.folder)
            if not stat.S_ISDIR(st.st_mode):
                raise OSError(errno.ENOTDIR, "is not a folder")
            mode = stat.S_IMODE(st.st_mode)
            mine = st.st_uid == os.geteuid()
            if mine and mode != self.dir_mode and (mode & ~self.dir_mode or self.group):
                os.chmod(self.folder, self.dir_mode)  # ours: set as it should be
                mode = self.dir_mode
            if not mine and not self.group:
                raise OSError(errno.EPERM, f"belongs to another user (uid {st.st_uid})")
            if mode & 0o007:
                raise OSError(errno.EPERM, f"others outside the desk may use it (mode {mode:04o})")
            if self.group and not mode & stat.S_ISVTX:
                raise OSError(errno.EPERM, "members could remove each other's analyses (no sticky bit)")
            self._gid = st.st_gid
        except OSError as exc:
            why = exc.strerror or str(exc)
            log.warning("shared analysis folder %s cannot be used (%s); analysing for this editor only",
                        self.folder, why)
            return False
        return True

    def path(self, key: str) -> Path:
        """Where the entry for `key` lives."""
        return self.folder / f"{file_stem(key)}.json"

    # -- entries
    def has(self, key: str) -> bool:
        """True when an entry for `key` is there (not read, not checked)."""
        return self.usable() and os.path.lexists(self.path(key))

    def get(self, key: str, article: Article) -> Analysis | None:
        """The entry for `key`, checked against `article`; None when missing or unusable (logged once)."""
        if not self.usable():
            return None
        path = self.path(key)
        try:
            raw = read_regular(path, MAX_ENTRY_BYTES, follow=False)
            return entry_from_bytes(raw, key, article)
        except FileNotFoundError:
            return None
        except (OSError, BadEntry) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if os.path.islink(path):
                why = "a symbolic link, not followed"
            elif isinstance(exc, NotRegular):
                why = "a pipe, device or socket, not a file"
            self.bad_entries += 1
            self._tell(path.name, "shared analysis %s of story %s is unusable (%s); analysing it afresh",
                       path.name, article.id, why)
            self._drop_own(path)
            return None

    def _drop_own(self, path: Path) -> None:
        """Remove a bad entry of our own, so the fresh analysis can take its place."""
        try:
            if os.lstat(path).st_uid == os.geteuid():
                os.unlink(path)
        except OSError:
            pass

    def _create(self, path: Path, payload: bytes, *, durable: bool = False) -> bool:
        """Create `path` holding `payload`, never replacing a file there: False when one is. `durable`:
        on disk before it is linked in (an entry, which no one can replace: after a power cut an empty one
        would cost every colleague a fresh analysis of its story for good; a claim is short-lived)."""
        tmp = self.folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS, self.file_mode)
        try:
            try:
                os.fchmod(fd, self.file_mode)  # the umask may have taken the group's read
                if self.group and self._gid >= 0 and os.fstat(fd).st_gid != self._gid:
                    os.fchown(fd, -1, self._gid)
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view):]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return True

    def put(self, key: str, article: Article, analysis: Analysis) -> None:
        """Share an analysis (an entry already there, another member's or ours, is kept)."""
        if not self.usable():
            return
        try:
            self._create(self.path(key), entry_bytes(key, article, analysis), durable=True)
        except OSError as exc:  # the folder full, taken away: the analysis is still ours
            self._tell(f"put:{exc.errno}", "shared analysis folder %s cannot be written (%s); "
                       "analyses stay with this editor meanwhile", self.folder, exc.strerror or exc)

    # -- claims
    def _claim_path(self, stem: str) -> Path:
        return self.folder / f"{stem}.claim"

    def claim(self, key: str) -> Claim:
        """Claim the analysis of `key` for this process, unless it is done or another live process
        holds it (a holder known to have ended, or seen holding it for `claim_wait` seconds by our own
        clock, is taken over: FREE)."""
        if not self.usable():
            return Claim.FREE
        stem = file_stem(key)
        path = self._claim_path(stem)
        payload = json.dumps(self._me).encode()
        for _ in range(3):
            if os.path.lexists(self.path(key)):
                self._seen.pop(stem, None)
                return Claim.DONE
            try:
                if self._create(path, payload):
                    self._mine.add(stem)
                    self._seen.pop(stem, None)
                    if os.path.lexists(self.path(key)):  # its holder wrote it and let go meanwhile
                        self.release(key)
                        return Claim.DONE
                    return Claim.MINE
            except OSError as exc:
                self._tell(f"claim:{exc.errno}", "shared analysis folder %s cannot be written (%s); "
                           "analysing without telling the desk", self.folder, exc.strerror or exc)
                return Claim.FREE
            state = self._holder(stem, path)
            if state is not None:
                return state
        return Claim.FREE

    def _holder(self, stem: str, path: Path) -> Claim | None:
        """THEIRS or FREE for a claim file there; None when it went meanwhile (try again)."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self._seen.pop(stem, None)  # let go: a later claim is timed afresh
            return None
        except OSError:
            return Claim.FREE
        try:
            holder = json.loads(read_regular(path, MAX_CLAIM_BYTES, follow=False))
        except FileNotFoundError:
            self._seen.pop(stem, None)
            return None
        except (OSError, ValueError, RecursionError):
            holder = None  # unreadable: only our clock can end it
        if _holder_dead(holder, self._host):
            if st.st_uid == os.geteuid():  # a process of ours that ended: its claim is ours to remove
                try:
                    os.unlink(path)
                    return None
                except OSError:
                    pass
            self._seen.pop(stem, None)
            return Claim.FREE
        # Timed from the first sight of a claim on this story, whatever file holds it now: a member who
        # replaces their claim file again and again (a new inode each time) still holds it only
        # `claim_wait` seconds by our clock.
        now = time.monotonic()
        since = self._seen.get(stem)
        if since is None:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[stem] = now
            return Claim.THEIRS
        if now - since >= self.claim_wait:
            self._tell(f"stale:{stem}", "shared analysis claim %s has been held for %.0f s; taking it over",
                       path.name, now - since)
            return Claim.FREE
        return Claim.THEIRS

    def claim_stands(self, key: str) -> bool:
        """True while another process's claim on `key` holds (see `claim`); False once it is gone,
        its holder ended or it was held too long."""
        if not self.usable():
            return False
        stem = file_stem(key)
        return self._holder(stem, self._claim_path(stem)) is Claim.THEIRS

    def release(self, key: str) -> None:
        """Give up our claim on `key` (after its entry is written, or after it failed)."""
        stem = file_stem(key)
        if stem in self._mine:
            self._mine.discard(stem)
            try:
                os.unlink(self._claim_path(stem))
            except OSError:
                pass

    def release_all(self) -> None:
        """Give up every claim this process holds (it stops)."""
        for stem in list(self._mine):
            self._mine.discard(stem)
            try:
                os.unlink(self._claim_path(stem))
            except OSError:
                pass

    # -- upkeep
    def prune(self, keep_days: float = KEEP_DAYS) -> int:
        """Remove our own old entries, our ended processes' claims and temp files; how many went.
        One pass over the folder: run it in a background thread."""
        if not self.usable():
            return 0
        me, removed = os.geteuid(), 0
        old = time.time() - keep_days * 86400
        try:
            with os.scandir(self.folder) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                        if st.st_uid != me:
                            continue
                        gone = (e.name.endswith(".json") and st.st_mtime < old) or \
                            (e.name.endswith(".tmp") and st.st_mtime < time.time() - 3600)
                        if e.name.endswith(".claim") and e.name[:-6] not in self._mine:
                            try:
                                holder = json.loads(read_regular(e.path, MAX_CLAIM_BYTES, follow=False))
                            except (OSError, ValueError, RecursionError):
                                holder = None
                            gone = _holder_dead(holder, self._host) or st.st_mtime < time.time() - 86400
                        if gone:
                            os.unlink(e.path)
                            removed += 1
                    except OSError:
                        continue
        except OSError as exc:
            log.warning("shared analysis folder %s cannot be tidied (%s)", self.folder, exc.strerror or exc)
        return removed
