"""`triage serve`: the TUI in a web browser through textual-serve."""

from __future__ import annotations

import shlex
import sys

import click

from triage.cli.common import demo_dir, settings_of

__all__ = ["serve"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind. Anything but loopback exposes your decisions to the network.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "use_demo", is_flag=True, help="Serve the demo inbox.")
@click.argument("inbox", nargs=-1, type=click.Path())
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, use_demo: bool, inbox: tuple[str, ...]) -> None:
    """Serve the TUI in a web browser (textual-serve). NO AUTHENTICATION: anyone who can reach
    HOST:PORT can read and decide. Binds 127.0.0.1 by default; reach it over SSH with a port forward
    (ssh -L 8000:127.0.0.1:8000 host). Each browser visit starts a new triage process on the same
    decisions file; cached summaries show at once."""
    from textual_serve.server import Server

    settings = settings_of(ctx, inbox=inbox)
    folders = [str(demo_dir())] if use_demo else [str(p) for p in settings.inbox]
    if not folders:
        raise click.UsageError("no inbox: give an INBOX folder or --demo")
    parts = [sys.executable, "-m", "triage"]
    if ctx.obj.get("config"):
        parts += ["--config", ctx.obj["config"]]
    parts += ["--db", str(settings.db_path), *folders]
    click.echo(f"Serving on http://{host}:{port} (no authentication).", err=True)
    Server(" ".join(shlex.quote(p) for p in parts), host=host, port=port, title="triage").serve()
