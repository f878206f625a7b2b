"""DuplicateIndex: near-duplicate candidates for one text at a time, from MinHash LSH kept in SQLite.

Adding a story costs work in proportion to that story, not to the corpus: its word 5-shingles are
hashed (numpy), a 60-value MinHash signature is taken, and its 20 LSH bands (3 values each) are looked
up in an indexed SQLite table. Candidates whose signatures agree on enough values are then scored
exactly on their shingles when their text is at hand (the caller passes `text_of`), else by the
signatures' estimate. Pairs at or above the threshold are stored as edges, so the next start
groups the inbox from the stored edges without comparing anything.

Why not datasketch: its MinHashLSH keeps every band bucket in Python dicts of sets (hundreds of MB
at 100,000 stories) and has no SQLite backend; the MinHash itself is a few lines of numpy.

Band choice: with r = 3 rows and b = 20 bands, a pair at Jaccard 0.6 becomes a candidate with
probability 1 - (1 - 0.6^3)^20 = 0.99 (0.93 at 0.5); unrelated stories (J < 0.1) almost never do.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from triage.infra.sqlitedb import open_index, transaction

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["BANDS", "DuplicateIndex", "jaccard_arrays", "minhash", "shingle_array"]

log = logging.getLogger(__name__)

ROWS = 3
BANDS = 20
NUM_PERM = ROWS * BANDS
_PRIME = (1 << 61) - 1
_PERMS: tuple[object, object] | None = None
# Shingle arrays kept across calls (about 2 KB a story): enough for the stories a new one is scored
# against during a load and for the day's arrivals, a bounded share of memory at any inbox size.
SHINGLE_CACHE_BYTES = 16 << 20


def _perms():
    global _PERMS
    if _PERMS is None:
        import numpy as np

        rng = np.random.RandomState(1)  # fixed: signatures are stored and compared across runs
        a = rng.randint(1, _PRIME, size=NUM_PERM, dtype=np.uint64)
        b = rng.randint(0, _PRIME, size=NUM_PERM, dtype=np.uint64)
        _PERMS = (a, b)
    return _PERMS


_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[\u0080-\U0010ffff]")  # any character beyond ASCII
_MIX = 0x9E3779B1  # odd multiplier for combining word hashes into shingle hashes
# ASCII bytes that are not word characters (as `\w` defines them) become spaces; the rest stay.
_SPLIT = bytes(c if c >= 0x80 or c == 0x5F or chr(c).isalnum() else 0x20 for c in range(256))
_IS_WORD: dict[str, bool] = {}  # non-ASCII character -> is it a `\w` character (few distinct ones)


def _words(text: str) -> list[bytes]:
    r"""The UTF-8 bytes of each `\w+` run of the case-folded text, as `_WORD.findall` would find them.

    The text is case-folded, its non-ASCII non-word characters turned into spaces (each distinct one
    replaced once), and the UTF-8 bytes split on a translation table: C-speed passes, no regex match
    per word."""
    folded = text.lower() if text.isascii() else text.casefold()
    if folded.isascii():
        return folded.encode("ascii").translate(_SPLIT).split()
    for ch in set(_NON_ASCII.findall(folded)):
        word = _IS_WORD.get(ch)
        if word is None:
            if len(_IS_WORD) > 100_000:
                _IS_WORD.clear()
            word = _IS_WORD[ch] = ch.isalnum()  # `\w` is alphanumeric or "_" (ASCII)
        if not word:
            folded = folded.replace(ch, " ")
    return folded.encode("utf-8", "surrogatepass").translate(_SPLIT).split()


def shingle_array(text: str, size: int = 5):
    """The distinct hashes of a text's word `size`-grams (case-folded), as a sorted numpy uint32 array.

    Each word is hashed (crc32 of its UTF-8) and the grams are combined with numpy."""
    import numpy as np

    words = _words(text)
    if not words:
        return np.zeros(0, dtype=np.uint32)
    wh = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    n = len(words) - size + 1
    if n <= 0:
        n, size = 1, len(words)
    mask = np.uint64(0xFFFFFFFF)
    sh = wh[0:n].copy()
    for k in range(1, size):
        sh *= np.uint64(_MIX)
        sh += wh[k:k + n]
        sh &= mask
    out = np.sort(sh.astype(np.uint32))
    if out.size > 1:  # distinct values (np.unique, without its hashing pass on small arrays)
        keep = np.empty(out.size, dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


def jaccard_arrays(a, b) -> float:
    """Jaccard similarity of two sorted arrays of distinct hashes."""
    import numpy as np

    if a.size == 0 or b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def minhash(hashes):
    """The MinHash signature (NUM_PERM uint32 values, numpy) of a set of 32-bit shingle hashes."""
    import numpy as np

    a, b = _perms()
    hv = np.asarray(hashes).astype(np.uint64)
    if hv.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    # Multiply-shift hashing: the high 32 bits of (a*h + b) mod 2^64 (no division: fast in numpy). The
    # shift is monotonic, so the minimum is taken first and only NUM_PERM values are shifted.
    values = np.multiply.outer(hv, a)
    values += b
    return (values.min(axis=0) >> np.uint64(32)).astype(np.uint32)


_BAND_PREFIX = [bytes([band]) for band in range(BANDS)]


def _band_keys(sig) -> list[int]:
    raw = sig.tobytes()
    width = ROWS * 4
    return [int.from_bytes(hashlib.blake2b(_BAND_PREFIX[band] + raw[band * width:(band + 1) * width],
                                           digest_size=8).digest(), "little", signed=True)
            for band in range(BANDS)]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sig (tk TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS band (key INTEGER NOT NULL, tk TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS band_key ON band (key);
CREATE TABLE IF NOT EXISTS edge (a TEXT NOT NULL, b TEXT NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (a, b)) WITHOUT ROWID;
"""


