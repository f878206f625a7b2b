"""Settings: config/default.toml < user config file < environment < command-line flags, validated once."""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["RANGES", "ConfigError", "Settings", "default_config_text", "feeds_file_for", "load_settings",
           "user_config_path"]

APP_NAME = "triage"


class ConfigError(Exception):
    """A configuration file that cannot be read or holds a value of the wrong kind."""


def default_config_text() -> str:
    """The text of the shipped config/default.toml (package data triage.config_default)."""
    try:
        return resources.files("triage.config_default").joinpath("default.toml").read_text(encoding="utf-8")
    except ModuleNotFoundError:  # a source tree on sys.path that was never installed
        return (Path(__file__).resolve().parents[1] / "config" / "default.toml").read_text(encoding="utf-8")


def user_config_path() -> Path:
    """Where a user's own config file is looked for (platformdirs user config dir)."""
    from platformdirs import user_config_path as _ucp

    return _ucp(APP_NAME) / "config.toml"


# Numbers that must lie in a range: (smallest, largest), both allowed. 0 never means "no limit".
RANGES: dict[str, tuple[float, float]] = {
    "sources.max_file_bytes": (1, 2_000_000_000),
    "sources.duplicate_threshold": (0, 1),
    "sources.shingle_size": (1, 50),
    "sources.max_depth": (1, 256),
    "sources.parse_seconds": (0.1, 600),
    "fetch.refresh_minutes": (0, 10_080),
    "fetch.timeout_seconds": (0.1, 600),
    "fetch.max_bytes": (1, 2_000_000_000),
    "fetch.concurrency": (1, 32),
    "fetch.spool_max_entries": (1, 10_000_000),
    "fetch.spool_max_bytes": (1, 20_000_000_000),
    "serve.port": (1, 65_535),
    "serve.max_sessions": (1, 64),
    "watch.debounce_ms": (10, 60_000),
    "analysis.sentences": (1, 50),
    "analysis.ratio": (0, 1),
    "analysis.min_sentences": (1, 50),
    "analysis.max_sentences": (1, 50),
    "analysis.batch_size": (1, 10_000),
    "analysis.processes_above": (0, 100_000_000),
    "analysis.processes": (0, 64),
    "store.compact_every": (10, 100_000_000),
    "store.poll_seconds": (0, 3_600),  # 0: never
    "ui.stack_below_columns": (0, 10_000),
}
# Pairs that must be in order: (smaller, larger).
ORDERED = (("analysis.min_sentences", "analysis.max_sentences"),)
LISTS_OF_STRINGS = frozenset({"sources.ignore", "sources.allowed_roots"})


def _check_range(dotted: str, value: Any, where: str) -> None:
    if dotted in LISTS_OF_STRINGS and not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {dotted!r} must be a list of strings")
    bounds = RANGES.get(dotted)
    if bounds is None or isinstance(value, bool):
        return
    low, high = bounds
    if not low <= value <= high:
        def shown(x: float) -> str:
            return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"

        raise ConfigError(f"{where}: {dotted!r} must be between {shown(low)} and {shown(high)}, "
                          f"not {value!r}")


def _check_order(data: dict[str, Any], where: str) -> None:
    for low_key, high_key in ORDERED:
        (ls, lk), (hs, hk) = low_key.split("."), high_key.split(".")
        low, high = data[ls][lk], data[hs][hk]
        if low > high:
            raise ConfigError(f"{where}: {low_key!r} ({low}) must not be above {high_key!r} ({high})")


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, prefix: str = "") -> None:
    """Merge `over` into `base` in place; unknown keys and wrong types are errors naming the file."""
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise ConfigError(f"{where}: unknown setting {dotted!r}")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {dotted!r} must be a table")
            _merge(current, value, where, dotted + ".")
            continue
        if isinstance(current, bool) != isinstance(value, bool) or (
            not isinstance(current, bool)
            and not (isinstance(current, (int, float)) and isinstance(value, (int, float)))
            and type(current) is not type(value)
        ):
            raise ConfigError(
                f"{where}: {dotted!r} must be {type(current).__name__}, not {type(value).__name__}"
            )
        _check_range(dotted, value, where)
        base[key] = value


