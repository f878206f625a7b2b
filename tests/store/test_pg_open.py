"""Opening a long PostgreSQL history: the store reads the newest id, not every event; each article's
latest event, its history and the count are read when asked for, and agree with what was written,
also across another store's later writes."""

from __future__ import annotations

import psycopg


def fill(pg, articles: int, rounds: int) -> None:
    """`rounds` events for each of `articles` articles, copied in as the schema's owner (fast)."""
    rows = []
    for r in range(rounds):
        for a in range(articles):
            rows.append((f"u{r}-{a}", f"a{a}", ["flag", "archive", "follow-up"][(a + r) % 3], f"n{r}",
                         "writer", f"2026-01-01T00:{r:02d}:00.000000Z", "decide"))
    with psycopg.connect(pg.server.url(pg.dbname, pg.server.superuser), autocommit=True) as conn, \
            conn.cursor().copy("COPY triage.events (uid, article_id, decision, note, username, at, action) "
                               "FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def rows_fetched(monkeypatch) -> list[int]:
    """Counts the rows every cursor hands to the client from now on."""
    seen = [0]
    real = psycopg.Cursor.fetchall

    def counting(self):
        got = real(self)
        seen[0] += len(got)
        return got

    monkeypatch.setattr(psycopg.Cursor, "fetchall", counting)
    return seen


def test_opening_reads_no_events_and_asks_only_for_the_articles_wanted(pg, monkeypatch):
    fill(pg, articles=400, rounds=5)  # 2,000 events
    seen = rows_fetched(monkeypatch)
    store = pg.open(user="ann")
    assert seen[0] < 10  # the schema, who we are, the newest id: no events
    current = store.current_many(["a1", "a2", "nope"])
    assert set(current) == {"a1", "a2"} and current["a1"].note == "n4"
    assert seen[0] < 20
    assert [e.note for e in store.history("a7")] == ["n0", "n1", "n2", "n3", "n4"]
    assert len(store) == 2000


def test_a_lazily_read_store_agrees_with_the_writer_across_later_writes(pg):
    fill(pg, articles=50, rounds=3)
    ann, bob = pg.open(user="ann"), pg.open(user="bob")
    assert ann.current("a3").note == "n2"  # read before bob writes
    bob.decide("a3", "archive", "bob's")
    bob.decide("new", "flag")
    bob.undo("a4")
    assert ann.refresh()
    assert ann.current("a3").note == "bob's" and ann.current("a3").user == "bob"
    assert ann.history("a3")[-1].note == "bob's" and len(ann.history("a3")) == 4
    assert ann.current("a4").action == "undo"
    assert ann.current_many() == bob.current_many()
    assert len(ann) == len(bob) == 153
    assert [e.uid for e in ann.query(history=True)] == [e.uid for e in bob.query(history=True)]
    assert [e.uid for e in ann.query(decision="archive")] == [e.uid for e in bob.query(decision="archive")]
    # ann's own writes build on the latest state she never read before
    ann.set_note("a9", "mine")
    assert ann.current("a9").decision == bob.current("a9").decision
    assert [e.note for e in ann.undo_own(ann.history("a9")[-1:]).events] == ["n2"]


def test_migrating_a_desk_with_history_fills_the_latest_table(pg_server, tmp_path):
    from triage.store.open import open_store
    from triage.store.pg.schema import migrate, migrations

    name = "desk_before_latest"
    pg_server.sql(f"CREATE DATABASE {name}")
    owner = pg_server.url(name, pg_server.superuser)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA triage")
        conn.execute("CREATE TABLE triage.schema_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                     "applied_by text NOT NULL DEFAULT current_user)")
        for number, file_name, text in migrations():
            if number < 3:  # the desk as the first releases left it
                conn.execute(text.encode())
                conn.execute("INSERT INTO triage.schema_migrations VALUES (%s, %s)", (number, file_name))
        for n, (aid, note) in enumerate([("x1", "first"), ("x2", "other"), ("x1", "second")]):
            conn.execute("INSERT INTO triage.events (uid, article_id, decision, note, at, action) VALUES "
                         "(%s, %s, 'flag', %s, '2026-01-01T00:00:00.000000Z', 'decide')",
                         (f"m{n}", aid, note))
        assert "004_latest.sql" in migrate(conn, name)
    store = open_store(pg_server.url(name, pg_server.role("writer")), rescue_dirs=[tmp_path / "r"])
    assert {aid: e.note for aid, e in store.current_many().items()} == {"x1": "second", "x2": "other"}
    store.close()


def test_a_session_stopped_inside_a_transaction_is_ended_by_the_server(pg):
    """A TUI stopped (SIGSTOP, a laptop asleep) in the middle of a write held the desk's advisory lock, and
    every editor's writes with it, until it ran again: the server now ends such a session itself, and
    a silent TCP peer is noticed by keepalives in about 30 s."""
    from triage.store.pg.connect import IDLE_IN_TRANSACTION, locate, open_checked

    pg.open(user="ann").close()  # the schema is in place
    name, conninfo, _user = locate(pg.url_for("ann"), 5.0, "triage-test")
    assert "keepalives_idle=10" in conninfo and "tcp_user_timeout=30000" in conninfo
    conn, role = open_checked(conninfo, name)
    try:
        assert role == "ann"
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == (IDLE_IN_TRANSACTION,)
    finally:
        conn.close()
