"""Property-based tests (hypothesis): hostile bytes and Unicode never crash a reader and never reach an
Article or a Problem with a control character in it.

Two kinds of input: raw random bytes / text (they mostly stop at "not a feed", "not JSON"), and valid
skeletons (RSS 2.0, Atom, JSON Feed, article JSON, an HTML page) filled with generated titles and
texts full of controls, escape sequences, bidi overrides, markup and odd types, so the deep paths run
(entry conversion, HTML-to-text, trafilatura, the sanitiser). Examples per test are kept small so the
whole file runs in well under a minute; in CI (CI set) the examples are derandomised.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest
from hypothesis import HealthCheck, assume, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from triage.infra.text import clean_line, clean_text
from triage.model import Article, Problem
from triage.sources import read_file
from triage.sources.base import Rejected
from triage.sources.readers.feedfile import parse_feed_bytes
from triage.sources.readers.html import html_to_text, read_html
from triage.sources.readers.jsonfiles import read_json, read_json_feed, read_jsonl

# What must never come out: C0 controls but tab and newline, DEL, C1, bidi embeddings/overrides
# (U+202A-202E) and isolates (U+2066-2069); and lone surrogates, which cannot even be written as UTF-8.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The generic fallback of read_file: an exception no reader turned into a plain reason.
UNEXPECTED = re.compile(r"could not be read \(\w+(Error|Exception|Warning)\b")


SCALE = float(os.environ.get("TRIAGE_HYPOTHESIS_SCALE") or 1)  # e.g. 20 for a long local hunt


def check(settings_examples: int, *, slow: bool = False):
    """Small, deterministic-in-CI hypothesis settings."""
    return settings(
        max_examples=max(1, int(settings_examples * SCALE)),
        deadline=None if slow else 2000,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def assert_clean(articles: list[Article], problems: list[Problem]) -> None:
    """No forbidden character in any Article field or Problem text; no unexpected-exception problem."""
    if currently_in_test_context():  # --hypothesis-show-statistics tells how often the deep paths ran
        event("articles read" if articles else "no article")
    for a in articles:
        for field in ("id", "title", "text", "source", "url", "published", "received", "path", "author"):
            value = getattr(a, field)
            assert isinstance(value, str)
            assert not FORBIDDEN.search(value), (field, value)
        assert a.title.strip()
    for p in problems:
        assert not FORBIDDEN.search(p.where) and not FORBIDDEN.search(p.reason), p
        assert not UNEXPECTED.search(p.reason), p


# --- strategies -------------------------------------------------------------------------------------

HOSTILE_SNIPPETS = [
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\",
    "\x1bP1$r\x1b\\",
    "\x07",
    "\x00",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x7f",
    "\x85",
    "\x9b31m",
    "\x9d0;x\x9c",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\U0001f600",
    "&amp;",
    "&#0;",
    "&#x1b;",
    "&bogus;",
    "<b>",
    "</p>",
    "<script>alert(1)</script>",
    "<![CDATA[x]]>",
    "]]>",
    "<!--",
    "-->",
    "<",
    ">",
    "&",
    "'",
    '"',
    "[bold red]x[/]",
    "\u0000\u0001\u0002",
    "é",
    "中文",
    "עברית",
    "\u0301",
    " ",
    "\t",
    "\n",
    "\n\n",
]

hostile_text = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(HOSTILE_SNIPPETS),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x20FF), max_size=12),
    ),
    max_size=12,
).map("".join)
wordy_text = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_SNIPPETS),
        st.sampled_from(["The council", "met on", "Tuesday", "to discuss", "the budget."]),
    ),
    min_size=1,
    max_size=30,
).map(" ".join)

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["rendered", "name", "#text", "href", "x"]), inner, max_size=3),
    ),
    max_leaves=8,
)

EXTENSIONS = [".xml", ".rss", ".atom", ".json", ".jsonl", ".html", ".txt", ".md", ".eml", ".mbox", ".bin", ""]


# --- raw random input ----------------------------------------------------------------------------------

_DIR = Path(tempfile.mkdtemp(prefix="triage-hypothesis-"))


@check(150)
@given(data=st.binary(max_size=3000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes_never_crash_read_file(data: bytes, ext: str) -> None:
    path = _DIR / f"random{ext}"
    path.write_bytes(data)
    articles, problems = read_file(path)
    assert_clean(articles, problems)
    assert articles or problems


@check(100)
@given(
    text=hostile_text,
    ext=st.sampled_from(EXTENSIONS),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_random_unicode_never_crashes_read_file(text: str, ext: str, encoding: str) -> None:
    path = _DIR / f"unicode{ext}"
    path.write_bytes(
        text.encode(encoding, "replace") if encoding == "latin-1" else text.encode(encoding, "surrogatepass")
    )
    articles, problems = read_file(path)
    assert_clean(articles, problems)


@check(150)
@given(data=st.binary(max_size=3000))
def test_feed_reader_on_random_bytes(data: bytes) -> None:
    problems: list[Problem] = []
    try:
        articles, _ = parse_feed_bytes(data, "random.xml", "src", problems)
    except Rejected as exc:
        assert not FORBIDDEN.search(str(exc))
        articles = []
    assert_clean(articles, problems)


@check(150)
@given(text=hostile_text)
def test_json_readers_on_random_text(text: str) -> None:
    for reader in (read_json, read_jsonl):
        problems: list[Problem] = []
        try:
            articles = reader(text, Path("random.json"), "src", problems)
        except Rejected as exc:
            assert not FORBIDDEN.search(str(exc))
            articles = []
        assert_clean(articles, problems)


@check(150)
@given(fragment=hostile_text)
def test_html_to_text_on_random_unicode(fragment: str) -> None:
    """Random text (as text, escaped) before an escape sequence: the sequence goes whole (no "[31m"
    tail is left for the reader), whatever surrounds it, and nothing raises."""
    assume("[31m" not in fragment)
    out = clean_text(html_to_text(f"<p>{escape(fragment)}\x1b[31mRED</p>"))
    assert "[31m" not in out and "RED" in out
    assert not FORBIDDEN.search(out)


# --- structured input: valid skeletons, hostile contents -----------------------------------------------


def _xml_text(value: str, how: str) -> str:
    if how == "escaped":
        return escape(value)
    if how == "cdata":
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return value  # raw: may make the document ill-formed on purpose


@check(120)
@given(
    items=st.lists(
        st.tuples(hostile_text, wordy_text, st.sampled_from(["escaped", "cdata", "raw"])),
        min_size=1,
        max_size=6,
    ),
    feed_title=hostile_text,
    atom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]),
)
def test_feed_skeleton_with_hostile_fields(items, feed_title: str, atom: bool, encoding: str) -> None:
    if atom:
        body = "".join(
            f"<entry><id>urn:x:{i}</id><title>{_xml_text(t, how)}</title>"
            f'<content type="html">{_xml_text(d, how)}</content></entry>'
            for i, (t, d, how) in enumerate(items)
        )
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(feed_title)}</title>{body}</feed>'
    else:
        body = "".join(
            f"<item><guid>g{i}</guid><title>{_xml_text(t, how)}</title>"
            f"<description>{_xml_text(d, how)}</description></item>"
            for i, (t, d, how) in enumerate(items)
        )
        doc = f'<rss version="2.0"><channel><title>{escape(feed_title)}</title>{body}</channel></rss>'
    data = doc.encode(encoding, "replace" if encoding == "latin-1" else "surrogatepass")
    problems: list[Problem] = []
    try:
        articles, _ = parse_feed_bytes(data, "skeleton.xml", "src", problems)
    except Rejected as exc:
        assert not FORBIDDEN.search(str(exc))
        articles = []
    assert_clean(articles, problems)
    # Never fewer entries than feedparser itself recovers from the same bytes.
    assert len(articles) >= len(feedparser.parse(data).entries)
    if all(how != "raw" for _t, _d, how in items) and "\ud800" not in doc and "\udfff" not in doc:
        assert len(articles) == len(items)  # well-formed but for controls: every entry loads


@check(100)
@given(
    items=st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"id": json_values, "title": json_values, "content_text": json_values},
                optional={
                    "content_html": json_values,
                    "url": json_values,
                    "summary": json_values,
                    "authors": json_values,
                    "date_published": json_values,
                },
            ),
        ),
        max_size=6,
    ),
    title=json_values,
)
def test_json_feed_items_of_any_type(items, title) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    problems: list[Problem] = []
    try:
        articles = read_json_feed(json.loads(json.dumps(feed)), Path("f.json"), "src", problems)
    except Rejected as exc:
        assert not FORBIDDEN.search(str(exc))
        articles = []
    assert_clean(articles, problems)
    # Every object item with a usable string title or text loads, whatever its other fields hold.
    usable = sum(
        1
        for it in items
        if isinstance(it, dict)
        and (
            (isinstance(it.get("title"), str) and clean_line(it["title"]))
            or (isinstance(it.get("content_text"), str) and clean_text(it["content_text"]))
        )
    )
    assert len(articles) >= usable


@check(100)
@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "title",
                    "text",
                    "body",
                    "content",
                    "url",
                    "published",
                    "author",
                    "id",
                    "source",
                    "description",
                ]
            ),
            json_values,
            max_size=6,
        ),
        max_size=5,
    ),
    as_lines=st.booleans(),
)
def test_article_json_of_any_type(rows, as_lines: bool) -> None:
    text = "\n".join(json.dumps(r) for r in rows) if as_lines else json.dumps({"articles": rows})
    problems: list[Problem] = []
    try:
        articles = (read_jsonl if as_lines else read_json)(text, Path("a.json"), "src", problems)
    except Rejected as exc:
        assert not FORBIDDEN.search(str(exc))
        articles = []
    assert_clean(articles, problems)


@check(30, slow=True)
@given(title=hostile_text, paragraphs=st.lists(wordy_text, min_size=1, max_size=6), script=hostile_text)
def test_html_page_with_hostile_text(title: str, paragraphs: list[str], script: str) -> None:
    body = "".join(f"<p>{escape(p)} {p}</p>" for p in paragraphs)
    page = (
        f"<html><head><title>{escape(title)}</title><script>var SCRIPT_MARK = 1;{script}</script></head>"
        f"<body><article><h1>{title}</h1>{body}</article><script>SCRIPT_MARK('{script}')</script></body></html>"
    )
    problems: list[Problem] = []
    try:
        articles = read_html(page, Path("p.html"), "src", problems)
    except Rejected as exc:
        assert not FORBIDDEN.search(str(exc))
        articles = []
    assert_clean(articles, problems)
    for a in articles:
        assert "SCRIPT_MARK" not in a.text  # script elements never become text


@pytest.mark.parametrize("kind", ["feed", "json"])
def test_hostile_example_end_to_end(tmp_path: Path, kind: str) -> None:
    """One concrete hostile file of each kind through read_file, to pin what the properties promise."""
    title = "Breaking \x1b]0;owned\x07news\x1b[31m \u202eevil\u202c [bold]x[/] \x00end"
    if kind == "feed":
        data = (
            f'<rss version="2.0"><channel><title>Desk</title><item><title>{escape(title)}</title>'
            f"<description>&lt;p&gt;{escape(title)}&lt;/p&gt;</description></item></channel></rss>"
        ).encode()
        path = tmp_path / "h.xml"
    else:
        data = json.dumps({"title": title, "text": title + "\ud800", "url": "https://e.org/x"}).encode()
        path = tmp_path / "h.json"
    path.write_bytes(data)
    articles, problems = read_file(path)
    assert_clean(articles, problems)
    [a] = articles
    assert a.title == "Breaking news evil [bold]x[/] end"
