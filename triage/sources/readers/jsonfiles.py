"""JSON and JSON Lines articles, and JSON Feed 1 / 1.1 (read with the json module, against the spec).

JSON from outside is loose about types. A field of the wrong type never costs an item its content:
text found as a list of paragraphs or as an object such as WordPress's `{"rendered": "<p>..."}` is
used, numbers are read as digits where a title or id is expected, and anything else is ignored. What
is not an article at all (a package manifest, a settings file) is a problem that says why, never an
article made of its `description`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, as_text, make_article
from triage.sources.reader import Sample, TextReader
from triage.sources.readers.html import html_to_text

__all__ = [
    "JSON",
    "JSON_LINES",
    "article_from_object",
    "is_json_feed",
    "json_document",
    "loads",
    "read_json",
    "read_json_feed",
    "read_jsonl",
    "states_ninjs_keys",
]

# Where article text is found. A lone object needs one of _BODY_KEYS (or a title with a _LEAD_KEYS text
# and some article metadata): a manifest's "description" alone does not make an article.
_BODY_KEYS = ("text", "body", "content", "content_text", "articleBody", "article_body", "full_text", "story")
_HTML_KEYS = ("content_html", "html", "body_html")
_LEAD_KEYS = ("description", "summary", "abstract", "excerpt", "lede", "lead")
_TITLE_KEYS = ("title", "headline")
_META_KEYS = (
    "url",
    "link",
    "published",
    "date",
    "date_published",
    "publishedAt",
    "published_at",
    "pubDate",
    "author",
    "byline",
    "source",
    "guid",
    "id",
    "received",
    "created_at",
    "updated",
)
# Objects that wrap a string: WordPress {"rendered"}, XML-to-JSON {"#text"}/{"$t"}/{"_"}, {"value"}.
_WRAPPER_KEYS = ("rendered", "text", "value", "#text", "$t", "_", "html", "content")
_CONTAINERS = ("articles", "items", "entries", "stories", "posts")
_MAX_INT_DIGITS = 4000  # Python refuses int() of more than 4,300 digits; longer numbers stay digit strings


class NotJson(Rejected):
    """JSON that does not parse; `more_after` when a whole value is followed by more (JSON Lines)."""

    def __init__(self, reason: str, *, more_after: bool = False) -> None:
        super().__init__(reason, ProblemKind.BAD_FORMAT)
        self.more_after = more_after


def loads(text: str) -> Any:
    """json.loads that fails only with Rejected and a plain reason (bad syntax, nesting, huge numbers)."""
    decoder = json.JSONDecoder(parse_int=_parse_int)
    try:
        value, end = decoder.raw_decode(text, len(text) - len(text.lstrip(" \t\r\n")))
    except json.JSONDecodeError as exc:
        raise NotJson(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise Rejected("is JSON nested too deeply to read") from None
    except ValueError as exc:  # pragma: no cover - json raises JSONDecodeError for what we know of
        raise Rejected(f"is not valid JSON ({' '.join(str(exc).split())[:100]})") from None
    rest = text[end:].lstrip(" \t\r\n")
    if rest:  # what json.loads calls "Extra data"
        at = len(text) - len(rest)
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        raise NotJson(f"is not valid JSON (Extra data at line {line} column {column})", more_after=True)
    return value


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, with its article: "a string", "an object", "null"."""
    if value is None:
        return "null"
    name = {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )
    return ("an " if name[0] in "aeiou" else "a ") + name


def _parse_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else digits


def is_json_feed(obj: Any) -> bool:
    """True for a JSON Feed document (a `version` URL under jsonfeed.org)."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("version"), str)
        and "jsonfeed.org/version" in obj["version"]
    )


def text_of(value: Any, sep: str = "\n\n") -> str:
    """A loosely typed text field as a string: a string; a list of strings (joined by `sep`); an object
    wrapping one ({"rendered": ...}, {"#text": ...}, {"value": ...}); else ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in _WRAPPER_KEYS:
            inner = value.get(key)
            if isinstance(inner, str):
                return inner
        return ""
    if isinstance(value, list):
        parts = [
            v if isinstance(v, str) else text_of(v, sep) if isinstance(v, dict) else "" for v in value[:1000]
        ]
        return sep.join(p for p in parts if p.strip())
    return ""


def _scalar(value: Any) -> str:
    """A title, id or date: text, or a number read as digits."""
    return as_text(value) or text_of(value, " ")


