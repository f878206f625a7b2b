"""Round two: every compiled pattern a module of triage keeps (the ones that see files, feeds, mail, JSON
and shared lines) against input built for it from its own literals: runs of each character and pair,
and its literal words followed by them. A linear pattern reads 20,000 characters of each in
milliseconds; one that backtracks quadratically needs minutes, and is stopped by a CPU limit.

Patterns held in module-level tables (lists, tuples, dicts: the wire furniture of each agency profile)
are audited as well. Patterns in modules this change does not own are marked xfail (strict=False)
where they fail, so the integrator sees them; see KNOWN_QUADRATIC."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys

import pytest

import triage

SKIP_PACKAGES = ("triage.tui", "triage.cli.main")
CPU_SECONDS = 15  # for the whole set of inputs of one pattern (a linear one takes well under one)

# (module, name) -> measured cost, of patterns known to be quadratic and not fixed yet. Issue 30's audit
# found eleven; all are linear now, so a new one found here fails the test.
KNOWN_QUADRATIC: dict[tuple[str, str], str] = {
}

_CHILD = r"""
import importlib, re, resource, sys, time
import re._parser as sre_parse
resource.setrlimit(resource.RLIMIT_CPU, (int(sys.argv[3]), int(sys.argv[3]) + 5))
module, name = sys.argv[1], sys.argv[2]
obj = importlib.import_module(module)
for part in name.split("."):
    if isinstance(obj, dict):
        obj = obj[part]
    else:
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
pattern = obj
text = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
flags = pattern.flags & ~re.UNICODE if isinstance(pattern.pattern, bytes) else pattern.flags
chars = {" ", "a", "\n", "1"}
def walk(items):
    for op, av in items:
        kind = str(op)
        if kind == "LITERAL":
            chars.add(chr(av))
        elif kind == "IN":
            for o, a in av:
                if str(o) == "LITERAL":
                    chars.add(chr(a))
                elif str(o) == "RANGE":
                    chars.add(chr(a[0]))
        elif kind == "SUBPATTERN":
            walk(av[-1])
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            walk(av[2])
        elif kind == "BRANCH":
            for b in av[1]:
                walk(b)
        elif kind in ("ASSERT", "ASSERT_NOT"):
            walk(av[1])
walk(sre_parse.parse(text, flags))
chars = sorted(chars)[:24]
words = re.findall(r"[A-Za-z<!#&@:/_-]{2,}", text)[:8]
seeds = chars + [a + b for a in chars for b in chars] + [w + c for w in words for c in chars + [""]]
worst = (0.0, "")
for seed in seeds:
    s = seed * max(1, 20_000 // len(seed))
    data = s.encode("utf-8", "surrogatepass") if isinstance(pattern.pattern, bytes) else s
    t = time.process_time()
    for _ in pattern.finditer(data):
        pass
    pattern.match(data)
    took = time.process_time() - t
    if took > worst[0]:
        worst = (took, seed)
print(f"{worst[0]:.3f} {worst[1]!r}")
"""


def _held(name: str, value: object, depth: int = 0) -> list[tuple[str, object]]:
    """(dotted name, value) of a module attribute and what its lists, tuples and dicts hold (a table of
    patterns per agency, say), to three levels."""
    out: list[tuple[str, object]] = [(name, value)]
    if depth >= 3:
        return out
    if isinstance(value, dict):
        for k, x in value.items():
            if isinstance(k, str) and "." not in k and not k.isdigit():
                out += _held(f"{name}.{k}", x, depth + 1)
    elif isinstance(value, list | tuple):
        for k, x in enumerate(value):
            out += _held(f"{name}.{k}", x, depth + 1)
    return out


def _patterns() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    seen: set[int] = set()
    for info in pkgutil.walk_packages(triage.__path__, "triage."):
        if info.name.startswith(SKIP_PACKAGES):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - an optional extra (PostgreSQL) not installed
            continue
        for name, value in vars(module).items():
            for where, pattern in _held(name, value):
                if isinstance(pattern, re.Pattern) and id(pattern) not in seen:
                    seen.add(id(pattern))
                    found.append((info.name, where))
    return found


def _param(module: str, name: str):
    cost = KNOWN_QUADRATIC.get((module, name))
    why = f"quadratic ({cost}); in a module owned elsewhere"
    marks = [pytest.mark.xfail(strict=False, reason=why)] if cost else []
    return pytest.param(module, name, marks=marks, id=f"{module}.{name}")


@pytest.mark.parametrize(("module", "name"), [_param(m, n) for m, n in _patterns()])
def test_each_pattern_reads_input_built_against_it_in_linear_time(module: str, name: str) -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD, module, name, str(CPU_SECONDS)], capture_output=True,
                         text=True, timeout=CPU_SECONDS * 4)
    assert out.returncode == 0, f"{module}.{name} ran out of {CPU_SECONDS} s of CPU: {out.stderr[-300:]}"
    took, seed = out.stdout.split(" ", 1)
    assert float(took) < 2.0, f"{module}.{name} took {took} s on {seed.strip()} x 20,000 characters"
