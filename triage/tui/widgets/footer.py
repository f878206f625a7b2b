"""KeysFooter: Textual's footer, showing only the keys that fit whole (never `F A X +n▏`)."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer

__all__ = ["KeysFooter"]


class KeysFooter(Footer):
    """The footer of the screen's shown keys, in the keymap's order; the ones that would be cut at
    the right edge are left out whole (`?` and the palette list every key)."""

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        for child in self.children:
            child.display = True
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Hide every key from the first one that does not fit before the palette key."""
        keys = [c for c in self.children if not c.has_class("-command-palette")]
        palette = [c for c in self.children if c.has_class("-command-palette")]
        right = self.region.right - sum(c.outer_size.width for c in palette)
        cut: int | None = None
        for i, child in enumerate(keys):
            # its words must fit; the blank cell a key ends with may sit under the palette's edge
            if child.display and child.region.width and child.region.right - 1 > right:
                cut = i
                break
        if cut is None:
            return
        if cut and type(keys[cut]).__name__ == "FooterLabel":  # a group's label goes with its keys
            cut -= 1
        hidden: list[Widget] = keys[cut:]
        for child in hidden:
            child.display = False
