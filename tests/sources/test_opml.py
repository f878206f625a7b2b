"""OPML and newsboat urls in, OPML 2.0 out: real files from newsboat, NetNewsWire, Miniflux, listparser
and a Feedly-style export (tests/data/opml/NOTICE.md), round trips, and hostile input."""

from __future__ import annotations

import re
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from triage.sources.feedmodel import feed_url, url_key
from triage.sources.opml import MAX_BYTES, ListError, parse_opml, read_subscriptions, to_opml

DATA = Path(__file__).resolve().parents[1] / "data" / "opml"
BAD_CHARS = [chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]] + [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
]


def read(rel: str):
    return read_subscriptions((DATA / rel).read_bytes())


def by_url(subs) -> dict:
    return {f.url: f for f in subs.feeds}


# --- real exports -----------------------------------------------------------------------------------


def test_newsboat_opml_1_nested_folders_and_text_over_title():
    subs = read("newsboat/example.opml")
    assert subs.kind == "OPML 1.0" and len(subs.feeds) == 7 and not subs.problems
    feeds = by_url(subs)
    mike = feeds["https://blogs.example.com/~mike/.rss"]
    assert mike.name == "Notes by Mike"
    assert mike.folders == (
        ("Blogs", "friends"),
    )  # the folder's text="Blogs" wins over title="should be ignored"
    assert mike.tags == ("Blogs", "friends")
    assert feeds["https://example.com/feed.xml"].folders == ()
    assert feeds["https://fred.example.com/writing/index.php?type=rss"].tags == ("eloquent",)


def test_newsboat_opml_2_export_uses_the_category_attribute():
    (feed,) = read("newsboat/category.opml").feeds
    assert feed.url == "http://feeds.bbci.co.uk/news/business/rss.xml?edition=int"
    assert feed.name == ""  # newsboat wrote title="" for a feed it had not fetched
    assert feed.folders == (("tag one",), ("tag_two",), ("tag", "three"))


def test_newsboat_urls_file_from_its_test_suite():
    subs = read("newsboat/test-urls")
    assert subs.kind == "newsboat urls"
    feeds = by_url(subs)
    assert feeds["http://test1.url.cc/feed.xml"].name == "title"
    assert feeds["http://test1.url.cc/feed.xml"].tags == ("tag1", "tag2")
    assert (
        feeds["http://onemorefeed.at/feed/"].name == "another title"
    )  # "~another title", quoted, tab-separated
    assert feeds["http://onemorefeed.at/feed/"].tags == ("tag1", "tag3")
    assert feeds["http://anotherfeed.com/"].tags == ()


def test_newsboat_urls_every_feature():
    subs = read("own/urls")
    feeds = by_url(subs)
    assert list(feeds) == [
        "https://feeds.bbci.co.uk/news/world/rss.xml",
        "https://www.lemonde.fr/rss/une.xml",
        "https://rss.sueddeutsche.de/rss/Politik",
        "https://feeds.arstechnica.com/arstechnica/index",
        "http://www.example.org/feed.xml",  # feed:// read as http://
    ]
    bbc = feeds["https://feeds.bbci.co.uk/news/world/rss.xml"]
    assert bbc.name == "BBC World" and bbc.tags == ("world", "bbc", "uk")  # a repeated URL adds its tags
    assert feeds["https://www.lemonde.fr/rss/une.xml"].name == "Le Monde – À la une"
    assert feeds["https://www.lemonde.fr/rss/une.xml"].tags == ("français", "world")
    sz = feeds["https://rss.sueddeutsche.de/rss/Politik"]
    assert sz.name == 'SZ "Politik"' and sz.tags == ("world", "deutsch sprachig")
    assert feeds["https://feeds.arstechnica.com/arstechnica/index"].tags == (
        "tech",
    )  # "!" (hidden) dropped, comment cut
    assert [n.split(":")[0] for n in subs.notes] == ["line 10", "line 11"]
    assert all("query feed" in n for n in subs.notes)
    reasons = {p.where: p.reason for p in subs.problems}
    assert set(reasons) == {"line 12", "line 13", "line 14"}
    assert (
        "exec:" in reasons["line 12"] and "filter:" in reasons["line 13"] and "gopher:" in reasons["line 14"]
    )


def test_newsboat_exec_only_file_has_no_usable_feed():
    subs = read("newsboat/926-urls")
    assert subs.feeds == () and "local command" in subs.problems[0].reason


def test_liferea_pipe_url_is_skipped_with_a_reason():
    subs = read("newsboat/piped.opml")
    assert [f.url for f in subs.feeds] == ["https://example.com/feed.atom"]
    assert subs.problems[0].where == 'outline "Birdsite search"' and "http" in subs.problems[0].reason


def test_opml_without_body_is_refused():
    with pytest.raises(ListError, match="without a <body>"):
        read("newsboat/body-element-missing.opml")


