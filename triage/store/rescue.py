"""Rescue files: decision events that could not be made durable, kept until the next start replays them.

A rescue file is JSON lines, one ``{"store": <decisions file>, "doc": <event document>}`` a line,
mode 0600, fsynced. Its place is ``<decisions file>.rescue`` beside the decisions file; when that
cannot be written (disk full, read-only directory, a file of another user) it goes to a private
folder of the user (platformdirs state dir, runtime dir, then ``$TMPDIR/triage-rescue-<uid>``) under
a name made from the decisions file's path, where the next start looks for it too.

Writers and the replay take an exclusive flock on the file with a timeout (never a wait that can
last forever: a rescue runs in signal handlers and at interpreter exit); the replay removes a file
only while holding that lock, and a writer that finds its file removed meanwhile writes a new one.
Events carry a unique ``uid``, so replaying a file twice, or an event that did land after all,
changes nothing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.infra.atomic import fsync_dir, make_dirs, write_all
from triage.infra.sanitize import sanitize_line
from triage.model import DecisionEvent
from triage.store.events import new_uid, normalise_doc, to_doc, utc_now_iso
from triage.store.lines import check_event, decode_line, split_lines
from triage.store.lock import flock_until

__all__ = [
    "RESCUE_SUFFIX", "ReplayReport", "RescueResult", "Waiting", "default_rescue_dirs", "locked_rescue_files",
    "rescue_candidates", "rescue_docs", "rescue_path", "write_rescue",
]

RESCUE_SUFFIX = ".rescue"
Problem = tuple[Path, str]  # a rescue file and why it was not read
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class RescueResult:
    """Where DecisionStore.rescue() put the events it could not make durable."""

    path: Path | None  # the rescue file written; None: no place could be written (events still pending)
    count: int  # events written there
    fallback: bool = False  # True when not beside the decisions file (that place failed: see error)
    error: str = ""  # why the places tried first failed ("" when the first place worked)

    @property
    def message(self) -> str:
        """One sentence for the user: where the unsaved decisions went, or that they could not go anywhere."""
        if self.path is None:
            return (f"{self.count} decision(s) could not be saved and no rescue file could be written "
                    f"({sanitize_line(self.error)}).")
        where = sanitize_line(self.path)
        extra = ""
        if self.fallback and self.error:
            extra = f" (beside the decisions file: {sanitize_line(self.error)})"
        return (f"{self.count} decision(s) that could not be saved were written to {where}{extra}; "
                f"the next start replays them.")


@dataclass(frozen=True)
class ReplayReport:
    """What opening the store replayed from rescue files of an earlier session."""

    replayed: tuple[DecisionEvent, ...] = ()  # now durable in the decisions file
    already: int = 0  # events already in the file (same uid): nothing to do
    superseded: int = 0  # events older than a later change of their article: not replayed
    paths: tuple[Path, ...] = ()  # the rescue files read
    damaged: int = 0  # lines that did not parse (the file is then kept, renamed, not deleted)
    error: str = ""  # why the events could not be written now (the files stay for the next start)
    kept: tuple[Path, ...] = field(default=())  # files kept (not replayed now, or renamed when damaged)
    refused: tuple[tuple[Path, str], ...] = ()  # not replayed: another user's, or others may write them

    @property
    def count(self) -> int:
        """How many events were replayed into the decisions file."""
        return len(self.replayed)

    @property
    def refusals(self) -> list[str]:
        """One sentence per rescue file that was not replayed because it is not this user's own."""
        return [f"{sanitize_line(p)}: not replayed ({sanitize_line(why)}); it was left as it is."
                for p, why in self.refused]

    @property
    def message(self) -> str:
        """What opening replayed, one sentence a line (stderr in the CLI, a notification in the TUI)."""
        lines = self.refusals
        if self.paths or not lines:
            lines.insert(0, self._replay_message())
        return "\n".join(lines)

    def _replay_message(self) -> str:
        where = ", ".join(sanitize_line(p) for p in self.paths)
        if self.error:
            return (f"Decisions saved in {where} when an earlier session could not write them are not "
                    f"replayed yet ({sanitize_line(self.error)}); they stay there and are tried at the "
                    f"next start.")
        n = self.count
        text = (f"Replayed {n} decision{'' if n == 1 else 's'} saved in {where} when the last session "
                f"could not write them")
        notes = []
        if self.already:
            notes.append(f"{self.already} already saved")
        if self.superseded:
            notes.append(f"{self.superseded} left out: changed later")
        if self.damaged:
            kept = ", ".join(sanitize_line(p) for p in self.kept)
            notes.append(f"{self.damaged} damaged line(s) kept in {kept}")
        return text + (f" ({'; '.join(notes)})." if notes else ".")


