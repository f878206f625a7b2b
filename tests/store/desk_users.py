"""Desks and presence boards in another process, as another user: the object lives in a forked child
(which first drops to the given uid and gid when it runs as root) and is called through a pipe, so
what it writes is really that uid's, and two of them really race."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

NOBODY = 65534  # the second member of the desk (its group, gid 65534, is the desk's)
OUTSIDER = 4242  # a uid and gid outside the desk's group

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root (and setpriv) to act as another user")
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
AS_OUTSIDER = ["setpriv", f"--reuid={OUTSIDER}", f"--regid={OUTSIDER}", "--clear-groups"]


def shared_folder() -> Path:
    """A folder the desk's group (gid 65534) shares, setgid 2770, in a temp folder others may enter."""
    top = Path(tempfile.mkdtemp(prefix="triage-desk-"))
    top.chmod(0o755)
    shared = top / "desk"
    shared.mkdir()
    os.chown(shared, os.geteuid(), NOBODY)
    shared.chmod(0o2770)
    return shared


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
        reply = self._conn.recv()
        if reply[0] == "err":
            self._proc.join(5)
            raise _unpack(reply[1])
        _, self.user, self.host, self.pid = reply

    def get(self, name: str) -> Any:
        """An attribute or property of the object in the child."""
        return self._ask(("get", name, (), {}))

    def _ask(self, msg: tuple[str, str, tuple[Any, ...], dict[str, Any]]) -> Any:
        self._conn.send(msg)
        kind, value = self._conn.recv()
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
