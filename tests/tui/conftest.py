"""Fixtures of the TUI tests: the demo inbox analysed once by the real model."""

from __future__ import annotations

import os
import shutil
import time

import pytest


@pytest.fixture(scope="module")
def analysed_demo(tmp_path_factory):
    """The demo inbox with every article analysed once by the real model (cache in a module tmp dir):
    (base folder, inbox); tests point their own settings' data dir at base / "data"."""
    from triage.cli.common import demo_dir
    from triage.config import load_settings
    from triage.core.service import TriageService

    base = tmp_path_factory.mktemp("analysed-demo")
    inbox = base / "demo"
    shutil.copytree(demo_dir(), inbox)
    settings = load_settings(
        db=base / "d.json", data_dir=base / "data", inbox=[str(inbox)], use_user_config=False
    )
    svc = TriageService(settings, inbox=[inbox], db_path=base / "d.json")
    svc.inbox.load()
    list(svc.analyses.analyze_many(svc.catalog.articles()))
    svc.analyses.analyzer.flush()
    return base, inbox


@pytest.fixture
def zone():
    """Set the local time zone for one test (plain dates and chart days are local days)."""
    before = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()
