"""XML wire formats (NewsML-G2, NewsML 1, NITF): safe parsing, root sniffing and body text.

Parsing is lxml with entities, DTD loading and network access off and huge_tree off: a document that
declares entities is refused before anything is expanded; an external DTD is never read. The text is
decoded by `decode.py` (declared charset tried only after strict UTF-8, so a file that says ISO-8859-1
but is UTF-8 reads right) and handed to lxml as UTF-8, overriding the declaration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from triage.model import Article, Problem
from triage.sources.base import Rejected, controls_restored, controls_to_stand_ins

__all__ = [
    "TEXT_BLOCKS",
    "WIRE_ROOTS",
    "Kids",

    "attr",
    "child",
    "children",
    "descendants",
    "el_text",
    "local",
    "paragraphs",
    "parse_wire_xml",
    "read_each",
    "restored",
    "root_name",
]

# Root element -> the kind of document. G2 items other than news items are named, then skipped.
WIRE_ROOTS = {
    "newsItem": "newsml-g2",
    "newsMessage": "newsml-g2",
    "packageItem": "newsml-g2",
    "conceptItem": "newsml-g2",
    "knowledgeItem": "newsml-g2",
    "planningItem": "newsml-g2",
    "catalogItem": "newsml-g2",
    "conceptSet": "newsml-g2",
    "NewsML": "newsml1",
    "nitf": "nitf",
    "RBNews": "ritzau",  # Ritzau's XML news service: one story, or a queue response of them
    "XMLNewsQueuedResponse": "ritzau",
    # Fragments of a G2 item (IPTC's documentation shows them alone): named, then skipped.
    "itemMeta": "newsml-g2",
    "contentMeta": "newsml-g2",
    "contentSet": "newsml-g2",
    "groupSet": "newsml-g2",  # a package's groups
}
# An element's start: "<name" or "<prefix:name" (matched at one place only, never searched).
_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*+:)?([A-Za-z_][\w.-]*+)")
_SUBSET_END = re.compile(r"\][ \t\n\r\f\v]*>")  # the end of a DOCTYPE's internal subset
_SPACE = re.compile(r"\s*")  # matched where the last part ended: each space is read once
# Set by parse_wire_xml: whether the document held raw controls, swapped for stand-ins before parsing.
# Only then are stand-ins turned back into controls (a "␛" in ordinary text is never touched).
_HAD_CONTROLS: ContextVar[bool] = ContextVar("wire_xml_had_controls", default=False)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# HTML's elements that each hold a block of text; NITF and XHTML bodies use them too.
TEXT_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dd", "dt", "tr", "blockquote"}
)
_BLOCKS = TEXT_BLOCKS | {"hl1", "hl2", "block", "caption", "nitf-table-summary"}
_SKIP = {
    "media",
    "media-caption",
    "media-producer",
    "media-reference",
    "img",
    "script",
    "style",
    "object",
    "tagline",
    "bibliography",
    "biblio",
    "table-reference",
    "iframe",
    "figure",
    "figcaption",
    "audio",
    "video",
}


def root_name(head: bytes) -> str:
    """The local name of a document's root element from its first bytes ("" when not XML-like)."""
    sample = head[:8192]
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(sample) > 3 and (sample[1] == 0 or sample[0] == 0)):
        enc = "utf-16-le" if sample[:2] == b"\xff\xfe" or sample[1] == 0 else "utf-16-be"
        text = sample.decode(enc, "ignore").lstrip("\ufeff")
    else:
        text = sample.decode("utf-8", "ignore").lstrip("\ufeff")
    return _root_of(text)


def _past_space(text: str, pos: int) -> int:
    m = _SPACE.match(text, pos)
    return m.end() if m else pos


def _root_of(text: str) -> str:
    """The first element's name past the prolog (declaration, processing instructions, comments, a
    DOCTYPE with its internal subset); one pass, each part found with str.find (linear in the text)."""
    pos = _past_space(text, 0)
    while pos < len(text):
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            pos = end + 2 if end >= 0 else -1
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = end + 3 if end >= 0 else -1
        elif text.startswith("<!DOCTYPE", pos):
            close, subset = text.find(">", pos), text.find("[", pos)
            if subset >= 0 and (close < 0 or subset < close):
                m = _SUBSET_END.search(text, subset)
                pos = m.end() if m else -1
            else:
                pos = close + 1 if close >= 0 else -1
        else:
            m = _TAG.match(text, pos)
            return m.group(1) if m else ""
        if pos < 0:
            return ""
        pos = _past_space(text, pos)
    return ""


