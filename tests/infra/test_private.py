"""Private folders and files (issue 19, attack 8): what triage creates is its owner's alone, older files
that were more open are tightened, a pipe or device in a file's place never blocks or is read, and the
log keeps no URL secrets."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from triage.infra.private import NotRegular, open_private, private_dir, read_regular, tighten

SETPRIV = shutil.which("setpriv")


def mode(p: Path | str) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_private_dir_makes_every_missing_folder_0700_and_tightens_ours(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == 0o700 and mode(made) == 0o700
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    os.chmod(old, 0o755)
    private_dir(old)
    assert mode(old) == 0o700
    private_dir(old, group=True)
    assert mode(old) == 0o700  # tightening never opens a folder up
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o775)
    private_dir(shared, group=True)
    assert mode(shared) == 0o770


def test_open_private_creates_0600_and_tightens_an_old_0644_file(tmp_path: Path) -> None:
    os.close(open_private(tmp_path / "new.log"))
    assert mode(tmp_path / "new.log") == 0o600
    old = tmp_path / "old.log"
    old.write_text("x", encoding="utf-8")
    os.chmod(old, 0o644)
    os.close(open_private(old))
    assert mode(old) == 0o600
    os.chmod(old, 0o664)
    os.close(open_private(old, group=True))
    assert mode(old) == 0o660


def test_tighten_leaves_links_and_what_is_not_ours_alone(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("x", encoding="utf-8")
    os.chmod(target, 0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    tighten(link)
    assert mode(target) == 0o644
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)
        tighten(target)
        assert mode(target) == 0o644


def test_read_regular_reads_a_file_up_to_the_cap(tmp_path: Path) -> None:
    p = tmp_path / "story.txt"
    p.write_bytes(b"x" * 100)
    assert read_regular(p) == b"x" * 100
    assert read_regular(p, 10) == b"x" * 11  # one byte over: the caller can tell it is too big


def test_read_regular_never_blocks_on_a_fifo_or_opens_a_device(tmp_path: Path) -> None:
    fifo = tmp_path / "story.txt"
    os.mkfifo(fifo)
    with pytest.raises(NotRegular, match="not a regular file"):
        read_regular(fifo)
    with pytest.raises(NotRegular):
        read_regular("/dev/zero")
    with pytest.raises(NotRegular):
        read_regular(tmp_path)


def test_a_fifo_swapped_in_after_the_check_does_not_block(tmp_path: Path) -> None:
    """The race of attack 2: a regular file when looked at, a FIFO when opened. The open is
    non-blocking and fstat checks what was opened."""
    p = tmp_path / "story.xml"
    p.write_text("<rss/>", encoding="utf-8")
    real_stat = os.stat
    swapped = threading.Event()

    def stat_then_swap(path, *a, **kw):  # the attacker wins the race right after triage looks
        st = real_stat(path, *a, **kw)
        if os.fspath(path) == str(p) and not swapped.is_set():
            swapped.set()
            os.unlink(p)
            os.mkfifo(p)
        return st

    os.stat = stat_then_swap
    try:
        with pytest.raises(NotRegular):
            read_regular(p)
    finally:
        os.stat = real_stat
    assert swapped.is_set() and stat.S_ISFIFO(os.stat(p).st_mode)


def test_read_regular_without_follow_refuses_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_regular(tmp_path / "link.txt") == b"x"
    with pytest.raises(OSError):
        read_regular(tmp_path / "link.txt", follow=False)


# --- the SQLite caches ------------------------------------------------------------------------------------


def test_sqlite_caches_are_private_with_their_wal_files(tmp_path: Path) -> None:
    from triage.infra.sqlitedb import connect_private, open_index

    old = tmp_path / "data" / "search.sqlite"
    old.parent.mkdir(mode=0o755)
    os.chmod(old.parent, 0o755)
    sqlite3.connect(old).execute("CREATE TABLE t (x)").connection.close()
    os.chmod(old, 0o644)
    conn = open_index(old, lambda c: c, "search index")
    conn.execute("INSERT INTO t VALUES (1)")
    assert mode(old) == 0o600 and mode(old.parent) == 0o700
    assert mode(f"{old}-wal") == 0o600 and mode(f"{old}-shm") == 0o600
    conn.close()
    fresh = connect_private(tmp_path / "new" / "cache.sqlite")
    fresh.execute("CREATE TABLE t (x)")
    assert mode(tmp_path / "new" / "cache.sqlite") == 0o600 and mode(tmp_path / "new") == 0o700
    fresh.close()


def test_the_ingest_cache_is_private(tmp_path: Path) -> None:
    from triage.sources.cache import IngestCache

    cache = IngestCache(tmp_path / "data" / "ingest-cache.sqlite")
    cache.write([], [("id", "hash", "2026-01-01T00:00:00Z")])
    assert mode(tmp_path / "data" / "ingest-cache.sqlite") == 0o600
    cache.close()


# --- the log ------------------------------------------------------------------------------------------------


def _log_in_a_process(data: Path, *lines: str) -> str:
    code = (
        "import logging,sys\nfrom triage.infra.log import setup_logging\n"
        "p = setup_logging(sys.argv[1])\nfor line in sys.argv[2:]:\n"
        "    logging.getLogger('t').warning(line)\nprint(p)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), *lines],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def test_the_log_is_0600_in_a_0700_folder_and_keeps_no_url_secrets(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = Path(
        _log_in_a_process(
            data,
            "GET https://alice:pw@feeds.example.org/rss?token=s3cret&x=1#f failed",
            "page http://127.0.0.1:8000/?token=abc gone",
        )
    )
    assert mode(path) == 0o600 and mode(data) == 0o700
    text = path.read_text(encoding="utf-8")
    assert "https://feeds.example.org/rss?… failed" in text and "http://127.0.0.1:8000/?… gone" in text
    assert "s3cret" not in text and "alice" not in text and "pw@" not in text and "abc" not in text


def test_an_old_0644_log_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    (data / "triage.log").write_text("old\n", encoding="utf-8")
    os.chmod(data / "triage.log", 0o644)
    _log_in_a_process(data, "hello")
    assert mode(data / "triage.log") == 0o600 and mode(data) == 0o700


def test_redact_url_keeps_host_and_path_only() -> None:
    from triage.infra.log import redact_url, redact_urls

    assert redact_url("https://u:p@h.example:8443/a/b?k=v#f") == "https://h.example:8443/a/b?…"
    assert redact_url("http://h.example/") == "http://h.example/"
    assert redact_urls("no url here") == "no url here"


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs root and setpriv to act as uid 65534")
def test_another_user_cannot_read_the_log() -> None:
    top = Path(tempfile.mkdtemp(prefix="triage-log-"))  # a folder others may enter (pytest's are 0700)
    try:
        os.chmod(top, 0o755)
        path = Path(_log_in_a_process(top / "data", "secret line"))
        nobody = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", "cat", str(path)]
        out = subprocess.run(nobody, capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and "Permission denied" in out.stderr  # the 0700 folder
        os.chmod(path.parent, 0o755)  # even with its folder opened up by mistake: the 0600 file
        out = subprocess.run(nobody, capture_output=True, text=True, timeout=30)
        assert out.returncode != 0 and "Permission denied" in out.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_analysis_cache_is_private_too(tmp_path: Path) -> None:
    """It holds the summary of every story read: 0600 in a 0700 folder, like the other caches."""
    from triage.analysis import Analyzer
    from triage.model import Article

    where = tmp_path / "data" / "analysis-cache.sqlite"
    analyzer = Analyzer(cache_path=where)
    art = Article(
        id="a", title="Bridge closed", text="The council closed the bridge on Tuesday. Repairs start soon."
    )
    analyzer.analyze(art)
    analyzer.flush()
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    assert stat.S_IMODE(where.parent.stat().st_mode) == 0o700
    assert analyzer.cached(art) is not None


def test_a_sticky_folder_of_ours_is_shared_by_design_refused_never_closed(tmp_path: Path) -> None:
    """Root owns /tmp: keeping a cache or data folder there must not chmod /tmp to 0700 (that locks every
    other user out of it). A sticky folder is left as it is, and nothing private is kept in it."""
    from triage.infra.private import NotPrivate
    from triage.sources.cache import IngestCache

    shared = tmp_path / "tmp-like"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(NotPrivate, match="may be written by other users"):
        private_dir(shared)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    cache = IngestCache(shared / "ingest-cache.sqlite")  # a cache there: loading goes on without it
    assert cache.conn is None and stat.S_IMODE(os.stat(shared).st_mode) == 0o1777
    assert not (shared / "ingest-cache.sqlite").exists()
