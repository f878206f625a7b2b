"""Bad input: each class gives one plain problem line naming the file, and nothing else stops loading."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from tests.sources.conftest import copy_demo, demo_article
from triage.sources import load, read_file

ZURICH = "Zürich café serves crème brûlée\n\nThe café in Zürich, naïve as it seems, serves crème brûlée à la carte."


def only_problem(path: Path, **opts) -> str:
    arts, probs = read_file(path, **opts)
    assert arts == [], arts
    assert len(probs) == 1, probs
    assert probs[0].where == str(path)
    return probs[0].reason


def test_binary_file(inbox: Path) -> None:
    (inbox / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert only_problem(inbox / "photo.txt") == "is a binary file, not text"
    (inbox / "blob.bin").write_bytes(bytes(range(256)) * 8)
    assert "binary" in only_problem(inbox / "blob.bin")


def test_empty_and_whitespace_files(inbox: Path) -> None:
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "blank.md").write_bytes(b" \n\n\t\n")
    assert only_problem(inbox / "empty.txt") == "is empty"
    assert only_problem(inbox / "blank.md") == "holds only white space"


def test_over_size_cap(inbox: Path) -> None:
    title, paras = demo_article("01-")
    (inbox / "big.txt").write_text(title + "\n\n" + "\n\n".join(paras * 50), encoding="utf-8")
    reason = only_problem(inbox / "big.txt", max_file_bytes=10_000)
    assert "over the 10,000-byte limit" in reason and "skipped" in reason
    # The rest of the folder still loads.
    copy_demo(inbox, ["02-"])
    res = load([inbox], max_file_bytes=10_000)
    assert len(res.articles) == 1 and len(res.problems) == 1


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "utf-8-sig", "utf-16-le"])
def test_encodings_read_correctly(inbox: Path, encoding: str) -> None:
    (inbox / "zurich.txt").write_bytes(ZURICH.encode(encoding))
    [a], probs = read_file(inbox / "zurich.txt")
    assert not probs
    assert a.title == "Zürich café serves crème brûlée"
    assert "naïve" in a.text and "à la carte" in a.text


def test_cp1252_smart_quotes_and_mislabelled_html(inbox: Path) -> None:
    title, paras = demo_article("01-")
    text = "“Quoted” – Zürich café crème brûlée. " + paras[0]
    html = (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><article>'
        f"<h1>{title}</h1><p>{text}</p>"
        + "".join(f"<p>{p}</p>" for p in paras[1:])
        + "</article></body></html>"
    )
    (inbox / "mislabelled.html").write_bytes(html.encode("cp1252", "replace"))
    [a], probs = read_file(inbox / "mislabelled.html")
    assert not probs and "“Quoted” – Zürich café crème brûlée." in a.text


def test_undecodable_encoding(inbox: Path) -> None:
    # A UTF-16 byte-order mark followed by bytes that are not UTF-16 (a lone surrogate).
    (inbox / "bad16.txt").write_bytes(b"\xff\xfeH\x00i\x00\x00\xd8")
    assert "not valid UTF-16-LE" in only_problem(inbox / "bad16.txt")


def test_truncated_html_loads_what_is_there_and_says_so(inbox: Path) -> None:
    from tests.sources.test_kinds import html_page

    title, paras = demo_article("01-")
    (inbox / "cut.html").write_text(html_page(title, paras, truncate=True), encoding="utf-8")
    arts, probs = read_file(inbox / "cut.html")
    assert len(arts) == 1 and paras[0] in arts[0].text
    assert [p.reason for p in probs] == ["HTML looks truncated (no closing </html>): read what was there"]
    (inbox / "nothing.html").write_text(
        "<html><head><title>x</title></head><body><nav><a href='/'>Home</a>", encoding="utf-8"
    )
    assert "holds no article text" in only_problem(inbox / "nothing.html")


def test_bozo_feed_truncated_recovers_entries_and_reports(inbox: Path, nasa_rss: Path) -> None:
    data = nasa_rss.read_bytes()
    cut = data[: data.index(b"</item>", len(data) // 2) + len(b"</item>") + 40]
    (inbox / "cut.xml").write_bytes(cut)
    arts, probs = read_file(inbox / "cut.xml")
    import feedparser

    assert 3 <= len(arts) < 10
    assert len(arts) == len(feedparser.parse(cut).entries)  # the item cut short loads too, untitled
    assert len(probs) == 1 and probs[0].reason.startswith("feed is not well-formed")
    assert f"read {len(arts)} recovered entries" in probs[0].reason


def test_bozo_feed_wrong_encoding_declaration(inbox: Path) -> None:
    title, paras = demo_article("01-")
    rss = (
        f'<?xml version="1.0" encoding="us-ascii"?><rss version="2.0"><channel><title>Zürich Desk</title>'
        f"<item><title>Café {title}</title><guid>zd-1</guid><description>{paras[0]} crème brûlée</description></item>"
        "</channel></rss>"
    )
    (inbox / "enc.rss").write_bytes(rss.encode("utf-8"))
    arts, probs = read_file(inbox / "enc.rss")
    assert len(arts) == 1 and arts[0].text.endswith("crème brûlée") and arts[0].source == "Zürich Desk"
    assert len(probs) == 1 and probs[0].reason.startswith("feed declares the wrong encoding")
    assert "read 1 recovered entries" in probs[0].reason


def test_bozo_feed_nothing_recoverable(inbox: Path) -> None:
    (inbox / "junk.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ite')
    reason = only_problem(inbox / "junk.xml")
    assert reason.startswith(("is an ill-formed feed with nothing recoverable", "is not an RSS"))


def test_bozo_feed_cut_inside_an_item_keeps_what_feedparser_recovers(inbox: Path) -> None:
    """feedparser recovers the item cut at `<ti` as an empty entry: it loads, untitled, and is named."""
    import feedparser

    data = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><ti'
    (inbox / "cut.xml").write_bytes(data)
    arts, probs = read_file(inbox / "cut.xml")
    assert len(arts) == len(feedparser.parse(data).entries) == 1
    assert arts[0].title == "(untitled)" and arts[0].text == "" and arts[0].source == "T"
    assert [p.reason for p in probs] == [
        (
            "feed is not well-formed (<unknown>:1:88: unclosed token): "
            "read 1 recovered entries (1 with no title or text, loaded as untitled)"
        )
    ]


# Ill-formed cases in the style of feedparser's own tests/illformed suite (re-created here).
ILLFORMED = {
    "unclosed-root": (
        (
            b'<rss version="2.0">\n<channel><item><title>Cut</title><link>http://link/get?a=1&amp;b=2</link>'
            b"<description>Body.</description></item></channel>\n</rss\n"
        ),
        "feed is not well-formed (<unknown>:4:0: unclosed token): read 1 recovered entries",
    ),
    "bare-ampersands": (
        (
            b'<rss version="2.0"><channel><title>T & C</title><item><title>Fish & Chips</title>'
            b"<description>Fish and chips.</description></item></channel></rss>"
        ),
        "feed is not well-formed (<unknown>:",
    ),
    "windows-1255-undeclared": (
        (
            "<rss><channel><item><title>כותרת</title><description>"
            + "האם תדפיס נייר של אתר אינטרנט. ראש הממשלה הודיע היום על תוכנית חדשה לחינוך "
            "ולבריאות בכל הארץ, והשרים יתכנסו מחר כדי לדון בה. " * 3 + "</description></item></channel></rss>"
        ).encode("cp1255"),
        "feed declares the wrong encoding (read as cp1255): read 1 recovered entries",
    ),
    "stray-end-tag": (
        (
            b'<rss version="2.0"><channel><title>Desk</title><item><title>Stray end tag</title>'
            b"<description>Body text here.</description></width></item></channel></rss>"
        ),
        "is an ill-formed feed the feed parser failed on",
    ),
}


@pytest.mark.parametrize("case", sorted(ILLFORMED))
def test_feedparser_style_illformed_feeds(inbox: Path, case: str) -> None:
    data, expected = ILLFORMED[case]
    (inbox / f"{case}.xml").write_bytes(data)
    arts, probs = read_file(inbox / f"{case}.xml")
    assert len(probs) == 1 and probs[0].reason.startswith(expected), probs
    if expected.startswith("feed "):
        assert probs[0].reason.endswith("read 1 recovered entries")
        assert len(arts) == 1 and arts[0].title
    else:
        assert arts == []
    if case == "unclosed-root":
        assert arts[0].url == "http://link/get?a=1&b=2"
    if case == "windows-1255-undeclared":
        assert arts[0].title == "כותרת"


def test_feed_extension_holding_html_or_binary(inbox: Path) -> None:
    from tests.sources.test_kinds import html_page

    title, paras = demo_article("01-")
    (inbox / "page.rss").write_text(html_page(title, paras), encoding="utf-8")
    assert only_problem(inbox / "page.rss") == "is an HTML page, not a feed"
    (inbox / "img.atom").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "binary" in only_problem(inbox / "img.atom")
    (inbox / "text.rss").write_text("just some words, no feed here\n", encoding="utf-8")
    assert only_problem(inbox / "text.rss").startswith("is not an RSS or Atom feed")


def test_json_wrong_types_and_bad_lines(inbox: Path) -> None:
    title, paras = demo_article("02-")
    good = {"title": title, "text": "\n\n".join(paras)}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"title": 5, "body": 7}),
        json.dumps({"title": ["x"], "content": "Some text.", "url": {"no": 1}, "published": 2019}),
    ]
    (inbox / "mixed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    arts, probs = read_file(inbox / "mixed.jsonl")
    assert len(arts) == 2 and arts[0].title == title
    # A list-of-strings title is read as its words; a URL that is an object and a numeric date are ignored.
    assert (
        arts[1].title == "x"
        and arts[1].text == "Some text."
        and arts[1].url == ""
        and arts[1].published == ""
    )
    reasons = [p.reason for p in probs]
    assert reasons[0].startswith("line 2 is not valid JSON")
    assert reasons[1] == "line 3 is a list, not an article object: skipped"
    assert reasons[2].startswith("line 4 has no text")
    assert [p.where for p in probs] == [f"{inbox / 'mixed.jsonl'}:{n}" for n in (2, 3, 4)]


def test_json_neither_feed_nor_articles(inbox: Path) -> None:
    (inbox / "config.json").write_text(json.dumps({"name": "x", "version": 3}), encoding="utf-8")
    assert only_problem(inbox / "config.json").startswith("is neither a feed nor article objects")
    (inbox / "num.json").write_text("42", encoding="utf-8")
    assert only_problem(inbox / "num.json") == "is a number in JSON, neither a feed nor article objects"
    (inbox / "broken.json").write_text('{"title": "x", ', encoding="utf-8")
    assert only_problem(inbox / "broken.json").startswith("is not valid JSON")
    feed = {"version": "https://jsonfeed.org/version/1", "title": "F", "items": {"not": "a list"}}
    (inbox / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    assert only_problem(inbox / "feed.json") == "is a JSON Feed whose 'items' is not a list"
    feed["items"] = ["a string", {"id": "1", "title": "Kept", "content_text": "Body."}]
    (inbox / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    arts, probs = read_file(inbox / "feed.json")
    assert [a.title for a in arts] == ["Kept"]
    assert [p.reason for p in probs] == ["JSON Feed item 1 is a string, not an object: skipped"]


def test_symlink_loops(inbox: Path) -> None:
    copy_demo(inbox, ["01-"])
    (inbox / "sub").mkdir()
    os.symlink(inbox, inbox / "sub" / "back-to-top")
    os.symlink("self.txt", inbox / "self.txt")
    res = load([inbox])
    assert len(res.articles) == 1
    reasons = {Path(p.where).name: p.reason for p in res.problems}
    assert reasons["back-to-top"].startswith("is a symbolic link loop")
    assert reasons["self.txt"].startswith("is a symbolic link loop")
    assert only_problem(inbox / "self.txt") == "is a symbolic link loop"


def test_unreadable_permissions(tmp_path: Path) -> None:
    """chmod 000 does not stop root: when we are root, read as the unprivileged user `nobody`."""
    title, paras = demo_article("01-")
    if os.geteuid() != 0:
        d = tmp_path
        (d / "locked.txt").write_text(title + "\n\n" + paras[0], encoding="utf-8")
        (d / "locked.txt").chmod(0)
        try:
            assert only_problem(d / "locked.txt") == "cannot be read: permission denied"
        finally:
            (d / "locked.txt").chmod(0o644)
        return
    d = Path(tempfile.mkdtemp(prefix="triage-perm-", dir="/tmp"))
    try:
        d.chmod(0o755)
        (d / "locked.txt").write_text(title + "\n\n" + paras[0], encoding="utf-8")
        (d / "locked.txt").chmod(0)
        (d / "open.txt").write_text(title + "\n\n" + paras[1], encoding="utf-8")
        (d / "open.txt").chmod(0o644)
        (d / "closed").mkdir(mode=0o700)
        # Fork and drop to `nobody` in the child: the interpreter and modules are already loaded.
        from triage.sources import loader, registry  # noqa: F401 - loaded before the fork
        from triage.sources.readers import plaintext  # noqa: F401 - loaded before the fork

        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.close(rfd)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                r = load([d])
                os.write(wfd, json.dumps([len(r.articles), [str(p) for p in r.problems]]).encode())
            finally:
                os._exit(0)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as fh:
            raw = fh.read()
        os.waitpid(pid, 0)
        if not raw:
            pytest.skip("running as root and could not drop to user nobody to test permissions")
        n, problems = json.loads(raw)
        assert n == 1
        assert f"{d / 'locked.txt'}: cannot be read: permission denied" in problems
        assert f"{d / 'closed'}: folder cannot be read: permission denied" in problems
    finally:
        shutil.rmtree(d, ignore_errors=True)


XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY ext SYSTEM "{secret}">]>
<rss version="2.0"><channel><title>Desk &xxe;</title>
<item><title>Leak &xxe;</title><guid>x1</guid><description>Body &ext; end</description></item></channel></rss>"""