def local(el: object) -> str:
    """An element's name ("" for comments and processing instructions); namespaces are gone after parsing."""
    tag = getattr(el, "tag", None)
    return tag if isinstance(tag, str) else ""


def children(el, name: str) -> list:
    """Child elements with this name."""
    return el.findall(name) if el is not None else []


def child(el, *path: str):
    """The first element down this path of names, or None."""
    for name in path:
        if el is None:
            return None
        el = el.find(name)
    return el


def descendants(el, name: str) -> Iterator:
    """Every element below `el` (itself included) with this name, in document order."""
    return el.iter(name) if el is not None else iter(())


class Kids:
    """An element's children by local name, indexed in one pass (items look up many optional fields)."""

    def __init__(self, el) -> None:
        by: dict[str, list] = {}
        for c in el if el is not None else ():
            name = c.tag
            if isinstance(name, str):  # not a comment, processing instruction or entity reference
                if name in by:
                    by[name].append(c)
                else:
                    by[name] = [c]
        self.by = by

    def one(self, name: str):
        """The first child with this name, or None."""
        found = self.by.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list:
        """Every child with this name."""
        return self.by.get(name, [])


def read_each(items: Sequence[Any], read: Callable[[Any], Article | str], path: Path, noun: str,
              problems: list[Problem]) -> list[Article]:
    """The articles of a document's items; an item that is none (`read` says why) is a problem of the
    file, named "<noun> <n>" when the document holds several."""
    articles: list[Article] = []
    for n, item in enumerate(items, start=1):
        got = read(item)
        if isinstance(got, str):
            problems.append(Problem(str(path), f"{noun} {n}: {got}" if len(items) > 1 else got))
        else:
            articles.append(got)
    return articles


def restored(text: str) -> str:
    """A parsed field with its control stand-ins turned back into controls, when the document had any."""
    return controls_restored(text) if _HAD_CONTROLS.get() else text


def attr(el, name: str) -> str:
    """An attribute by name ("" when absent); "lang" is xml:lang (wire formats namespace no other)."""
    if el is None:
        return ""
    value = el.get(_XML_LANG if name == "lang" else name)
    return restored(value.strip()) if value else ""


def squash(text: str) -> str:
    """`" ".join(text.split())`, without the split for a text whose only white space is single spaces
    (the usual paragraph), which is only stripped. Checked with C-speed scans: for ASCII, substring tests
    for the other ASCII white space; otherwise isprintable(), false for all white space but the space."""
    if len(text) > 40 and "  " not in text:
        if text.isascii():
            if (
                "\n" not in text
                and "\t" not in text
                and "\r" not in text
                and "\x0b" not in text
                and "\x0c" not in text
                and "\x1c" not in text
                and "\x1d" not in text
                and "\x1e" not in text
                and "\x1f" not in text
            ):
                return text.strip(" ")
        elif text.isprintable():
            return text.strip(" ")
    return " ".join(text.split())


def el_text(el) -> str:
    """All the text inside an element, white space collapsed."""
    if el is None:
        return ""
    return restored(squash("".join(el.itertext())))


def paragraphs(root, skip: Iterable[str] = ()) -> list[str]:
    """Paragraphs of an NITF or XHTML body: each block element's text; loose text between blocks too."""
    skipped = _SKIP | set(skip)
    out: list[str] = []
    loose: list[str] = []

    def flush() -> None:
        text = squash(" ".join(loose))
        if text:
            out.append(text)
        loose.clear()

    def walk(el) -> None:
        for c in el:
            name = local(c)
            if name in skipped:
                pass
            elif name in _BLOCKS:
                flush()
                text = el_text_skipping(c, skipped)
                if text:
                    out.append(text)
            elif name in ("br",):
                flush()
            elif name:
                if c.text:
                    loose.append(c.text)
                walk(c)
            if c.tail:
                loose.append(c.tail)

    if root is not None:
        if root.text:
            loose.append(root.text)
        walk(root)
    flush()
    return [restored(p) for p in out] if _HAD_CONTROLS.get() else out


def el_text_skipping(el, skipped: set[str]) -> str:
    """An element's text without the text of skipped children (captions inside a paragraph)."""
    if not len(el):  # the usual paragraph: text alone
        return squash(el.text) if el.text else ""
    return squash(_raw_text_skipping(el, skipped))


def _raw_text_skipping(el, skipped: set[str]) -> str:
    """An element's text as written, white space kept: an inline element's closing space belongs to the
    words around it (STT's "<Company>Vastaamon </Company>tietomurrosta" is two words)."""
    parts: list[str] = [el.text or ""]
    for c in el:
        name = local(c)
        if name not in skipped:
            parts.append(_raw_text_skipping(c, skipped) if name else "")
        if name in ("td", "th", "br", "li"):
            parts.append(" ")
        parts.append(c.tail or "")
    return "".join(parts)


