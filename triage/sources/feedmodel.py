"""The feed list's model: Feed objects, URL checks and names, and reading feeds files (tomllib).

Both config.toml's [[feeds]] tables and triage's own feeds.toml hold this shape; editing feeds.toml
(locked, comment-keeping) lives in triage.sources.feedlist.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from triage.infra.sanitize import has_forbidden
from triage.infra.text import clean_line

__all__ = [
    "FEEDS_FILE_NAME",
    "Feed",
    "FeedListError",
    "feed_url",
    "clean_name",
    "feed_from_entry",
    "feeds_from_data",
    "find_feeds",
    "merge_feeds",
    "read_feeds",
    "unreadable",
    "url_key",
]

FEEDS_FILE_NAME = "feeds.toml"
MAX_NAME = 200  # characters kept of a feed or folder name (a title is not an essay)
MAX_URL = 4096


class FeedListError(Exception):
    """The feeds file cannot be read, parsed or written; the message names the file and the reason."""


@dataclass(frozen=True)
class Feed:
    """One subscribed feed: its URL, display name, and the folders (paths, outer first) it sits in.

    `tags` is every folder name on those paths, in order, without repeats: what filters match.
    A plain tag (newsboat, `--tag`) is a one-level folder, so tags and folders never disagree.
    """

    url: str
    name: str = ""
    folders: tuple[tuple[str, ...], ...] = ()
    site: str = ""
    file: str = field(default="", compare=False)  # the file it was read from ("" for new ones)

    @property
    def tags(self) -> tuple[str, ...]:
        """Every folder name on the feed's paths, first seen first."""
        seen: dict[str, None] = {}
        for path in self.folders:
            for part in path:
                seen.setdefault(part, None)
        return tuple(seen)

    @property
    def key(self) -> str:
        """The normalised URL that identifies the feed (see `url_key`)."""
        return url_key(self.url)

    def with_folders(self, more: Iterable[tuple[str, ...]]) -> Feed:
        """This feed with more folder paths (repeats dropped, order kept)."""
        paths = list(self.folders)
        for p in more:
            if p and p not in paths:
                paths.append(p)
        return Feed(self.url, self.name, tuple(paths), self.site, self.file)

    def as_dict(self) -> dict[str, Any]:
        """The plain form used by Settings.feeds and `triage feeds list --json`."""
        return {"url": self.url, "name": self.name, "tags": list(self.tags),
                "folders": [list(p) for p in self.folders], "site": self.site, "file": self.file}


# --- URLs -----------------------------------------------------------------------------------------



def feed_url(raw: str) -> str:
    """The URL to store for `raw` (feed:// becomes http://); ValueError with a plain reason otherwise.

    Only http and https are fetched: file:, exec:, javascript: and the like are refused.
    """
    s = (raw or "").strip()
    if not s:
        raise ValueError("has no URL")
    if len(s) > MAX_URL:
        raise ValueError(f"URL is longer than {MAX_URL} characters")
    if has_forbidden(s) or any(ch.isspace() or ch in "\u200c\u200d" for ch in s):
        raise ValueError("URL contains spaces or control characters")
    low = s.lower()
    if low.startswith("feed://"):
        s = "http://" + s[len("feed://"):]
    elif low.startswith(("feed:http://", "feed:https://")):
        s = s[len("feed:"):]
    try:
        parts = urlsplit(s)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = clean_line(s.split(":", 1)[0])[:20] + ":" if ":" in s else clean_line(s)[:40]
        raise ValueError(f"not an http(s) URL ({shown}): triage fetches only http and https feeds")
    if not parts.hostname:
        raise ValueError("URL has no host")
    return s


def url_key(url: str) -> str:
    """A URL normalised for finding duplicates: scheme and host lower-cased, default port, empty
    path and fragment dropped (`HTTP://Example.com:80` and `http://example.com/` are one feed)."""
    s = url.strip()
    low = s.lower()
    if low.startswith("feed://"):
        s = "http://" + s[7:]
    elif low.startswith(("feed:http://", "feed:https://")):
        s = s[5:]
    try:
        p = urlsplit(s)
        port = p.port
    except ValueError:
        return s
    scheme = p.scheme.lower()
    host = (p.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    userinfo = p.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, p.path or "/", p.query, ""))


