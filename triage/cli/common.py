"""What the commands share: the demo inbox and Settings built from the main group's options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from triage.infra.counts import count_of
from triage.sources.readers import READS  # what triage reads, said once (the TUI says it too)

if TYPE_CHECKING:
    from triage.config import Settings

__all__ = [
    "DEMO_CREDIT",
    "READS",
    "demo_dir",
    "fail",
    "group_settings",
    "no_stories",
    "say",
    "settings_of",
    "terminal_width",
]

DEMO_CREDIT = (
    "The demo inbox holds 45 articles from English Wikinews (2019-2020), (c) Wikinews contributors, "
    "licensed CC BY 2.5 (https://creativecommons.org/licenses/by/2.5/), cleaned of page furniture (changes "
    "made), and 5 NASA news releases (December 2023, public domain; credit: NASA). Sources, original URLs "
    "and the full licence notes: SOURCES.md beside the demo inbox"
)


def no_stories(sources: tuple[str, ...] | list[str], problems: int = 0) -> str:
    """One sentence for sources that gave no story: where, what triage reads, and why when files failed."""
    where = ", ".join(sources)
    failed = f"; {count_of(problems, 'file')} could not be read (see above)" if problems else ""
    return f"No stories in {where}{failed}. triage reads {READS}."


def demo_dir() -> Path:
    """The bundled demo inbox (package data triage/demo/demo: the folder name is the articles' source)."""
    from importlib import resources

    return Path(str(resources.files("triage.demo").joinpath("demo")))


def settings_of(ctx: click.Context, *, db: str | None = None, inbox: tuple[str, ...] = ()):
    """Settings for a command: the main group's --config and --db, this command's inbox."""
    from triage.config import ConfigError, load_settings

    obj = ctx.ensure_object(dict)
    try:
        return load_settings(obj.get("config"), db=db or obj.get("db"), inbox=list(inbox) or None)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def group_settings(ctx: click.Context) -> Settings:
    """The Settings the main group built, or loaded here when a subcommand runs on its own; a config
    that cannot be read exits 2 with one line naming it."""
    obj = ctx.find_root().obj
    if isinstance(obj, dict) and obj.get("settings") is not None:
        return obj["settings"]
    from triage.config import ConfigError, load_settings

    try:
        return load_settings(obj.get("config") if isinstance(obj, dict) else None)
    except ConfigError as exc:
        fail(str(exc), 2)


def say(message: str, *, err: bool = False) -> None:
    """One line to the terminal, sanitised: names, titles and reasons may come from shared files."""
    from triage.infra.sanitize import sanitize_line

    click.echo(sanitize_line(message), err=err)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clean line on stderr, then exit with `code`."""
    say(f"triage: {message}", err=True)
    sys.exit(code)


def terminal_width(fallback: int = 80) -> int | None:
    """The width to fit a table to: the terminal's when stdout is one, None (cut nothing) when it is a
    pipe or a file, whatever COLUMNS says."""
    import shutil

    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):  # closed or detached: not a terminal
        return None
    return shutil.get_terminal_size((fallback, 24)).columns
