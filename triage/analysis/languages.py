"""Which spaCy pipeline serves a story's language: the configured model for its own language, an
installed trained pipeline for another, else a blank one (sentences only) or the multi-language one.

Answered without importing spaCy (package specs and spaCy's language folders are looked up on disk),
so the cache key of a story can name its pipeline before any model is loaded.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["MULTI", "installed", "model_language", "pipeline_for", "primary_language", "trained_candidates"]

MULTI = "xx"  # spaCy's multi-language pipeline: sentences for a language it has no rules for
# ISO 639-2 codes some wires still send, and the Norwegian macro-language, to spaCy's codes.
_ALIASES = {
    "eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es", "ita": "it", "nld": "nl",
    "dut": "nl", "por": "pt", "swe": "sv", "dan": "da", "fin": "fi", "nor": "nb", "nob": "nb", "nno": "nn",
    "no": "nb", "pol": "pl", "rus": "ru", "ukr": "uk", "ara": "ar", "zho": "zh", "chi": "zh", "jpn": "ja",
    "mul": "xx", "und": "", "mis": "", "zxx": "",  # multiple, undetermined, uncoded, no language
}
# Languages whose spaCy tokenizer needs a package of its own.
_NEEDS = {"ja": "sudachipy", "ko": "natto", "th": "pythainlp", "vi": "pyvi"}
_CODE = re.compile(r"[a-z]{2,3}")
_PACKAGE_LANG = re.compile(r"([a-z]{2,3})_")


def primary_language(tag: str | None) -> str:
    """The lower-case primary subtag of a BCP 47 tag ("nb-NO" -> "nb", "DE" -> "de"); "" when none."""
    head = re.split(r"[-_\s]", (tag or "").strip().lower(), maxsplit=1)[0]
    head = _ALIASES.get(head, head)
    return head if _CODE.fullmatch(head) else ""


def model_language(name: str) -> str:
    """The language a resolved model name serves: "blank:de" -> "de", "en_core_web_sm" -> "en";
    English for a name that does not say (a path, a custom package)."""
    if name.startswith("blank:"):
        return primary_language(name.split(":", 1)[1]) or "en"
    m = _PACKAGE_LANG.match(name)
    return m.group(1) if m else "en"


def trained_candidates(code: str) -> tuple[str, ...]:
    """Package names of trained pipelines for a language, smallest first."""
    return tuple(f"{code}_core_{genre}_{size}" for size in ("sm", "md", "lg") for genre in ("news", "web"))


def installed(name: str) -> bool:
    """True when a package of that name can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=1)
def _spacy_lang_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("spacy")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lang"


def _has_rules(code: str) -> bool:
    """True when spaCy has rules (a tokenizer) for this language and what they need is installed."""
    folder = _spacy_lang_dir()
    if folder is None or not (folder / code / "__init__.py").is_file():
        return False
    return code not in _NEEDS or installed(_NEEDS[code])


@lru_cache(maxsize=256)
def pipeline_for(language: str, default: str) -> str:
    """The pipeline name for a story in `language` (BCP 47) when the configured model resolves to
    `default`: `default` for "" and for its own language, an installed `<code>_core_news_sm` (or
    similar) for another, else "blank:<code>", else "blank:xx"."""
    code = primary_language(language)
    if not code or code == model_language(default):
        return default
    for name in trained_candidates(code):
        if installed(name):
            return name
    return f"blank:{code}" if _has_rules(code) else f"blank:{MULTI}"
