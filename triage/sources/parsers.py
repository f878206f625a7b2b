"""Parsing files in helper processes, so a big cold start uses every core: the loader's thread keeps
what must stay in one place (versions, the cache, the catalog) while the helpers read the files.

Parsing is a pure function of a file (`parse_files`), so a helper that dies, or a machine where
processes cannot start, costs nothing but speed: the batch is parsed in the calling thread instead.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from triage.infra.priority import READING, lower_priority
from triage.infra.private import Confinement, confined_reads
from triage.model import Article, Problem
from triage.sources.registry import read_file

__all__ = ["Parsed", "ParserPool", "parse_files"]

log = logging.getLogger(__name__)

# (path, stat result, articles, problems) of one file
Parsed = tuple[Path, os.stat_result, list[Article], list[Problem]]


def parse_files(part: Sequence[tuple[Path, os.stat_result]], max_file_bytes: int,
                confine: Confinement | None = None) -> list[Parsed]:
    """Read each file of `part` (never raises for a bad file: its problems come back instead); with
    `confine`, each file opened must really lie where it says (see triage.infra.private)."""
    out: list[Parsed] = []
    with confined_reads(confine):
        for path, st in part:
            arts, probs = read_file(path, max_file_bytes=max_file_bytes)
            out.append((path, st, arts, probs))
    return out


def _init_helper() -> None:
    lower_priority(READING, whole_process=True)


class ParserPool:
    """Parses batches of files in `processes` helper processes, results in the order given."""

    def __init__(self, processes: int) -> None:
        self.processes = max(0, processes)
        self._pool: ProcessPoolExecutor | None = None
        if self.processes:
            try:  # spawn: the app has threads, and a forked child would inherit their locks
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_init_helper
                )
            except (OSError, ValueError) as exc:
                log.warning("parsing in this process only: %s", exc)

    def map(self, parts: Sequence[Sequence[tuple[Path, os.stat_result]]], max_file_bytes: int,
            confine: Confinement | None = None) -> Iterator[list[Parsed]]:
        """The parses of each part, in order; a few parts are in flight ahead of the one yielded."""
        pool = self._pool
        if pool is None:
            for part in parts:
                yield parse_files(part, max_file_bytes, confine)
            return
        ahead = self.processes * 2
        flight: deque[tuple[Sequence, Future | None]] = deque()
        it = iter(parts)
        broken = False

        def submit() -> bool:
            nonlocal broken
            part = next(it, None)
            if part is None:
                return False
            fut = None
            if not broken:
                try:
                    fut = pool.submit(parse_files, part, max_file_bytes, confine)
                except Exception as exc:  # noqa: BLE001 - a broken pool: parse here from now on
                    log.warning("parser processes unavailable, parsing here: %s", exc)
                    broken = True
            flight.append((part, fut))
            return True

        while len(flight) < ahead and submit():
            pass
        while flight:
            part, fut = flight.popleft()
            got = None
            if fut is not None:
                try:
                    got = fut.result()
                except Exception as exc:  # noqa: BLE001 - a helper died: this batch is parsed here
                    log.warning("a parser process failed, parsing its batch here: %s", exc)
                    broken = True
            yield got if got is not None else parse_files(part, max_file_bytes, confine)
            submit()

    def close(self) -> None:
        """End the helper processes (pending work is cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