def parse_wire_xml(text: str):
    """Parse decoded XML text safely: (root element, what is broken or ""). Raises Rejected when unusable.

    Entity declarations are refused; forbidden C0 controls are swapped for stand-ins first (restored in
    each field by the helpers above). A document that is not well-formed is parsed again in lxml's
    recover mode (still without entities or network), and the problem says so.
    """
    from lxml import etree

    if "<!ENTITY" in text:
        raise Rejected(
            "declares XML entities: refused (a wire file never needs one, and they could read local "
            "files or expand without bound)"
        )
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("<?xml"):
        end = text.find("?>", 0, 500)
        text = text[end + 2:] if end > 0 else text
    if "&" in text:
        text = _HTML_ENTITY.sub(_entity_as_reference, text)
    # Readers look elements up by local name. Without prefixed elements, dropping the default namespace
    # declarations before parsing makes every name local already; otherwise each element is renamed after.
    plain = not _has_prefixed_elements(text)
    if plain:
        text = _without_default_namespaces(text)
    data = text.encode("utf-8", "replace")
    n = 0
    if data.translate(None, _ALL_BUT_FORBIDDEN_C0):  # C speed; usually empty
        text, n = controls_to_stand_ins(text)
        data = text.encode("utf-8", "replace")
    _HAD_CONTROLS.set(n > 0)
    opts = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                dtd_validation=False, remove_comments=True, remove_pis=True, encoding="utf-8")
    try:
        root = etree.fromstring(data, etree.XMLParser(**opts))
        return (root if plain else _local_names(root)), ""
    except etree.XMLSyntaxError as exc:
        reason = _syntax_reason(exc)
    try:
        root = etree.fromstring(data, etree.XMLParser(recover=True, **opts))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise Rejected(f"is not well-formed XML ({reason})")
    return _local_names(root), f"is not well-formed XML ({reason})"


_ALL_BUT_FORBIDDEN_C0 = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 13))
_PREFIX_DECLARATION = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")


def _has_prefixed_elements(text: str) -> bool:
    """Whether an element name carries a prefix: a prefix must be declared (`xmlns:p=`), so only the
    declared ones are looked for, as "<p:" (an end tag has its start tag; a document where it does not
    is not well-formed and is renamed in recover mode anyway)."""
    i = text.find("xmlns:")
    while i >= 0:  # str.find, not a regex over the whole text: it runs per file
        m = _PREFIX_DECLARATION.match(text, i)
        if m is not None and f"<{m.group(1)}:" in text:
            return True
        i = text.find("xmlns:", i + 6)
    return False


def _without_default_namespaces(text: str) -> str:
    """Text with each default namespace declaration (` xmlns="..."` inside a start tag) removed; the same
    words in the story's text (outside any tag) are left alone. str.find, not a regex: it runs per file."""
    parts: list[str] = []
    pos = 0
    i = text.find("xmlns=")
    while i > 0:
        quote = text[i + 6 : i + 7]
        end = text.find(quote, i + 7) if quote in ("'", '"') else -1
        in_tag = text.rfind("<", 0, i) > text.rfind(">", 0, i)
        if end > 0 and text[i - 1].isspace() and in_tag:
            parts.append(text[pos : i - 1])
            pos = end + 1
        i = text.find("xmlns=", max(i + 6, end + 1))
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)

# NITF and XHTML bodies use HTML's named entities (&nbsp; &mdash; &eacute;) that their DTDs declare; the
# DTD is never loaded, so each known name becomes its numeric character reference from Python's fixed
# table before parsing. Nothing is looked up in the document, so no entity can be defined or expanded.
_HTML_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}


def _entity_as_reference(m: re.Match[str]) -> str:
    from html.entities import name2codepoint

    name = m.group(1)
    code = name2codepoint.get(name) if name not in _XML_PREDEFINED else None
    return f"&#{code};" if code else m.group(0)


def _local_names(root):
    """Drop element namespaces in one pass: G2, NITF and XHTML are told apart by local names, and plain
    names let every later lookup be one of lxml's own finds."""
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str) and tag[:1] == "{":
            el.tag = tag[tag.index("}") + 1:]
    return root


def _syntax_reason(exc: Exception) -> str:
    msg = " ".join(str(getattr(exc, "msg", "") or exc).split())
    msg = re.sub(r",? line \d+, column \d+$", "", msg)
    line, col = getattr(exc, "lineno", 0), getattr(exc, "offset", 0)
    return f"{msg[:100]} at line {line}, column {col}" if line else msg[:100]

