"""Choosing and preparing a PostgreSQL store: a URL in the settings, `triage store migrate` (numbered
migrations, each once), a newer or missing schema refused in one sentence, and a plain install
without the extra told which one to add, never handed a traceback or a file named after the URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import isolate
from triage.config import _SERVER_SCHEMES, load_settings
from triage.store import NewerSchemaError, StoreError
from triage.store.pg.conninfo import SERVER_SCHEMES
from triage.store.pg.schema import LATEST, migrations


def triage(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `triage` command."""
    command = str(Path(sys.executable).with_name("triage"))
    return subprocess.run([command, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def test_settings_take_a_url_and_keep_file_paths(tmp_path, monkeypatch):
    url = "postgresql://ann@db.example/desk?sslmode=verify-full"
    settings = load_settings(db=url, data_dir=tmp_path, use_user_config=False)
    assert settings.db_url == url and settings.db == url
    assert settings.db_path == tmp_path / "decisions.json"  # the file setting stays a path, unused
    monkeypatch.setenv("TRIAGE_DB", "postgres://bob@/desk")
    assert load_settings(data_dir=tmp_path, use_user_config=False).db_url == "postgres://bob@/desk"
    plain = load_settings(db=str(tmp_path / "d.json"), data_dir=tmp_path, use_user_config=False)
    assert plain.db_url == "" and plain.db_path == tmp_path / "d.json"
    assert plain.db == str(tmp_path / "d.json")
    assert _SERVER_SCHEMES == SERVER_SCHEMES  # config cannot import the store: the two must agree


def test_migrations_are_numbered_in_order():
    numbers = [n for n, _, _ in migrations()]
    assert numbers == list(range(1, LATEST + 1))


def test_store_migrate_applies_each_migration_once(pg_server, tmp_path, monkeypatch):
    pg_server.sql("CREATE DATABASE fresh_desk")
    url = pg_server.url("fresh_desk", pg_server.superuser)
    isolate(monkeypatch, tmp_path)
    first = triage("store", "migrate", "--db", url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "applied 001_decisions.sql" in first.stdout
    second = triage("--db", url, "store", "migrate", cwd=tmp_path)  # the group's --db works too
    assert second.returncode == 0 and "up to date" in second.stdout
    rows = pg_server.sql("SELECT version, name FROM triage.schema_migrations", "fresh_desk")
    assert rows == [(n, name) for n, name, _ in migrations()]
    pg_server.sql("DROP DATABASE fresh_desk")


def test_a_database_without_the_schema_says_to_migrate(pg_server, tmp_path):
    from triage.store.open import open_store

    pg_server.sql("CREATE DATABASE bare_desk")
    try:
        with pytest.raises(StoreError) as info:
            open_store(pg_server.url("bare_desk", pg_server.role("ann")), rescue_dirs=[tmp_path])
        message = str(info.value)
        assert "triage store migrate" in message and "\n" not in message
    finally:
        pg_server.sql("DROP DATABASE bare_desk")


def test_a_newer_schema_is_refused_in_one_sentence(pg, tmp_path, monkeypatch):
    pg.open(user="ann").close()
    pg.server.sql("INSERT INTO triage.schema_migrations (version, name) VALUES (99, '099_future.sql')",
                  pg.dbname)
    with pytest.raises(NewerSchemaError, match="newer triage") as info:
        pg.open(user="ann")
    assert "\n" not in str(info.value)
    isolate(monkeypatch, tmp_path)
    result = triage("store", "migrate", "--db", pg.server.url(pg.dbname, pg.server.superuser), cwd=tmp_path)
    assert result.returncode == 1 and "newer triage" in result.stderr and "Traceback" not in result.stderr


PLAIN_INSTALL = (  # the interpreter as it is without the extra: psycopg cannot be imported
    "import sys\nsys.modules['psycopg'] = None\nsys.argv = ['triage', *sys.argv[1:]]\n"
    "from triage.cli.main import main\nmain()\n"
)


@pytest.mark.parametrize("args", [["store", "migrate"], ["review"], ["store", "copy", "{url}", "d.json"]])
def test_a_plain_install_names_the_extra_in_one_sentence(tmp_path, monkeypatch, args):
    isolate(monkeypatch, tmp_path)
    url = "postgresql://ann@db.example:5432/desk"
    argv = ["--db", url, *[a.format(url=url) for a in args]]
    (tmp_path / "inbox").mkdir()
    monkeypatch.setenv("TRIAGE_INBOX", str(tmp_path / "inbox"))
    before = set(os.listdir(tmp_path))
    proc = subprocess.run([sys.executable, "-c", PLAIN_INSTALL, *argv], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "pip install 'triage[postgres]'" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert set(os.listdir(tmp_path)) - before <= {"data"}  # no file named after the URL
    assert not list(tmp_path.rglob("postgresql*"))
