"""click's usage errors quote what was typed: never raw control characters on the terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TRIAGE = Path(sys.executable).with_name("triage")
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202e\x9b"


@pytest.mark.parametrize("args", [[f"--bogus{HOSTILE}"], ["decisions", "--format", HOSTILE],
                                  ["decide", "a1", f"maybe{HOSTILE}"]])
def test_usage_errors_are_sanitised(tmp_path, args):
    out = subprocess.run([str(TRIAGE), *args], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert out.returncode == 2
    assert "Error" in out.stderr or "error" in out.stderr
    for ch in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert ch not in out.stderr and ch not in out.stdout
