"""`triage decide`, `triage decisions` and `triage recover`: the decision store from the command line.

Light on purpose: these import click and triage.store only (never spaCy or Textual), so scripts
that record or export decisions start fast.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from triage.cli.common import say

__all__ = ["decide", "decisions", "recover_command"]

DECISION_CHOICES = ("follow-up", "archive", "flag", "clear")
RETRY_SECONDS = 1.0  # how long `triage decide` keeps retrying a write the disk refused before it gives up
_pause = time.sleep  # between retries (a test frees the disk here)


def _say(message: str, *, err: bool = True) -> None:
    """cli.common.say, to stderr unless told: what `decisions` says beside its output."""
    say(message, err=err)


def _fail(message: str, code: int = 1) -> NoReturn:
    _say(f"triage: {message}")
    sys.exit(code)


def _settings(ctx: click.Context) -> Any:
    """Settings from the parent group when it built them, else loaded here."""
    obj = ctx.find_root().obj if ctx.find_root().obj is not None else ctx.obj
    if isinstance(obj, dict) and obj.get("settings") is not None:
        return obj["settings"]
    from triage.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc), 2)


def _db_path(ctx: click.Context, db: str | None) -> tuple[str | Path, bool]:
    """The store's location (a postgresql:// URL as it is, else the decisions file) and group_share."""
    from triage.store.open import is_server_url

    settings = _settings(ctx)
    if db:
        location: str | Path = db.strip() if is_server_url(db) else Path(db).expanduser()
    else:
        location = settings.db_url or Path(settings.db_path)
    return location, settings.store.group_share


def _parse_decision(ctx: click.Context, param: click.Parameter, value: str) -> str | None:
    from triage.model import Decision

    if value.strip().lower() == "clear":
        return "clear"
    try:
        return Decision.parse(value).value
    except ValueError:
        raise click.BadParameter(f"{value!r}: use one of {', '.join(DECISION_CHOICES)}") from None


