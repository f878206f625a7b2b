"""Last-line defence for untrusted text on screen: no control characters, no markup interpretation."""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["plain", "safe_text"]

# C0 (but \n and \t), DEL, C1, bidi marks/embeddings/overrides/isolates, zero-width space and BOM.
# ZWNJ/ZWJ (U+200C/D) stay: Persian, Indic scripts and emoji sequences need them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def plain(value: str, *, one_line: bool = False) -> str:
    """Strip characters a terminal could act on; sources already clean text, this guards the screen."""
    out = _UNSAFE.sub("", value or "")
    if one_line:
        out = " ".join(out.split())
    return out.replace("\t", " ")


def safe_text(value: str, style: str = "", *, one_line: bool = False) -> Text:
    """A rich Text holding `value` literally (never parsed as markup)."""
    return Text(plain(value, one_line=one_line), style=style)
