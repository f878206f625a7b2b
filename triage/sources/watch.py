"""Live inbox: watch folders with watchfiles and hand over the articles of new or changed files.

Two forms over one core:

* `watch_paths(paths, callback, stop_event=...)` blocks; run it in a thread worker. Each batch of file
  changes becomes one `WatchUpdate` passed to `callback` (called in the watching thread: from a
  Textual thread worker, forward it with `app.call_from_thread(...)` or `post_message`, both safe).
  Set the `threading.Event` given as `stop_event` to end it; `ready` (an Event) is set once the
  watcher is running.
* `awatch_paths(paths, stop_event=...)` is an async iterator of `WatchUpdate` for an asyncio worker
  (`stop_event` an `asyncio.Event`).

A WatchUpdate holds the articles of the files that appeared or changed (read with the same loader as
`load`, so ids, `received` and, with a cache, `updated` agree), their problems, and the paths removed.
Duplicate grouping is not redone per batch: merge the articles into the full set (e.g.
TriageService.merge_articles), whose catalog regroups incrementally (triage.catalog.dupindex).
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.model import Article, Problem, ProblemKind

__all__ = ["WatchUpdate", "arrivals", "awatch_paths", "changes_to_update", "watch_paths"]


@dataclass
class WatchUpdate:
    """One batch of inbox changes: articles of new/changed files, their problems, removed paths."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.articles or self.problems or self.removed)


def _load_opts(opts: dict[str, Any]) -> dict[str, Any]:
    allowed = {"max_file_bytes", "follow_symlinks", "ignore", "cache_path", "allowed_roots", "max_depth",
               "parse_seconds"}
    return {k: v for k, v in opts.items() if k in allowed}


def _in_ignored_folder(path: str, roots: Sequence[str], ignore: Sequence[str]) -> bool:
    from triage.sources.scan import ignored

    for root in roots:
        rel = os.path.relpath(path, root)
        if not rel.startswith(".." + os.sep) and rel != "..":
            return any(ignored(part, ignore) for part in rel.split(os.sep)[:-1])
    return False


def _too_deep(path: str, roots: Sequence[str], max_depth: int) -> bool:
    """True for a file in a folder nested deeper than a scan goes (sources.max_depth)."""
    for root in roots:
        rel = os.path.relpath(path, root)
        if not rel.startswith(".." + os.sep) and rel != "..":
            return rel.count(os.sep) > max_depth
    return False


def changes_to_update(changes: Iterable[tuple[Any, str]], roots: Sequence[str] = (),
                      **opts: Any) -> WatchUpdate:
    """Turn watchfiles changes {(Change, path)} into a WatchUpdate (reads the changed files).

    `roots` are the watched folders: files inside an ignored sub-folder (e.g. `.git`) are skipped, as
    a scan would skip them."""
    from watchfiles import Change

    from triage.sources.loader import load
    from triage.sources.scan import DEFAULT_IGNORE, LINK_OUT, confinement, ignored, inside, shown

    ignore = opts.get("ignore", DEFAULT_IGNORE)
    max_depth = int(opts.get("max_depth", 32))
    to_read: list[str] = []
    removed: list[str] = []
    for change, path in sorted(changes, key=lambda c: c[1]):
        name = os.path.basename(path)
        if ignored(name, ignore) or _in_ignored_folder(path, roots, ignore) \
                or _too_deep(path, roots, max_depth):
            continue
        if change == Change.deleted:
            if not os.path.exists(path):
                removed.append(path)
            continue
        if path not in to_read:
            to_read.append(path)
    update = WatchUpdate(removed=removed)
    if to_read:
        # Only what lies inside the watched folders (or allowed_roots) is read: a link planted in the
        # inbox, to a file or to a folder, is refused here as a scan refuses it (and the read itself
        # checks again where each opened file really lies).
        confine = confinement(roots, opts.get("allowed_roots", ())) if roots else None
        if confine is not None:
            out = {p for p in to_read if os.path.lexists(p) and not inside(os.path.realpath(p), confine)}
            update.problems.extend(Problem(shown(p), LINK_OUT, ProblemKind.OUTSIDE_INBOX) for p in sorted(out)
                                   if opts.get("follow_symlinks", True) or not os.path.islink(p))
            to_read = [p for p in to_read if p not in out]
        res = load(to_read, confine=confine, **_load_opts(opts))
        update.articles = res.articles
        # A file deleted between the event and the read is a removal, not a problem, whenever it went
        # (before the stat, or between the stat and the open).
        for p in res.problems:
            if p.kind is ProblemKind.MISSING:
                update.removed.append(p.where)
            else:
                update.problems.append(p)
    return update


