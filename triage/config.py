"""Settings: config/default.toml < user config file < environment < command-line flags, validated once."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, get_type_hints

__all__ = ["RANGES", "SECTIONS", "AnalysisSettings", "ConfigError", "DeskSettings", "FetchSettings",
           "PathsSettings", "RulesSettings", "ServeSettings", "Settings", "SourcesSettings", "StoreSettings",
           "UiSettings", "WatchSettings", "default_config_text", "feeds_file_for", "load_settings",
           "user_config_path"]

APP_NAME = "triage"
# A store location starting so is a PostgreSQL URL, not a file (as triage.store.open reads it).
_SERVER_SCHEMES = ("postgresql://", "postgres://")


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


# --- the settings, one frozen dataclass a section ------------------------------------------------------
# Every default is stated once, in config/default.toml; these classes state each setting's type and,
# for numbers, its range: (smallest, largest), both allowed. 0 never means "no limit".


def _range(low: float, high: float) -> dict[str, Any]:
    return {"range": (low, high)}


def _choices(*values: str) -> dict[str, Any]:
    return {"choices": values}


@dataclass(frozen=True)
class PathsSettings:
    """[paths]: where the inbox, the decisions file and the data folder are ("" means the default)."""

    inbox: tuple[str, ...]
    db: str
    data_dir: str


@dataclass(frozen=True)
class SourcesSettings:
    """[sources]: how inbox folders are scanned and read."""

    max_file_bytes: int = field(metadata=_range(1, 2_000_000_000))
    follow_symlinks: bool
    allowed_roots: tuple[str, ...]
    max_depth: int = field(metadata=_range(1, 256))
    parse_seconds: float = field(metadata=_range(0.1, 600))
    ignore: tuple[str, ...]
    duplicate_threshold: float = field(metadata=_range(0, 1))
    shingle_size: int = field(metadata=_range(1, 50))


@dataclass(frozen=True)
class FetchSettings:
    """[fetch]: feeds fetched by URL."""

    refresh_minutes: float = field(metadata=_range(0, 10_080))
    timeout_seconds: float = field(metadata=_range(0.1, 600))
    max_bytes: int = field(metadata=_range(1, 2_000_000_000))
    concurrency: int = field(metadata=_range(1, 32))
    spool_max_entries: int = field(metadata=_range(1, 10_000_000))
    spool_max_bytes: int = field(metadata=_range(1, 20_000_000_000))
    fetch_full_article: bool
    local_pages: bool
    user_agent: str


@dataclass(frozen=True)
class WatchSettings:
    """[watch]: the open TUI watching its inbox folders."""

    enabled: bool
    debounce_ms: int = field(metadata=_range(10, 60_000))


@dataclass(frozen=True)
class AnalysisSettings:
    """[analysis]: summaries and the worker processes that make them."""

    sentences: int = field(metadata=_range(1, 50))
    ratio: float = field(metadata=_range(0, 1))
    min_sentences: int = field(metadata=_range(1, 50))
    max_sentences: int = field(metadata=_range(1, 50))
    model: str
    batch_size: int = field(metadata=_range(1, 10_000))
    processes_above: int = field(metadata=_range(0, 100_000_000))
    processes: int = field(metadata=_range(0, 64))


@dataclass(frozen=True)
class StoreSettings:
    """[store]: the decisions file."""

    group_share: bool
    compact_every: int = field(metadata=_range(10, 100_000_000))
    poll_seconds: float = field(metadata=_range(0, 3_600))  # 0: never


@dataclass(frozen=True)
class DeskSettings:
    """[desk]: several editors on one store (takes, presence, the shared analysis)."""

    take_minutes: float = field(metadata=_range(1, 24 * 60))
    presence_seconds: float = field(metadata=_range(5, 3_600))
    shared_analysis: bool


@dataclass(frozen=True)
class ServeSettings:
    """[serve]: `triage serve`."""

    port: int = field(metadata=_range(1, 65_535))
    max_sessions: int = field(metadata=_range(1, 64))


@dataclass(frozen=True)
class UiSettings:
    """[ui]: the TUI."""

    theme: str
    advance_after_decision: bool
    sort: str = field(metadata=_choices("newest", "source", "priority"))
    view: str = field(metadata=_choices("inbox", "follow-up", "flagged", "archived", "all"))
    reopen_on_update: tuple[str, ...] = field(metadata=_choices("archive", "follow-up", "flag"))
    stack_below_columns: int = field(metadata=_range(0, 10_000))
    default_language: str
    bell_on_flash: bool
    bell_on_watch: bool


@dataclass(frozen=True)
class RulesSettings:
    """[rules]: watch and mute rules (plain terms, "re:<regex>", "entity:<name>")."""

    watch: tuple[str, ...]
    mute: tuple[str, ...]


SECTIONS: dict[str, type] = {
    "paths": PathsSettings, "sources": SourcesSettings, "fetch": FetchSettings, "watch": WatchSettings,
    "analysis": AnalysisSettings, "store": StoreSettings, "desk": DeskSettings, "serve": ServeSettings,
    "ui": UiSettings, "rules": RulesSettings,
}
# Every number's range by its dotted name (for messages and tests).
RANGES: dict[str, tuple[float, float]] = {
    f"{name}.{f.name}": f.metadata["range"]
    for name, cls in SECTIONS.items() for f in fields(cls) if "range" in f.metadata
}
# Pairs that must be in order: (smaller, larger).
ORDERED = (("analysis.min_sentences", "analysis.max_sentences"),)


def _shown(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _value(dotted: str, kind: Any, spec: Any, value: Any, where: str) -> Any:
    """`value` checked against its field's type, range and choices; raises ConfigError naming the key."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {dotted!r} must be bool, not {type(value).__name__}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {dotted!r} must be {kind.__name__}, not {type(value).__name__}")
        low, high = spec.metadata["range"]
        if not low <= value <= high:
            raise ConfigError(f"{where}: {dotted!r} must be between {_shown(low)} and {_shown(high)}, "
                              f"not {value!r}")
        if kind is int and not float(value).is_integer():
            raise ConfigError(f"{where}: {dotted!r} must be a whole number, not {value!r}")
        return kind(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {dotted!r} must be str, not {type(value).__name__}")
        choices = spec.metadata.get("choices")
        if choices and value not in choices:
            raise ConfigError(f"{where}: {dotted!r} must be one of {', '.join(choices)}, not {value!r}")
        return value
    # tuple[str, ...]: a list of strings
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {dotted!r} must be a list of strings")
    choices = spec.metadata.get("choices")
    for v in value:
        if choices and v not in choices:
            raise ConfigError(f"{where}: {dotted!r} may hold only {', '.join(choices)}, not {v!r}")
    return tuple(value)


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> None:
    """Merge `over` into `base` in place, checking each value as it comes: unknown keys and wrong types
    are errors naming the file (`where`) and the key."""
    for key, value in over.items():
        if key == "feeds":
            if not isinstance(value, list):
                raise ConfigError(f"{where}: 'feeds' must be a list of tables ([[feeds]])")
            base[key] = value
            continue
        cls = SECTIONS.get(key)
        if cls is None:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key!r} must be a table")
        specs = {f.name: f for f in fields(cls)}
        hints = get_type_hints(cls)
        for name, item in value.items():
            dotted = f"{key}.{name}"
            if name not in specs:
                raise ConfigError(f"{where}: unknown setting {dotted!r}")
            base.setdefault(key, {})[name] = _value(dotted, hints[name], specs[name], item, where)


