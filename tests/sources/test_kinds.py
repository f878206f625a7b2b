"""Every kind of incoming article loads from real files: wire text, Markdown, HTML, mail, JSON, feeds."""

from __future__ import annotations

import json
import shutil
from email.message import EmailMessage
from pathlib import Path

from tests.sources.conftest import copy_demo, demo_article
from triage.sources import load, read_file


def test_demo_inbox_loads_every_article(demo: Path) -> None:
    res = load([demo])
    names = {Path(a.path).name for a in res.articles}
    real = {p.name for p in demo.iterdir() if p.name[:2].isdigit()}
    assert real <= names
    assert not res.problems
    for a in res.articles:
        assert a.title and a.text and len(a.id) == 12 and a.content_hash
        assert "\n\n\n" not in a.text


def test_wire_txt_headline_and_furniture(afp: Path) -> None:
    arts, probs = read_file(afp)
    assert not probs and len(arts) == 1
    a = arts[0]
    assert a.title.startswith("Russia begins mobilizing troops for Ukraine")
    assert "– adding “vote” –" not in a.text
    assert "Everyone would like to leave” –" not in a.text
    assert "this story has not been edited" not in a.text
    # The story text stays whole: first and last story paragraphs, quotes with dashes inside.
    assert a.text.startswith("According to the Russian military")
    assert a.text.endswith("he told AFP on condition of anonymity.")
    assert "“We cannot – we will not – let President Putin get away with this,”" in a.text


def test_wire_txt_byline_and_dateline(inbox: Path) -> None:
    title, paras = demo_article("01-")
    (inbox / "w.txt").write_text(
        f"{title}\n\nBy Jane Doe, Reuters\n\nFriday, January 4, 2019\n\n" + "\n\n".join(paras) + "\n",
        encoding="utf-8",
    )
    [a], _ = read_file(inbox / "w.txt")
    assert a.author == "Jane Doe" and a.published == "2019-01-04"
    assert a.text == "\n\n".join(paras)


def test_markdown_front_matter(demo: Path) -> None:
    md = next(p for p in sorted(demo.iterdir()) if p.name.startswith("09-"))
    [a], probs = read_file(md)
    assert not probs
    assert a.title == "Taiwan's legislature first in Asia to legalize same-sex marriage"
    assert a.source == "Wikinews" and a.published == "2019-05-19"
    assert a.url.startswith("https://en.wikinews.org/wiki/Taiwan")
    assert not a.text.startswith("---") and "title:" not in a.text


def test_markdown_heading_title(inbox: Path) -> None:
    title, paras = demo_article("03-")
    (inbox / "a.md").write_text(
        f"# {title}\n\n" + "\n\n".join(f"**{p}**" if i == 0 else p for i, p in enumerate(paras)),
        encoding="utf-8",
    )
    [a], _ = read_file(inbox / "a.md")
    assert a.title == title and a.source == "inbox"
    assert a.text.startswith(paras[0]) and "**" not in a.text


