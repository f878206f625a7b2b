"""Feeds by URL: httpx with timeouts, a size cap and conditional requests, kept in a local spool.

Spool layout (inside the data dir, e.g. ~/.local/share/triage/spool/):
  <slug>.spool.jsonl       one stored Article a line (id, title, text, source, url, published,
                           received, path=<feed url>, author); entries that leave the feed stay here
  <slug>.spool-state.json  {url, name, etag, last_modified, fetched, status}
The loader reads `*.spool.jsonl` like any inbox file, so `load([spool_dir])` shows every spooled item.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.infra.atomic import write_text_atomic
from triage.model import Article, Problem
from triage.sources.base import IngestResult, Rejected, clean_problems
from triage.sources.registry import SPOOL_STATE_SUFFIX, SPOOL_SUFFIX, read_file

__all__ = ["FetchError", "fetch_feeds", "read_spool", "spool_slug"]

Progress = Callable[[int, int, str], None]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # a library logger: never a traceback on the terminal (see registry.py)

# What a saved ETag / Last-Modified may hold to be sent back (a damaged state file never breaks a fetch).
_VALIDATOR = re.compile(r"[\x20-\x7e]{1,1024}")

# Entries kept per feed in the spool (the newest by arrival); a busy feed is not a disk leak.
SPOOL_LIMIT = 5000


class FetchError(Exception):
    """A feed or page could not be fetched; the message is the plain reason."""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def spool_slug(url: str, name: str = "") -> str:
    """A file-name-safe, stable name for a feed's spool files."""
    import hashlib

    base = re.sub(r"[^a-z0-9]+", "-", (name or re.sub(r"^https?://", "", url)).lower()).strip("-")[:40] or "feed"
    return f"{base}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def _get(client: Any, url: str, headers: dict[str, str], *, timeout: float, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
    """GET with an overall deadline and a size cap; returns (status, headers, body)."""
    import httpx

    deadline = time.monotonic() + max(timeout, 0.1) * 2
    try:
        with client.stream("GET", url, headers=headers) as resp:
            length = resp.headers.get("content-length")
            if resp.status_code == 304:
                return 304, dict(resp.headers), b""
            if resp.status_code >= 400:
                raise FetchError(f"returned HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"is {int(length):,} bytes, over the {max_bytes:,}-byte limit")
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"sent more than the {max_bytes:,}-byte limit: stopped")
                if time.monotonic() > deadline:
                    raise FetchError(f"took longer than {timeout * 2:g} s to send: stopped")
                chunks.append(chunk)
            return resp.status_code, dict(resp.headers), b"".join(chunks)
    except httpx.TimeoutException:
        raise FetchError(f"did not answer within {timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchError("redirects too many times") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"is not a valid URL ({exc})") from None
    except httpx.UnsupportedProtocol:
        raise FetchError("is not an http(s) URL") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise FetchError(f"could not be fetched ({reason[:120]})") from None


def _parse_body(body: bytes, url: str, name: str, problems: list[Problem]) -> tuple[list[Article], Any]:
    from triage.sources.readers.feedfile import parse_feed_bytes

    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        from triage.sources.readers.jsonfiles import is_json_feed, loads, read_json_feed

        try:
            obj = loads(stripped.decode("utf-8", "replace"))
        except Rejected as exc:
            raise Rejected("sent " + str(exc).removeprefix("is ").replace("not valid JSON", "JSON that does not parse")) from None
        if not is_json_feed(obj):
            raise Rejected("sent JSON that is not a JSON Feed")
        return read_json_feed(obj, url, name, problems), None
    return parse_feed_bytes(body, url, name, problems)


def _full_text(client: Any, link: str, *, timeout: float, max_bytes: int, user_agent: str) -> str:
    """Main text of a linked article page (trafilatura), or "" when it cannot be had."""
    from triage.sources.decode import decode_bytes
    from triage.sources.readers.html import extract_html

    try:
        _status, _h, body = _get(client, link, {"User-Agent": user_agent}, timeout=timeout, max_bytes=max_bytes)
        html, _enc = decode_bytes(body)
    except (FetchError, Rejected):
        return ""
    text = extract_html(html, url=link).get("text", "")
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


def read_spool(spool_dir: Path) -> IngestResult:
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


def _spool_merge(spool_file: Path, fresh: list[Article], problems: list[Problem] | None = None) -> list[Article]:
    """Merge fetched articles into the spool file: new ids added, changed ones replaced (first received
    kept), ids no longer in the feed kept. Returns every spooled article. Raises OSError when the spool
    cannot be written (the caller then keeps the old fetch state).

    A spool that exists but cannot be read as a whole is never overwritten: it is moved aside
    (`.<name>.unreadable-<time>`, hidden so a load of the folder does not read it) with a problem
    line naming it, and a new spool is started.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(spool_file.parent / f".{spool_file.name}.lock"), timeout=30)
    try:
        with lock:
            return _spool_merge_locked(spool_file, fresh, problems if problems is not None else [])
    except Timeout:
        raise OSError(f"another triage process holds the spool lock of {spool_file.name}") from None


def _spool_merge_locked(spool_file: Path, fresh: list[Article], problems: list[Problem]) -> list[Article]:
    kept: dict[str, Article] = {}
    if spool_file.exists():
        arts, probs = read_file(spool_file, max_file_bytes=0)
        if not arts and probs and spool_file.stat().st_size > 0:
            aside = spool_file.with_name(f".{spool_file.name}.unreadable-{int(time.time())}")  # hidden: not re-read
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
    if len(kept) > SPOOL_LIMIT:  # newest first by when they arrived; the oldest leave the spool
        newest = sorted(kept.values(), key=lambda a: (a.received, a.published), reverse=True)[:SPOOL_LIMIT]
        kept = {a.id: a for a in newest}
    lines = [json.dumps({k: v for k, v in asdict(a).items() if k not in ("updated", "duplicates_of")},
                        ensure_ascii=False) for a in kept.values()]
    _write_atomic(spool_file, "\n".join(lines) + ("\n" if lines else ""))
    return list(kept.values())


def fetch_feeds(
    feeds: list[dict[str, Any]],
    spool_dir: Path | None,
    *,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "triage/0.1 (+news triage; feed reader)",
    fetch_full_article: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Fetch each feed once; with a spool_dir, use and keep ETag/Last-Modified and spool the entries.

    Returns every article of the fetched feeds (with a spool: also entries that left the feed) and
    one problem line per feed that failed. Never raises for a bad feed. `progress(done, total, name)`
    is called after each feed (safe to forward to a UI thread).
    """
    import httpx

    result = IngestResult()
    total = len(feeds)
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=5,
                      headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}) as client:
        for n, feed in enumerate(feeds, start=1):
            url = str(feed.get("url") or "") if isinstance(feed, dict) else ""
            name = str(feed.get("name") or "") if isinstance(feed, dict) else ""
            if not url:
                result.problems.append(Problem("[[feeds]]", f"feed {n} has no url: skipped"))
                continue
            try:
                result.extend(_fetch_one(client, url, name, spool_dir, timeout=timeout, max_bytes=max_bytes,
                                         user_agent=user_agent, fetch_full_article=fetch_full_article))
            except Exception as exc:  # noqa: BLE001 - one feed never stops the others
                result.problems.append(Problem(url, f"feed could not be read ({type(exc).__name__}: {exc})"))
            if progress is not None:
                try:
                    progress(n, total, name or url)
                except Exception:  # a UI callback failure is not a feed failure
                    log.exception("progress callback")
    result.problems = clean_problems(result.problems)
    return result


