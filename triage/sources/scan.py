"""Walking inbox folders: the files under a folder, each with its stat, sorted, found as they go.

Hostile ground (a shared inbox): symbolic links are followed only to what lies inside the inbox
folders or `allowed_roots`; folders deeper than `max_depth` are one problem line each; a bad entry,
name or folder costs that entry alone; names that are not UTF-8 show with their odd bytes escaped.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from triage.infra.private import Confinement, inside
from triage.model import Problem, ProblemKind
from triage.sources.readers.spool import SPOOL_STATE_SUFFIX

__all__ = ["DEFAULT_IGNORE", "LINK_OUT", "confinement", "ignored", "inside", "iter_scan", "os_problem",
           "read_confinement", "scan_options", "shown"]

DEFAULT_IGNORE = (".*", "*~", "*.swp", "*.tmp", "*.part")


_IGNORE_RX: dict[tuple[str, ...], re.Pattern[str]] = {}


def ignored(name: str, ignore: Sequence[str]) -> bool:
    """True for a name a scan skips (an ignore pattern, or a spool's state file)."""
    key = tuple(ignore)
    rx = _IGNORE_RX.get(key)
    if rx is None:
        rx = _IGNORE_RX[key] = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in key) or r"(?!x)x")
    return name.endswith(SPOOL_STATE_SUFFIX) or rx.match(name) is not None


def shown(path: str | os.PathLike[str]) -> str:
    """A path as a problem line shows it: a name that is not UTF-8 keeps its odd bytes as \\xNN."""
    return os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def confinement(roots: Sequence[str | os.PathLike[str]], allowed_roots: Sequence[str] = ()) -> list[str]:
    """The real folders links found in `roots` may lead to: the roots themselves and `allowed_roots`."""
    out = []
    for r in [*roots, *allowed_roots]:
        try:
            out.append(os.path.realpath(os.path.expanduser(os.fspath(r))))
        except (OSError, ValueError):
            continue
    return out


def read_confinement(paths: Sequence[object], allowed_roots: Sequence[str] = (),
                     confine: Sequence[str] | None = None, follow_symlinks: bool = True) -> Confinement:
    """What the reads of a load must keep to (read_regular checks it on the opened descriptor): a file
    under a folder named in `paths` must really lie in those folders or `allowed_roots` (a link or
    folder swapped in after the scan is caught at the open); with `confine` (the watcher's named
    files), every file must lie there. Files named one by one are otherwise the user's own choice."""
    folders = []
    for raw in paths:
        try:
            s = os.path.expanduser(os.fspath(raw))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            continue
        if "\x00" not in s and not s.lower().startswith(("http://", "https://")) and os.path.isdir(s):
            folders.append(s)
    if confine is not None:  # a folder named here (a link to one, say) does not widen the confinement
        return Confinement(tuple(os.path.realpath(r) for r in confine), None, follow_symlinks)
    roots = confinement(folders, allowed_roots)
    return Confinement(tuple(roots), tuple(os.path.abspath(f) for f in folders), follow_symlinks)


NOT_REGULAR = "is not a regular file (device, socket or pipe): skipped"
LINK_OUT = ("is a symbolic link out of the inbox: skipped "
            "(sources.allowed_roots names other folders links may reach)")


def iter_scan(root: Path, problems: list[Problem], *, follow_symlinks: bool = True,
              ignore: Sequence[str] = DEFAULT_IGNORE, allowed_roots: Sequence[str] = (),
              max_depth: int = 32) -> Iterator[tuple[Path, os.stat_result]]:
    """The files under a folder (sorted), each with its stat, as they are found (a reader can start on
    the first ones before the folder is walked); problems are appended to `problems`.

    Symbolic links are followed (with `follow_symlinks`) only to what lies inside `root` or
    `allowed_roots`; folders deeper than `max_depth` are one problem each; a bad entry, name or folder
    costs that entry alone."""
    try:
        st = os.stat(root)
    except OSError as exc:
        problems.append(Problem(shown(root), *os_problem(exc)))
        return
    visited = {(st.st_dev, st.st_ino)}
    roots = confinement([root], allowed_roots)

    def walk(folder: Path, depth: int) -> Iterator[tuple[Path, os.stat_result]]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            problems.append(
                Problem(shown(folder), "folder cannot be read: permission denied", ProblemKind.DENIED)
            )
            return
        except OSError as exc:
            reason, kind = os_problem(exc)
            problems.append(Problem(shown(folder), f"folder cannot be read ({reason})", kind))
            return
        for entry in entries:
            if ignored(entry.name, ignore):
                continue
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    continue
                if is_link and not inside(os.path.realpath(entry.path), roots):
                    problems.append(Problem(shown(path), LINK_OUT, ProblemKind.OUTSIDE_INBOX))
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    problems.append(
                        Problem(shown(path), "is a symbolic link loop: skipped", ProblemKind.NOT_A_FILE)
                    )
                elif exc.errno == errno.ENOENT and entry.is_symlink():
                    problems.append(
                        Problem(shown(path), "is a broken symbolic link: skipped", ProblemKind.MISSING)
                    )
                else:
                    reason, kind = os_problem(exc)
                    problems.append(Problem(shown(path), f"cannot be read ({reason})", kind))
                continue
            except ValueError:  # a name the OS hands back that Python cannot use
                problems.append(
                    Problem(shown(path), "has a name that cannot be used: skipped", ProblemKind.UNREADABLE)
                )
                continue
            if stat.S_ISDIR(est.st_mode):
                key = (est.st_dev, est.st_ino)
                if key in visited:
                    problems.append(
                        Problem(
                            shown(path),
                            "is a symbolic link loop (a folder that contains itself): skipped",
                            ProblemKind.NOT_A_FILE,
                        )
                    )
                    continue
                if depth >= max_depth:
                    problems.append(
                        Problem(
                            shown(path),
                            f"is nested more than {max_depth} folders deep: skipped (sources.max_depth)",
                            ProblemKind.NOT_A_FILE,
                        )
                    )
                    continue
                visited.add(key)
                yield from walk(path, depth + 1)
            elif stat.S_ISREG(est.st_mode):
                yield path, est
            else:
                problems.append(Problem(shown(path), NOT_REGULAR, ProblemKind.NOT_A_FILE))

    yield from walk(root, 0)


def os_problem(exc: OSError) -> tuple[str, ProblemKind]:
    """The plain reason of an OS error met on a path, and its kind."""
    if exc.errno == errno.ENOENT:
        return "does not exist", ProblemKind.MISSING
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", ProblemKind.DENIED
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop", ProblemKind.NOT_A_FILE
    if exc.errno == errno.EISDIR:
        return "is a folder, not a file", ProblemKind.NOT_A_FILE
    return exc.strerror or str(exc), ProblemKind.UNREADABLE


def scan_options(section: dict[str, Any]) -> dict[str, Any]:
    """The load options (iter_load, load, watch_paths) from the config's [sources] section."""
    return {
        "max_file_bytes": int(section["max_file_bytes"]),
        "follow_symlinks": bool(section["follow_symlinks"]),
        "ignore": tuple(section["ignore"]),
        "allowed_roots": tuple(section.get("allowed_roots", ())),
        "max_depth": int(section.get("max_depth", 32)),
        **({"parse_seconds": float(section["parse_seconds"])} if "parse_seconds" in section else {}),
    }
