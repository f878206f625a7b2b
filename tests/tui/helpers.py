"""Helpers for pilot tests: build a real service on a tmp db, wait for the app to settle."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from triage.core.service import TriageService

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    """Let the app run until condition() holds (or fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)
    await pilot.pause()


def build_service(settings_factory, inbox=None, articles=None, **overrides) -> TriageService:
    """A service on tmp paths; with `articles` the inbox is those hand-made Article objects."""
    settings = settings_factory(inbox=[inbox] if inbox else None, overrides=overrides or None)
    svc = TriageService(settings, inbox=[inbox] if inbox else [], db_path=settings.db_path)
    if articles is not None:
        svc.inbox.set_articles(articles)
    return svc


def run(coro):
    return asyncio.run(coro)
