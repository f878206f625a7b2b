"""Issue 19, past the list: every number in the config has a sane range, so a shared or careless config
cannot turn a limit off with 0, hang a fetch with a 0 timeout, or hand NaN to a comparison. Each bad
value is refused at start with one sentence naming the file, the key and the range."""

from __future__ import annotations

import tomllib

import pytest

from triage.config import RANGES, ConfigError, default_config_text, load_settings


def _numbers(data: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _numbers(value, dotted + ".")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append(dotted)
    return out


def test_every_number_setting_has_a_range_and_its_default_lies_in_it():
    data = tomllib.loads(default_config_text())
    numbers = _numbers(data)
    assert sorted(numbers) == sorted(RANGES)
    load_settings(use_user_config=False)  # the defaults themselves pass


def _refused(tmp_path, section: str, key: str, value: str) -> str:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, data_dir=tmp_path)
    text = str(err.value)
    assert text.startswith(f"{cfg}: '{section}.{key}' must be between ")
    return text


@pytest.mark.parametrize("dotted", sorted(RANGES))
def test_below_and_above_every_range_is_refused_naming_the_key(tmp_path, dotted):
    section, key = dotted.split(".")
    low, high = RANGES[dotted]
    for value in (low - 1, high + 1, "nan", "inf", "-inf"):
        _refused(tmp_path, section, key, str(value))


@pytest.mark.parametrize(
    ("section", "key", "value", "ending"),
    [
        ("fetch", "timeout_seconds", "0", "must be between 0.1 and 600, not 0"),
        ("fetch", "timeout_seconds", "-1", "must be between 0.1 and 600, not -1"),
        ("fetch", "max_bytes", "0", "must be between 1 and 2,000,000,000, not 0"),  # 0 is never "no limit"
        ("sources", "max_file_bytes", "0", "must be between 1 and 2,000,000,000, not 0"),
        ("store", "compact_every", "0", "must be between 10 and 100,000,000, not 0"),
        ("watch", "debounce_ms", "0", "must be between 10 and 60,000, not 0"),
        ("fetch", "timeout_seconds", "nan", "must be between 0.1 and 600, not nan"),
    ],
)
def test_the_sentence_names_the_key_and_the_range(tmp_path, section, key, value, ending):
    assert _refused(tmp_path, section, key, value).endswith(ending)


def test_settings_that_must_be_in_order_are(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[analysis]\nmin_sentences = 7\nmax_sentences = 6\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, data_dir=tmp_path)
    assert str(err.value) == (f"{cfg}: 'analysis.min_sentences' (7) must not be above "
                              "'analysis.max_sentences' (6)")


def test_zero_where_zero_has_a_meaning_of_its_own_still_loads():
    over = {"fetch": {"refresh_minutes": 0}, "store": {"poll_seconds": 0},
            "analysis": {"processes": 0, "ratio": 0.0, "processes_above": 0}}
    s = load_settings(overrides=over, use_user_config=False)
    got = (s.fetch.refresh_minutes, s.store.poll_seconds, s.analysis.processes)
    assert got == (0, 0, 0)
