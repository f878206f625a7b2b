"""PostgreSQL over TLS: a server on 127.0.0.1 with ssl=on and a certificate signed by a throwaway CA
(made by the openssl command); a store reaches it with sslmode=require and with verify-full plus
sslrootcert and makes a decision round trip; a verify-full URL that trusts another CA is refused with
one sentence that names the reason and never holds the password (which comes from PGPASSFILE)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import isolate
from tests.store.conftest import SERVER_UID, PgServer

PASSWORD = "Tls-secret-7"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.crt", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)


def make_certs(folder: Path) -> None:
    """ca.crt (trusted), other-ca.crt (not the server's), server.crt/.key for 127.0.0.1 and localhost."""
    _ca(folder, "ca")
    _ca(folder, "other-ca")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=127.0.0.1", "-keyout",
             "server.key", "-out", "server.csr", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                    "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-sha256", "-extfile", "san.ext", "-out", "server.crt", cwd=folder)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def tls_server(pg_server):
    """A cluster of its own, on 127.0.0.1 over TLS only (and its Unix socket for the owner); it skips
    where the session's server does (pg_server), and where openssl is missing."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is missing: no certificate can be made")
    root = Path(tempfile.mkdtemp(prefix="triage-pg-tls-"))
    server = PgServer(pg_server.bindir, root, port=_free_port())
    try:
        server.init()
        certs = root / "certs"
        certs.mkdir()
        make_certs(certs)
        for name in ("server.crt", "server.key"):
            os.chmod(certs / name, 0o600)
            if os.geteuid() == 0:
                os.chown(certs / name, SERVER_UID, SERVER_UID)
        os.chmod(certs, 0o755)
        (root / "hba.conf").write_text("local all all trust\nhostnossl all all 0.0.0.0/0 reject\n"
                                       "hostssl all tls_editor 127.0.0.1/32 scram-sha-256\n")
        with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nssl = on\nssl_cert_file = '{certs / 'server.crt'}'\n"
                       f"ssl_key_file = '{certs / 'server.key'}'\n")
        server.stop()
        server.start()
        server.template()
        server.sql("CREATE ROLE tls_editor LOGIN IN ROLE triage_desk")
        server.sql(f"ALTER ROLE tls_editor PASSWORD '{PASSWORD}'")
    except subprocess.CalledProcessError as exc:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL with TLS: {str(exc.stderr or exc.stdout or '')[:300]}")
    yield server
    server.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def desk(tls_server, tmp_path, monkeypatch):
    """A fresh database and a PGPASSFILE holding the editor's password; (server, dbname)."""
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:*:*:tls_editor:{PASSWORD}\n")
    os.chmod(passfile, 0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    return tls_server, tls_server.new_db()


def tcp_url(server: PgServer, dbname: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgresql://tls_editor@127.0.0.1:{server.port}/{dbname}?{query}"


def _on_tls(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        return bool(row and row[0])


def test_a_decision_round_trips_over_tls_with_require_and_with_verify_full(desk, tmp_path):
    from triage.store.open import open_store

    server, dbname = desk
    certs = server.root / "certs"
    required = tcp_url(server, dbname, sslmode="require")
    verified = tcp_url(server, dbname, sslmode="verify-full", sslrootcert=str(certs / "ca.crt"))
    assert _on_tls(required) and _on_tls(verified)
    writer = open_store(required, rescue_dirs=[tmp_path / "r1"])
    assert writer.last_error == "" and writer.user == "tls_editor"
    written = writer.decide("t1", "flag", "over TLS")
    writer.close()
    reader = open_store(verified, rescue_dirs=[tmp_path / "r2"])
    assert reader.last_error == ""
    seen = reader.current("t1")
    assert seen is not None and (seen.uid, seen.note, seen.user) == (written.uid, "over TLS", "tls_editor")
    reader.decide("t1", "archive")
    reader.close()


def test_a_server_whose_certificate_another_ca_signed_is_refused_in_one_sentence(desk, tmp_path, monkeypatch):
    server, dbname = desk
    isolate(monkeypatch, tmp_path)
    wrong = tcp_url(server, dbname, sslmode="verify-full",
                    sslrootcert=str(server.root / "certs" / "other-ca.crt"))
    command = str(Path(sys.executable).with_name("triage"))
    out = subprocess.run([command, "decide", "--db", wrong, "t1", "flag"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path, check=False)
    assert out.returncode == 1
    # the only other line: no inbox was given to look the article up in
    lines = [ln for ln in out.stderr.strip().splitlines() if not ln.startswith("triage: warning: article")]
    assert len(lines) == 1, out.stderr
    assert "not signed by a CA that sslrootcert trusts" in lines[0] and "Traceback" not in out.stderr
    assert PASSWORD not in out.stderr + out.stdout
    # nothing reached the server
    assert server.sql("SELECT count(*) FROM triage.events", dbname) == [(0,)]
