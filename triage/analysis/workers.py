"""Worker processes for large batches: each runs the whole analysis (spaCy + summary + entities)
on chunks of articles and sends back small JSON-ready dicts, not spaCy Docs."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from ..model import Analysis, Article
from .cache import analysis_from_dict, analysis_to_dict

__all__ = ["analyze_in_processes"]

_worker: Any = None


def _init(options: dict[str, Any]) -> None:
    global _worker
    from .analyzer import Analyzer

    if _worker is None or getattr(_worker, "_options", None) != options:
        _worker = Analyzer(cache_path=None, processes_above=0, **options)
        _worker._options = options
    _worker.pipeline  # noqa: B018 - load the model once per worker


def _run(chunk: list[tuple[Article, int | None]]) -> list[dict[str, Any]]:
    from .analyzer import doc_input

    nlp = _worker.pipeline.nlp
    texts = [doc_input(a.title, a.text) for a, _ in chunk]
    docs = nlp.pipe([t for t, _ in texts], batch_size=_worker.batch_size)
    return [analysis_to_dict(_worker._build(doc, a, off, k)) for doc, (a, k), (_, off) in zip(docs, chunk, texts)]


def analyze_in_processes(items: Sequence[tuple[Article, int | None]], options: dict[str, Any], processes: int,
                         chunk_size: int) -> Iterator[Analysis]:
    """Analyses of `items`, in order, computed by `processes` worker processes.

    Forks when this process has a single thread (the CLI: the loaded model is shared copy-on-write);
    otherwise spawns fresh workers that load the model themselves (forking a threaded process is unsafe).
    """
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":
        _init(options)
    ctx = multiprocessing.get_context(method)
    chunks = [list(items[i : i + chunk_size]) for i in range(0, len(items), chunk_size)]
    with ctx.Pool(processes, initializer=_init, initargs=(options,)) as pool:
        for result in pool.imap(_run, chunks):
            for d in result:
                yield analysis_from_dict(d)
