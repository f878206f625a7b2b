"""The one table from wire priority codes (IPTC 7901 digits, ANPA-1312 letters) to IPTC urgency (1 .. 9).

Sources:
* IPTC 7901 ("Recommended Message Format for Exchange of Text between News Agencies and Newspapers",
  section 5.2, priority): a digit, 1 = flash, 2 = bulletin, 3 = urgent, 4 = regular, 5 = deferrable,
  6-8 lower still. IPTC's later urgency (NewsML 1/G2, NITF `ed-urg`, ninjs `urgency`) took over that
  scale, so a 7901 digit is its urgency.
* ANPA-1312 ("ANPA News Text Transmission Standard", 1989, priority codes as AP uses them):
  f = flash, b = bulletin, u = urgent, r = regular, d = deferred (deferrable), a = advance,
  w = weekend advance, s = "special"/sports stats in some services (treated as regular).
  Placed on the IPTC scale at the 7901 digit of the same name; advances (held copy) go below deferred.
"""

from __future__ import annotations

__all__ = ["ANPA_PRIORITY", "IPTC7901_PRIORITY", "urgency_of"]

IPTC7901_PRIORITY: dict[str, int] = {str(d): d for d in range(1, 10)}

ANPA_PRIORITY: dict[str, int] = {
    "f": 1,  # flash
    "b": 2,  # bulletin
    "u": 3,  # urgent
    "r": 4,  # regular
    "s": 4,  # special (AP sports/stat services): routine priority
    "d": 5,  # deferred
    "a": 6,  # advance (for later release)
    "w": 7,  # weekend advance
}


def urgency_of(code: str, scheme: str) -> int | None:
    """IPTC urgency of a priority code in `scheme` ("7901" or "anpa"); None for a code the table lacks."""
    code = code.strip().lower()
    table = IPTC7901_PRIORITY if scheme == "7901" else ANPA_PRIORITY if scheme == "anpa" else {}
    return table.get(code)
