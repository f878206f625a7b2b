"""Export decision events: an aligned table for people, csv and json for tools, a markdown briefing."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from triage.infra.sanitize import escape_forbidden, sanitize, sanitize_line
from triage.model import DESK, Decision, DecisionEvent, Handoff, story_word
from triage.store.events import EVENT_KEYS, to_doc

__all__ = ["FORMATS", "HANDOFF_KEYS", "csv_cell", "event_row", "format_decisions",
           "handoff_row", "md_escape", "md_url"]

FORMATS = ("table", "csv", "json", "md")
_GROUPS: tuple[tuple[str | None, str], ...] = (
    (Decision.FOLLOW_UP.value, "Follow up"),
    (Decision.FLAG.value, "Flagged"),
    (Decision.ARCHIVE.value, "Archived"),
    (None, "Cleared"),
)


def event_row(event: DecisionEvent) -> dict[str, Any]:
    """The stable export record of an event (json keys and csv columns, in this order).

    Text fields are strings (a document written by hand into the shared file may hold other types).
    """
    row = to_doc(event)
    for key, value in row.items():
        if key == "urgency":
            row[key] = value if type(value) is int else None
        elif key != "decision" and not isinstance(value, str):
            row[key] = "" if value is None else str(value)
    return row


# What `triage decisions --assigned-to USER` adds to each row: the hand-off the story came by.
HANDOFF_KEYS = ("handed_by", "handed_to", "handoff_note", "handed_at", "seen_by", "seen_at")


def handoff_row(handoff: Handoff) -> dict[str, str]:
    """The export record of a hand-off (HANDOFF_KEYS)."""
    return {"handed_by": handoff.sender, "handed_to": handoff.to, "handoff_note": handoff.note,
            "handed_at": handoff.at, "seen_by": handoff.seen_by, "seen_at": handoff.seen_at}


def _handoff_line(handoff: Handoff) -> str:
    whom = "the desk" if handoff.to == DESK else handoff.to
    note = f": {handoff.note}" if handoff.note else ""
    return f"{handoff.sender} to {whom}{note}"


def _one_line(value: Any) -> str:
    return sanitize_line(value)


def _when(at: Any) -> str:
    """'2026-11-25T12:15:31.123456Z' -> '2026-11-25 12:15' (UTC)."""
    at = sanitize_line(at)
    return at[:16].replace("T", " ") if len(at) >= 16 else at


def _cells(ch: str) -> int:
    """Terminal columns of one character: 2 for wide East Asian ones, 0 for combining marks and joiners."""
    if ch < "\u0300":
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _width(value: str) -> int:
    return len(value) if value.isascii() else sum(_cells(ch) for ch in value)


def _fit(value: str, width: int) -> str:
    """`value` cut or padded to exactly `width` terminal columns (a cut ends with an ellipsis)."""
    if width <= 0:
        return ""
    used = _width(value)
    if used <= width:
        return value + " " * (width - used)
    out, used = [], 0
    for ch in value:
        w = _cells(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)


def _table(events: Sequence[DecisionEvent], width: int,
           handoffs: Mapping[str, Handoff] | None = None) -> str:
    if not events:
        return "No decisions.\n"
    handoffs = handoffs or {}
    rows = [
        {
            "WHEN (UTC)": _when(e.at),
            "DECISION": story_word(e),  # as the screens say it; JSON keeps the stored value
            "U": str(e.urgency) if type(e.urgency) is int else "",
            "SLUG": _one_line(e.slugline),
            "TITLE": _one_line(e.title) or _one_line(e.article_id),
            "SOURCE": _one_line(e.source),
            "USER": _one_line(e.user),
            "NOTE": _one_line(_handoff_line(handoffs[e.article_id]) if e.article_id in handoffs else e.note),
        }
        for e in events
    ]
    natural = {k: max(len(k), *(_width(r[k]) for r in rows)) for k in rows[0]}
    widths = {
        "WHEN (UTC)": 16,
        "DECISION": min(natural["DECISION"], 9),
        "U": 1,
        "SOURCE": min(natural["SOURCE"], 14),
        "USER": min(natural["USER"], 10),
    }
    order = ["WHEN (UTC)", "DECISION", "U", "SLUG", "TITLE", "SOURCE", "USER", "NOTE"]
    if width >= 100 and natural["SLUG"] > len("SLUG"):  # the slugline where there is room for it
        widths["SLUG"] = min(natural["SLUG"], 16)
    else:
        order.remove("SLUG")
    room = max(width - sum(widths.values()) - (len(order) - 1), 20)  # single-space gaps between columns
    title = min(natural["TITLE"], max(12, room - min(natural["NOTE"], room // 3)))
    widths["TITLE"] = title
    widths["NOTE"] = max(0, min(natural["NOTE"], room - title))
    if widths["NOTE"] < 4:
        order.remove("NOTE")
    lines = [" ".join(_fit(k, widths[k]) for k in order).rstrip()]
    lines.append(" ".join("-" * widths[k] for k in order))
    for row in rows:
        lines.append(" ".join(_fit(row[k], widths[k]) for k in order).rstrip())
    return "\n".join(lines) + "\n"


# Cells a spreadsheet would run as a formula (OWASP CSV injection): =, +, -, @, tab and CR first, also
# after leading spaces or newlines, and their full-width forms, which some spreadsheets convert.
_FORMULA_FIRST = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def _is_formula(text: str) -> bool:
    """True when a spreadsheet would run the cell: a formula character after any leading white space,
    or a tab or CR among that white space (one scan, whatever the cell holds)."""
    rest = text.lstrip()
    lead = text[: len(text) - len(rest)]
    return "\t" in lead or "\r" in lead or rest[:1] in _FORMULA_FIRST


def csv_cell(value: Any) -> str:
    """A CSV cell that is safe to open: no control characters (newlines and tabs stay inside the quoted
    cell), and a ' before anything a spreadsheet would take as a formula."""
    text = sanitize(value)
    return "'" + text if _is_formula(text) else text