def _parse_filter_decision(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value.strip().lower() in ("clear", "all"):
        return value.strip().lower() if value else None
    return _parse_decision(ctx, param, value)


def _parse_date(end: bool):
    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
        if value is None:
            return None
        from triage.store import parse_when

        try:
            return parse_when(value, end=end)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return parse


def _find_in_inbox(paths: list[Path], article_id: str) -> tuple[Any, str]:
    """The article with this id in the inbox, or (None, why not)."""
    try:
        from triage.sources import load
    except ImportError:
        return None, "the inbox reader is not available"
    try:
        result = load([str(p) for p in paths])
    except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the decision
        return None, f"the inbox could not be read ({exc})"
    for article in getattr(result, "articles", ()):
        if article.id == article_id:
            return article, ""
    return None, f"not found in {', '.join(str(p) for p in paths)}"


def _empty_record(ctx: click.Context, location: str | Path) -> bool:
    """A decisions file not made yet, in a folder that exists, with no rescue file of mine waiting."""
    from triage.store.open import nothing_decided_yet
    from triage.store.rescue import default_rescue_dirs, rescue_candidates

    if not isinstance(location, Path) or not nothing_decided_yet(location):
        return False
    dirs = default_rescue_dirs(_settings(ctx).data_dir)
    return not any(p.exists() for p, _fallback in rescue_candidates(location, dirs))


def _open_store(ctx: click.Context, location: str | Path, group_share: bool, *, must_exist: bool,
                read_only: bool = False) -> Any:
    """The decision store. A writer first replays what an earlier session could not write (said on
    stderr); a reader (`read_only`) never changes the store and says when a rescue file waits."""
    from triage.store import StoreError
    from triage.store.open import open_store, store_name
    from triage.store.rescue import default_rescue_dirs, rescue_candidates
    from triage.store.storage import journal_path

    dirs = default_rescue_dirs(_settings(ctx).data_dir)
    if isinstance(location, Path):
        rescued = any(p.exists() for p, _fallback in rescue_candidates(location, dirs))
        if must_exist and not location.exists() and not journal_path(location).exists() and not rescued:
            # (a rescue file alone counts: its decisions were made, the disk only refused them)
            _fail(f"{location}: no such decisions file.")
    try:
        store = open_store(location, group_share=group_share, rescue_dirs=dirs, replay=not read_only,
                           read_only=read_only)
    except StoreError as exc:
        _fail(str(exc))
    if store.replayed is not None:  # decisions an earlier session could not write, saved now (or why not)
        for line in store.replayed.message.splitlines():
            _say(f"triage: {line}")
    if read_only:  # named, never replayed here: reading never writes
        for line in store.waiting_rescue().lines(store_name(location)):
            _say(f"triage: {line}")
    if store.damage:  # damaged lines were skipped (and kept): say which, and the way out
        _say(f"triage: warning: {store.damage}")
    return store


def _save_or_drop(store: Any) -> bool:
    """Retry a write the disk refused for up to RETRY_SECONDS; if it is still not durable, drop it.

    Dropped means never written later (not by close() either), so exit 1 means "not saved" exactly
    and a script that runs the command again records the decision once.
    """
    deadline = time.monotonic() + RETRY_SECONDS
    delay = 0.1
    while store.pending:
        # A lock held elsewhere was waited for already (lock_timeout, each try): no second wait.
        if time.monotonic() >= deadline or store.lock_busy:
            store.discard_pending()
            return False
        _pause(delay)
        delay = min(delay * 2, 0.4)
        store.retry_pending()
    return True


@click.command()
@click.argument("article_id")
@click.argument("decision", metavar="(follow-up|archive|flag|clear)", callback=_parse_decision)
@click.argument("inbox", nargs=-1, type=click.Path(path_type=Path))
@click.option("--note", default="", help="A note kept with the decision (default: keep the current note).")
@click.option("--db", help="The decisions file (TinyDB JSON) or a postgresql:// URL.")
@click.option("--no-compact", is_flag=True,
              help="Leave the event in the journal (faster on big files; plain TinyDB readers see it after "
                   "the next compaction).")
@click.option("--anyway", is_flag=True, help="Decide even when a colleague has taken the story.")
@click.pass_context
def decide(ctx: click.Context, article_id: str, decision: str, inbox: tuple[Path, ...], note: str,
           db: str | None, no_compact: bool, anyway: bool) -> None:
    """Record a decision for ARTICLE_ID; title, source and url come from INBOX when the id is found there."""
    from triage.infra.sanitize import has_forbidden, sanitize
    from triage.store import PendingWriteError, StoreError

    if not article_id.strip() or has_forbidden(article_id):
        _fail(f"article id {article_id!r} is empty or holds control, escape or bidi characters; "
              f"nothing was recorded.", 2)
    note = sanitize(note).strip()
    from triage.store.open import store_name

    location, group_share = _db_path(ctx, db)
    if not anyway:  # a story a colleague holds is never decided silently: say who, and stop
        from triage.cli.desk import exit_held, holder_of

        held = holder_of(ctx, db, article_id)
        if held:
            exit_held(held)
    paths = list(inbox) or list(_settings(ctx).inbox)
    article, why = (None, "not looked up: no INBOX folder was given after the decision, nor [paths] inbox in "
                          "the config")
    if paths:
        article, why = _find_in_inbox(paths, article_id)
    store = _open_store(ctx, location, group_share, must_exist=False)
    code = 0
    try:
        if article is None and store.current(article_id) is None:
            _say(f"triage: warning: article {article_id}: {why}; recorded by its id alone, without its "
                 f"title, source or URL.")
        try:
            event = store.decide(article or article_id, None if decision == "clear" else decision, note)
        except PendingWriteError as exc:  # retried here; if still refused, dropped: never written later
            event = exc.events[0]
            if not _save_or_drop(store):
                kind = "file" if isinstance(location, Path) else "database"
                _say(f"triage: {store_name(location)}: the decision was not saved ({store.last_error}); "
                     f"nothing was written, run the command again when the {kind} can be written.")
                code = 1
        if code == 0:
            label = event.decision.value if event.decision else "cleared"
            _say(f"{article_id}: {label}" + (f" ({event.title})" if event.title else ""), err=False)
    except StoreError as exc:
        _say(f"triage: {exc}")
        code = 1
    try:
        store.close(compact=False if no_compact else None)
    except PendingWriteError:  # cannot happen: nothing is left pending above
        code = 1
    except StoreError as exc:
        _say(f"triage: {exc}")
        code = 1
    if store.last_error and code == 0:
        _say(f"triage: warning: {store.last_error}")
    sys.exit(code)


def _cached_summaries(ctx: click.Context, events: list[Any]) -> dict[str, list[str]]:
    """Summary sentences the TUI already computed for the versions these events were decided on,
    read from the analysis cache by content hash: no inbox is read and no model is loaded."""
    from triage.analysis.cache import summaries_by_hash

    path = Path(_settings(ctx).data_dir) / "analysis-cache.sqlite"
    found = summaries_by_hash(path, (ev.content_hash for ev in events))
    return {ev.article_id: list(found[ev.content_hash]) for ev in events if ev.content_hash in found}


def _read_summaries(path: Path) -> dict[str, list[str]]:
    """Lines of {"id", "summary": [...]} as written by `triage summarize --jsonl`."""
    out: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        _fail(f"{path}: cannot read the summaries file ({exc.strerror or exc}).")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["id"])] = [str(s) for s in row.get("summary") or []]
        except (ValueError, KeyError, TypeError):
            _fail(f"{path}: line {number} is not a JSON object with id and summary.", 2)
    return out


