"""The store's tests run on both backends: the TinyDB file and a real PostgreSQL.

The server is Debian's postgresql (initdb + pg_ctl), started once per test session in a temp folder,
as a non-root user when the tests run as root (uid 65534 through setpriv), listening on a Unix
socket only; each test gets a fresh database made from a migrated template. Where the server's
binaries are missing, the PostgreSQL half of each test skips with the reason.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_UID = 65534  # nobody: the server never runs as root


def pg_bindir() -> Path | None:
    """The folder of initdb and pg_ctl (PG_BINDIR, else Debian's newest), or None."""
    given = os.environ.get("PG_BINDIR")
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(p.split("/")[-2]), reverse=True)
    candidates = [given] if given else found
    for folder in candidates:
        if folder and os.access(os.path.join(folder, "initdb"), os.X_OK) and \
                os.access(os.path.join(folder, "pg_ctl"), os.X_OK):
            return Path(folder)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


@dataclass
class PgServer:
    """A throwaway PostgreSQL cluster on a Unix socket; `superuser` runs migrations and copies."""

    bindir: Path
    root: Path
    port: int = 5432
    superuser: str = "postgres"
    _roles: set[str] = field(default_factory=set)
    _dbs: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _as_server(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={SERVER_UID}", f"--regid={SERVER_UID}", "--clear-groups"]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["HOME"] = str(self.root)
        return subprocess.run([*self._as_server(), *args], check=check, capture_output=True, text=True,
                              env=env, timeout=120, cwd=self.root)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.root, SERVER_UID, SERVER_UID)
            os.chown(self.socket_dir, SERVER_UID, SERVER_UID)
        os.chmod(self.root, 0o755)
        os.chmod(self.socket_dir, 0o755)
        hba = self.root / "hba.conf"
        hba.write_text("local all pw_editor scram-sha-256\nlocal all all trust\n")
        os.chmod(hba, 0o644)
        self.run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.superuser, "-A", "trust",
                 "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{self.socket_dir}'\n"
                       f"port = {self.port}\nhba_file = '{hba}'\nmax_connections = 200\n"
                       "shared_buffers = 32MB\nfsync = on\n")
        self.start()

    def start(self) -> None:
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                 "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, dbname: str, user: str | None = None, **params: str) -> str:
        query = "&".join([f"host={self.socket_dir}", f"port={self.port}",
                          *(f"{k}={quote(v, safe='')}" for k, v in params.items())])
        who = f"{user}@" if user else ""
        return f"postgresql://{who}/{dbname}?{query}"

    def sql(self, statement: str, dbname: str = "postgres", params: Any = None) -> list[Any]:
        import psycopg

        with psycopg.connect(self.url(dbname, self.superuser), autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def role(self, name: str) -> str:
        """A login role of the desk (created once)."""
        if name not in self._roles:
            self.sql(f'DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \'{name}\') THEN '
                     f'CREATE ROLE "{name}" LOGIN IN ROLE triage_desk; END IF; END $$')
            self._roles.add(name)
        return name

    def template(self) -> None:
        """triage_template: a database with the schema migrated, copied for each test."""
        import psycopg

        from triage.store.pg.schema import migrate

        self.sql("CREATE DATABASE triage_template")
        with psycopg.connect(self.url("triage_template", self.superuser), autocommit=True) as conn:
            migrate(conn, "template")

    def new_db(self) -> str:
        name = f"desk_{next(self._dbs)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE triage_template")
        return name


def caught_up(store: Any, timeout: float = 10.0) -> bool:
    """refresh() until it takes something in (True), or False after `timeout`. After another's write
    has returned, the file answers at once; the server's notification may still be on its way."""
    deadline = time.monotonic() + timeout
    while not store.refresh():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def start_pg_server():
    """The session's PostgreSQL, as a generator for the `pg_server` fixture of tests/conftest.py (one
    server for the store's, the desk's and the TUI's tests); skips with the reason where it cannot run."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'triage[postgres]')")
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: the server cannot drop root")
    root = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    server = PgServer(bindir, root)
    try:
        server.init()
        server.template()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {(exc.stderr or exc.stdout or '').strip()[:300]}")
    yield server
    server.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Backend:
    """One store location for a test and a way to open stores on it as a given user."""

    kind: str  # "file" or "pg"
    location: str
    tmp: Path
    server: PgServer | None = None
    dbname: str = ""
    opened: list[Any] = field(default_factory=list)

    def url_for(self, user: str | None = None, **params: str) -> str:
        assert self.server is not None
        return self.server.url(self.dbname, self.server.role(user or "writer"), **params)

    def where(self, user: str | None = None) -> str:
        """What --db (or writer.py) gets to act as `user`."""
        return self.location if self.kind == "file" else self.url_for(user)

    def open(self, user: str | None = None, host: str | None = None, **kw: Any) -> Any:
        from triage.store.open import open_store

        kw.setdefault("rescue_dirs", [self.tmp / f"rescue-{user or 'writer'}"])
        if self.kind == "file":
            store = open_store(self.location, user=user, host=host, **kw)
        else:
            store = open_store(self.url_for(user), host=host, **kw)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - a test may leave a store with pending events
                pass


@pytest.fixture(params=["file", "pg"])
def backend(request, tmp_path):
    """Each test twice: on a TinyDB file and on a fresh PostgreSQL database."""
    if request.param == "file":
        b = Backend("file", str(tmp_path / "d.json"), tmp_path)
    else:
        server = request.getfixturevalue("pg_server")
        name = server.new_db()
        b = Backend("pg", "", tmp_path, server, name)
        b.location = b.url_for("writer")
    yield b
    b.close_all()


@pytest.fixture
def pg(pg_server, tmp_path):
    """A fresh PostgreSQL database only (for the PostgreSQL-specific tests)."""
    name = pg_server.new_db()
    b = Backend("pg", "", tmp_path, pg_server, name)
    b.location = b.url_for("writer")
    yield b
    b.close_all()


@pytest.fixture
def restart(pg):
    """Stops the session's server for a test; it is running again afterwards whatever happens."""
    yield pg.server
    if pg.server.run(str(pg.server.bindir / "pg_ctl"), "-D", str(pg.server.data), "status",
                     check=False).returncode != 0:
        pg.server.start()


def quiet_refreshes(pg: Any, refresh: Any, user: str, application: str | None = None) -> int:
    """Call `refresh` 200 times, each finding no news, and check that none of `user`'s connections to
    the test database ran a statement meanwhile (pg_stat_activity's state_change moves with each one);
    the number of those connections."""
    query = ("SELECT pid, state_change FROM pg_stat_activity WHERE usename = %s AND datname = %s"
             + (" AND application_name = %s" if application is not None else "") + " ORDER BY pid")
    params = (user, pg.dbname) + ((application,) if application is not None else ())
    before = pg.server.sql(query, "postgres", params)
    for _ in range(200):
        assert refresh() is False
    assert pg.server.sql(query, "postgres", params) == before
    return len(before)
