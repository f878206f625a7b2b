"""triage's own feeds file (feeds.toml beside config.toml): locked, comment-keeping, atomic edits.

feeds.toml is written only by triage (`triage feeds import | add | remove`), under a file lock, with a
temp file + fsync + os.replace, so a failed or interrupted change leaves the previous list whole; it is
kept 0600 (feed URLs can carry private tokens). The user's config.toml is never written: its [[feeds]]
tables keep working and are merged in by `triage.config` (see `merge_feeds`). Comments a user adds to
feeds.toml survive triage's edits (tomlkit). The feed model itself is triage.sources.feedmodel.

    feeds = read_feeds(path)                  # list[Feed]; a missing file is an empty list
    with edit_feeds(path) as ff:              # locked read-modify-write; saved only if changed
        ff.add(Feed(url, name, folders=(("News",),)))
        ff.remove(index)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.infra.atomic import write_text_atomic
from triage.infra.private import tighten
from triage.sources.feedmodel import (
    Feed,
    FeedListError,
    feeds_from_data,
    unreadable,
)

__all__ = ["FeedFile", "edit_feeds"]

HEADER = (
    "triage's feed list, kept by `triage feeds import | add | remove` (see `triage feeds --help`).",
    "You may edit it by hand; your comments are kept. Feeds in config.toml's [[feeds]] tables keep",
    "working beside these. Each [[feeds]]: url, name, tags (its folders in OPML); optional: folders",
    "(nested OPML folders, outer first, when a feed sits deeper than one level) and site (its web page).",
)



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
            data = tomllib.loads(text)
        except FileNotFoundError:
            return cls(path, None, [])
        except (UnicodeDecodeError, OSError, tomllib.TOMLDecodeError) as exc:
            raise unreadable(path, exc) from None
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
                    raise FeedListError(f"{self.path}: not valid TOML ({exc}): fix it or move it aside") \
                        from None
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


def _without_attached_comments(text: str) -> str:
    """The text without the comment lines that end it (they belong to the table after them); read
    line by line from the end, so the cost is linear whatever the text holds."""
    end = len(text)
    while end and text[end - 1] == "\n":
        start = text.rfind("\n", 0, end - 1) + 1
        if not text[start : end - 1].lstrip(" \t").startswith("#"):
            break
        end = start
    return text[:end]


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
    starts: list[int] = []
    cursor = end = 0
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
        joined = _without_attached_comments(text[: bounds[index]]) + kept
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

    A new file is 0600 (feed URLs can carry private tokens); an older one of ours keeps what its group
    may do (someone made it so) but loses what every other user could.
    """
    target = Path(os.path.realpath(path))  # a symlinked feeds file stays a symlink
    try:
        tighten(target, group=True)
        write_text_atomic(target, text)  # keeps the (now tight) mode and group of the file it replaces
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
        lock = FileLock(str(target) + ".lock", timeout=timeout, mode=0o600)
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
