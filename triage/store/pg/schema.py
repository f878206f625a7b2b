"""The PostgreSQL schema: numbered SQL files shipped with triage, applied in order, each once.

``migrations/NNN_name.sql`` runs in one transaction with the row that records it in
``triage.schema_migrations``, under an advisory lock, so two `triage store migrate` at once apply each
file once. A database migrated by a newer triage (a number this one does not know) is refused with one
sentence, as the file store refuses a newer schema.
"""

from __future__ import annotations

import re
from importlib import resources

import psycopg

from triage.store.errors import NewerSchemaError, StoreError

__all__ = ["LATEST", "MIGRATE_LOCK", "SchemaMissingError", "check_schema", "migrate", "migrations",
           "schema_version"]

MIGRATE_LOCK = (0x7472, 2)  # pg_advisory_xact_lock keys of `triage store migrate`
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class SchemaMissingError(StoreError):
    """The database holds no triage schema, or an older one: `triage store migrate` brings it up to date."""


def migrations() -> list[tuple[int, str, str]]:
    """Every shipped migration as (number, file name, SQL text), in order."""
    folder = resources.files("triage.store.pg").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST = max(number for number, _, _ in migrations())


def schema_version(conn: psycopg.Connection) -> int:
    """The newest migration applied to the database (0: none; the table itself may be missing)."""
    row = conn.execute("SELECT to_regclass('triage.schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM triage.schema_migrations").fetchone()
    return int(found[0]) if found else 0


def check_schema(conn: psycopg.Connection, name: str) -> None:
    """StoreError unless the database holds exactly the schema this triage knows."""
    version = schema_version(conn)
    if version > LATEST:
        raise NewerSchemaError(
            f"{name}: migrated by a newer triage (schema {version}, this one knows up to {LATEST}); it was "
            f"not used, so nothing in it is lost.")
    if version < LATEST:
        state = "holds no triage schema yet" if version == 0 else f"holds schema {version}, not {LATEST}"
        raise SchemaMissingError(
            f"{name}: {state}; run `triage store migrate --db {name}` as the database's owner.")


def migrate(conn: psycopg.Connection, name: str) -> list[str]:
    """Apply the migrations the database lacks, each in its own transaction; the file names applied."""
    applied: list[str] = []
    for number, file_name, text in migrations():
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATE_LOCK)
            conn.execute("CREATE SCHEMA IF NOT EXISTS triage")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS triage.schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                "applied_by text NOT NULL DEFAULT current_user)")
            version = schema_version(conn)
            if version > LATEST:
                raise NewerSchemaError(
                    f"{name}: migrated by a newer triage (schema {version}, this one knows up to {LATEST}); "
                    f"it was left as it is.")
            if number <= version:
                continue
            conn.execute(text.encode("utf-8"))
            conn.execute("INSERT INTO triage.schema_migrations (version, name) VALUES (%s, %s)",
                         (number, file_name))
            applied.append(file_name)
    return applied
