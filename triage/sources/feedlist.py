"""The feed list: Feed objects, URL checks, and triage's own feeds file (feeds.toml beside config.toml).

feeds.toml is written only by triage (`triage feeds import | add | remove`), under a file lock, with a
temp file + fsync + os.replace, so a failed or interrupted change leaves the previous list whole. The
user's config.toml is never written: its [[feeds]] tables keep working and are merged in by
`triage.config` (see `merge_feeds`). Comments a user adds to feeds.toml survive triage's edits (tomlkit).

    feeds = read_feeds(path)                  # list[Feed]; a missing file is an empty list
    with edit_feeds(path) as ff:              # locked read-modify-write; saved only if changed
        ff.add(Feed(url, name, folders=(("News",),)))
        ff.remove(index)
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from triage.infra.atomic import write_text_atomic
from triage.infra.sanitize import has_forbidden
from triage.infra.text import clean_line

__all__ = [
    "FEEDS_FILE_NAME",
    "Feed",
    "FeedFile",
    "FeedListError",
    "check_url",
    "clean_name",
    "edit_feeds",
    "feeds_from_data",
    "find_feeds",
    "merge_feeds",
    "read_feeds",
    "url_key",
]

FEEDS_FILE_NAME = "feeds.toml"
MAX_NAME = 200  # characters kept of a feed or folder name (a title is not an essay)
MAX_URL = 4096

HEADER = (
    "triage's feed list, kept by `triage feeds import | add | remove` (see `triage feeds --help`).",
    "You may edit it by hand; your comments are kept. Feeds in config.toml's [[feeds]] tables keep",
    "working beside these. Each [[feeds]]: url, name, tags (its folders in OPML); optional: folders",
    "(nested OPML folders, outer first, when a feed sits deeper than one level) and site (its web page).",
)


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



def check_url(raw: str) -> str:
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
            url = check_url(url)  # feed:// becomes http://; anything else odd is kept for fetch to report
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
    except tomllib.TOMLDecodeError as exc:
        raise FeedListError(f"{path}: not valid TOML ({exc}): fix it or move it aside") from None
    except UnicodeDecodeError:
        raise FeedListError(f"{path}: not UTF-8 text: fix it or move it aside") from None
    except OSError as exc:
        raise FeedListError(f"{path}: cannot read the feeds file ({exc.strerror or exc})") from None
    return feeds_from_data(data, str(path))


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


# --- the feeds file: locked, comment-keeping, atomic edits ----------------------------------------------

class FeedFile:
    """An open feeds file and its feeds, edited in place; see `edit_feeds`.

    The feeds are read with tomllib (fast); the comment-keeping tomlkit document is parsed only when
    something changes, so an import that adds nothing costs one quick read.
    """

    def __init__(self, path: Path, text: str | None, feeds: list[Feed]) -> None:
        self.path = path
        self.feeds = feeds
        self.changed = False
        self._text = text  # None: no file yet
        self._doc: Any = None

    @classmethod
    def read(cls, path: Path) -> FeedFile:
        """Read the file; a missing file is a new, empty one."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, None, [])
        except UnicodeDecodeError:
            raise FeedListError(f"{path}: not UTF-8 text: fix it or move it aside") from None
        except OSError as exc:
            raise FeedListError(f"{path}: cannot read the feeds file ({exc.strerror or exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FeedListError(f"{path}: not valid TOML ({exc}): fix it or move it aside") from None
        return cls(path, text, feeds_from_data(data, str(path)))

    @property
    def doc(self) -> Any:
        """The tomlkit document (comments and layout kept), parsed on first use."""
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        if self._doc is None:
            if self._text is None:
                self._doc = tomlkit.document()
                for line in HEADER:
                    self._doc.add(tomlkit.comment(line))
                self._doc.add(tomlkit.nl())
            else:
                try:
                    self._doc = tomlkit.parse(self._text)
                except TOMLKitError as exc:
                    raise FeedListError(f"{self.path}: not valid TOML ({exc}): fix it or move it aside") from None
        return self._doc

    def _entry(self, feed: Feed, inline: bool) -> Any:
        import tomlkit

        t = tomlkit.inline_table() if inline else tomlkit.table()
        t["url"] = feed.url
        t["name"] = feed.name
        self._set_folders(t, feed)
        if feed.site:
            t["site"] = feed.site
        return t

    @staticmethod
    def _set_folders(t: Any, feed: Feed) -> None:
        t["tags"] = list(feed.tags)
        nested = any(len(p) > 1 for p in feed.folders)
        if nested:
            t["folders"] = [list(p) for p in feed.folders]
        elif "folders" in t:
            del t["folders"]

    def add(self, feed: Feed) -> Feed:
        """Append a feed (the caller has checked it is new)."""
        import tomlkit

        arr = self.doc.get("feeds")
        if arr is None:
            arr = tomlkit.aot()
            self.doc.append("feeds", arr)
            arr = self.doc["feeds"]
        is_aot = isinstance(arr, tomlkit.items.AoT)
        entry = self._entry(feed, inline=not is_aot)
        last = arr[-1].value.body if is_aot and len(arr) else None
        if last and not isinstance(last[-1][1], tomlkit.items.Whitespace):
            entry.trivia.indent = "\n"  # one blank line between tables
        arr.append(entry)
        stored = Feed(feed.url, feed.name, feed.folders, feed.site, str(self.path))
        self.feeds.append(stored)
        self.changed = True
        return stored

    def update(self, index: int, *, name: str | None = None,
               folders: tuple[tuple[str, ...], ...] | None = None) -> Feed:
        """Give feed `index` a new name and/or new folders (and so tags); its comments stay."""
        old = self.feeds[index]
        new = Feed(old.url, old.name if name is None else name, old.folders if folders is None else folders,
                   old.site, old.file)
        if new == old:
            return old
        table = self.doc["feeds"][index]
        if new.name != old.name:
            table["name"] = new.name
        if new.folders != old.folders:
            self._set_folders(table, new)
        self.feeds[index] = new
        self.changed = True
        return new

    def remove(self, index: int) -> Feed:
        """Remove feed `index`; comments right above it go with it, comments about the next one stay."""
        import tomlkit

        doc = self.doc
        arr = doc["feeds"]
        new = _remove_table(doc, arr, index) if isinstance(arr, tomlkit.items.AoT) else None
        if new is not None:
            self._text, self._doc = new, None
        else:
            del arr[index]
            if not len(arr):
                del doc["feeds"]
        self.changed = True
        return self.feeds.pop(index)

    def text(self) -> str:
        """The file's new text."""
        import tomlkit

        return tomlkit.dumps(self._doc) if self._doc is not None else self._text or ""

    def save(self) -> None:
        """Write atomically (temp file, fsync, os.replace, fsync of the folder); a symlink is followed."""
        atomic_write_text(self.path, self.text())


_ATTACHED = re.compile(r"(?:^[ \t]*#[^\n]*\n)+\Z", re.MULTILINE)


def _remove_table(doc: Any, aot: Any, index: int) -> str | None:
    """Delete one table of the feeds array, keeping the comments that belong to the others.

    tomlkit keeps the lines between two tables inside the first one. The comment lines right above the
    removed table's header (no blank line between) and right under its keys go with it; its other
    trailing lines (after a blank line: about what follows) stay where they were. Works on the text
    and checks the result with tomllib. Returns the new text, or None where the layout is too unusual
    (the caller then simply deletes the table).
    """
    from tomlkit.items import Whitespace

    text = doc.as_string()
    try:
        old = tomllib.loads(text).get("feeds", [])
    except tomllib.TOMLDecodeError:
        return None
    want = old[:index] + old[index + 1:]
    # Each table's text: its header line ([[feeds]], rendered by the document) and its body.
    starts, cursor, end = [], 0, 0
    for t in aot.body:
        body = t.as_string()
        at = text.find(body, cursor) if body else cursor
        if at < 1 or text[at - 1] != "\n":
            starts = []
            break
        starts.append(text.rfind("\n", 0, at - 1) + 1)
        cursor = end = at + len(body)
    gone = aot.body[index].value.body
    i = len(gone)
    while i > 0 and gone[i - 1][0] is None:
        i -= 1
    tail = [it for _, it in gone[i:]]
    blank = next((j for j, it in enumerate(tail) if isinstance(it, Whitespace)), len(tail))
    kept = "".join(it.as_string() for it in tail[blank:])
    if starts:
        bounds = starts + [end]
        joined = _ATTACHED.sub("", text[: bounds[index]]) + kept
        rest = text[bounds[index + 1]:]
        while joined.endswith("\n\n\n") or (joined.endswith("\n\n") and rest.startswith("\n")):
            joined = joined[:-1]  # no run of blank lines where the table was
        new = joined + rest
        try:
            if tomllib.loads(new).get("feeds", []) == want:
                return new
        except tomllib.TOMLDecodeError:
            pass
    return None


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a reader sees the old file or the new one, never a mix.

    A new file gets mode 0600 (feed URLs can carry private tokens); an existing one keeps its mode.
    """
    target = Path(os.path.realpath(path))  # a symlinked feeds file stays a symlink
    try:
        write_text_atomic(target, text)  # keeps the mode and group of the file it replaces; new: 0600
    except OSError as exc:
        raise FeedListError(f"{path}: cannot write the feeds file ({exc.strerror or exc}); "
                            "it was left as it was") from None


@contextmanager
def edit_feeds(path: Path, *, timeout: float = 10.0) -> Iterator[FeedFile]:
    """Lock the feeds file, read it, let the caller change it, and save it if it changed.

    An exception inside the block saves nothing: the file stays exactly as it was.
    """
    from filelock import FileLock, Timeout

    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(target) + ".lock", timeout=timeout)
        lock.acquire()
    except Timeout:
        raise FeedListError(f"{path}: another triage is changing the feed list; try again") from None
    except OSError as exc:
        raise FeedListError(f"{path}: cannot lock the feeds file ({exc.strerror or exc})") from None
    try:
        ff = FeedFile.read(path)
        yield ff
        if ff.changed:
            ff.save()
    finally:
        lock.release()
