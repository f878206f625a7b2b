"""Round two, the hostile feed server and the hostile inbox file: no body costs more than linear time,
parsing runs in helper processes, and a file over `sources.parse_seconds` is one problem line that
holds back no other file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from triage.sources import loader
from triage.sources.readers.feedfile import parse_feed_bytes
from triage.sources.readers.plaintext import markdown_to_text

from .conftest import demo_dir

TRIAGE = Path(sys.executable).with_name("triage")


def _cpu_seconds(code: str, timeout: float = 60.0) -> float:
    """CPU seconds a fresh interpreter spends on `code` (before the fix these ran for minutes: the
    timeout fails the test instead of waiting for them)."""
    prelude = "import resource, sys\n"
    tail = "\nu = resource.getrusage(resource.RUSAGE_SELF)\nprint(u.ru_utime + u.ru_stime)\n"
    out = subprocess.run([sys.executable, "-c", prelude + code + tail], capture_output=True, text=True,
                         timeout=timeout, check=True)
    return float(out.stdout.split()[-1])


def test_a_doctype_bomb_in_a_feed_body_costs_linear_time():
    """500 KB of `<!DOCTYPE[` took two minutes of CPU in the DOCTYPE search."""
    used = _cpu_seconds(
        "from triage.sources.readers.feedfile import parse_feed_bytes\n"
        "from triage.sources.base import Rejected\n"
        "try:\n    parse_feed_bytes(b'<!DOCTYPE[' * 50_000, 'x', 'x', [])\nexcept Rejected:\n    pass\n"
    )
    assert used < 10


def test_the_doctype_span_is_what_the_old_pattern_found():
    from triage.sources.readers.feedfile import doctype_span

    entity = b'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY e "x"> ]  >\n<rss version="2.0"/>'
    start, end = doctype_span(entity)
    assert entity[start:end] == b'<!DOCTYPE rss [ <!ENTITY e "x"> ]  >'
    plain = b'<!doctype rss SYSTEM "x.dtd"><rss/>'
    assert plain[slice(*doctype_span(plain))] == b'<!doctype rss SYSTEM "x.dtd">'
    assert doctype_span(b"<!DOCTYPE[" * 1000) is None
    assert doctype_span(b"<rss/>") is None
    problems: list = []
    articles, _ = parse_feed_bytes(
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "boom">]><rss version="2.0"><channel>'
        b"<title>T</title><item><title>Kept</title><description>Body.</description></item></channel></rss>",
        "feed.xml", "src", problems)
    assert [a.title for a in articles] == ["Kept"]
    assert any("DOCTYPE removed" in p.reason for p in problems)


def test_markdown_of_brackets_and_markup_costs_linear_time():
    """300 KB of `[` took minutes; so did unclosed bold, a heading with a long run of spaces, `](`."""
    used = _cpu_seconds(
        "from pathlib import Path\n"
        "from triage.sources.readers.plaintext import read_markdown, markdown_to_text\n"
        "read_markdown('[' * 300_000, Path('x.md'), 'x')\n"
        "for text in ('![' * 150_000, '**a ' * 75_000, '__a ' * 75_000, '# x' + ' ' * 300_000 + 'y',\n"
        "             '[a](' * 75_000, '](' * 150_000, '<' * 300_000, '- ' * 150_000 + 'x',\n"
        "             '[a](' + '(b)' * 100_000 + '('):\n"
        "    markdown_to_text(text)\n"
    )
    assert used < 10


def test_the_linear_markdown_still_reads_what_it_read():
    title, text = markdown_to_text(
        "# Title #\n\n## Part\n\nSee [the report](https://example.org/a_(b)) and ![a map](m.png).\n"
        "**Bold** and __strong__ and *em* and `code` and <b>tags</b>.\n\n* * *\n> quoted\n+ item")
    assert title == "Title"
    lines = text.split("\n")
    assert "Part" in lines
    assert "See the report and a map." in lines
    assert "Bold and strong and em and code and tags." in lines
    assert "quoted" in lines and "- item" in lines
    assert "* * *" not in text


def _good_inbox(tmp_path: Path, n: int = 20) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for k in range(n):
        (inbox / f"good-{k:02d}.txt").write_text(f"Good story {k}\n\nThe body of good story {k}.\n")
    return inbox


def test_a_file_over_parse_seconds_is_one_problem_and_the_rest_is_read(tmp_path):
    inbox = _good_inbox(tmp_path)
    # a plain, big Markdown file: linear, but many seconds to read (a small file takes milliseconds)
    line = "Some **bold** words, a [link](https://example.org/x) and `code` in a long paragraph. " * 40
    (inbox / "000-big.md").write_text("# Big\n\n" + "\n\n".join([line] * 12_000))
    arts, probs = [], []
    for batch in loader.iter_load([inbox], parse_seconds=1, max_file_bytes=100_000_000):
        arts += batch.articles
        probs += batch.problems
    assert sorted(a.title for a in arts) == sorted(f"Good story {k}" for k in range(20))
    assert [(Path(p.where).name, p.reason) for p in probs] == [
        ("000-big.md", "took longer than 1 s to read (sources.parse_seconds): skipped")]


def test_a_slow_call_holds_back_no_other_and_is_ended_at_its_bound():
    """The pool's own contract, with a call that is slow for real (a sleep) among quick ones."""
    from triage.sources.parsers import Failed, run_bounded

    calls = [(time.sleep, (30,))] + [(str.upper, (f"item {k}",)) for k in range(10)]
    started = time.monotonic()
    order = []
    for got in run_bounded(calls, seconds=3, job_size=11, stall=0.2):
        order.extend(got)
    took = time.monotonic() - started
    quick = [outcome for n, outcome in order if n > 0]
    assert quick == [f"ITEM {k}" for k in range(10)]
    (slow,) = [outcome for n, outcome in order if n == 0]
    assert isinstance(slow, Failed) and slow.timed_out
    assert [n for n, _ in order][-1] == 0, "the quick calls came back before the slow one ended"
    assert took < 25, "the sleep was ended at its bound, not waited for"


