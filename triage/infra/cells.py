"""Text in terminal cells: wide characters count two. One fitting rule for every table we print."""

from __future__ import annotations

__all__ = ["fit"]


def fit(text: str, width: int, *, pad: bool = True) -> str:
    """`text` in exactly `width` terminal cells (padded with spaces unless `pad` is False); a longer
    text is cut and ends in an ellipsis."""
    from rich.cells import cell_len, set_cell_size

    n = len(text) if text.isascii() else cell_len(text)
    if n > width:
        text = set_cell_size(text, max(width - 1, 0)).rstrip() + "…"
        n = cell_len(text)
    return text + " " * max(width - n, 0) if pad else text