def test_netnewswire_export_206_feeds_in_four_folders_with_non_ascii_titles():
    subs = read("netnewswire/Subs.opml")
    assert subs.kind == "OPML 1.1" and not subs.problems
    # 207 outlines: "http://feed.katiefloyd.com" and ".../" are one feed once the URL is normalised
    assert len(subs.feeds) == 206
    assert len({url_key(f.url) for f in subs.feeds}) == 206
    folders = {}
    for f in subs.feeds:
        folders[f.folders] = folders.get(f.folders, 0) + 1
    assert folders == {
        (("Weblogs",),): 97,
        (): 68,
        (("Programming",),): 33,
        (("Macintosh",),): 5,
        (("Writers",),): 3,
    }
    names = {f.name for f in subs.feeds}
    assert {"Learn Swift ↯", "Susan × Blog", "kt zine — Medium", "⌥⇧K", "Stratēchery"} <= names
    assert by_url(subs)["http://daringfireball.net/feeds/main"].site == "http://daringfireball.net/"
    assert by_url(subs)["http://jvns.ca/atom.xml"].site == ""  # htmlUrl=""


def test_netnewswire_default_feeds_opml_2():
    subs = read("netnewswire/DefaultFeeds.opml")
    assert subs.kind == "OPML 2.0" and len(subs.feeds) == 10
    assert by_url(subs)["https://feedpress.me/sixcolors?type=xml"].name == "Six Colors"


def test_miniflux_export_ignores_its_own_settings_attributes():
    subs = read("miniflux/export.opml")
    assert [(f.name, f.folders, f.site) for f in subs.feeds] == [
        ("Feed 1", (("Category 1",),), "http://example.org/1"),
        ("Feed 2", (("Category 1",),), "http://example.org/2"),
        ("Feed 3", (("Category 2",),), "http://example.org/3"),
    ]


def test_miniflux_iso_8859_1_list_and_escaped_characters():
    subs = read("miniflux/without-categories.opml")
    assert len(subs.feeds) == 13
    feeds = by_url(subs)
    assert feeds["http://www.nytimes.com/services/xml/rss/nyt/Business.xml"].name == "NYT > Business"
    assert feeds["http://rss.news.yahoo.com/rss/tech"].site == "http://news.yahoo.com/news?tmpl=index&cid=738"


def test_rssowl_namespaced_attributes_and_two_folder_levels():
    subs = read("miniflux/rssowl-nested.opml")
    assert [f.folders for f in subs.feeds] == [(("My Feeds", "Some Category"),)] * 2 + [
        (("My Feeds", "Another Category"),)
    ]


def test_feedly_export_non_ascii_titles_and_a_feed_in_two_folders():
    subs = read("own/feedly.opml")
    feeds = by_url(subs)
    assert len(subs.feeds) == 7
    assert feeds["https://feeds.bbci.co.uk/news/world/rss.xml"].folders == (("World",), ("Asia",))
    assert feeds["https://www3.nhk.or.jp/rss/news/cat0.xml"].name == "NHK ニュース"
    assert feeds["https://www.zaobao.com.sg/rss/realtime/china"].name == "联合早报 - 中国"
    assert any(f.name == "الجزيرة نت" for f in subs.feeds)
    assert feeds["https://feeds.arstechnica.com/arstechnica/index"].tags == ("Tech & Science",)


@pytest.mark.parametrize("rel", ["own/latin1.opml", "own/no-declaration.opml", "own/utf16.opml"])
def test_encodings_are_read_as_declared_or_as_xml_defaults(rel):
    (feed,) = read(rel).feeds
    expected = {"own/latin1.opml": ("Café de la Presse « Actualités »", "Français")}.get(
        rel, ("Süddeutsche – Überblick 日本", "Nachrichten")
    )
    assert (feed.name, feed.tags[0]) == expected


@pytest.mark.parametrize(
    "rel, check",
    [
        ("listparser/cats-3-multiple.opml", lambda f: f.folders == (("root1", "node1"), ("root2", "node2"))),
        ("listparser/hier-2-nested.opml", lambda f: f.folders == (("grouping1", "grouping2"),)),
        (
            "listparser/hier-4-mixed.opml",
            lambda f: set(f.folders) == {("tag",), ("parent", "child"), ("grouping",)},
        ),
        ("listparser/hier-5-title.opml", lambda f: f.folders == (("wordpress",),)),
        ("listparser/outline-duplication-2.opml", lambda f: f.folders == (("hier1",), ("hier2",))),
        ("listparser/outline_title-text_missing.opml", lambda f: f.name == "feedname"),
        ("listparser/outline_xmlUrl-miscapitalized.opml", lambda f: f.url == "http://domain/feed"),
    ],
)
def test_listparser_suite_cases(rel, check):
    (feed,) = read(rel).feeds
    assert check(feed)


