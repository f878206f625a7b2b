"""Fixtures for the analysis tests: the real spaCy pipeline (loaded once) and sample texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.model import Article

ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the repository (a git worktree one level deeper finds it beside its parent)
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared"
)
DEMO = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def pipe():
    """The pipeline "auto" resolves to (the real model), loaded once per process."""
    from triage.analysis import load_pipeline

    return load_pipeline("auto")


@pytest.fixture(scope="module")
def wire() -> Article:
    """The AFP wire story, read raw: headline line, paragraphs, crossheads and disclaimer kept in."""
    path = SHARED / "samples" / "wire-afp-mobilization.txt"
    if not path.exists():
        pytest.skip("../shared/samples/wire-afp-mobilization.txt is absent (development data only)")
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Article(id="wire", title=title.strip(), text=body.strip())


def demo_article(n: int = 1) -> Article:
    """A freely licensed article (Wikinews, CC BY 2.5) from tests/analysis/data."""
    path = min(DEMO.glob(f"{n:02d}-*"))
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Article(id=path.stem, title=title.strip(), text=body.strip())
