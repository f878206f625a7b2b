"""The inbox as the service reads it: the folders and the feed spool, loaded progressively into the
catalog, merged as files and feeds change, with the progress and problems of reading."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.core.events import ArticlesChanged, LoadProgress, Notice, ServiceEvent, StatusText
from triage.infra.priority import READING, lower_priority
from triage.model import Article, Problem

if TYPE_CHECKING:
    from triage.catalog.catalog import Catalog, Change
    from triage.config import Settings
    from triage.sources.base import IngestResult
    from triage.sources.fetch import Progress

__all__ = ["Inbox", "feed_tags", "settle_memory"]

log = logging.getLogger(__name__)

# SETTLE_ABOVE: above this many stories, what is loaded is taken out of the garbage collector's full
# passes. HOLD_SECONDS: how long a held load waits after its first batch for the screen to paint it
# (hold_after_first). FIRST_SCREEN: how many of the rows the list leads with are kept for the next
# start's first batch (keep_first_screen): a tall terminal's screenful, the loader's first cached batch.
SETTLE_ABOVE, HOLD_SECONDS, FIRST_SCREEN = 2000, 2.0, 240


class Inbox:
    """Reads the inbox into the catalog. `prepare` runs before a load; `changed(change)` after every
    batch or merge that changed something (the service queues analysis and keeps version links)."""

    def __init__(
        self,
        settings: Settings,
        folders: Sequence[Path],
        catalog: Catalog,
        *,
        emit: Callable[[ServiceEvent], None],
        prepare: Callable[[], None],
        changed: Callable[[Change], None],
    ) -> None:
        self._settings = settings
        self.folders: tuple[Path, ...] = tuple(folders)
        self._catalog = catalog
        self._emit = emit
        self._prepare = prepare
        self._changed = changed
        self._indexes_open = False
        self.progress = (0, 0, False)  # files read, files in all, finished
        self._loading: Future[None] | None = None
        self._resume = threading.Event()
        self._resume.set()

    # -- options ---------------------------------------------------------------------------------
    def load_options(self) -> dict[str, Any]:
        from triage.sources.scan import scan_options

        return {
            **scan_options(asdict(self._settings.sources)),
            "cache_path": self._settings.data_dir / "ingest-cache.sqlite",
        }

    def watch_options(self) -> dict:
        return {**self.load_options(), "debounce_ms": self._settings.watch.debounce_ms}

    def _paths(self) -> list[Path]:
        paths: list[Path] = list(self.folders)
        spool = self._settings.data_dir / "spool"
        if self._settings.feeds and spool.is_dir() and self._spool_is_ours(spool):
            paths.append(spool)
        return paths

    def _spool_is_ours(self, spool: Path) -> bool:
        """The spool is read as the user's feeds only when it and the data folder are private (another
        user could plant stories there otherwise); the fetcher refuses to write there in that case."""
        from triage.infra.private import check_private_dir

        group = self._settings.store.group_share
        try:
            check_private_dir(self._settings.data_dir, group=group)
            check_private_dir(spool, group=group)
        except OSError as exc:
            log.warning("feed spool not read: %s: %s", exc.filename or spool, exc.strerror or exc)
            return False
        return True

    def open_indexes(self) -> None:
        """The near-duplicate and search indexes beside the other caches (opened once)."""
        if self._indexes_open:
            return
        self._indexes_open = True
        from triage.catalog.dupindex import DuplicateIndex
        from triage.catalog.search import SearchIndex

        src = self._settings.sources
        threshold = src.duplicate_threshold
        data = self._settings.data_dir
        dups = (
            DuplicateIndex(
                data / "duplicates.sqlite", threshold=threshold, shingle_size=src.shingle_size
            )
            if threshold > 0
            else None
        )
        self._catalog.attach(duplicates=dups, search=SearchIndex(data / "search-index.sqlite"))

    # -- loading ---------------------------------------------------------------------------------
    def load(self) -> None:
        """Read every folder and the feed spool, progressively: each batch is in the catalog (and
        told to listeners) as soon as it is read; problems are kept, never raised."""
        from triage.sources.loader import iter_load

        # numpy (the near-duplicate signatures) imports in a thread while the folders are scanned, not
        # after. A warm start's first batch comes from the ingest cache and needs no numpy: then it
        # imports once that batch is shown, as it would hold the interpreter while the screen starts.
        want_numpy = not self._indexes_open and self._settings.sources.duplicate_threshold > 0
        if want_numpy and not Path(self.load_options()["cache_path"]).exists():
            want_numpy = False
            _import_numpy()
        self.open_indexes()
        self._prepare()
        first = True
        done = total = 0
        catalog = self._catalog
        for part in iter_load(self._paths(), **self.load_options()):
            if first:  # a reload replaces what was there
                change = catalog.replace(part.articles, part.problems)
                first = False
            else:
                change = catalog.add(part.articles, part.problems)
            if len(catalog) >= SETTLE_ABOVE:
                settle_memory()
            done, total = part.done, part.total
            self.progress = (done, total, False)
            self._emit(LoadProgress(done, total))
            self._told(change, loading=True)
            if len(catalog) and (want_numpy or not self._resume.is_set()):
                # The screen paints the first stories before the next batch competes with it for the
                # interpreter (a held load; see hold_after_first).
                self._resume.wait(HOLD_SECONDS)
                self._resume.set()
                if want_numpy:
                    want_numpy = False
                    _import_numpy()
        if first:
            catalog.replace([])
        self.progress = (done, total, True)
        if len(catalog) >= SETTLE_ABOVE:
            settle_memory()
        if self._loading is None:  # loaded by hand (CLI, tests): start_loading() must not read again
            self._loading = Future()
            self._loading.set_result(None)
        self._emit(LoadProgress(done, total, finished=True))

    def _told(self, change: Change, *, loading: bool = False) -> None:
        self._changed(change)
        if change:
            self._emit(ArticlesChanged(change, loading=loading))

    def keep_first_screen(self, ids: Sequence[str]) -> None:
        """Keep the files of these stories (the list's first rows, in order) in the ingest cache: the
        next start reads them before any other, so its first screen is the one the full list shows."""
        from triage.sources.cache import IngestCache

        paths: dict[str, None] = {}
        for aid in ids[:FIRST_SCREEN]:
            art = self._catalog.article(aid)
            if art is not None and art.path:
                paths[art.path] = None
        # a cache nicety: another process writing the cache is not waited for more than a moment
        cache = IngestCache(Path(self.load_options()["cache_path"]), timeout=0.5)
        try:
            cache.set_first_screen(list(paths))
        finally:
            cache.close()

    def hold_after_first(self) -> None:
        """Make the next load wait after its first batch until resume() (at most HOLD_SECONDS): a
        screen that is starting paints that batch first, without the rest of the inbox competing with
        it for the interpreter (a warm start's first screenful comes from the cache in tens of ms)."""
        self._resume.clear()

    def resume(self) -> None:
        """The screen has painted: a held load goes on."""
        self._resume.set()

    def start_loading(self) -> Future[None]:
        """Begin load() in a background thread (once); the app starts up meanwhile."""
        if self._loading is None:
            fut: Future[None] = Future()
            self._loading = fut

            def run() -> None:
                lower_priority(READING)
                try:
                    self.load()
                except Exception as exc:
                    log.exception("loading failed")
                    self._emit(Notice(f"Could not load the inbox: {exc}", "error"))
                    self.progress = (self.progress[0], self.progress[1], True)
                    self._emit(LoadProgress(self.progress[0], self.progress[1], finished=True))
                    fut.set_exception(exc)
                else:
                    fut.set_result(None)

            threading.Thread(target=run, daemon=True, name="triage-load").start()
        return self._loading

    def loaded_already(self) -> None:
        """The articles were set by hand: start_loading() must not read the folders."""
        if self._loading is None:
            self._loading = Future()
            self._loading.set_result(None)

    def set_articles(self, articles: Iterable[Article], problems: Iterable[Problem] = ()) -> None:
        self.open_indexes()
        self._catalog.replace(articles, problems)
        self.progress = (len(self._catalog), len(self._catalog), True)

    def known_paths(self) -> set[str]:
        """Every file the catalog holds a story or a problem of (walks the catalog: a worker's job)."""
        stories = {a.path for a in self._catalog.articles() if a.path}
        return stories | {p.where for p in self._catalog.problems}

    def merge(
        self, articles: Iterable[Article], problems: Iterable[Problem] = (), removed_paths: Iterable[str] = ()
    ) -> list[str]:
        """Add or update articles, drop those of removed files; the ids new or changed (any thread)."""
        self.open_indexes()
        change = self._catalog.add(articles, problems, removed_paths)
        self._told(change)
        return change.changed

    # -- feeds -----------------------------------------------------------------------------------
    def fetch_feeds(self, progress: Progress | None = None) -> IngestResult:
        """Fetch the configured feeds once (a worker thread); returns the IngestResult (not merged)."""
        from triage.sources.fetch import fetch_feeds, fetch_options

        options = fetch_options(
            asdict(self._settings.fetch), group_share=self._settings.store.group_share,
            parse_seconds=self._settings.sources.parse_seconds,
        )
        return fetch_feeds(
            self._settings.feeds, self._settings.data_dir / "spool", progress=progress, **options
        )

    def refresh_feeds(self) -> list[str]:
        """Fetch the feeds and merge what they hold (a worker thread); the new or changed ids."""

        def progress(done: int, total: int, name: str = "") -> None:
            self._emit(StatusText(f"fetching feeds {done}/{total}" if done < total else ""))

        result = self.fetch_feeds(progress=progress)
        return self.merge(result.articles, result.problems)


def _import_numpy() -> None:
    threading.Thread(target=lambda: __import__("numpy"), daemon=True, name="triage-import").start()


def settle_memory() -> None:
    """After loading a batch: the stories live as long as the app, so take what exists now out of the
    cyclic garbage collector's full passes (gc.freeze, O(1); a gc.collect would itself hold the
    interpreter). Those passes walk every object and froze the screen several times a minute."""
    import gc

    gc.freeze()


def feed_tags(settings: Settings) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Feed name -> its tags, and spool file name -> its tags (from the feeds configuration), for the
    source filter (a feed without a name of its own is known by its spool file)."""
    names: dict[str, tuple[str, ...]] = {}
    files: dict[str, tuple[str, ...]] = {}
    if not settings.feeds:
        return names, files
    from triage.sources.fetch import spool_slug
    from triage.sources.registry import SPOOL_SUFFIX

    for feed in settings.feeds:
        url, name = str(feed.get("url") or ""), str(feed.get("name") or "")
        raw = feed.get("tags") or ()
        tags = tuple(str(t) for t in raw) if isinstance(raw, list | tuple) else ()
        if name:
            names[name] = tags
        if url:
            files[spool_slug(url, name) + SPOOL_SUFFIX] = tags
    return names, files
