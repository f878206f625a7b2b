"""Feeds by URL: fetched concurrently (a small bound), each request bounded in time and size (see
httpget), conditional requests, entries kept in a local spool.

Spool layout (inside the data dir, e.g. ~/.local/share/triage/spool/, folder 0700, files 0600):
  <slug>.spool.jsonl       one stored Article a line (id, title, text, source, url, published,
                           received, path=<feed url>, author); entries that leave the feed stay here,
                           the newest kept, bounded in entries and in bytes
  <slug>.spool-state.json  {url, name, etag, last_modified, fetched, status}
The slug is the feed's name (or host and path) and a hash of its URL: never its query string, which
may hold a token. The loader reads `*.spool.jsonl` like any inbox file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from triage.infra.atomic import write_text_atomic
from triage.infra.clock import now_iso
from triage.infra.private import NotPrivate, private_dir, private_file_mode
from triage.model import Article, Problem, ProblemKind
from triage.sources.base import IngestResult, Rejected, clean_problems
from triage.sources.httpget import FetchError, Reach, get, run_sync
from triage.sources.parsers import PARSE_SECONDS, Failed, run_bounded
from triage.sources.registry import SPOOL_STATE_SUFFIX, SPOOL_SUFFIX, read_file

__all__ = ["FetchError", "fetch_feeds", "fetch_options", "read_spool_folder", "spool_slug"]

Progress = Callable[[int, int, str], None]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # a library logger: never a traceback on the terminal (see registry.py)

# What a saved ETag / Last-Modified may hold to be sent back (a damaged state file never breaks a fetch).
_VALIDATOR = re.compile(r"[\x20-\x7e]{1,1024}")

# Entries and bytes kept per feed in the spool (the newest by arrival); a busy feed is not a disk leak.
SPOOL_LIMIT = 5000
SPOOL_BYTES = 50_000_000


def _slug_base(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feed"


def spool_slug(url: str, name: str = "") -> str:
    """A file-name-safe, stable name for a feed's spool files: no query string, user name or password
    of the URL in it (those can be secrets), a hash of the whole URL to tell feeds apart."""
    try:
        parts = urlsplit(url)
        where = (parts.hostname or "") + parts.path
    except ValueError:
        where = ""
    return f"{_slug_base(name or where)}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def _old_slug(url: str, name: str) -> str:
    """The spool name earlier versions used (it kept the URL's query string in the file name)."""
    base = _slug_base(name or re.sub(r"^https?://", "", url))
    return f"{base}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def _adopt_old_spool(spool_dir: Path, url: str, name: str) -> None:
    """Rename a feed's spool files from the old naming to the new one (once)."""
    old, new = _old_slug(url, name), spool_slug(url, name)
    if old == new:
        return
    for suffix in (SPOOL_SUFFIX, SPOOL_STATE_SUFFIX):
        src, dst = spool_dir / (old + suffix), spool_dir / (new + suffix)
        if src.is_file() and not dst.exists():
            try:
                os.replace(src, dst)
            except OSError:
                pass


def fetch_options(section: dict[str, Any], group_share: bool = False,
                  parse_seconds: float = PARSE_SECONDS) -> dict[str, Any]:
    """The keyword arguments of fetch_feeds from the config's [fetch] section (and the bound on parsing
    a body, [sources] parse_seconds)."""
    return {"parse_seconds": float(parse_seconds),
            "timeout": float(section["timeout_seconds"]), "max_bytes": int(section["max_bytes"]),
            "user_agent": str(section["user_agent"]),
            "fetch_full_article": bool(section["fetch_full_article"]),
            "local_pages": bool(section.get("local_pages", False)),
            "concurrency": int(section.get("concurrency", 4)),
            "spool_max_entries": int(section.get("spool_max_entries", SPOOL_LIMIT)),
            "spool_max_bytes": int(section.get("spool_max_bytes", SPOOL_BYTES)), "group_share": group_share}


def _parse_body(body: bytes, url: str, name: str, problems: list[Problem]) -> tuple[list[Article], Any]:
    from triage.sources.readers.feedfile import parse_feed_bytes

    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        from triage.sources.readers.jsonfiles import is_json_feed, loads, read_json_feed

        try:
            obj = loads(stripped.decode("utf-8", "replace"))
        except Rejected as exc:
            said = exc.reason.removeprefix("is ")  # "is not valid JSON (...)": the feed *sent* it
            said = said.replace("not valid JSON", "JSON that does not parse")
            raise Rejected("sent " + said, exc.kind) from None
        if not is_json_feed(obj):
            raise Rejected("sent JSON that is not a JSON Feed")
        return read_json_feed(obj, url, name, problems), None
    return parse_feed_bytes(body, url, name, problems)


def _parse_body_apart(body: bytes, url: str, name: str) -> tuple[list[Article], list[Problem], Any, str]:
    """_parse_body as a helper process runs it: (articles, problems, the teaser entries, why rejected).
    Of the parse only what the full-text step reads (each teaser's link and summary) comes back."""
    from triage.sources.readers.feedfile import teaser_links

    problems: list[Problem] = []
    try:
        articles, parsed = _parse_body(body, url, name, problems)
    except Rejected as exc:
        return [], problems, None, str(exc)
    teasers = None
    if parsed is not None:
        teasers = {"entries": [{"link": link, "summary": summary}
                               for link, summary in teaser_links(parsed).items()]}
    return articles, problems, teasers, ""


def _parse_bounded(body: bytes, url: str, name: str, seconds: float, problems: list[Problem]
                   ) -> tuple[list[Article], Any]:
    """A feed body parsed in a helper process within `seconds` (see triage.sources.parsers); Rejected
    when it is not a feed, or took too long to read."""
    outcome: Any = Failed("no result")
    for got in run_bounded([(_parse_body_apart, (body, url, name))], seconds=seconds):
        outcome = got[0][1]
    if isinstance(outcome, Failed):
        if outcome.timed_out:
            raise Rejected(f"{outcome.reason} (sources.parse_seconds): not read", ProblemKind.TIMED_OUT)
        raise Rejected(f"could not be read ({outcome.reason})", ProblemKind.UNREADABLE)
    articles, found, teasers, rejected = outcome
    problems.extend(found)
    if rejected:
        raise Rejected(rejected)
    return articles, teasers


def read_spool_folder(spool_dir: Path) -> IngestResult:
    """Every article kept in a spool folder (no fetching)."""
    result = IngestResult()
    if not spool_dir.is_dir():
        return result
    for p in sorted(spool_dir.glob("*" + SPOOL_SUFFIX)):
        arts, probs = read_file(p, max_file_bytes=0)
        result.articles.extend(arts)
        result.problems.extend(probs)
    return result


def _write_atomic(path: Path, text: str) -> None:
    """Replace a file durably (temp file, fsync, os.replace, fsync of the folder)."""
    write_text_atomic(path, text, errors="surrogatepass")


def _write_private(path: Path, text: str, group: bool) -> None:
    """_write_atomic, the file 0600 (0660 with group) even where an older one was more open."""
    from triage.infra.private import tighten

    tighten(path, group=group)  # the new file takes the old one's mode
    _write_atomic(path, text)
    tighten(path, group=group)


def _spool_merge(spool_file: Path, fresh: list[Article], problems: list[Problem] | None = None, *,
                 max_entries: int = SPOOL_LIMIT, max_bytes: int = SPOOL_BYTES,
                 group: bool = False) -> list[Article]:
    """Merge fetched articles into the spool file: new ids added, changed ones replaced (first received
    kept), ids no longer in the feed kept, the oldest dropped beyond `max_entries` or `max_bytes`.
    Returns every spooled article. Raises OSError when the spool cannot be written (the caller then
    keeps the old fetch state).

    A spool that exists but cannot be read as a whole is never overwritten: it is moved aside
    (`.<name>.unreadable-<time>`, hidden so a load of the folder does not read it) with a problem
    line naming it, and a new spool is started.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(spool_file.parent / f".{spool_file.name}.lock"), timeout=30,
                    mode=private_file_mode(group))
    try:
        with lock:
            return _spool_merge_locked(spool_file, fresh, problems if problems is not None else [],
                                       max_entries, max_bytes, group)
    except Timeout:
        raise OSError(f"another triage process holds the spool lock of {spool_file.name}") from None


def _spool_merge_locked(spool_file: Path, fresh: list[Article], problems: list[Problem], max_entries: int,
                        max_bytes: int, group: bool) -> list[Article]:
    kept: dict[str, Article] = {}
    if spool_file.exists():
        arts, probs = read_file(spool_file, max_file_bytes=0)
        if not arts and probs and spool_file.stat().st_size > 0:
            # hidden: a load of the folder does not read it
            aside = spool_file.with_name(f".{spool_file.name}.unreadable-{int(time.time())}")
            os.replace(spool_file, aside)
            problems.append(Problem(str(spool_file), f"spool could not be read ({probs[-1].reason}): kept as "
                                    f"{aside.name}, a new spool started"))
        else:
            problems.extend(probs)
        kept = {a.id: a for a in arts}
    if not fresh:
        return list(kept.values())
    for a in fresh:
        old = kept.get(a.id)
        kept[a.id] = replace(a, received=old.received) if old is not None and old.received else a
    # Newest first by when they arrived (on a tie, the later in the file: the fetched); the oldest
    # leave the spool past either bound. The file keeps its order of arrival.
    line = {aid: json.dumps({k: v for k, v in asdict(a).items() if k not in ("updated", "duplicates_of")},
                            ensure_ascii=False) for aid, a in kept.items()}
    place = {aid: n for n, aid in enumerate(kept)}
    keep: set[str] = set()
    size = 0
    for a in sorted(kept.values(), key=lambda a: (a.received, a.published, place[a.id]), reverse=True):
        size += len(line[a.id].encode("utf-8", "surrogatepass")) + 1
        if len(keep) >= max_entries or (size > max_bytes and keep):
            break
        keep.add(a.id)
    order = [a for a in kept.values() if a.id in keep]
    lines = [line[a.id] for a in order]
    _write_private(spool_file, "\n".join(lines) + ("\n" if lines else ""), group)
    return order


def fetch_feeds(
    feeds: list[dict[str, Any]],
    spool_dir: Path | None,
    *,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "triage/0.1 (+news triage; feed reader)",
    fetch_full_article: bool = False,
    local_pages: bool = False,
    progress: Progress | None = None,
    concurrency: int = 4,
    spool_max_entries: int = SPOOL_LIMIT,
    spool_max_bytes: int = SPOOL_BYTES,
    group_share: bool = False,
    parse_seconds: float = PARSE_SECONDS,
) -> IngestResult:
    """Fetch each feed once, `concurrency` at a time; with a spool_dir, use and keep ETag/Last-Modified
    and spool the entries (see fetch_options for the config's names).

    Returns every article of the fetched feeds (with a spool: also entries that left the feed) and
    one problem line per feed that failed, in the order of `feeds`. Never raises for a bad feed.
    `timeout` bounds each request as a whole. Linked article pages (`fetch_full_article`) are fetched
    from public addresses or the feed's own origin only (`local_pages`: from local ones too), checked
    where each connection is made. Each body is parsed in a helper process within `parse_seconds`
    (see triage.sources.parsers). `progress(done, total, name)` is called, in the calling
    thread or a fetch thread of its own, as each feed is done (safe to forward to a UI thread).
    """
    opts = {"timeout": max(float(timeout), 0.1), "max_bytes": max(int(max_bytes), 1),
            "user_agent": user_agent,
            "full": fetch_full_article, "local_pages": local_pages, "entries": max(int(spool_max_entries), 1),
            "bytes": max(int(spool_max_bytes), 1), "group": group_share,
            "seconds": max(float(parse_seconds), 0.1)}
    result = IngestResult()
    if spool_dir is not None:
        try:
            private_dir(spool_dir, group=group_share)
        except NotPrivate as exc:  # another user's folder: nothing is kept or read there
            why = f"spool folder {exc.strerror}: entries are not kept"
            result.problems.append(Problem(str(spool_dir), why))
            spool_dir = None
        except OSError as exc:
            log.warning("spool folder %s cannot be made: %s", spool_dir, exc)
    parts = run_sync(lambda: _fetch_all(feeds, spool_dir, opts, max(int(concurrency), 1), progress))
    for part in parts:
        result.extend(part)
    result.problems = clean_problems(result.problems)
    return result


async def _fetch_all(feeds: list[dict[str, Any]], spool_dir: Path | None, opts: dict[str, Any],
                     concurrency: int, progress: Progress | None) -> list[IngestResult]:
    from triage.sources.fulltext import PAGE_CONCURRENCY
    from triage.sources.httpget import make_client

    total = len(feeds)
    done = 0
    gate = asyncio.Semaphore(concurrency)
    opts = dict(opts, page_gate=asyncio.Semaphore(PAGE_CONCURRENCY))  # article pages, across all feeds

    headers = {"User-Agent": opts["user_agent"], "Accept-Encoding": "gzip, deflate"}
    async with make_client(timeout=opts["timeout"], max_connections=concurrency + PAGE_CONCURRENCY,
                           headers=headers) as client:

        async def one(n: int, feed: Any) -> IngestResult:
            nonlocal done
            url = str(feed.get("url") or "") if isinstance(feed, dict) else ""
            name = str(feed.get("name") or "") if isinstance(feed, dict) else ""
            if not url:
                return IngestResult(problems=[Problem("[[feeds]]", f"feed {n} has no url: skipped",
                                                      ProblemKind.CONFIG)])
            try:
                async with gate:
                    res = await _fetch_one(client, url, name, spool_dir, opts)
            except Exception as exc:  # noqa: BLE001 - one feed never stops the others
                log.exception("feed %s", url)
                why = f"feed could not be read ({type(exc).__name__}: {exc})"
                res = IngestResult(problems=[Problem(url, why)])
            done += 1
            if progress is not None:
                try:
                    progress(done, total, name or url)
                except Exception:  # a UI callback failure is not a feed failure
                    log.exception("progress callback")
            return res

        return list(await asyncio.gather(*(one(n, f) for n, f in enumerate(feeds, start=1))))


def _read_state(state_file: Path | None) -> dict[str, Any]:
    if state_file is None or not state_file.exists():
        return {}
    try:
        loaded = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _spooled(spool_file: Path | None) -> list[Article]:
    if spool_file is None or not spool_file.exists():
        return []
    return read_file(spool_file, max_file_bytes=0)[0]


async def _fetch_one(client: Any, url: str, name: str, spool_dir: Path | None,
                     opts: dict[str, Any]) -> IngestResult:
    result = IngestResult()
    if spool_dir is not None:
        await asyncio.to_thread(_adopt_old_spool, spool_dir, url, name)
    slug = spool_slug(url, name)
    state_file = spool_dir / (slug + SPOOL_STATE_SUFFIX) if spool_dir else None
    spool_file = spool_dir / (slug + SPOOL_SUFFIX) if spool_dir else None
    state = _read_state(state_file)
    headers: dict[str, str] = {}
    have_spool = spool_file is not None and spool_file.exists()
    for key, header in (("etag", "If-None-Match"), ("last_modified", "If-Modified-Since")):
        value = state.get(key)
        if have_spool and isinstance(value, str) and _VALIDATOR.fullmatch(value):
            headers[header] = value
    try:
        resp = await get(client, url, headers, timeout=opts["timeout"], max_bytes=opts["max_bytes"],
                         reach=Reach.for_feed(url))
    except FetchError as exc:
        result.problems.append(Problem(url, f"feed {exc}", exc.kind))
        result.articles.extend(await asyncio.to_thread(_spooled, spool_file))
        return result
    fresh: list[Article] = []
    parsed_ok = False
    now = now_iso(seconds=True)
    if resp.status != 304:
        try:
            fresh, parsed = await asyncio.to_thread(_parse_bounded, resp.body, url, name, opts["seconds"],
                                                    result.problems)
            parsed_ok = True
        except Rejected as exc:  # no validators saved: the next fetch reads the whole body again
            result.problems.append(Problem(url, f"feed {exc.reason}", exc.kind))
            fresh, parsed = [], None
        fresh = [replace(a, received=a.received or now, source=name or a.source) for a in fresh]
        if opts["full"] and parsed is not None:
            from triage.sources.fulltext import with_full_texts

            kept = await asyncio.to_thread(_spooled, spool_file)
            fresh = await with_full_texts(client, url, fresh, parsed, kept, opts)
    # The spool is made durable FIRST (temp file, fsync, rename, directory fsync); only then is the
    # conditional-request state written. A crash or a failed write in between leaves the old ETag /
    # Last-Modified, so the next fetch gets the entries again instead of a 304 that hides them.
    spooled = True
    if spool_file is not None:
        try:
            result.articles.extend(await asyncio.to_thread(
                _spool_merge, spool_file, fresh, result.problems, max_entries=opts["entries"],
                max_bytes=opts["bytes"], group=opts["group"]))
        except OSError as exc:
            spooled = False
            why = (f"spool could not be written ({exc.strerror or exc}): "
                   "the entries will be fetched again next time")
            result.problems.append(Problem(str(spool_file), why))
            result.articles.extend(fresh)
    else:
        result.articles.extend(fresh)
    if resp.status != 304 and state_file is not None and spooled:
        new_state = {"url": url, "name": name, "fetched": now, "status": resp.status,
                     "etag": resp.headers.get("etag") if parsed_ok else None,
                     "last_modified": resp.headers.get("last-modified") if parsed_ok else None}
        try:
            await asyncio.to_thread(_write_private, state_file, json.dumps(new_state), opts["group"])
        except OSError as exc:
            why = f"spool state could not be written ({exc.strerror or exc})"
            result.problems.append(Problem(str(state_file), why))
    return result
