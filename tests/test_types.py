"""Types are checked: mypy over triage/ (its settings in pyproject.toml) finds nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the checkout: pyproject.toml and triage/ beside tests/


def test_mypy_finds_nothing_in_triage():
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("no source tree beside the tests (no pyproject.toml)")
    if shutil.which("mypy") is None and subprocess.run(
        [sys.executable, "-m", "mypy", "--version"], capture_output=True
    ).returncode != 0:
        pytest.skip("mypy is not installed (pip install '.[test]')")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
