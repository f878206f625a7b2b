"""Wire copy framed by control characters (ANPA-1312, IPTC 7901): split into messages, decoded, each
read by its format's module.

The framing controls (SOH, STX, ETX, SYN, US, DC1-DC4) are the format, not a sign of binary data: the
encoding is found without them, then the whole file is decoded with it. A capture of the line can
hold several messages, each opened by SOH.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected
from triage.sources.decode import decode_bytes
from triage.sources.reader import Reader, Sample

__all__ = ["FramedReader", "read_framed"]

# What reads one message: (text, path, source) -> articles; raises Rejected when it cannot.
ReadMessage = Callable[[str, Path, str], list[Article]]

_FRAMING_AS_SPACE = bytes.maketrans(bytes([1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x16, 0x1F]), b" " * 10)


def read_framed(
    text: str, message_start: re.Pattern[str], read: ReadMessage, path: Path, source: str,
    problems: list[Problem],
) -> list[Article]:
    """Each message in the text, read with `read`. A message whose text starts (STX) but never ends
    (ETX) may be cut off: it is read as far as it goes, and a problem line says so. A file of one
    message that cannot be read is one plain line; in a file of several, each unreadable message is one
    line."""
    starts = [m.start() for m in message_start.finditer(text)]
    bounds = [0, *starts[1:], len(text)]
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]
    several = len(chunks) > 1
    articles: list[Article] = []
    failed: list[Rejected] = []
    for n, chunk in enumerate(chunks, start=1):
        label = f"message {n} of {len(chunks)}: " if several else ""
        try:
            got = read(chunk, path, source)
        except Rejected as exc:
            if not several:
                raise
            failed.append(Rejected(f"{label}{exc.reason}", exc.kind))
            continue
        stx = chunk.find("\x02")
        if stx >= 0 and chunk.find("\x03", stx) < 0:
            problems.append(Problem(str(path), f"{label}has no end of text (ETX), so it may be cut off: "
                                               "read as far as it goes", ProblemKind.PARTIAL))
        articles.extend(got)
    if not articles and failed:
        raise Rejected(f"holds {len(chunks)} wire messages and none can be read ({failed[0].reason})",
                       failed[0].kind)
    problems.extend(f.problem(str(path)) for f in failed)
    return articles


class FramedReader(Reader):
    """A framed wire format, told by its framing (`looks_like` of the head) whatever the file is called."""

    def __init__(self, kind: str, looks_like: Callable[[bytes], bool], message_start: re.Pattern[str],
                 read: ReadMessage) -> None:
        self.kind = kind  # one class serves both framed formats
        self._looks_like = looks_like
        self._message_start = message_start
        self._read = read

    def claims(self, sample: Sample) -> bool:
        return sample.named not in ("eml", "mbox") and self._looks_like(sample.head)

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        _text, enc = decode_bytes(sample.data.translate(_FRAMING_AS_SPACE), "")
        text = sample.data.decode(enc, "replace")
        return read_framed(text, self._message_start, self._read, sample.path, source, problems)
