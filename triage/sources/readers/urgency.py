"""The one table from wire priority codes to IPTC urgency (1 = flash .. 9): IPTC 7901 digits, ANPA-1312
letters (AP's and AP Media API's `editorialpriority`), and the words agencies write ("urgent").

Sources, checked:
* IPTC 7901 ("Recommended Message Format for Exchange of Text between News Agencies and Newspapers",
  section 5.2, priority): a digit, 1 = flash, 2 = bulletin, 3 = urgent, 4 = regular, 5 = deferrable,
  6-8 lower still. IPTC's later urgency (NewsML 1/G2, NITF `ed-urg`, ninjs `urgency`) took over that
  scale, so a 7901 digit is its urgency.
* AP's own urgency scale, as AP Media API states it in each item's `urgency` next to its letter in
  `editorialpriority`: 1 Flash, 2 Bulletin, 3 Urgent, 4 Routine, 5 Daily, 6 Release at will, 7 Weekday
  advance, 8 Weekend advance (the names as Superdesk's AP Media parser records them,
  superdesk/superdesk-core superdesk/io/feed_parsers/ap_media.py). AP's items pair "r" with 4 and "d"
  with 5 (tests/sources/data/wire/own/ap-media-*.json keep that pairing). So an AP "bulletin" is 2 and
  an AP "urgent" is 3: bulletin ranks above urgent at AP, as in 7901.
* ANPA-1312 ("ANPA News Text Transmission Standard", 1989): the priority letter of the selector line,
  f = flash, b = bulletin, u = urgent, r = regular (routine), d = deferred (AP: daily), a = advance,
  w = weekend advance, s = AP's sports and statistics services (routine), placed on AP's scale above.
"""

from __future__ import annotations

__all__ = ["ANPA_PRIORITY", "IPTC7901_PRIORITY", "URGENCY_WORDS", "urgency_of"]

IPTC7901_PRIORITY: dict[str, int] = {str(d): d for d in range(1, 10)}

ANPA_PRIORITY: dict[str, int] = {
    "f": 1,  # flash
    "b": 2,  # bulletin (AP: APNewsAlert)
    "u": 3,  # urgent
    "r": 4,  # regular / routine
    "s": 4,  # AP sports and statistics services: routine
    "d": 5,  # deferred (AP: daily)
    "a": 6,  # advance (AP: release at will)
    "w": 8,  # weekend advance
}

# The same scale by name, as headers and API fields write it ("URGENT", "Bulletin").
URGENCY_WORDS: dict[str, int] = {
    "flash": 1,
    "bulletin": 2,
    "apnewsalert": 2,
    "urgent": 3,
    "routine": 4,
    "regular": 4,
    "daily": 5,
    "deferred": 5,
}


def urgency_of(code: str, scheme: str) -> int | None:
    """IPTC urgency of a priority code in `scheme` ("7901", "anpa" or "word"); None for a code the table
    lacks."""
    code = code.strip().lower()
    table = {"7901": IPTC7901_PRIORITY, "anpa": ANPA_PRIORITY, "word": URGENCY_WORDS}.get(scheme, {})
    return table.get(code)
