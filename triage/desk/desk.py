"""The desk part: takes, hand-offs, presence and watches as this editor sees them and acts on them.

It composes the desk's durable record (`DeskRecord`: takes, hand-offs, acknowledgements, desk watches),
presence (`PresenceBoard`), the decisions (a take ends when its story is decided after it; a hand-off is
open until its addressee acknowledges it or the story is decided after it), my own file (personal
watches, the stories I opened) and the catalog's duplicate groups (acts cover a story's whole group, as
deciding does). It is given callbacks for all but the desk's own records, never the service.

Reading (the `DeskView` face) answers from what the last `poll()` took in, so the event loop may call
it; writing (`take`, `hand`, ...) goes to the record at once (a worker's job); `viewing` and
`decided` only note what to do, and the live side's `poll()` does it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from triage.catalog.rules import RuleSet
from triage.desk.watching import matched_words, rule_words
from triage.infra.clock import now_iso, utc_key
from triage.model import DESK, RULE_WATCH, Article, DecisionEvent, DeskAct, Handoff, Seen, Take, Watch

if TYPE_CHECKING:
    from triage.store.api import DeskRecord, PresenceBoard

__all__ = ["Desk", "DeskPoll", "MyOwn", "WatchCount", "decided_after", "handed_on", "login_name"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchCount:
    """A watch (mine or the desk's) with the stories it matches now and those of them I have not opened.

    The same as `triage.core.faces.WatchCount`, which re-exports this one."""

    watch: Watch
    matches: tuple[str, ...]  # list rows (story ids), newest first
    unread: tuple[str, ...]  # of those, the ones I have not opened


class MyOwn(Protocol):
    """What is mine alone (triage.core.mine.Mine): personal watches and the stories I opened."""

    def watches(self) -> list[Watch]: ...

    def add_watch(self, name: str, query: str, at: str) -> Watch: ...

    def remove_watch(self, name: str) -> Watch | None: ...

    def opened(self) -> dict[str, str]: ...

    def add_opened(self, marks: Iterable[tuple[str, str]]) -> None: ...


@dataclass(frozen=True)
class DeskPoll:
    """What one poll found: whether anything changed, stories newly handed to me, new watch matches."""

    changed: bool = False
    for_me: tuple[str, ...] = ()
    watch_hits: tuple[str, ...] = ()


@dataclass
class _Seen:
    """What the last poll took in (replaced whole, so readers on another thread see one state)."""

    takes: dict[str, Take] = field(default_factory=dict)
    handoffs: tuple[Handoff, ...] = ()
    people: tuple[Seen, ...] = ()
    watches: tuple[Watch, ...] = ()  # the desk's
    members: tuple[str, ...] = ()
    acts: dict[str, tuple[DeskAct, ...]] = field(default_factory=dict)  # by story, oldest first
    handed_on: frozenset[str] = frozenset()  # uids of hand-offs whose story was handed again since


def login_name() -> str:
    """This process's login (the name the file backend gives its writes)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def decided_after(event: DecisionEvent | None, since: str) -> bool:
    """True when `event` (a story's latest) decided it, cleared it or undid it after `since`: a take or
    a hand-off made before it is over. A note alone decides nothing."""
    if event is None or event.action == "note":
        return False
    return utc_key(event.at) > utc_key(since)


def handed_on(handoffs: Iterable[Handoff]) -> frozenset[str]:
    """The uids of the hand-offs (oldest first) whose story was handed again later: no longer open."""
    listed = list(handoffs)
    latest = {h.article_id: h.uid for h in listed}
    return frozenset(h.uid for h in listed if latest[h.article_id] != h.uid)


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


class Desk:
    """Takes, hand-offs, presence and watches for one editor (wears `triage.core.faces.DeskView`).

    `open_record` and `open_presence` open the backends (called once, on first use; a failure becomes
    `problem`). `group(id)` lists a story's duplicate group (leader first), `leader_of(id)` its list row,
    `event_of(id)` its latest decision event, `article_of(id)` the article; `match(query)` lists the
    rows a watch's query matches, newest first ("": every row; walks the inbox: only `poll` calls it),
    and `watched_of(row)` the labels of the config's `rules.watch` entries a row matches."""

    def __init__(self, open_record: Callable[[], DeskRecord], *, own: MyOwn, take_minutes: float,
                 open_presence: Callable[[], PresenceBoard] | None = None,
                 group: Callable[[str], list[str]] = lambda aid: [aid],
                 leader_of: Callable[[str], str] = lambda aid: aid,
                 event_of: Callable[[str], DecisionEvent | None] = lambda _aid: None,
                 article_of: Callable[[str], Article | None] = lambda _aid: None,
                 match: Callable[[str], list[str]] | None = None,
                 watched_of: Callable[[str], Sequence[str]] = lambda _aid: (),
                 rules: RuleSet | None = None, beat_seconds: float = 5.0) -> None:
        self._open_record = open_record
        self._open_presence = open_presence
        self._own = own
        self.take_minutes = take_minutes
        self._group = group
        self._leader_of = leader_of
        self._event_of = event_of
        self._article_of = article_of
        self._match = match
        self._watched_of = watched_of
        self._rules = rules or RuleSet()
        self._beat_seconds = beat_seconds
        self._lock = threading.RLock()  # the record and presence are used by one thread at a time
        self._record: DeskRecord | None = None
        self._presence: PresenceBoard | None = None
        self._problem = ""
        self._down = ""  # why the record's last refresh failed ("" when it worked)
        self._me = ""
        self._login = ""
        self._seen = _Seen()
        self._counts: tuple[WatchCount, ...] = ()
        self._mine_watches: tuple[Watch, ...] = ()
        self._opened: dict[str, str] | None = None  # the stories I opened, read from my file on first use
        self._terms: dict[tuple[str, str], list[str]] = {}
        # what the poll is to do: the story on screen (None: unchanged), stories opened, stories decided
        self._show: str | None = None
        # noted on the event loop, done by the poll's thread: deques, whose append and popleft are atomic
        # (a list swapped out by the poll lost what the event loop appended to it in that instant)
        self._opened_new: deque[tuple[str, str]] = deque()
        self._decided: deque[str] = deque()
        self._last_beat = 0.0
        self._watches_due = True  # a watch changed: count at the next poll
        self._articles_due = False  # stories changed: count when the last count's cost allows
        self._count_again_at = 0.0  # time.monotonic() before which arrivals alone do not count again
        self._known_for_me: set[str] | None = None  # hand-off uids to me already told
        self._known_hits: set[str] | None = None
        self._closed = False
        self._loaded = False  # the first poll takes in the whole record
        self._in_force_last: frozenset[str] = frozenset()
        self.wake = threading.Event()  # set when the poll has something to do at once

    # -- the backends --------------------------------------------------------------------------------
    @property
    def record(self) -> DeskRecord:
        """The desk's durable record, opened on first use (StoreError when it cannot be used)."""
        with self._lock:
            if self._record is None:
                try:
                    self._record = self._open_record()
                except Exception as exc:
                    self._problem = f"The desk cannot be used: {exc}"
                    raise
                self._me = self._record.user
                self._problem = ""
            return self._record

    def _board(self) -> PresenceBoard | None:
        if self._closed:
            return None
        if self._presence is None and self._open_presence is not None:
            try:
                self._presence = self._open_presence()
            except Exception as exc:  # noqa: BLE001 - presence is a nicety: the desk goes on without it
                log.warning("presence cannot be used: %s", exc)
                self._open_presence = None
                self._problem = self._problem or f"Presence: {exc}"
        return self._presence

    # -- the face: DeskView --------------------------------------------------------------------------
    @property
    def me(self) -> str:
        """This editor's name as the desk knows it (the backend's word)."""
        if not self._me:
            if self._record is None:  # not opened yet: the login for now, never kept as the desk's word
                if not self._login:  # (looked up once: the event loop asks for every row it paints)
                    self._login = login_name()
                return self._login
            self._me = self._record.user
        return self._me

    @property
    def problem(self) -> str:
        """One sentence when the desk cannot be used now (its folder refused, the server down); ""."""
        return self._down or self._problem

    def people(self) -> list[Seen]:
        """Everyone present now (me included), by user."""
        return list(self._seen.people)

    def readers(self, story_id: str) -> list[Seen]:
        """The colleagues (not me) who have this story, or one of its group, open now."""
        members = set(self._group(story_id))
        return [s for s in self._seen.people if s.article_id and s.article_id in members
                and not _same(s.user, self.me)]

    def _in_force(self, take: Take) -> bool:
        if take.until and utc_key(take.until) <= utc_key(now_iso()):
            return False
        return not decided_after(self._event_of(take.article_id), take.since)

    def holder(self, story_id: str) -> Take | None:
        """The take in force on this story or its group (anyone's, mine included), or None."""
        takes = self._seen.takes
        for member in self._group(story_id):
            take = takes.get(member)
            if take is not None and self._in_force(take):
                return take
        return None

    def handoffs_of(self, story_id: str) -> list[Handoff]:
        """The hand-offs of this story or its group, oldest first."""
        members = set(self._group(story_id))
        return [h for h in self._seen.handoffs if h.article_id in members]

    def is_open(self, handoff: Handoff) -> bool:
        """Not acknowledged, not handed on again since, and its story not decided since it was handed."""
        return not handoff.seen and handoff.uid not in self._seen.handed_on and not self.settled(handoff)

    def settled(self, handoff: Handoff) -> bool:
        """The hand-off's story (or one of its group) was decided after it was handed."""
        return any(decided_after(self._event_of(m), handoff.at) for m in self._group(handoff.article_id))

    def takes_in_force(self) -> list[Take]:
        """Every take in force now (not given back, not expired, its story not decided since), oldest
        first, as the record holds them now (reads the record: a worker's or the CLI's call)."""
        with self._lock:
            self.record.refresh()
            return [t for t in self.record.takes() if self._in_force(t)]

    def opened(self) -> dict[str, str]:
        """The stories I opened (story id -> when), from my own file."""
        return self._own.opened()

    def _to_me(self, handoff: Handoff) -> bool:
        return _same(handoff.to, self.me) or (handoff.to == DESK and not _same(handoff.sender, self.me))

    def for_me(self) -> list[Handoff]:
        """Hand-offs to me or to the desk that are still open (not acknowledged, the story not decided
        since), oldest first: the top bar's "N for you"."""
        return [h for h in self._seen.handoffs if self._to_me(h) and self.is_open(h)]

    def mine(self) -> list[str]:
        """Story ids taken by me or handed to me and still open, newest first (the "mine" view)."""
        dated: dict[str, str] = {}
        for take in self._seen.takes.values():
            if _same(take.user, self.me) and self._in_force(take):
                row = self._leader_of(take.article_id)
                dated[row] = max(dated.get(row, ""), utc_key(take.since))
        for handoff in self.for_me():
            row = self._leader_of(handoff.article_id)
            dated[row] = max(dated.get(row, ""), utc_key(handoff.at))
        return [row for row, _at in sorted(dated.items(), key=lambda kv: kv[1], reverse=True)]

    def members(self) -> list[str]:
        """The colleagues one may hand a story to (the desk group and those in the store), sorted."""
        names = set(self._seen.members) | {s.user for s in self._seen.people}
        return sorted(n for n in names if n and not _same(n, self.me))

    def watches(self) -> list[WatchCount]:
        """Every watch (the desk's and mine) with its matches, by name."""
        return list(self._counts)

    def watch_terms(self, story_id: str) -> list[str]:
        """The words of this story that watches matched, for highlighting ([] when none)."""
        article = self._article_of(story_id)
        if article is None:
            return []
        key = (story_id, article.content_hash)
        got = self._terms.get(key)
        if got is not None:
            return got
        row = self._leader_of(story_id)
        queries = [c.watch.query for c in self._counts
                   if c.watch.at != RULE_WATCH and (row in c.matches or story_id in c.matches)]
        text = article.title + "\n" + article.text
        words = matched_words(text, queries)
        labels = [c.watch.query for c in self._counts
                  if c.watch.at == RULE_WATCH and (row in c.matches or story_id in c.matches)]
        if labels:
            words += [w for w in rule_words(text, self._rules, labels) if w not in words]
        if len(self._terms) > 1000:
            self._terms.clear()
        self._terms[key] = words
        return words

    def acts(self, story_id: str) -> list[DeskAct]:
        """The desk's history of this story and its group (takes, hand-offs, acknowledgements)."""
        acts = self._seen.acts
        out = [a for member in self._group(story_id) for a in acts.get(member, ())]
        return sorted(out, key=lambda a: utc_key(a.at))

    # -- acts (writes: a worker's job) ---------------------------------------------------------------
    def take(self, story_id: str) -> Take:
        """Take a story (its row, for its whole group) for me for `take_minutes`; taking it again renews
        it. HeldError, naming the holder, when a colleague's take is in force on it or its group."""
        from triage.store.errors import HeldError

        row = self._leader_of(story_id) or story_id
        with self._lock:
            self.record.refresh()
            takes = {t.article_id: t for t in self.record.takes()}
            for member in self._group(row):
                held = takes.get(member)
                if held is not None and not _same(held.user, self.me) and self._in_force(held):
                    title = f" ({held.title})" if held.title else ""
                    until = held.until[11:16]
                    raise HeldError(f"{held.user} has story {row}{title} until {until} UTC.", held)
            members = self._group(row)
            article = self._article_of(row)
            took = self.record.take(row, minutes=self.take_minutes, story=row if len(members) > 1 else "",
                                    title=article.title if article is not None else "",
                                    ended=lambda t: decided_after(self._event_of(t.article_id), t.since))
            self._reload()
        return took

    def give_back(self, story_id: str) -> list[Take]:
        """Give back my takes of a story's group; the takes given back (none: I held none)."""
        with self._lock:
            given = [t for m in self._group(self._leader_of(story_id) or story_id)
                     if (t := self.record.release(m)) is not None]
            self._reload()
        return given

    def hand(self, story_id: str, to: str, note: str = "") -> Handoff:
        """Hand a story (its row) to a colleague or to the desk (model.DESK), with a note."""
        to = to.strip()
        if not to:
            raise ValueError("a hand-off names a colleague or the desk")
        row = self._leader_of(story_id) or story_id
        members = self._group(row)
        article = self._article_of(row)
        with self._lock:
            handed = self.record.hand(row, to, note, story=row if len(members) > 1 else "",
                                      title=article.title if article is not None else "")
            self._reload()
        return handed

    def acknowledge(self, story_id: str) -> list[Handoff]:
        """Acknowledge the open hand-offs of a story's group addressed to me or to the desk; the
        hand-offs as they now stand."""
        from triage.store.errors import NotYoursError

        done: list[Handoff] = []
        with self._lock:
            for handoff in self.handoffs_of(story_id):
                if not handoff.seen and self._to_me(handoff):
                    try:
                        done.append(self.record.acknowledge(handoff.uid))
                    except (NotYoursError, KeyError) as exc:
                        log.warning("hand-off %s not acknowledged: %s", handoff.uid, exc)
            if done:
                self._reload()
        return done

    def add_watch(self, name: str, query: str, *, desk: bool) -> Watch:
        """Add or change a watch: the desk's (shared, in the record) or mine (in my own file)."""
        name, query = name.strip(), query.strip()
        if not name or not query:
            raise ValueError("a watch has a name and a query")
        with self._lock:
            if desk:
                watch = self.record.add_watch(name, query)
                self._reload()
            else:
                kept = self._own.add_watch(name, query, now_iso())
                watch = Watch(kept.name, kept.query, self.me, desk=False, at=kept.at)
                self._mine_watches = tuple(self._personal())
            self._watches_due = True
        return watch

    def remove_watch(self, name: str, desk: bool | None = None) -> Watch | None:
        """Remove my watch of that name: my personal one first, else my desk watch (NotYoursError for a
        colleague's desk watch); only the one `desk` says when it is given; the watch removed, or None."""
        with self._lock:
            gone = self._own.remove_watch(name) if desk is not True else None
            if gone is not None:
                self._mine_watches = tuple(self._personal())
                self._watches_due = True
                return Watch(gone.name, gone.query, self.me, desk=False, at=gone.at)
            if desk is False:
                return None
            gone = self.record.remove_watch(name)
            self._reload()
            self._watches_due = True
            return gone

    def all_watches(self) -> list[Watch]:
        """The desk's watches and mine (mine named so when a desk watch has the same name), by name."""
        with self._lock:
            desk = list(self.record.watches())
        return sorted(desk + self._personal(), key=lambda w: (w.name.casefold(), not w.desk))

    def _personal(self) -> list[Watch]:
        return [Watch(w.name, w.query, self.me, desk=False, at=w.at) for w in self._own.watches()]

    # -- what the live side does ---------------------------------------------------------------------
    def viewing(self, story_id: str) -> None:
        """This TUI now has `story_id` open ("": none). Shown to the others, kept as opened, and its
        hand-offs to me acknowledged by the next poll (never on the caller's thread)."""
        self._show = story_id
        if story_id:
            self._opened_new.append((self._leader_of(story_id) or story_id, now_iso()))
        self.wake.set()

    def decided(self, story_ids: Sequence[str]) -> None:
        """These stories were decided here: my takes of them are given back by the next poll."""
        self._decided.extend(story_ids)
        self.wake.set()

    def articles_changed(self) -> None:
        """Stories arrived or changed: the watch counts are due again (at most WATCH_SHARE of the desk
        thread's time: a count walks the inbox once per watch, and a busy wire changes it every poll)."""
        self._articles_due = True

    def poll(self) -> DeskPoll:
        """Do what was noted (presence, opened marks, acknowledgements, releases), take in what the
        others wrote, and count the watches when due. The live side calls it every poll, in its own
        thread; what it took in is what the face reads."""
        if self._closed:
            return DeskPoll()
        changed = False
        try:
            record = self.record
        except Exception:  # noqa: BLE001 - said in `problem`; tried again at the next poll
            return DeskPoll()
        with self._lock:
            if self._closed:
                return DeskPoll()
            changed |= self._do_noted()
            arrived = not self._loaded
            try:
                arrived |= record.refresh()
                down = record.last_error  # a server away is said there (the refresh goes on)
            except Exception as exc:  # noqa: BLE001 - a poll never dies: said, and tried again
                log.warning("desk refresh failed: %s", exc)
                down = str(exc)
            changed |= down != self._down
            self._down = down  # said in `problem` (the top bar) until the record answers again
            changed |= self._beat()
            if arrived:  # rebuilt only when something was written: the history grows all day
                changed |= self._reload()
                self._loaded = True
            in_force = frozenset(t.uid for t in self._seen.takes.values() if self._in_force(t))
            changed |= in_force != self._in_force_last  # a take ran out, or its story was decided
            self._in_force_last = in_force
        hits: tuple[str, ...] = ()
        if self._watches_due or (self._articles_due and time.monotonic() >= self._count_again_at):
            self._watches_due = self._articles_due = False  # before: a change during the count counts again
            started = time.monotonic()
            hits = self._count_watches()
            ended = time.monotonic()
            self._count_again_at = ended + (ended - started) * (1 / WATCH_SHARE - 1)
            changed = True
        for_me = self._new_for_me()
        return DeskPoll(changed or bool(for_me), for_me, hits)

    def _do_noted(self) -> bool:
        did = False
        show, self._show = self._show, None
        opened = [self._opened_new.popleft() for _ in range(len(self._opened_new))]
        decided = [self._decided.popleft() for _ in range(len(self._decided))]
        board = self._board()
        if show is not None and board is not None:
            try:
                board.show(show)
                self._last_beat = time.monotonic()
                did = True
            except Exception as exc:  # noqa: BLE001 - presence is short-lived: the next beat tries again
                log.warning("presence not shown: %s", exc)
        if opened:
            known = self._opened_now()  # (read before the write: what is fresh is told by the file)
            self._own.add_opened(opened)
            fresh = {s for s, _at in opened if s not in known}
            known.update((s, at) for s, at in opened if s in fresh)
            if fresh:  # the unread counts only: the matches stand
                self._counts = tuple(WatchCount(c.watch, c.matches,
                                                tuple(r for r in c.unread if r not in fresh))
                                     for c in self._counts)
                did = True
            for story in dict(opened):
                if self.acknowledge(story):
                    did = True
        for story in decided:
            for member in self._group(story):
                take = self._seen.takes.get(member)
                if take is not None and _same(take.user, self.me):
                    try:
                        self.record.release(member)
                        did = True
                    except Exception as exc:  # noqa: BLE001 - the take ends by the decision anyway
                        log.warning("take of %s not given back: %s", member, exc)
        return did

    def _beat(self) -> bool:
        board = self._board()
        if board is None:
            return False
        try:
            if time.monotonic() - self._last_beat >= self._beat_seconds:
                board.beat()
                self._last_beat = time.monotonic()
            people = tuple(board.seen())
        except Exception as exc:  # noqa: BLE001 - presence is a nicety
            log.warning("presence failed: %s", exc)
            return False
        # A beat moves every entry's time and is nothing anyone sees: only who is here and on what
        # story counts as a change (else every colleague's beat repainted every screen).
        if _present(people) != _present(self._seen.people):
            self._seen = _replace(self._seen, people=people)
            return True
        return False

    def _reload(self) -> bool:
        """Take the record's state as it stands into what the face reads; True when it changed."""
        record = self.record
        by_story: dict[str, list[DeskAct]] = {}
        for act in record.acts():
            if act.article_id:
                by_story.setdefault(act.article_id, []).append(act)
        handoffs = tuple(record.handoffs())
        seen = _Seen(
            takes={t.article_id: t for t in record.takes()},
            handoffs=handoffs,
            handed_on=handed_on(handoffs),
            people=self._seen.people,
            watches=tuple(record.watches()),
            members=tuple(record.members()),
            acts={story: tuple(acts) for story, acts in by_story.items()},
        )
        if record.damage and not self._problem:
            log.warning("desk record: %s", record.damage)
        if seen == self._seen:
            return False
        if seen.watches != self._seen.watches:
            self._watches_due = True
        self._seen = seen
        return True

    def _new_for_me(self) -> tuple[str, ...]:
        open_now = {h.uid: h for h in self.for_me()}
        if self._known_for_me is None:  # the first poll: what waited is not news
            self._known_for_me = set(open_now)
            return ()
        fresh = [h for uid, h in open_now.items() if uid not in self._known_for_me]
        self._known_for_me |= set(open_now)
        return tuple(dict.fromkeys(self._leader_of(h.article_id) for h in fresh))

    def _count_watches(self) -> tuple[str, ...]:
        """Count every watch's matches (walks the inbox through `match`); the rows newly matched."""
        opened = self._opened_now()
        self._mine_watches = tuple(self._personal())
        watches: dict[str, Watch] = {}
        for watch in (*self._seen.watches, *self._mine_watches):
            watches.setdefault(watch.name if watch.desk else f"{watch.name}\x00mine", watch)
        counts: list[WatchCount] = []
        if self._match is not None:
            for watch in watches.values():
                try:
                    rows = tuple(self._match(watch.query))
                except Exception as exc:  # noqa: BLE001 - one bad query costs only its own count
                    log.warning("watch %r: %s", watch.name, exc)
                    rows = ()
                counts.append(WatchCount(watch, rows, tuple(r for r in rows if r not in opened)))
        counts += self._rule_counts({w.name for w in watches.values()}, opened)
        counts.sort(key=lambda c: (c.watch.name.casefold(), not c.watch.desk))
        self._counts = tuple(counts)
        self._terms.clear()
        matched = {r for c in counts for r in c.matches}
        if self._known_hits is None:
            self._known_hits = matched
            return ()
        fresh = matched - self._known_hits
        self._known_hits |= matched
        return tuple(sorted(fresh))

    def _opened_now(self) -> dict[str, str]:
        if self._opened is None:
            self._opened = self._own.opened()
        return self._opened

    def _rule_counts(self, taken: set[str], opened: dict[str, str]) -> list[WatchCount]:
        """The config's `rules.watch` entries, shown as my watches (marked by `at`)."""
        labels = [r.label for r in self._rules.watch if r.label not in taken]
        if not labels or self._match is None:
            return []
        by_label: dict[str, list[str]] = {label: [] for label in labels}
        for row in self._match(""):
            for label in self._watched_of(row):
                if label in by_label:
                    by_label[label].append(row)
        return [WatchCount(Watch(label, label, self.me, desk=False, at=RULE_WATCH), tuple(rows),
                           tuple(r for r in rows if r not in opened))
                for label, rows in by_label.items()]

    def close(self) -> None:
        """Leave the desk (presence goes at once) and close the record."""
        self._closed = True
        with self._lock:
            if self._presence is not None:
                try:
                    self._presence.leave()
                except Exception as exc:  # noqa: BLE001 - it expires on its own
                    log.warning("presence not left: %s", exc)
            if self._record is not None:
                try:
                    self._record.close()
                except Exception as exc:  # noqa: BLE001
                    log.warning("desk record not closed: %s", exc)


WATCH_SHARE = 0.2  # while stories keep arriving, counting the watches takes at most this share of the time


def _present(people: tuple[Seen, ...]) -> tuple[tuple[str, str, int, str, str], ...]:
    return tuple((p.user, p.host, p.pid, p.article_id, p.since) for p in people)


def _replace(seen: _Seen, **changes: object) -> _Seen:
    from dataclasses import replace

    return replace(seen, **changes)  # type: ignore[arg-type]
