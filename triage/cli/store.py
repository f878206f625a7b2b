"""`triage store`: bring a PostgreSQL schema up to date; copy a desk's history between stores."""

from __future__ import annotations

import os
import sys

import click

from triage.cli.common import fail, group_settings, say

__all__ = ["store"]


@click.group("store")
def store() -> None:
    """The desk's store: a TinyDB file (the default) or PostgreSQL (--db postgresql://...)."""


@store.command("migrate")
@click.option("--db", "db", help="The PostgreSQL URL (default: --db before the command, or the config).")
@click.pass_context
def migrate_cmd(ctx: click.Context, db: str | None) -> None:
    """Bring a PostgreSQL database's triage schema up to date (run it as the database's owner).

    Each numbered migration shipped with triage runs once, in its own transaction; a schema newer
    than this triage knows is left alone. Passwords come from ~/.pgpass, PGPASSFILE or a service
    file, never from the URL."""
    from triage.store.open import is_server_url, store_name

    url = db or group_settings(ctx).db_url
    if not url:
        fail("store migrate: give a PostgreSQL URL with --db postgresql://... (a TinyDB file needs no "
             "migration).", 2)
    if not is_server_url(url):
        fail(f"store migrate: {store_name(url)} is not a postgresql:// URL (a TinyDB file needs no "
             f"migration).", 2)
    name = store_name(url)
    try:
        import psycopg
    except ImportError:
        from triage.store.open import EXTRA_HINT

        fail(f"{name}: a PostgreSQL store needs triage's postgres extra ({EXTRA_HINT}).")
    from triage.store.errors import StoreError
    from triage.store.pg.conninfo import UrlError, check_url
    from triage.store.pg.schema import LATEST, migrate

    try:
        check_url(url)
        with psycopg.connect(url.strip(), autocommit=True, connect_timeout=10,
                             application_name="triage migrate") as conn:
            applied = migrate(conn, name)
    except (UrlError, StoreError) as exc:
        fail(str(exc))
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        fail(f"{name}: not migrated ({reason}).")
    if applied:
        say(f"{name}: applied {', '.join(applied)}; the schema is at {LATEST}.")
    else:
        say(f"{name}: the schema is up to date ({LATEST}).")


@store.command("copy")
@click.argument("src")
@click.argument("dst")
@click.pass_context
def copy_cmd(ctx: click.Context, src: str, dst: str) -> None:
    """Copy a desk's whole history from SRC to DST (each a TinyDB file or a postgresql:// URL).

    Every event keeps who made it, when, and its id; events DST holds already are skipped, so running
    it twice is safe. Into PostgreSQL, run it as the schema's owner (editors may write only in their
    own name); the desk's takes, hand-offs and watches go with the decisions. Out of PostgreSQL into a
    file they stay behind: a desk folder believes a member's acts only from that member's own file."""
    from triage.store.errors import StoreError
    from triage.store.open import desk_folder, is_server_url, nothing_decided_yet, open_store, store_name
    from triage.store.pg.copy import HistorySink, copy_history
    from triage.store.rescue import default_rescue_dirs

    settings = group_settings(ctx)
    if nothing_decided_yet(src):  # an empty record: no decisions to copy, and DST is left as it is
        if not is_server_url(dst) or not desk_folder(os.path.expanduser(src)).is_dir():
            say(f"triage: store copy: {src}: nothing decided there yet; nothing to copy.", err=True)
            return
        say(f"triage: store copy: {src}: nothing decided there yet; only the desk's acts are copied.",
            err=True)
        try:
            desk_only = _copy_desk(src, dst, settings.store.group_share)
        except StoreError as exc:
            fail(f"store copy: {exc}")
        if desk_only:
            say(desk_only[0], err=desk_only[1])
        return
    if not is_server_url(src) and not os.path.isfile(os.path.expanduser(src)):
        fail(f"store copy: {src}: no such decisions file.")
    if store_name(src) == store_name(dst) or (not is_server_url(src) and not is_server_url(dst)
                                               and os.path.abspath(src) == os.path.abspath(dst)):
        fail("store copy: SRC and DST are the same store.", 2)
    dirs = default_rescue_dirs(settings.data_dir)
    source = destination = None
    try:
        source = open_store(src if is_server_url(src) else os.path.expanduser(src), rescue_dirs=dirs,
                            replay=False)
        destination = open_store(dst if is_server_url(dst) else os.path.expanduser(dst), rescue_dirs=dirs,
                                 replay=False, group_share=settings.store.group_share)
        for side in (source, destination):
            if side.last_error:  # a server that cannot be reached: nothing is copied
                raise StoreError(side.last_error)
        if not isinstance(destination, HistorySink):
            raise StoreError(f"{store_name(dst)} cannot take events as they are.")
        report = copy_history(source, destination)
        desk_said = _copy_desk(src, dst, settings.store.group_share)
    except StoreError as exc:
        fail(f"store copy: {exc}")
    finally:
        for opened in (source, destination):
            if opened is not None:
                try:
                    opened.close()
                except StoreError as exc:
                    say(f"triage: store copy: {exc}", err=True)
    say(f"Copied {report.added} of {report.read} event(s) from {store_name(src)} to {store_name(dst)}"
        f" ({report.already} already there).")
    if desk_said:
        say(desk_said[0], err=desk_said[1])
    sys.exit(0)


def _copy_desk(src: str, dst: str, group_share: bool) -> tuple[str, bool] | None:
    """The desk's acts from SRC into a PostgreSQL DST, committed only when DST then reads the same; what
    to say (and whether on stderr), None when SRC has no desk. StoreError when they cannot be copied."""
    from triage.store.errors import StoreError
    from triage.store.open import desk_folder, is_server_url, open_desk, store_name
    from triage.store.pg.copy import DeskSink, copy_desk

    if not is_server_url(src) and not desk_folder(os.path.expanduser(src)).is_dir():
        return None  # a file desk that never took, handed or watched anything
    source = open_desk(src if is_server_url(src) else os.path.expanduser(src), group_share=group_share,
                       read_only=True)
    destination = None
    try:
        if not is_server_url(dst):
            acts = source.acts()
            if not acts:
                return None
            return (f"triage: store copy: the desk's {len(acts)} act(s) (takes, hand-offs, watches) stay in "
                    f"{store_name(src)}: a desk folder believes a member's acts only from that member's own "
                    f"file, so a copy made by one user would not be theirs.", True)
        if source.last_error:
            raise StoreError(source.last_error)
        destination = open_desk(dst)
        if destination.last_error:
            raise StoreError(destination.last_error)
        if not isinstance(destination, DeskSink):
            raise StoreError(f"{store_name(dst)} cannot take a desk's acts as they are.")
        report = copy_desk(source, destination)
        said = f"Copied {report.added} of {report.read} desk act(s) ({report.already} already there)."
        return said, False
    finally:
        source.close()
        if destination is not None:
            destination.close()