def _csv(events: Iterable[DecisionEvent], handoffs: Mapping[str, Handoff] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = EVENT_KEYS + (HANDOFF_KEYS if handoffs is not None else ())
    writer.writerow(keys)
    for event in events:
        row = event_row(event)
        row["decision"] = story_word(event)
        row["urgency"] = "" if row["urgency"] is None else str(row["urgency"])
        if handoffs is not None:
            handoff = handoffs.get(event.article_id)
            row.update(handoff_row(handoff) if handoff is not None else dict.fromkeys(HANDOFF_KEYS, ""))
        writer.writerow([csv_cell(row[key]) for key in keys])
    return buf.getvalue()


def _json(events: Iterable[DecisionEvent], summaries: Mapping[str, Sequence[str]] | None,
          handoffs: Mapping[str, Handoff] | None = None) -> str:
    """One JSON array; characters a terminal could act on are written as \\u escapes (same data)."""
    rows = []
    for event in events:
        row = event_row(event)
        if handoffs is not None and event.article_id in handoffs:
            row.update(handoff_row(handoffs[event.article_id]))
        if summaries is not None:
            row["summary"] = [str(s) for s in summaries.get(row["article_id"], ())]
        rows.append(row)
    return escape_forbidden(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n"


# Markdown syntax in text: inline code, emphasis, links and images, raw HTML and autolinks, headings,
# table cells, strikethrough, entities (&#x202e; would make a bidi override), and the bare URL, www.
# and e-mail autolinks of GitHub-flavoured Markdown (a backslash escape keeps them plain text).
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>#|~&@]|:(?=//)|(?<=\bwww)\.", re.IGNORECASE)


def md_escape(value: Any) -> str:
    """One line of plain text for Markdown: sanitised, its own syntax backslash-escaped."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), _one_line(value))


def md_url(value: Any) -> str:
    """`value` as a Markdown link destination if it is an http(s) URL with a host, else ""."""
    url = _one_line(value)
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    # '&' is backslash-escaped (CommonMark allows it in a link destination): '&#x202e;' in a URL
    # must stay text, never become a character reference
    return quote(url, safe="/:?#@!$&'*+,;=%-._~").replace("&", "\\&")


def _code_span(value: Any) -> str:
    """Inline code holding `value` literally (the fence is longer than any run of backticks in it)."""
    text = _one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md(events: Sequence[DecisionEvent], summaries: Mapping[str, Sequence[str]] | None,
        handoffs: Mapping[str, Handoff] | None = None) -> str:
    out = ["# Decisions", ""]
    if not events:
        return "\n".join(out + ["No decisions.", ""])
    for value, heading in _GROUPS:
        group = [e for e in events if (e.decision.value if e.decision else None) == value]
        if value is None and handoffs is not None:
            heading = "Not decided, or cleared"
        if not group:
            continue
        out += [f"## {heading} ({len(group)})", ""]
        for e in group:
            title = md_escape(e.title) or _code_span(e.article_id)
            url = md_url(e.url)
            wire = " · ".join(x for x in (f"urgency {e.urgency}" if type(e.urgency) is int else "",
                                          md_escape(e.slugline)) if x)
            heading = f"[{title}]({url})" if url else title
            out.append(f"### {heading} ({wire})" if wire else f"### {heading}")
            parts = [md_escape(e.source), f"{md_escape(e.user)} {md_escape(_when(e.at))} UTC".strip()]
            if not url and _one_line(e.url):
                parts.append(md_escape(e.url))  # not http(s): shown as text, never a link
            byline = " · ".join(x for x in parts if x)
            out += [f"*{byline}*", ""]
            note = md_escape(e.note)
            if note:
                out += [f"> {note}", ""]
            if handoffs is not None and e.article_id in handoffs:
                out += [f"> handed on: {md_escape(_handoff_line(handoffs[e.article_id]))}", ""]
            sentences = [s for s in map(md_escape, (summaries or {}).get(e.article_id, ())) if s]
            if sentences:
                out += [f"- {s}" for s in sentences] + [""]
    return "\n".join(out)


def format_decisions(events: Iterable[DecisionEvent], fmt: str, *,
                     summaries: Mapping[str, Sequence[str]] | None = None, width: int = 80,
                     handoffs: Mapping[str, Handoff] | None = None) -> str:
    """Events as text in one of FORMATS (table, csv, json, md); summaries: article id -> sentences;
    handoffs: article id -> the hand-off it came by (`--assigned-to`), shown with its note."""
    events = list(events)
    if fmt == "table":
        return _table(events, width, handoffs)
    if fmt == "csv":
        return _csv(events, handoffs)
    if fmt == "json":
        return _json(events, summaries, handoffs)
    if fmt == "md":
        return _md(events, summaries, handoffs)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