def test_a_link_to_another_subscription_list_is_reported_not_followed():
    subs = read("listparser/outline_type-source.opml")
    assert subs.feeds == () and "another subscription list" in subs.problems[0].reason


def test_opml_with_only_folders_has_no_feeds():
    with pytest.raises(ListError, match="no feeds"):
        read("listparser/opml_version-11.opml")


# --- round trip -------------------------------------------------------------------------------------

ROUND_TRIP = [
    "newsboat/example.opml",
    "newsboat/example2.opml",
    "newsboat/category.opml",
    "newsboat/test-urls+.opml",
    "newsboat/test-urls",
    "netnewswire/Subs.opml",
    "miniflux/export.opml",
    "miniflux/rssowl-nested.opml",
    "miniflux/without-categories.opml",
    "own/feedly.opml",
    "own/urls",
    "own/latin1.opml",
    "listparser/hier-4-mixed.opml",
    "listparser/cats-3-multiple.opml",
]


@pytest.mark.parametrize("rel", ROUND_TRIP)
def test_export_then_import_keeps_every_url_title_and_folder(rel):
    first = read(rel).feeds
    text = to_opml(first)
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0" and root.find("head/title") is not None
    again = parse_opml(text.encode("utf-8"))
    assert again.kind == "OPML 2.0" and not again.problems
    def key(f):
        return f.url, f.name, tuple(sorted(f.folders)), f.site

    assert sorted(map(key, again.feeds)) == sorted(map(key, first))


def test_export_nests_folders_and_lists_a_feed_in_each_of_its_folders():
    text = to_opml(read("own/feedly.opml").feeds)
    root = ET.fromstring(text.encode())
    bbc = [
        o for o in root.iter("outline") if o.get("xmlUrl") == "https://feeds.bbci.co.uk/news/world/rss.xml"
    ]
    assert len(bbc) == 2 and all(o.get("text") == o.get("title") == "BBC News - World" for o in bbc)
    nested = to_opml(read("newsboat/example.opml").feeds)
    blogs = next(o for o in ET.fromstring(nested.encode()).find("body") if o.get("text") == "Blogs")
    friends = next(o for o in blogs if o.get("text") == "friends")
    assert [o.get("xmlUrl") for o in friends] == ["https://blogs.example.com/~mike/.rss"]


# --- hostile and broken input -----------------------------------------------------------------------


def test_xxe_pointing_at_a_local_file_is_refused_and_nothing_is_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4821")
    for doc in (
        (
            f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/rss"/></body></opml>'
        ),
        (
            f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
            '<opml version="2.0"><body/></opml>'
        ),
    ):
        with pytest.raises(ListError) as err:
            read_subscriptions(doc.encode())
        assert "entity" in str(err.value) and "TOP-SECRET" not in str(err.value)
    # An external DTD is never fetched: the document parses and the secret appears nowhere.
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file://{secret}"><opml version="2.0"><body>'
        '<outline text="A" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    subs = read_subscriptions(doc.encode())
    assert "TOP-SECRET" not in repr(subs)


def test_billion_laughs_is_refused_in_bounded_time_and_memory():
    levels = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY l0 "lol">{levels}]>'
        '<opml version="2.0"><body><outline text="&l9;" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    quadratic = (
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "' + "x" * 50_000 + '">]><opml version="2.0">'
        '<body><outline text="' + "&a;" * 20_000 + '" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    for doc in (bomb, quadratic):
        tracemalloc.start()
        try:
            with pytest.raises(ListError, match="entity"):
                read_subscriptions(doc.encode())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20_000_000  # the time it takes is measured in tests/perf


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<opml version='2.0'><body><outline text='x'></body></opml>", "not well-formed XML"),
        (b"<opml", "not well-formed XML"),
        (b"<html><body><p>a web page</p></body></html>", "not OPML"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>', "an RSS feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', "an Atom feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"\xff\xd8\xff\xe0 not utf-8 at all \xfe", "not UTF-8"),
        (b"Dear editor,\nplease find attached the list.\n", "neither OPML nor a newsboat urls file"),
        (b'<?xml version="1.0" encoding="no-such-encoding"?><opml/>', "XML"),
        (
            b'<opml version="2.0"><body><outline text="&#27;[31mred" xmlUrl="https://a.example/"/></body></opml>',
            "not well-formed XML",
        ),
    ],
)
def test_unusable_files_give_one_plain_line(data, message):
    with pytest.raises(ListError) as err:
        read_subscriptions(data)
    text = str(err.value)
    assert message in text and "\n" not in text and "\x1b" not in text


def test_deep_nesting_and_huge_files_are_refused():
    deep = '<opml version="2.0"><body>' + '<outline text="f">' * 200 + "</outline>" * 200 + "</body></opml>"
    with pytest.raises(ListError, match="deep"):
        read_subscriptions(deep.encode())
    with pytest.raises(ListError, match="limit"):
        read_subscriptions(b"<" + b" " * MAX_BYTES)


