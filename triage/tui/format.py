"""How the TUI words things, written once: decisions (from triage.model.Decision), times and ages,
and the wire's marks (urgency, embargo, kills), each readable without colour."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text

from triage.core import READS, View, primary_language
from triage.infra.clock import parse_iso
from triage.infra.counts import count_of
from triage.model import (
    CLEAR_LABEL,
    NOTE_LABEL,
    UNDECIDED_LABEL,
    Article,
    Decision,
    DecisionEvent,
    story_word,
)
from triage.tui.safe import plain

__all__ = [
    "BANNER_STYLE",
    "WATCH_STYLE",
    "DECISION_STYLES",
    "Clock",
    "age",
    "arrived_late",
    "act_word",
    "story_word",
    "decision_text",
    "decision_word",
    "duration",
    "embargo_line",
    "embargo_short",
    "highlight_words",
    "kill_banner",
    "kill_word",
    "local_when",
    "nothing_listed",
    "row_age",
    "urgency_mark",
    "urgency_word",
    "wire_flags",
]

DECISION_STYLES: dict[Decision | None, str] = {
    Decision.FOLLOW_UP: "bold yellow",
    Decision.FLAG: "bold red",
    Decision.ARCHIVE: "green",
    None: "dim",
}
BANNER_STYLE = "bold reverse"
WATCH_STYLE = "bold black on yellow"  # words a watch matched, in the summary and the text


def highlight_words(text: Text, words: Sequence[str], style: str = WATCH_STYLE) -> Text:
    """Style every whole-word, any-case occurrence of `words` in `text` (by spans: the text stays
    literal, never markup); the same Text, for chaining."""
    wanted = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not wanted or not text.plain:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in wanted) + r")(?!\w)", re.IGNORECASE)
    for m in pattern.finditer(text.plain):
        text.stylize(style, m.start(), m.end())
    return text


class Clock:
    """The screen's idea of now: the real time, or a fixed one (tests and snapshots) that can be moved."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self.fixed = fixed

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)

    def set(self, when: datetime) -> None:
        """Fix the clock at `when` (the screen's timer repaints what depends on it)."""
        self.fixed = when


# -- decisions -----------------------------------------------------------------------------------
UNDECIDED = UNDECIDED_LABEL


def decision_word(decision: Decision | None) -> str:
    """A story's state: 'follow-up', 'archived', 'flagged', or 'undecided' for no decision."""
    return decision.label if decision is not None else UNDECIDED


def act_word(ev: DecisionEvent, before: DecisionEvent | None = None) -> str:
    """What one event did, in the words of what happened: 'archived', 'cleared' (a decision taken
    off), 'note' (a note, the decision as it was), 'undo of archive' (`before`: the event it took back)."""
    if ev.action == "undo":
        if before is None:
            return "undo"
        if before.action == "note" or (before.decision == ev.decision and before.note != ev.note):
            return "undo of note"
        if before.action == "undo":
            return "undo of undo"
        return f"undo of {before.decision.value}" if before.decision is not None else "undo of clear"
    if ev.action == "note":
        return NOTE_LABEL
    return ev.decision.label if ev.decision is not None else CLEAR_LABEL


_DECISION_TEXTS: dict[Decision | None, Text] = {}


def decision_text(decision: Decision | None) -> Text:
    """A decision as a styled word; shared instances: copy before changing one."""
    got = _DECISION_TEXTS.get(decision)
    if got is None:
        got = _DECISION_TEXTS[decision] = Text(
            decision_word(decision), style=DECISION_STYLES[decision], end=""
        )
    return got


# -- times ---------------------------------------------------------------------------------------
_STYLES = {"full": "%Y-%m-%d %H:%M", "short": "%m-%d %H:%M", "date": "%Y-%m-%d"}


def local_when(iso: str, style: str = "full", *, now: datetime | None = None) -> str:
    """An ISO time in local time: 'full' 2026-11-26 10:42, 'short' 11-26 10:42, 'date' 2026-11-26, or
    'clock' (10:42 today, else 26 Nov 10:42). Text that is no time comes back cut, as it was."""
    when = parse_iso(iso)
    if when is None:
        return plain(iso, one_line=True)[:16]
    local = when.astimezone()
    if style == "clock":
        today = (now or datetime.now(UTC)).astimezone().date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M").lstrip("0")
    return local.strftime(_STYLES[style])


_AGE_UNITS = (("y", 31_536_000), ("mo", 2_592_000), ("d", 86_400), ("h", 3_600), ("m", 60))


def age(iso: str, now: datetime) -> str:
    """A short age for the list ('5m', '3h', '4d', '2mo', '6y'); '' when the date is unknown."""
    when = parse_iso(iso)
    if when is None:
        return ""
    secs = (now - when).total_seconds()
    if secs < 0:
        return "new"
    for unit, size in _AGE_UNITS:
        if secs >= size:
            return f"{int(secs // size)}{unit}"
    return "now"


LATE_ARRIVAL = 3_600  # seconds between publication and arrival from which the list shows both


def arrived_late(published: str, received: str) -> bool:
    """True when a story came in more than an hour after it was published (a late or re-sent item,
    an archive folder): the list and the reading view then say when it arrived, too."""
    pub, got = parse_iso(published), parse_iso(received)
    return pub is not None and got is not None and (got - pub).total_seconds() > LATE_ARRIVAL


