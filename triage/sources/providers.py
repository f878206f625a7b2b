"""One name per news provider, mapped from the ids agencies give themselves in their own files.

A reader fills `WireFields.provider` with what the file says (a NewsML-G2 provider's name, a QCode, a
host in a guid, an NITF distributor or copyright holder, a 7901 source id); `provider_name` turns that
into the one name the desk knows the agency by, so "reuters.com" and "REUTERS" are one provider. An id
the table does not know is kept as the file wrote it.
"""

from __future__ import annotations

import re

__all__ = ["PROVIDERS", "provider_name"]

# The agency's own ids, each beside the file that writes it; matched case-insensitively, whole.
PROVIDERS: dict[str, tuple[str, ...]] = {
    "AAP": (
        "aap",  # NITF doc-id "AAP.115314987.5417374"
        "australian associated press",  # NITF doc.copyright holder
    ),
    "AFP": (
        "afp",
        "afp.com",  # NewsML 1 ProviderId, guid "urn:newsml:afp.com:..."
        "agence france-presse",
        "agence france presse",
    ),
    "ANA": (
        "ana-mpe.gr",  # NewsML 1 ProviderId of the Athens-Macedonian News Agency
        "ana-mpa",
        "ana",
        "athens-macedonian news agency",
    ),
    "ANSA": ("ansa", "ansa.it"),  # NewsML-G2 guid "tag:ansa.it,2017-10-11:..."
    "AP": (
        "ap",
        "ap.org",  # guid "tag:ap.org,2011:..."
        "associated press",
        "the associated press",
        "automated insights",  # AP's automated earnings stories name their writer as provider
        "approviderid:z01122",
    ),
    "BBC": ("bbc", "bbc.co.uk", "bbc.com", "bbc news", "ldrs"),  # BBC's Local Democracy service
    "dpa": (
        "dpa",
        "dpa.com",  # guid "urn:newsml:dpa.com:20090101:..."
        "deutsche presse-agentur",
        "deutsche presse-agentur gmbh",  # NewsML-G2 provider name
        "dpa-afx",
        "eca",  # 7901 source id of dpa's English-language international service
        "ecp",  # ... and of its partner copy ("tca/dpa")
        "tca/dpa",
    ),
    "EFE": ("efe", "agencia efe", "efe.com"),
    "NTB": ("ntb", "ntb.no", "norsk telegrambyrå"),
    "PA": ("pa", "pa media", "press association", "pa sport", "pa.press.net"),
    "Reuters": ("reuters", "reuters.com", "thomson reuters", "rtrs"),
    "Ritzau": ("ritzau", "ritzaus bureau", "/ritzau/", "via ritzau"),
    "STT": ("stt", "stt.fi", "stt-info", "suomen tietotoimisto"),
    "WENN": ("wenn", "wenn feed", "world entertainment news network"),
    "Scoop": ("scoop", "scoop.co.nz"),
    "BusinessDesk": ("businessdesk", "businessdesk.co.nz"),
}
_BY_ID = {alias: name for name, aliases in PROVIDERS.items() for alias in aliases}
# An agency's host inside a guid or URI: "tag:reuters.com,2016:newsml_...", "urn:newsml:afp.com:...".
_HOST = re.compile(r"(?:^|[:/,@])(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?=[:/,_]|$)")


def provider_name(stated: str, guid: str = "") -> str:
    """The desk's one name for a provider id ("reuters.com" -> "Reuters"); the id as given when unknown,
    the agency named by the guid's host when the item names no provider."""
    key = " ".join(stated.split()).casefold().strip(" .,;")
    if key in _BY_ID:
        return _BY_ID[key]
    host = _HOST.search(key)
    if host and host.group(1) in _BY_ID:
        return _BY_ID[host.group(1)]
    if not key and guid:
        found = _HOST.search(guid.casefold())
        if found and found.group(1) in _BY_ID:
            return _BY_ID[found.group(1)]
        head = re.match(r"([a-z]{2,5})[.\-_]", guid.casefold())  # "AAP.115314987.5417374"
        if head and head.group(1) in _BY_ID:
            return _BY_ID[head.group(1)]
    return " ".join(stated.split())
