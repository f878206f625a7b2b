"""`triage feeds import | export | list | add | remove`: the feed list, kept in feeds.toml beside config.toml.

Errors are one line on stderr naming the file and the reason; exit 0 on success, 1 when nothing usable
was found (or the feed is not there), 2 for a usage error. A failed change leaves the list as it was.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from triage.cli.common import fail, group_settings, say, terminal_width
from triage.infra.cells import fit

__all__ = ["feeds"]

MAX_PROBLEMS_SHOWN = 20


def _feeds_file(settings: Any) -> Path:
    from triage.config import feeds_file_for

    return Path(settings.feeds_file) if settings.feeds_file is not None else feeds_file_for(None)


def _all_feeds(settings: Any) -> list:
    """Settings.feeds (config.toml's, then feeds.toml's) as Feed objects."""
    from triage.sources.feedmodel import Feed

    return [
        Feed(
            d["url"],
            d.get("name", ""),
            tuple(tuple(p) for p in d.get("folders", [])),
            d.get("site", ""),
            d.get("file", ""),
        )
        for d in settings.feeds
    ]


def _others(settings: Any, feeds_file: Path) -> list:
    """Feeds that live elsewhere than the feeds file (config.toml's [[feeds]]): triage never edits them."""
    return [f for f in _all_feeds(settings) if f.file != str(feeds_file)]


@click.group("feeds")
def feeds() -> None:
    """Your feed list: import OPML or a newsboat urls file, export OPML, list, add and remove feeds.

    triage keeps it in feeds.toml beside your config.toml (your config file is never rewritten);
    [[feeds]] tables in config.toml keep working beside it.
    """


@feeds.command("import")
@click.argument("file", type=str)
@click.pass_context
def import_cmd(ctx: click.Context, file: str) -> None:
    """Add the feeds of FILE: OPML 1.0/2.0 (newsboat, Miniflux, NetNewsWire, Feedly ...) or newsboat's
    urls file ('-' reads stdin). Folders become tags; feeds already in the list are not added again."""
    from triage.sources.feedlist import edit_feeds
    from triage.sources.feedmodel import FeedListError
    from triage.sources.opml import MAX_BYTES, ListError, read_subscriptions

    settings = group_settings(ctx)
    shown = "stdin" if file == "-" else file
    try:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with open(file, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        fail(f"{shown}: no such file")
    except IsADirectoryError:
        fail(f"{shown}: is a folder, not a subscription list")
    except OSError as exc:
        fail(f"{shown}: cannot read it ({exc.strerror or exc})")
    try:
        subs = read_subscriptions(data)
    except ListError as exc:
        fail(f"{shown}: {exc}")
    for p in subs.problems[:MAX_PROBLEMS_SHOWN]:
        say(f"triage: {shown}: {p.where}: {p.reason}", err=True)
    if len(subs.problems) > MAX_PROBLEMS_SHOWN:
        say(
            f"triage: {shown}: ... and {len(subs.problems) - MAX_PROBLEMS_SHOWN} more entries skipped",
            err=True,
        )
    for note in subs.notes:
        say(f"triage: {shown}: {note}", err=True)
    if not subs.feeds:
        fail(f"{shown}: no usable feeds ({len(subs.problems)} skipped); the feed list is unchanged")

    target = _feeds_file(settings)
    elsewhere = {f.key for f in _others(settings, target)}
    added = updated = present = 0
    try:
        with edit_feeds(target) as ff:
            index = {f.key: i for i, f in enumerate(ff.feeds)}
            for feed in subs.feeds:
                if feed.key in elsewhere:
                    present += 1
                elif feed.key in index:
                    old = ff.feeds[index[feed.key]]
                    merged = old.with_folders(feed.folders)
                    if merged.folders != old.folders:
                        ff.update(index[feed.key], folders=merged.folders)
                        updated += 1
                    else:
                        present += 1
                else:
                    ff.add(feed)
                    index[feed.key] = len(ff.feeds) - 1
                    added += 1
    except FeedListError as exc:
        fail(str(exc))
    parts = (
        [f"{added} added"]
        + ([f"{updated} given new folders"] if updated else [])
        + [f"{present} already there"]
    )
    say(
        f"{shown} ({subs.kind}): {len(subs.feeds)} feeds: {', '.join(parts)}"
        + (f" -> {target}" if added or updated else "")
    )


@feeds.command("export")
@click.pass_context
def export_cmd(ctx: click.Context) -> None:
    """Write every feed as OPML 2.0 to stdout, with titles and folders (redirect it to a file)."""
    from triage.sources.opml import to_opml

    settings = group_settings(ctx)
    _feed_rows(settings)  # says what could not be read
    feeds_ = _all_feeds(settings)
    out = sys.stdout.buffer
    out.write(to_opml(feeds_).encode("utf-8"))
    out.flush()
    if not feeds_:
        say("triage: no feeds to export (an empty list was written)", err=True)


def _feed_rows(settings: Any) -> list[dict[str, Any]]:
    """Settings.feeds; a feeds.toml that cannot be read is said on stderr (its feeds are left out)."""
    rows = settings.feeds
    if settings.feeds_problem:
        say(f"triage: {settings.feeds_problem}", err=True)
    return rows


def _shown_url(url: str) -> str:
    """A URL for the screen: a password in it (https://user:secret@host/) is not shown."""
    from triage.infra.text import clean_line

    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@", r"\1:***@", clean_line(url))


def _table(rows: list[dict[str, Any]], width: int | None) -> list[str]:
    """NAME, TAGS, URL columns in `width` cells, long cells ending in an ellipsis, no line wraps; with
    no width (a pipe or a file), every cell whole."""
    from rich.cells import cell_len

    from triage.sources.feedmodel import clean_name

    cells = [
        (
            clean_name(r.get("name", "")) or "(untitled)",
            clean_name(", ".join(r.get("tags", [])), 400),
            _shown_url(r.get("url", "")),
        )
        for r in rows
    ]
    if width is None:
        name_w = max([cell_len(c[0]) for c in cells] + [4])
        tags_w = max([cell_len(c[1]) for c in cells] + [4]) if any(c[1] for c in cells) else 0
        widths = [name_w] + ([tags_w] if tags_w else [])
        lines = ["  ".join(fit(h, w) for h, w in zip(("NAME", "TAGS"), widths, strict=False)) + "  URL"]
        for name, tags, url in cells:
            lines.append("  ".join([fit(name, name_w)] + ([fit(tags, tags_w)] if tags_w else []) + [url]))
        return lines
    width = max(width, 40) - 1  # never write into the last column: some terminals wrap there
    name_w = min(max([cell_len(c[0][:31]) for c in cells] + [4]), 30)
    tags_w = min(max([cell_len(c[1][:21]) for c in cells] + [4]), 20) if any(c[1] for c in cells) else 0
    gaps = 2 * (2 if tags_w else 1)
    url_w = width - name_w - tags_w - gaps
    if url_w < 24:  # a narrow terminal: the URL keeps 24 cells, the name gives way
        name_w = max(8, name_w - (24 - url_w))
        url_w = width - name_w - tags_w - gaps
    head = [fit("NAME", name_w)] + ([fit("TAGS", tags_w)] if tags_w else []) + ["URL"]
    lines = ["  ".join(head)]
    for name, tags, url in cells:
        row = [fit(name, name_w)] + ([fit(tags, tags_w)] if tags_w else []) + [fit(url, url_w, pad=False)]
        lines.append("  ".join(row).rstrip())
    return lines


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of {url,name,tags,folders,site,file}.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Show every feed: name, tags and URL, in a table that fits the terminal (80 columns is fine); into
    a pipe or a file, every name and URL whole."""
    settings = group_settings(ctx)
    rows = _feed_rows(settings)
    if as_json:
        text = json.dumps(rows, ensure_ascii=False, indent=2)
        from triage.infra.sanitize import escape_forbidden

        click.echo(escape_forbidden(text))
        return
    if not rows:
        say(
            "triage: no feeds yet: `triage feeds import FILE` (OPML, newsboat urls) or "
            "`triage feeds add URL`",
            err=True,
        )
        return
    for line in _table(rows, terminal_width()):
        click.echo(line)
    by_file: dict[str, int] = {}
    for r in rows:
        by_file[r.get("file", "")] = by_file.get(r.get("file", ""), 0) + 1
    where = ", ".join(f"{n} in {f}" for f, n in by_file.items())
    say(f"{len(rows)} feed{'s' if len(rows) != 1 else ''} ({where})", err=True)


@feeds.command("add")
@click.argument("url")
@click.option(
    "--name", "name", default="", help="The name shown for the feed (default: the feed's own title)."
)
@click.option("--tag", "tags", multiple=True, help="A tag (a folder in OPML); repeat for more.")
@click.pass_context
def add_cmd(ctx: click.Context, url: str, name: str, tags: tuple[str, ...]) -> None:
    """Add the feed at URL (http or https; feed:// is read as http://)."""
    from triage.sources.feedlist import edit_feeds
    from triage.sources.feedmodel import Feed, FeedListError, clean_name, feed_url, url_key

    settings = group_settings(ctx)
    try:
        url = feed_url(url)
    except ValueError as exc:
        fail(f"{url}: {exc}", 2)
    clean_tags = [t for t in (clean_name(t) for t in tags) if t]
    feed = Feed(url, clean_name(name), tuple((t,) for t in dict.fromkeys(clean_tags)))
    target = _feeds_file(settings)
    key = url_key(url)
    for other in _others(settings, target):
        if other.key == key:
            fail(f'{url} is already in {other.file} (as "{other.name or other.url}"); change it there', 1)
    try:
        with edit_feeds(target) as ff:
            at = next((i for i, f in enumerate(ff.feeds) if f.key == key), None)
            if at is None:
                ff.add(feed)
                result = f"added {feed.name or feed.url}" + (
                    f" [{', '.join(feed.tags)}]" if feed.tags else ""
                )
            else:
                old = ff.feeds[at]
                new = ff.update(at, name=feed.name or None, folders=old.with_folders(feed.folders).folders)
                result = (
                    f"updated {new.name or new.url}" + (f" [{', '.join(new.tags)}]" if new.tags else "")
                    if ff.changed
                    else f"{old.name or old.url} is already in the feed list"
                )
    except FeedListError as exc:
        fail(str(exc))
    say(f"{result} ({target})")


@feeds.command("remove")
@click.argument("feed", metavar="URL|NAME")
@click.pass_context
def remove_cmd(ctx: click.Context, feed: str) -> None:
    """Remove one feed, given by its URL or its name (as `triage feeds list` shows it)."""
    from triage.sources.feedlist import edit_feeds
    from triage.sources.feedmodel import FeedListError, find_feeds

    settings = group_settings(ctx)
    target = _feeds_file(settings)
    matches = find_feeds(_all_feeds(settings), feed)
    if not matches:
        fail(f'no feed has the URL or name "{feed}" (see `triage feeds list`)')
    if len(matches) > 1:
        names = ", ".join(m.url for m in matches[:3]) + (" ..." if len(matches) > 3 else "")
        fail(f'"{feed}" names {len(matches)} feeds ({names}): give the URL', 2)
    found = matches[0]
    if found.file != str(target):
        fail(
            f"{found.url} is set in {found.file}: remove its [[feeds]] table there "
            "(triage does not rewrite your config file)"
        )
    try:
        with edit_feeds(target) as ff:
            at = next((i for i, f in enumerate(ff.feeds) if f.key == found.key), None)
            if at is None:
                fail(f"{found.url} is no longer in {target}")
            gone = ff.remove(at)
    except FeedListError as exc:
        fail(str(exc))
    say(f"removed {gone.name or gone.url} ({gone.url})")