def row_age(published: str, received: str, now: datetime) -> str:
    """The list's age of a story: by its publication ('3h'), else by its arrival; with '↓' and the
    arrival's age beside it when it came in more than an hour later ('7y ↓5m': published seven
    years ago, arrived five minutes ago)."""
    first = age(published, now) if parse_iso(published) is not None else ""
    if not first:
        return age(received, now)
    if arrived_late(published, received):
        return f"{first} ↓{age(received, now)}"
    return first


def duration(seconds: float) -> str:
    """A time still to go, in words a desk reads at a glance: '42 min', '2 h 5 min', '3 d 4 h'."""
    minutes = max(1, int(seconds // 60) + (1 if seconds % 60 else 0))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


# -- the wire ------------------------------------------------------------------------------------
def urgency_mark(urgency: int | None) -> str:
    """The list's mark, two cells: '!!' a flash (urgency 1), '! ' a bulletin (2), else blank."""
    return {1: "!!", 2: "! "}.get(urgency or 0, "  ")


def urgency_word(urgency: int | None) -> str:
    """'FLASH' (urgency 1), 'BULLETIN' (2), '' otherwise."""
    return {1: "FLASH", 2: "BULLETIN"}.get(urgency or 0, "")


def _embargo(article: Article, now: datetime) -> datetime | None:
    until = parse_iso(article.embargoed)
    return until if until is not None and until > now else None


def embargo_short(article: Article, now: datetime) -> str:
    """'EMB 14:30' (UTC) for an item still under embargo ('EMB 3 Dec' beyond a day); '' once it is not."""
    until = _embargo(article, now)
    if until is None:
        return ""
    if (until - now).total_seconds() >= 86_400:
        return "EMB " + until.strftime("%d %b").lstrip("0")
    return "EMB " + until.astimezone(UTC).strftime("%H:%M")


def embargo_line(article: Article, now: datetime) -> str:
    """'EMBARGO until 14:30 UTC (in 42 min)'; '' once the embargo has passed (or there is none)."""
    until = _embargo(article, now)
    if until is None:
        return ""
    utc = until.astimezone(UTC)
    day = "" if utc.date() == now.astimezone(UTC).date() else utc.strftime("%d %b ").lstrip("0")
    return f"EMBARGO until {day}{utc:%H:%M} UTC (in {duration((until - now).total_seconds())})"


def kill_word(article: Article) -> str:
    """'KILLED' (canceled), 'WITHHELD' (withheld), '' for a usable item: the list's banner."""
    if article.pubstatus == "canceled":
        return "KILLED"
    return "WITHHELD" if article.pubstatus == "withheld" else ""


def kill_banner(article: Article) -> str:
    """'KILLED: do not use' (canceled), 'WITHHELD: do not use for now' (withheld), '' otherwise."""
    if article.pubstatus == "canceled":
        return "KILLED: do not use"
    return "WITHHELD: do not use for now" if article.pubstatus == "withheld" else ""


def wire_flags(article: Article, now: datetime, desk_language: str = "") -> Text:
    """The panel's wire line: FLASH / BULLETIN, CORRECTION, the language where it is not the desk's
    (by primary subtag: en-GB on an "en" desk is not said), the embargo (words, so it reads without
    colour); an empty Text when the item says none of these."""
    parts: list[tuple[str, str]] = []
    word = urgency_word(article.urgency)
    if word:
        parts.append((word, BANNER_STYLE))
    if article.correction:
        parts.append(("CORRECTION", "bold"))
    lang = plain(article.language, one_line=True)[:12]
    if lang and primary_language(lang) != primary_language(desk_language):
        parts.append((lang, "bold"))
    emb = embargo_line(article, now)
    if emb:
        parts.append((emb, BANNER_STYLE))
    out = Text()
    for i, (text, style) in enumerate(parts):
        if i:
            out.append(" · ", style="dim")
        out.append(text, style=style)
    return out


# -- an empty list -------------------------------------------------------------------------------
def nothing_listed(view: View, all_stories: int, *, folders: list[str], problems: int, watching: bool,
                   loading: bool) -> Text:
    """What the list area says when it lists nothing. With no story at all: where it looked, what
    triage reads, `p` for problems and whether the folder is watched (it stays until a story comes);
    otherwise why this view is empty and how to see more."""
    where = ", ".join(plain(f, one_line=True) for f in folders) or "the inbox"
    out = Text()
    if loading and not all_stories:
        out.append(f"Reading {where}…", style="italic")
        return out
    if not all_stories:
        out.append(f"No stories in {where}.", style="bold")
        out.append(f"\ntriage reads {READS}.")
        if problems:
            out.append(f"\n{count_of(problems, 'item')} could not be read: press p to see why.", style="bold")
        else:
            out.append("\np lists what could not be read (nothing so far).")
        if watching:
            out.append(f"\nWatching {where}: stories show here as they arrive.", style="italic")
        else:
            out.append("\nNot watching (watch is off): start triage again after adding files.",
                       style="italic")
        return out
    if view.search or view.entity or view.source:
        out.append("No story matches the search or filter: esc clears it.", style="italic")
    elif view.name == "inbox":
        out.append("The inbox is empty: every story has a decision. 5 lists them all.", style="italic")
    else:
        out.append(f"No {view.name} stories. 1 goes back to the inbox.", style="italic")
    return out
