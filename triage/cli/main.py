"""Command-line entry points (click). Builds Settings and the service, then runs; imports stay lazy."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

__all__ = ["cli", "main"]

from triage.cli.common import DEMO_CREDIT, demo_dir, settings_of


class TriageGroup(click.Group):
    """A group whose bare `triage [OPTIONS] [INBOX...]` opens the TUI (the hidden `open` command).

    `--config FILE` is read wherever it stands, before or after the command, as `--db` is; a first word
    that is neither a command nor a path but close to a command's name is a mistyped command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _config_first(args)
        takes_value = {"--config", "--db"}
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                break
            if arg in takes_value:
                i += 2
                continue
            if arg.startswith("-"):
                i += 1
                continue
            if arg not in self.commands:
                self._check_not_a_typo(ctx, arg)
                args = args[:i] + ["open"] + args[i:]
            break
        return super().parse_args(ctx, args)

    def _check_not_a_typo(self, ctx: click.Context, word: str) -> None:
        """Exit 2 with "did you mean" when `word` names no path but nearly names a command."""
        import difflib

        if "/" in word or "." in word or os.path.lexists(word):
            return
        names = [name for name, cmd in self.commands.items() if not cmd.hidden]
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.7)
        if close:
            raise click.UsageError(
                f"{word}: no such command, nor an inbox folder or file; did you mean `{close[0]}`?", ctx
            )


def _config_first(args: list[str]) -> list[str]:
    """`--config FILE` (or `--config=FILE`) moved in front of the command, where the group reads it."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--config" and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--config="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class _AsTheGroup(click.Context):
    """The context of the hidden `open` command: its usage lines and help hint name `triage`, as typed."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class _OpenCommand(click.Command):
    """The hidden command behind a bare `triage [INBOX...]`: never named in a usage line."""

    context_class = _AsTheGroup

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[--config FILE] [--db FILE]", *super().collect_usage_pieces(ctx)[1:]]


@click.group(
    cls=TriageGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="A config file (TOML) to use instead of the user's.",
)
@click.option("--db", "db", type=click.Path(dir_okay=False), help="The decisions file (TinyDB JSON).")
@click.version_option(None, "-V", "--version", package_name="triage", prog_name="triage")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None) -> None:
    """triage: read, summarise and decide on incoming news, from the keyboard.

    With no command, opens the TUI on INBOX folders (or the inbox from the config):

        triage [--config FILE] [--db FILE] [INBOX...]

    --config FILE may also follow the command, as --db does.

    Try `triage demo` for the bundled sample inbox. Keys: j/k move, f follow up, a archive, x flag,
    u undo, n note, / search, 1-5 views, r review, ? help, q quit.
    """
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    ctx.obj["db"] = db
    ctx.obj["settings"] = settings_of(ctx)
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_cmd)


def run_tui(settings, inbox: list[Path], db_path: Path, *, start: str = "main") -> None:
    """Open the decisions file, then run the app; a file that cannot be used stops here with a reason."""
    from triage.core.service import TriageService
    from triage.infra.log import setup_logging
    from triage.infra.sanitize import sanitize_line
    from triage.store import StoreError

    setup_logging(settings.data_dir, group=settings.store.group_share)
    for folder in inbox:
        if not folder.exists() and not str(folder).startswith(("http://", "https://")):
            raise click.UsageError(f"{folder}: no such inbox folder or file")
    service = TriageService(settings, inbox=inbox, db_path=db_path)
    try:
        service.decisions.store  # noqa: B018 - opens (and checks) the decisions file before the screen takes over
    except StoreError as exc:
        click.echo(f"triage: {sanitize_line(exc)}", err=True)
        sys.exit(1)
    for problem in service.rules.errors:
        click.echo(f"triage: config: {sanitize_line(problem)}", err=True)
    # The inbox is read while Textual imports and starts (make_app does not start it again); after its
    # first batch the reading waits for the screen to paint it.
    service.start_loading(hold=True)
    from triage.tui.app import make_app

    app = make_app(service, start=start)
    signals = _Signals(service, app)
    try:
        app.run()
    finally:
        signals.restore()
        # After SIGTERM/SIGHUP the rescue file already holds what is not durable: close within the
        # watchdog's time rather than waiting out a refusing disk.
        service.close(timeout=3.0 if signals.signum else 10.0, keep_screen=not signals.signum)
        if service.decisions.rescued is not None:
            click.echo(f"triage: {sanitize_line(service.decisions.rescued.message)}", err=True)
    if signals.signum:
        sys.exit(128 + signals.signum)


