"""E-mail: .eml files and mbox mailboxes; subject = title, text/plain part or the HTML part's main text."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message
from email.utils import parseaddr
from pathlib import Path

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import Rejected, iso_date, make_article
from triage.sources.reader import Reader, Sample, binary_refused
from triage.sources.readers.html import extract_html, html_to_text

__all__ = [
    "MAILBOX",
    "MESSAGE",
    "decode_header_text",
    "looks_like_mbox",
    "looks_like_message",
    "message_to_article",
    "read_eml",
    "read_mbox",
]


def looks_like_mbox(head: bytes) -> bool:
    """True when bytes start like an mbox file ("From " envelope line, then headers)."""
    return head.startswith(b"From ") and re.search(rb"\n[A-Za-z-]+: ", head[:4096]) is not None


_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]?")
_MAIL_HEADERS = {
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"received",
    b"return-path",
    b"mime-version",
    b"content-type",
    b"delivered-to",
    b"reply-to",
    b"sender",
    b"x-mailer",
    b"content-transfer-encoding",
    b"in-reply-to",
    b"references",
    b"dkim-signature",
    b"user-agent",
}


def looks_like_message(head: bytes) -> bool:
    """True when bytes open with an RFC 822 header block: every line a header or a continuation, with a
    From (or Received / Return-Path) and at least two other headers that mail uses."""
    seen: set[bytes] = set()
    lines = _without_leading_space(head).replace(b"\r\n", b"\n").split(b"\n")
    for i, line in enumerate(lines[:200]):
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t") and i:
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            return False
        seen.add(m.group(1).lower())
    known = seen & _MAIL_HEADERS
    return bool(known & {b"from", b"received", b"return-path"}) and len(known) >= 3


def _without_leading_space(data: bytes) -> bytes:
    """A message without what some systems put before its headers: a BOM, blank lines, a line of spaces."""
    return data.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([QqBb])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def decode_header_text(raw: str) -> str:
    """A header value with its RFC 2047 encoded words decoded. The bytes decide over the label: a word
    that says windows-1252 but holds UTF-8 ("TravTalk’s" sent as "=?windows-1252?Q?TravTalk’s?=") is read
    as UTF-8, so it never comes out as "TravTalkâ€™s"; raw 8-bit text outside encoded words too."""
    import base64
    import binascii
    import quopri

    def text_of(data: bytes, declared: str) -> str:
        if not data.isascii():
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        for charset in (declared, "cp1252", "latin-1"):
            try:
                return data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                continue
        return data.decode("latin-1")  # pragma: no cover - latin-1 decodes every byte

    def word(m: re.Match[str]) -> str:
        charset, kind, payload = m.group(1).split("*", 1)[0], m.group(2).upper(), m.group(3)
        data = payload.encode("utf-8", "surrogateescape")
        try:
            data = (quopri.decodestring(data.replace(b"_", b" "), header=True) if kind == "Q"
                    else base64.b64decode(data + b"=" * (-len(data) % 4)))
        except (binascii.Error, ValueError):
            return m.group(0)
        return text_of(data, charset)

    raw = _BETWEEN_WORDS.sub(r"\1\2", raw)  # white space between encoded words is not text (RFC 2047 6.2)
    out = _ENCODED_WORD.sub(word, raw)
    if any("\udc80" <= c <= "\udcff" for c in out):  # undecoded 8-bit bytes
        out = text_of(out.encode("utf-8", "surrogateescape"), "utf-8")
    return " ".join(out.split())


def _part_text(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            return part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError, KeyError, ValueError):
        pass
    raw = part.get_payload(decode=True)
    payload = raw if isinstance(raw, bytes) else b""
    from triage.sources.decode import decode_bytes

    try:
        return decode_bytes(payload, part.get_content_charset() or "")[0]
    except Exception:  # noqa: BLE001 - a part we cannot decode is left out, the rest still reads
        return payload.decode("latin-1", "replace")


def message_to_article(msg: Message, where: str | Path, source: str) -> Article:
    """One message -> Article; raises Rejected when it has neither subject nor a text part."""
    plain = html = ""
    parts = msg.walk() if msg.is_multipart() else [msg]
    for part in parts:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and not plain:
            plain = _part_text(part)
        elif ctype == "text/html" and not html:
            html = _part_text(part)
    text = plain
    if not text.strip() and html.strip():
        text = extract_html(html).get("text", "") or html_to_text(html)
        text = "\n\n".join(line for line in text.split("\n") if line.strip())
    subject = _header(msg, "subject")
    if not text.strip() and not subject.strip():
        raise Rejected("holds a message with no subject and no text part", ProblemKind.NOT_A_STORY)
    name, addr = parseaddr(_header(msg, "from"))
    return make_article(
        title=subject,
        text=_reflow(text),
        path=where,
        source=source,
        published=iso_date(_header(msg, "date")),
        author=name or addr,
        guid=_header(msg, "message-id").strip(),
    )


def _header(msg: Message, name: str) -> str:
    """A header as text, decoded by `decode_header_text`; the raw value when the email package's parser
    fails on it ("From: . <a@b>" raises AttributeError in CPython's header registry)."""
    items = msg.raw_items() if hasattr(msg, "raw_items") else []
    raw = next((v for k, v in items if k.lower() == name), None)
    if isinstance(raw, str) and name in ("subject", "from"):
        return decode_header_text(raw)
    try:
        return str(msg.get(name, "") or "")
    except Exception:  # noqa: BLE001 - a header the parser chokes on is read raw, the message still loads
        raw = (
            next((v for k, v in msg.raw_items() if k.lower() == name), "")
            if hasattr(msg, "raw_items")
            else ""
        )
        return str(raw)


def _reflow(text: str) -> str:
    """Mail text: drop quoted '>' lines and the signature, keep paragraphs."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.rstrip() in ("-- ", "--"):
            break
        if line.startswith(">"):
            continue
        out.append(line)
    return "\n".join(out)


def read_eml(data: bytes, path: Path, source: str) -> list[Article]:
    """An .eml file: one message."""
    if not data.strip():
        raise Rejected("is empty", ProblemKind.EMPTY)
    msg = email.message_from_bytes(_without_leading_space(data), policy=email.policy.default)
    if not msg.keys():
        raise Rejected("is not an e-mail message (no headers)")
    return [message_to_article(msg, path, source)]


def read_mbox(data: bytes, path: Path, source: str, problems: list[Problem]) -> list[Article]:
    """An mbox file: every message an article; a bad message is a problem, the rest still load."""
    if not data.strip():
        raise Rejected("is empty", ProblemKind.EMPTY)
    chunks = re.split(rb"(?:^|\n)From [^\n]*\n", data)
    articles: list[Article] = []
    n = 0
    for chunk in chunks:
        if not chunk.strip():
            continue
        n += 1
        chunk = re.sub(rb"\n>(>*From )", rb"\n\1", chunk)  # mboxrd unquoting
        try:
            msg = email.message_from_bytes(chunk, policy=email.policy.default)
            articles.append(message_to_article(msg, path, source))
        except Rejected as exc:
            problems.append(Problem(str(path), f"message {n} {exc}: skipped", ProblemKind.PARTIAL))
        except Exception as exc:  # noqa: BLE001 - one bad message never stops the mailbox
            problems.append(
                Problem(str(path), f"message {n} could not be read ({type(exc).__name__}): skipped")
            )
    if not articles:
        raise Rejected("holds no readable messages", ProblemKind.NOT_A_STORY)
    return articles


class _MessageReader(Reader):
    """One RFC 822 message: an .eml file, or any file that opens with a mail header block."""

    kind = "eml"
    extensions = frozenset({".eml"})

    def claims(self, sample: Sample) -> bool:
        return sample.named == "eml" or (sample.named != "mbox" and looks_like_message(sample.head))

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        binary_refused(sample, "an e-mail message")
        return read_eml(sample.data, sample.path, source)


class _MailboxReader(Reader):
    """An mbox file: by its name, or a file of no firmer kind that opens with a "From " envelope."""

    kind = "mbox"
    extensions = frozenset({".mbox", ".mbx"})

    def claims(self, sample: Sample) -> bool:
        unnamed = sample.named in ("", "text")
        return sample.named == "mbox" or (unnamed and looks_like_mbox(sample.data[:4096]))

    def read(self, sample: Sample, source: str, problems: list[Problem]) -> list[Article]:
        binary_refused(sample, "a mailbox")
        return read_mbox(sample.data, sample.path, source, problems)


MESSAGE = _MessageReader()
MAILBOX = _MailboxReader()
