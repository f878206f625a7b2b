"""A wire XML file (NewsML-G2, NewsML 1, NITF, Ritzau's XML): told by its root element whatever the file
is called, decoded (declared charset after strict UTF-8), parsed safely, read by its format's module."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected
from triage.sources.decode import decode_bytes
from triage.sources.reader import Reader, Sample
from triage.sources.readers.wirexml import WIRE_ROOTS, parse_wire_xml

__all__ = ["WireXmlReader", "read_wire_document"]

# What a root element read by a format's module gets: (root, path, source, problems) -> articles.
ReadRoot = Callable[..., list[Article]]


_ENCODING_DECL = re.compile(rb"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""")


def read_wire_document(
    data: bytes, path: Path, source: str, problems: list[Problem], read: ReadRoot
) -> list[Article]:
    """A wire XML file decoded (declared charset after strict UTF-8), parsed safely and handed to `read`
    (root, path, source, problems). A broken document is read as far as it recovers, and says so."""
    m = _ENCODING_DECL.match(data.lstrip(b"\xef\xbb\xbf"))
    text, _enc = decode_bytes(data, m.group(1).decode("ascii") if m else "")
    root, broken = parse_wire_xml(text)
    found: list[Problem] = []
    try:
        articles = read(root, path, source, found)
    except Rejected:
        if not broken:
            raise
        articles = []
    if broken and not articles:  # broken, and nothing recovered: the breakage is the one thing to say
        raise Rejected(f"{broken}: nothing could be recovered")
    if broken:
        problems.append(Problem(str(path), f"{broken}: read what could be recovered", ProblemKind.PARTIAL))
    problems.extend(found)
    return articles


class WireXmlReader(Reader):
    """A wire format in XML, told by its root element (see WIRE_ROOTS) whatever the file is called."""

    def __init__(self, kind: str, read: ReadRoot) -> None:
        self.kind = kind  # an instance's kind: one class serves each XML format
        self._read = read

    def claims(self, sample: Sample) -> bool:
        return sample.named not in ("eml", "mbox") and WIRE_ROOTS.get(sample.root) == self.kind

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        return read_wire_document(sample.data, sample.path, source, problems, self._read)
