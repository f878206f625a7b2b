"""Issue 12, ingestion: hostile and ill-formed feeds and JSON never crash, never lose what a parser can
recover, and never pass a control character on. Each case failed on main before the fix."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from triage.sources import read_file

DATA = Path(__file__).parent / "data"
ILLFORMED = DATA / "feedparser-illformed"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("", encoding="utf-8")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_CONFIG", str(cfg))


def rss(
    items: list[tuple[str, str]],
    *,
    channel: str = "Desk",
    decl: str = '<?xml version="1.0" encoding="utf-8"?>',
) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>https://news.example.org/{i}</link><description>{d}</description></item>\n"
        for i, (t, d) in enumerate(items)
    )
    return f'{decl}\n<rss version="2.0"><channel><title>{channel}</title>\n{body}</channel></rss>\n'


def assert_no_controls(articles) -> None:
    for a in articles:
        for value in (a.title, a.text, a.source, a.url, a.author):
            assert not CONTROL.search(value), value


# --- raw ESC / BEL: a traceback on main --------------------------------------------------------------

ESC_FEED = rss(
    [
        (
            f"Breaking &amp; story {i} \x1b]0;owned\x07now \x1b[31mred\x1b[0m",
            f"&lt;p&gt;Body {i} with a \x07 bell and a \x1b[2J clear.&lt;/p&gt;",
        )
        for i in range(3)
    ]
)


def test_esc_and_bel_in_titles_load_with_the_controls_removed(tmp_path: Path) -> None:
    (tmp_path / "esc.xml").write_bytes(ESC_FEED.encode())
    articles, problems = read_file(tmp_path / "esc.xml")
    assert [a.title for a in articles] == [f"Breaking & story {i} now red" for i in range(3)]
    assert [a.text for a in articles] == [f"Body {i} with a bell and a clear." for i in range(3)]
    assert_no_controls(articles)
    assert [p.reason for p in problems] == ["read 3 feed entries (18 control characters removed)"]


def test_triage_ingest_on_esc_feed_prints_no_traceback(env, tmp_path: Path) -> None:
    from triage.cli.ingest import ingest

    (tmp_path / "esc.xml").write_bytes(ESC_FEED.encode())
    r = CliRunner().invoke(ingest, [str(tmp_path / "esc.xml"), "--json", "--no-cache"])
    assert r.exit_code == 0, r.output
    assert (
        "Traceback" not in r.stderr
        and "\x1b" not in r.stdout + r.stderr
        and "\x07" not in r.stdout + r.stderr
    )
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["title"] for row in rows] == [f"Breaking & story {i} now red" for i in range(3)]


def test_html_to_text_with_controls_never_raises() -> None:
    from triage.sources.readers.html import html_to_text

    assert html_to_text("<p>a \x1b[31mred\x1b[0m b</p><p>\x00second\x07</p>") == "a red b\n\nsecond"
    assert html_to_text("<div>\ud800 lone surrogate \ufffe</div>") == "lone surrogate"


# --- NUL bytes: "a binary file" on main --------------------------------------------------------------


def test_nul_bytes_in_titles_give_the_entries_feedparser_recovers(tmp_path: Path) -> None:
    data = rss([(f"Nul\x00 story {i}", f"Body {i}\x00 text.") for i in range(3)]).encode()
    (tmp_path / "nul.xml").write_bytes(data)
    articles, problems = read_file(tmp_path / "nul.xml")
    assert len(feedparser.parse(data).entries) == 3
    assert [a.title for a in articles] == ["Nul story 0", "Nul story 1", "Nul story 2"]
    assert [a.text for a in articles] == ["Body 0 text.", "Body 1 text.", "Body 2 text."]
    assert [p.reason for p in problems] == ["read 3 feed entries (6 control characters removed)"]


def test_other_c0_controls_anywhere_in_a_feed(tmp_path: Path) -> None:
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
    data = rss(
        [(f"Title {controls} {i}", f"Text {controls} {i}.") for i in range(4)], channel=f"Desk{controls}"
    ).encode()
    (tmp_path / "c0.rss").write_bytes(data)
    articles, problems = read_file(tmp_path / "c0.rss")
    assert [a.title for a in articles] == [f"Title {i}" for i in range(4)]
    assert {a.source for a in articles} == {"Desk"}
    assert_no_controls(articles)
    assert problems and "control characters removed" in problems[0].reason


@pytest.mark.parametrize(
    "name, data",
    [
        ("png.xml", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
        (
            "pdf.rss",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 4,
        ),
        ("feed.atom", gzip.compress(rss([("Zipped", "A gzipped feed is not a feed file.")]).encode() * 20)),
    ],
)
def test_real_binaries_with_feed_names_stay_problems(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    articles, problems = read_file(tmp_path / name)
    assert articles == [] and [p.reason for p in problems] == ["is a binary file, not an RSS or Atom feed"]


def test_text_with_a_stray_nul_is_text_not_binary(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_bytes(
        b"Council approves budget\n\nThe council met on Tuesday\x00 and agreed.\n"
    )
    [a], problems = read_file(tmp_path / "story.txt")
    assert not problems and a.text == "The council met on Tuesday and agreed."
    cyrillic = "Совет утвердил бюджет\n\nСовет собрался во вторник и согласился.\x00\n".encode("cp1251")
    (tmp_path / "ru.txt").write_bytes(cyrillic)
    [a], problems = read_file(tmp_path / "ru.txt")
    assert a.title == "Совет утвердил бюджет" and a.text == "Совет собрался во вторник и согласился."


# --- JSON that is neither a feed nor articles: an article on main ------------------------------------


def test_package_manifest_is_a_problem_not_an_article(tmp_path: Path) -> None:
    manifest = {
        "name": "left-pad",
        "version": "1.3.0",
        "description": "String left pad",
        "main": "index.js",
        "scripts": {"test": "node test"},
        "license": "WTFPL",
    }
    (tmp_path / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    articles, problems = read_file(tmp_path / "package.json")
    assert articles == []
    assert [p.reason for p in problems] == [
        (
            "is neither a feed nor article objects: it looks like a package manifest ('name' and 'version', "
            "no title or article text)"
        )
    ]


@pytest.mark.parametrize(
    "obj",
    [
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Product",
            "description": "A product",
            "type": "object",
            "properties": {"id": {"type": "integer"}},
        },
        {"compilerOptions": {"strict": True}, "description": "tsconfig"},
        {"editor.fontSize": 14, "summary": "settings"},
    ],
)
def test_other_non_article_objects_are_problems(tmp_path: Path, obj: dict) -> None:
    (tmp_path / "x.json").write_text(json.dumps(obj), encoding="utf-8")
    articles, problems = read_file(tmp_path / "x.json")
    assert articles == [] and len(problems) == 1
    assert problems[0].reason.startswith("is neither a feed nor article objects: no article text")


def test_a_lone_article_object_still_loads(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps(
            {"title": "Council", "description": "The council met.", "url": "https://news.example.org/c"}
        ),
        encoding="utf-8",
    )
    [a], problems = read_file(tmp_path / "a.json")
    assert not problems and (a.title, a.text, a.url) == (
        "Council",
        "The council met.",
        "https://news.example.org/c",
    )


# --- feedparser's own ill-formed suite: 0 entries where feedparser recovers 1, on main -------------------


def test_incomplete_cdata_bare_ampersand_and_short_polygon_recover_their_entry() -> None:
    cdata, _ = read_file(ILLFORMED / "rss_incomplete_cdata.xml")
    amp, amp_problems = read_file(ILLFORMED / "rss_item_link_corrupted_ampersands.xml")
    geo, _ = read_file(ILLFORMED / "geo" / "georss_polygon_insufficient_coords.xml")
    assert len(cdata) == len(amp) == len(geo) == 1
    assert cdata[0].source == "can feedparser read this xml" and cdata[0].title == "(untitled)"
    assert amp[0].url == "http://link/get?a=1&b=2" and amp[0].title == "http://link/get?a=1&b=2"
    assert amp_problems[0].reason.endswith(
        "read 1 recovered entries (1 with no title or text, loaded as untitled)"
    )


@pytest.mark.parametrize(
    "path", sorted(ILLFORMED.rglob("*.xml")), ids=lambda p: str(p.relative_to(ILLFORMED))
)
def test_never_fewer_entries_than_feedparser_on_its_illformed_suite(path: Path) -> None:
    articles, problems = read_file(path)
    assert len(articles) >= len(feedparser.parse(path.read_bytes()).entries)
    assert problems or articles
    assert_no_controls(articles)


def test_untitled_entries_get_distinct_ids(tmp_path: Path) -> None:
    data = b'<rss version="2.0"><channel><title>T</title><item></item><item></item><item><title>Real</title></item></channel></rss>'
    (tmp_path / "empty.rss").write_bytes(data)
    articles, problems = read_file(tmp_path / "empty.rss")
    assert [a.title for a in articles] == ["(untitled)", "(untitled)", "Real"]
    assert len({a.id for a in articles}) == 3
    assert [p.reason for p in problems] == [
        "read 3 feed entries (2 with no title or text, loaded as untitled)"
    ]


# --- undeclared Latin-1: wrong characters (and a lost entry) on main -----------------------------------

LATIN1_ENTRIES = [
    (f"Council report {i}", f"The council met on Tuesday to discuss item {i} of the budget.")
    for i in range(10)
]
LATIN1_ENTRIES[2] = ("Mayor visits the café", "<![CDATA[The mayor had lunch at the new café]]>")
LATIN1_ENTRIES[5] = ("Zürich twin town", "A delegation from Zürich arrived on Monday.")
LATIN1_ENTRIES[7] = ("Twin town visit ends", "The delegation flew home from Zürich.")


def test_undeclared_latin1_feed_loads_all_ten_with_correct_characters(tmp_path: Path) -> None:
    (tmp_path / "latin1.rss").write_bytes(rss(LATIN1_ENTRIES, channel="Town news", decl="").encode("latin-1"))
    articles, problems = read_file(tmp_path / "latin1.rss")
    assert [(a.title, a.text) for a in articles] == [
        (t, d.removeprefix("<![CDATA[").removesuffix("]]>")) for t, d in LATIN1_ENTRIES
    ]
    assert [p.reason for p in problems] == [
        "feed declares the wrong encoding (read as cp1252): read 10 recovered entries"
    ]


def test_dense_latin1_text_in_an_undeclared_feed(tmp_path: Path) -> None:
    entries = [
        ("Señor Muñoz, año 2024", "Crème brûlée, naïve façade, ±5 °C, ½ price, « Ørsted », ß, þ, ÿ.")
    ] * 3
    (tmp_path / "dense.rss").write_bytes(rss(entries, decl="").encode("latin-1"))
    articles, _ = read_file(tmp_path / "dense.rss")
    assert [(a.title, a.text) for a in articles] == entries


def test_cyrillic_and_greek_undeclared_feeds_keep_their_script(tmp_path: Path) -> None:
    for name, enc, title, text in (
        ("ru.rss", "cp1251", "Совет утвердил бюджет", "Совет собрался во вторник."),
        ("el.rss", "cp1253", "Το συμβούλιο ενέκρινε", "Το συμβούλιο συνεδρίασε την Τρίτη."),
    ):
        (tmp_path / name).write_bytes(rss([(title, text)] * 3, decl="").encode(enc))
        articles, _ = read_file(tmp_path / name)
        assert [(a.title, a.text) for a in articles] == [(title, text)] * 3


# --- JSON Feed with wrong types: one object item lost on main --------------------------------------------


def test_json_feed_wrong_types_recover_every_item_with_content(tmp_path: Path) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["City", "desk"],
        "authors": "desk",
        "items": [
            {"id": 1, "title": "Council approves budget", "content_text": "The council met on Tuesday."},
            {
                "id": {"x": 2},
                "title": {"rendered": "Mayor &amp; council"},
                "content_text": ["Para one.", "Para two."],
                "url": ["https://news.example.org/2"],
                "date_published": 20240101,
                "authors": [{"name": 5}, {"name": "Ann"}],
                "tags": "not-a-list",
                "summary": {"no": "text"},
            },
            {"id": 3, "title": 2024, "content_html": {"rendered": "<p>Year in review.</p>"}},
            {"id": 4, "url": "https://news.example.org/link-only"},
            {"id": 5, "title": None, "content_text": None},
            "a string item",
        ],
    }
    (tmp_path / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    articles, problems = read_file(tmp_path / "feed.json")
    assert [(a.title, a.text, a.url) for a in articles] == [
        ("Council approves budget", "The council met on Tuesday.", ""),
        ("Mayor & council", "Para one.\n\nPara two.", "https://news.example.org/2"),
        ("2024", "Year in review.", ""),
        ("https://news.example.org/link-only", "", "https://news.example.org/link-only"),
    ]
    assert {a.source for a in articles} == {"City desk"}
    assert (
        articles[1].author == "Ann" and articles[1].published == "2024-01-01T00:00:00"
    )  # a number read as a date
    assert [p.reason for p in problems] == [
        "JSON Feed item 5 has neither title nor content: skipped",
        "JSON Feed item 6 is a string, not an object: skipped",
    ]


def test_wordpress_style_rendered_objects(tmp_path: Path) -> None:
    posts = [
        {
            "id": 12,
            "date": "2024-01-02T10:00:00",
            "link": "https://news.example.org/wp/12",
            "title": {"rendered": "Council&#8217;s budget"},
            "content": {"rendered": "<p>The council met.</p><p>It agreed.</p>"},
        }
    ]
    (tmp_path / "posts.json").write_text(json.dumps(posts), encoding="utf-8")
    [a], problems = read_file(tmp_path / "posts.json")
    assert not problems and a.title == "Council’s budget" and a.text == "The council met.\n\nIt agreed."


# --- other hostile input found while reading the code ----------------------------------------------------


def test_json_surrogates_huge_numbers_and_deep_lines(tmp_path: Path) -> None:
    lines = [
        '{"title": "Lone \\ud800 surrogate", "text": "Body \\udfff here.", "author": "\\udc80"}',
        '{"title": "Big id", "text": "A huge id.", "id": ' + "9" * 5000 + "}",
        "[" * 50_000,
        '{"title": "Inf", "text": "Infinite number.", "published": 1e999}',
    ]
    (tmp_path / "odd.jsonl").write_text("\n".join(lines), encoding="utf-8")
    articles, problems = read_file(tmp_path / "odd.jsonl")
    assert [a.title for a in articles] == ["Lone \ufffd surrogate", "Big id", "Inf"]
    assert articles[0].text == "Body \ufffd here." and articles[2].published == ""
    for a in articles:
        a.title.encode("utf-8")
        a.text.encode("utf-8")  # lone surrogates would make every later print or save fail
    assert [p.reason for p in problems] == ["line 3 is JSON nested too deeply to read: skipped"]


def test_mail_header_with_raw_bytes_and_controls(tmp_path: Path) -> None:
    msg = (
        b"From: \xff\xfe Reporter <r@example.org>\r\nSubject: Council \x1b]0;owned\x07\xe9t\xe9 budget\r\n"
        b"Message-ID: <m1@example.org>\r\n\r\nThe council met on Tuesday.\r\n"
    )
    (tmp_path / "m.eml").write_bytes(msg)
    [a], _problems = read_file(tmp_path / "m.eml")
    assert "\x1b" not in a.title and "owned" not in a.title and a.title.startswith("Council")
    a.title.encode("utf-8")
    a.author.encode("utf-8")
    assert a.text == "The council met on Tuesday."


def test_iso_2022_jp_feed_keeps_its_escape_bytes_as_encoding(tmp_path: Path) -> None:
    doc = rss([("東京で会議", "今日は晴れです。")], decl='<?xml version="1.0" encoding="iso-2022-jp"?>')
    (tmp_path / "jp.xml").write_bytes(doc.encode("iso-2022-jp"))
    [a], problems = read_file(tmp_path / "jp.xml")
    assert (a.title, a.text) == ("東京で会議", "今日は晴れです。") and not problems


def test_utf16_feed_with_controls(tmp_path: Path) -> None:
    doc = rss([("Title\x1b[31m red\x00", "Text\x07.")], decl='<?xml version="1.0" encoding="utf-16"?>')
    (tmp_path / "u16.xml").write_bytes(doc.encode("utf-16"))
    [a], problems = read_file(tmp_path / "u16.xml")
    assert (a.title, a.text) == ("Title red", "Text.")
    assert [p.reason for p in problems] == ["read 1 feed entry (3 control characters removed)"]


def test_deeply_nested_markup_keeps_its_text_in_bounded_time(tmp_path: Path) -> None:
    import time

    from triage.sources.readers.html import html_to_text

    assert html_to_text("<div>" * 100_000 + "deep text") == "deep text"  # libxml2 stops at 256 levels
    nested = "&lt;b&gt;" * 20_000 + "Deep body."
    (tmp_path / "deep.rss").write_text(rss([("Deep", nested), ("Shallow", "Fine.")]), encoding="utf-8")
    t0 = time.perf_counter()
    articles, _ = read_file(tmp_path / "deep.rss")
    # ~0.1 s here; a reader quadratic in the depth would take minutes: the margin is for a busy machine
    assert time.perf_counter() - t0 < 30
    assert [(a.title, a.text) for a in articles] == [("Deep", "Deep body."), ("Shallow", "Fine.")]


def test_escape_sequences_in_html_pages_and_mail_leave_no_tail(tmp_path: Path) -> None:
    """libxml2 drops a raw ESC and keeps "[2J": the whole sequence must go, in pages and in HTML mail."""
    para = "The council \x1b[2Jmet\x00 on Tuesday \x1b]0;owned\x07to discuss the budget for the coming year in detail."
    page = f"<html><head><title>Budget\x1b[31m day</title></head><body><article><h1>Budget day</h1><p>{para}</p></article></body></html>"
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    [a], _ = read_file(tmp_path / "p.html")
    assert a.title == "Budget day"
    assert a.text == "The council met on Tuesday to discuss the budget for the coming year in detail."
    mail = (
        f"From: a@example.org\r\nSubject: Budget\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{page}\r\n"
    )
    (tmp_path / "m.eml").write_bytes(mail.encode())
    [m], _ = read_file(tmp_path / "m.eml")
    assert m.text.endswith(
        "\n\nThe council met on Tuesday to discuss the budget for the coming year in detail."
    )
    assert "[2J" not in m.text and "owned" not in m.text
    # A control picture in ordinary text (no raw controls in the page) is text, kept as it is.
    clean = (
        "<html><head><title>Budget day</title></head><body><article><h1>Budget day</h1><p>The symbol ␛ stands "
        "for escape in the council's old manual, the chair said on Tuesday.</p></article></body></html>"
    )
    (tmp_path / "c.html").write_text(clean, encoding="utf-8")
    [c], _ = read_file(tmp_path / "c.html")
    assert "␛" in c.text
