"""Connecting to PostgreSQL by one rule for the decision store and the desk: a URL made into libpq's
conninfo, a connection checked before use, a failure told in one line, a dead connection closed quietly.
"""

from __future__ import annotations

import getpass
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from triage.infra.sanitize import sanitize_line
from triage.store.errors import StoreError
from triage.store.pg.conninfo import UrlError, check_url, display_name
from triage.store.pg.schema import check_schema

__all__ = ["STATEMENT_TIMEOUT", "Health", "close_quietly", "locate", "login_name", "open_checked", "reason",
           "notified_id", "refresh_without_waiting", "waiting_payloads"]

STATEMENT_TIMEOUT = "5s"  # a write waits no longer (unless the URL's options set statement_timeout)
IDLE_IN_TRANSACTION = "15s"  # a session idle inside a transaction this long is ended by the server
SAFETY_SECONDS = 5.0  # refresh() asks the server for new rows at least this often
RECONNECT_SECONDS = 0.5  # refresh() tries a lost server no more often than this


def login_name() -> str:
    """This process's login name, or its uid where there is none (containers without a passwd entry)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no USER/LOGNAME and no passwd entry (containers)
        return str(os.getuid())


def locate(url: str, connect_timeout: float, application: str) -> tuple[str, str, str]:
    """(name people may see, libpq conninfo, the user until the server says) for a URL; UrlError."""
    check_url(url)
    name = display_name(url)
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:  # libpq's reason may quote the URL: not repeated
        raise UrlError(f"{name}: not a PostgreSQL URL libpq can read.") from None
    params.setdefault("connect_timeout", str(max(1, round(connect_timeout))))
    params.setdefault("application_name", application)
    # A TCP peer that goes silent (a laptop asleep, a cable pulled) is noticed in about 30 s, not the
    # kernel's 2 hours (libpq ignores these on a Unix socket).
    for key, value in (("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
                       ("keepalives_count", "4"), ("tcp_user_timeout", "30000")):
        params.setdefault(key, value)
    return name, make_conninfo("", **params), str(params.get("user") or login_name())


def open_checked(conninfo: str, name: str) -> tuple[psycopg.Connection[Any], str]:
    """A checked autocommit connection (statement timeout, schema) and the role it logged in as."""
    conn = psycopg.connect(conninfo, autocommit=True)
    try:
        if "statement_timeout" not in conninfo:
            conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        # A client stopped inside a transaction (SIGSTOP, a debugger) must not hold the desk's
        # advisory lock, and with it every editor's writes, until it runs again.
        conn.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
        check_schema(conn, name)
        row = conn.execute("SELECT current_user").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn, str(row[0]) if row and isinstance(row[0], str) else ""


def reason(exc: BaseException, cancelled: str) -> str:
    """A failure in one line: the server's or libpq's first line (which never holds a password);
    `cancelled` is what a statement timeout meant to the caller."""
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, pg_errors.QueryCanceled):
        return cancelled
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.OperationalError) and " failed: " in first:
        # libpq: 'connection failed: connection to server at "h", port p failed: <why>': the why is what helps
        why = first.rpartition(" failed: ")[2].removeprefix("FATAL:").strip()
        if "certificate verify failed" in why:
            why = f"its TLS certificate is not signed by a CA that sslrootcert trusts ({why})"
        elif "does not match host name" in why:
            why = f"its TLS certificate names another host ({why})"
        first = f"cannot connect to the server: {why}"
    return sanitize_line(first)[:300] or type(exc).__name__


def close_quietly(conn: psycopg.Connection[Any] | None) -> None:
    """Close a connection that may be gone already."""
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - already gone
            pass


def waiting_payloads(conn: psycopg.Connection[Any] | None, what: str) -> list[str]:
    """The payloads of the notifications waiting on a connection's socket, read without a round trip;
    OperationalError when `what` (the connection, as the caller calls it) is gone."""
    if conn is None or conn.closed or conn.broken:
        raise psycopg.OperationalError(f"{what} is gone")
    pgconn = conn.pgconn
    pgconn.consume_input()
    payloads = []
    while (note := pgconn.notifies()) is not None:
        payloads.append(note.extra.decode("ascii", "replace"))
    return payloads


def notified_id(payload: str) -> int | None:
    """The row id a notification names, or None for a payload that is not one (any role may NOTIFY:
    thousands of digits, or digits that are not ASCII, are not ids and never raise)."""
    if payload.isascii() and payload.isdigit() and len(payload) <= 19:
        return int(payload)
    return None


class Health:
    """A connection's state as the UI shows it, one rule for the store and the desk: the latest
    failure in one line (logged once while it stays the same, not at every poll), and the pace at
    which refresh() tries a lost server again and asks a live one for new rows."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what  # the log line's subject ("PostgreSQL store")
        self.last_error = ""  # the reason of the latest failed call ("" after one that worked)
        self._next_try = 0.0
        self._next_check = 0.0

    def failed(self, error: str) -> None:
        """Note a failure (`error` is its one line, naming the server)."""
        if error != self.last_error:  # a server that stays away is logged once, not every poll
            self._log.warning("%s %s", self._what, error)
        self.last_error = error

    def worked(self) -> None:
        self.last_error = ""

    def may_try(self, now: float) -> bool:
        """True when a lost server may be tried again at `now` (time.monotonic()); starts the wait."""
        if now < self._next_try:
            return False
        self._next_try = now + RECONNECT_SECONDS
        return True

    def check_due(self, now: float) -> bool:
        """True when a live server is due to be asked for new rows even without a notification."""
        return now >= self._next_check

    def checked(self, now: float) -> None:
        """New rows were read at `now`: the next safety check is a while off."""
        self._next_check = now + SAFETY_SECONDS


def refresh_without_waiting(mutex: threading.RLock, *, closed: Callable[[], bool],
                            step: Callable[[float], None], failed: Callable[[BaseException], None],
                            news: Callable[[], bool]) -> bool:
    """refresh()'s one outline: never waits for a write in progress on another thread (that write takes
    in the news itself); `step(now)` reconnects at its Health's pace or reads what is new; a failure is
    `failed`; then `news()` says whether others' rows arrived."""
    if not mutex.acquire(blocking=False):
        return False
    try:
        if closed():
            return False
        try:
            step(time.monotonic())
        except (psycopg.Error, StoreError) as exc:
            failed(exc)
        return news()
    finally:
        mutex.release()
