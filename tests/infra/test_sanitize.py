"""triage.infra.sanitize: the one definition of what never reaches a terminal, examples and properties."""

from __future__ import annotations

import ast
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import triage
from triage.infra.sanitize import FORBIDDEN, escape_forbidden, has_forbidden, sanitize, sanitize_line
from triage.infra.text import clean_line, clean_text

PKG = Path(triage.__file__).resolve().parent

# What the issue names, one by one: every case must be gone from the output.
CASES = {
    "OSC retitle": ("\x1b]0;pwned\x07Quake", "Quake"),
    "OSC retitle ended by ST": ("\x1b]2;pwned\x1b\\Quake", "Quake"),
    "OSC 8 hyperlink": ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
    "CSI colour": ("Red \x1b[31malert\x1b[0m", "Red alert"),
    "CSI clear screen and move": ("\x1b[2J\x1b[Hhome", "home"),
    "bell": ("ding\x07dong", "dingdong"),
    "8-bit CSI": ("a\x9b31mb", "a31mb"),
    "8-bit OSC": ("a\x9d0;t\x9cb", "a0;tb"),
    "DCS": ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
    "APC": ("a\x1b_payload\x1b\\b", "ab"),
    "two-byte escape": ("a\x1bcb", "ab"),
    "lone ESC at the end": ("abc\x1b", "abc"),
    "RLO": ("invoice\u202etxt.exe", "invoicetxt.exe"),
    "LRI/PDI isolates": ("a\u2066b\u2069c", "abc"),
    "bidi marks": ("a\u200e\u200f\u061cb", "ab"),
    "NUL and DEL": ("a\x00b\x7fc", "abc"),
    "zero width space, BOM, soft hyphen": ("\ufeffzero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
    "tag characters": ("flag\U000e0067\U000e0062\U000e007f", "flag"),
    "backspace overstrike": ("safe\x08\x08\x08\x08evil", "safeevil"),
    "lone surrogates": ("a\ud800b\udfff", "ab"),
}

KEEP = [
    "Plain ASCII, punctuation: [bold]not markup[/] & <b>",
    "Persian with ZWNJ: می\u200cخواهم",
    "Devanagari with ZWJ: क्\u200dष",
    "Emoji ZWJ sequence: \U0001f469\u200d\U0001f4bb and flag \U0001f1fa\U0001f1e6",
    "CJK: 東京で地震、日本語のテキスト",
    "Arabic: مرحبا بالعالم, Hebrew: שלום עולם",
    "Accents: café naïve, combining e\u0301",
    "tab\tand\nnewline",
]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_case_is_removed(name):
    raw, expected = CASES[name]
    out = sanitize(raw)
    assert out == expected
    assert not has_forbidden(out)


@pytest.mark.parametrize("text", KEEP)
def test_ordinary_text_is_kept_exactly(text):
    assert sanitize(text) == text


def test_line_breaks_become_newlines_and_one_line_form():
    assert sanitize("a\r\nb\rc\x0bd\x0ce\x85f\u2028g\u2029h") == "a\nb\nc\nd\ne\nf\ng\nh"
    assert sanitize_line("  Title\n\tsecond\r\nline \x1b]0;x\x07 ") == "Title second line"
    assert sanitize(None) == "" and sanitize(42) == "42" and sanitize(b"a\x1bcb") == "ab"


def test_definition_covers_c0_c1_del_and_bidi_exactly():
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]:
        assert FORBIDDEN.match(chr(code)) or chr(code) in "\t\n", hex(code)
    assert not FORBIDDEN.match("\t") and not FORBIDDEN.match("\n")
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]:
        assert FORBIDDEN.match(chr(code)), hex(code)
    for keep in ("\u200c", "\u200d", " ", "a", "é", "東"):
        assert not FORBIDDEN.match(keep)


def test_escape_forbidden_keeps_the_json_value():
    data = {"t": "\x1b]0;x\x07 \x9b \u202e \U000e0041 \ud800 ok"}
    text = escape_forbidden(json.dumps(data, ensure_ascii=False))
    assert "\\u001b" in text and "\\u009b" in text and "\\u202e" in text and "\\udb40\\udc41" in text
    assert not has_forbidden(text)
    assert json.loads(text) == data


