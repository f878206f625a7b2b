"""Shared fixtures: paths to samples, isolated settings (no user config, data dir in tmp)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repo; TRIAGE_SHARED_DIR points elsewhere (a git worktree one level deeper).
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR") or ROOT.parent / "shared")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    """No test reads the developer's own config or writes to their data dir."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for var in ("TRIAGE_DB", "TRIAGE_INBOX", "TRIAGE_DATA_DIR", "TRIAGE_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL for the session (initdb + pg_ctl on a Unix socket: tests/store/conftest.py)."""
    from tests.store.conftest import start_pg_server

    yield from start_pg_server()


@pytest.fixture
def shared() -> Path:
    """../shared (development data); tests that need it skip where it is absent (a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repo (development data only)")
    return SHARED


@pytest.fixture
def wire_story(shared: Path) -> Path:
    """The AFP seed wire story (no free licence: read from ../shared, never copied into the repo)."""
    path = shared / "samples" / "wire-afp-mobilization.txt"
    if not path.is_file():
        pytest.skip("../shared/samples/wire-afp-mobilization.txt is absent")
    return path


@pytest.fixture
def demo_inbox(tmp_path: Path) -> Path:
    """A copy of the bundled demo inbox in tmp (tests may add files to it)."""
    from triage.cli.common import demo_dir

    dest = tmp_path / "demo"
    shutil.copytree(demo_dir(), dest)
    return dest


@pytest.fixture
def settings_factory(tmp_path: Path):
    """Build Settings isolated in tmp_path: f(**overrides) -> Settings."""
    from triage.config import load_settings

    def make(db: Path | None = None, inbox=None, overrides=None):
        return load_settings(
            db=db or tmp_path / "decisions.json",
            data_dir=tmp_path / "data",
            inbox=[str(p) for p in inbox] if inbox else None,
            overrides=overrides,
            use_user_config=False,
        )

    return make
