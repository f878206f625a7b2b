"""Finding on the main screen: the search box, the entity and source filters (with provider,
language and urgency), the views and the sort, and what escape backs out of."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from textual.timer import Timer
from textual.widgets import Input

from triage.core import SORTS, View
from triage.tui.format import urgency_word
from triage.tui.safe import plain
from triage.tui.screens.dialogs import PickScreen
from triage.tui.screens.host import Asks, HasList, RunsWork, Tells
from triage.tui.widgets.summary_lines import KIND_LABELS

if TYPE_CHECKING:
    from triage.core.faces import Faces

__all__ = ["SEARCH_DEBOUNCE", "Finding", "FindingHost", "source_items"]

SEARCH_DEBOUNCE = 0.12  # seconds after the last typed letter before the list is filtered
FACETS = (("provider", "Providers"), ("language", "Languages"), ("urgency", "Urgency"))


def _facet_label(kind: str, value: str, count: int) -> str:
    if kind == "urgency":
        word = urgency_word(int(value)) if value.isdigit() else ""
        return f"urgency {value}{' ' + word if word else ''}  ({count:,})"
    return f"{plain(value, one_line=True) or '(none)'}  ({count:,})"


def source_items(
    sources: list[tuple[str, int]], tags: list[str] | list[tuple[str, int]],
    facets: dict[str, list[tuple[str, int]]]
) -> list[tuple[str | None, str]]:
    """The source picker's entries as (value, label), in sections (value None: a section's heading);
    values are what View.source takes: a source name, "tag:T", "provider:P", "language:L", "urgency:N"."""
    items: list[tuple[str | None, str]] = []
    if sources:
        items.append((None, "Sources"))
        items += [(name, f"{plain(name, one_line=True) or '(no source)'}  ({n:,})") for name, n in sources]
    names = [t[0] if isinstance(t, tuple) else t for t in tags]
    if names:
        items.append((None, "Folders (tags)"))
        items += [(f"tag:{t}", f"Folder (tag): {plain(t, one_line=True)}") for t in names]
    for kind, heading in FACETS:
        values = facets.get(kind) or []
        if values:
            items.append((None, heading))
            if kind == "urgency":
                top = sum(n for v, n in values if str(v) in ("1", "2"))
                if top and len(values) > 1:  # flashes and bulletins together: what a desk watches
                    items.append(("urgency:1-2", f"urgency 1-2 FLASH and BULLETIN  ({top:,})"))
            items += [(f"{kind}:{v}", _facet_label(kind, str(v), n)) for v, n in values]
    return items


class FindingHost(Tells, HasList, Asks, RunsWork, Protocol):
    """What finding needs of its screen: the view it sets, the reading view it leaves, the search box."""

    view: View
    reading: bool

    @property
    def search_box(self) -> Input: ...

    def forget_kept(self) -> None:
        """Rows decided on screen leave the list with the next view."""
        ...

    def request_listing(self) -> None:
        """The list's ids and counts again, from a worker."""
        ...


class Finding:
    """The main screen's search, filters, views and sort; owns the search box's debounce timer."""

    def __init__(self, host: FindingHost, faces: Faces) -> None:
        self.host = host
        self._articles = faces.articles
        self._summaries = faces.summaries
        self._timer: Timer | None = None

    @property
    def _box(self) -> Input:
        return self.host.search_box

    def _set_view(self, **changes: str) -> None:
        self.host.view = replace(self.host.view, **changes)

    # -- search ----------------------------------------------------------------------------------
    def search(self) -> None:
        self.host.reading = False
        box = self._box
        box.display = True
        box.focus()

    def typed(self, value: str) -> None:
        """A letter in the search box: it shows at once; the list follows a moment after the last one."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.host.after(SEARCH_DEBOUNCE, lambda: self._set_search(value))

    def _set_search(self, value: str) -> None:
        self._timer = None
        if value != self.host.view.search:
            self._set_view(search=value)

    def submitted(self, value: str) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._set_search(value)
        self.host.article_list.focus()

    def back(self) -> None:
        """escape: out of the reading view, the search, the entity filter, the source filter, the
        selection, in that order."""
        screen, box, lst = self.host, self._box, self.host.article_list
        view = screen.view
        if screen.reading:  # back to the list, the same story under the cursor
            screen.reading = False
        elif box.display and (box.has_focus or view.search or box.value):
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            box.value = ""
            box.display = False
            self._set_view(search="")
            lst.focus()
        elif view.entity:
            self._set_view(entity="")
        elif view.source:
            self._set_view(source="")
        elif lst.selected:
            lst.clear_selection()
        elif not lst.has_focus:
            lst.focus()

    def search_for(self, query: str) -> None:
        """List what `query` matches (a watch's), the search box showing it; escape clears it. The query
        may be a colleague's (a desk watch read back from the shared store): cleaned, one line."""
        query = plain(query, one_line=True)
        screen, box = self.host, self._box
        screen.reading = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        box.display = True
        with box.prevent(Input.Changed):
            box.value = query
        self._set_view(search=query)
        screen.article_list.focus()

    def show_all(self) -> None:
        """Every story, no search or filter (to go to a story the view does not list)."""
        screen, box = self.host, self._box
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        with box.prevent(Input.Changed):
            box.value = ""
        box.display = False
        screen.forget_kept()
        self._set_view(name="all", search="", entity="", source="")
        screen.article_list.focus()

    # -- filters ---------------------------------------------------------------------------------
    def entity_filter(self) -> None:
        screen = self.host
        screen.reading = False
        if screen.view.entity:
            self._set_view(entity="")
            return
        lst = screen.article_list
        art = lst.current.article if lst.current else None
        analysis = self._summaries.cached(art, wait=False) if art else None
        if analysis is None or not any(analysis.entities.values()):
            screen.tell("No entities known for this article yet.", severity="warning")
            return
        items: list[tuple[str | None, str]] = [
            (e.text, f"{KIND_LABELS.get(kind, kind)}: {e.text} ({e.count})")
            for kind in ("people", "places", "organisations", "groups")
            for e in analysis.entities.get(kind, ())
        ]
        screen.ask(PickScreen("Show articles naming:", items),
                   lambda v: self._set_view(entity=v) if v else None)

    def source_filter(self) -> None:
        """Only one source, folder (tag), provider, language or urgency; again (or escape) clears it.
        The choices are counted in a worker: they walk the inbox."""
        if self.host.view.source:
            self._set_view(source="")
            return
        self.host.in_thread(self._count_sources, group="sources", exclusive=True)

    def _count_sources(self) -> None:
        arts = self._articles
        items = source_items(arts.sources(), arts.tags(), arts.facets())
        self.host.from_thread(lambda: self._pick_source(items))

    def _pick_source(self, items: list[tuple[str | None, str]]) -> None:
        if not items:
            self.host.tell("No sources yet.", severity="warning")
            return
        self.host.ask(PickScreen("Show only stories from:", items),
                      lambda v: self._set_view(source=v) if v else None)

    # -- views and sort --------------------------------------------------------------------------
    def view(self, name: str) -> None:
        screen = self.host
        screen.reading = False
        screen.forget_kept()
        if screen.view.name == name:  # the same view again: a fresh look (decided rows leave it)
            screen.request_listing()
        self._set_view(name=name)

    def sort(self) -> None:
        sort = self.host.view.sort
        nxt = SORTS[(SORTS.index(sort) + 1) % len(SORTS)] if sort in SORTS else SORTS[0]
        self._set_view(sort=nxt)
        self.host.tell(f"Sorted by {nxt}.", timeout=2)