def _link(value: Any) -> str:
    """A URL field: a string, the first string of a list, or {"href"/"url": ...}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return next((v for k in ("href", "url") if isinstance(v := value.get(k), str)), "")
    if isinstance(value, list):
        return next((s for v in value[:20] if (s := _link(v))), "")
    return ""


def _author(value: Any) -> str:
    """An author field: "Name", {"name": ...}, or a list of either (names joined by commas)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        name = value.get("name")
        return name if isinstance(name, str) else ""
    if isinstance(value, list):
        return ", ".join(n for n in (_author(v) for v in value[:20] if not isinstance(v, list)) if n)
    return ""


def _looks_html(text: str) -> bool:
    low = text.lower()
    return "<" in text and ">" in text and ("</p>" in low or "<br" in low or "</div>" in low)


def _title(obj: dict[str, Any]) -> str:
    title = next((t for k in _TITLE_KEYS if (t := _scalar(obj.get(k))).strip()), "")
    return html_to_text(title) if "<" in title or "&" in title else title


def _body(obj: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        text = text_of(obj.get(key))
        if text.strip():
            return text
    return ""


def _not_an_article(obj: dict[str, Any]) -> str:
    """Why a lone object is not an article, in words a user recognises."""
    if "name" in obj and "version" in obj and not any(k in obj for k in _TITLE_KEYS):
        return "it looks like a package manifest ('name' and 'version', no title or article text)"
    return ("no article text (expected a string in 'text', 'body' or 'content', "
            "or a 'title' with a 'description')")


def article_from_object(
    obj: Any, path: Path, source: str, where: str, *, strict: bool = False
) -> tuple[Article | None, str]:
    """One article object -> (Article, "") or (None, reason). Fields of the wrong type are ignored.

    `strict` (a lone object that is the whole file): a title with only a description or summary is an
    article only when some article metadata (url, date, author, id ...) comes with it.
    """
    if not isinstance(obj, dict):
        return None, f"{where} is {json_type(obj)}, not an article object"
    title = _title(obj)
    text = _body(obj, _BODY_KEYS)
    if not text.strip():
        html = _body(obj, _HTML_KEYS)
        text = html_to_text(html) if html.strip() else ""
    if not text.strip() and title.strip() and (not strict or any(k in obj for k in _META_KEYS)):
        text = _body(obj, _LEAD_KEYS)
    if not text.strip():
        if strict:
            return None, _not_an_article(obj)
        return None, f"{where} has no text (expected a string in 'text', 'body' or 'content')"
    if _looks_html(text):
        text = html_to_text(text)
    return make_article(
        title=title,
        text=text,
        path=path,
        source=_scalar(obj.get("source")) or source,
        url=_link(obj.get("url")) or _link(obj.get("link")),
        published=next(
            (
                d
                for k in ("published", "date", "date_published", "publishedAt", "pubDate")
                if (d := as_text(obj.get(k)))
            ),
            "",
        ),
        author=_author(obj.get("author")) or _author(obj.get("authors")) or _author(obj.get("byline")),
        guid=_scalar(obj.get("guid")) or as_text(obj.get("id")),
        received=as_text(obj.get("received")),
    ), ""


def read_jsonl(text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """JSON Lines: one article object a line; a bad line is a problem, the other lines still load."""
    articles: list[Article] = []
    seen_any = False
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen_any = True
        try:
            obj = loads(line)
        except Rejected as exc:
            problems.append(Problem(f"{path}:{n}", f"line {n} {exc}: skipped", ProblemKind.PARTIAL))
            continue
        art, why = article_from_object(obj, path, source, f"line {n}")
        if art is None:
            problems.append(Problem(f"{path}:{n}", why + ": skipped", ProblemKind.PARTIAL))
        else:
            articles.append(art)
    if not seen_any:
        raise Rejected("is empty", ProblemKind.EMPTY)
    if not articles:
        raise Rejected("holds no usable article lines (see the problems above)", ProblemKind.NOT_A_STORY)
    return articles


def read_json(text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A .json file: a JSON Feed, a list of article objects, {"articles"|"items": [...]} or one article."""
    if not text.strip():
        raise Rejected("is empty", ProblemKind.EMPTY)
    try:
        obj = loads(text)
    except NotJson as exc:
        # Maybe it is JSON Lines with a .json name.
        if exc.more_after and text.lstrip().startswith("{"):
            return read_jsonl(text, path, source, problems)
        raise
    if is_json_feed(obj):
        return read_json_feed(obj, path, source, problems)
    items: Any = None
    if isinstance(obj, list):
        items = obj
    elif isinstance(obj, dict):
        for key in _CONTAINERS:
            if key in obj:
                items = obj[key]
                if not isinstance(items, list):
                    raise Rejected(f"has '{key}' that is {json_type(items)}, not a list of articles")
                break
        else:
            art, why = article_from_object(obj, path, source, "the object", strict=True)
            if art is None:
                raise Rejected("is neither a feed nor article objects: " + why)
            return [art]
    else:
        raise Rejected(f"is {json_type(obj)} in JSON, neither a feed nor article objects")
    articles: list[Article] = []
    for i, item in enumerate(items):
        art, why = article_from_object(item, path, source, f"item {i + 1}")
        if art is None:
            problems.append(Problem(str(path), why + ": skipped", ProblemKind.PARTIAL))
        else:
            articles.append(art)
    if not articles:
        raise Rejected("is neither a feed nor article objects (no item has a title and text)",
                       ProblemKind.NOT_A_STORY)
    return articles


def read_json_feed(
    obj: dict[str, Any], path: Path | str, source: str, problems: list[Problem]
) -> list[Article]:
    """JSON Feed 1 / 1.1 items as articles. An item that is not an object is skipped with a problem;
    an object item with a title, a text or a URL loads whatever the types of its other fields."""
    items = obj.get("items")
    if not isinstance(items, list):
        raise Rejected(f"is a JSON Feed whose 'items' is {'missing' if items is None else 'not a list'}")
    feed_title = _scalar(obj.get("title")) or source
    feed_author = _author(obj.get("authors")) or _author(obj.get("author"))
    articles: list[Article] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(
                Problem(str(path), f"JSON Feed item {i} is {json_type(item)}, not an object: skipped")
            )
            continue
        text = text_of(item.get("content_text"))
        if not text.strip():
            html = text_of(item.get("content_html"))
            text = html_to_text(html) if html.strip() else ""
        if not text.strip():
            text = html_to_text(text_of(item.get("summary")))
        title = _title(item)
        url = _link(item.get("url")) or _link(item.get("external_url"))
        if not text.strip() and not title.strip():
            if not url:
                problems.append(
                    Problem(str(path), f"JSON Feed item {i} has neither title nor content: skipped")
                )
                continue
            title = url  # a link-only item, as feed readers show it
        articles.append(
            make_article(
                title=title,
                text=text,
                path=path,
                source=feed_title,
                url=url,
                published=as_text(item.get("date_published")) or as_text(item.get("date_modified")),
                author=_author(item.get("authors")) or _author(item.get("author")) or feed_author,
                guid=_scalar(item.get("id")),
            )
        )
    if not articles and items:
        raise Rejected("is a JSON Feed with no readable items", ProblemKind.NOT_A_STORY)
    return articles


_NINJS_KEY = re.compile(rb'"(uri|\$schema|\$standard)"\s*:')


def states_ninjs_keys(sample: Sample) -> bool:
    """JSON (opening with an object or a list) that names a ninjs identity key ("uri", "$schema") in its
    first 200 KB, whatever the file is called (but not JSON Lines, or mail)."""
    return (
        sample.named not in ("eml", "mbox", "jsonl")
        and sample.opening[:1] in (b"{", b"[")
        and _NINJS_KEY.search(sample.data[:200_000]) is not None
    )


def json_document(sample: Sample) -> Any:
    """The sample's JSON document, parsed once for every reader that asks (None when it does not parse)."""

    def parse() -> Any:
        text = sample.text
        if not text.lstrip().startswith(("{", "[")):
            return None
        try:
            return loads(text)
        except Rejected:
            return None

    return sample.memo("json", parse)


class _JsonReader(TextReader):
    kind = "json"
    extensions = frozenset({".json"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "json" or states_ninjs_keys(sample)

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_json(text, path, source, problems)


class _JsonLinesReader(TextReader):
    kind = "jsonl"
    extensions = frozenset({".jsonl", ".ndjson"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "jsonl"

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_jsonl(text, path, source, problems)


JSON = _JsonReader()
JSON_LINES = _JsonLinesReader()
