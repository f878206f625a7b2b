"""On PostgreSQL the role names who acted: one editor's role cannot write an event as another's, and
passwords come from libpq's own places, never from the URL, a message or the log."""

from __future__ import annotations

import logging
import os

import psycopg
import pytest

from triage.store import StoreError
from triage.store.open import open_store


def test_the_event_names_the_role_not_what_the_client_says(pg):
    ann = pg.open(user="ann", host="h1")
    assert ann.user == "ann"
    ann.user = "bob"  # a client that lies about who it is...
    ann.decide("a1", "flag")
    assert ann.current("a1").user == "ann"  # ...is named by its role all the same
    assert pg.open(user="cho").current("a1").user == "ann"


def test_one_editors_role_cannot_write_an_event_as_anothers(pg):
    pg.open(user="ann"), pg.open(user="bob")  # both roles exist and the schema is in place
    with psycopg.connect(pg.url_for("ann"), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO triage.events (uid, article_id, decision, username, at, action) "
                         "VALUES ('forged', 'a1', 'flag', 'bob', 'now', 'decide')")
        row = conn.execute("INSERT INTO triage.events (uid, article_id, decision, at, action) VALUES ('own', "
                           "'a1', 'flag', '2026-11-25T10:00:00Z', 'decide') RETURNING username").fetchone()
        assert row == ("ann",)
        for statement in ("UPDATE triage.events SET username = 'bob'", "DELETE FROM triage.events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # append-only for the desk
                conn.execute(statement)
    assert [(e.uid, e.user) for e in pg.open(user="bob").history("a1")] == [("own", "ann")]


def test_copying_other_editors_events_in_is_for_the_owner_only(pg):
    from dataclasses import replace

    ann = pg.open(user="ann")
    event = replace(ann.decide("a1", "flag"), uid="bobs-1", user="bob")
    with pytest.raises(StoreError, match="only the schema's owner"):
        ann.append_events([event])
    owner = open_store(pg.server.url(pg.dbname, pg.server.superuser), rescue_dirs=[pg.tmp / "r"])
    assert owner.append_events([event]) == 1 and owner.append_events([event]) == 0
    owner.close()
    assert pg.open(user="cho").history("a1")[-1].user == "bob"


def test_a_password_in_the_url_is_refused_without_showing_it(pg):
    url = pg.url_for("ann").replace("postgresql://ann@", "postgresql://ann:S3cret-pw@")
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert "S3cret-pw" not in str(info.value) and ".pgpass" in str(info.value)
    with pytest.raises(StoreError) as info:
        open_store(pg.url_for("ann", password="S3cret-pw"))
    assert "S3cret-pw" not in str(info.value)


@pytest.fixture
def pw_editor(pg):
    """A role that logs in with a password (scram-sha-256 on the socket, see conftest's hba)."""
    pg.server.sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pw_editor') THEN "
                  "CREATE ROLE pw_editor LOGIN IN ROLE triage_desk; END IF; END $$")
    pg.server.sql("ALTER ROLE pw_editor PASSWORD 'Right-pw-1'")
    return pg.server.url(pg.dbname, "pw_editor")


def _passfile(tmp_path, password: str) -> str:
    path = tmp_path / "pgpass"
    path.write_text(f"*:*:*:pw_editor:{password}\n")
    os.chmod(path, 0o600)
    return str(path)


def test_the_password_comes_from_pgpassfile(pw_editor, tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASSFILE", _passfile(tmp_path, "Right-pw-1"))
    store = open_store(pw_editor, rescue_dirs=[tmp_path / "r"])
    assert store.last_error == "" and store.user == "pw_editor"
    assert store.decide("a1", "flag").user == "pw_editor"
    store.close()


def test_a_wrong_password_is_never_echoed_in_the_error_or_the_log(pw_editor, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PGPASSFILE", _passfile(tmp_path, "Wrong-pw-9"))
    caplog.set_level(logging.DEBUG)
    store = open_store(pw_editor, rescue_dirs=[tmp_path / "r"])
    assert "password authentication failed" in store.last_error
    with pytest.raises(StoreError) as info:
        store.decide("a1", "flag")
    for text in (store.last_error, str(info.value), caplog.text):
        assert "Wrong-pw-9" not in text and "Right-pw-1" not in text
    store.discard_pending()
    store.close()


def test_a_member_cannot_choose_the_id_of_a_row_and_hide_every_later_one(pg):
    """Readers catch up by `id > newest seen` and triage.latest keeps the highest id: a row given an id
    far ahead of the sequence would make every later decision invisible to the desk."""
    ann = pg.open(user="ann")
    pg.open(user="bob")
    with psycopg.connect(pg.url_for("bob"), autocommit=True) as conn:
        for statement in (
                "INSERT INTO triage.events (id, uid, article_id, decision, at, action) VALUES "
                "(9000000000000000000, 'ahead', 'a1', 'flag', '2026-11-25T10:00:00Z', 'decide')",
                "INSERT INTO triage.desk_acts (id, uid, kind, article_id, until) VALUES "
                "(9000000000000000000, 'ahead', 'take', 'a1', now() + interval '1 minute')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    ann.decide("a1", "archive")
    assert pg.open(user="cho").current("a1").decision.value == "archive"
