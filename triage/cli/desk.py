"""`triage take`, `assign`, `desk`, `watches` and `handover`: the desk from the command line, for scripts
and for an editor without the TUI open.

Light on purpose (click, the store and the desk part; never spaCy or Textual). Every name, title and
note comes from shared files: what reaches the terminal goes through the one sanitiser.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from triage.cli.common import fail, group_settings, say

if TYPE_CHECKING:
    from triage.config import Settings
    from triage.desk import Desk
    from triage.model import DecisionEvent, Handoff, Seen, Take
    from triage.store.api import Store

__all__ = ["assign", "desk", "desk_of", "exit_held", "handed_to", "handover", "holder_of", "take", "watches"]

_T = TypeVar("_T")

_DB_HELP = "The decisions file (TinyDB JSON) or a postgresql:// URL; the desk is kept beside it."


class _Decisions:
    """The decision store, opened to read on first use (none when nothing was decided there yet)."""

    def __init__(self, location: str | Path, group_share: bool) -> None:
        self.location = location
        self.group_share = group_share
        self.store: Store | None = None
        self._tried = False

    def open(self) -> Store | None:
        if not self._tried:
            self._tried = True
            from triage.store.errors import StoreError
            from triage.store.open import nothing_decided_yet, open_store

            if isinstance(self.location, Path) and nothing_decided_yet(self.location):
                return None
            try:
                self.store = open_store(self.location, group_share=self.group_share, replay=False,
                                        read_only=True)
            except StoreError as exc:
                fail(str(exc))
        return self.store

    def event(self, article_id: str) -> DecisionEvent | None:
        store = self.open()
        return store.current(article_id) if store is not None else None

    def close(self) -> None:
        if self.store is not None:
            self.store.close(compact=False)


def location_of(ctx: click.Context, db: str | None) -> tuple[Settings, str | Path]:
    """The settings and the store's location: --db (a postgresql:// URL as it is, else a file), else
    the config's."""
    from triage.store.open import is_server_url

    settings = group_settings(ctx)
    if db:
        return settings, db.strip() if is_server_url(db) else Path(db).expanduser()
    return settings, settings.db_url or Path(settings.db_path)


def desk_of(settings: Settings, location: str | Path, decided: _Decisions, *,
            read_only: bool = False) -> Desk:
    """The desk part as the CLI uses it: the record beside the store, my own file, no presence."""
    from triage.core.mine import Mine
    from triage.desk import Desk
    from triage.model import Article
    from triage.store.open import open_desk

    def article_of(article_id: str) -> Article | None:
        event = decided.event(article_id)
        if event is None or not event.title:
            return None
        return Article(id=article_id, title=event.title, text="", source=event.source, url=event.url)

    return Desk(lambda: open_desk(location, group_share=settings.store.group_share, read_only=read_only),
                own=Mine(Path(settings.data_dir)), take_minutes=settings.desk.take_minutes,
                event_of=decided.event, article_of=article_of)


class _Session:
    """A command's desk and decisions, closed on leaving; a desk that cannot be opened ends the
    command with one sentence (exit 1)."""

    def __init__(self, ctx: click.Context, db: str | None, *, read_only: bool = False) -> None:
        self.settings, self.location = location_of(ctx, db)
        self.decided = _Decisions(self.location, self.settings.store.group_share)
        self.desk = desk_of(self.settings, self.location, self.decided, read_only=read_only)

    def __enter__(self) -> _Session:
        from triage.store.errors import StoreError

        try:
            self.desk.record  # noqa: B018 - opens (and checks) the desk folder or tables
        except StoreError as exc:
            fail(str(exc))
        return self

    def __exit__(self, *_exc: object) -> None:
        self.desk.close()
        self.decided.close()


def _checked_id(article_id: str) -> str:
    from triage.infra.sanitize import has_forbidden

    if not article_id.strip() or has_forbidden(article_id):
        fail(f"article id {article_id!r} is empty or holds control, escape or bidi characters.", 2)
    return article_id.strip()


