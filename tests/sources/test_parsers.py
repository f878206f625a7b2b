"""A big inbox is parsed in helper processes: the same stories, problems and cache as parsing in the
loader's thread (in the order files are done), and a helper that dies costs only speed."""

from __future__ import annotations

import multiprocessing
import os
import signal

from triage.sources import loader
from triage.sources.parsers import ParserPool, parse_files

from .conftest import demo_dir


def _inbox(tmp_path, copies: int):
    """The real demo articles, `copies` times over (each copy a distinct file), plus a bad file."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # SOURCES.md is left out: its copies differ only past the part of a long text its id is made of, so
    # they are one story, and which copy's path it keeps depends on which helper finishes first.
    demo = sorted(p for p in demo_dir().iterdir() if p.is_file() and p.name != "SOURCES.md")
    for k in range(copies):
        for p in demo:
            (inbox / f"{k:02d}-{p.name}").write_bytes(p.read_bytes() + f"\n\nCopy {k}.\n".encode())
    (inbox / "zz-binary.txt").write_bytes(b"\x00\x01\x02 not a story \xff" * 50)
    return inbox


def _read(inbox, cache, processes):
    arts, probs = [], []
    for batch in loader.iter_load([inbox], cache_path=cache, parse_processes=processes, first_batch=10,
                                  batch=40):
        arts += batch.articles
        probs += batch.problems
    return arts, probs


def test_helper_processes_give_what_the_loader_thread_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "PARALLEL_FROM", 20)
    inbox = _inbox(tmp_path, 3)
    here_arts, here_probs = _read(inbox, tmp_path / "here.sqlite", 0)
    pool_arts, pool_probs = _read(inbox, tmp_path / "pool.sqlite", 2)
    assert len(here_arts) >= 100
    # The copies of one story share its id (title and folder); the first admitted keeps it and each
    # other copy gets an id of its own path. Helpers hand files back as they finish, so which copy came
    # first may differ from the thread's order under load: the stories are compared, and the ids as a set
    # of distinct ids of the same size.
    assert sorted((a.title, a.text, a.path) for a in pool_arts) == sorted(
        (a.title, a.text, a.path) for a in here_arts)
    assert len({a.id for a in pool_arts}) == len(pool_arts) == len(here_arts)
    assert len({a.id for a in here_arts}) == len(here_arts)
    assert sorted((p.where, p.reason) for p in pool_probs) == sorted((p.where, p.reason) for p in here_probs)
    assert any("zz-binary.txt" in p.where for p in pool_probs)
    # the cache holds every parse: a second start parses nothing
    warm, _ = _read(inbox, tmp_path / "pool.sqlite", 2)
    # and every file keeps the id it had, though the cache is read in path order and the helpers
    # finished in their own: a decision never moves to another copy at a restart
    assert sorted((a.path, a.id) for a in warm) == sorted((a.path, a.id) for a in pool_arts)


def test_a_helper_that_dies_costs_only_speed(tmp_path):
    inbox = _inbox(tmp_path, 2)
    files = sorted(inbox.iterdir())
    parts = [[(p, p.stat()) for p in files[i:i + 5]] for i in range(0, len(files), 5)]
    expected = sorted((p, [a.id for a in arts], [x.reason for x in probs])
                      for part in parts for p, _st, arts, probs in parse_files(part, 5_000_000))
    with ParserPool(2) as pool:
        out = []
        for got in pool.map(parts, 5_000_000):
            if not out:  # after the first batch, every helper is killed (the test plays the OOM killer)
                for helper in multiprocessing.active_children():
                    if helper.name == "triage-parser":
                        os.kill(helper.pid, signal.SIGKILL)
            out.extend((p, [a.id for a in arts], [x.reason for x in probs]) for p, _st, arts, probs in got)
    assert sorted(out) == expected


def test_few_files_start_one_helper_only():
    assert loader._parsers_for(loader.PARALLEL_FROM - 1, None) == 0
    assert loader._parsers_for(loader.PARALLEL_FROM, 0) == 0
    assert loader._parsers_for(loader.PARALLEL_FROM, None) >= 1


def test_helpers_start_under_a_tui_whose_stderr_has_no_descriptor(tmp_path):
    """Under Textual sys.stderr is a capture whose fileno() is -1, and multiprocessing hands that to the
    resource tracker it starts on the first spawn: every helper failed to start ("bad value(s) in
    fds_to_keep") and a cold inbox was parsed in the loader's thread, unbounded. Played in a fresh
    process, where no tracker runs yet."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from triage.sources import parsers\n"
        "class Capture:\n"
        "    def write(self, text): return len(text)\n"
        "    def flush(self): pass\n"
        "    def fileno(self): return -1\n"
        "sys.stdout = sys.stderr = Capture()\n"
        "out = [r for batch in parsers.run_bounded([(os.getpid, ())], seconds=30) for r in batch]\n"
        "sys.__stdout__.write(f'{os.getpid()} {out[0][1]}\\n')\n"
    )
    got = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    parent, helper = got.stdout.split()
    assert helper != parent  # the call ran in a helper process, not here
    assert "unbounded" not in got.stderr


