"""Plain-text wire copy (.txt) and Markdown (.md): headline, front matter, paragraphs, furniture removed."""

from __future__ import annotations

import re
from pathlib import Path

from triage.infra.text import byline_author, clean_text, dateline_date, is_furniture
from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, make_article
from triage.sources.reader import Sample, TextReader

__all__ = ["MARKDOWN", "TEXT", "read_markdown", "read_wire_text", "split_paragraphs", "strip_furniture"]


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a cleaned text (blank-line separated); lines inside a paragraph are kept."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def strip_furniture(paragraphs: list[str]) -> tuple[list[str], str, str]:
    """Drop wire furniture paragraphs; return (story paragraphs, byline author, dateline date).

    Bylines and dateline-only lines are recognised near the top (first three paragraphs) so a
    story sentence that happens to start with "By" is never lost; crossheads and disclaimers anywhere.
    """
    kept: list[str] = []
    author = date = ""
    for i, p in enumerate(paragraphs):
        if is_furniture(p):
            a = byline_author(p) if len(p) <= 80 else ""
            d = dateline_date(p) if len(p) <= 80 else ""
            if (a or d) and i > 2 and not (p.startswith(("(", "-"))):
                kept.append(p)  # a date/name line deep in the story is story text
                continue
            author = author or a
            date = date or d
            continue
        kept.append(p)
    return kept, author, date


def read_wire_text(text: str, path: Path, source: str) -> list[Article]:
    """A .txt article: headline on the first non-empty line, paragraphs after."""
    body = clean_text(text)
    if not body:
        raise Rejected("is empty", ProblemKind.EMPTY)
    head, _, rest = body.partition("\n")
    title = head.strip()
    paragraphs, author, date = strip_furniture(split_paragraphs(rest))
    if not paragraphs:
        # A one-line file: the line is the story.
        paragraphs = [title]
    return [make_article(title=title, text="\n\n".join(paragraphs), path=path, source=source,
                         author=author, published=date)]


_FM_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style front matter (`---` ... `---`) as flat key -> string, and the rest of the text.

    Only `key: value` lines are read (quotes removed); nested YAML is ignored, never executed.
    """
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        m = _FM_LINE.match(line)
        if not m:
            continue
        key, value = m.group(1).lower(), m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if m.group(2).strip()[0] == '"':
                value = value.replace('\\"', '"')
            else:
                value = value.replace("''", "'")
        meta[key] = value
    return meta, "\n".join(lines[end + 1:])


# Inline markup, each pattern linear on any line: a span never runs past the next opening of its own
# kind (a link text stops at "[" or "]", a bold one at the next "**"), so no start scans the line again.
_MD_INLINE = [
    (re.compile(r"!\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\[\]]+)\]\((?:[^()]|\([^()]*\))*\)"), r"\1"),  # links -> link text
    (re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"), r"\1"),  # **bold**
    (re.compile(r"__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__"), r"\1"),  # __bold__
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # code
    (re.compile(r"<[^<>\n]{1,200}>"), ""),  # inline HTML tags
]
_HEADING = re.compile(r"\s{0,3}(#{1,6})\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_BULLET = re.compile(r"^(\s*)[*+]\s+")


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line ("## Text ##"), else None."""
    m = _HEADING.match(line)
    if m is None:
        return None
    return len(m.group(1)), line[m.end():].rstrip().rstrip("#").rstrip()


def _is_rule(line: str) -> bool:
    """True for a thematic break ("---", "* * *", "___")."""
    if len(line) - len(line.lstrip()) > 3:
        return False
    marks = "".join(line.split())
    return len(marks) >= 3 and marks[0] in "-*_" and marks == marks[0] * len(marks)


def markdown_to_text(md: str) -> tuple[str, str]:
    """(first `# ` heading, plain text) from Markdown: headings and inline markup removed, lists kept."""
    title = ""
    out: list[str] = []
    for line in md.split("\n"):
        heading = _heading(line)
        if heading is not None:
            level, text = heading
            if not title and level == 1:
                title = text
                continue
            out.extend(["", text, ""])
            continue
        if _is_rule(line):
            out.append("")
            continue
        line = _QUOTE.sub("", line)
        line = _BULLET.sub(r"\1- ", line)
        for rx, rep in _MD_INLINE:
            line = rx.sub(rep, line)
        out.append(line)
    return title, "\n".join(out)


def read_markdown(text: str, path: Path, source: str) -> list[Article]:
    """A .md article: front matter (title, date, source, url, author) or a `# Title` heading."""
    text = clean_text(text)
    if not text:
        raise Rejected("is empty", ProblemKind.EMPTY)
    meta, body = parse_front_matter(text)
    heading, plain = markdown_to_text(body)
    title = meta.get("title") or heading
    paragraphs, author, date = strip_furniture(split_paragraphs(clean_text(plain)))
    if not title and paragraphs:
        title = paragraphs.pop(0)
    if not paragraphs and not title:
        raise Rejected("holds no article text", ProblemKind.NOT_A_STORY)
    return [make_article(
        title=title,
        text="\n\n".join(paragraphs),
        path=path,
        source=meta.get("source") or source,
        url=meta.get("url") or meta.get("link") or "",
        published=meta.get("date") or meta.get("published") or date,
        author=meta.get("author") or author,
        guid=meta.get("id") or meta.get("guid") or "",
    )]


class _TextReader(TextReader):
    """Wire copy as plain text, by its name: the last reader asked, after every format with a mark."""

    kind = "text"
    extensions = frozenset({".txt", ".text", ".wire"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "text"

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_wire_text(text, path, source)


class _MarkdownReader(TextReader):
    """A Markdown article, by its name."""

    kind = "markdown"
    extensions = frozenset({".md", ".markdown", ".mdown"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "markdown"

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_markdown(text, path, source)


TEXT = _TextReader()
MARKDOWN = _MarkdownReader()
