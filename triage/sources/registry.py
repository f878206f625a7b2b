"""Pick a reader for one file by its content and read it without ever raising.

`read_file` is the one door for a single file: size cap, permissions, binary and encoding checks,
then the first reader in `READERS` that claims the file. The list's order is the rule: formats that
say what they are (ANPA-1312 and IPTC 7901 by their framing, Ritzau's XML, NewsML-G2, NewsML 1 and NITF
by the root element, ninjs by its keys, an RFC 822 message by its header block) are asked first,
whatever the file is called; then feeds, web pages, mailboxes and JSON by name or by how they open;
plain text last. Every failure becomes a Problem naming the file, the reason and its kind.

A new format is one module under `triage.sources.readers` with a `Reader`, and one line in `READERS`.
Reader modules are imported on the first read, not with this module: `triage --help` stays light.
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, clean_problems
from triage.sources.decode import looks_binary
from triage.sources.reader import Sample
from triage.sources.readers.spool import SPOOL_STATE_SUFFIX, SPOOL_SUFFIX
from triage.sources.scan import os_problem

__all__ = ["READERS", "SPOOL_STATE_SUFFIX", "SPOOL_SUFFIX", "known_extensions", "read_file", "readers",
           "source_name"]

log = logging.getLogger(__name__)
# A library logger: with no handler configured anywhere (`triage ingest` in a script), Python's
# last-resort handler would print a reader's traceback onto the terminal. The NullHandler stops that;
# an application that configures logging (the TUI's log file) still receives every record.
log.addHandler(logging.NullHandler())

# Every reader, as "module:name", asked in this order: the first that claims a file reads it.
READERS = (
    "triage.sources.readers.spool:READER",  # triage's own feed spool files
    "triage.sources.readers.anpa:READER",  # ANPA-1312 framing
    "triage.sources.readers.iptc7901:READER",  # IPTC 7901 framing
    "triage.sources.readers.ritzau:READER",  # Ritzau's XML, before any generic XML
    "triage.sources.readers.newsmlg2:READER",
    "triage.sources.readers.newsml1:READER",
    "triage.sources.readers.nitf:READER",
    "triage.sources.readers.ninjs:READER",  # before plain JSON
    "triage.sources.readers.mail:MESSAGE",  # a header block, whatever the name
    "triage.sources.readers.feedfile:READER",  # RSS / Atom, after every wire format
    "triage.sources.readers.html:READER",
    "triage.sources.readers.mail:MAILBOX",
    "triage.sources.readers.jsonfiles:JSON",
    "triage.sources.readers.jsonfiles:JSON_LINES",
    "triage.sources.readers.plaintext:MARKDOWN",
    "triage.sources.readers.plaintext:TEXT",  # last: plain text is what is left
)

if TYPE_CHECKING:
    from triage.sources.reader import Reader


@cache
def readers() -> tuple[Reader, ...]:
    """The readers of READERS, imported on first use."""
    out = []
    for entry in READERS:
        module, _, name = entry.partition(":")
        out.append(getattr(importlib.import_module(module), name))
    return tuple(out)


@cache
def _named() -> dict[str, str]:
    """Extension -> the kind of the reader whose name it is."""
    return {ext: r.kind for r in readers() for ext in r.extensions}


def known_extensions() -> frozenset[str]:
    """Every extension some reader goes by."""
    return frozenset(_named())


def source_name(path: Path) -> str:
    """The default source of a file: the name of the folder it is in."""
    return path.parent.name or "inbox"


def _opened(exc: OSError) -> Rejected:
    """The plain reason for an OS error met while statting or opening a file."""
    reason, kind = os_problem(exc)
    if kind is ProblemKind.MISSING:
        return Rejected("does not exist (or is a broken symbolic link)", kind)
    if kind is ProblemKind.DENIED:
        return Rejected("cannot be read: permission denied", kind)
    if kind is ProblemKind.UNREADABLE:
        return Rejected(f"cannot be read ({reason})", kind)
    return Rejected(reason, kind)


_NOT_REGULAR = "is not a regular file (device, socket or pipe): skipped"


def _read_bytes(path: Path, max_file_bytes: int) -> bytes:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _opened(exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise Rejected("is a folder, not a file", ProblemKind.NOT_A_FILE)
    if not stat.S_ISREG(st.st_mode):
        raise Rejected(_NOT_REGULAR, ProblemKind.NOT_A_FILE)
    if max_file_bytes and st.st_size > max_file_bytes:
        raise Rejected(f"is {st.st_size:,} bytes, over the {max_file_bytes:,}-byte limit: skipped",
                       ProblemKind.TOO_LARGE)
    if st.st_size == 0:
        raise Rejected("is empty", ProblemKind.EMPTY)
    from triage.infra.private import NotRegular, read_regular

    try:  # one non-blocking descriptor, checked with fstat: a FIFO or device swapped in now cannot block
        data = read_regular(path, max_file_bytes)
    except NotRegular:
        raise Rejected(_NOT_REGULAR, ProblemKind.NOT_A_FILE) from None
    except OSError as exc:  # a file gone between the stat and the open is missing, whatever the wording
        raise _opened(exc) from None
    if max_file_bytes and len(data) > max_file_bytes:
        raise Rejected(f"grew over the {max_file_bytes:,}-byte limit while being read: skipped",
                       ProblemKind.TOO_LARGE)
    if not data.strip():
        raise Rejected("is empty" if not data else "holds only white space", ProblemKind.EMPTY)
    return data


def _read(path: Path, data: bytes, problems: list[Problem]) -> list[Article]:
    """The articles of the first reader that claims the file."""
    sample = Sample(data, path, _named().get(path.suffix.lower(), ""))
    reader = next((r for r in readers() if r.claims(sample)), None)
    if reader is None:
        what = "a binary file of an unsupported type" if looks_binary(data) else "an unsupported file type"
        verb = "is" if what.startswith("a binary") else "has"
        raise Rejected(f"{verb} {what} ({path.suffix or 'no extension'}): skipped", ProblemKind.UNSUPPORTED)
    return reader.read(sample, source_name(path), problems)


def read_file(
    path: str | os.PathLike[str], *, max_file_bytes: int = 5_000_000, **_opts: Any
) -> tuple[list[Article], list[Problem]]:
    """Read one file of any supported kind: (articles, problems). Never raises for bad input."""
    p = Path(path)
    problems: list[Problem] = []
    try:
        data = _read_bytes(p, max_file_bytes)
        articles = _read(p, data, problems)
    except Rejected as exc:
        return [], clean_problems([*problems, exc.problem(str(p))])
    except RecursionError:
        return [], clean_problems([*problems, Problem(str(p), "is nested too deeply to read",
                                                      ProblemKind.BAD_FORMAT)])
    except MemoryError:
        return [], clean_problems([*problems, Problem(str(p), "needs too much memory to read",
                                                      ProblemKind.TOO_LARGE)])
    except Exception as exc:
        log.exception("reading %s", p)
        return [], clean_problems(
            [*problems, Problem(str(p), f"could not be read ({type(exc).__name__}: {str(exc)[:120]})")]
        )
    if not articles and not problems:
        problems.append(Problem(str(p), "holds no articles", ProblemKind.NOT_A_STORY))
    return articles, clean_problems(problems)
