"""Property-based: `triage decisions` in every format on decisions files full of random hostile text.

Never an uncaught error, never a raw control, escape or bidi character; JSON parses and gives back
every character (escaped, not dropped); CSV cells never start like a formula; Markdown links are
http(s) only and nothing in a title or note becomes Markdown syntax."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.conftest import invoke, isolate, write_tinydb
from triage.infra.sanitize import has_forbidden

SNIPPETS = [
    "\x1b]0;pwned\x07", "\x1b]8;;http://evil\x1b\\", "\x1b[2J", "\x1b[31m", "\x1bP1;2q\x1b\\", "\x1b", "\x07",
    "\x9b31m", "\x9d0;x\x9c", "\x00", "\x7f", "\x08", "\r", "\n", "\t", "\u2028", "\u202e", "\u2066",
    "\u2069",
    "\u200e", "\u061c", "\u200b", "\ufeff", "\U000e0041", "\u200d", "\u200c", "\ud800", "\udfff",
    "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\uff1d1+1", "[x](javascript:alert(1))", "<script>", "# ",
    "| a |", "`", "``", "*", "_", "~~", "&#x202e;", "http://evil.test", "www.evil.test", "a@b.test", "\\",
    "東京", "مرحبا", "שלום", "\U0001f469\u200d\U0001f4bb", "e\u0301",
]
TEXT = st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=8), max_size=6).map("".join)
ODD = st.one_of(st.none(), st.integers(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
                st.lists(st.text(max_size=3), max_size=2))
FIELDS = ("note", "user", "host", "at", "title", "source", "url", "action", "batch", "uid")
URLS = st.sampled_from(["https://news.test/a?q=1 (x)", "http://x.test/<b>\"'", "javascript:alert(1)",
                        "data:text/html,<b>", "file:///etc/passwd", "HTTPS://X.TEST/É", "//no-scheme"]) | TEXT
DOC = st.fixed_dictionaries(
    {"article_id": TEXT, "decision": st.sampled_from(["follow-up", "archive", "flag", None, "bogus"]) | ODD},
    optional={name: (URLS if name == "url" else TEXT) | ODD for name in FIELDS},
)
FILES = st.lists(DOC, min_size=1, max_size=6)


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.*?)(?<!`)\1(?!`)")


def expected_text(value: object) -> str:
    """What JSON gives back for a stored value: a str as it is, except that two surrogates that form a
    pair come back as the one character they encode (JSON reads "\\ud800\\udfff" as U+103FF)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def unescaped(text: str, pattern: str) -> list[re.Match[str]]:
    """Matches of `pattern` not preceded by a backslash escape (an odd run of backslashes)."""
    def backslashes(before: str) -> int:
        return len(before) - len(before.rstrip("\\"))

    return [m for m in re.finditer(pattern, text) if backslashes(text[: m.start()]) % 2 == 0]


@pytest.fixture(scope="module")
def root():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, root):
    isolate(monkeypatch, root)


def run_formats(root: Path, docs: list[dict]) -> dict[str, str]:
    path = Path(tempfile.mkdtemp(dir=root)) / "d.json"
    write_tinydb(path, docs)
    out = {}
    for fmt in ("table", "csv", "json", "md"):
        result = invoke("decisions", "--db", path, "--format", fmt, "--history")
        assert result.exit_code == 0, (fmt, result.stderr)
        assert not has_forbidden(result.stdout), fmt
        assert not has_forbidden(result.stderr), fmt
        out[fmt] = result.stdout
    current = invoke("decisions", "--db", path, "--decision", "all")
    assert current.exit_code == 0 and not has_forbidden(current.stdout)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_every_format_is_terminal_safe_on_random_hostile_files(root, docs):
    out = run_formats(root, docs)
    events = [d for d in docs if isinstance(d.get("article_id"), str)]

    rows = json.loads(out["json"])  # JSON: valid, every character back (escaped, not dropped)
    assert len(rows) == len(events)
    for row, doc in zip(rows, events, strict=False):
        assert row["article_id"] == expected_text(doc["article_id"])
        for name in FIELDS:
            if name in doc and not (isinstance(doc[name], float) and math.isnan(doc[name])):
                assert row[name] == expected_text(doc[name]), name
        known = doc["decision"] in ("follow-up", "archive", "flag")
        assert row["decision"] == (doc["decision"] if known else None)

    table = list(csv.reader(io.StringIO(out["csv"])))  # CSV: one row per event, no formula anywhere
    assert len(table) == 1 + len(events)
    for cells in table[1:]:
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert not re.match(r"\s*[=+\-@\uff1d\uff0b\uff0d\uff20]", cell), cell

    lines = out["table"].splitlines()  # table: one line per event, nothing that breaks a row
    assert len(lines) == 2 + len(events)

    md = out["md"]  # Markdown: only our headings and http(s) links; no raw HTML, autolinks or entities
    for line in md.splitlines():
        if line.startswith("#"):
            heading = r"(# Decisions|## (Follow up|Flagged|Archived|Cleared) \(\d+\)|### \S)"
            assert re.match(heading, line), line
    text = CODE_SPAN.sub("", md)  # code spans are literal text in Markdown: nothing inside them is syntax
    for m in unescaped(text, r"\]\("):
        assert text[m.end():].lower().startswith(("http://", "https://")), text[m.start():m.start() + 40]
    assert not unescaped(text, r"<") and not unescaped(text, r"&") and not unescaped(text, r"://(?!\S*\))")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXT, min_size=1, max_size=4), TEXT)
def test_decide_with_random_ids_and_notes_never_raises_or_echoes_controls(root, ids, note):
    path = Path(tempfile.mkdtemp(dir=root)) / "d.json"
    for article_id in ids:
        result = invoke("decide", f"--note={note}", "--db", path, "--", article_id, "flag")
        assert result.exit_code in (0, 2), result.stderr
        assert not has_forbidden(result.stdout + result.stderr)
        if result.exit_code == 2:
            assert "nothing was recorded" in result.stderr
    if path.exists():
        for fmt in ("table", "csv", "json", "md"):
            result = invoke("decisions", "--db", path, "--format", fmt)
            assert result.exit_code == 0 and not has_forbidden(result.stdout)
