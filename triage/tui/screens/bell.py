"""The bell for flashes (config `ui.bell_on_flash`, off by default): once per batch of arrivals that
holds a flash it has not rung for; it looks only at the ids that changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from triage.model import Article

__all__ = ["FlashBell"]


class FlashBell:
    """Rings `ring` once for the new urgency-1 stories among the ids of an arrival."""

    def __init__(
        self, enabled: bool, article: Callable[[str], Article | None], ring: Callable[[], None]
    ) -> None:
        self.enabled = enabled
        self._article = article
        self._ring = ring
        self._rung: set[str] = set()

    def arrived(self, ids: Iterable[str]) -> bool:
        """Ring (once) if `ids` hold a flash not rung for before; True when it rang."""
        if not self.enabled:
            return False
        flashes = [
            aid
            for aid in ids
            if aid not in self._rung and (art := self._article(aid)) is not None and art.urgency == 1
        ]
        if not flashes:
            return False
        self._rung.update(flashes)
        self._ring()
        return True
