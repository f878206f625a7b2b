"""The fast paths of triage.infra.text (passes skipped when the text holds nothing they change, ASCII
shortcuts) give exactly what the plain passes give, on hostile and ordinary text alike."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from triage.infra.sanitize import sanitize
from triage.infra.text import clean_text, normalise_title


def _plain_clean_text(s: str) -> str:
    s = re.sub(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]", " ", sanitize(s))
    s = re.sub(r"[ ]{2,}", " ", s)
    s = re.sub(r"[ ]+\n", "\n", s)
    s = re.sub(r"\n[ ]+", "\n", s)
    s = re.sub(r"\n{3,}", "\n\n", s)
    return s.strip()


def _plain_normalise_title(title: str) -> str:
    s = unicodedata.normalize("NFKC", sanitize(title, one_line=True)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in s).split())


PIECES = [" ", " ", "  ", "\n", "\n\n\n", "\t", "a", "Z", "_", "-", "é", "É", "\u00a0", "\u3000", "\r\n",
          "\x1b[31m", "\x0c", "\u2028", "ß", "ﬁ", "½", "٣", "\u0345", ".", "\u200b", "\u202e", "\x85", "Ⅻ",
          "İ", "\x00", "word", "Ｆｕｌｌ", "😀"]


@pytest.mark.parametrize("seed", range(4))
def test_clean_text_and_normalise_title_match_the_plain_passes(seed):
    rnd = random.Random(seed)
    for _ in range(5000):
        s = "".join(rnd.choice(PIECES) for _ in range(rnd.randrange(0, 30)))
        assert clean_text(s) == _plain_clean_text(s), repr(s)
        assert normalise_title(s) == _plain_normalise_title(s), repr(s)


def test_every_character_is_a_word_character_or_a_separator_as_before():
    for start in range(0, 0x110000, 512):  # every code point, between letters, 512 at a time
        s = "a".join(chr(code) for code in range(start, start + 512))
        assert normalise_title(s) == _plain_normalise_title(s), hex(start)


def test_wire_copy_is_cleaned_as_before():
    copy = ("HEADLINE  with  spaces \n\n\n\n  By Jane Doe  \t\n\nFirst paragraph.  Second sentence. \n"
            "\u00a0Indented line\n\n\n")
    assert clean_text(copy) == _plain_clean_text(copy) == (
        "HEADLINE with spaces\n\nBy Jane Doe\n\nFirst paragraph. Second sentence.\nIndented line")