def test_the_other_cleaners_are_this_one():
    hostile = "".join(raw for raw, _ in CASES.values())
    from triage.tui.safe import plain

    for out in (clean_text(hostile), clean_line(hostile), plain(hostile), plain(hostile, one_line=True)):
        assert not has_forbidden(out)
    assert clean_line(hostile) == sanitize_line(hostile)
    assert plain("a\tb\x1b[1mc") == "a bc"


# Character classes with another job than terminal safety, and why they are not the sanitiser's.
OTHER_JOBS = {
    "sources/opml.py": "characters XML 1.0 forbids, removed so a subscription list parses",
    "sources/html.py": "characters XML 1.0 forbids, removed so lxml accepts a fragment",
    "sources/base.py": "C0 controls swapped for printable stand-ins through a parser, then restored",
    "catalog/search.py": "runs of non-ASCII characters (not controls), folded for search's scan",
}


def test_no_other_module_defines_its_own_control_character_class():
    """One definition: no regex of controls or escapes outside triage/sanitize.py (grep the source)."""
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "sanitize.py" or str(path.relative_to(PKG)) in OTHER_JOBS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                markers = ("\x1b", "\x00-", "\x7f-", "\x80-", "\u202a", "\u2066")
                if any(m in value or m.encode("unicode_escape").decode() in value for m in markers):
                    offenders.append(f"{path.relative_to(PKG)}:{node.lineno}")
    assert offenders == []


def _printable_alphabet() -> st.SearchStrategy[str]:
    """Ordinary text: letters, marks, numbers, punctuation, symbols, spaces of every script (+ ZWNJ/ZWJ)."""
    return st.characters(
        categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\ufffc"
    ) | st.sampled_from(["\u200c", "\u200d", "\t", "\n"])


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(codec=None, categories=None))
    | st.binary().map(lambda b: b.decode("latin-1"))
)
@example("\x1b]0;" + "x" * 5000 + "\x07tail")
@example("\x1b[" + "1;" * 3000)
def test_random_unicode_never_raises_never_leaves_a_forbidden_character(text):
    for one_line in (False, True):
        out = sanitize(text, one_line=one_line)
        assert not has_forbidden(out)
        assert sanitize(out, one_line=one_line) == out  # idempotent
        if one_line:
            assert "\n" not in out and "\t" not in out


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_random_bytes_never_raise(raw):
    for text in (raw.decode("utf-8", "surrogateescape"), raw.decode("utf-8", "replace")):
        out = sanitize(text)
        assert not has_forbidden(out)
        out.encode("utf-8")  # always printable by a UTF-8 terminal: no lone surrogates left
    assert not has_forbidden(sanitize(raw))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_printable_alphabet()))
def test_ordinary_text_of_any_script_is_unchanged(text):
    assert sanitize(text) == text
    assert sanitize_line(text) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_printable_alphabet()), st.text(), st.text(alphabet=_printable_alphabet()))
def test_hostile_text_in_the_middle_leaves_the_rest(before, middle, after):
    out = sanitize(before + "\x1b]0;x\x07" + middle + "\u202e" + after)
    assert out.startswith(before) and out.endswith(after)


def test_a_string_sequence_cut_off_never_swallows_the_rest_of_the_text():
    """Found by the property above: an OSC or DCS without its BEL or ST ends at a newline or a forbidden
    character, so the text after it survives."""
    assert sanitize("\x1b]0;x\x07\x1b]\u202e0") == "0"
    assert sanitize("head\x1b]2;cut off\nthe rest") == "head\nthe rest"
    assert sanitize("head\x1bPq#0\x1b[31mred") == "headred"
    assert sanitize("a\x1b]0;title\x07b") == "ab"  # a whole one still goes whole


def test_every_forbidden_character_is_one_python_calls_unprintable():
    """The fast paths (str.isprintable) elsewhere rely on this; U+FFFC is the one visible exception."""
    for code in range(0x110000):
        ch = chr(code)
        if FORBIDDEN.match(ch) and ch.isprintable():
            assert ch == "\ufffc", hex(code)
    assert unicodedata.category("\ufffc") == "So"