class _Signals:
    """SIGTERM and SIGHUP (an SSH connection that drops) end the app without losing a decision: what is
    not durable goes to the rescue file first, then the app is asked to exit; a watchdog ends the process
    if closing hangs (a lock held elsewhere), and a second signal ends it at once."""

    def __init__(self, service, app) -> None:
        import signal

        self.service, self.app = service, app
        self.signum = 0
        self._old = {}
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not the main thread, or no such signal here
                pass

    def _handle(self, signum, _frame) -> None:
        import asyncio
        import os
        import threading

        self.service.rescue_now(timeout=1.0)  # durable first, whatever happens next
        if self.signum:
            os._exit(128 + signum)
        self.signum = signum
        watchdog = threading.Timer(10.0, os._exit, args=(128 + signum,))
        watchdog.daemon = True  # never keeps the process alive by itself
        watchdog.start()
        try:  # wakes the event loop even when it is idle in select()
            asyncio.get_running_loop().call_soon_threadsafe(self.app.exit)
        except RuntimeError:  # the app is not running (closing already): the finally below ends it
            pass

    def restore(self) -> None:
        """Put the previous handlers back."""
        import signal

        for sig, previous in self._old.items():
            try:
                signal.signal(sig, previous)
            except (ValueError, OSError):
                pass


@cli.command("open", cls=_OpenCommand, hidden=True)
@click.argument("inbox", nargs=-1, type=click.Path())
@click.pass_context
def open_cmd(ctx: click.Context, inbox: tuple[str, ...] = ()) -> None:
    """Open the TUI on INBOX folders (default: the inbox from the config)."""
    settings = settings_of(ctx, inbox=inbox)
    if not settings.inbox and not settings.feeds:
        raise click.UsageError(
            "no inbox: give an INBOX folder, set [paths] inbox in the config, or try `triage demo`"
        )
    run_tui(settings, list(settings.inbox), settings.db_path)


@cli.command(
    "demo",
    help="Open the TUI on the bundled demo inbox with a temporary decisions file.\n\n" + DEMO_CREDIT + ".",
)
@click.option("--keep", is_flag=True, help="Keep the temporary decisions file (its path is printed at exit).")
@click.pass_context
def demo_cmd(ctx: click.Context, keep: bool) -> None:
    """Open the TUI on the bundled demo inbox with a temporary decisions file."""
    import shutil

    from triage.store.open import store_name

    own: str | None = ctx.obj.get("db")  # a file or a postgresql:// URL, passed on as it was given
    tmp = None if own else Path(tempfile.mkdtemp(prefix="triage-demo-"))
    db = own if own else str(Path(tmp or ".") / "decisions.json")
    settings = settings_of(ctx, db=db)
    try:
        run_tui(settings, [demo_dir()], settings.db_path)
    finally:
        if tmp is not None and not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if own or keep:
        click.echo(f"Demo decisions: {store_name(db)}")
    else:
        click.echo("Demo decisions were temporary and are gone (use --keep, or --db FILE, to keep them).")


@cli.command("review")
@click.argument("inbox", nargs=-1, type=click.Path())
@click.pass_context
def review_cmd(ctx: click.Context, inbox: tuple[str, ...]) -> None:
    """Open the review screen of past decisions (the TUI, starting on `r`)."""
    settings = settings_of(ctx, inbox=inbox)
    run_tui(settings, list(settings.inbox), settings.db_path, start="review")


def _register_subcommands() -> None:
    """Add the subcommands each layer provides; their modules import nothing heavy until they run."""
    from triage.cli.decisions import decide, decisions, recover_command
    from triage.cli.desk import assign, desk, handover, take, watches
    from triage.cli.feeds import feeds
    from triage.cli.ingest import fetch, ingest
    from triage.cli.serve import serve
    from triage.cli.store import store
    from triage.cli.summarize import summarize

    for command in (ingest, fetch, summarize, decide, decisions, recover_command, feeds, serve, store, take,
                    assign, desk, watches, handover):
        cli.add_command(command)


_register_subcommands()


def main() -> None:
    """Console-script entry point. click's own messages quote what was typed (an unknown option, a bad
    value): they go through the one sanitiser, so a hostile argument cannot drive the terminal."""
    import io

    try:
        code = cli.main(prog_name="triage", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        from triage.infra.sanitize import sanitize

        buf = io.StringIO()
        exc.show(file=buf)
        sys.stderr.write(sanitize(buf.getvalue()))
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
