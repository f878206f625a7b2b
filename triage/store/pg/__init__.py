"""The decision record on PostgreSQL (the `postgres` extra): psycopg 3, numbered SQL migrations,
LISTEN/NOTIFY for live changes; the database role names who acted.

Importing this package imports no driver: `triage.store.pg.store` and `triage.store.pg.schema` do.
"""

__all__: list[str] = []