def _hhmm(stamp: str) -> str:
    return stamp[11:16] if len(stamp) >= 16 else stamp


def holder_of(ctx: click.Context, db: str | None, article_id: str) -> str:
    """The colleague whose take is in force on a story, as a sentence ("" when none, or mine): what
    `triage decide` asks about before it decides."""
    from triage.store.errors import StoreError
    from triage.store.open import desk_folder

    _settings, location = location_of(ctx, db)
    if isinstance(location, Path) and not desk_folder(location).exists():
        return ""  # no desk beside this file: nobody has taken anything
    session = _Session(ctx, db, read_only=True)
    try:
        takes = session.desk.takes_in_force()  # opens the record: `me` is its user from now on
        me = session.desk.me  # (before it, the login: not the role a PostgreSQL desk knows me by)
        take = next((t for t in takes if t.article_id == article_id), None)
    except StoreError as exc:  # the decision is still made, but never silently past a take
        from triage.infra.sanitize import sanitize_line

        click.echo(f"triage: the desk cannot be read, so whether a colleague holds "
                   f"{sanitize_line(article_id)} is not known: {sanitize_line(exc)}", err=True)
        return ""
    finally:
        session.desk.close()
        session.decided.close()
    if take is None or take.user.casefold() == me.casefold():
        return ""
    return f"{take.user} has {article_id} (taken {_hhmm(take.since)}, until {_hhmm(take.until)} UTC)"


def handed_to(ctx: click.Context, db: str | None, user: str) -> dict[str, Handoff]:
    """The stories whose latest hand-off is to `user` (case does not matter; one handed on since to
    someone else is not theirs any more), with that hand-off, by article id."""
    from triage.store.errors import StoreError

    session = _Session(ctx, db, read_only=True)
    try:
        handoffs = session.desk.record.handoffs()
    except StoreError as exc:
        fail(str(exc))
    finally:
        session.desk.close()
        session.decided.close()
    latest = {h.article_id: h for h in handoffs}  # oldest first: the last one of a story stays
    return {aid: h for aid, h in latest.items() if h.to.casefold() == user.casefold()}


@click.command("take")
@click.argument("article_id")
@click.option("--release", is_flag=True, help="Give the story back instead.")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def take(ctx: click.Context, article_id: str, release: bool, db: str | None) -> None:
    """Take ARTICLE_ID for yourself (for desk.take_minutes); exit 1 naming the colleague who holds it."""
    from triage.store.errors import HeldError, StoreError

    article_id = _checked_id(article_id)
    with _Session(ctx, db) as session:
        try:
            if release:
                given = session.desk.give_back(article_id)
                if not given:
                    fail(f"{article_id}: you hold no take of it.")
                say(f"{article_id}: given back")
                return
            took = session.desk.take(article_id)
        except HeldError as exc:
            fail(f"{article_id}: {exc}")
        except StoreError as exc:
            fail(str(exc))
        say(f"{article_id}: taken by {took.user} until {_hhmm(took.until)} UTC")


@click.command("assign")
@click.argument("article_id")
@click.argument("user", required=False)
@click.option("--desk", "to_desk", is_flag=True, help="Hand it to the whole desk instead of one colleague.")
@click.option("--note", default="", help="What the colleague should do with it.")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def assign(ctx: click.Context, article_id: str, user: str | None, to_desk: bool, note: str,
           db: str | None) -> None:
    """Hand ARTICLE_ID to a colleague (USER) or to the desk (--desk), with a note."""
    from triage.infra.sanitize import has_forbidden, sanitize
    from triage.model import DESK
    from triage.store.errors import StoreError

    article_id = _checked_id(article_id)
    if bool(user) == to_desk:
        raise click.UsageError("name one colleague (USER) or --desk, not both and not neither")
    if user is not None and (not user.strip() or has_forbidden(user)):
        fail(f"user {user!r} is empty or holds control, escape or bidi characters.", 2)
    to = DESK if to_desk else str(user).strip()
    with _Session(ctx, db) as session:
        try:
            handed = session.desk.hand(article_id, to, sanitize(note).strip())
        except StoreError as exc:
            fail(str(exc))
        whom = "the desk" if handed.to == DESK else handed.to
        say(f"{article_id}: handed to {whom}" + (f" ({handed.note})" if handed.note else ""))


