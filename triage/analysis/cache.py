"""On-disk cache of analyses: one SQLite file, keyed by content hash + model + summariser settings.

SQLite (stdlib) gives atomic, concurrent-safe writes from several processes. Everything is read
once, lazily, into a dict so `get` is a dict lookup. A file that is not a readable cache is moved
aside with a warning and a new one is started: never fatal.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from triage.infra.sqlitedb import make_private_file

from ..model import Analysis, Entity

__all__ = ["AnalysisCache", "analysis_from_dict", "analysis_to_dict", "analysis_key", "summaries_by_hash"]

log = logging.getLogger(__name__)
_SCHEMA = 1


def analysis_key(title: str, text: str) -> str:
    """The cache key of a text whose article carries no `content_hash` (the sources' version hash)."""
    return hashlib.sha256(f"{title}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def analysis_to_dict(a: Analysis) -> dict[str, Any]:
    """A JSON-ready dict of an Analysis."""
    d = asdict(a)
    d["entities"] = {k: [[e.text, e.count, list(e.variants)] for e in v] for k, v in a.entities.items()}
    return d


def _entity(text: str, kind: str, count: int, variants: tuple[str, ...]) -> Entity:
    """An Entity without the frozen-dataclass __init__ (five times faster; the cache decodes many)."""
    e = object.__new__(Entity)
    e.__dict__.update(text=text, kind=kind, count=count, variants=variants)
    return e


def analysis_from_dict(d: dict[str, Any]) -> Analysis:
    """The Analysis a dict from analysis_to_dict describes."""
    entities = {k: tuple([_entity(t, k, c, tuple(v) if v else ()) for t, c, v in es])
                for k, es in d["entities"].items()}
    return Analysis(
        summary=tuple(d["summary"]),
        spans=tuple([(a, b) for a, b in d["spans"]]),
        entities=entities,
        key_terms=tuple(d.get("key_terms", ())),
        model=d.get("model", ""),
        entities_available=bool(d.get("entities_available", True)),
        reading_minutes=float(d.get("reading_minutes", 0.0)),
    )


class AnalysisCache:
    """Analyses by key in a SQLite file (or only in memory: path None, unless keep_in_memory is False)."""

    def __init__(self, path: Path | None, keep_in_memory: bool = True):
        self.path = Path(path) if path else None
        self.keep_in_memory = keep_in_memory
        self._mem: dict[str, Analysis] | None = None
        self._raw: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._lock = threading.RLock()

    # -- reading
    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        make_private_file(self.path)  # it holds the summary of every story read: 0600 in a 0700 folder
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        con.execute("CREATE TABLE IF NOT EXISTS analyses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(_SCHEMA),))
        row = con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row and row[0] != str(_SCHEMA):
            con.execute("DELETE FROM analyses")
            con.execute("UPDATE meta SET value=? WHERE key='schema'", (str(_SCHEMA),))
        con.commit()
        return con

    def _discard(self, why: Exception) -> None:
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        log.warning("analysis cache %s is unreadable (%s); moved aside to %s and starting a new one",
                    self.path, why, aside.name)
        try:
            os.replace(self.path, aside)
        except OSError:
            try:
                self.path.unlink()
            except OSError:
                pass
        for extra in ("-journal", "-wal", "-shm"):
            try:
                Path(f"{self.path}{extra}").unlink()
            except OSError:
                pass

    def _load(self) -> dict[str, str]:
        if self.path is None:
            return {}
        for attempt in range(2):
            try:
                with self._connect() as con:
                    rows = con.execute("SELECT key, value FROM analyses").fetchall()
                con.close()
                return dict(rows)
            except sqlite3.DatabaseError as exc:  # not a database, malformed, ...
                if attempt:
                    log.warning("analysis cache %s cannot be used (%s); caching in memory only",
                                self.path, exc)
                    self.path = None
                    return {}
                self._discard(exc)
        return {}

    def _ensure(self) -> None:
        if self._mem is None:
            with self._lock:
                if self._mem is None:
                    self._raw = self._load()
                    self._mem = {}

    def get(self, key: str) -> Analysis | None:
        """The cached Analysis for key, or None (the file is read on the first call)."""
        self._ensure()
        assert self._mem is not None
        a = self._mem.get(key)
        if a is None:
            raw = self._raw.get(key)
            if raw is None:
                return None
            enabled = gc.isenabled()
            gc.disable()  # decoding allocates many small objects: no collection passes meanwhile (3x faster)
            try:
                a = analysis_from_dict(json.loads(raw))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("analysis cache entry %s is unreadable (%s); it will be recomputed", key, exc)
                self._raw.pop(key, None)
                return None
            finally:
                if enabled:
                    gc.enable()
            self._mem[key] = a
        return a

    def has(self, key: str) -> bool:
        """True when an analysis is cached under key (nothing is decoded)."""
        self._ensure()
        return key in self._raw or bool(self._mem and key in self._mem)

    def put(self, key: str, analysis: Analysis) -> None:
        """Remember an analysis (written to disk by flush)."""
        self._ensure()
        assert self._mem is not None
        with self._lock:
            if self.path is not None:
                # kept as JSON (compact); parsed again, once, when asked for
                self._pending[key] = json.dumps(analysis_to_dict(analysis), ensure_ascii=False)
                self._raw[key] = self._pending[key]
                self._mem.pop(key, None)
            elif self.keep_in_memory:
                self._mem[key] = analysis

    def __len__(self) -> int:
        self._ensure()
        return len(set(self._raw) | set(self._mem or {}))

    def _write(self, items: list[tuple[str, str]]) -> None:
        """Insert or replace these entries in one transaction."""
        con = self._connect()
        with con:
            con.executemany("INSERT OR REPLACE INTO analyses VALUES (?, ?)", items)
        con.close()

    def flush(self) -> None:
        """Write pending entries in one transaction; other processes' entries are kept."""
        with self._lock:
            if not self._pending or self.path is None:
                self._pending.clear()
                return
            items = list(self._pending.items())
            try:
                self._write(items)
            except sqlite3.DatabaseError as exc:
                self._discard(exc)
                try:
                    self._write(items)
                except sqlite3.Error as exc2:
                    log.warning("analysis cache %s cannot be written (%s)", self.path, exc2)
                    return
            except sqlite3.Error as exc:  # locked for too long, disk full: keep them pending
                log.warning("analysis cache %s cannot be written now (%s)", self.path, exc)
                return
            self._raw.update(items)
            self._pending.clear()


def summaries_by_hash(path: Path, hashes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Summary sentences cached for these content hashes, without loading an inbox or a model and
    without writing: the file is opened read-only (missing or unreadable: {}). Of several analyses of
    one text (another model, summariser or language) the one written last is taken; entries made
    for a length asked for once (a `|k` key) are left out."""
    wanted = {h for h in hashes if h}
    if not wanted or not path.is_file():
        return {}
    found: dict[str, tuple[int, str]] = {}
    rows: list[tuple[int, str, str]] = []
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:  # each hash's keys ("<hash>|...") through the key's index, not the whole cache read
            for digest in wanted:
                rows += con.execute("SELECT rowid, key, value FROM analyses WHERE key > ? AND key < ?",
                                    (f"{digest}|", f"{digest}}}")).fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("analysis cache %s cannot be read (%s)", path, exc)
        return {}
    for rowid, key, value in rows:
        parts = str(key).split("|")
        if parts[0] in wanted and len(parts) == 4 and rowid > found.get(parts[0], (-1, ""))[0]:
            found[parts[0]] = (rowid, value)
    out: dict[str, tuple[str, ...]] = {}
    for digest, (_, value) in found.items():
        try:
            summary = json.loads(value)["summary"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(summary, list) and all(isinstance(s, str) for s in summary):
            out[digest] = tuple(summary)
    return out
