"""Subprocess writer for the store tests: decides events and prints each id once the call has returned.

usage: writer.py DB PREFIX COUNT [--compact-every N] [--fsize-limit BYTES]
DB is a TinyDB file or a postgresql:// URL (its user is then the writer, whatever --user says).
COUNT 0 means forever (the kill loop). A printed line is an acknowledged (durable) event.
With --fsize-limit the process may not grow files past BYTES (RLIMIT_FSIZE, SIGXFSZ ignored): writes
fail with EFBIG like on a full disk; the writer then reports the pending count, lifts the limit and retries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import time

from triage.store import PendingWriteError
from triage.store.open import open_store


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("--compact-every", type=int, default=1000)
    parser.add_argument("--fsize-limit", type=int, default=0)
    parser.add_argument("--user", default="writer")
    parser.add_argument("--start-when", default="", help="wait until this file exists (a start barrier)")
    parser.add_argument("--wait-for", default="", help="decide once, wait until this file exists, retry")
    parser.add_argument("--read-until", default="",
                        help="only refresh until this file exists; print the view")
    args = parser.parse_args()
    decisions = ("follow-up", "archive", "flag")
    store = open_store(args.db, compact_every=args.compact_every, user=args.user)
    if args.fsize_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, resource.RLIM_INFINITY))
        try:
            store.decide(f"{args.prefix}-0", "flag", "over the limit")
            print("saved", flush=True)
        except PendingWriteError as exc:
            print(f"pending {store.pending} {store.current(f'{args.prefix}-0').decision.value}", flush=True)
            print(f"error {exc}", flush=True)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        print(f"retry {store.retry_pending()}", flush=True)
        store.close()
        return 0
    while args.start_when and not os.path.exists(args.start_when):
        time.sleep(0.005)
    if args.read_until:  # a reader (an open TUI): refresh until told to stop, then print its view
        refreshes = 0
        while not os.path.exists(args.read_until):
            store.refresh()
            refreshes += 1
        store.refresh()
        view = [(e.article_id, e.decision.value if e.decision else None) for e in store.query(history=True)]
        journal = getattr(store, "_journal", None)  # the TinyDB file's own count
        loads = journal.storage.full_loads if journal is not None else 0
        print(json.dumps({"refreshes": refreshes, "view": view, "full_loads": loads}))
        store.close()
        return 0
    if args.wait_for:  # one decision that may not be writable yet; retried once the test says so
        try:
            store.decide(f"{args.prefix}-1", "flag", "while denied")
            print("saved", flush=True)
        except PendingWriteError as exc:
            print(f"pending {store.pending} {store.current(f'{args.prefix}-1').decision.value}", flush=True)
            print(f"error {exc}", flush=True)
        while not os.path.exists(args.wait_for):
            time.sleep(0.01)
        print(f"retry {store.retry_pending()}", flush=True)
        store.close()
        return 0
    n = 0
    while args.count == 0 or n < args.count:
        n += 1
        store.decide(f"{args.prefix}-{n}", decisions[n % 3], f"note {n}")
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