def clean_name(raw: Any, limit: int = MAX_NAME) -> str:
    """A feed or folder name made safe to print: no controls, escapes or bidi tricks, one line, capped.

    Markup-looking text ("[bold red]") is kept as the literal characters: it is text, never markup.
    """
    s = clean_line(raw if isinstance(raw, str) else "")
    s = unicodedata.normalize("NFC", s)
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


# --- reading entries (config.toml and feeds.toml share the shape) -----------------------------------

def _str_list(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must be a list of strings")
    return value


def feed_from_entry(entry: Any, n: int, file: str = "") -> Feed:
    """One [[feeds]] table as a Feed; TypeError/ValueError naming feed `n` and the field that is wrong."""
    if not isinstance(entry, dict):
        raise TypeError(f"feed {n} is not a table")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"feed {n}: every feed needs a url = \"...\" string")
    name = entry.get("name", "")
    site = entry.get("site", "")
    if not isinstance(name, str) or not isinstance(site, str):
        raise TypeError(f"feed {n} ({url}): name and site must be strings")
    tags = _str_list(entry.get("tags", []), f"feed {n} ({url}): tags")
    raw_folders = entry.get("folders", [])
    if not isinstance(raw_folders, list):
        raise TypeError(f"feed {n} ({url}): folders must be a list of lists of strings")
    paths: list[tuple[str, ...]] = []
    for p in raw_folders:
        parts = tuple(x for x in (clean_name(v) for v in _str_list(p, f"feed {n} ({url}): folders")) if x)
        if parts and parts not in paths:
            paths.append(parts)
    url = url.strip()
    if has_forbidden(url):  # it would reach terminals and OPML files as it is
        raise ValueError(f"feed {n}: its url holds control, escape or bidi characters")
    if url[:5].lower() == "feed:":
        try:
            url = feed_url(url)  # feed:// becomes http://; anything else odd is kept for fetch to report
        except ValueError:
            pass
    feed = Feed(url, clean_name(name), tuple(paths), clean_line(site), file)
    return feed.with_folders((t,) for t in (clean_name(t) for t in tags) if t and t not in feed.tags)


def feeds_from_data(data: Any, where: str) -> list[Feed]:
    """The `feeds` array of a parsed TOML document as Feeds; FeedListError naming `where` if malformed."""
    raw = data.get("feeds", []) if isinstance(data, dict) else []
    if not isinstance(raw, list):
        raise FeedListError(f"{where}: feeds must be an array of [[feeds]] tables")
    try:
        return [feed_from_entry(e, n, where) for n, e in enumerate(raw, start=1)]
    except (TypeError, ValueError) as exc:
        raise FeedListError(f"{where}: [[feeds]]: {exc}") from None


def read_feeds(path: Path) -> list[Feed]:
    """The feeds in a feeds file (tomllib: fast, no locks); a missing file is an empty list."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise unreadable(path, exc) from None
    return feeds_from_data(data, str(path))


def unreadable(path: Path, exc: Exception) -> FeedListError:
    """The one sentence for a feeds file that cannot be read: not UTF-8, not TOML, or refused by the OS."""
    if isinstance(exc, UnicodeDecodeError):
        return FeedListError(f"{path}: not UTF-8 text: fix it or move it aside")
    if isinstance(exc, tomllib.TOMLDecodeError):
        return FeedListError(f"{path}: not valid TOML ({exc}): fix it or move it aside")
    return FeedListError(f"{path}: cannot read the feeds file ({getattr(exc, 'strerror', None) or exc})")


def merge_feeds(*lists: Iterable[Feed]) -> list[Feed]:
    """One list, first occurrence of each URL key wins; a later duplicate adds its folders (and a name
    where the first had none)."""
    out: dict[str, Feed] = {}
    for feeds in lists:
        for f in feeds:
            k = f.key
            if k not in out:
                out[k] = f
                continue
            first = out[k].with_folders(f.folders)
            out[k] = Feed(first.url, first.name or f.name, first.folders, first.site or f.site, first.file)
    return list(out.values())


def find_feeds(feeds: Iterable[Feed], what: str) -> list[Feed]:
    """Feeds matching a URL (normalised) or else a name (exact, then case-insensitive)."""
    feeds = list(feeds)
    key = url_key(what.strip())
    by_url = [f for f in feeds if f.key == key]
    if by_url:
        return by_url
    exact = [f for f in feeds if f.name and f.name == what]
    if exact:
        return exact
    folded = what.strip().casefold()
    return [f for f in feeds if f.name and f.name.casefold() == folded]
