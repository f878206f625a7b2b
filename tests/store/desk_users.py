"""Desks and presence boards in another process, as another user: the object lives in a forked child
(which first drops to the given uid and gid when it runs as root) and is called through a pipe, so
what it writes is really that uid's, and two of them really race."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.colleague import as_user, shared_folder

OUTSIDER = 4242  # a uid and gid outside the desk's group
TIMEOUT = 120.0  # seconds a child may take to answer one call
AS_OUTSIDER = as_user(OUTSIDER)


def race(calls: Sequence[Callable[[], Any]], expected: type[BaseException]) -> list[Any]:
    """Start every call at one moment, each in its thread: what each returned, or the `expected`
    exception it raised (any other fails the test, as a result that is not there)."""
    results: list[Any] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = calls[i]()
        except expected as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def shared() -> Iterator[Path]:
    folder = shared_folder()
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


def _pack(exc: BaseException) -> tuple[str, str, tuple[Any, ...], Any]:
    args = tuple(a if isinstance(a, (str, int, float)) else str(a) for a in exc.args)
    return type(exc).__module__, type(exc).__qualname__, args, getattr(exc, "take", None)


def _unpack(packed: tuple[str, str, tuple[Any, ...], Any]) -> BaseException:
    module, name, args, take = packed
    try:
        cls = getattr(importlib.import_module(module), name)
        return cls(args[0], take) if take is not None else cls(*args)
    except Exception:  # noqa: BLE001 - a kind the parent cannot build: said as a RuntimeError
        return RuntimeError(f"{module}.{name}: {args}")


def _serve(conn: Any, factory: Callable[[], Any], uid: int | None, gid: int | None) -> None:
    try:
        if uid is not None:
            os.setgroups([])
            os.setgid(gid if gid is not None else uid)
            os.setuid(uid)
        obj = factory()
        conn.send(("ready", getattr(obj, "user", None), getattr(obj, "host", None), os.getpid()))
    except BaseException as exc:  # noqa: BLE001 - said to the parent
        conn.send(("err", _pack(exc)))
        return
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        kind, name, args, kwargs = msg
        try:
            value = getattr(obj, name)
            conn.send(("ok", value if kind == "get" else value(*args, **kwargs)))
        except BaseException as exc:  # noqa: BLE001 - said to the parent
            conn.send(("err", _pack(exc)))


class Remote:
    """An object made by `factory` in a forked child (as `uid` when given); its methods are called
    through a pipe and raise what the child raised."""

    def __init__(self, factory: Callable[[], Any], *, uid: int | None = None, gid: int | None = None) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, factory, uid, gid), daemon=True)
        self._proc.start()
        child.close()
        reply = self._receive()
        if reply[0] == "err":
            self._proc.join(5)
            raise _unpack(reply[1])
        _, self.user, self.host, self.pid = reply

    def get(self, name: str) -> Any:
        """An attribute or property of the object in the child."""
        return self._ask(("get", name, (), {}))

    def _receive(self) -> Any:
        if not self._conn.poll(TIMEOUT):
            self.kill()
            raise TimeoutError(f"the child process did not answer within {TIMEOUT} s")
        return self._conn.recv()

    def _ask(self, msg: tuple[str, str, tuple[Any, ...], dict[str, Any]]) -> Any:
        self._conn.send(msg)
        kind, value = self._receive()
        if kind == "err":
            raise _unpack(value)
        return value

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._ask(("call", name, args, kwargs))

    def kill(self) -> None:
        """SIGKILL the child: it leaves nothing behind on purpose."""
        os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.join(10)

    def stop(self) -> None:
        if self._proc.is_alive():
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._proc.join(10)
            if self._proc.is_alive():
                self.kill()
        self._conn.close()