def test_controls_bidi_and_markup_in_titles_are_neutralised():
    doc = (
        '<opml version="2.0"><body><outline text="Evil&#155;31m &#8238;txt.exe [bold red]loud[/]">'
        '<outline text="Feed&#133;&#x202E;&#x2066; [link=file:///etc]x[/link]" xmlUrl="https://a.example/rss"/>'
        "</outline></body></opml>"
    )
    (feed,) = read_subscriptions(doc.encode()).feeds
    for s in (feed.name, *feed.tags):
        assert not any(c in s for c in BAD_CHARS), repr(s)
    assert "[link=file:///etc]x[/link]" in feed.name  # markup stays literal text; it is never interpreted
    assert feed.tags == ("Evil31m txt.exe [bold red]loud[/]",)
    urls = b'https://b.example/rss "~\x1b]0;pwned\x07Title\x1b[2J\xc2\x9b31m\xe2\x80\xae" "tag\x07\x1b[1m"\n'
    (feed,) = read_subscriptions(urls).feeds
    assert feed.name == "Title31m" and feed.tags == ("tag",)


@pytest.mark.parametrize(
    "url, reason",
    [
        ("javascript:alert(1)", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("data:text/xml,<rss/>", "not an http(s) URL"),
        ("/relative/feed.xml", "not an http(s) URL"),
        ("http://", "no host"),
        ("http://exa mple.org/rss", "spaces or control"),
        ("https://example.org:99999/rss", "not a valid URL"),
    ],
)
def test_only_http_and_https_urls_are_accepted(url, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        feed_url(url)
    doc = f'<opml version="2.0"><body><outline text="T" xmlUrl="{url.replace("<", "&lt;")}"/></body></opml>'
    subs = read_subscriptions(doc.encode())
    assert subs.feeds == () and reason in subs.problems[0].reason


def test_feed_scheme_and_url_normalisation():
    assert feed_url(" feed://example.org/rss ") == "http://example.org/rss"
    assert feed_url("feed:https://example.org/rss") == "https://example.org/rss"
    assert url_key("HTTP://Example.ORG:80") == url_key("http://example.org/") == "http://example.org/"
    assert url_key("https://example.org:443/a?b=1#frag") == "https://example.org/a?b=1"
    assert url_key("https://example.org/a/") != url_key(
        "https://example.org/a"
    )  # a server may tell them apart


# --- bare "&" (exporters that forget to escape it) --------------------------------------------------


@pytest.mark.parametrize(
    "unescaped, original",
    [
        ("bare-ampersand/netnewswire-Subs-unescaped.opml", "netnewswire/Subs.opml"),
        ("bare-ampersand/miniflux-without-categories-unescaped.opml", "miniflux/without-categories.opml"),
    ],
)
def test_bare_ampersand_imports_every_feed_of_the_original(unescaped, original):
    subs, orig = read(unescaped), read(original)
    assert subs.feeds == orig.feeds and subs.problems == orig.problems
    assert len(subs.notes) == 1 and "unescaped '&' read as text" in subs.notes[0]


def test_plenary_export_with_bare_ampersands():
    subs = read("bare-ampersand/plenary-export.opml")
    assert subs.kind == "OPML 1.0" and len(subs.feeds) == 6 and not subs.problems
    feeds = by_url(subs)
    sky = feeds["https://www.skyandtelescope.com/feed/"]
    assert sky.name == "Sky & Telescope" and sky.folders == (("Space",),)
    assert feeds["https://www.forbes.com/business/feed/"].folders == (("Business & Economy",),)
    assert feeds["https://www.loksatta.com/desh-videsh/feed/"].name == "Loksatta – देश-विदेश"  # &#8211; kept
    assert subs.notes == ("5 unescaped '&' read as text (the exporter did not escape them)",)


@pytest.mark.parametrize(
    "doc, message",
    [
        # Escaping bare "&" never lets an entity through: declared ones are refused as before ...
        (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "x">]><opml version="2.0"><body>'
            '<outline text="A & B &a;" xmlUrl="https://a.example/rss"/></body></opml>',
            "declares an XML entity",
        ),
        # ... undeclared ones are not made into text, and other damage is not repaired.
        (
            '<opml version="2.0"><body><outline text="A & B &nbsp;" xmlUrl="https://a.example/rss"/></body></opml>',
            "not well-formed XML",
        ),
        ("<opml version='2.0'><body><outline text='A & B'></body></opml>", "not well-formed XML"),
    ],
)
def test_bare_ampersand_recovery_stays_safe(doc, message):
    with pytest.raises(ListError) as err:
        read_subscriptions(doc.encode())
    assert message in str(err.value)