@click.command()
@click.option("--decision", "decision", metavar="DECISION", callback=_parse_filter_decision,
              help="follow-up, archive, flag, clear (cleared ones) or all.")
@click.option("--since", callback=_parse_date(False),
              help="From: today, yesterday, 7d, 30d, 12h or an ISO date (local days).")
@click.option("--until", callback=_parse_date(True), help="Up to (inclusive): same forms as --since.")
@click.option("--user", help="Only decisions by this exact login name (case does not matter: ann = Ann, "
                             "never joanna).")
@click.option("--source", help="Only sources containing this text; tag:NAME for the feeds tagged NAME.")
@click.option("--text", help="Only events whose title, note, source, user, url or id contain every word "
                             "of this text.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "md"]), default="table",
              show_default=True, help="table for people; csv and json for tools; md for a briefing.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout (replaced atomically, with the decisions file's mode).")
@click.option("--history", is_flag=True, help="Every event, oldest first (default: one row per article).")
@click.option("--summaries", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON lines from `triage summarize --jsonl`, shown in md and json output.")
@click.option("--inbox", "inbox", multiple=True, type=click.Path(),
              help="Accepted for older scripts and ignored: md takes summary sentences from the analysis "
                   "cache by the text each decision was made on.", hidden=True)
@click.option("--assigned-to", "assigned_to", metavar="USER",
              help="Only stories handed to USER (the desk's hand-offs), with the hand-off's note; "
                   "those not decided yet too.")
@click.option("--db", help="The decisions file (TinyDB JSON) or a postgresql:// URL.")
@click.pass_context
def decisions(ctx: click.Context, decision: str | None, since: datetime | None, until: datetime | None,
              user: str | None, source: str | None, text: str | None, fmt: str, output: Path | None,
              history: bool, summaries: Path | None, inbox: tuple[str, ...], assigned_to: str | None,
              db: str | None) -> None:
    """List decisions: one row per article with its current decision (--history: every event)."""
    from triage.store import EventQuery
    from triage.store.export import format_decisions
    from triage.store.query import one_row_per_story, recorded_story

    location, group_share = _db_path(ctx, db)
    sums = _read_summaries(summaries) if summaries else None
    if _empty_record(ctx, location):  # a desk where nothing has been decided: its record is empty
        _say(f"triage: {location}: nothing decided there yet (no decisions file).")
        events: list[Any] = []
    else:
        store = _open_store(ctx, location, group_share, must_exist=True, read_only=True)
        tags = _feed_tags(ctx) if (source or "").strip().lower().startswith("tag:") else None
        where = EventQuery(decision=decision, since=since, until=until, user=user, source=source,
                           text=text, history=history, tags=tags)
        try:
            events = store.query(where)
        finally:
            store.close(compact=False)
    handed = None
    if assigned_to is not None:
        filtered = any(x is not None for x in (decision, since, until, user, source, text)) or history
        events, handed = _assigned(ctx, db, events, assigned_to.strip(), keep_undecided=not filtered)
    elif not history:  # a duplicate group decided on one list row is one row here too
        by_id = {ev.article_id: ev for ev in events}
        kept = one_row_per_story(by_id, recorded_story(by_id))
        events = [ev for ev in events if kept.get(ev.article_id) is ev]
    if sums is None and fmt == "md":
        sums = _cached_summaries(ctx, events)
    width = shutil.get_terminal_size((80, 24)).columns if output is None and sys.stdout.isatty() else 80
    rendered = format_decisions(events, fmt, summaries=sums, width=width, handoffs=handed)
    if output is None:
        click.echo(rendered, nl=False)
        return
    _write_output(output, rendered, group_share)
    _say(f"{len(events)} row(s) written to {output}")


def _assigned(ctx: click.Context, db: str | None, events: list[Any], user: str, *,
              keep_undecided: bool) -> tuple[list[Any], dict[str, Any]]:
    """The rows of stories handed to `user` (the latest hand-off of each), and those hand-offs by
    article id. A story not decided yet gets a row of its own (no decision) unless other filters
    were given (then only the events they kept)."""
    from triage.cli.desk import handed_to
    from triage.model import DecisionEvent

    handoffs = handed_to(ctx, db, user)
    rows: list[Any] = [ev for ev in events if ev.article_id in handoffs]
    have = {ev.article_id for ev in rows}
    if keep_undecided:
        rows += [DecisionEvent(h.article_id, None, user="", at=h.at, title=h.title, action="handoff",
                               story=h.story)
                 for aid, h in handoffs.items() if aid not in have]
    return rows, handoffs


def _write_output(output: Path, text: str, group_share: bool) -> None:
    """Replace `output` atomically (a link planted there is replaced, its target never written) with the
    decisions file's mode: 0600, or 0660 with store.group_share."""
    from triage.infra.atomic import write_text_atomic

    mode = 0o660 if group_share else 0o600
    try:
        write_text_atomic(output, text, mode=mode)
    except OSError as exc:
        _fail(f"{output}: cannot write ({exc.strerror or exc}).")


def _feed_tags(ctx: click.Context) -> dict[str, tuple[str, ...]]:
    """Source name -> tags of the feeds list, for --source tag:NAME ({} when there is none)."""
    out: dict[str, tuple[str, ...]] = {}
    for feed in getattr(_settings(ctx), "feeds", None) or ():
        name, raw = str(feed.get("name") or ""), feed.get("tags") or ()
        if name and isinstance(raw, list | tuple):
            out[name] = tuple(str(t) for t in raw)
    return out


@click.command("recover")
@click.option("--db", type=click.Path(dir_okay=False),
              help="The damaged decisions file (default: from the config).")
@click.option("--output", type=click.Path(dir_okay=False), help="The new file (default: beside it, dated).")
@click.pass_context
def recover_command(ctx: click.Context, db: str | None, output: str | None) -> None:
    """Copy every event that still parses into a new decisions file; the damaged file is kept as it is.

    Decisions an earlier session could not write (its rescue file) are copied in as well."""
    from triage.infra.counts import count_of
    from triage.store import StoreError
    from triage.store.recover import recover_events
    from triage.store.rescue import default_rescue_dirs

    location, group_share = _db_path(ctx, db)
    if not isinstance(location, Path):
        from triage.store.open import store_name

        _fail(f"{store_name(location)}: recover mends a decisions file; a PostgreSQL database is kept whole "
              f"by its server (use its backups, or `triage store copy` to move a desk).", 2)
    path = location
    if output:
        target = Path(output).expanduser()
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.stem}.recovered-{stamp}{path.suffix or '.json'}")
    try:
        report = recover_events(path, target, rescue_dirs=default_rescue_dirs(_settings(ctx).data_dir),
                                group_share=group_share)
    except StoreError as exc:
        _fail(str(exc))
    lost = report.lost
    aside = f" (kept in {report.damaged_path})" if report.damaged_path is not None else ""
    for problem in report.unreadable:  # a FIFO, a directory, another user's link: named, then left out
        _say(f"triage: warning: {problem}; its events could not be recovered.")
    rescued = ""
    if report.rescued:
        where = ", ".join(str(p) for p in report.rescue_paths)
        rescued = f", {report.rescued} of them from {where} (decisions an earlier session could not write)"
    _say(
        f"Recovered {count_of(report.found, 'event')} into {target}{rescued} "
        f"({count_of(lost, 'damaged entry')} set aside{aside}); {path} was left as it is. "
        f"Use the new file with --db {target}.",
        err=False,
    )
    if report.found == 0 and lost:
        sys.exit(1)