def _fetch_one(client: Any, url: str, name: str, spool_dir: Path | None, *, timeout: float, max_bytes: int,
               user_agent: str, fetch_full_article: bool) -> IngestResult:
    result = IngestResult()
    slug = spool_slug(url, name)
    state_file = spool_dir / (slug + SPOOL_STATE_SUFFIX) if spool_dir else None
    spool_file = spool_dir / (slug + SPOOL_SUFFIX) if spool_dir else None
    state: dict[str, Any] = {}
    if state_file is not None and state_file.exists():
        try:
            loaded = json.loads(state_file.read_text(encoding="utf-8"))
            state = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            state = {}
    headers: dict[str, str] = {}
    have_spool = spool_file is not None and spool_file.exists()
    for key, header in (("etag", "If-None-Match"), ("last_modified", "If-Modified-Since")):
        value = state.get(key)
        if have_spool and isinstance(value, str) and _VALIDATOR.fullmatch(value):
            headers[header] = value
    try:
        status, resp_headers, body = _get(client, url, headers, timeout=timeout, max_bytes=max_bytes)
    except FetchError as exc:
        result.problems.append(Problem(url, f"feed {exc}"))
        if spool_file is not None and spool_file.exists():
            spooled = read_file(spool_file, max_file_bytes=0)[0]
            result.articles.extend(spooled)
        return result
    fresh: list[Article] = []
    parsed_ok = False
    now = _now()
    if status != 304:
        try:
            fresh, parsed = _parse_body(body, url, name, result.problems)
            parsed_ok = True
        except Rejected as exc:  # no validators saved: the next fetch reads the whole body again
            result.problems.append(Problem(url, f"feed {exc}"))
            fresh, parsed = [], None
        fresh = [replace(a, received=a.received or now, source=name or a.source) for a in fresh]
        if fetch_full_article and parsed is not None:
            from triage.sources.readers.feedfile import teaser_links

            teasers = teaser_links(parsed)
            known = {}
            if spool_file is not None and spool_file.exists():
                known = {a.url: a for a in read_file(spool_file, max_file_bytes=0)[0]}
            out = []
            for a in fresh:
                if a.url in teasers and len(a.text) < 1200:
                    prev = known.get(a.url)
                    full = prev.text if prev is not None and len(prev.text) > len(a.text) else _full_text(
                        client, a.url, timeout=timeout, max_bytes=max_bytes, user_agent=user_agent)
                    if len(full) > len(a.text):
                        from triage.sources.base import make_article

                        a = make_article(title=a.title, text=full, path=a.path, source=a.source, url=a.url,
                                         published=a.published, author=a.author, received=a.received,
                                         article_id=a.id)
                out.append(a)
            fresh = out
    # The spool is made durable FIRST (temp file, fsync, rename, directory fsync); only then is the
    # conditional-request state written. A crash or a failed write in between leaves the old ETag /
    # Last-Modified, so the next fetch gets the entries again instead of a 304 that hides them.
    spooled = True
    if spool_file is not None:
        try:
            result.articles.extend(_spool_merge(spool_file, fresh, result.problems))
        except OSError as exc:
            spooled = False
            result.problems.append(Problem(str(spool_file), f"spool could not be written ({exc.strerror or exc}): "
                                           "the entries will be fetched again next time"))
            result.articles.extend(fresh)
    else:
        result.articles.extend(fresh)
    if status != 304 and state_file is not None and spooled:
        new_state = {"url": url, "name": name, "fetched": now, "status": status,
                     "etag": resp_headers.get("etag") if parsed_ok else None,
                     "last_modified": resp_headers.get("last-modified") if parsed_ok else None}
        try:
            _write_atomic(state_file, json.dumps(new_state))
        except OSError as exc:
            result.problems.append(Problem(str(state_file), f"spool state could not be written ({exc.strerror or exc})"))
    return result
