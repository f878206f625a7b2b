"""The one sanitiser for text that reaches a terminal: what goes is defined here and only here.

Untrusted text (feeds, files, a decisions file that others can write) may hold characters a terminal
acts on instead of showing: controls, escape sequences that move the cursor, retitle the window or
ring the bell, and bidi controls that reorder what is shown. `sanitize` removes them; it is used at
ingestion (triage.infra.text) and again on output of anything read back from a shared file (the CLI, the
TUI). Pure Python, no third-party imports.

What goes (FORBIDDEN): C0 controls except tab and newline (CR, VT, FF and the Unicode line and
paragraph separators become newlines first), DEL, the C1 controls U+0080-U+009F, whole ESC
sequences (CSI, OSC ... BEL/ST, DCS/SOS/PM/APC ... ST, two-byte escapes, a lone ESC), bidi
embeddings, overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E/200F, U+061C), and
invisible format characters (zero-width space, word joiner and invisible operators, soft hyphen,
BOM, interlinear annotation marks, object replacement, tag characters). Zero-width non-joiner and
joiner (U+200C/D) stay: Persian, Indic scripts and emoji sequences need them. Lone surrogates (only
possible from a decoded JSON escape or surrogateescape) go too: no terminal encoding can carry them.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "FORBIDDEN",
    "FORBIDDEN_CHARS",
    "XML_ILLEGAL",
    "escape_forbidden",
    "has_forbidden",
    "sanitize",
    "sanitize_line",
]

# Every character that never reaches a terminal (as a regex character class body).
FORBIDDEN_CHARS = (
    "\x00-\x08\x0b-\x1f\x7f"  # C0 but \t \n (CR, VT, FF and ESC included), DEL
    "\x80-\x9f"  # C1 controls (0x9B is an 8-bit CSI, 0x9D an 8-bit OSC)
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator (invisible format character)
    "\u200b\u200e\u200f"  # zero width space, LRM, RLM (ZWNJ/ZWJ U+200C/D stay)
    "\u2028\u2029"  # line and paragraph separators (turned into newlines before this applies)
    "\u202a-\u202e"  # LRE RLE PDF LRO RLO
    # word joiner, invisible operators, isolates LRI RLI FSI PDI, deprecated formats
    "\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffc"  # BOM, interlinear annotation marks, object replacement character
    "\U000e0000-\U000e007f"  # tag characters
    "\ud800-\udfff"  # lone surrogates
)
FORBIDDEN = re.compile(f"[{FORBIDDEN_CHARS}]")
_DROP = re.compile(f"[{FORBIDDEN_CHARS}]+")
# What XML 1.0 cannot hold (C0 but tab/newline/CR, lone surrogates, U+FFFE/FFFF): a different job from
# FORBIDDEN (which is about terminals), kept here so there is one list of each.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# ESC-introduced sequences, removed whole so their parameters do not show as text: CSI (ESC [ ...
# final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC (ESC P/X/^/_ ... ST), and
# other escapes (ESC + intermediates + final, or a lone ESC). 8-bit C1 controls are dropped one by one,
# never treated as introducers: a Latin-1 byte must not swallow the text after it. A string sequence
# cut off (no BEL or ST) ends at a newline or a forbidden character and is bounded: it never swallows
# the rest of a text.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?
  | \x1b\][^\x07\x1b\n""" + FORBIDDEN_CHARS + r"""]{0,2048}(?:\x07|\x1b\\)?
  | \x1b[PX^_][^\x1b\n""" + FORBIDDEN_CHARS + r"""]{0,2048}(?:\x1b\\)?
  | \x1b[ -/]*[0-~]?
    """,
    re.VERBOSE,
)
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def sanitize(value: Any, *, one_line: bool = False) -> str:
    """`value` as text with nothing a terminal could act on (see FORBIDDEN); never raises.

    Line breaks (CRLF, CR, VT, FF, NEL, U+2028/9) become ``\\n``; tabs and newlines stay. With
    ``one_line`` every run of whitespace (newlines included) becomes one space and the ends are
    stripped: the form for table cells, titles and messages. Non-strings are converted with str().
    """
    text = _as_text(value)
    if FORBIDDEN.search(text) is not None:  # the common case: nothing to do
        text = _LINE_BREAKS.sub("\n", text)
        if "\x1b" in text:
            text = _ESCAPES.sub("", text)
        text = _DROP.sub("", text)
    if one_line:
        return " ".join(text.split())
    return text


def sanitize_line(value: Any) -> str:
    """The one-line form of sanitize: newlines and runs of whitespace become single spaces."""
    return sanitize(value, one_line=True)


def has_forbidden(text: str) -> bool:
    """True if `text` holds any character that must not reach a terminal raw."""
    return FORBIDDEN.search(text) is not None


def _u_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON writes astral characters as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def escape_forbidden(json_text: str) -> str:
    """JSON text with every forbidden character written as a \\uXXXX escape (still the same JSON value).

    Only valid on JSON produced by json.dumps: raw characters there occur inside strings, where a
    \\u escape means the same character, so the document parses to exactly the same data.
    """
    return FORBIDDEN.sub(_u_escape, json_text)