@dataclass(frozen=True)
class Settings:
    """Every setting, merged and validated; `get("section.key")` reads one value."""

    data: dict[str, Any]
    config_files: tuple[Path, ...] = ()
    data_dir: Path = field(default_factory=Path)
    db_path: Path = field(default_factory=Path)
    inbox: tuple[Path, ...] = ()
    feeds_file: Path | None = None  # triage's own feed list (feeds.toml beside the config file)
    _feeds: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # read once, on use

    def get(self, dotted: str, default: Any = None) -> Any:
        """One setting by its dotted name, e.g. settings.get("store.group_share")."""
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one [section] of the config."""
        return copy.deepcopy(self.data.get(name, {}))

    @property
    def feeds(self) -> list[dict[str, Any]]:
        """Every feed: config.toml's [[feeds]] then feeds.toml's, one per URL. Each a dict with url,
        name, tags (list of str: every folder name), folders (list of folder paths, outer first),
        site (web page, may be "") and file (the file it came from).

        feeds.toml is read on first use, not by every command: one that does not parse costs its feeds
        (feeds_problem says why), never a command that has nothing to do with feeds."""
        if "list" not in self._feeds:
            self._feeds["problem"] = ""
            own: list = []
            if self.feeds_file is not None:
                from triage.sources.feedmodel import FeedListError, read_feeds

                try:
                    own = read_feeds(self.feeds_file)
                except FeedListError as exc:
                    self._feeds["problem"] = str(exc)
            from triage.sources.feedmodel import feeds_from_data, merge_feeds

            where = ", ".join(str(f) for f in self.config_files) or "config"
            configured = feeds_from_data({"feeds": self.data.get("feeds", [])}, where)
            self._feeds["list"] = [f.as_dict() for f in merge_feeds(configured, own)]
        return [dict(f, tags=list(f.get("tags", [])), folders=[list(p) for p in f.get("folders", [])])
                for f in self._feeds["list"]]

    @property
    def feeds_problem(self) -> str:
        """Why feeds.toml could not be read ("" when it could, or there is none)."""
        self.feeds  # noqa: B018 - reads it once
        return self._feeds["problem"]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None


def feeds_file_for(config_file: Path | None) -> Path:
    """Where triage keeps its own feed list: feeds.toml beside the config file in use (or the user's)."""
    from triage.sources.feedmodel import FEEDS_FILE_NAME

    return (config_file.parent if config_file is not None else user_config_path().parent) / FEEDS_FILE_NAME


def _check_feeds(data: dict[str, Any], files: list[Path]) -> None:
    """The config file's own [[feeds]] tables are settings like any other: wrong ones stop here."""
    if not data.get("feeds"):
        return
    from triage.sources.feedmodel import FeedListError, feeds_from_data

    try:
        feeds_from_data({"feeds": data["feeds"]}, ", ".join(str(f) for f in files) or "config")
    except FeedListError as exc:
        raise ConfigError(str(exc)) from None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    inbox: list[str] | tuple[str, ...] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    use_user_config: bool = True,
) -> Settings:
    """Build Settings: defaults, then the user file (or `config_file`), env, then these arguments."""
    data = tomllib.loads(default_config_text())
    files: list[Path] = []
    if config_file is not None:
        files.append(Path(config_file).expanduser())
    elif use_user_config and os.environ.get("TRIAGE_CONFIG"):
        files.append(Path(os.environ["TRIAGE_CONFIG"]).expanduser())
    elif use_user_config and user_config_path().is_file():
        files.append(user_config_path())
    for path in files:
        _merge(data, _read_toml(path), str(path))
    if overrides:
        _merge(data, overrides, "overrides")
    _check_order(data, ", ".join([*map(str, files), *(["overrides"] if overrides else [])]) or "config")

    env_db = os.environ.get("TRIAGE_DB")
    env_inbox = os.environ.get("TRIAGE_INBOX")
    env_data = os.environ.get("TRIAGE_DATA_DIR")

    if data_dir is None:
        data_dir = env_data or data["paths"]["data_dir"] or None
    if data_dir is None:
        from platformdirs import user_data_path

        resolved_data = user_data_path(APP_NAME)
    else:
        resolved_data = Path(data_dir).expanduser()

    if db is None:
        db = env_db or data["paths"]["db"] or None
    resolved_db = Path(db).expanduser() if db else resolved_data / "decisions.json"

    if inbox:
        inbox_paths = tuple(Path(p).expanduser() for p in inbox)
    elif env_inbox:
        inbox_paths = tuple(Path(p).expanduser() for p in env_inbox.split(os.pathsep) if p)
    else:
        inbox_paths = tuple(Path(p).expanduser() for p in data["paths"]["inbox"])

    feeds_file = feeds_file_for(files[0] if files else None) if files or use_user_config else None
    _check_feeds(data, files)

    return Settings(
        data=data,
        config_files=tuple(files),
        data_dir=resolved_data,
        db_path=resolved_db,
        inbox=inbox_paths,
        feeds_file=feeds_file,
    )
