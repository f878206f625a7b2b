"""`triage ingest` (read sources, print articles) and `triage fetch` (configured feeds into the spool)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from triage.cli.common import group_settings, no_stories, say, terminal_width
from triage.infra.counts import count_of

__all__ = ["fetch", "ingest"]


def _keys() -> tuple[str, ...]:
    """The fields of a JSON row as they are; subjects and correction follow, shaped for JSON. (Found
    when a command runs: every command imports this module, and triage.sources.base is not light.)"""
    from triage.sources.base import WIRE_ARTICLE_FIELDS

    return ("id", "title", "source", "url", "published", "text", "path") + tuple(
        k for k in WIRE_ARTICLE_FIELDS if k not in ("subjects", "correction"))


def _groups(articles: list[Any], settings: Any, data_dir: Path | None):
    """Near-duplicates marked as the catalog groups them (triage.catalog.groups): (articles, groups)."""
    threshold = settings.sources.duplicate_threshold
    if threshold <= 0 or len(articles) < 2:
        return articles, {}
    from triage.catalog.dupindex import DuplicateIndex
    from triage.catalog.groups import group_articles

    where = data_dir / "duplicates.sqlite" if data_dir is not None else None
    index = DuplicateIndex(
        where, threshold=threshold, shingle_size=settings.sources.shingle_size
    )
    try:
        return group_articles(articles, index)
    finally:
        index.close()


@click.command("ingest")
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per article.")
@click.option("--no-cache", is_flag=True, help="Parse every file again (no ingest cache in the data dir).")
@click.pass_context
def ingest(ctx: click.Context, sources: tuple[str, ...], as_json: bool, no_cache: bool) -> None:
    """Read SOURCE files, folders or feed URLs and print their articles; problems go to stderr."""
    from triage.infra.log import setup_logging
    from triage.infra.sanitize import escape_forbidden
    from triage.sources import load
    from triage.sources.scan import scan_options

    settings = group_settings(ctx)
    data_dir = Path(settings.data_dir)
    # a reader's unexpected error goes to the log file, never the terminal
    setup_logging(data_dir, group=settings.store.group_share)
    result = load(
        list(sources),
        **scan_options(asdict(settings.sources)),
        cache_path=None if no_cache else data_dir / "ingest-cache.sqlite",
        spool_dir=data_dir / "spool",
        fetch_timeout=settings.fetch.timeout_seconds,
        fetch_max_bytes=settings.fetch.max_bytes,
        user_agent=settings.fetch.user_agent,
    )
    result.articles, result.groups = _groups(result.articles, settings, None if no_cache else data_dir)
    for p in result.problems:
        say(f"triage: {p}", err=True)
    if as_json:
        out, keys = sys.stdout, _keys()
        for a in result.articles:
            row = {k: getattr(a, k) for k in keys}
            row["subjects"] = [{"code": code, "name": name} for code, name in a.subjects]
            row.update(
                correction=a.correction, received=a.received, content_hash=a.content_hash, updated=a.updated
            )
            if a.duplicates_of:
                row["duplicates_of"] = a.duplicates_of
            # controls, bidi and format characters (C1 and U+202E as C0) and the lone surrogates of a
            # file name that is not UTF-8 become \u escapes: valid UTF-8 on any terminal, and `path`
            # still names the file (os.fsencode of the decoded value gives its bytes back)
            out.write(escape_forbidden(json.dumps(row, ensure_ascii=False)) + "\n")
        out.flush()
    else:
        _table(result.articles)
        if result.articles:
            groups = len(result.groups)
            click.echo(
                count_of(len(result.articles), "article")
                + (f", {count_of(groups, 'duplicate group')}" if groups else "")
                + (f", {count_of(len(result.problems), 'problem')}" if result.problems else ""),
                err=True,
            )
    if not result.articles:
        say(f"triage: {no_stories(sources, len(result.problems))}", err=True)
        ctx.exit(1)


def _table(articles: list[Any]) -> None:
    """A plain table: id, published date, source, title (no markup: titles are printed as text); cut to
    the terminal's width, never in a pipe or a file."""
    if not articles:
        return
    width = terminal_width(100)
    src_w = max([len(a.source) for a in articles] + [6])
    src_w = min(18, src_w) if width else src_w
    title_w = max(20, width - 12 - 2 - 10 - 2 - src_w - 2 - 2) if width else 0
    click.echo(f"{'ID':<12}  {'DATE':<10}  {'SOURCE':<{src_w}}  TITLE")
    for a in articles:
        mark = "=" if a.duplicates_of else ("*" if a.updated else " ")
        title = a.title if not title_w or len(a.title) <= title_w else a.title[: title_w - 1] + "…"
        source = a.source[:src_w]  # titles and sources were cleaned when the Article was built
        click.echo(f"{a.id:<12}  {a.published[:10]:<10}  {source:<{src_w}}{mark} {title}")


@click.command("fetch")
@click.option(
    "--timeout", type=float, default=None, help="Seconds per request (default: fetch.timeout_seconds)."
)
@click.pass_context
def fetch(ctx: click.Context, timeout: float | None) -> None:
    """Fetch every configured [[feeds]] URL once into the spool in the data dir."""
    from triage.infra.log import setup_logging
    from triage.sources.fetch import fetch_feeds, fetch_options

    settings = group_settings(ctx)
    group = settings.store.group_share
    setup_logging(Path(settings.data_dir), group=group)
    feeds = settings.feeds
    if not feeds:
        click.echo(
            "triage: no feeds configured: add one with `triage feeds add URL` or import your reader's "
            "OPML with `triage feeds import FILE`",
            err=True,
        )
        ctx.exit(1)
    spool = Path(settings.data_dir) / "spool"

    def progress(done: int, total: int, name: str) -> None:
        say(f"[{done}/{total}] {name}", err=True)

    options = fetch_options(asdict(settings.fetch), group_share=group,
                            parse_seconds=settings.sources.parse_seconds)
    if timeout is not None:
        options["timeout"] = float(timeout)
    result = fetch_feeds(feeds, spool, progress=progress, **options)
    for p in result.problems:
        say(f"triage: {p}", err=True)
    failed = {p.where for p in result.problems}
    ok = [f for f in feeds if str(f.get("url")) not in failed]
    read = count_of(len(result.articles), "article")
    click.echo(f"{read} in the spool from {len(ok)} of {len(feeds)} feeds ({spool})")
    if not result.articles and len(ok) == 0:
        ctx.exit(1)