def arrivals(paths: Sequence[str | os.PathLike[str]], known: set[str], since: float,
             **opts: Any) -> WatchUpdate:
    """The files in the watched folders that a load did not read and a watcher started later never
    heard of: a path not in `known`, or a file changed at `since` (the load's start, seconds since the
    epoch) or later. Read as the watcher reads a change (the same checks), once."""
    from watchfiles import Change

    from triage.sources.scan import DEFAULT_IGNORE, ignored

    roots = _dirs(paths)
    max_depth = int(opts.get("max_depth", 32))
    ignore = opts.get("ignore", DEFAULT_IGNORE)
    found: set[tuple[Any, str]] = set()
    for root in roots:
        base = root.rstrip(os.sep).count(os.sep)
        for folder, dirs, files in os.walk(root):
            if folder.count(os.sep) - base >= max_depth:
                dirs[:] = []
            else:  # a folder a scan skips (.git ...) is not walked: its files would be dropped anyway
                dirs[:] = [d for d in dirs if not ignored(d, ignore)]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    changed = os.lstat(path).st_mtime >= since
                except OSError:
                    continue
                if changed or path not in known:
                    found.add((Change.added, path))
    return changes_to_update(found, roots, **opts) if found else WatchUpdate()


def _dirs(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    return [os.fspath(p) for p in paths if os.path.isdir(os.fspath(p))]


def watch_paths(
    paths: Sequence[str | os.PathLike[str]],
    callback: Callable[[WatchUpdate], None],
    *,
    stop_event: threading.Event | None = None,
    ready: threading.Event | None = None,
    debounce_ms: int = 300,
    **opts: Any,
) -> None:
    """Watch folders until `stop_event` is set, calling `callback(update)` for each batch of changes.

    `opts` are load options (max_file_bytes, follow_symlinks, ignore, cache_path).
    """
    from watchfiles import watch

    dirs = _dirs(paths)
    if not dirs:
        if ready is not None:
            ready.set()  # nothing to listen to: nothing missed either
        return
    stop = stop_event or threading.Event()
    for changes in watch(*dirs, debounce=debounce_ms, step=50, stop_event=stop, rust_timeout=200,
                         yield_on_timeout=True, raise_interrupt=False, watch_filter=None):
        if ready is not None and not ready.is_set():
            ready.set()
        if not changes:
            continue
        update = changes_to_update(changes, dirs, **opts)
        if update:
            callback(update)


async def awatch_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    stop_event: Any = None,
    ready: Any = None,
    debounce_ms: int = 300,
    **opts: Any,
) -> AsyncIterator[WatchUpdate]:
    """Async form of watch_paths: yields a WatchUpdate per batch until `stop_event` (asyncio.Event) is set.

    Files are read in a thread so the event loop never waits on parsing.
    """
    import asyncio

    from watchfiles import awatch

    dirs = _dirs(paths)
    if not dirs:
        return
    async for changes in awatch(*dirs, debounce=debounce_ms, step=50, stop_event=stop_event, rust_timeout=200,
                                yield_on_timeout=True, watch_filter=None):
        if ready is not None and not ready.is_set():
            ready.set()
        if not changes:
            continue
        update = await asyncio.to_thread(changes_to_update, changes, dirs, **opts)
        if update:
            yield update
