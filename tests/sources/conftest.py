"""Shared fixtures for the sources tests: paths to the real samples in ../shared, small builders."""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# ../shared beside the repo; TRIAGE_SHARED_DIR points elsewhere (a worktree one level deeper).
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR") or REPO / ".." / "shared")
SAMPLES = SHARED / "samples"
DEMO = SAMPLES / "demo"
FEEDS = SAMPLES / "feeds"
AFP = SAMPLES / "wire-afp-mobilization.txt"
BUNDLED_DEMO = REPO / "triage" / "demo" / "demo"


def demo_dir() -> Path:
    """The real demo articles: ../shared/samples/demo, else the copy bundled in the package."""
    if DEMO.is_dir():
        return DEMO
    if BUNDLED_DEMO.is_dir():
        return BUNDLED_DEMO
    pytest.skip("no demo articles (../shared/samples/demo or triage/demo)")


def feeds_dir() -> Path:
    """The real NASA RSS files."""
    if not FEEDS.is_dir():
        pytest.skip("../shared/samples/feeds is absent")
    return FEEDS


@pytest.fixture
def demo() -> Path:
    return demo_dir()


@pytest.fixture
def nasa_rss() -> Path:
    return feeds_dir() / "nasa-news-release-2023-12.xml"


@pytest.fixture
def afp() -> Path:
    if not AFP.is_file():
        pytest.skip("../shared/samples/wire-afp-mobilization.txt is absent (AFP copy, never in the repo)")
    return AFP


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    d = tmp_path / "inbox"
    d.mkdir()
    return d


@contextmanager
def watching(inbox: Path, cache_path: Path) -> Iterator[queue.Queue]:
    """The real watcher on inbox in a thread (debounce 100 ms); yields the queue of its updates once it
    is ready, and stops it on the way out."""
    from triage.sources.watch import watch_paths

    got: queue.Queue = queue.Queue()
    stop, ready = threading.Event(), threading.Event()
    t = threading.Thread(target=watch_paths, args=([inbox], got.put),
                         kwargs={"stop_event": stop, "ready": ready, "debounce_ms": 100,
                                 "cache_path": cache_path}, daemon=True)
    t.start()
    try:
        assert ready.wait(5), "the watcher did not start"
        yield got
    finally:
        stop.set()
        t.join(5)
    assert not t.is_alive(), "the watcher did not stop"


def copy_demo(dest: Path, names: list[str]) -> list[Path]:
    """Copy some demo articles (by name prefix, e.g. "01-") into dest."""
    src = demo_dir()
    out = []
    for prefix in names:
        for p in sorted(src.iterdir()):
            if p.name.startswith(prefix):
                out.append(Path(shutil.copy(p, dest / p.name)))
    return out


def demo_article(prefix: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a demo .txt article (its Wikinews dateline line, the publication date,
    is not a paragraph of the story)."""
    import re

    p = next(p for p in sorted(demo_dir().iterdir()) if p.name.startswith(prefix))
    text = p.read_text(encoding="utf-8")
    title, _, rest = text.partition("\n")
    paras = [x.strip() for x in rest.split("\n\n") if x.strip()]
    if paras and re.fullmatch(r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}", paras[0]):
        paras = paras[1:]
    return title.strip(), paras


@pytest.fixture
def hostile():
    """hostile(routes, **kw) starts a HostileServer on 127.0.0.1 (closed after the test)."""
    from tests.sources.hostile_server import HostileServer

    servers: list[HostileServer] = []

    def make(routes, **kw) -> HostileServer:
        servers.append(HostileServer(routes, **kw))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A folder other users can enter (pytest's own temporary folders are its owner's alone)."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="triage-host-"))
    os.chmod(top, 0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)
