"""The wheel holds every package of the tree: README's commands install with `pip install .` (not
editable), and a package missing from pyproject's list is missing from the install, where every test
that imports it fails (the desk's package was, once)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_of_the_tree_is_in_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "triage").rglob("__init__.py")
             if "__pycache__" not in init.parts}
    assert found - listed == set(), "packages missing from pyproject's [tool.setuptools] packages"
    assert listed - found == {"triage.config_default"}  # config/, shipped under that name