class DuplicateIndex:
    """Text keys with their MinHash bands and the near-duplicate edges found between them.

    Thread-safe (one lock around the connection). `path=None` keeps the index in memory. Any SQLite
    failure turns the file index into an in-memory one: the index is a speed-up, never a source of truth.
    """

    def __init__(self, path: Path | None, *, threshold: float = 0.6, shingle_size: int = 5) -> None:
        self.threshold = threshold
        self.shingle_size = shingle_size
        self._lock = threading.Lock()
        self._params = f"v2 t={threshold} s={shingle_size} r={ROWS} b={BANDS}"
        self.conn = open_index(path, self._prepare, "duplicate index")
        self._shingles: dict[str, NDArray[np.uint32]] = {}  # text key -> shingle array, oldest first
        self._shingle_bytes = 0

    def _prepare(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        conn.executescript(_SCHEMA)
        row = conn.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
        if row is None or row[0] != self._params:  # other threshold or bands: the stored edges do not apply
            conn.executescript("DELETE FROM sig; DELETE FROM band; DELETE FROM edge;")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('params', ?)", (self._params,))
        return conn

    # -- reading ---------------------------------------------------------------------------------
    def known(self, tks: Iterable[str]) -> set[str]:
        """Which of these text keys are indexed already."""
        wanted = list(dict.fromkeys(tks))
        out: set[str] = set()
        with self._lock:
            try:
                for i in range(0, len(wanted), 500):
                    part = wanted[i:i + 500]
                    q = f"SELECT tk FROM sig WHERE tk IN ({','.join('?' * len(part))})"
                    out.update(r[0] for r in self.conn.execute(q, part))
            except sqlite3.Error as exc:
                log.warning("duplicate index read failed: %s", exc)
        return out

    def edges(self) -> list[tuple[str, str]]:
        """Every stored near-duplicate pair (text keys); few: only duplicates have one."""
        with self._lock:
            try:
                return [(a, b) for a, b in self.conn.execute("SELECT a, b FROM edge")]
            except sqlite3.Error as exc:
                log.warning("duplicate index read failed: %s", exc)
                return []

    # -- adding ----------------------------------------------------------------------------------
    def add_many(self, items: Sequence[tuple[str, str]],
                 text_of: Callable[[str], str | None] | None = None) -> list[tuple[str, str]]:
        """Index (text key, text) pairs not indexed yet; returns the new near-duplicate edges found
        (against everything indexed before, and among the items themselves)."""
        if not items:
            return []
        todo: dict[str, str] = {}
        for tk, text in items:
            todo.setdefault(tk, text)
        known = self.known(todo)
        fresh = [(tk, text) for tk, text in todo.items() if tk not in known]
        if not fresh:
            return []
        found: list[tuple[str, str, float]] = []
        with self._lock:
            mine = {tk: self._shingles.get(tk) for tk, _text in fresh}
            for tk, text in fresh:
                if mine[tk] is None:
                    mine[tk] = self._remember(tk, shingle_array(text, self.shingle_size))
            sigs = {tk: minhash(sh) for tk, sh in mine.items()}
            keys = {tk: _band_keys(sig) for tk, sig in sigs.items()}

            def shingles_of(tk: str):
                got = mine.get(tk)
                if got is None:
                    got = self._shingles.get(tk)
                if got is None and text_of is not None:
                    text = text_of(tk)
                    if text is not None:
                        got = self._remember(tk, shingle_array(text, self.shingle_size))
                return got

            try:
                with transaction(self.conn) as conn:
                    stored = self._stored_bands(conn, {k for ks in keys.values() for k in ks})
                    self._load_sigs({c for tks in stored.values() for c in tks if c not in sigs}, sigs)
                    batch: dict[int, list[str]] = {}  # band key -> the items of this call already placed
                    for tk, _text in fresh:
                        candidates: set[str] = set()
                        for k in keys[tk]:
                            candidates.update(stored.get(k, ()))
                            candidates.update(batch.get(k, ()))
                            batch.setdefault(k, []).append(tk)
                        candidates.discard(tk)
                        found += self._pairs(tk, candidates, sigs, shingles_of)
                    conn.executemany("INSERT OR REPLACE INTO sig (tk, value) VALUES (?, ?)",
                                     [(tk, sigs[tk].tobytes()) for tk, _text in fresh])
                    conn.executemany("INSERT INTO band (key, tk) VALUES (?, ?)",
                                     [(k, tk) for tk, _text in fresh for k in keys[tk]])
                    conn.executemany("INSERT OR REPLACE INTO edge (a, b, score) VALUES (?, ?, ?)", found)
            except sqlite3.Error as exc:  # the pairs found still group this session; a later run finds them
                log.warning("duplicate index write failed: %s", exc)
        return [(a, b) for a, b, _s in found]

    def _pairs(self, tk: str, candidates: set[str], sigs: dict, shingles_of) -> list[tuple[str, str, float]]:
        """The candidates whose similarity with `tk` reaches the threshold: the signatures' estimate
        first (all candidates at once), the exact score on shingles only for those not far below it."""
        import numpy as np

        others = [c for c in candidates if c in sigs]
        if not others:
            return []
        agree = np.count_nonzero(np.stack([sigs[c] for c in others]) == sigs[tk], axis=1)
        estimates = (agree / NUM_PERM).tolist()
        floor = max(0.0, self.threshold - 0.2)
        out = []
        for other, estimate in zip(others, estimates, strict=True):
            if estimate < floor:
                continue
            theirs = shingles_of(other)
            score = jaccard_arrays(shingles_of(tk), theirs) if theirs is not None else estimate
            if score >= self.threshold:
                first, second = sorted((tk, other))
                out.append((first, second, score))
        return out

    def _remember(self, tk: str, shingles):
        """Keep a text's shingles for later calls (a story's near-duplicates are scored against them),
        the oldest dropped beyond SHINGLE_CACHE_BYTES."""
        self._shingles[tk] = shingles
        self._shingle_bytes += shingles.nbytes
        while self._shingle_bytes > SHINGLE_CACHE_BYTES and self._shingles:
            old = self._shingles.pop(next(iter(self._shingles)))
            self._shingle_bytes -= old.nbytes
        return shingles

    @staticmethod
    def _stored_bands(conn, keys: set[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        wanted = list(keys)
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            q = f"SELECT key, tk FROM band WHERE key IN ({','.join('?' * len(part))})"
            for key, tk in conn.execute(q, part):
                out.setdefault(key, []).append(tk)
        return out

    def _load_sigs(self, tks: set[str], into: dict) -> None:
        import numpy as np

        wanted = list(tks)
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            q = f"SELECT tk, value FROM sig WHERE tk IN ({','.join('?' * len(part))})"
            for tk, blob in self.conn.execute(q, part):
                into[tk] = np.frombuffer(blob, dtype=np.uint32)

    def close(self) -> None:
        """Close the connection (one already broken is simply let go)."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self.conn.close()
