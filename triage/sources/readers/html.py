"""HTML articles (.html, .htm) via trafilatura, and a light HTML-to-text for feed and mail bodies."""

from __future__ import annotations

import re
from pathlib import Path

from triage.infra.sanitize import XML_ILLEGAL
from triage.infra.text import clean_line, clean_text
from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, controls_restored, controls_to_stand_ins, make_article
from triage.sources.reader import Sample, TextReader
from triage.sources.readers.wirexml import TEXT_BLOCKS

__all__ = ["READER", "extract_html", "html_to_text", "read_html"]

_BLOCK = TEXT_BLOCKS | {
    "div", "br", "ul", "ol", "table", "section", "article", "header", "footer", "figure", "figcaption", "dl",
    "hr",
}
_NOT_XML_EXTRA = re.compile("[\ud800-\udfff\ufffe\uffff]")  # what XML cannot hold besides the controls
_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "head",
    "form",
    "button",
    "select",
    "textarea",
}


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed content, mail body): block elements become paragraphs,
    list items "- item", scripts and styles dropped. Uses lxml; never fetches anything. The result
    still needs triage.infra.text.clean_text (make_article does it) before it is shown."""
    if not fragment or "<" not in fragment:
        # Plain text, maybe with entities.
        import html as _html

        text = clean_text(_html.unescape(fragment or ""))
        return XML_ILLEGAL.sub("", text) if not text.isprintable() else text
    from lxml import etree

    fragment = fragment.replace("\ue000", "")  # our paragraph marker below
    if XML_ILLEGAL.search(fragment):
        # lxml refuses C0 controls, lone surrogates and U+FFFE/U+FFFF in text. The sanitiser removes the
        # controls with the escape sequences they introduce; what XML cannot hold goes too.
        fragment = XML_ILLEGAL.sub("", clean_text(fragment))
    try:
        # Plain lxml elements (not lxml.html's element classes): the same parse, far fewer Python objects.
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)
        doc = etree.fromstring(f"<html><body><div>{fragment}</div></body></html>", parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, TypeError):
        doc = None
    if doc is None:
        return _tags_removed(fragment)
    try:
        # C-level passes: drop scripts/styles, mark block boundaries with a paragraph break, then text.
        etree.strip_elements(doc, *_SKIP, with_tail=False)
        root = doc.find("body") if doc.find("body") is not None else doc
        for el in root.iter(*_BLOCK):
            el.tail = "\ue000" + el.tail if el.tail else "\ue000"
            first = "- " if el.tag == "li" else ""
            el.text = "\ue000" + first + (el.text or "")
        text = "".join(root.itertext())
    except (ValueError, TypeError):  # anything lxml refuses to hold: the fragment without its tags
        return _tags_removed(fragment)
    # Inside a paragraph, newlines from source formatting are spaces.
    paras = (" ".join(p.split()) for p in text.split("\ue000"))
    # Controls and escapes are removed where the Article is built (base.make_article).
    out = "\n\n".join(p for p in paras if p and p != "-")
    if not out and len(fragment) > 2000 and ">" in fragment:
        # libxml2 stops at 256 levels of nesting: a hostile fragment nested deeper would lose its text.
        return _tags_removed(fragment)
    return out


def _tags_removed(fragment: str) -> str:
    """A fragment lxml could not take: scripts and styles dropped, tags removed, entities decoded."""
    import html as _html

    text = re.sub(r"(?is)<(script|style)\b.*?(</\1\s*>|$)", " ", fragment)
    text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(_html.unescape(text).split())


def extract_html(html: str, url: str = "") -> dict[str, str]:
    """Main text and metadata of a whole HTML page with trafilatura: title, text, date, author, url."""
    import trafilatura

    # libxml2 drops raw controls, leaving an escape sequence's tail ("[2J") in the text: carry them
    # through as stand-ins so the sanitiser removes each whole sequence (see base.controls_to_stand_ins).
    html, controls = controls_to_stand_ins(
        _NOT_XML_EXTRA.sub("", html) if _NOT_XML_EXTRA.search(html) else html
    )
    doc = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if doc is None:
        return {}
    get = (lambda k: doc.get(k)) if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    out = {
        k: (v if isinstance(v := get(k), str) else "")
        for k in ("title", "text", "date", "author", "url", "sitename")
    }
    if controls:
        out = {
            k: clean_text(controls_restored(v)) if k == "text" else clean_line(controls_restored(v))
            for k, v in out.items()
        }
    return out


def _looks_truncated(html: str) -> bool:
    tail = html.rstrip()[-2000:].lower()
    return "<html" in html[:5000].lower() and "</html>" not in tail and "</body>" not in tail


def read_html(text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """A saved web page: trafilatura's main text (no navigation or boilerplate) and metadata."""
    if not text.strip():
        raise Rejected("is empty", ProblemKind.EMPTY)
    if "<" not in text:
        raise Rejected("is not HTML (no markup found)")
    meta = extract_html(text)
    body = clean_text(meta.get("text", ""))
    if len(body.split()) < 8:  # a menu word or two is not a story
        raise Rejected(
            "holds no article text that could be extracted (navigation or boilerplate only)"
            + (" and looks truncated" if _looks_truncated(text) else "")
        )
    if _looks_truncated(text):
        problems.append(Problem(str(path), "HTML looks truncated (no closing </html>): read what was there",
                                ProblemKind.PARTIAL))
    paragraphs = [" ".join(p.split()) for p in body.split("\n") if p.strip()]
    return [
        make_article(
            title=meta.get("title", ""),
            text="\n\n".join(paragraphs),
            path=path,
            source=meta.get("sitename") or source,
            url=meta.get("url", ""),
            published=meta.get("date", ""),
            author=meta.get("author", ""),
        )
    ]


_META_CHARSET = re.compile(rb"""<meta[^>]{0,500}?charset=["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


class _HtmlReader(TextReader):
    """A saved web page: by its name, or a file of no firmer kind that opens with <html> or its doctype."""

    kind = "html"
    extensions = frozenset({".html", ".htm", ".xhtml"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "html" or (
            sample.named in ("", "text") and sample.opening.startswith((b"<!doctype html", b"<html"))
        )

    def charset(self, sample: Sample) -> str:
        m = _META_CHARSET.search(sample.head)
        return m.group(1).decode("ascii", "ignore") if m else ""

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_html(text, path, source, problems)


READER = _HtmlReader()
