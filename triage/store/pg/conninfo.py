"""PostgreSQL locations: which settings name a server, how one is named to people, what libpq gets.

A location is a ``postgresql://`` URL (libpq's: host, port, dbname, user and query parameters such as
sslmode, service, options). Passwords come from libpq's own places (.pgpass, PGPASSFILE, a service
file): a URL that carries one is refused, and no message ever shows one. Pure Python: a plain install
without the driver still names the URL it could not open.
"""

from __future__ import annotations

import hashlib
import os
from urllib.parse import parse_qsl, unquote, urlsplit

from triage.infra.sanitize import sanitize_line

__all__ = ["SERVER_SCHEMES", "UrlError", "check_url", "display_name", "is_server_url", "rescue_key"]

SERVER_SCHEMES = ("postgresql://", "postgres://")
_SECRET_PARAMS = {"password", "passfile_contents", "sslpassword"}
_NAMED_PARAMS = ("service", "sslmode")  # shown in a name: they tell two stores apart, hide nothing


class UrlError(ValueError):
    """A PostgreSQL URL that cannot be used as it is (the message never repeats a password)."""


def is_server_url(location: str | os.PathLike[str]) -> bool:
    """True when `location` names a PostgreSQL server rather than a decisions file."""
    return isinstance(location, str) and location.strip().lower().startswith(SERVER_SCHEMES)


def display_name(url: str) -> str:
    """The URL as people may see it: scheme, user, host, port, database, service; never a password."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://(unreadable URL)"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    if host and ":" in host:
        host = f"[{host}]"
    path = unquote(parts.path or "")
    shown = [f"{k}={v}" for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in _NAMED_PARAMS]
    query = f"?{'&'.join(shown)}" if shown else ""
    return sanitize_line(f"postgresql://{user}{host}{port}{path}{query}")


def check_url(url: str) -> None:
    """UrlError when a URL holds a password (in the user part or as a parameter) or does not parse."""
    name = display_name(url)
    try:
        parts = urlsplit(url.strip())
        secret = parts.password is not None
        params = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError:
        raise UrlError(f"{name}: not a PostgreSQL URL libpq can read.") from None
    if secret or params & _SECRET_PARAMS:
        raise UrlError(f"{name}: a password in the URL is refused (it would show in process lists and "
                       f"shell history); keep it in ~/.pgpass, PGPASSFILE or a service file.")


def rescue_key(url: str) -> str:
    """A file-name-safe key for a server's rescue file: the same for the same user, host and database."""
    return "postgresql-" + hashlib.sha256(display_name(url).encode("utf-8")).hexdigest()[:16]
