"""The shape of the package: layers point one way, no import cycles (annotation-only imports included),
no module reads another's private attributes, the service passes few calls on, the TUI talks to the
service and to the parts' read-only faces only, and nothing heavy is imported by the light commands."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import subprocess
import sys
import textwrap
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
    "desk": {"infra", "model", "catalog", "store"},  # the team's view: the desk's record and the stories
    "core": {"infra", "model", "config", "sources", "catalog", "analysis", "store", "desk"},
    "tui": {"infra", "model", "config", "core"},
    "cli": {"infra", "model", "config", "sources", "catalog", "analysis", "store", "desk", "core", "tui",
            "demo"},
}
THIRD_PARTY_FORBIDDEN = {
    "model": {"textual", "tinydb", "spacy", "rich", "click"},
    "infra": {"textual", "tinydb", "spacy", "click"},
    "sources": {"textual", "tinydb", "spacy"},
    "catalog": {"textual", "tinydb", "spacy"},
    "analysis": {"textual", "tinydb"},
    "store": {"textual", "spacy"},
    "desk": {"textual", "tinydb", "spacy"},
    "core": {"textual", "tinydb", "spacy"},
    "tui": {"tinydb", "spacy"},
}
# What the TUI may use of the service: its settings, the read-only faces of the parts (core.faces), the
# live side's start, and the work that takes more than one part or is a person's act.
SERVICE_FOR_TUI = {
    "settings", "faces", "listeners", "start", "start_more", "start_loading", "progress", "problems",
    "listing", "row", "decide_soon", "note_soon", "undo_last", "mark_read", "rescue_now", "retry_writes",
    "refresh_decisions",
    # the desk's acts (issue 26): a worker calls them; `viewing` only notes the story on screen
    "take", "give_back", "hand", "acknowledge", "viewing", "add_watch", "remove_watch", "handover",
}
# Names a screen gives the faces it holds (`self._decisions = service.faces.decisions`).
FACE_HOLDERS = {"articles", "summaries", "decisions", "updates", "_articles", "_summaries", "_decisions",
                "_versions", "_updates"}
# A member of the service that only passes a call on costs a reader a hop; a few are worth it.
MAX_PASS_THROUGHS = 10
# Private names of other objects that a module may read, each with its reason.
PRIVATE_READS_ALLOWED = {
    ("triage.cli.main", "os._exit"): "the stdlib's documented exit without cleanup, after a signal",
    ("triage.sources.parsers", "os._exit"): "a parsing helper whose app is gone stops mid-call, no cleanup",
    ("triage.cli.serve", "super()._make_app"): "textual-serve's Server has no public hook for middleware; "
                                               "the subclass extends its parent's own method",
}


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


def _imports(mod: str, path: Path, *, annotations: bool = False) -> set[str]:
    """Every triage module (or third-party top name) `mod` imports at run time, at any depth of the
    file: function-level imports count; `if TYPE_CHECKING:` blocks count only with `annotations`."""
    names: set[str] = set()
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree) if annotations else _runtime_nodes(tree):
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


def _graph(*, annotations: bool) -> dict[str, set[str]]:
    return {
        m: {r for n in _imports(m, p, annotations=annotations) if n.startswith("triage")
            and (r := _resolve(n)) and r != m}
        for m, p in MODULES.items()
    }


GRAPH = _graph(annotations=False)
# With the imports under `if TYPE_CHECKING:`: a cycle there is a cycle of ideas all the same.
FULL_GRAPH = _graph(annotations=True)


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


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    seen: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if n == "triage" or m.startswith(n + "."):  # a package's own __init__ is not a cycle
                continue
            if seen.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in seen:
                visit(n)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)
    return cycles


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_import_cycles_even_under_type_checking():
    cycles = _cycles(FULL_GRAPH)
    assert not cycles, "import cycles (annotations included):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_annotation_only_imports(tmp_path):
    """A cycle made only by `if TYPE_CHECKING:` imports is found (the check is not blind to them)."""
    a = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from triage.b import B\n"
    (tmp_path / "a.py").write_text(a, encoding="utf-8")
    (tmp_path / "b.py").write_text("import triage.a\n", encoding="utf-8")
    runtime = _imports("triage.a", tmp_path / "a.py")
    typed = _imports("triage.a", tmp_path / "a.py", annotations=True)
    assert "triage.b" not in runtime and "triage.b" in typed
    assert _cycles({"triage.a": {"triage.b"}, "triage.b": {"triage.a"}})


def _owner_name(node: ast.Attribute) -> str:
    owner = node.value
    return owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")


def _tui_trees():
    for mod, path in MODULES.items():
        if _part(mod) == "tui":
            yield mod, ast.parse(path.read_text(encoding="utf-8"))


def test_tui_uses_only_what_the_service_offers_it():
    """`service.decisions.store`, `self.service.catalog`, `svc.analyses.pool`: the parts themselves are
    not the TUI's; it has their faces (`service.faces`) and the service's own work."""
    bad = []
    for mod, tree in _tui_trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = _owner_name(node)
            if owner in {"service", "svc", "_service", "_svc"} and node.attr not in SERVICE_FOR_TUI:
                bad.append(f"{mod}:{node.lineno} .{_owner_name(node)}.{node.attr}")
    assert not bad, "the TUI reaches past the service:\n" + "\n".join(bad)


def test_screen_parts_hold_a_typed_host_never_the_screen_as_any():
    """`Deciding(screen: Any)` let a part call anything on the screen; a part names what it needs (a
    Protocol) and takes it as a typed argument."""
    bad = []
    for mod, tree in _tui_trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                if arg.arg in {"screen", "host", "owner", "parent", "service"}:
                    note = ast.unparse(arg.annotation) if arg.annotation is not None else ""
                    if note in {"", "Any", "typing.Any", "object"}:
                        bad.append(f"{mod}:{node.lineno} {node.name}({arg.arg}: {note or 'untyped'})")
    assert not bad, "untyped hosts:\n" + "\n".join(bad)


def _face_members() -> dict[str, set[str]]:
    """Each read-only face (a Protocol in core.faces) and the members it declares."""
    from triage.core import faces

    out = {}
    for field in dataclasses.fields(faces.Faces):
        proto = getattr(faces, str(field.type).removesuffix(" | None"))
        out[field.name] = {n for n in vars(proto) if not n.startswith("_")}
    return out


def test_tui_reads_the_faces_and_nothing_else_of_the_parts():
    """A screen holding a face (`self._decisions = service.faces.decisions`) calls what the face
    declares: never the part's write side (`add`, `load`, `close`, `poll`...) nor its insides."""
    faces = _face_members()
    declared = set().union(*faces.values())
    bad = []
    for mod, tree in _tui_trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = _owner_name(node)
            if owner == "faces" and node.attr not in faces:
                bad.append(f"{mod}:{node.lineno} faces.{node.attr}")
            elif owner in FACE_HOLDERS and isinstance(node.value, ast.Attribute | ast.Name):
                holder = node.value
                via_faces = isinstance(holder, ast.Attribute) and _owner_name(holder) == "faces"
                if (via_faces or owner.startswith("_")) and node.attr not in declared:
                    bad.append(f"{mod}:{node.lineno} {owner}.{node.attr}")
    assert not bad, "the TUI uses what no face offers:\n" + "\n".join(bad)