def test_a_feed_server_sending_a_doctype_bomb_does_not_hold_triage(tmp_path, hostile):
    """`triage ingest URL` against a server on 127.0.0.1 whose feed is 500 KB of `<!DOCTYPE[`."""
    body = b'<?xml version="1.0"?>\n<rss version="2.0">' + b"<!DOCTYPE[" * 50_000

    def bomb(conn, _request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)

    server = hostile({"/feed.xml": bomb})
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    started = time.monotonic()
    out = subprocess.run([str(TRIAGE), "ingest", server.url("/feed.xml"), "--json"], capture_output=True,
                         text=True, env=env, timeout=90)
    assert time.monotonic() - started < 60
    assert out.returncode == 1 and out.stdout == ""
    assert "/feed.xml" in out.stderr and "feed" in out.stderr


def test_the_same_bomb_as_a_file_in_the_inbox_is_one_problem(tmp_path):
    inbox = _good_inbox(tmp_path, 3)
    (inbox / "bomb.rss").write_bytes(b'<?xml version="1.0"?>\n<rss version="2.0">' + b"<!DOCTYPE[" * 50_000)
    for name in sorted(p.name for p in demo_dir().iterdir() if p.suffix == ".md")[:1]:
        (inbox / name).write_bytes((demo_dir() / name).read_bytes())
    started = time.monotonic()
    arts, probs = [], []
    for batch in loader.iter_load([inbox]):
        arts += batch.articles
        probs += batch.problems
    assert time.monotonic() - started < 60
    assert {f"Good story {k}" for k in range(3)} <= {a.title for a in arts}
    assert [Path(p.where).name for p in probs] == ["bomb.rss"]


def test_triage_fetch_bounds_a_feed_body_by_the_configured_parse_seconds(tmp_path, hostile, monkeypatch):
    """`triage fetch` (and the TUI's feed refresh) parsed every body within the built-in 10 s whatever
    [sources] parse_seconds said: only `triage ingest URL` passed the setting on."""
    from click.testing import CliRunner

    from triage.cli.main import cli

    items = "".join(f"<item><title>Item {k}</title><link>https://example.org/{k}</link>"
                    f"<description>{f'Words of item {k}. ' * 20}</description></item>" for k in range(6000))
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
            .encode())

    def big(conn, _request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)

    server = hostile({"/feed.xml": big})
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[sources]\nparse_seconds = 0.1\n\n[[feeds]]\nname = "Big"\n'
                   f'url = "{server.url("/feed.xml")}"\n')
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    r = CliRunner().invoke(cli, ["--config", str(cfg), "fetch", "--timeout", "30"])
    assert "took longer than 0.1 s to read (sources.parse_seconds)" in r.output, r.output
