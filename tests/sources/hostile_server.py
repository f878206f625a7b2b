"""A hostile HTTP server on 127.0.0.1 for the host-attack tests: raw sockets, so it can send headers a
byte at a time or bodies no well-behaved server would. Bounded: it serves at most `max_requests`
connections, each handler's loop is bounded by the test, and it stops by itself after `lifetime` s."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Handler = Callable[[socket.socket, bytes], None]


class HostileServer:
    """Routes by request path; records every path asked for (`hits`)."""

    def __init__(self, routes: dict[str, Handler], *, max_requests: int = 50, lifetime: float = 60) -> None:
        self.routes = routes
        self.hits: list[str] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._max = max_requests
        self._until = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        served = 0
        while not self._stop.is_set() and served < self._max and time.monotonic() < self._until:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            served += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()
        self._sock.close()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode("latin-1")
            self.hits.append(path)
            handler = self.routes.get(path.split("?", 1)[0])
            if handler is None:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                handler(conn, request)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def respond(body: bytes, *, status: str = "200 OK", headers: dict[str, str] | None = None) -> Handler:
    """A handler sending one complete response."""

    def handler(conn: socket.socket, _request: bytes) -> None:
        head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
        conn.sendall(f"HTTP/1.1 {status}\r\n{lines}\r\n".encode("latin-1") + body)

    return handler