def _read_desk(ctx: click.Context, db: str | None, read: Callable[[_Session], _T]) -> _T:
    """What `read` finds on the desk, opened to read and closed again; a store error ends the command
    with its one sentence (exit 1)."""
    from triage.store.errors import StoreError

    with _Session(ctx, db, read_only=True) as session:
        try:
            return read(session)
        except StoreError as exc:
            fail(str(exc))


def _desk_now(session: _Session) -> tuple[list[Seen], list[Take], list[Handoff]]:
    """Who is on the desk (presence that cannot be read is only a warning), the takes in force and the
    open hand-offs."""
    from triage.store.errors import StoreError
    from triage.store.open import open_presence

    try:
        board = open_presence(session.location, expiry=session.settings.desk.presence_seconds,
                              group_share=session.settings.store.group_share)
        people = board.seen()
    except StoreError as exc:
        say(f"triage: warning: presence: {exc}", err=True)
        people = []
    takes = session.desk.takes_in_force()
    return people, takes, [h for h in session.desk.record.handoffs() if not session.desk.settled(h)]


def _echo_json(doc: Any) -> None:
    """Print a JSON document with every control, escape or bidi character escaped (valid UTF-8 anywhere)."""
    from triage.infra.sanitize import escape_forbidden

    click.echo(escape_forbidden(json.dumps(doc, indent=2, ensure_ascii=False)))


def _handoff_row(h: Handoff) -> dict[str, Any]:
    return {"article_id": h.article_id, "from": h.sender, "to": h.to, "note": h.note, "at": h.at,
            "seen": h.seen, "seen_by": h.seen_by, "seen_at": h.seen_at, "title": h.title}


@click.command("desk")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: people, takes and open hand-offs.")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def desk(ctx: click.Context, as_json: bool, db: str | None) -> None:
    """Who is on the desk now, what each has open, the takes and the open hand-offs."""
    from triage.model import DESK

    people, takes, handoffs = _read_desk(ctx, db, _desk_now)
    if as_json:
        doc = {
            "people": [{"user": s.user, "host": s.host, "article_id": s.article_id, "since": s.since}
                       for s in people],
            "takes": [{"article_id": t.article_id, "user": t.user, "since": t.since, "until": t.until,
                       "title": t.title} for t in takes],
            "handoffs": [_handoff_row(h) for h in handoffs],
        }
        _echo_json(doc)
        return
    say(f"On the desk ({len(people)}):" if people else "Nobody is on the desk now.")
    for s in people:
        say(f"  {s.user}@{s.host}: " + (f"reading {s.article_id}" if s.article_id else "in the list"))
    say(f"Taken ({len(takes)}):" if takes else "No story is taken.")
    for t in takes:
        say(f"  {t.article_id}: {t.user} until {_hhmm(t.until)} UTC" + (f" - {t.title}" if t.title else ""))
    say(f"Handed on ({len(handoffs)}):" if handoffs else "No open hand-off.")
    for h in handoffs:
        whom = "the desk" if h.to == DESK else h.to
        seen = f"seen by {h.seen_by}" if h.seen else "not seen yet"
        say(f"  {h.article_id}: {h.sender} to {whom}, {seen}" + (f": {h.note}" if h.note else ""))


@click.group("watches")
def watches() -> None:
    """Standing searches (the query language of `/`): the desk's, shared, and your own."""


@watches.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of {name, query, owner, desk, at}.")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def watches_list(ctx: click.Context, as_json: bool, db: str | None) -> None:
    """The desk's watches and your own."""
    found = _read_desk(ctx, db, lambda session: session.desk.all_watches())
    if as_json:
        rows = [{"name": w.name, "query": w.query, "owner": w.owner, "desk": w.desk, "at": w.at}
                for w in found]
        _echo_json(rows)
        return
    if not found:
        say("No watches. Add one: triage watches add NAME QUERY [--desk]")
    for w in found:
        say(f"{w.name}: {w.query}  ({'desk, ' + w.owner if w.desk else 'mine'})")


