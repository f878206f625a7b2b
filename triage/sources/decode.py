"""Bytes to text: BOMs, UTF-8, UTF-16 without BOM, then the most plausible 8-bit code page.

charset-normalizer alone reads an English cp1252/latin-1 text about a "Zürich café" as cp1250
("crčme brűlée"), and a mostly-ASCII text with one "ü" as cp775 ("³"), so among Latin candidates
cp1252 is preferred; charset-normalizer is only asked when UTF-8 fails, and its answer is kept only
when it reads the text as a non-Latin script (Cyrillic, Greek, Hebrew, Arabic, CJK ...).
"""

from __future__ import annotations

import codecs
import re

from triage.model import ProblemKind
from triage.sources.base import Rejected

__all__ = ["BINARY_SIGNATURES", "decode_bytes", "looks_binary", "utf16_guess"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LATIN = re.compile(
    r"^(cp125[02478]|windows-125[02478]|iso8859_(1|2|3|4|9|10|13|14|15|16)|latin_?1|mac_?(roman|latin2)|cp850|cp437|ascii)$"
)
BINARY_SIGNATURES = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"OggS",
    b"ID3",
    b"RIFF",
    b"\xd0\xcf\x11\xe0",
    b"SQLite format 3",
    b"\x28\xb5\x2f\xfd",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"wOFF",
    b"wOF2",
    b"\x00asm",
    b"fLaC",
    b"MZ\x90\x00",
)


_WORD = re.compile(r"[^\W\d_]+")
_CTRL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_HIGH = bytes(range(0x80, 0x100))


def _is_utf8_head(head: bytes) -> bool:
    """True when a head of bytes is UTF-8 (a character cut at the end of the sample is allowed)."""
    try:  # not final: a sequence cut at the end is held back, only a real fault raises
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read: a known binary signature, many control
    bytes, or NUL bytes in data that is neither UTF-16/32 nor plausible text.

    A few stray NULs in text (a damaged feed or page, UTF-8 or a legacy encoding) do not make it
    binary: such text is read and the controls removed. Compressed or machine data does.
    """
    head = data[:4096]
    if any(head.startswith(sig) for sig in BINARY_SIGNATURES) or head[4:8] == b"ftyp":
        return True
    if not head or head.startswith(tuple(b for b, _ in _BOMS)) or utf16_guess(head):
        return False  # UTF-16/32 text is mostly NUL bytes; decoding it tells whether it is text
    ctrl = len(head) - len(head.translate(None, _CTRL))
    if ctrl / len(head) > 0.10:
        return True
    if b"\x00" in head and ctrl / len(head) > 0.03 and not _is_utf8_head(head):
        # Compressed or machine data: about 1 byte in 10 a control, half above 0x7F. Text in a legacy
        # 8-bit or CJK encoding with a stray NUL has almost no controls.
        high = len(head) - len(head.translate(None, _HIGH))
        return high / len(head) >= 0.3
    return False


def utf16_guess(data: bytes) -> str:
    """'utf-16-le' / 'utf-16-be' when every other byte is mostly NUL (BOM-less UTF-16 Latin text)."""
    sample = data[:4096]
    if len(sample) < 4:
        return ""
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return ""


def _bad_ratio(s: str) -> float:
    """Share of characters a wrong decoding produces: U+FFFD and C1 controls. (C0 controls are the same
    bytes in every candidate encoding, so they say nothing about which one is right.)"""
    if not s:
        return 0.0
    bad = sum(1 for ch in s if ch == "\ufffd" or 0x80 <= ord(ch) < 0xA0)
    return bad / len(s)


def _non_latin_script(text: str) -> bool:
    """True when most non-ASCII letters of a decoded text are of a non-Latin script (Cyrillic, Greek,
    Hebrew, Arabic, Thai, CJK ...). A guess such as cp775 or hp-roman8 for a Latin-1 text turns "ü"
    into "³": it adds no letter of another script, so the cp1252 / Latin-1 reading is kept."""
    import unicodedata

    latin = other = 0
    for ch in text:
        if ch < "\x80" or not ch.isalpha():
            continue
        if unicodedata.name(ch, "").startswith("LATIN"):
            latin += 1
        else:
            other += 1
        if latin + other >= 2000:
            break
    return other > latin


def _plausible_latin(text: str) -> bool:
    """True when a Latin-1 reading looks like a Latin-script language: accented letters sit inside
    mostly-ASCII words ("café", "Zürich"). Cyrillic, Greek, Hebrew or CJK bytes read as Latin-1 make
    words of accented letters only ("Ïðèâåò")."""
    shares = []
    for word in _WORD.findall(text[:200_000]):
        n = len(word) - len(word.encode("ascii", "ignore"))
        if n:
            shares.append(n / len(word))
    return not shares or sum(shares) / len(shares) <= 0.6


def decode_bytes(data: bytes, declared: str = "") -> tuple[str, str]:
    """Decode file bytes to (text, encoding). Raises Rejected for binary or undecodable data.

    `declared` is an encoding named by the file itself (XML declaration, HTML meta, MIME charset): tried
    after BOMs and strict UTF-8, before guessing.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), enc
            except UnicodeDecodeError as exc:
                raise Rejected(
                    f"starts with a {enc.upper()} byte-order mark but is not valid {enc.upper()} "
                    f"(byte {exc.start + len(bom)})"
                ) from None
    guess16 = utf16_guess(data)
    if guess16:
        try:
            return data.decode(guess16), guess16
        except UnicodeDecodeError:
            pass
    if looks_binary(data):
        raise Rejected("is a binary file, not text", ProblemKind.UNSUPPORTED)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            enc = codecs.lookup(declared).name
            if enc not in ("utf-8", "ascii") and not enc.startswith("utf-16"):
                text = data.decode(enc)
                if _bad_ratio(text) < 0.01:
                    return text, enc
        except (LookupError, UnicodeDecodeError):
            pass
    enc = ""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        enc = best.encoding if best is not None else ""
    except Exception:  # noqa: BLE001 - a detector failure is a guess lost, not a file lost
        enc = ""
    if enc and not _LATIN.match(enc.replace("-", "_").lower()):
        try:
            text = data.decode(enc)
            if (
                _bad_ratio(text) < 0.01
                and _non_latin_script(text)
                and not _plausible_latin(data.decode("latin-1"))
            ):
                return text, enc
        except (LookupError, UnicodeDecodeError):
            pass
    for cand in ("cp1252", "latin-1"):
        try:
            text = data.decode(cand)
        except UnicodeDecodeError:
            continue
        if _bad_ratio(text) < 0.02:
            return text, cand
    raise Rejected("could not be decoded as text (not UTF-8, UTF-16 or a known 8-bit encoding)")
