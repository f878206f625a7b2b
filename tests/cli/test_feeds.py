"""`triage feeds import | export | list | add | remove` on real files: the feed list in feeds.toml beside
config.toml, config.toml's own [[feeds]] untouched, hostile files refused with one line, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli.main import cli
from triage.config import load_settings
from triage.sources.feedlist import edit_feeds
from triage.sources.feedmodel import Feed, read_feeds

DATA = Path(__file__).resolve().parents[1] / "data" / "opml"
CONTROL = [chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]] + [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]
CONFIG = """\
# My triage settings. Keep this comment!
[analysis]
sentences = 3   # three is plenty

# The wire service, set by hand
[[feeds]]
url = "https://wire.example.com/rss"
name = "Wire"
tags = ["agency"]
"""


@pytest.fixture
def env(tmp_path):
    """A config.toml (with comments and one [[feeds]]) in tmp; run(...) invokes `triage --config it ...`."""
    cfg = tmp_path / "conf" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text(CONFIG)

    class Env:
        config = cfg
        feeds = cfg.parent / "feeds.toml"

        @staticmethod
        def run(*args: str, input: bytes | str | None = None, config: Path | None = None):
            return CliRunner().invoke(cli, ["--config", str(config or cfg), "feeds", *args], input=input)

        @staticmethod
        def listed(config: Path | None = None) -> list[dict]:
            r = CliRunner().invoke(cli, ["--config", str(config or cfg), "feeds", "list", "--json"])
            assert r.exit_code == 0, r.output
            return json.loads(r.stdout)

    return Env


def run_installed(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    """The installed console script (python -m triage), as a user runs it."""
    env = {**os.environ, "COLUMNS": "80", "LINES": "24"}
    return subprocess.run(
        [sys.executable, "-m", "triage", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env=env,
        **kw,
    )


def run_in_terminal(args: list[str], cwd: Path, columns: int = 80) -> tuple[int, str]:
    """The installed console script with stdout on a pseudo-terminal `columns` wide: (exit code, output)."""
    import fcntl
    import pty
    import struct
    import termios

    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", *args], stdout=side, stderr=subprocess.DEVNULL, cwd=cwd, env=env
    )
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def cells(s: str) -> int:
    from rich.cells import cell_len

    return cell_len(s)


# --- import -------------------------------------------------------------------------------------------


def test_import_writes_feeds_toml_beside_the_config_and_never_touches_config_toml(env):
    r = env.run("import", str(DATA / "newsboat" / "example.opml"))
    assert r.exit_code == 0, r.output
    assert "7 added" in r.stdout and str(env.feeds) in r.stdout
    assert env.config.read_text() == CONFIG
    rows = env.listed()
    assert len(rows) == 8 and rows[0]["url"] == "https://wire.example.com/rss"  # config.toml's feed first
    mike = next(r for r in rows if r["name"] == "Notes by Mike")
    assert mike["tags"] == ["Blogs", "friends"] and mike["folders"] == [["Blogs", "friends"]]
    assert mike["file"] == str(env.feeds)
    assert rows[0]["file"] == str(env.config) and rows[0]["tags"] == ["agency"]


def test_importing_the_same_file_twice_adds_nothing(env):
    path = str(DATA / "netnewswire" / "Subs.opml")
    assert env.run("import", path).exit_code == 0
    before = env.feeds.read_bytes()
    r = env.run("import", path)
    assert r.exit_code == 0 and "0 added" in r.stdout and "206 already there" in r.stdout
    assert env.feeds.read_bytes() == before
    assert len(env.listed()) == 207


def test_the_same_feeds_from_another_reader_are_matched_by_normalised_url(env):
    assert env.run("import", str(DATA / "own" / "urls")).exit_code == 0
    feedly = DATA / "own" / "feedly.opml"
    r = env.run("import", str(feedly))
    assert r.exit_code == 0
    # BBC, Le Monde, SZ and Ars were already there: they gain Feedly's folders, nothing is duplicated
    assert "3 added" in r.stdout and "4 given new folders" in r.stdout
    urls = [row["url"] for row in env.listed()]
    assert len(urls) == len(set(urls)) == 1 + 5 + 3
    bbc = next(row for row in env.listed() if row["url"] == "https://feeds.bbci.co.uk/news/world/rss.xml")
    assert bbc["name"] == "BBC World"  # the name the user already had is kept
    assert bbc["tags"] == ["world", "bbc", "uk", "World", "Asia"]


def test_a_feed_set_in_config_toml_is_not_imported_again(env, tmp_path):
    opml = tmp_path / "l.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="Wire!" xmlUrl="HTTPS://WIRE.example.com:443/rss"/>'
        "</body></opml>"
    )
    r = env.run("import", str(opml))
    assert r.exit_code == 0 and "1 already there" in r.stdout
    assert len(env.listed()) == 1


def test_import_reports_skipped_entries_and_query_feeds_on_stderr(env):
    r = env.run("import", str(DATA / "own" / "urls"))
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert len(lines) == 5 and all(
        line.startswith(f"triage: {DATA / 'own' / 'urls'}: line ") for line in lines
    )
    assert sum("query feed" in line for line in lines) == 2
    assert "5 added" in r.stdout


def test_newsboat_urls_from_stdin(env):
    r = env.run("import", "-", input=(DATA / "newsboat" / "test-urls").read_bytes())
    assert r.exit_code == 0 and "stdin (newsboat urls): 3 feeds: 3 added" in r.stdout


@pytest.mark.parametrize(
    "rel",
    [
        "newsboat/example2.opml",
        "netnewswire/Subs.opml",
        "miniflux/export.opml",
        "own/feedly.opml",
        "own/urls",
        "listparser/cats-3-multiple.opml",
    ],
)
def test_import_export_import_keeps_every_url_title_and_folder(env, tmp_path, rel):
    assert env.run("import", str(DATA / rel)).exit_code == 0
    r = env.run("export")
    assert r.exit_code == 0
    root = ET.fromstring(r.stdout_bytes)
    assert root.get("version") == "2.0"
    exported = tmp_path / "export.opml"
    exported.write_bytes(r.stdout_bytes)
    other = tmp_path / "elsewhere" / "config.toml"
    other.parent.mkdir()
    other.write_text("")
    r2 = env.run("import", str(exported), config=other)
    assert r2.exit_code == 0, r2.output
    def key(row):
        return row["url"], row["name"], sorted(map(tuple, row["folders"])), row["site"]

    assert sorted(map(key, env.listed(other))) == sorted(map(key, env.listed()))


def test_export_writes_titles_and_folders_as_utf8_opml(env):
    env.run("import", str(DATA / "own" / "feedly.opml"))
    r = env.run("export")
    text = r.stdout_bytes.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert 'text="NHK ニュース"' in text and 'text="Tech &amp; Science"' in text
    assert 'xmlUrl="https://wire.example.com/rss"' in text  # config.toml's feeds are part of the list too
    asia = next(o for o in ET.fromstring(r.stdout_bytes).iter("outline") if o.get("text") == "Asia")
    assert {o.get("title") for o in asia} == {"NHK ニュース", "联合早报 - 中国", "BBC News - World"}


# --- hostile and broken files ----------------------------------------------------------------------------


def _hostile(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4821")
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return {
        "xxe.opml": (
            (
                f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]><opml version="2.0">'
                '<body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>'
            ).encode(),
            "entity",
        ),
        "bomb.opml": (
            (
                f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY l0 "lol">{laughs}]><opml version="2.0"><body>'
                '<outline text="&l9;" xmlUrl="https://a.example/rss"/></body></opml>'
            ).encode(),
            "entity",
        ),
        "broken.opml": (
            (b'<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/rss"></body></opml>'),
            "not well-formed XML",
        ),
        "picture.opml": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
        "feed.xml": (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "triage feeds add URL"),
        "notes.txt": (b"Things to read:\n- the newspaper\n", "neither OPML nor"),
        "esc\x1b[31m.opml": (
            b'<opml version="2.0"><body><outline text="&#27;]0;x" xmlUrl="https://a/"/></body></opml>',
            "not well-formed XML",
        ),
    }


def test_hostile_files_get_one_line_exit_1_no_traceback_and_leave_the_list_as_it_was(env, tmp_path):
    assert env.run("add", "https://kept.example.org/rss", "--name", "Kept").exit_code == 0
    env.feeds.write_text(env.feeds.read_text().replace("\n[[feeds]]\n", "\n# my own note\n[[feeds]]\n", 1))
    before = env.feeds.read_bytes()
    for name, (data, message) in _hostile(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(data)
        out = run_installed(["--config", str(env.config), "feeds", "import", str(path)], tmp_path)
        assert out.returncode == 1, (name, out.stderr)
        lines = out.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("triage: ") and message in lines[0], (name, out.stderr)
        assert "Traceback" not in out.stderr and out.stdout == ""
        assert "TOP-SECRET" not in out.stderr + out.stdout
        assert not any(c in out.stderr for c in CONTROL if c != "\n"), (name, repr(out.stderr))
        assert env.feeds.read_bytes() == before, name
    assert env.config.read_text() == CONFIG


def test_missing_file_folder_and_nothing_usable(env, tmp_path):
    r = env.run("import", str(tmp_path / "absent.opml"))
    assert r.exit_code == 1 and r.stderr.strip() == f"triage: {tmp_path / 'absent.opml'}: no such file"
    r = env.run("import", str(tmp_path))
    assert r.exit_code == 1 and "is a folder" in r.stderr
    r = env.run("import", str(DATA / "newsboat" / "926-urls"))
    assert r.exit_code == 1 and "no usable feeds" in r.stderr and "exec:" in r.stderr
    assert not env.feeds.exists()


def test_escape_sequences_and_markup_in_titles_are_stored_and_printed_neutralised(env, tmp_path):
    urls = tmp_path / "urls"
    urls.write_bytes(
        b'https://evil.example/rss "~\x1b]0;owned\x07\x1b[31mRed\x1b[0m \xc2\x9b2J \xe2\x80\xaeabc'
        b' [bold red]LOUD[/bold red]" "tag\x07"\n'
    )
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="[link=file:///etc/passwd]x[/link] &#133;&#8238;Z" '
        'xmlUrl="https://evil2.example/rss"/></body></opml>'
    )
    assert env.run("import", str(urls)).exit_code == 0
    assert env.run("import", str(opml)).exit_code == 0
    stored = env.feeds.read_text()
    assert not any(c in stored for c in CONTROL if c != "\n")
    names = {f.name for f in read_feeds(env.feeds)}
    assert names == {"Red 2J abc [bold red]LOUD[/bold red]", "[link=file:///etc/passwd]x[/link] Z"}
    out = run_installed(["--config", str(env.config), "feeds", "list"], tmp_path)
    assert out.returncode == 0
    assert not any(c in out.stdout + out.stderr for c in CONTROL if c != "\n")
    assert "[bold red]LOUD" in out.stdout  # shown as the literal text, never as markup
    js = run_installed(["--config", str(env.config), "feeds", "list", "--json"], tmp_path).stdout
    assert not any(c in js for c in CONTROL if c != "\n")


# --- list ---------------------------------------------------------------------------------------------------


def test_list_fits_80_columns_with_ellipses_and_never_wraps(env, tmp_path):
    env.run("import", str(DATA / "own" / "feedly.opml"))
    env.run(
        "add",
        "https://very-long-host-name.example.org/" + "section/" * 12 + "rss.xml",
        "--name",
        "A feed whose name is far too long for any column of a table at all " * 2,
        "--tag",
        "Politics",
        "--tag",
        "International affairs and diplomacy",
    )
    env.run(
        "add",
        "https://jp.example/rss",
        "--name",
        "日本経済新聞 電子版 速報 ニュース 一覧 日本経済新聞 電子版",
    )
    code, shown = run_in_terminal(["--config", str(env.config), "feeds", "list"], tmp_path)
    assert code == 0
    lines = shown.splitlines()
    assert lines[0].split() == ["NAME", "TAGS", "URL"] and len(lines) == 1 + 1 + 7 + 2
    assert all(cells(line) < 80 for line in lines), [cells(line) for line in lines]
    long = next(line for line in lines if line.startswith("A feed whose"))
    assert long.count("…") == 3  # name, tags and URL each cut with an ellipsis
    jp = next(line for line in lines if line.startswith("日本"))
    assert "…" in jp and "https://jp.example/rss" in jp
    out = run_installed(["--config", str(env.config), "feeds", "list"], tmp_path)
    assert out.returncode == 0
    assert out.stderr.strip() == f"10 feeds (1 in {env.config}, 9 in {env.feeds})"


def test_list_into_a_pipe_or_a_file_cuts_nothing(env, tmp_path):
    """Issue 25: the table was cut to 80 columns even into a pipe; a script gets every name and URL whole."""
    url = "https://very-long-host-name.example.org/" + "section/" * 12 + "rss.xml"
    name = "A feed whose name is far too long for any column of a table at all"
    env.run("add", url, "--name", name, "--tag", "International affairs and diplomacy")
    out = run_installed(["--config", str(env.config), "feeds", "list"], tmp_path)  # COLUMNS=80, a pipe
    assert out.returncode == 0 and "…" not in out.stdout
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TAGS", "URL"]
    row = next(line for line in lines if line.startswith(name))
    assert row.endswith(url) and "International affairs and diplomacy" in row
    assert len({line.index("https://") for line in lines[1:]}) == 1  # the URL column still lines up
    with (tmp_path / "feeds.txt").open("w") as f:
        code = subprocess.run(
            [sys.executable, "-m", "triage", "--config", str(env.config), "feeds", "list"],
            stdout=f, stderr=subprocess.DEVNULL, cwd=tmp_path, timeout=60, check=False,
        ).returncode
    assert code == 0 and (tmp_path / "feeds.txt").read_text() == out.stdout


def test_list_hides_a_password_in_a_url_but_json_keeps_it(env):
    env.run("add", "https://me:s3cret@private.example/rss", "--name", "Private")
    r = env.run("list")
    assert "https://me:***@private.example/rss" in r.stdout and "s3cret" not in r.stdout
    assert env.listed()[1]["url"] == "https://me:s3cret@private.example/rss"


def test_list_json_for_tools_and_an_empty_list(env, tmp_path):
    empty = tmp_path / "empty" / "config.toml"
    empty.parent.mkdir()
    empty.write_text("")
    r = env.run("list", config=empty)
    assert r.exit_code == 0 and r.stdout == "" and "no feeds yet" in r.stderr
    assert env.listed(empty) == []
    env.run("add", "https://a.example/rss", "--tag", "x")
    rows = env.listed()
    assert rows[1] == {
        "url": "https://a.example/rss",
        "name": "",
        "tags": ["x"],
        "folders": [["x"]],
        "site": "",
        "file": str(env.feeds),
    }


# --- add and remove ---------------------------------------------------------------------------------


def test_add_with_name_and_repeated_tags_then_merge(env):
    r = env.run("add", "feed://news.example.org/rss", "--name", "News", "--tag", "world", "--tag", "daily")
    assert r.exit_code == 0 and "added News [world, daily]" in r.stdout
    row = env.listed()[1]
    assert row["url"] == "http://news.example.org/rss" and row["tags"] == ["world", "daily"]
    r = env.run("add", "http://NEWS.example.org:80/rss", "--tag", "morning")
    assert r.exit_code == 0 and "updated News [world, daily, morning]" in r.stdout
    r = env.run("add", "http://news.example.org/rss")
    assert r.exit_code == 0 and "already in the feed list" in r.stdout
    assert len(env.listed()) == 2


@pytest.mark.parametrize(
    "url", ["ftp://example.org/rss", "file:///etc/passwd", "javascript:alert(1)", "not a url"]
)
def test_add_refuses_what_is_not_http(env, url):
    r = env.run("add", url)
    assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1 and "triage: " in r.stderr
    assert not env.feeds.exists()


def test_add_of_a_feed_set_in_config_toml_says_where_it_is(env):
    r = env.run("add", "https://wire.example.com/rss", "--tag", "x")
    assert r.exit_code == 1 and str(env.config) in r.stderr and "change it there" in r.stderr
    assert env.config.read_text() == CONFIG


def test_remove_by_url_or_name(env):
    env.run("import", str(DATA / "newsboat" / "example.opml"))
    r = env.run("remove", "HTTPS://example.com/feed.xml")
    assert r.exit_code == 0 and "removed example.com website" in r.stdout
    r = env.run("remove", "notes by mike")  # a name, case-insensitively when nothing matches exactly
    assert r.exit_code == 0 and "removed Notes by Mike" in r.stdout
    assert len(env.listed()) == 1 + 5
    r = env.run("remove", "Nobody")
    assert r.exit_code == 1 and "no feed has the URL or name" in r.stderr


def test_remove_an_ambiguous_name_or_a_config_feed(env):
    env.run("add", "https://a.example/rss", "--name", "Same")
    env.run("add", "https://b.example/rss", "--name", "Same")
    r = env.run("remove", "Same")
    assert r.exit_code == 2 and "names 2 feeds" in r.stderr and "give the URL" in r.stderr
    r = env.run("remove", "Wire")
    assert (
        r.exit_code == 1 and str(env.config) in r.stderr and "triage does not rewrite your config" in r.stderr
    )
    assert env.config.read_text() == CONFIG and len(env.listed()) == 3


# --- the feeds file ---------------------------------------------------------------------------------------


def test_settings_feeds_merge_config_and_feeds_file(env):
    env.run("add", "https://a.example/rss", "--name", "A", "--tag", "t")
    s = load_settings(env.config)
    assert s.feeds_file == env.feeds
    assert [(f["url"], f["name"], f["tags"]) for f in s.feeds] == [
        ("https://wire.example.com/rss", "Wire", ["agency"]),
        ("https://a.example/rss", "A", ["t"]),
    ]
    assert set(s.feeds[0]) >= {"url", "name", "tags", "folders", "site", "file"}


def test_user_config_dir_is_used_without_config(tmp_path):
    r = CliRunner().invoke(cli, ["feeds", "add", "https://a.example/rss"])
    assert r.exit_code == 0
    from triage.config import user_config_path

    assert (user_config_path().parent / "feeds.toml").is_file()
    assert [f["url"] for f in load_settings().feeds] == ["https://a.example/rss"]


def test_comments_in_feeds_toml_survive_adds_and_removes(env):
    env.feeds.write_text(
        '# my feeds\n\n# the BBC, for the elections\n[[feeds]]\nurl = "https://bbc.example/rss"\n'
        'name = "BBC"  # short name\n\n# ---- local ----\n\n# our paper\n[[feeds]]\n'
        'url = "https://paper.example/rss"\nname = "Paper"\n'
    )
    env.run("add", "https://new.example/rss", "--name", "New")
    env.run("remove", "BBC")
    text = env.feeds.read_text()
    assert "# my feeds" in text and "# ---- local ----" in text and "# our paper" in text
    assert "BBC" not in text  # the comment right above the removed feed went with it
    assert [f.name for f in read_feeds(env.feeds)] == ["Paper", "New"]


def test_a_broken_feeds_file_is_named_and_never_overwritten(env, tmp_path):
    env.feeds.write_text('[[feeds]]\nurl = "https://a.example/rss\n')
    before = env.feeds.read_bytes()
    out = run_installed(
        ["--config", str(env.config), "feeds", "import", str(DATA / "newsboat" / "example.opml")], tmp_path
    )
    assert out.returncode == 1 and str(env.feeds) in out.stderr and "not valid TOML" in out.stderr
    assert "Traceback" not in out.stderr and env.feeds.read_bytes() == before
    # It costs its own feeds, never a command that has nothing to do with feeds.
    db = tmp_path / "d.json"
    out = run_installed(["--config", str(env.config), "decide", "a1", "flag", "--db", str(db)], tmp_path)
    assert out.returncode == 0, out.stderr
    out = run_installed(["--config", str(env.config), "feeds", "list"], tmp_path)
    assert "not valid TOML" in out.stderr and "Traceback" not in out.stderr


def test_a_url_with_control_or_bidi_characters_is_refused_not_exported(env, tmp_path):
    env.feeds.write_text('[[feeds]]\nurl = "https://a.example/\u009b31m\u202erss"\n', encoding="utf-8")
    out = run_installed(["--config", str(env.config), "feeds", "export"], tmp_path)
    assert "control, escape or bidi" in out.stderr
    assert "\u009b" not in out.stdout and "\u202e" not in out.stdout and "\x9b" not in out.stdout


def test_a_failed_write_leaves_the_list_as_it_was(env, monkeypatch, tmp_path):
    env.run("add", "https://a.example/rss")
    before = env.feeds.read_bytes()

    def refuse(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    r = env.run("import", str(DATA / "own" / "feedly.opml"))
    assert r.exit_code == 1 and "No space left on device" in r.stderr and "left as it was" in r.stderr
    assert env.feeds.read_bytes() == before
    assert sorted(p.name for p in env.feeds.parent.iterdir()) == [
        "config.toml",
        "feeds.toml",
        "feeds.toml.lock",
    ]


def test_edits_are_atomic_and_keep_the_mode_of_the_file(tmp_path):
    path = tmp_path / "feeds.toml"
    with edit_feeds(path) as ff:
        ff.add(Feed("https://a.example/rss", "A"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # feed URLs can hold private tokens
    path.chmod(0o640)
    with pytest.raises(RuntimeError), edit_feeds(path) as ff:
        ff.add(Feed("https://b.example/rss", "B"))
        raise RuntimeError("the caller failed half-way")
    assert [f.url for f in read_feeds(path)] == ["https://a.example/rss"]
    with edit_feeds(path) as ff:
        ff.remove(0)
    assert oct(path.stat().st_mode & 0o777) == "0o640" and read_feeds(path) == []


def test_a_symlinked_feeds_file_stays_a_symlink(env, tmp_path):
    real = tmp_path / "dotfiles" / "feeds.toml"
    real.parent.mkdir()
    real.write_text("")
    env.feeds.symlink_to(real)
    assert env.run("add", "https://a.example/rss").exit_code == 0
    assert env.feeds.is_symlink() and "https://a.example/rss" in real.read_text()


def test_concurrent_adds_from_several_processes_all_land(env, tmp_path):
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "triage",
                "--config",
                str(env.config),
                "feeds",
                "add",
                f"https://n{i}.example/rss",
                "--name",
                f"N{i}",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(6)
    ]
    for p in procs:
        p.wait(timeout=60)
        assert p.returncode == 0, p.stderr.read()
    assert sorted(f.name for f in read_feeds(env.feeds)) == [f"N{i}" for i in range(6)]


def test_an_added_feed_is_fetched_by_triage_fetch(tmp_path, monkeypatch):
    """Settings.feeds carries feeds.toml's feeds to the fetcher (a server of the test's own on 127.0.0.1)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local desk</title><link>http://127.0.0.1/</link>'
        b"<item><title>Harbour reopens after storm</title><link>http://127.0.0.1/a</link><guid>a</guid>"
        b"<description>The harbour reopened on Monday after the storm. Ferries resumed at noon.</description>"
        b"</item></channel></rss>"
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(rss)))
            self.end_headers()
            self.wfile.write(rss)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = tmp_path / "config.toml"
        cfg.write_text("")
        monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
        url = f"http://127.0.0.1:{server.server_port}/rss.xml"
        assert (
            CliRunner()
            .invoke(cli, ["--config", str(cfg), "feeds", "add", url, "--name", "Local", "--tag", "t"])
            .exit_code
            == 0
        )
        r = CliRunner().invoke(cli, ["--config", str(cfg), "fetch", "--timeout", "5"])
        assert r.exit_code == 0, r.output
        assert "1 article in the spool from 1 of 1 feeds" in r.stdout  # not "1 articles"
    finally:
        server.shutdown()
        server.server_close()


def test_help_names_the_commands():
    r = CliRunner().invoke(cli, ["feeds", "--help"])
    assert r.exit_code == 0
    for word in ("import", "export", "list", "add", "remove", "feeds.toml"):
        assert word in r.stdout