def test_nothing_a_helper_runs_reaches_the_terminal():
    """A reader's print, warning or log record in a parsing helper went to the process's real stdout and
    stderr, which under the TUI are the screen it draws on."""
    import subprocess
    import sys

    script = (
        "import logging, warnings\n"
        "from triage.sources import parsers\n"
        "calls = [(print, ('PRINTED',)), (warnings.warn, ('WARNED',)), (logging.warning, ('LOGGED',))]\n"
        "out = sorted(n for batch in parsers.run_bounded(calls, seconds=30) for n, _ in batch)\n"
        "print('done', out)\n"
    )
    got = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout == "done [0, 1, 2]\n"
    assert "WARNED" not in got.stderr and "LOGGED" not in got.stderr


def test_a_helper_stops_when_its_app_is_killed_mid_call():
    """A helper in the middle of a slow call went on to its end after the app was killed: no one was left
    to end it at its bound (a file that takes minutes kept a core busy for minutes)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = ("import time\nfrom triage.sources import parsers\n"
              "list(parsers.run_bounded([(time.sleep, (120,))], seconds=300))\n")
    app = subprocess.Popen([sys.executable, "-c", script])
    helper = None
    try:
        deadline = time.monotonic() + 60
        while helper is None and time.monotonic() < deadline:
            time.sleep(0.1)
            for task in os.listdir(f"/proc/{app.pid}/task"):
                with open(f"/proc/{app.pid}/task/{task}/children") as fh:
                    for kid in fh.read().split():
                        with open(f"/proc/{kid}/cmdline", "rb") as cmd:
                            line = cmd.read()
                        if b"spawn_main" in line and b"resource_tracker" not in line:
                            helper = int(kid)
        assert helper is not None, "no helper started"
        time.sleep(1.0)  # the call is running
    finally:
        app.kill()
        app.wait()

    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    gone_by = time.monotonic() + 20
    while running(helper) and time.monotonic() < gone_by:
        time.sleep(0.1)
    alive = running(helper)
    if alive:
        os.kill(helper, signal.SIGKILL)
    assert not alive, "the helper outlived its app"


def test_where_no_helper_starts_a_crashing_call_is_that_items_failure_only():
    """Parsed here when no helper process can start (an interpreter that will not run): a call that
    raised ended the whole run, and the outcomes of the calls after it were never given."""
    import subprocess
    import sys

    script = (
        "import multiprocessing\n"
        "from triage.sources import parsers\n"
        "multiprocessing.set_executable('/bin/false')\n"
        "calls = [(str.upper, ('a',)), (int, ('x',)), (str.upper, ('b',))]\n"
        "got = dict(r for batch in parsers.run_bounded(calls, seconds=30) for r in batch)\n"
        "print(got[0], type(got[1]).__name__, got[1].reason, got[2])\n"
    )
    got = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout == "A Failed the reader failed (ValueError) B\n"
