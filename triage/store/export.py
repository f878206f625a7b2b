"""Export decision events: an aligned table for people, csv and json for tools, a markdown briefing."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from triage.model import Decision, DecisionEvent
from triage.store.events import EVENT_KEYS, to_doc

__all__ = ["FORMATS", "event_row", "format_decisions"]

FORMATS = ("table", "csv", "json", "md")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_GROUPS: tuple[tuple[str | None, str], ...] = (
    (Decision.FOLLOW_UP.value, "Follow up"),
    (Decision.FLAG.value, "Flagged"),
    (Decision.ARCHIVE.value, "Archived"),
    (None, "Cleared"),
)


def event_row(event: DecisionEvent) -> dict[str, Any]:
    """The stable export record of an event (json keys and csv columns, in this order)."""
    return to_doc(event)


def _one_line(value: str) -> str:
    return _CONTROL.sub(" ", value or "").strip()


def _when(at: str) -> str:
    """'2026-11-25T12:15:31.123456Z' -> '2026-11-25 12:15' (UTC)."""
    return at[:16].replace("T", " ") if len(at) >= 16 else at


def _fit(value: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(value) <= width:
        return value.ljust(width)
    return value[: width - 1] + "…"


def _table(events: Sequence[DecisionEvent], width: int) -> str:
    if not events:
        return "No decisions.\n"
    rows = [
        {
            "WHEN (UTC)": _when(e.at),
            "DECISION": e.decision.value if e.decision else "cleared",
            "TITLE": _one_line(e.title) or e.article_id,
            "SOURCE": _one_line(e.source),
            "USER": _one_line(e.user),
            "NOTE": _one_line(e.note),
        }
        for e in events
    ]
    natural = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
    widths = {
        "WHEN (UTC)": 16,
        "DECISION": min(natural["DECISION"], 9),
        "SOURCE": min(natural["SOURCE"], 14),
        "USER": min(natural["USER"], 10),
    }
    room = max(width - sum(widths.values()) - 5, 20)  # 5 single-space gaps between 6 columns
    title = min(natural["TITLE"], max(12, room - min(natural["NOTE"], room // 3)))
    widths["TITLE"] = title
    widths["NOTE"] = max(0, min(natural["NOTE"], room - title))
    order = ["WHEN (UTC)", "DECISION", "TITLE", "SOURCE", "USER", "NOTE"]
    if widths["NOTE"] < 4:
        order.remove("NOTE")
    lines = [" ".join(_fit(k, widths[k]) for k in order).rstrip()]
    lines.append(" ".join("-" * widths[k] for k in order))
    for row in rows:
        lines.append(" ".join(_fit(row[k], widths[k]) for k in order).rstrip())
    return "\n".join(lines) + "\n"


def _csv(events: Iterable[DecisionEvent]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(EVENT_KEYS), lineterminator="\n")
    writer.writeheader()
    for event in events:
        row = event_row(event)
        row["decision"] = row["decision"] or ""
        writer.writerow(row)
    return buf.getvalue()


def _json(events: Iterable[DecisionEvent], summaries: Mapping[str, Sequence[str]] | None) -> str:
    rows = []
    for event in events:
        row = event_row(event)
        if summaries is not None:
            row["summary"] = list(summaries.get(event.article_id, ()))
        rows.append(row)
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def _md_escape(value: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", _one_line(value))


def _md(events: Sequence[DecisionEvent], summaries: Mapping[str, Sequence[str]] | None) -> str:
    out = ["# Decisions", ""]
    if not events:
        return "\n".join(out + ["No decisions.", ""])
    for value, heading in _GROUPS:
        group = [e for e in events if (e.decision.value if e.decision else None) == value]
        if not group:
            continue
        out += [f"## {heading} ({len(group)})", ""]
        for e in group:
            title = _md_escape(e.title) or f"`{_one_line(e.article_id)}`"
            url = _one_line(e.url).replace(")", "%29").replace(" ", "%20")
            out.append(f"### [{title}]({url})" if url else f"### {title}")
            byline = " · ".join(x for x in (_md_escape(e.source), f"{_md_escape(e.user)} {_when(e.at)} UTC") if x)
            out += [f"*{byline.strip()}*", ""]
            if e.note.strip():
                out += [f"> {_md_escape(e.note)}", ""]
            sentences = (summaries or {}).get(e.article_id, ())
            if sentences:
                out += [f"- {_one_line(s)}" for s in sentences] + [""]
    return "\n".join(out)


def format_decisions(events: Iterable[DecisionEvent], fmt: str, *,
                     summaries: Mapping[str, Sequence[str]] | None = None, width: int = 80) -> str:
    """Events as text in one of FORMATS (table, csv, json, md); summaries: article id -> sentences."""
    events = list(events)
    if fmt == "table":
        return _table(events, width)
    if fmt == "csv":
        return _csv(events)
    if fmt == "json":
        return _json(events, summaries)
    if fmt == "md":
        return _md(events, summaries)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
