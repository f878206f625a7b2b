"""Round two, hole 8: `triage ingest --json` wrote raw C1 and bidi characters (U+009B, U+202E) from
file names to the terminal, and a file name that is not UTF-8 made output that is not UTF-8 either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_json_lines_escape_c1_and_bidi_and_stay_utf8_with_path_naming_the_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = [b"csi-\xc2\x9b31m.txt", "rlo-\u202etxt.exe.txt".encode(), b"latin1-\xff\xfe.txt"]
    for n, raw in enumerate(names):
        with open(os.path.join(os.fsencode(inbox), raw), "wb") as fh:
            fh.write(f"Story {n}\n\nThe body of story {n}.\n".encode())
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "cfg"), LANG="C.UTF-8", PYTHONIOENCODING="utf-8")
    out = subprocess.run([sys.executable, "-m", "triage", "ingest", str(inbox), "--json", "--no-cache"],
                         capture_output=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode("utf-8")  # strict: every byte is UTF-8
    assert not any(ch in text for ch in "\u009b\u202e\x1b")
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    rows = [json.loads(line) for line in text.splitlines()]
    assert sorted(r["title"] for r in rows) == ["Story 0", "Story 1", "Story 2"]
    assert sorted(os.fsencode(r["path"]) for r in rows) == sorted(os.path.join(os.fsencode(inbox), raw)
                                                                   for raw in names)
    assert "\\u009b" in text and "\\u202e" in text
