"""`load`: files, folders (recursive) and feed URLs -> IngestResult, with a cache and duplicate groups."""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from triage.model import Article, Problem
from triage.sources.base import IngestResult, clean_problems
from triage.sources.registry import SPOOL_STATE_SUFFIX, read_file

__all__ = ["DEFAULT_IGNORE", "load", "scan"]

log = logging.getLogger(__name__)

DEFAULT_IGNORE = (".*", "*~", "*.swp", "*.tmp", "*.part")


def _is_url(s: str) -> bool:
    return s.lower().startswith(("http://", "https://"))


_IGNORE_RX: dict[tuple[str, ...], re.Pattern[str]] = {}


def _ignored(name: str, ignore: Sequence[str]) -> bool:
    key = tuple(ignore)
    rx = _IGNORE_RX.get(key)
    if rx is None:
        rx = _IGNORE_RX[key] = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in key) or r"(?!x)x")
    return name.endswith(SPOOL_STATE_SUFFIX) or rx.match(name) is not None


def scan(
    root: Path, *, follow_symlinks: bool = True, ignore: Sequence[str] = DEFAULT_IGNORE
) -> tuple[list[tuple[Path, os.stat_result]], list[Problem]]:
    """Every file under a folder (sorted), with its stat; symlink loops and unreadable folders are problems."""
    files: list[tuple[Path, os.stat_result]] = []
    problems: list[Problem] = []
    try:
        st = os.stat(root)
    except OSError as exc:
        problems.append(Problem(str(root), _os_reason(exc)))
        return files, problems
    visited = {(st.st_dev, st.st_ino)}

    def walk(folder: Path) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            problems.append(Problem(str(folder), "folder cannot be read: permission denied"))
            return
        except OSError as exc:
            problems.append(Problem(str(folder), f"folder cannot be read ({_os_reason(exc)})"))
            return
        for entry in entries:
            if _ignored(entry.name, ignore):
                continue
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    problems.append(Problem(str(path), "is a symbolic link loop: skipped"))
                elif exc.errno == errno.ENOENT and entry.is_symlink():
                    problems.append(Problem(str(path), "is a broken symbolic link: skipped"))
                else:
                    problems.append(Problem(str(path), f"cannot be read ({_os_reason(exc)})"))
                continue
            if stat.S_ISDIR(est.st_mode):
                key = (est.st_dev, est.st_ino)
                if key in visited:
                    problems.append(Problem(str(path), "is a symbolic link loop (a folder that contains itself): skipped"))
                    continue
                visited.add(key)
                walk(path)
            elif stat.S_ISREG(est.st_mode):
                files.append((path, est))
            else:
                problems.append(Problem(str(path), "is not a regular file (device, socket or pipe): skipped"))

    walk(root)
    return files, problems


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "does not exist"
    if exc.errno == errno.EACCES:
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop"
    return exc.strerror or str(exc)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def load(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int = 5_000_000,
    follow_symlinks: bool = True,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    duplicate_threshold: float = 0.6,
    shingle_size: int = 5,
    cache_path: Path | None = None,
    spool_dir: Path | None = None,
    fetch_timeout: float = 20.0,
    fetch_max_bytes: int = 10_000_000,
    user_agent: str = "triage/0.1 (+news triage; feed reader)",
) -> IngestResult:
    """Read files, folders (recursively) and http(s) feed URLs into articles; never raises for bad input.

    With `cache_path`, unchanged files (same path, size, mtime) are not parsed again, `received` is the
    first time an id was seen and `updated` is True for an id whose content changed since then.
    Near-duplicates are grouped (see IngestResult.groups) when `duplicate_threshold` > 0.
    """
    from triage.sources.cache import IngestCache

    problems: list[Problem] = []
    files: list[tuple[Path, os.stat_result]] = []
    urls: list[str] = []
    roots: list[str] = []
    for raw in paths:
        try:
            s = os.fspath(raw)
        except TypeError:
            problems.append(Problem(repr(raw), "is not a file, folder or feed URL"))
            continue
        if "\x00" in s:
            problems.append(Problem(s.replace("\x00", "\\0"), "is not a valid path (it holds a NUL byte)"))
            continue
        if _is_url(s):
            urls.append(s)
            continue
        p = Path(s).expanduser()
        try:
            st = os.stat(p)
        except OSError as exc:
            problems.append(Problem(str(p), _os_reason(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            roots.append(str(p).rstrip(os.sep) + os.sep)
            try:
                found, probs = scan(p, follow_symlinks=follow_symlinks, ignore=ignore)
            except RecursionError:
                found, probs = [], [Problem(str(p), "folder tree is nested too deeply to scan")]
            files.extend(found)
            problems.extend(probs)
        else:
            files.append((p, st))

    cache = IngestCache(cache_path) if cache_path is not None else None
    cached = cache.files() if cache is not None else {}
    articles: list[Article] = []
    new_rows: list[tuple[str, int, int, list[Article]]] = []
    seen_paths: set[str] = set()
    for path, st in files:
        key = str(path)
        if key in seen_paths:
            continue
        seen_paths.add(key)
        hit = cached.get(key)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            arts = hit[2]
            if not all(a.received for a in arts):
                received = _iso(st.st_mtime)
                arts = [a if a.received else replace(a, received=received) for a in arts]
            articles.extend(arts)
            continue
        arts, probs = read_file(path, max_file_bytes=max_file_bytes)
        problems.extend(probs)
        arts = [a if a.received else replace(a, received=_iso(st.st_mtime)) for a in arts]
        articles.extend(arts)
        if arts and cache is not None:
            new_rows.append((key, st.st_size, st.st_mtime_ns, arts))

    if urls:
        from triage.sources.feeds import fetch_feeds

        res = fetch_feeds(
            [{"url": u, "name": ""} for u in urls], spool_dir, timeout=fetch_timeout,
            max_bytes=fetch_max_bytes, user_agent=user_agent,
        )
        articles.extend(res.articles)
        problems.extend(res.problems)

    articles = _unique_ids(articles)

    # Versions: an id seen before with another content hash is updated; received = first seen.
    new_seen: list[tuple[str, str, str]] = []
    if cache is not None:
        seen = cache.seen()
        out = []
        for a in articles:
            known = seen.get(a.id)
            if known is None:
                new_seen.append((a.id, a.content_hash, a.received or _now()))
                out.append(a)
            else:
                rec, upd = known[1] or a.received, known[0] != a.content_hash
                out.append(a if (rec == a.received and not upd) else replace(a, received=rec, updated=upd))
        articles = out

    result = IngestResult(articles=articles, problems=clean_problems(problems))
    kv: dict[str, str] = {}
    if duplicate_threshold > 0 and len(articles) > 1:
        from triage.sources.dedupe import apply_groups, group_duplicates

        digest = hashlib.sha256()
        digest.update(f"{duplicate_threshold}:{shingle_size}\n".encode())
        for a in sorted(articles, key=lambda a: a.id):
            digest.update(f"{a.id}:{a.content_hash}:{a.published}\n".encode())
        gkey = "groups:" + digest.hexdigest()
        stored = cache.get(gkey) if cache is not None else None
        groups: dict[str, list[str]] | None = None
        if stored is not None:
            try:
                groups = {str(k): [str(x) for x in v] for k, v in json.loads(stored).items()}
            except (ValueError, AttributeError, TypeError):
                groups = None
        if groups is not None:
            result.articles = apply_groups(articles, groups)
            result.groups = groups
        else:
            sigs = cache.signatures() if cache is not None else {}
            known_sigs = set(sigs)
            result.articles, result.groups = group_duplicates(articles, duplicate_threshold, shingle_size, sigs)
            if cache is not None:
                kv[gkey] = json.dumps(result.groups)
                cache.write_signatures({k: v for k, v in sigs.items() if k not in known_sigs})
    if cache is not None:
        forget = [p for p in cached if p not in seen_paths and any(p.startswith(r) for r in roots)]
        cache.write(new_rows, new_seen, kv, forget)
        cache.close()
    return result


def _unique_ids(articles: list[Article]) -> list[Article]:
    """One article per id: the same story twice (same content) is kept once; two different texts
    under one identity in the same load both stay, the later one with an id derived from its path."""
    by_id: dict[str, Article] = {}
    out: list[Article] = []
    for a in articles:
        first = by_id.get(a.id)
        if first is None:
            by_id[a.id] = a
            out.append(a)
            continue
        if first.content_hash == a.content_hash:
            continue
        where = Path(a.path)
        nid = hashlib.sha256(f"{a.id}\x00{where.parent.name}/{where.name}".encode()).hexdigest()[:12]
        if nid in by_id:
            continue
        a = replace(a, id=nid)
        by_id[nid] = a
        out.append(a)
    return out
