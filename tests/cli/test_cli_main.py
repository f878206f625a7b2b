"""The top-level CLI: version, help, demo credit, usage errors for missing inboxes."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from triage.cli.common import demo_dir
from triage.cli.main import cli


def test_version_and_help():
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and "triage, version" in r.output
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0 and "demo" in r.output


def test_python_dash_m_runs_the_same_cli(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "triage", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0 and "triage, version" in out.stdout


def test_demo_help_credits_the_sources():
    r = CliRunner().invoke(cli, ["demo", "--help"])
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "Wikinews contributors" in text and "CC BY 2.5" in text and "NASA" in text


def test_demo_inbox_ships_with_its_attribution():
    inbox = demo_dir()
    assert len(list(inbox.glob("*.txt"))) + len(list(inbox.glob("*.md"))) == 50
    assert (inbox.parent / "SOURCES.md").is_file()


def test_missing_inbox_folder_is_a_usage_error(tmp_path):
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "d.json"), str(tmp_path / "absent")])
    assert r.exit_code == 2
    assert "absent" in r.output and "no such inbox" in r.output


def test_a_decisions_file_that_does_not_parse_stops_before_the_screen_and_is_kept(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text('{"events": {"1": {"article_id": "x", "decis')
    before = bad.read_bytes()
    out = subprocess.run(
        [sys.executable, "-m", "triage", "--db", str(bad), "demo"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 1
    assert str(bad) in out.stderr and "does not parse" in out.stderr and "triage recover" in out.stderr
    assert bad.read_bytes() == before


def test_md_report_takes_summaries_from_the_analysis_cache(
    settings_factory, tmp_path, demo_inbox, monkeypatch
):
    from triage.core.service import TriageService
    from triage.model import Decision

    settings = settings_factory(inbox=[demo_inbox])
    svc = TriageService(settings, inbox=[demo_inbox], db_path=settings.db_path)
    svc.inbox.load()
    art = svc.catalog.articles()[0]
    analysis = svc.analyses.analyze(art)  # the real model, as the TUI would
    svc.analyses.analyzer.flush()
    svc.decide([art.id], Decision.FOLLOW_UP, "ring the desk")
    svc.decisions.store.close()
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(settings.data_dir))
    r = CliRunner().invoke(
        cli,
        ["decisions", "--db", str(settings.db_path), "--format", "md", "--inbox", str(demo_inbox)],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    assert art.title in r.output and "ring the desk" in r.output
    assert analysis.summary[0] in r.output
