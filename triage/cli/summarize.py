"""`triage summarize`: key sentences and entities for files, or for JSON lines on stdin (--jsonl)."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

import click

from triage.cli.common import group_settings, no_stories, say
from triage.infra.counts import reading_time

if TYPE_CHECKING:
    from triage.analysis import Analyzer
    from triage.config import Settings
    from triage.model import Article

__all__ = ["summarize"]


def _analyzer(settings: Settings, sentences: int | None, no_cache: bool) -> Analyzer:
    from triage.analysis import Analyzer

    a = settings.analysis
    return Analyzer(
        cache_path=None if no_cache else settings.data_dir / "analysis-cache.sqlite",
        sentences=sentences if sentences else a.sentences,
        ratio=0.0 if sentences else a.ratio,
        min_sentences=a.min_sentences,
        max_sentences=a.max_sentences,
        model=a.model,
        batch_size=a.batch_size,
        processes_above=a.processes_above,
        keep_in_memory=False,  # one pass over the input: nothing is asked for twice
    )


def _dumps(row: dict[str, Any]) -> str:
    """One JSON line; non-ASCII kept as is when stdout can encode it."""
    enc = (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "")
    return json.dumps(row, ensure_ascii=enc not in ("utf8", "utf16", "utf32"))


def _entities_json(analysis: Any) -> dict[str, list[dict[str, Any]]]:
    return {
        kind: [{"text": e.text, "count": e.count} for e in ents] for kind, ents in analysis.entities.items()
    }


def _parse_line(line: str, n: int) -> tuple[Any, Any, int | None, str]:
    """(id, Article or None, k, error) for one stdin line."""
    from triage.model import Article

    try:
        row = json.loads(line)
    except ValueError as exc:
        return None, None, None, f"not JSON ({exc})"
    if not isinstance(row, dict):
        return None, None, None, "not a JSON object"
    rid = row.get("id")
    title, text, k = row.get("title", ""), row.get("text"), row.get("k")
    if not isinstance(text, str):
        return rid, None, None, 'no "text" string'
    if title is None:
        title = ""
    if not isinstance(title, str):
        return rid, None, None, '"title" is not a string'
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        return rid, None, None, f'"k" must be a whole number >= 0, not {k!r}'
    language = row.get("language")
    if language is not None and not isinstance(language, str):
        return rid, None, None, '"language" is not a string (a BCP 47 tag such as "de")'
    article = Article(
        id=str(rid) if rid is not None else f"line-{n}", title=title, text=text, language=language or ""
    )
    return rid, article, k, ""


def _jsonl(analyzer: Any, stdin: TextIO, out: TextIO, block: int = 2000) -> tuple[int, int]:
    """Summarise JSON lines from stdin, in order, a block of lines at a time; returns (lines, bad lines)."""
    bad = total = 0
    lines: list[tuple[int, str]] = []
    for n, line in enumerate(stdin, 1):
        if line.strip():
            lines.append((n, line))
            total += 1
        if len(lines) >= block:
            bad += _jsonl_block(analyzer, lines, out)
            lines = []
    if lines:
        bad += _jsonl_block(analyzer, lines, out)
    out.flush()
    return total, bad


def _jsonl_block(analyzer: Any, lines: list[tuple[int, str]], out: TextIO) -> int:
    parsed = []
    for n, line in lines:
        rid, article, k, error = _parse_line(line, n)
        if error:
            click.echo(f"triage: stdin line {n}: {error}", err=True)
        parsed.append((rid, article, k))
    good = [(a, k) for _, a, k in parsed if a is not None]
    results = analyzer.analyze_many([a for a, _ in good], k=[k for _, k in good]) if good else iter(())
    bad = 0
    for rid, article, _ in parsed:
        row: dict[str, Any] = {"id": rid, "summary": [], "entities": {}}
        if article is None:
            bad += 1
        else:
            try:
                _, analysis = next(results)
            except Exception as exc:  # noqa: BLE001 - one bad article must not end the run
                click.echo(f"triage: {rid}: analysis failed ({exc})", err=True)
                bad += 1
            else:
                row["summary"] = list(analysis.summary)
                row["entities"] = _entities_json(analysis)
        out.write(_dumps(row) + "\n")
    return bad


def _read_articles(settings: Settings, sources: tuple[str, ...]) -> tuple[list[Article], list[str]]:
    """Articles from files and folders, read as `triage ingest` reads them (the same limits)."""
    from triage.sources import load
    from triage.sources.scan import scan_options

    result = load(list(sources), **scan_options(asdict(settings.sources)))
    return list(result.articles), [" ".join(str(p).split()) for p in result.problems]


def _print(article: Any, analysis: Any, out: TextIO, width: int = 100) -> None:
    out.write(f"{article.title or article.id}\n")
    where = article.source or article.path
    out.write(
        f"  {where + ' · ' if where else ''}{reading_time(analysis.reading_minutes)} · {analysis.model}\n\n"
    )
    out.writelines(
        textwrap.fill(" ".join(s.split()), width, initial_indent="  • ", subsequent_indent="    ") + "\n"
        for s in analysis.summary
    )
    if analysis.entities:
        out.write("\n")
        for kind, ents in analysis.entities.items():
            shown = ", ".join(f"{e.text} ({e.count})" if e.count > 1 else e.text for e in ents[:8])
            out.write(
                textwrap.fill(shown, width, initial_indent=f"  {kind}: ", subsequent_indent="    ") + "\n"
            )
    elif not analysis.entities_available:
        out.write("\n  (entities unavailable: no trained spaCy pipeline)\n")
    if analysis.key_terms:
        out.write(f"  key terms: {', '.join(analysis.key_terms)}\n")
    out.write("\n")


@click.command("summarize")
@click.argument("sources", nargs=-1)
@click.option(
    "--sentences",
    "-n",
    type=click.IntRange(min=1),
    default=None,
    help="Summary sentences per article (default: analysis.sentences from the config).",
)
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read lines of {"id","title","text","k"?} on stdin (or the SOURCES given) and write one '
    'line of {"id","summary","entities"} per article.',
)
@click.option(
    "--no-cache", is_flag=True, help="Analyse everything again (no analysis cache in the data dir)."
)
@click.pass_context
def summarize(
    ctx: click.Context, sources: tuple[str, ...], sentences: int | None, jsonl: bool, no_cache: bool
) -> None:
    """Summarise SOURCES (files or folders), or JSON lines on stdin with --jsonl."""
    settings = group_settings(ctx)
    analyzer = _analyzer(settings, sentences, no_cache)
    out = sys.stdout
    if jsonl and not sources:
        stdin = sys.stdin
        try:  # a stray byte that is not UTF-8 spoils one line, not the run
            stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
        total, bad = _jsonl(analyzer, stdin, out)
        if total and bad == total:
            ctx.exit(1)  # DESIGN.md: exit 1 when nothing usable was read (every line answered, empty)
        return
    if not sources:
        raise click.UsageError("give files or folders to summarise, or --jsonl to read JSON lines on stdin")
    articles, problems = _read_articles(settings, sources)
    for p in problems:
        click.echo(f"triage: {p}", err=True)
    if not articles:
        say(f"triage: {no_stories(sources, len(problems))}", err=True)
        ctx.exit(1)
    for article, (_, analysis) in zip(articles, analyzer.analyze_many(articles), strict=True):
        if jsonl:
            row = {"id": article.id, "summary": list(analysis.summary), "entities": _entities_json(analysis)}
            out.write(_dumps(row) + "\n")
        else:
            _print(article, analysis, out)
    out.flush()
