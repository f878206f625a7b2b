"""Settings: the shipped defaults load from the installed package, overrides merge, bad files are named."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from triage.config import ConfigError, default_config_text, load_settings


def test_installed_package_ships_default_config(tmp_path):
    # Run from an empty folder so that only the installed package can answer.
    code = (
        "import triage.config as c, importlib.resources as r, tomllib;"
        "t = c.default_config_text(); tomllib.loads(t);"
        "print(r.files('triage.config_default').joinpath('default.toml').is_file())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


def test_every_default_setting_is_commented():
    lines = default_config_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("["):
            above = [ln for ln in lines[max(0, i - 6) : i] if ln.strip()]
            assert any(ln.lstrip().startswith("#") for ln in above), f"setting without a comment: {line}"


def test_user_file_overrides_defaults_and_flags_override_all(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[analysis]\nsentences = 3\n[paths]\ndb = "/nowhere/x.json"\n[[feeds]]\nurl = "http://127.0.0.1:1/f"\nname = "F"\n'
    )
    s = load_settings(cfg)
    assert s.analysis.sentences == 3
    assert s.analysis.max_sentences == 6
    assert str(s.db_path) == "/nowhere/x.json"
    assert [(f["url"], f["name"], f["tags"]) for f in s.feeds] == [("http://127.0.0.1:1/f", "F", [])]
    s2 = load_settings(cfg, db=tmp_path / "d.json")
    assert s2.db_path == tmp_path / "d.json"


def test_env_overrides_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_DB", str(tmp_path / "env.json"))
    assert load_settings(use_user_config=False).db_path == tmp_path / "env.json"


@pytest.mark.parametrize(
    "body, message",
    [
        ("[analysis]\nsentences = 'four'\n", "'analysis.sentences' must be int"),
        ("[nope]\nx = 1\n", "unknown setting 'nope'"),
        ("[analysis\n", "not valid TOML"),
        ("[[feeds]]\nname = 'no url'\n", "every feed needs a url"),
    ],
)
def test_bad_config_is_named(tmp_path, body, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert message in str(err.value)
    assert str(cfg) in str(err.value)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.toml")


def test_defaults_parse():
    data = tomllib.loads(default_config_text())
    assert data["sources"]["max_file_bytes"] == 5_000_000


# --- issue 19: values out of their sane range are refused, naming the key ---------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("fetch", "timeout_seconds", 0, "'fetch.timeout_seconds' must be between 0.1 and 600, not 0"),
        ("fetch", "timeout_seconds", -5, "'fetch.timeout_seconds' must be between 0.1 and 600, not -5"),
        ("fetch", "max_bytes", 0, "'fetch.max_bytes' must be between 1 and 2,000,000,000, not 0"),
        ("fetch", "concurrency", 0, "'fetch.concurrency' must be between 1 and 32, not 0"),
        (
            "fetch",
            "spool_max_bytes",
            0,
            "'fetch.spool_max_bytes' must be between 1 and 20,000,000,000, not 0",
        ),
        (
            "sources",
            "max_file_bytes",
            0,
            "'sources.max_file_bytes' must be between 1 and 2,000,000,000, not 0",
        ),
        ("sources", "max_depth", 0, "'sources.max_depth' must be between 1 and 256, not 0"),
        (
            "sources",
            "duplicate_threshold",
            1.5,
            "'sources.duplicate_threshold' must be between 0 and 1, not 1.5",
        ),
        ("serve", "max_sessions", 0, "'serve.max_sessions' must be between 1 and 64, not 0"),
        ("serve", "port", 70000, "'serve.port' must be between 1 and 65,535, not 70000"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_key(tmp_path, section, key, value, message):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, data_dir=tmp_path)
    assert str(err.value) == f"{cfg}: {message}"


def test_allowed_roots_must_be_strings(tmp_path):
    with pytest.raises(ConfigError, match="'sources.allowed_roots' must be a list of strings"):
        load_settings(overrides={"sources": {"allowed_roots": ["/srv", 3]}}, use_user_config=False)


def test_values_in_range_load():
    over = {"fetch": {"timeout_seconds": 0.5, "concurrency": 1}, "serve": {"max_sessions": 1}}
    s = load_settings(overrides=over, use_user_config=False)
    got = (s.fetch.timeout_seconds, s.fetch.concurrency, s.serve.max_sessions)
    assert got == (0.5, 1, 1)


def test_a_catastrophic_regex_rule_is_bounded(tmp_path):
    """`re:(a|aa)+$` against a long run of a's backtracks for ever with the standard re module; the rule
    runs with a time bound and counts as no match (in a subprocess: the old code never returned)."""
    code = (
        "from triage.catalog.rules import compile_rules\nfrom triage.model import Article\n"
        "rules = compile_rules(['re:(a|aa)+$', 're:(a+)+$', 'plain'], [])\n"
        "art = Article(id='x', title='t', text='a' * 60 + 'b', source='s')\n"
        "print(rules.watched(art), rules.errors)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "[] ()", out.stderr


def test_a_catastrophic_regex_rule_is_turned_off_after_a_few_texts():
    """Each timeout costs REGEX_SECONDS of a reading thread; after REGEX_STRIKES texts the rule is off,
    so an inbox of long texts does not pay it for every story. A sane rule beside it keeps working."""
    from triage.catalog.rules import REGEX_STRIKES, compile_rules
    from triage.model import Article

    rules = compile_rules(["re:(a|aa)+$", "re:^harbour"], [])
    slow, sane = rules.watch
    hostile = [Article(id=f"x{i}", title="t", text="a" * 60 + "b", source="s") for i in range(6)]
    for art in hostile:
        assert rules.watched(art) == []
    assert slow.strikes == [REGEX_STRIKES]  # tried on three texts, then never again
    assert rules.watched(Article(id="h", title="harbour opens", text="x", source="s")) == [sane.label]


# --- issue 25: typed settings, each default once, a misspelt key an error at start -------------------------


@pytest.mark.parametrize(
    "body, message",
    [
        ("[store]\ngroup_shar = true\n", "unknown setting 'store.group_shar'"),
        ("[ui]\nsort = 'oldest'\n", "'ui.sort' must be one of newest, source, priority, not 'oldest'"),
        ("[ui]\nview = 'flag'\n", "'ui.view' must be one of inbox, follow-up, flagged, archived, all"),
        ("[ui]\nreopen_on_update = ['archived']\n", "'ui.reopen_on_update' may hold only archive, follow-up, flag"),
        ("[sources]\nmax_depth = 2.5\n", "'sources.max_depth' must be a whole number, not 2.5"),
        ("[store]\ngroup_share = 1\n", "'store.group_share' must be bool, not int"),
        ("[rules]\nwatch = 'x'\n", "'rules.watch' must be a list of strings"),
        ("store = 3\n", "'store' must be a table"),
    ],
)
def test_a_wrong_setting_is_an_error_at_start_naming_it(tmp_path, body, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(err.value).startswith(f"{cfg}: ")
    assert message in str(err.value)


def test_settings_are_typed_frozen_sections():
    import dataclasses

    s = load_settings(use_user_config=False, overrides={"fetch": {"timeout_seconds": 3}, "sources": {"max_depth": 4.0}})
    assert s.fetch.timeout_seconds == 3.0 and isinstance(s.fetch.timeout_seconds, float)
    assert s.sources.max_depth == 4 and isinstance(s.sources.max_depth, int)
    assert s.rules.watch == () and s.ui.reopen_on_update == ("archive",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.store.group_share = True  # type: ignore[misc]


def test_every_default_is_stated_once_in_default_toml():
    """The dataclasses state types and ranges, default.toml every value: each field has exactly one
    entry there and default.toml has nothing the dataclasses do not know."""
    import dataclasses

    from triage.config import SECTIONS

    data = tomllib.loads(default_config_text())
    for name, cls in SECTIONS.items():
        assert {f.name for f in dataclasses.fields(cls)} == set(data[name]), name
        assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(cls)), name
    assert set(data) == {*SECTIONS, "feeds"}


def test_no_setting_is_read_by_a_dotted_string_outside_config():
    import re
    from pathlib import Path

    import triage

    pkg = Path(triage.__file__).resolve().parent
    found = [f"{f.relative_to(pkg)}:{i}" for f in pkg.rglob("*.py") if f.name != "config.py"
             for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"settings\.(get|section)\(", line)]
    assert found == []