WRITERS = {"add", "replace", "attach", "set_aliases", "take_aliases", "analysed", "index_some", "load",
           "poll", "close", "flush", "decide_soon", "note_soon", "undo_soon", "undo_last", "rescue_now",
           "merge", "set_articles", "start", "stop", "forget", "want", "mark_read", "save_read_marks",
           "keep_aliases", "prepare", "store", "book", "read_cache"}


def test_the_faces_are_read_only_and_the_parts_wear_them():
    from triage.catalog.catalog import Catalog
    from triage.core.analysing import Analyses
    from triage.core.deciding import Decisions
    from triage.core.versions import Versions
    from triage.desk import Desk

    members = _face_members()
    for name, declared in members.items():
        assert declared, name
        assert not declared & WRITERS, f"the {name} face offers a writer: {sorted(declared & WRITERS)}"
    # The parts the service hands out have what their faces declare (mypy checks the types too).
    service = _service_class()
    handed = next(n for n in ast.walk(service)
                  if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Faces")
    part_of = {k.arg: getattr(k.value, "attr", "") for k in handed.keywords}
    assert set(part_of) == set(members)
    classes = {"catalog": Catalog, "analyses": Analyses, "decisions": Decisions, "versions": Versions,
               "desk": Desk}
    for name, declared in members.items():
        impl = classes[part_of[name]]
        missing = [m for m in declared if not hasattr(impl, m) and m not in _instance_attrs(impl)]
        assert not missing, f"{impl.__name__} lacks what the {name} face declares: {missing}"


def _instance_attrs(cls: type) -> set[str]:
    """Names a class sets on self in __init__ (attributes a Protocol may declare as properties)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
            and getattr(n.value, "id", "") == "self"}


def _pass_throughs(cls_node: ast.ClassDef) -> list[str]:
    """Members whose body (docstring aside) is one return or expression that calls, or reads, an
    attribute of another object: `return self.decisions.decision(article_id)`, `property(lambda self:
    self.decisions.store)`. What they pass on does not matter; a member that waits on the result
    (`....future.result().events`) or composes parts (`self.catalog.listing(view, self.versions...)`)
    does work of its own only when its outermost call is not on a part."""
    out = []
    for node in cls_node.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("__"):
            body = [b for b in node.body
                    if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
            if len(body) == 1 and isinstance(body[0], ast.Return | ast.Expr) and body[0].value is not None:
                if _forwards(body[0].value, node):
                    out.append(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            getter = call.args[0] if call.args else None
            if getattr(call.func, "id", "") == "property" and isinstance(getter, ast.Lambda):
                if _forwards(getter.body, getter):
                    out.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def _forwards(expr: ast.expr, fn: ast.FunctionDef | ast.Lambda) -> bool:
    """`self.part.name(...)` or `self.part.name` (any depth past self), whose arguments are the
    member's own parameters or constants: a call passed on."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    if fn.args.vararg:
        params.add(fn.args.vararg.arg)
    if fn.args.kwarg:
        params.add(fn.args.kwarg.arg)
    target = expr.func if isinstance(expr, ast.Call) else expr
    if not isinstance(target, ast.Attribute) or not isinstance(target.value, ast.Attribute):
        return False
    root = target.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if getattr(root, "id", "") not in {"self", "cls"}:
        return False
    if isinstance(expr, ast.Call):
        args = [*expr.args, *(k.value for k in expr.keywords)]
        return all(isinstance(a, ast.Constant) or (isinstance(a, ast.Name) and a.id in params)
                   or (isinstance(a, ast.Starred) and getattr(a.value, "id", "") in params) for a in args)
    return True


def _service_class() -> ast.ClassDef:
    tree = ast.parse(MODULES["triage.core.service"].read_text(encoding="utf-8"))
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TriageService")


def test_the_service_passes_few_calls_on():
    passing = _pass_throughs(_service_class())
    assert len(passing) <= MAX_PASS_THROUGHS, f"{len(passing)} members only pass a call on: {passing}"


def test_the_pass_through_count_sees_one():
    """The counter finds the shapes it is meant to find (a test of the test, on a made-up class)."""
    src = textwrap.dedent('''
        class S:
            store = property(lambda self: self.decisions.store)

            def decision(self, article_id):
                """Doc."""
                return self.decisions.decision(article_id)

            def stop(self):
                self.live.stop()

            def listing(self, view):
                return self.catalog.listing(view, self.versions.effective_decision)

            def decide(self, ids):
                return self.decisions.decide_soon(ids).future.result().events

            def start(self, listener):
                self.listeners.append(listener)
                self.live.start()
    ''')
    cls = ast.parse(src).body[0]
    assert isinstance(cls, ast.ClassDef)
    assert sorted(_pass_throughs(cls)) == ["decision", "stop", "store"]


def _private_reads(mod: str, tree: ast.AST) -> list[tuple[str, int]]:
    """`x._name` where x is not self, cls or this module, and `from m import _name` of another module."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                continue
            out.append((ast.unparse(node), node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != mod:
            out.extend((f"{node.module}.{a.name}", node.lineno) for a in node.names
                       if a.name.startswith("_") and not a.name.startswith("__"))
    return out


def test_no_module_reads_another_objects_private_attributes():
    bad = []
    for mod, path in MODULES.items():
        for expr, line in _private_reads(mod, ast.parse(path.read_text(encoding="utf-8"))):
            if (mod, expr) not in PRIVATE_READS_ALLOWED:
                bad.append(f"{mod}:{line} {expr}")
    assert not bad, "private reach:\n" + "\n".join(bad)


def test_the_private_read_check_sees_one():
    tree = ast.parse("def f(cat):\n    with cat._lock:\n        return self._own\nfrom triage.x import _y\n")
    assert sorted(e for e, _ in _private_reads("triage.z", tree)) == ["cat._lock", "triage.x._y"]


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


def test_help_does_not_import_the_readers_or_their_parsers(tmp_path):
    """`triage --help` and every light command import triage.sources' small modules only (the list of
    what triage reads): not the loader, the helper processes' pool, the registry or base."""
    heavy = ("triage.sources.loader", "triage.sources.parsers", "triage.sources.registry",
             "triage.sources.base")
    code = (
        "import sys; from triage.cli.main import cli\n"
        "try:\n    cli(['--help'], prog_name='triage')\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
