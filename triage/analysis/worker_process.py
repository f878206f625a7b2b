"""A worker process of the pool: it loads the model once and analyses the batches sent down its
pipe, sending back JSON-ready dicts, not spaCy Docs.

Forked when the parent has a single thread (the CLI: the loaded model is shared copy-on-write),
spawned otherwise (forking a threaded process is unsafe): a spawned worker loads the model itself.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from triage.infra.priority import ANALYSIS, lower_priority
from triage.infra.spawning import real_std_streams, silence

from .batching import Item, Outcome, isolated
from .cache import analysis_from_dict, analysis_to_dict
from .engine import Engine

__all__ = ["WorkerProcess"]


def _serve(conn, options: dict[str, Any], background: bool, forked: bool) -> None:
    """A worker process: load the model once, then analyse the batches it is sent until told to stop."""
    silence(stderr=not forked)
    if background:  # the screen first: the kernel runs the UI before the summaries
        lower_priority(ANALYSIS, whole_process=True)
    engine = Engine(**options)
    try:
        engine.pipeline()
        import gc

        gc.freeze()  # the model lives as long as the process: full GC passes skip it
        conn.send(("ready", engine.description()))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which says why
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        conn.send([(aid, analysis_to_dict(r) if r is not None else None, why)
                   for aid, r, why in isolated(engine.analyze_chunk, batch)])


class WorkerProcess:
    """One worker process and the pipe to it."""

    def __init__(self, options: dict[str, Any], background: bool) -> None:
        self.options = options
        self.background = background
        self.proc: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    def start(self, stop: threading.Event) -> str:
        """Start the process and wait until its model is loaded; returns "" or why it failed."""
        fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, self.options, self.background, fork),  # type: ignore[attr-defined]
                           daemon=True, name="triage-analysis")
        self.proc = proc
        with real_std_streams():
            proc.start()
        child.close()
        self.conn = parent
        got = self._recv(stop)
        if got is None:
            return "the analysis process stopped while loading the model"
        if got[0] == "failed":
            return f"the language model could not be loaded ({got[1]})"
        return ""

    def _recv(self, stop: threading.Event):
        conn, proc = self.conn, self.proc  # end() may clear them from another thread
        if conn is None:
            return None
        while not stop.is_set():
            try:
                if conn.poll(0.2):
                    return conn.recv()
            except (EOFError, OSError):
                return None
            if proc is not None and not proc.is_alive():
                try:
                    if conn.poll(0):
                        return conn.recv()
                except (EOFError, OSError):
                    pass
                return None
        return None

    def send(self, batch: list[Item]) -> bool:
        """Queue a batch in the process (it takes them in order); False when it has died."""
        conn = self.conn
        if conn is None:
            return False
        try:
            conn.send(batch)
        except (OSError, ValueError):
            return False
        return True

    def receive(self, stop: threading.Event) -> list[Outcome] | None:
        """The outcomes of the oldest batch sent, or None when the process died (or we are stopping)."""
        got = self._recv(stop)
        if got is None:
            return None
        return [(aid, analysis_from_dict(d) if d is not None else None, why) for aid, d, why in got]

    def run(self, batch: list[Item], stop: threading.Event) -> list[Outcome] | None:
        """Send a batch; its outcomes, or None when the process died (or we are stopping)."""
        return self.receive(stop) if self.send(batch) else None

    def ask_stop(self) -> None:
        """Ask the process to end after its current batch (returns at once)."""
        if self.conn is not None:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass

    def end(self, deadline: float) -> None:
        """Make sure the process has ended by `deadline` (time.monotonic()): killed if it has not."""
        if self.proc is not None:
            self.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(timeout=1.0)
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def stop(self, grace: float = 2.0) -> None:
        """Ask the process to end, then make sure it has (killed after `grace` seconds)."""
        self.ask_stop()
        self.end(time.monotonic() + grace)