def _build(data: dict[str, Any]) -> dict[str, Any]:
    """One frozen dataclass a section, from merged and checked data."""
    out: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        section = data.get(name, {})
        missing = [f.name for f in fields(cls) if f.name not in section]
        if missing:  # the shipped default.toml lacks a setting: a packaging fault, said plainly
            raise ConfigError(f"default.toml: missing setting {name}.{missing[0]}")
        out[name] = cls(**section)
    return out


def _check_order(data: dict[str, Any], where: str) -> None:
    for low_key, high_key in ORDERED:
        (ls, lk), (hs, hk) = low_key.split("."), high_key.split(".")
        low, high = data[ls][lk], data[hs][hk]
        if low > high:
            raise ConfigError(f"{where}: {low_key!r} ({low}) must not be above {high_key!r} ({high})")


@dataclass(frozen=True)
class Settings:
    """Every setting, merged and checked once: `settings.store.group_share`, `settings.ui.sort`..."""

    paths: PathsSettings
    sources: SourcesSettings
    fetch: FetchSettings
    watch: WatchSettings
    analysis: AnalysisSettings
    store: StoreSettings
    desk: DeskSettings
    serve: ServeSettings
    ui: UiSettings
    rules: RulesSettings
    configured_feeds: tuple[dict[str, Any], ...] = ()  # the config files' own [[feeds]] tables
    config_files: tuple[Path, ...] = ()
    data_dir: Path = field(default_factory=Path)
    db_path: Path = field(default_factory=Path)  # the TinyDB decisions file (unused when db_url is set)
    db_url: str = ""  # the PostgreSQL store (--db / paths.db / TRIAGE_DB given a postgresql:// URL)
    inbox: tuple[Path, ...] = ()
    feeds_file: Path | None = None  # triage's own feed list (feeds.toml beside the config file)
    _feeds: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # read once, on use

    @property
    def db(self) -> str:
        """The store as given to `--db` and the store factory: the PostgreSQL URL, else the file's path."""
        return self.db_url or str(self.db_path)

    @property
    def feeds(self) -> list[dict[str, Any]]:
        """Every feed: config.toml's [[feeds]] then feeds.toml's, one per URL. Each a dict with url,
        name, tags (list of str: every folder name), folders (list of folder paths, outer first),
        site (web page, may be "") and file (the file it came from).

        feeds.toml is read on first use, not by every command: one that does not parse costs its feeds
        (feeds_problem says why), never a command that has nothing to do with feeds."""
        if "list" not in self._feeds:
            self._feeds["problem"] = ""
            own: list[Any] = []
            if self.feeds_file is not None:
                from triage.sources.feedmodel import FeedListError, read_feeds

                try:
                    own = read_feeds(self.feeds_file)
                except FeedListError as exc:
                    self._feeds["problem"] = str(exc)
            from triage.sources.feedmodel import feeds_from_data, merge_feeds

            where = ", ".join(str(f) for f in self.config_files) or "config"
            configured = feeds_from_data({"feeds": list(self.configured_feeds)}, where)
            self._feeds["list"] = [f.as_dict() for f in merge_feeds(configured, own)]
        return [dict(f, tags=list(f.get("tags", [])), folders=[list(p) for p in f.get("folders", [])])
                for f in self._feeds["list"]]

    @property
    def feeds_problem(self) -> str:
        """Why feeds.toml could not be read ("" when it could, or there is none)."""
        self.feeds  # noqa: B018 - reads it once
        return str(self._feeds["problem"])


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
    data: dict[str, Any] = {}
    _merge(data, tomllib.loads(default_config_text()), "default.toml")
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
    db_url = str(db).strip() if isinstance(db, str) and db.strip().lower().startswith(_SERVER_SCHEMES) else ""
    resolved_db = Path(db).expanduser() if db and not db_url else resolved_data / "decisions.json"

    if inbox:
        inbox_paths = tuple(Path(p).expanduser() for p in inbox)
    elif env_inbox:
        inbox_paths = tuple(Path(p).expanduser() for p in env_inbox.split(os.pathsep) if p)
    else:
        inbox_paths = tuple(Path(p).expanduser() for p in data["paths"]["inbox"])

    feeds_file = feeds_file_for(files[0] if files else None) if files or use_user_config else None
    _check_feeds(data, files)

    return Settings(
        **_build(data),
        configured_feeds=tuple(data.get("feeds", ())),
        config_files=tuple(files),
        data_dir=resolved_data,
        db_path=resolved_db,
        db_url=db_url,
        inbox=inbox_paths,
        feeds_file=feeds_file,
    )