def html_page(
    title: str, paras: list[str], *, url: str = "https://example.org/news/story-1", truncate: bool = False
) -> str:
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(12))
    body = "".join(f"<p>{p}</p>" for p in paras)
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Example News</title>
<link rel="canonical" href="{url}"><meta property="og:title" content="{title}">
<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2019-01-04T10:00:00Z">
<script>var tracking = "do not show";</script><style>.x{{color:red}}</style></head>
<body><header><nav><ul>{nav}</ul></nav><div class="cookie">We use cookies. Accept all cookies</div></header>
<main><article><h1>{title}</h1>{body}</article></main>
<footer><p>Subscribe to our newsletter</p><p>© 2019 Example News. All rights reserved.</p></footer></body></html>"""
    return page[: len(page) * 3 // 5] if truncate else page


def test_html_trafilatura_main_text_and_metadata(inbox: Path) -> None:
    title, paras = demo_article("01-")
    (inbox / "story.html").write_text(html_page(title, paras), encoding="utf-8")
    [a], probs = read_file(inbox / "story.html")
    assert not probs
    assert a.title.startswith("Magnitogorsk apartment building collapses")
    assert a.url == "https://example.org/news/story-1"
    assert a.published.startswith("2019-01-04")
    assert paras[0] in a.text and paras[-1][:60] in a.text
    for junk in ("Section 3", "cookies", "newsletter", "tracking"):
        assert junk not in a.text


def test_eml_plain_and_html(inbox: Path) -> None:
    title, paras = demo_article("04-")
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = "Desk Editor <desk@example.org>"
    msg["Date"] = "Wed, 23 Jan 2019 10:00:00 +0000"
    msg["Message-ID"] = "<story-4@example.org>"
    msg.set_content("\n\n".join(paras))
    (inbox / "plain.eml").write_bytes(bytes(msg))
    [a], probs = read_file(inbox / "plain.eml")
    assert not probs and a.title == title and a.author == "Desk Editor"
    assert a.published == "2019-01-23T10:00:00Z" and a.text.startswith(paras[0])

    html_msg = EmailMessage()
    html_msg["Subject"] = title
    html_msg["Message-ID"] = "<story-4-html@example.org>"
    html_msg.set_content(html_page(title, paras), subtype="html")
    (inbox / "html.eml").write_bytes(bytes(html_msg))
    [b], probs = read_file(inbox / "html.eml")
    assert not probs and paras[0] in b.text and "Section 3" not in b.text


def test_mbox(inbox: Path) -> None:
    chunks = []
    for i, prefix in enumerate(("05-", "06-")):
        title, paras = demo_article(prefix)
        m = EmailMessage()
        m["Subject"] = title
        m["From"] = "wire@example.org"
        m["Message-ID"] = f"<m{i}@example.org>"
        m.set_content("\n\n".join(paras))
        chunks.append(b"From wire@example.org Mon Feb 11 10:00:00 2019\n" + bytes(m) + b"\n")
    (inbox / "desk.mbox").write_bytes(b"".join(chunks))
    arts, probs = read_file(inbox / "desk.mbox")
    assert not probs and len(arts) == 2
    assert arts[0].title.startswith("Thai political party") and arts[1].title.startswith("Zebra stripes")


def test_json_and_jsonl(inbox: Path) -> None:
    rows = []
    for prefix in ("07-", "08-"):
        title, paras = demo_article(prefix)
        rows.append(
            {
                "title": title,
                "body": "\n\n".join(paras),
                "url": f"https://example.org/{prefix}",
                "source": "Wikinews",
                "published": "2019-03-05",
            }
        )
    (inbox / "list.json").write_text(json.dumps(rows), encoding="utf-8")
    (inbox / "one.json").write_text(json.dumps({**rows[0], "text": rows[0]["body"]}), encoding="utf-8")
    (inbox / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    for name, n in (("list.json", 2), ("one.json", 1), ("lines.jsonl", 2)):
        arts, probs = read_file(inbox / name)
        assert not probs and len(arts) == n, name
        assert arts[0].source == "Wikinews" and arts[0].published == "2019-03-05"
    # Same url -> same id across kinds.
    assert read_file(inbox / "list.json")[0][0].id == read_file(inbox / "lines.jsonl")[0][0].id


def test_json_feed(inbox: Path) -> None:
    title, paras = demo_article("10-")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Wikinews",
        "items": [
            {
                "id": "https://en.wikinews.org/wiki/Benin",
                "url": "https://en.wikinews.org/wiki/Benin",
                "title": title,
                "content_html": "".join(f"<p>{p}</p>" for p in paras),
                "date_published": "2019-07-10T12:00:00+02:00",
                "authors": [{"name": "Wikinews contributors"}],
            },
            {"id": 2, "title": "Plain item", "content_text": "Text only item.", "tags": "wrong type"},
        ],
    }
    (inbox / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    arts, probs = read_file(inbox / "feed.json")
    assert not probs and len(arts) == 2
    assert (
        arts[0].title == title
        and arts[0].source == "Wikinews"
        and arts[0].published == "2019-07-10T10:00:00Z"
    )
    assert arts[0].text.split("\n\n") == paras and arts[0].author == "Wikinews contributors"
    assert arts[1].text == "Text only item."


def test_rss_real_nasa(nasa_rss: Path) -> None:
    arts, probs = read_file(nasa_rss)
    assert not probs and len(arts) == 10
    assert all(a.source == "NASA" and a.url.startswith("https://www.nasa.gov/") for a in arts)
    assert all(a.published.endswith("Z") for a in arts)
    assert sum(1 for a in arts if a.title == "(untitled)" or a.title) == 10  # the empty <title> item is named
    assert all("<p>" not in a.text and "min read" not in a.text.split("\n\n")[0] for a in arts)


def test_legacy_rss_and_atom(inbox: Path) -> None:
    from tests.sources.conftest import feeds_dir

    shutil.copy(feeds_dir() / "nasa-breaking-news-2022-01.xml", inbox / "breaking.rss")
    arts, probs = read_file(inbox / "breaking.rss")
    assert not probs and len(arts) == 10 and arts[0].source == "NASA Breaking News"
    title, paras = demo_article("46-")
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>NASA Goddard</title><id>urn:x-nasa:goddard</id>
<updated>2023-12-05T19:26:02Z</updated>
<entry><title>{title}</title><id>urn:x-nasa:goddard:1</id><link href="https://www.nasa.gov/x"/>
<updated>2023-12-05T19:26:02Z</updated><author><name>Karl B. Hille</name></author>
<content type="html">{"".join("&lt;p&gt;" + p.replace("&", "&amp;amp;").replace("<", "&amp;lt;") + "&lt;/p&gt;" for p in paras)}</content></entry></feed>"""
    (inbox / "goddard.atom").write_text(atom, encoding="utf-8")
    [a], probs = read_file(inbox / "goddard.atom")
    assert not probs and a.title == title and a.author == "Karl B. Hille" and a.source == "NASA Goddard"
    assert a.text.split("\n\n")[0] == paras[0]


def test_load_mixed_folder_recursive(inbox: Path, nasa_rss: Path) -> None:
    (inbox / "wire").mkdir()
    (inbox / "wire" / "deep").mkdir()
    copy_demo(inbox / "wire", ["01-", "02-"])
    copy_demo(inbox / "wire" / "deep", ["09-"])
    shutil.copy(nasa_rss, inbox / "nasa.xml")
    (inbox / ".hidden.txt").write_text("Hidden\n\nnot read", encoding="utf-8")
    (inbox / "notes.txt~").write_text("Backup\n\nnot read", encoding="utf-8")
    res = load([inbox])
    assert len(res.articles) == 13 and not res.problems
    assert {a.source for a in res.articles} >= {"wire", "Wikinews", "NASA"}
