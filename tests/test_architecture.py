"""The shape of the package: layers point one way, no import cycles, the TUI talks to the service only,
and nothing heavy is imported by the light commands."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import triage

PKG = Path(triage.__file__).resolve().parent

# What each part may import from triage (besides itself). Function-level imports count too.
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "infra": {"model"},
    "config": {"infra", "model", "sources"},  # the feeds file is read through sources.feedlist
    "sources": {"infra", "model"},
    "catalog": {"infra", "model", "sources"},  # an agency's version order: sources.readers.versions
    "analysis": {"infra", "model"},
    "store": {"infra", "model"},
    "core": {"infra", "model", "config", "sources", "catalog", "analysis", "store"},
    "tui": {"infra", "model", "config", "core"},
    "cli": {"infra", "model", "config", "sources", "catalog", "analysis", "store", "core", "tui", "demo"},
}
THIRD_PARTY_FORBIDDEN = {
    "model": {"textual", "tinydb", "spacy", "rich", "click"},
    "infra": {"textual", "tinydb", "spacy", "click"},
    "sources": {"textual", "tinydb", "spacy"},
    "catalog": {"textual", "tinydb", "spacy"},
    "analysis": {"textual", "tinydb"},
    "store": {"textual", "spacy"},
    "core": {"textual", "tinydb", "spacy"},
    "tui": {"tinydb", "spacy"},
}
# Parts of the service the TUI must not reach past: it calls service methods only.
SERVICE_INSIDES = {"store", "book", "catalog", "analyzer", "pool"}


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG).with_suffix("")
        parts = ["triage", *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node of the file but those under `if TYPE_CHECKING:` (annotations only, never imported)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.If)
                and getattr(child.test, "id", getattr(child.test, "attr", "")) == "TYPE_CHECKING"
            ):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _imports(mod: str, path: Path) -> set[str]:
    """Every triage module (or third-party top name) `mod` imports at run time, at any depth of the
    file: function-level imports count, `if TYPE_CHECKING:` blocks do not."""
    names: set[str] = set()
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            for a in node.names:  # "from triage.x import y" may name the module triage.x.y
                if f"{target}.{a.name}" in MODULES:
                    names.add(f"{target}.{a.name}")
    return names


def _part(mod: str) -> str:
    bits = mod.split(".")
    return bits[1] if len(bits) > 1 else "triage"


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


GRAPH = {
    m: {r for n in _imports(m, p) if n.startswith("triage") and (r := _resolve(n)) and r != m}
    for m, p in MODULES.items()
}


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if _part(m) in ALLOWED))
def test_layers_point_one_way(mod):
    part = _part(mod)
    for target in GRAPH[mod]:
        other = _part(target)
        if other in (part, "triage"):
            continue
        assert other in ALLOWED[part], f"{mod} imports {target}: {part} may not depend on {other}"
    for name in _imports(mod, MODULES[mod]):
        top = name.split(".")[0]
        assert top not in THIRD_PARTY_FORBIDDEN.get(part, set()), f"{mod} imports {name}"


def test_no_import_cycles():
    seen: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if n == "triage" or m.startswith(n + "."):  # a package's own __init__ is not a cycle
                continue
            if seen.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in seen:
                visit(n)
        stack.pop()
        seen[m] = 2

    for m in sorted(GRAPH):
        if m not in seen:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_tui_does_not_reach_past_the_service():
    """`service.store`, `self.service.catalog`, `svc.book.flush()`: what the import check cannot see."""
    bad = []
    for mod, path in MODULES.items():
        if _part(mod) != "tui":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in SERVICE_INSIDES:
                owner = node.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if owner_name in {"service", "svc", "_service", "_svc"}:
                    bad.append(f"{mod}:{node.lineno} .{owner_name}.{node.attr}")
    assert not bad, "the TUI reaches past the service:\n" + "\n".join(bad)


def test_top_level_keeps_few_modules():
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 5, top


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["decide", "--help"], ["decisions", "--help"]])
def test_light_commands_do_not_import_spacy_or_textual(args, tmp_path):
    code = (
        "import sys; from triage.cli.main import cli\n"
        f"try:\n    cli({args!r}, prog_name='triage')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('spacy', 'textual') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