@watches.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--desk", "shared", is_flag=True, help="Share it with the desk (else it is yours alone).")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def watches_add(ctx: click.Context, name: str, query: str, shared: bool, db: str | None) -> None:
    """Add (or change) the watch NAME searching for QUERY."""
    from triage.infra.sanitize import has_forbidden
    from triage.store.errors import NotYoursError, StoreError

    if not name.strip() or not query.strip() or has_forbidden(name) or has_forbidden(query):
        fail("a watch needs a NAME and a QUERY without control, escape or bidi characters.", 2)
    with _Session(ctx, db) as session:
        try:
            watch = session.desk.add_watch(name, query, desk=shared)
        except (NotYoursError, StoreError, OSError) as exc:
            fail(str(exc))
    say(f"watch {watch.name}: {watch.query} ({'the desk' if watch.desk else 'yours alone'})")


@watches.command("remove")
@click.argument("name")
@click.option("--db", help=_DB_HELP)
@click.pass_context
def watches_remove(ctx: click.Context, name: str, db: str | None) -> None:
    """Remove your watch NAME (yours alone first, else your desk watch); exit 1 when there is none."""
    from triage.store.errors import NotYoursError, StoreError

    with _Session(ctx, db) as session:
        try:
            gone = session.desk.remove_watch(name)
        except (NotYoursError, StoreError) as exc:
            fail(str(exc))
    if gone is None:
        fail(f"no watch named {name!r} of yours.")
    say(f"watch {gone.name} removed")


def _period(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    from datetime import timedelta

    from triage.infra.when import parse_when

    text = value.strip().lower()
    if text[:-1].isdigit() and text[-1:] in ("h", "m", "d"):
        amount = int(text[:-1])
        return timedelta(**{{"h": "hours", "m": "minutes", "d": "days"}[text[-1]]: amount})
    try:
        from datetime import UTC, datetime

        return datetime.now(UTC) - parse_when(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 8h, 90m, 2d or a date") from None


@click.command("handover")
@click.argument("inbox", nargs=-1, type=click.Path(path_type=Path))
@click.option("--since", default="8h", show_default=True, callback=_period,
              help="The period: 8h, 90m, 2d, or a date.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--db", help=_DB_HELP)
@click.pass_context
def handover(ctx: click.Context, inbox: tuple[Path, ...], since: Any, fmt: str, db: str | None) -> None:
    """The shift: decisions by editor with notes, open takes and hand-offs, undecided flashes, kills and
    corrections, and watch hits nobody opened (from INBOX, or the config's inbox)."""
    from triage.desk.handover import build_handover, handover_json, handover_markdown
    from triage.store.errors import StoreError

    with _Session(ctx, db, read_only=True) as session:
        settings = session.settings
        paths = list(inbox) or [Path(p) for p in settings.inbox]
        articles = _read_inbox(paths) if paths else None
        try:
            report = build_handover(session.desk, session.decided.open(), articles, since=since,
                                    event_of=session.decided.event,
                                    default_language=settings.ui.default_language)
        except StoreError as exc:
            fail(str(exc))
    click.echo(handover_json(report) if fmt == "json" else handover_markdown(report), nl=fmt != "json")


def _read_inbox(paths: list[Path]) -> list[Any]:
    from triage.sources import load

    try:
        result = load([str(p) for p in paths])
    except Exception as exc:  # noqa: BLE001 - a reader bug costs the stories, not the handover
        say(f"triage: warning: the inbox could not be read ({exc}).", err=True)
        return []
    return list(getattr(result, "articles", ()))


def exit_held(message: str) -> None:
    """`triage decide` on a story a colleague holds: say who, and exit 1 (never decide silently)."""
    say(f"triage: {message}; nothing was recorded (use --anyway to decide all the same).", err=True)
    sys.exit(1)
