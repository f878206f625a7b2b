"""A click group holding the store commands, run in-process as a terminal would see them (color=True:
click then passes escape sequences through instead of stripping them as it does for pipes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from triage.cli.decisions import decide, decisions, recover_command


@click.group()
def cli() -> None:
    """A tiny group like the real one."""


cli.add_command(decide)
cli.add_command(decisions)
cli.add_command(recover_command)


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Config, data dir and rescue fallback places inside `root`, never the user's own."""
    (root / "none.toml").write_text("")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("TRIAGE_CONFIG", str(root / "none.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(root / "state"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


def invoke(*args: Any):
    """Run a store command as a terminal would; an uncaught exception fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, color=True)


@pytest.fixture
def run(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return invoke


def write_tinydb(path: Path, docs: list[dict[str, Any]], *, schema: int | None = 2) -> None:
    """A decisions file as a plain TinyDB writer (or anyone with write access) could leave it; with
    `schema` it carries triage's meta table, so the documents are read as they are (no migration)."""
    tables: dict[str, Any] = {"events": {str(n): d for n, d in enumerate(docs, 1)}}
    if schema is not None:
        tables["meta"] = {"1": {"schema_version": schema, "app": "triage"}}
    path.write_text(json.dumps(tables), encoding="utf-8")
