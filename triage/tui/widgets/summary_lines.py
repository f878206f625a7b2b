"""The summary panel's lines, wrapped for a width and fitted to a height.

Sentences are kept whole (a sentence is shown entirely or not at all, and then a line says how many
more there are), entity chips are never split across lines, and the first line of chips is kept
before any more sentences: a person decides from the sentences and the names together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.text import Text

from triage.model import Analysis, Article, DecisionEvent
from triage.tui.format import BANNER_STYLE, highlight_words, kill_banner, local_when, wire_flags
from triage.tui.safe import plain

__all__ = [
    "CHIP_KINDS",
    "KIND_LABELS",
    "SummaryLines",
    "build_summary",
    "bullet_lines",
    "decision_line",
    "flow",
    "wire_lines",
]

KIND_LABELS = {
    "people": "People",
    "places": "Places",
    "organisations": "Orgs",
    "groups": "Groups",
    "dates": "Dates",
    "numbers": "Numbers",
    "other": "Other",
}
CHIP_KINDS = ("people", "places", "organisations", "groups")  # shown as chips, in this order
MAX_CHIPS = 6  # per kind, in the full form (the compact form shows what fits on one line)
MAX_TERMS = 8
INDENT = "  "

_console: Console | None = None


def _wrap(text: Text, width: int) -> list[Text]:
    """Word-wrap `text` to `width` cells (long words are folded), trailing spaces dropped."""
    global _console
    if _console is None:
        _console = Console(width=10_000, color_system=None, legacy_windows=False, force_terminal=False)
    lines = []
    for line in text.wrap(_console, max(1, width), overflow="fold"):
        line.rstrip()
        lines.append(line)
    return lines or [Text()]


def _label(text: str) -> Text:
    """A bold lead-in whose style stays its own (a Text's base style would run on into what follows)."""
    out = Text()
    out.append(text, style="bold")
    return out


def _bullet(bullet: Text, body: Text, width: int) -> list[Text]:
    """`bullet` (two cells) then `body` wrapped beside it, later lines indented to match."""
    out = []
    for i, line in enumerate(_wrap(body, width - len(INDENT))):
        row = bullet.copy() if i == 0 else Text(INDENT)
        row.append_text(line)
        out.append(row)
    return out


def _first_lines(text: Text, width: int, count: int) -> list[Text]:
    """The first `count` lines of `text` wrapped to `width`; when more were left out, the last one
    ends in "…" (an editors' note cut short says so)."""
    lines = _wrap(text, width)
    if len(lines) <= count:
        return lines
    kept = lines[:count]
    last = kept[-1].copy()
    if last.cell_len >= width:
        last.truncate(max(0, width - 1))
    last.rstrip()
    last.append("…")
    kept[-1] = last
    return kept


def bullet_lines(body: str, width: int) -> Text:
    """One summary sentence as '• ' and its words wrapped to `width`, later lines indented under the
    first word (untrusted text cleaned, literal)."""
    return Text("\n").join(_bullet(_label("• "), Text(plain(body, one_line=True)), max(10, width)))


def _cut(text: Text, width: int) -> Text:
    """`text` cut to `width` cells with an ellipsis (for one item longer than a whole line)."""
    if text.cell_len <= width:
        return text
    out = text.copy()
    out.truncate(max(0, width - 1))
    out.append("…")
    return out


def flow(label: Text, items: list[Text], sep: str, width: int, max_lines: int | None = None) -> list[Text]:
    """Lay `items` after `label` on as many lines as they need (or at most `max_lines`), never
    splitting an item across lines; items that do not fit are counted as "+N" at the end."""
    lines: list[Text] = []
    line = label.copy()
    empty = True  # nothing but the label or the indent on this line yet
    n = len(items)
    i = 0
    while i < n:
        item = items[i]
        last_line = max_lines is not None and len(lines) + 1 >= max_lines
        left = n - i - 1
        tail = len(f" +{left}") if last_line and left else 0
        piece = item if empty else Text(sep) + item
        if line.cell_len + piece.cell_len + tail <= width:
            line.append_text(piece)
        elif empty:  # alone on its line and still too long: cut it
            line.append_text(_cut(item, max(1, width - line.cell_len - tail)))
        elif last_line:
            line.append(f" +{n - i}", style="dim")
            return [*lines, line]
        else:
            lines.append(line)
            line = Text(INDENT)
            empty = True
            continue
        empty = False
        i += 1
    return [*lines, line]


@dataclass(frozen=True)
class SummaryLines:
    """The panel's blocks as wrapped lines: head (decision or status), sentences, chips, terms."""

    head: tuple[Text, ...] = ()
    sentences: tuple[tuple[Text, ...], ...] = ()
    chips: tuple[tuple[Text, ...], ...] = ()  # one entry per kind (or the "entities unavailable" line)
    terms: tuple[Text, ...] = ()

    @property
    def needed(self) -> int:
        """Lines for the head, every sentence whole and the first line of chips."""
        return len(self.head) + sum(len(s) for s in self.sentences) + (1 if self.chips else 0)

    @property
    def full(self) -> int:
        """Lines for everything."""
        return (
            len(self.head)
            + sum(len(s) for s in self.sentences)
            + sum(len(c) for c in self.chips)
            + len(self.terms)
        )

    def fit(self, height: int | None, width: int) -> Text:
        """Everything that fits in `height` lines (None: everything): the head, whole sentences (a
        line counts those left out), the first line of chips, then more chips and the terms."""
        if height is None or height >= self.full:
            rows = [
                *self.head,
                *(r for s in self.sentences for r in s),
                *(r for c in self.chips for r in c),
                *self.terms,
            ]
            return Text("\n").join(rows)
        rows = list(self.head)[: max(1, height)]
        reserve = 1 if self.chips else 0
        sentence_rows = sum(len(s) for s in self.sentences)
        if len(rows) + sentence_rows + reserve <= height:
            rows.extend(r for s in self.sentences for r in s)
        else:
            for i, sentence in enumerate(self.sentences):
                if len(rows) + len(sentence) + 1 + reserve > height:
                    left = len(self.sentences) - i
                    word = "sentence" if left == 1 else "sentences"
                    note = Text(f"… {left} more summary {word}: enter reads the story", style="italic dim")
                    rows.append(_cut(note, width))
                    break
                rows.extend(sentence)
        for block in self.chips:
            room = height - len(rows)
            if room <= 0:
                break
            rows.extend(block[:room])
        room = height - len(rows)
        if room > 0:
            rows.extend(self.terms[:room])
        return Text("\n").join(rows[:height])


def update_line(article: Article, update=None, now: datetime | None = None) -> Text:
    """ "↻ updated 10:42: adds 2 sentences: “…”" (the update and what it added), for an updated story."""
    line = Text("↻ updated", style="bold")
    when = local_when(article.updated_at, "clock", now=now) if article.updated_at else ""
    if when:
        line.append(f" {when}", style="bold")
    if update is not None:
        line.append(": ")
        words = update.line()
        if words.startswith("Update adds"):
            words = "adds" + words[len("Update adds") :]
        line.append(plain(words, one_line=True), style="" if update.news else "dim")
    return line


def wire_lines(article: Article, now: datetime, desk_language: str = "") -> list[Text]:
    """What the wire says of the item, apart from its copy: the kill banner, FLASH / CORRECTION /
    language (where it is not the desk's) / embargo, the editors' note. Words in reverse video:
    readable without colour."""
    out = []
    banner = kill_banner(article)
    if banner:
        out.append(Text(f" {banner} ", style=BANNER_STYLE))
    flags = wire_flags(article, now, desk_language)
    if flags:
        out.append(flags)
    if article.ednote:
        line = _label("Ed. note: ")
        line.append(plain(article.ednote, one_line=True), style="italic")
        out.append(line)
    return out


def decision_line(event: DecisionEvent | None, reopened: str = "") -> Text | None:
    """ "● flagged  note: …" for a story with a decision or a note (the note as literal text), else None.

    `reopened` (KILLED, WITHHELD, updated): the story is back in the inbox, so the line says the decision
    no longer holds, as the list and its counts do."""
    if event is None or (event.decision is None and not event.note):
        return None
    if reopened and event.decision is not None:
        was = event.decision.label
        line = Text(f"● back in the inbox: {reopened} since it was marked {was}", style="bold")
    else:
        line = Text(f"● {event.decision.label if event.decision else 'undecided'}", style="bold")
    if event.note:
        line.append("  note: ", style="bold")
        line.append(plain(event.note, one_line=True))
    return line


def build_summary(
    article: Article | None,
    analysis: Analysis | None,
    width: int,
    *,
    status: str = "",
    event: DecisionEvent | None = None,
    compact: bool = False,
    update=None,
    now: datetime | None = None,
    reopened: str = "",
    desk_language: str = "",
    desk: Text | None = None,
    watch_terms: Sequence[str] = (),
) -> SummaryLines:
    """Wrap a story's summary for `width` cells. Compact: each kind of chips and the terms on one
    line (whole chips, "+N" for the rest), for small terminals. `update` (triage.catalog.changes.Update):
    what the story's latest version added, said in one line at the top; `reopened`: see decision_line;
    `desk`: who holds the story, who has it open, its hand-offs (a line at the top); `watch_terms`:
    words a watch matched, highlighted in the sentences."""
    width = max(10, width)
    if article is None:
        return SummaryLines(head=(Text(plain(status, one_line=True), style="italic"),))
    head: list[Text] = []
    if now is None:
        from datetime import UTC

        now = datetime.now(UTC)
    for wire in wire_lines(article, now, desk_language):
        head.extend(_first_lines(wire, width, 2) if compact else _wrap(wire, width))
    if article.updated:
        head.extend(_first_lines(update_line(article, update, now), width, 2))
    line = decision_line(event, reopened)
    if line is not None:
        head.extend(_first_lines(line, width, 2) if compact else _wrap(line, width))
    if desk is not None and desk.plain:
        head.extend(_first_lines(desk, width, 2))
    if analysis is None:
        head.extend(_wrap(Text(plain(status, one_line=True) or "Analysing…", style="italic"), width))
        return SummaryLines(head=tuple(head))
    sentences: list[tuple[Text, ...]] = []
    if not analysis.summary:
        empty = Text("No summary: the article has no sentences to choose from.", style="italic")
        head.extend(_wrap(empty, width))
    for sentence in analysis.summary:
        body = highlight_words(Text(plain(sentence, one_line=True)), watch_terms)
        sentences.append(tuple(_bullet(_label("• "), body, width)))
    chips: list[tuple[Text, ...]] = []
    if analysis.entities_available:
        for kind in CHIP_KINDS:
            ents = analysis.entities.get(kind, ())
            if not ents:
                continue
            items = []
            for ent in ents if compact else ents[:MAX_CHIPS]:
                chip = Text(plain(ent.text, one_line=True), style="underline")
                if ent.count > 1:
                    chip.append(f" {ent.count}", style="dim")
                items.append(chip)
            label = _label(f"{KIND_LABELS[kind]}: ")
            chips.append(tuple(flow(label, items, " · ", width, max_lines=1 if compact else None)))
    else:
        note = Text(
            f"Entities unavailable: no trained spaCy model ({plain(analysis.model, one_line=True)}).",
            style="italic",
        )
        chips.append(tuple(_wrap(note, width)))
    terms: tuple[Text, ...] = ()
    if analysis.key_terms:
        items = [Text(plain(t, one_line=True), style="dim") for t in analysis.key_terms[:MAX_TERMS]]
        terms = tuple(flow(_label("Terms: "), items, ", ", width, max_lines=1 if compact else None))
    return SummaryLines(head=tuple(head), sentences=tuple(sentences), chips=tuple(chips), terms=terms)
