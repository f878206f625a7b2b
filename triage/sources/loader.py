"""`load`: files, folders (recursive) and feed URLs -> IngestResult, with a cache and duplicate groups."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from triage.infra.clock import now_iso
from triage.model import Article, Problem, ProblemKind
from triage.sources.base import IngestResult, clean_problems
from triage.sources.parsers import PARSE_SECONDS, Parsed, ParserPool
from triage.sources.readers.versions import version_rank
from triage.sources.scan import DEFAULT_IGNORE, LINK_OUT, ignored, inside, iter_scan, os_problem, shown

__all__ = ["DEFAULT_IGNORE", "LoadBatch", "iter_load", "iter_scan", "load", "shown"]

log = logging.getLogger(__name__)

PARALLEL_FROM = 1000  # files to parse before helper processes pay for their start


def _is_url(s: str) -> bool:
    return s.lower().startswith(("http://", "https://"))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class LoadBatch:
    """One step of a progressive load: articles ready to show, problems met, files done of total."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    done: int = 0
    total: int = 0


def _iter_resolve(paths, follow_symlinks: bool, ignore: Sequence[str], problems: list[Problem],
                  urls: list[str], roots: list[str], allowed_roots: Sequence[str] = (), max_depth: int = 32,
                  confine: Sequence[str] | None = None) -> Iterator[tuple[Path, os.stat_result]]:
    """The files `paths` name (folders walked as they go), each once; URLs, folder roots and problems
    are appended to the lists given. With `confine` (real folders), a named file whose real path
    is outside them is refused (what the watcher reads: a link planted in the inbox). A link found in
    one inbox folder may lead into another one named here."""
    seen: set[str] = set()
    paths = list(paths)
    inboxes = [os.fspath(p) for p in paths if isinstance(p, str | os.PathLike) and not _is_url(os.fspath(p))
               and "\x00" not in os.fspath(p) and os.path.isdir(os.path.expanduser(os.fspath(p)))]
    allowed_roots = [*allowed_roots, *inboxes]
    for raw in paths:
        try:
            s = os.fspath(raw)
        except TypeError:
            problems.append(Problem(repr(raw), "is not a file, folder or feed URL", ProblemKind.UNSUPPORTED))
            continue
        if "\x00" in s:
            problems.append(
                Problem(
                    s.replace("\x00", "\\0"),
                    "is not a valid path (it holds a NUL byte)",
                    ProblemKind.UNSUPPORTED,
                )
            )
            continue
        if _is_url(s):
            urls.append(s)
            continue
        p = Path(s).expanduser()
        try:
            st = os.stat(p)
        except OSError as exc:
            problems.append(Problem(shown(p), *os_problem(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            roots.append(str(p).rstrip(os.sep) + os.sep)
            found = iter_scan(
                p,
                problems,
                follow_symlinks=follow_symlinks,
                ignore=ignore,
                allowed_roots=allowed_roots,
                max_depth=max_depth,
            )
        elif confine is not None and not follow_symlinks and os.path.islink(p):
            continue  # a scan would not list it either
        elif confine is not None and not inside(os.path.realpath(p), confine):
            problems.append(Problem(shown(p), LINK_OUT, ProblemKind.OUTSIDE_INBOX))
            continue
        else:
            found = iter([(p, st)])
        try:
            for path, fst in found:
                if str(path) not in seen:
                    seen.add(str(path))
                    yield path, fst
        except RecursionError:
            problems.append(
                Problem(shown(p), "folder tree is nested too deeply to scan", ProblemKind.NOT_A_FILE)
            )


def _versioned(a: Article) -> bool:
    """Versions the agency numbered (a flash and its writethru, a kill): one story under one id."""
    return bool(a.version or a.killed)


def _own_id(a: Article) -> str:
    """The id of an article that shares its id with another file's: of its id and its own path."""
    where = Path(a.path)
    return hashlib.sha256(f"{a.id}\x00{where.parent.name}/{where.name}".encode()).hexdigest()[:12]


class _Versions:
    """Ids across a whole load: one article per id, `received` = first seen, `updated` when changed."""

    def __init__(self, cache) -> None:
        self.cache = cache
        self.by_id: dict[str, Article] = {}
        self.new_seen: list[tuple[str, str, str]] = []
        self.new_versions: list[tuple[str, str, str, str, str]] = []

    def admit(self, articles: list[Article]) -> list[Article]:
        cache = self.cache
        seen = cache.seen_for(list(dict.fromkeys(a.id for a in articles))) if cache is not None else {}
        # Two files under one id (one title in one folder, nothing versioned): the first admitted keeps
        # it and the other gets an id of its own path. Which came first depends on the order of this
        # load (helpers finish in any order; a start from the cache goes by path), so a file that had
        # its path's id before keeps it, whatever the order: a decision never moves to the other file.
        own = {}
        if seen:
            maybe = [_own_id(a) for a in articles
                     if a.id in seen and seen[a.id][0] != a.content_hash and not _versioned(a)]
            if maybe and cache is not None:
                own = cache.seen_for(maybe)
                seen.update(own)
        unique = []
        for a in articles:
            if own and (nid := _own_id(a)) in own and not _versioned(a):
                a = replace(a, id=nid)
            first = self.by_id.get(a.id)
            if first is not None:
                if first.content_hash == a.content_hash:
                    continue
                if _versioned(a) or _versioned(first):
                    # Versions the agency numbered (a flash and its writethru, a kill): one story
                    # under the agency's id; the catalog keeps them all and shows the newest.
                    if version_rank(a) > version_rank(first):
                        self.by_id[a.id] = a
                    unique.append(a)
                    continue
                nid = _own_id(a)
                if nid in self.by_id:
                    continue
                a = replace(a, id=nid)
            self.by_id[a.id] = a
            unique.append(a)
        if cache is None:
            return unique
        asked = set(seen) | {a.id for a in articles} | set(own)
        seen.update(cache.seen_for([a.id for a in unique if a.id not in asked]))  # ids of own paths
        changed = [(a.id, a.content_hash) for a in unique if a.id in seen and seen[a.id][0] != a.content_hash]
        known_versions = cache.versions_for(changed)
        out = []
        for a in unique:
            known = seen.get(a.id)
            if known is None:
                when = a.received or now_iso(seconds=True)
                self.new_seen.append((a.id, a.content_hash, when))
                self.new_versions.append((a.id, a.content_hash, when, a.title, a.text))
                out.append(a)
                continue
            first_hash, first_received = known
            rec = first_received or a.received
            if first_hash == a.content_hash:
                out.append(a if rec == a.received else replace(a, received=rec))
                continue
            # A new version of an article seen before: kept, with the time it arrived.
            when = known_versions.get((a.id, a.content_hash))
            if when is None:
                when = a.received if a.received and a.received > rec else now_iso(seconds=True)
                self.new_versions.append((a.id, a.content_hash, when, a.title, a.text))
            out.append(replace(a, received=rec, updated=True, updated_at=when))
        return out


# A file holding more stories than this (a feed spool) is not read ahead for the first screen.
_FIRST_SCREEN_FILE_MAX = 20


def _cached_first(paths, meta: dict[str, tuple[int, int]], cache, ignore: Sequence[str], size: int):
    """(articles, paths) chunks of the cached files under `paths` that are unchanged on disk (a stat
    each), for a big inbox only (200 files and more); the scan that follows finds the rest.

    The first chunk holds the files of the stories the list led with last time (the cache's
    first_screen), so the first screen painted is the one the whole inbox will show; then the rest,
    in path order."""
    roots: list[str] = []
    singles: set[str] = set()
    for raw in paths:
        try:
            s = os.fspath(raw)
        except TypeError:
            continue
        if _is_url(s) or "\x00" in s:
            continue
        p = str(Path(s).expanduser())
        if os.path.isdir(p):
            roots.append(p.rstrip(os.sep) + os.sep)
        else:
            singles.add(p)
    under = {p for p in meta if p in singles or any(p.startswith(r) for r in roots)}
    if len(under) < 200:
        return
    received: dict[str, str] = {}  # path -> its file's time, for every path passed so far

    def unchanged(path: str) -> str:
        """The file's time if it is as cached (and not ignored), else ""; one stat, once a path."""
        if path not in received:
            received[path] = ""
            rel = next((path[len(r) :] for r in roots if path.startswith(r)), os.path.basename(path))
            if any(ignored(part, ignore) for part in rel.split(os.sep)):
                return ""  # ignored since it was cached: the scan will not list it either
            try:
                st = os.stat(path)
            except OSError:
                return ""  # gone (or unreadable): the scan says which
            if (st.st_size, st.st_mtime_ns) != meta[path]:
                return ""  # changed: read again after the scan
            received[path] = _iso(st.st_mtime)
        return received[path]

    chunk: list[Article] = []
    fresh: set[str] = set()  # paths in this chunk
    top = [p for p in cache.first_screen()[:size] if p in under]
    ahead = cache.lookup(top) if top else {}
    # A file whose id another file holds too stays in path order: which of them keeps the id is decided
    # by the order they are admitted in, and reading one ahead must not change it from the last start.
    shared = cache.shared_ids([a.id for _s, _m, arts in ahead.values() for a in arts]) if ahead else set()
    for path, (_size, _mtime, arts) in ahead.items():
        if len(arts) > _FIRST_SCREEN_FILE_MAX or any(a.id in shared for a in arts):
            continue
        if when := unchanged(path):
            fresh.add(path)
            chunk.extend(a if a.received else replace(a, received=when) for a in arts)
    if fresh:
        yield chunk, fresh
        under = under - fresh
        fresh, chunk, size = set(), [], 5000
    for path, arts in cache.iter_articles(under, first=size):
        when = unchanged(path)
        if not when:
            continue
        fresh.add(path)
        chunk.extend(a if a.received else replace(a, received=when) for a in arts)
        if len(chunk) >= size:
            yield chunk, fresh
            fresh, chunk, size = set(), [], 5000
    if chunk or fresh:
        yield chunk, fresh


def _record(parsed: list[Parsed], versions: _Versions, cache) -> tuple[list[Article], list[Problem]]:
    """Keep some files' parses (and first-seen times, versions) in the cache: the articles and
    problems, ready to show."""
    arts_out: list[Article] = []
    probs_out: list[Problem] = []
    rows = []
    for path, st, arts, probs in parsed:
        probs_out.extend(replace(p, where=shown(p.where)) for p in probs)
        arts = [a if a.received else replace(a, received=_iso(st.st_mtime)) for a in arts]
        arts_out.extend(arts)
        if arts:
            rows.append((str(path), st.st_size, st.st_mtime_ns, arts))
    admitted = versions.admit(arts_out)
    if cache is not None:
        cache.write(rows, versions.new_seen)
        cache.add_versions(versions.new_versions)
        versions.new_seen, versions.new_versions = [], []
    return admitted, clean_problems(probs_out)


def _parsers_for(files: int, processes: int | None) -> int:
    """How many helper processes parse `files` files side by side: 0 (the pool's one) for a few,
    else one per core unless `processes` says otherwise."""
    if processes is not None:
        return max(0, processes) if files >= PARALLEL_FROM else 0
    return min(4, os.cpu_count() or 1) if files >= PARALLEL_FROM else 0


def iter_load(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int = 5_000_000,
    follow_symlinks: bool = True,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    cache_path: Path | None = None,
    first_batch: int = 48,
    batch: int = 400,
    forget_missing: bool = True,
    allowed_roots: Sequence[str] = (),
    max_depth: int = 32,
    confine: Sequence[str] | None = None,
    parse_processes: int | None = None,
    parse_seconds: float = PARSE_SECONDS,
) -> Iterator[LoadBatch]:
    """Read files and folders progressively: cached files first (one read of the cache, no parsing),
    then the others in batches (the first one small, so a screen can show something at once).

    Feed URLs among `paths` are not fetched here (see load). No duplicate grouping. Files are parsed
    in helper processes, each within `parse_seconds` (see triage.sources.parsers), a big batch in
    several (`parse_processes`; None: one per core, from PARALLEL_FROM files on); parses come back
    as files are done, so a slow file holds back no other. Each batch's parses are written to the
    cache before it is yielded, so a kill loses at most one batch of work.
    """
    from triage.sources.cache import IngestCache
    from triage.sources.scan import read_confinement

    cache = IngestCache(cache_path) if cache_path is not None else None
    versions = _Versions(cache)
    try:
        # A warm start shows the cached stories first: each is checked with one stat of its own file,
        # before the folders are scanned for what is new (a big inbox paints at once).
        early: set[str] = set()
        done = 0
        folders = any(
            os.path.isdir(os.path.expanduser(os.fspath(p)))
            for p in paths
            if isinstance(p, str | os.PathLike) and not _is_url(os.fspath(p))
        )
        # (a few named files, as the watcher reads them, are looked up one by one below instead)
        meta = cache.meta() if cache is not None and folders else {}
        if meta:
            for part in _cached_first(paths, meta, cache, ignore, first_batch * 5):
                early.update(part[1])
                done += len(part[1])
                yield LoadBatch(versions.admit(part[0]), [], done, max(done, len(meta)))
        problems: list[Problem] = []
        roots: list[str] = []
        stream = _iter_resolve(
            paths, follow_symlinks, ignore, problems, [], roots, allowed_roots, max_depth, confine
        )
        reads = read_confinement(paths, allowed_roots, confine, follow_symlinks)  # checked again at each open
        read_early: set[str] = set()
        if not early and folders:  # nothing shown yet: read the first files found before walking the rest
            head = list(itertools.islice(stream, first_batch))
            todo_now = [(p, st) for p, st in head if meta.get(str(p)) != (st.st_size, st.st_mtime_ns)]
            if len(todo_now) == len(head) and head:
                read_early = {str(p) for p, _ in todo_now}
                for parsed in ParserPool(1, parse_seconds).map([todo_now], max_file_bytes, reads):
                    admitted, probs_out = _record(parsed, versions, cache)
                    done += len(parsed)
                    yield LoadBatch(admitted, probs_out, done, 0)
            files = head + list(stream)
        else:
            files = list(stream)
        total = len(files)
        if problems:
            yield LoadBatch(problems=clean_problems(problems), done=done, total=total)
        hits: dict = {}
        if len(files) < 200 and cache is not None and not early:  # a few files (the watcher, a CLI call)
            hits = cache.lookup([str(p) for p, _ in files])
            meta = {k: (v[0], v[1]) for k, v in hits.items()}
        fresh_paths = {
            str(p)
            for p, st in files  # (files read early are shown already)
            if str(p) not in early
            and str(p) not in read_early
            and meta.get(str(p)) == (st.st_size, st.st_mtime_ns)
        }
        todo = [
            (p, st)
            for p, st in files
            if str(p) not in fresh_paths and str(p) not in early and str(p) not in read_early
        ]
        if fresh_paths:
            mtimes = {str(p): st.st_mtime for p, st in files}
            chunk: list[Article] = []
            paths_in_chunk: set[str] = set()
            limit = first_batch * 20  # the first chunk small: a screen shows it at once
            source = hits.items() if hits or cache is None else cache.iter_articles(fresh_paths)
            for path, entry in source:
                arts = entry[2] if isinstance(entry, tuple) else entry
                if path not in fresh_paths:
                    continue
                received = _iso(mtimes[path])
                chunk.extend(a if a.received else replace(a, received=received) for a in arts)
                paths_in_chunk.add(path)
                if len(chunk) >= limit:
                    done += len(paths_in_chunk)
                    yield LoadBatch(versions.admit(chunk), [], done, total)
                    chunk, paths_in_chunk, limit = [], set(), 5000
            done = len(fresh_paths) + len(early) + len(read_early)
            yield LoadBatch(versions.admit(chunk), [], done, total)
        if read_early and not todo and not fresh_paths and not problems:
            yield LoadBatch([], [], done, total)  # everything was read early: say how many there were
        size = first_batch if not read_early else batch
        parts = []
        i = 0
        while i < len(todo):
            parts.append(todo[i : i + size])
            i += size
            size = batch
        with ParserPool(_parsers_for(len(todo), parse_processes), parse_seconds) as parsers:
            for parsed in parsers.map(parts, max_file_bytes, reads):
                admitted, probs_out = _record(parsed, versions, cache)
                done += len(parsed)
                yield LoadBatch(admitted, probs_out, done, total)
        if cache is not None:
            if versions.new_seen:
                cache.write([], versions.new_seen)
            cache.add_versions(versions.new_versions)
            if forget_missing and roots and len(files) >= 200:
                present = {str(p) for p, _ in files} | early
                forget = [p for p in meta if p not in present and any(p.startswith(r) for r in roots)]
                if forget:
                    cache.write([], [], forget)
    finally:
        if cache is not None:
            cache.close()


def load(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int = 5_000_000,
    follow_symlinks: bool = True,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    cache_path: Path | None = None,
    spool_dir: Path | None = None,
    fetch_timeout: float = 20.0,
    fetch_max_bytes: int = 10_000_000,
    user_agent: str = "triage/0.1 (+news triage; feed reader)",
    allowed_roots: Sequence[str] = (),
    max_depth: int = 32,
    confine: Sequence[str] | None = None,
    parse_seconds: float = PARSE_SECONDS,
) -> IngestResult:
    """Read files, folders (recursively) and http(s) feed URLs into articles; never raises for bad input.

    With `cache_path`, unchanged files (same path, size, mtime) are not parsed again, `received` is the
    first time an id was seen and `updated` is True for an id whose content changed since then.
    Near-duplicates are not grouped here: that is the catalog's (triage.catalog.groups).
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    for part in iter_load(
        paths,
        max_file_bytes=max_file_bytes,
        follow_symlinks=follow_symlinks,
        ignore=ignore,
        cache_path=cache_path,
        first_batch=400,
        allowed_roots=allowed_roots,
        max_depth=max_depth,
        confine=confine,
        parse_seconds=parse_seconds,
    ):
        articles.extend(part.articles)
        problems.extend(part.problems)
    urls = [os.fspath(p) for p in paths if isinstance(p, str | os.PathLike) and _is_url(os.fspath(p))]
    if urls:
        from triage.sources.fetch import fetch_feeds

        res = fetch_feeds(
            [{"url": u, "name": ""} for u in urls],
            spool_dir,
            timeout=fetch_timeout,
            max_bytes=fetch_max_bytes,
            user_agent=user_agent,
            parse_seconds=parse_seconds,
        )
        articles = _Versions(None).admit(articles + list(res.articles))  # one article per id
        problems.extend(res.problems)
    result = IngestResult(articles=articles, problems=clean_problems(problems))
    return result
