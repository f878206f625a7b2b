"""Last-line defence for untrusted text on screen: no control characters, no markup interpretation."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from triage.infra.sanitize import sanitize

__all__ = ["plain", "safe_text", "short"]


def plain(value: object, *, one_line: bool = False) -> str:
    """Strip what a terminal could act on (the one sanitiser, triage.infra.sanitize); tabs become spaces."""
    return sanitize(value, one_line=one_line).replace("\t", " ")


def safe_text(value: object, style: str = "", *, one_line: bool = False) -> Text:
    """A rich Text holding `value` literally (never parsed as markup)."""
    return Text(plain(value, one_line=one_line), style=style)


def short(value: object, cells: int) -> str:
    """`value` cleaned, on one line, cut to `cells` terminal cells (wide characters take two) with "…"."""
    text = plain(value, one_line=True)
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, max(0, cells - 1)).rstrip() + "…"
