"""Batches and worker processes for large jobs.

Batches are bounded by documents and by characters: spaCy pads a batch to its longest text, so a
few long articles in a big batch cost a lot of memory. For large jobs the calling process and one
worker process (per extra core) share the chunks; a worker runs the whole analysis and sends back
small JSON-ready dicts, not spaCy Docs.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..model import Analysis, Article
from .cache import analysis_from_dict, analysis_to_dict

__all__ = ["MAX_BATCH_CHARS", "analyze_in_processes", "batches"]

MAX_BATCH_CHARS = 30_000

Item = tuple[Article, "int | None"]
_worker: Any = None


def batches(items: Sequence[Item], max_docs: int, max_chars: int = MAX_BATCH_CHARS) -> Iterator[list[Item]]:
    """Consecutive chunks of at most max_docs articles and (unless one article is longer) max_chars."""
    chunk: list[Item] = []
    size = 0
    for item in items:
        n = len(item[0].text) + len(item[0].title)
        if chunk and (len(chunk) >= max_docs or size + n > max_chars):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


def _silence(stderr: bool) -> None:
    """Workers never write to stdout (the CLI's JSON lines) nor, under a TUI, to the terminal."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd, stream in ((1, "stdout"), (2, "stderr")) if stderr else ((1, "stdout"),):
        sys.stdout.flush() if fd == 1 else sys.stderr.flush()
        os.dup2(devnull, fd)
        setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the worker
    os.close(devnull)


def _init(options: dict[str, Any], quiet: bool | None = None) -> None:
    global _worker
    from .analyzer import Analyzer

    if quiet is not None:
        _silence(stderr=quiet)
    if _worker is None or getattr(_worker, "_options", None) != options:
        _worker = Analyzer(cache_path=None, processes_above=0, **options)
        _worker._options = options
    _worker.pipeline  # noqa: B018 - load the model once per worker


def _run(chunk: list[Item]) -> list[dict[str, Any]]:
    return [analysis_to_dict(a) for a in _worker.analyze_chunk(chunk)]


def analyze_in_processes(items: Sequence[Item], options: dict[str, Any], processes: int, max_docs: int,
                         local: Callable[[list[Item]], list[Analysis]]) -> Iterator[Analysis]:
    """Analyses of `items`, in order: this process (`local`) and processes - 1 workers share the chunks.

    Forks when this process has a single thread (the CLI: the loaded model is shared copy-on-write);
    otherwise spawns fresh workers that load the model themselves (forking a threaded process is unsafe).
    """
    chunks = list(batches(items, max_docs))
    if processes < 2 or len(chunks) < 2:
        for chunk in chunks:
            yield from local(chunk)
        return
    forkable = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    ctx = multiprocessing.get_context("fork" if forkable else "spawn")
    remote = [c for j, c in enumerate(chunks) if j % processes]
    with ctx.Pool(processes - 1, initializer=_init, initargs=(options, not forkable)) as pool:
        results = pool.imap(_run, remote)
        for j, chunk in enumerate(chunks):
            if j % processes:
                for d in next(results):
                    yield analysis_from_dict(d)
            else:
                yield from local(chunk)