def test_xxe_never_reads_local_files(inbox: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    (inbox / "xxe.xml").write_text(XXE.format(secret=secret), encoding="utf-8")
    res = load([inbox])
    blob = json.dumps([a.__dict__ for a in res.articles]) + json.dumps([str(p) for p in res.problems])
    assert "TOP-SECRET" not in blob
    assert any("declares XML entities" in p.reason for p in res.problems)


def test_xxe_in_html_is_never_read(inbox: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    title, paras = demo_article("01-")
    page = (
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]><html><head>'
        f"<title>{title} &xxe;</title></head><body><article><h1>{title}</h1><p>&xxe; {paras[0]}</p>"
        + "".join(f"<p>{p}</p>" for p in paras[1:])
        + "</article></body></html>"
    )
    for name in ("x.html", "x.xhtml"):
        (inbox / name).write_text(page, encoding="utf-8")
        arts, _ = read_file(inbox / name)
        assert len(arts) == 1 and "TOP-SECRET" not in repr(arts)
        assert arts[0].text.startswith("&xxe; " + paras[0][:40])  # the headline is not repeated as text


def test_entity_expansion_bomb_is_bounded(inbox: Path) -> None:
    ents = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss ['
        + "".join(ents)
        + ']>\n<rss version="2.0"><channel><title>B</title>'
        "<item><title>&lol9;</title><guid>b1</guid><description>Bomb &lol9;</description></item></channel></rss>"
    )
    (inbox / "bomb.rss").write_text(bomb, encoding="utf-8")
    tracemalloc.start()
    try:
        arts, probs = read_file(inbox / "bomb.rss")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Nothing was expanded: a billion "lol"s would be gigabytes (the time it takes is in tests/perf).
    assert peak < 30_000_000
    assert sum(len(a.text) + len(a.title) for a in arts) < 10_000
    assert probs


def test_rich_markup_and_escapes_in_titles(inbox: Path) -> None:
    title, paras = demo_article("01-")
    hostile = f"[bold red]{title}[/] \x1b[2J\x1b]0;owned\x07\u202egnp.exe"
    (inbox / "h.txt").write_text(hostile + "\n\n" + "\n\n".join(paras), encoding="utf-8")
    rows = [
        {
            "title": hostile,
            "text": "Body \x1b[31mred\x1b[0m text.",
            "source": "[link=file:///etc]x[/link]\x07",
        }
    ]
    (inbox / "h.jsonl").write_text(json.dumps(rows[0]), encoding="utf-8")
    res = load([inbox])
    assert len(res.articles) == 2
    for a in res.articles:
        for value in (a.title, a.text, a.source):
            assert "\x1b" not in value and "\x07" not in value and "\u202e" not in value
        assert a.title.startswith("[bold red]")  # kept literal; the TUI renders it as Text, never as markup
    from_json = next(a for a in res.articles if a.path.endswith(".jsonl"))
    assert from_json.source == "[link=file:///etc]x[/link]"


def test_one_bad_file_never_stops_the_folder(inbox: Path) -> None:
    copy_demo(inbox, ["01-", "02-", "09-"])
    (inbox / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (inbox / "empty.md").write_bytes(b"")
    (inbox / "bad.json").write_text("[", encoding="utf-8")
    (inbox / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    res = load([inbox, inbox / "missing-folder"])
    assert len(res.articles) == 3
    assert len(res.problems) == 5
    assert all(str(inbox) in p.where for p in res.problems)
    assert any(p.reason == "does not exist" for p in res.problems)


def test_hostile_links_and_huge_titles(inbox: Path) -> None:
    rows = [
        {"title": "x" * 5000, "text": "Body one.", "url": "javascript:alert(1)"},
        {"title": "Local", "text": "Body two.", "url": "file:///etc/passwd"},
        {"title": "Fine", "text": "Body three.", "url": "https://example.org/a"},
    ]
    (inbox / "links.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    arts, probs = read_file(inbox / "links.jsonl")
    assert not probs and [a.url for a in arts] == ["", "", "https://example.org/a"]
    assert len(arts[0].title) == 300 and arts[0].title.endswith("…")


def test_deeply_nested_json_and_fifo(inbox: Path) -> None:
    (inbox / "deep.json").write_text("[" * 200_000, encoding="utf-8")
    assert only_problem(inbox / "deep.json") == "is JSON nested too deeply to read"
    os.mkfifo(inbox / "pipe.txt")
    res = load([inbox])  # must not block on the pipe
    assert [p.reason for p in res.problems if p.where.endswith("pipe.txt")] == [
        "is not a regular file (device, socket or pipe): skipped"
    ]


def test_load_never_raises_on_odd_arguments(inbox: Path) -> None:
    copy_demo(inbox, ["01-"])
    res = load([None, "bad\x00path", str(inbox), inbox / "nope.txt"])  # type: ignore[list-item]
    assert len(res.articles) == 1
    assert [p.reason for p in res.problems] == [
        "is not a file, folder or feed URL",
        "is not a valid path (it holds a NUL byte)",
        "does not exist",
    ]
