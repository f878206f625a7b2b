"""One module per input format; `triage.sources.registry` picks one by content."""

__all__ = ["READS"]

READS = (
    "wire copy (ANPA-1312, IPTC 7901, NewsML-G2, NewsML 1, NITF, ninjs), RSS, Atom and JSON feeds, HTML "
    "pages, e-mail (.eml, .mbox), JSON and JSON Lines articles, plain text and Markdown"
)
