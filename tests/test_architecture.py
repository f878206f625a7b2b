"""Dependencies point one way (tui -> service -> sources/analysis/store -> model); nothing heavy at import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import triage

PKG = Path(triage.__file__).resolve().parent

FORBIDDEN = {
    "sources": {"textual", "tinydb", "spacy", "triage.tui", "triage.store", "triage.analysis"},
    "analysis": {"textual", "tinydb", "triage.tui", "triage.store"},
    "store": {"textual", "spacy", "triage.tui", "triage.analysis"},
    # The TUI reaches sources, analysis and the store only through the service.
    "tui": {"tinydb", "spacy", "triage.store", "triage.sources", "triage.analysis"},
    "model.py": {"textual", "tinydb", "spacy", "rich", "click"},
    "views.py": {"textual", "tinydb", "spacy", "rich", "click"},
    "service.py": {"textual", "tinydb", "spacy"},
    "service_live.py": {"textual", "tinydb", "spacy"},
    "service_versions.py": {"textual", "tinydb", "spacy"},
    "service_analysis.py": {"textual", "tinydb", "spacy"},
    "service_decisions.py": {"textual", "tinydb", "spacy"},
    "catalog.py": {"textual", "tinydb", "spacy", "triage.tui"},
    "catalog_stories.py": {"textual", "tinydb", "spacy", "triage.tui"},
    "catalog_views.py": {"textual", "tinydb", "spacy", "triage.tui"},
    "book.py": {"textual", "tinydb", "spacy", "triage.tui"},
    "search.py": {"textual", "tinydb", "spacy", "triage.tui"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_layer_does_not_import_what_it_must_not(part):
    target = PKG / part
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    assert files
    for f in files:
        for name in _imports(f):
            for bad in FORBIDDEN[part]:
                assert not (name == bad or name.startswith(bad + ".")), f"{f.relative_to(PKG)} imports {name}"


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["decide", "--help"], ["decisions", "--help"]])
def test_light_commands_do_not_import_spacy_or_textual(args, tmp_path):
    code = (
        "import sys; from triage.cli import cli\n"
        f"try:\n    cli({args!r}, prog_name='triage')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('spacy', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
