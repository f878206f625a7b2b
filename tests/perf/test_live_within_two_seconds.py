"""The open TUI keeps up within two seconds: a file dropped into the inbox, a decision made by another
process (wall-clock: marked slow; tests/tui runs the same scenes without timing them)."""

from __future__ import annotations

import pytest

from ..tui.test_live import decided_elsewhere, file_dropped

pytestmark = pytest.mark.slow


async def test_a_file_dropped_into_the_inbox_appears_within_two_seconds(settings_factory, tmp_path):
    assert await file_dropped(settings_factory, tmp_path) <= 2.5  # 2 s goal, plus the polling


async def test_decisions_written_by_another_process_show_within_two_seconds(settings_factory, tmp_path):
    assert await decided_elsewhere(settings_factory, tmp_path) <= 2.5