def rescue_path(path: Path) -> Path:
    """The rescue file beside a decisions file."""
    return path.with_name(path.name + RESCUE_SUFFIX)


def default_rescue_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Private folders for rescue files that cannot go beside the decisions file, in order of preference:
    ``<data_dir>/rescue`` when given (the app's data dir), the platformdirs state and runtime dirs, the
    temp dir."""
    dirs = [Path(data_dir) / "rescue"] if data_dir is not None else []
    try:
        from platformdirs import user_runtime_path, user_state_path

        dirs.append(user_state_path("triage") / "rescue")
        if os.environ.get("XDG_RUNTIME_DIR"):  # otherwise platformdirs warns and guesses a /tmp folder
            dirs.append(user_runtime_path("triage") / "rescue")
    except Exception:  # noqa: BLE001, S110 - no home directory: the temp dir is still there
        pass
    dirs.append(Path(tempfile.gettempdir()) / f"triage-rescue-{os.geteuid()}")
    return dirs


def _fallback_name(path: Path) -> str:
    absolute = os.path.abspath(path)
    digest = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name)[:60] or "decisions"
    return f"{stem}-{digest}{RESCUE_SUFFIX}"


def rescue_candidates(path: Path, dirs: Sequence[Path]) -> list[tuple[Path, bool]]:
    """Every place a rescue file of this decisions file may be: (path, is a fallback place)."""
    return [(rescue_path(path), False)] + [(Path(d) / _fallback_name(path), True) for d in dirs]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _private_dir(directory: Path) -> None:
    """Create `directory` (0700) or check that it is this user's own and not writable by others."""
    make_dirs(directory)
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise PermissionError(errno.EACCES, "not a private folder of this user", str(directory))


def _append(target: Path, payload: bytes, deadline: float) -> None:
    """Append `payload` to `target` (created 0600) under its flock, then fsync file and folder."""
    for _ in range(5):  # the file may be replayed and removed between open and lock: open it again
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _OPEN_FLAGS, 0o600)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_nlink > 1:
                raise PermissionError(errno.EACCES, "a rescue file of another user is there", str(target))
            if st.st_mode & 0o022:  # others may have written lines into it (it is not replayed): not ours
                raise PermissionError(errno.EACCES, "a rescue file others may write is there", str(target))
            flock_until(fd, deadline)
            try:
                now = os.stat(target, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if now.st_ino != st.st_ino or now.st_dev != st.st_dev:
                continue
            if now.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            try:
                write_all(fd, payload)
            except BaseException:
                try:  # take back a partial line (disk full), so the next append starts a clean line
                    os.ftruncate(fd, now.st_size)
                except OSError:
                    pass
                raise
        finally:
            os.close(fd)  # releases the flock
        fsync_dir(target.parent)
        return
    raise OSError(errno.EAGAIN, "the rescue file kept being replaced", str(target))


def rescue_docs(held: Sequence[dict[str, Any]], extra: Sequence[DecisionEvent], *, user: str,
                host: str) -> list[dict[str, Any]]:
    """What a rescue writes, whichever store: the documents it holds (in flight, then pending) and
    `extra` events a caller accepted but never handed over, each once by uid; an extra event missing
    its uid, user, host or time is given them."""
    def filled(event: DecisionEvent) -> dict[str, Any]:
        doc = to_doc(event)
        doc["uid"] = doc["uid"] or new_uid()
        doc["user"] = doc["user"] or user
        doc["host"] = doc["host"] or host
        doc["at"] = doc["at"] or utc_now_iso()
        return doc

    out: dict[str, dict[str, Any]] = {}
    for doc in [*held, *map(filled, extra)]:
        out.setdefault(doc["uid"], doc)
    return list(out.values())


def write_rescue(path: Path, docs: Sequence[dict[str, Any]], *, dirs: Sequence[Path],
                 timeout: float = 2.0) -> RescueResult:
    """Append event documents to the first rescue place that can be written; never raises for I/O."""
    store = os.path.abspath(path)
    payload = b"".join(
        json.dumps({"store": store, "doc": doc}, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"
        for doc in docs
    )
    deadline = time.monotonic() + max(0.0, timeout)
    errors: list[str] = []
    for target, fallback in rescue_candidates(path, dirs):
        try:
            if fallback:
                _private_dir(target.parent)
            _append(target, payload, max(deadline, time.monotonic() + 0.05))
        except OSError as exc:
            errors.append(f"{target}: {_reason(exc)}")
            continue
        return RescueResult(target, len(docs), fallback, "; ".join(errors))
    return RescueResult(None, len(docs), True, "; ".join(errors))


@dataclass
class RescueFile:
    """An open, locked rescue file found at start-up, with the events it holds."""

    path: Path
    fd: int
    docs: list[dict[str, Any]]
    damaged: int


class Refused(PermissionError):
    """A rescue file that is not this user's own, or that others may write: never replayed."""


def _owned(st: os.stat_result) -> str:
    """Why a rescue file may not be replayed ("" when it may): it must be this user's, writable by no one
    else."""
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid != os.geteuid():
        return f"owned by uid {st.st_uid}, not by you"
    if st.st_mode & 0o022:
        return f"mode {stat.S_IMODE(st.st_mode):04o}: others may write it"
    return ""


def _read_locked(target: Path, fallback: bool, store: str, deadline: float) -> RescueFile | None:
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    try:
        why = _owned(os.fstat(fd))
        if why:
            raise Refused(errno.EACCES, why, str(target))
        flock_until(fd, deadline)
        lines = list(split_lines(lambda n: os.read(fd, n)))
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    used = sum(taken for _, _, taken in lines)
    items = [line for line, too_long, _ in lines if not too_long]
    damaged = len(lines) - len(items)
    unfinished = st.st_size > used
    if unfinished:  # a rescue cut off mid-write: used if it parses, else not counted as damage
        os.lseek(fd, used, os.SEEK_SET)
        items.append(os.read(fd, 1 << 20))
    docs = []
    for number, line in enumerate(items, 1):
        if not line.strip():
            continue
        try:
            obj = decode_line(line)
            doc = normalise_doc(obj["doc"])
        except (ValueError, KeyError, TypeError):
            doc = None
        if doc is None or not doc.get("uid") or check_event(doc):
            damaged += 0 if unfinished and number == len(items) else 1
            continue
        if fallback and obj.get("store") != store:
            continue  # a name clash with another decisions file's rescue file: not ours
        docs.append(doc)
    return RescueFile(target, fd, docs, damaged)


@dataclass(frozen=True)
class Waiting:
    """The rescue files of a store as a reader finds them: looked at (lstat), never read or changed."""

    paths: tuple[Path, ...] = ()  # this user's own: the next start that writes replays them
    refused: tuple[tuple[Path, str], ...] = ()  # never replayed: not this user's own, or others may write

    def lines(self, store: str) -> list[str]:
        """What a reader tells the user, one sentence a file."""
        out = [f"decisions an earlier session could not save wait in {path}; they are not listed here, and "
               f"the next `triage` or `triage decide` on {store} saves them." for path in self.paths]
        out += [f"{path}: not replayed ({why}); it was left as it is." for path, why in self.refused]
        return out


def waiting_rescue_files(path: Path, dirs: Sequence[Path]) -> Waiting:
    """The rescue files there are for the store whose own rescue file is `rescue_path(path)`."""
    own: list[Path] = []
    refused: list[tuple[Path, str]] = []
    for target, _fallback in rescue_candidates(path, dirs):
        try:
            st = os.lstat(target)
        except OSError:
            continue
        why = "a symbolic link, not followed" if stat.S_ISLNK(st.st_mode) else _owned(st)
        if why:
            refused.append((target, why))
        else:
            own.append(target)
    return Waiting(tuple(own), tuple(refused))


@contextmanager
def locked_rescue_files(path: Path, dirs: Sequence[Path], *, timeout: float = 2.0
                        ) -> Iterator[tuple[list[RescueFile], list[Problem], list[Problem]]]:
    """The rescue files of a decisions file, read and held locked: ([files], [(path, why it was not read)],
    [(path, why it is refused)]); refused ones are not this user's own, or others may write them."""
    store = os.path.abspath(path)
    deadline = time.monotonic() + timeout
    files: list[RescueFile] = []
    problems: list[tuple[Path, str]] = []
    refused: list[tuple[Path, str]] = []
    try:
        for target, fallback in rescue_candidates(path, dirs):
            try:
                found = _read_locked(target, fallback, store, deadline)
            except Refused as exc:
                refused.append((target, exc.strerror or "not your own file"))
                continue
            except OSError as exc:
                reason = "a symbolic link, not followed" if exc.errno == errno.ELOOP else _reason(exc)
                problems.append((target, reason))
                continue
            if found is not None:
                files.append(found)
        yield files, problems, refused
    finally:
        for found in files:
            os.close(found.fd)


def retire(found: RescueFile) -> Path | None:
    """Remove a replayed rescue file (lock held); one with damaged lines is renamed and kept: its new path."""
    if found.damaged:
        kept = found.path.with_name(f"{found.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(found.path, kept)
    else:
        kept = None
        os.unlink(found.path)
    fsync_dir(found.path.parent)
    return kept
