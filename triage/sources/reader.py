"""What a reader is: it says whether a file's bytes are its kind, and reads them into Articles.

Every input format is one module under `triage.sources.readers` holding one `Reader` (two for mail);
`triage.sources.registry` keeps them in a list, in the order that matters, and asks each in turn.
A reader is shown a `Sample`: the file's bytes with what is cheap to tell from them worked out once
(the stripped head, the XML root element, the JSON object) and shared by every reader asked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TypeVar

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected
from triage.sources.decode import decode_bytes, looks_binary
from triage.sources.readers.wirexml import root_name

__all__ = ["Reader", "Sample", "TextReader", "binary_refused"]

T = TypeVar("T")
HEAD_BYTES = 8192  # what content detection looks at: enough for a prolog, a header block or a framing
_SPACE = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 BOM and white space, before a document's first mark


class Sample:
    """A file's bytes, shown to each reader in turn; what readers look at is worked out once, when first
    asked (plain attributes, not cached_property: its lock costs more than the work on small files).

    `named` is the kind whose extension the file has ("" for none): a hint that content overrides only
    for the formats that say what they are (wire framing, a root element, a header block)."""

    def __init__(self, data: bytes, path: Path, named: str = "") -> None:
        self.data = data
        self.path = path
        self.named = named
        self.head = data[:HEAD_BYTES]  # what content detection reads
        self._opening: bytes | None = None
        self._root: str | None = None
        self._text: str | None = None
        self._memo: dict[str, object] = {}

    @property
    def ext(self) -> str:
        """The file's extension, lower case (".xml"), "" when none."""
        return self.path.suffix.lower()

    @property
    def opening(self) -> bytes:
        """The head without a BOM and leading white space, lower case (first 4 KiB)."""
        if self._opening is None:
            self._opening = self.data[:4096].lstrip(_SPACE).lower()
        return self._opening

    @property
    def root(self) -> str:
        """The local name of the XML root element ("" when the file does not open like XML)."""
        if self._root is None:
            head = self.head
            xml_like = head.lstrip(_SPACE)[:1] == b"<" or head[:2] in (b"\xff\xfe", b"\xfe\xff")
            self._root = root_name(head) if xml_like else ""
        return self._root

    @property
    def text(self) -> str:
        """The bytes decoded (strict UTF-8 first, then what the bytes suggest)."""
        if self._text is None:
            self._text = decode_bytes(self.data, "")[0]
        return self._text

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """What a reader worked out while claiming (a parsed document), kept for its reading."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[return-value]


class Reader(ABC):
    """One input format: `claims` a sample by its content (and, for formats that carry no mark of their
    own, by the name in `extensions`), then `read`s it. `read` raises `Rejected` when the whole file is
    unusable and appends a `Problem` for each part it skips."""

    kind: str  # the format's short name ("nitf", "feed")
    extensions: ClassVar[frozenset[str]] = frozenset()  # file names the format goes by, when any

    @abstractmethod
    def claims(self, sample: Sample) -> bool:
        """True when the sample is this reader's kind."""

    @abstractmethod
    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        """The articles in the sample's file; `source` is the default source name."""


class TextReader(Reader):
    """A format read as text: the bytes are decoded (with `charset`'s hint) and handed to `read_text`."""

    def charset(self, sample: Sample) -> str:
        """The charset the file declares ("" for none): a hint, tried after strict UTF-8."""
        return ""

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        declared = self.charset(sample)
        text = decode_bytes(sample.data, declared)[0] if declared else sample.text
        return self.read_text(text, sample.path, source, problems)

    @abstractmethod
    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        """The articles in the decoded text."""


def binary_refused(sample: Sample, what: str) -> None:
    """Raise when the sample is binary data: `what` names what it is not ("an e-mail message")."""
    if looks_binary(sample.data):
        raise Rejected(f"is a binary file, not {what}", ProblemKind.UNSUPPORTED)

