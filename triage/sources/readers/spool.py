"""Feed spool files (written by triage.sources.fetch): one stored Article a line, ids and received
times kept. They are triage's own files, told by the name fetch gives them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triage.model import Article, Problem, ProblemKind
from triage.sources.base import WireFields, make_article
from triage.sources.reader import Sample, TextReader

__all__ = ["READER", "SPOOL_STATE_SUFFIX", "SPOOL_SUFFIX", "read_spool"]

SPOOL_SUFFIX = ".spool.jsonl"  # feed spool files written by triage.sources.fetch
SPOOL_STATE_SUFFIX = ".spool-state.json"  # their fetch state (ETag ...): never an article


def _spooled_wire(obj: dict[str, Any]) -> WireFields:
    """The wire fields of a spooled Article (written with dataclasses.asdict); wrong types are dropped."""

    def text(key: str) -> str:
        value = obj.get(key)
        return value if isinstance(value, str) else ""

    urgency = obj.get("urgency")
    subjects = obj.get("subjects")
    pairs = (
        [
            (str(p[0]), str(p[1]))
            for p in subjects
            if isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        ]
        if isinstance(subjects, list)
        else []
    )
    return WireFields(
        urgency=urgency if type(urgency) is int else None,
        slugline=text("slugline"),
        version=text("version"),
        pubstatus=text("pubstatus"),
        embargoed=text("embargoed"),
        ednote=text("ednote"),
        dateline=text("dateline"),
        language=text("language"),
        guid=text("guid"),
        subjects=pairs,
        provider=text("provider"),
        correction=obj.get("correction") is True,
    )


def read_spool(text: str, path: Path, problems: list[Problem]) -> list[Article]:
    """A feed spool file: one stored Article a line; a damaged line is a problem, the rest still load."""
    out: list[Article] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            problems.append(
                Problem(f"{path}:{n}", f"spool line {n} is damaged: skipped", ProblemKind.PARTIAL)
            )
            continue
        art = make_article(
            title=obj.get("title"),
            text=obj.get("text"),
            path=obj.get("path") or str(path),
            source=obj.get("source"),
            url=obj.get("url"),
            published=obj.get("published") or "",
            author=obj.get("author"),
            received=received if isinstance(received := obj.get("received"), str) else "",
            article_id=obj["id"],
            wire=_spooled_wire(obj),
        )
        out.append(art)
    return out


class _SpoolReader(TextReader):
    kind = "spool"

    def claims(self, sample: Sample) -> bool:
        return sample.path.name.lower().endswith(SPOOL_SUFFIX)

    def read_text(self, text: str, path: Path, source: str, problems: list[Problem]) -> list[Article]:
        return read_spool(text, path, problems)


READER = _SpoolReader()
