"""The DeskRecord contract (triage.store.api), on both backends: the desk folder beside a TinyDB file,
two real uids writing it (root and uid 65534, the second through a forked child that drops to it),
and a real PostgreSQL with two roles. Takes, renewals, release, expiry, `ended`, a race of two
processes, hand-offs and their acknowledgement, watches, the history, refresh across instances; then
what only the files have: a full disk, a write cut short, a lock held elsewhere, the folder's modes."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.colleague import NOBODY, needs_root, shared_folder
from tests.store.desk_users import Remote, race
from triage.model import DESK, DESK_ACTS, Take
from triage.store.deskfiles import FileDesk
from triage.store.errors import HeldError, NotYoursError, StoreError
from triage.store.open import desk_folder, open_desk

ROLES = ("ana", "ben")


@dataclass
class DeskSite:
    """One desk for a test and a way to open it as its first or second member."""

    kind: str
    location: str
    server: Any = None
    dbname: str = ""
    opened: list[Any] = field(default_factory=list)

    def where(self, who: int) -> str:
        if self.kind == "file":
            return self.location
        return self.server.url(self.dbname, self.server.role(ROLES[who]))

    def factory(self, who: int, **kw: Any) -> Callable[[], Any]:
        where = self.where(who)
        if self.kind == "file":
            kw.setdefault("group_share", True)
        return lambda: open_desk(where, **kw)

    def open(self, who: int = 0, **kw: Any) -> Any:
        """The desk as member `who` (0: this process's user; 1: a colleague), in this process where
        that is possible, else in a child process running as the colleague's uid."""
        if self.kind == "file" and who == 1:
            desk: Any = Remote(self.factory(who, **kw), uid=NOBODY, gid=NOBODY)
        else:
            desk = self.factory(who, **kw)()
        self.opened.append(desk)
        return desk

    def remote(self, who: int, **kw: Any) -> Remote:
        """The desk as member `who` in a process of its own (for races)."""
        uid = NOBODY if self.kind == "file" and who == 1 else None
        desk = Remote(self.factory(who, **kw), uid=uid, gid=uid)
        self.opened.append(desk)
        return desk

    def close_all(self) -> None:
        for desk in self.opened:
            if isinstance(desk, Remote):
                desk.stop()
            else:
                desk.close()


@pytest.fixture(params=["file", "pg"])
def site(request) -> Iterator[DeskSite]:
    """Each test on the desk folder of a group-shared TinyDB file and on a fresh PostgreSQL database."""
    if request.param == "file":
        if os.geteuid() != 0:
            pytest.skip("a second member on one host needs root to act as uid 65534")
        folder = shared_folder()
        s = DeskSite("file", str(folder / "decisions.json"))
    else:
        server = request.getfixturevalue("pg_server")  # skips, with its reason, where it cannot run
        s = DeskSite("pg", "", server, server.new_db())
    yield s
    s.close_all()
    if s.kind == "file":
        import shutil

        shutil.rmtree(Path(s.location).parent.parent, ignore_errors=True)


def _caught_up(desk: Any, until: Callable[[], bool] | None = None, timeout: float = 10.0) -> None:
    """refresh() until something arrived (and `until` holds): a file answers at once, a server's
    notification may still be on its way (and notifications of one's own writes may come first)."""
    deadline = time.monotonic() + timeout
    while not (desk.refresh() and until is None) and not (until is not None and until()):
        assert time.monotonic() < deadline, "nothing arrived"
        time.sleep(0.01)


# ---- takes ------------------------------------------------------------------------------------------

def test_a_take_is_seen_by_a_colleague_renewed_in_place_and_given_back(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    take = ana.take("a1", minutes=30, story="s1", title="Flash: quake")
    assert (take.article_id, take.user, take.story, take.title) == ("a1", ana.user, "s1", "Flash: quake")
    assert take.since < take.until and take.uid
    _caught_up(ben, lambda: bool(ben.takes()))
    assert ben.takes() == [take]
    again = ana.take("a1", minutes=60)
    assert (again.uid, again.since) == (take.uid, take.since) and again.until > take.until
    assert ana.takes() == [again]
    assert ana.release("a1") == again
    assert ana.takes() == [] and ana.release("a1") is None
    _caught_up(ben, lambda: not ben.takes())
    assert ben.takes() == [] and ben.release("a1") is None


def test_a_take_in_force_is_held_against_a_colleague_and_names_the_holder(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    ana.take("a1", minutes=30)
    with pytest.raises(HeldError) as held:
        ben.take("a1", minutes=30)
    assert held.value.take.user == ana.user and ana.user in str(held.value)
    assert "a1" in str(held.value) and len(str(held.value).splitlines()) == 1
    ben.take("a2", minutes=30)  # another story is free
    _caught_up(ana, lambda: len(ana.takes()) == 2)
    assert sorted(t.article_id for t in ana.takes()) == ["a1", "a2"]


def test_an_expired_take_is_gone_and_a_colleague_may_take_the_story(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    short = ana.take("a1", minutes=3 / 60)
    assert ana.takes() == [short]
    time.sleep(3.2)
    assert ana.takes() == []
    won = ben.take("a1", minutes=30)
    assert won.user == ben.user
    _caught_up(ana, lambda: bool(ana.takes()))
    assert [t.user for t in ana.takes()] == [ben.user]


def test_a_take_the_caller_says_has_ended_is_no_longer_held(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    held = ben.take("a1", minutes=30)
    _caught_up(ana, lambda: bool(ana.takes()))
    with pytest.raises(HeldError):
        ana.take("a1", minutes=30, ended=lambda t: False)
    seen: list[Take] = []

    def decided_since(take: Take) -> bool:
        seen.append(take)
        return take.uid == held.uid

    mine = ana.take("a1", minutes=30, ended=decided_since)
    assert mine.user == ana.user and seen and seen[0].uid == held.uid
    assert ana.takes() == [mine]  # the desk sees the take made since, not the ended one
    _caught_up(ben, lambda: [t.user for t in ben.takes()] == [ana.user])
    with pytest.raises(HeldError) as again:
        ben.take("a1", minutes=30)
    assert again.value.take.user == ana.user
    mine_again = ana.take("a1", minutes=30, ended=lambda t: True)  # mine ended too: a new take, not a renewal
    assert mine_again.uid != mine.uid


def test_of_two_processes_taking_at_once_exactly_one_wins(site: DeskSite) -> None:
    racers = [site.remote(0), site.remote(1)]
    names = {r.user for r in racers}
    assert len(names) == 2
    for round_ in range(12):
        article = f"race-{round_}"
        results = race([lambda r=r, article=article: r.take(article, minutes=30) for r in racers], HeldError)
        won = [r for r in results if isinstance(r, Take)]
        lost = [r for r in results if isinstance(r, HeldError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].take.user == won[0].user
    judge = site.open(0)
    assert len(judge.takes()) == 12 and all(t.user in names for t in judge.takes())


@needs_root
def test_two_members_writing_a_new_desk_at_once_both_get_in() -> None:
    """The lock file and each member's file have the group's mode from their first instant: a colleague
    who opens the lock a moment after it was made is never refused (a umask of 077 makes that likely)."""
    old_umask = os.umask(0o077)
    try:
        for round_ in range(12):
            folder = shared_folder()
            db = str(folder / "decisions.json")
            try:
                racers = [Remote(lambda db=db: open_desk(db, group_share=True)),
                          Remote(lambda db=db: open_desk(db, group_share=True), uid=NOBODY, gid=NOBODY)]
                results = race([lambda r=r, i=i, round_=round_: r.take(f"r{round_}-{i}", minutes=5)
                                for i, r in enumerate(racers)], StoreError)
                for r in racers:
                    r.stop()
                assert all(isinstance(r, Take) for r in results), results
                lock = desk_folder(db) / "desk.lock"
                assert stat.S_IMODE(lock.stat().st_mode) == 0o660
            finally:
                import shutil

                shutil.rmtree(folder.parent, ignore_errors=True)
    finally:
        os.umask(old_umask)


# ---- hand-offs ----------------------------------------------------------------------------------------

def test_a_hand_off_reaches_the_colleague_who_acknowledges_it_once(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    made = ana.hand("a1", ben.user, "check the figures", story="s1", title="Rates")
    assert (made.sender, made.to, made.note) == (ana.user, ben.user, "check the figures")
    assert (made.story, made.title) == ("s1", "Rates")
    assert made.at and made.uid and not made.seen
    _caught_up(ben, lambda: bool(ben.handoffs()))
    assert [h.uid for h in ben.handoffs()] == [made.uid] and not ben.handoffs()[0].seen
    seen = ben.acknowledge(made.uid)
    assert seen.seen and seen.seen_by == ben.user and seen.seen_at >= made.at
    assert ben.acknowledge(made.uid) == seen  # again: nothing changes
    _caught_up(ana, lambda: ana.handoffs()[0].seen)
    assert ana.handoffs() == [seen]
    with pytest.raises(NotYoursError):
        ana.acknowledge(made.uid)  # addressed to ben
    with pytest.raises(KeyError):
        ben.acknowledge("0" * 32)


def test_a_hand_off_to_the_desk_is_acknowledged_by_a_colleague(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    first = ana.hand("a1", ben.user)
    later = ana.hand("a2", DESK, "anyone?")
    assert later.to == DESK
    _caught_up(ben, lambda: len(ben.handoffs()) == 2)
    assert ben.acknowledge(later.uid).seen_by == ben.user
    assert [h.uid for h in ben.handoffs()] == [first.uid, later.uid]
    assert [h.uid for h in ben.handoffs(since=later.at)] == [later.uid]


# ---- watches ------------------------------------------------------------------------------------------

def test_desk_watches_are_shared_changed_and_removed_only_by_their_owner(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    watch = ana.add_watch("ukraine", "ukraine OR kyiv")
    assert (watch.name, watch.query, watch.owner) == ("ukraine", "ukraine OR kyiv", ana.user) and watch.desk
    ben.add_watch("rates", "central bank")  # a write takes in what the others wrote first
    assert [(w.name, w.owner) for w in ben.watches()] == [("rates", ben.user), ("ukraine", ana.user)]
    with pytest.raises(NotYoursError):
        ben.add_watch("ukraine", "something else")
    with pytest.raises(NotYoursError):
        ben.remove_watch("ukraine")
    changed = ana.add_watch("ukraine", "ukraine OR kyiv OR odesa")
    assert changed.query == "ukraine OR kyiv OR odesa"
    _caught_up(ben, lambda: "odesa" in str(ben.watches()))
    assert [w.query for w in ben.watches() if w.name == "ukraine"] == ["ukraine OR kyiv OR odesa"]
    assert ana.remove_watch("ukraine") == changed
    assert ana.remove_watch("ukraine") is None
    _caught_up(ben, lambda: len(ben.watches()) == 1)
    assert ben.add_watch("ukraine", "kyiv").owner == ben.user  # free again
    _caught_up(ana, lambda: len(ana.watches()) == 2)
    assert [(w.name, w.owner) for w in ana.watches()] == [("rates", ben.user), ("ukraine", ben.user)]


def test_both_stores_take_and_refuse_the_same_names(site: DeskSite) -> None:
    """A watch's name may hold spaces ("ukraine war"), a colleague's may not; neither may hold control
    characters or end in spaces: one rule for the file and for PostgreSQL (PostgreSQL refused the first)."""
    ana = site.open(0)
    assert ana.add_watch("ukraine war", "ukraine").name == "ukraine war"
    for bad in ("ukraine\x1b[2J", "ukraine ", "", "x" * 65):
        with pytest.raises(ValueError):
            ana.add_watch(bad, "ukraine")
    for bad in ("ben smith", "ben\x07", ""):
        with pytest.raises(ValueError):
            ana.hand("a1", bad, "")


# ---- history, members, refresh ------------------------------------------------------------------------

def test_the_history_holds_every_act_by_who_made_it(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    ana.take("a1", minutes=30, title="T1")
    handed = ana.hand("a1", ben.user, "yours")
    ana.release("a1")
    ben.acknowledge(handed.uid)
    ben.add_watch("w", "quake")
    ben.remove_watch("w")
    _caught_up(ana, lambda: len(ana.acts()) == 6)
    acts = ana.acts()
    assert [a.kind for a in acts] == ["take", "handoff", "release", "ack", "watch", "unwatch"]
    assert set(a.kind for a in acts) == set(DESK_ACTS)
    assert [a.user for a in acts] == [ana.user] * 3 + [ben.user] * 3
    assert acts[1].to == ben.user and acts[1].note == "yours" and acts[3].ref == handed.uid
    assert acts[4].ref == "w" and acts[0].title == "T1"
    assert [a.at for a in acts] == sorted(a.at for a in acts)
    assert [a.kind for a in ana.acts("a1")] == ["take", "handoff", "release", "ack"]
    assert [a.kind for a in ana.acts(since=acts[3].at)] == ["ack", "watch", "unwatch"]


def test_members_are_those_of_the_desk_and_those_who_wrote(site: DeskSite) -> None:
    ana, ben = site.open(0), site.open(1)
    ben.take("a1", minutes=5)
    _caught_up(ana, lambda: bool(ana.takes()))
    assert {ana.user, ben.user} <= set(ana.members())
    assert ana.members() == sorted(ana.members())


def test_refresh_takes_in_another_instances_writes_and_is_quiet_after(site: DeskSite) -> None:
    one, two = site.open(0), site.open(0)
    one.take("a1", minutes=5)
    _caught_up(two)
    assert [t.article_id for t in two.takes()] == ["a1"]
    assert two.refresh() is False
    one.hand("a1", DESK)
    _caught_up(two)
    assert len(two.handoffs()) == 1 and two.refresh() is False


def test_a_read_only_desk_writes_nothing(site: DeskSite) -> None:
    site.open(0).take("a1", minutes=5)
    reader = site.open(0, read_only=True)
    assert [t.article_id for t in reader.takes()] == ["a1"]
    with pytest.raises(StoreError):
        reader.take("a2", minutes=5)
    assert [t.article_id for t in reader.takes()] == ["a1"]


# ---- the files only -------------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "decisions.json"


def test_the_desk_is_opened_beside_the_decisions_file_private_by_default(db: Path) -> None:
    desk = open_desk(db)
    assert not desk_folder(db).exists()  # nothing is made before the first write
    desk.take("a1", minutes=5)
    folder = desk_folder(db)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    mine = folder / f"{desk.user}.jsonl"
    assert stat.S_IMODE(os.stat(mine).st_mode) == 0o600
    line = json.loads(mine.read_text().splitlines()[0])
    assert line["kind"] == "take" and line["user"] == desk.user and line["article_id"] == "a1"


def test_on_one_host_nobody_writes_the_desk_under_another_name(db: Path) -> None:
    with pytest.raises(StoreError) as refused:
        open_desk(db, user="somebody-else")
    assert "own login" in str(refused.value)


@needs_root
def test_a_shared_desk_folder_is_setgid_and_sticky_and_its_files_are_the_groups_to_read() -> None:
    folder = shared_folder()
    try:
        db = folder / "decisions.json"
        desk = open_desk(db, group_share=True)
        desk.take("a1", minutes=5)
        st = os.stat(desk_folder(db))
        assert stat.S_IMODE(st.st_mode) == 0o3770 and st.st_gid == NOBODY
        mine = os.stat(desk_folder(db) / f"{desk.user}.jsonl")
        assert stat.S_IMODE(mine.st_mode) == 0o640 and mine.st_gid == NOBODY
        assert stat.S_IMODE(os.stat(desk_folder(db) / "desk.lock").st_mode) == 0o660
    finally:
        import shutil

        shutil.rmtree(folder.parent, ignore_errors=True)


def test_its_owner_makes_a_folder_without_the_sticky_bit_sticky(db: Path) -> None:
    folder = desk_folder(db)
    folder.mkdir(mode=0o770)
    os.chmod(folder, 0o2770)
    open_desk(db, group_share=True).take("a1", minutes=5)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o3770


@needs_root
def test_a_folder_of_another_member_without_the_sticky_bit_is_refused_in_one_sentence() -> None:
    shared = shared_folder()
    try:
        db = shared / "decisions.json"
        folder = desk_folder(db)
        folder.mkdir()
        os.chown(folder, NOBODY, NOBODY)
        os.chmod(folder, 0o2770)

        def as_member() -> Any:
            return open_desk(db, group_share=True)

        with pytest.raises(StoreError) as refused:
            Remote(as_member, uid=1000, gid=NOBODY)  # in the desk's group, not the folder's owner
        text = str(refused.value)
        assert "no sticky bit" in text and "chmod" in text and len(text.splitlines()) == 1
    finally:
        import shutil

        shutil.rmtree(shared.parent, ignore_errors=True)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_refuses_the_write_in_one_sentence_and_nothing_is_believed(db: Path) -> None:
    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    kept = mine.read_bytes()
    mine.unlink()
    mine.symlink_to("/dev/full")  # our own link: the write gets a real ENOSPC
    fresh = open_desk(db)
    with pytest.raises(StoreError) as full:
        fresh.take("a1", minutes=5)
    assert "No space left" in str(full.value) and "nothing was recorded" in str(full.value)
    assert fresh.last_error == str(full.value) and fresh.takes() == [] and fresh.damage == ""
    mine.unlink()
    mine.write_bytes(kept)
    assert [t.article_id for t in open_desk(db).takes()] == ["a0"]


def test_a_write_cut_short_leaves_no_half_line_and_the_next_one_works(db: Path) -> None:
    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    size = mine.stat().st_size
    script = (
        "import resource, sys\n"
        "from triage.store.open import open_desk\n"
        "desk = open_desk(sys.argv[1])\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size + 40}, {size + 40}))\n"
        "try:\n"
        "    desk.take('a1', minutes=5, title='x' * 200)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("StoreError") and "nothing was recorded" in out.stdout, out.stderr
    assert mine.stat().st_size == size  # the part that was written is gone again
    assert desk.refresh() is False and desk.damage == ""
    desk.take("a2", minutes=5)
    assert sorted(t.article_id for t in open_desk(db).takes()) == ["a0", "a2"]


def test_an_unfinished_line_of_a_writer_that_died_is_never_read_and_is_cut_off(db: Path) -> None:
    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    with open(mine, "ab") as fh:
        fh.write(b'{"v":1,"kind":"take","uid":"')  # a writer killed mid-line
    reader = open_desk(db)
    assert [t.article_id for t in reader.takes()] == ["a0"] and reader.damage == ""
    desk.take("a1", minutes=5)
    assert reader.refresh() and sorted(t.article_id for t in reader.takes()) == ["a0", "a1"]
    assert reader.damage == "" and all(json.loads(line) for line in mine.read_text().splitlines())


def test_a_lock_held_elsewhere_makes_a_write_wait_a_bounded_time_then_say_busy(db: Path) -> None:
    FileDesk(desk_folder(db)).take("a0", minutes=5)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\nf = open(sys.argv[1], 'r+')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n",
         str(desk_folder(db) / "desk.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        desk = FileDesk(desk_folder(db), lock_timeout=0.3)
        with pytest.raises(StoreError) as busy:
            desk.take("a1", minutes=5)
        assert "busy" in str(busy.value)
        assert [t.article_id for t in desk.takes()] == ["a0"]  # reading never waits for the lock
    finally:
        holder.kill()
        holder.wait()
    FileDesk(desk_folder(db), lock_timeout=0.3).take("a1", minutes=5)


def test_a_hand_off_to_the_desk_is_not_acknowledged_by_its_own_sender(db: Path) -> None:
    desk = open_desk(db)
    made = desk.hand("a1", DESK)
    with pytest.raises(NotYoursError):
        desk.acknowledge(made.uid)
    assert not desk.handoffs()[0].seen


def test_a_lock_file_is_only_ever_flocked_never_written(db: Path) -> None:
    desk = open_desk(db)
    desk.take("a1", minutes=5)
    lock = desk_folder(db) / "desk.lock"
    assert lock.stat().st_size == 0
    with open(lock, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the take returned


def test_refresh_when_nothing_changed_opens_no_file(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import triage.store.deskfiles as deskfiles

    writer, reader = open_desk(db), open_desk(db)
    writer.take("a1", minutes=5)
    assert reader.refresh() is True
    opened: list[str] = []
    real = deskfiles.open_regular

    def counting(path: Any, *args: Any, **kw: Any) -> int:
        opened.append(str(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(deskfiles, "open_regular", counting)
    assert [reader.refresh() for _ in range(20)] == [False] * 20
    assert opened == []  # a stat of the folder and of each member's file, nothing read
    writer.hand("a1", DESK)
    opened.clear()
    assert reader.refresh() is True and len(opened) == 1  # the one file that grew


SKEWED_TAKE = """
import sys, time
shift = float(sys.argv[2]) * 1e9
real_ns, real = time.time_ns, time.time
time.time_ns = lambda: real_ns() + int(shift)
time.time = lambda: real() + shift / 1e9
from triage.store.open import open_desk
desk = open_desk(sys.argv[1])
if sys.argv[3] == "take":
    print(desk.take("a1", minutes=30).until)
else:
    print([t.article_id for t in desk.takes()])
"""


@pytest.mark.parametrize("shift", [3600, -3600])
def test_a_process_with_its_clock_an_hour_off_takes_for_the_time_it_asked(db: Path, shift: int) -> None:
    """Stamps come from the kernel's clock: a take made by a process an hour ahead does not last an
    hour and a half, one made an hour behind is not over at once, and such a reader sees ours."""
    from triage.infra.clock import parse_iso

    def skewed(what: str) -> str:
        out = subprocess.run([sys.executable, "-c", SKEWED_TAKE, str(db), str(shift), what],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    until = parse_iso(skewed("take"))
    assert until is not None and abs(until.timestamp() - (time.time() + 1800)) < 60
    assert [t.article_id for t in open_desk(db).takes()] == ["a1"]
    open_desk(db).release("a1")
    open_desk(db).take("a2", minutes=30)
    assert skewed("read") == "['a2']"


def test_names_are_checked_before_anything_is_written(db: Path) -> None:
    desk = open_desk(db)
    assert desk.add_watch("central bank", "ecb OR fed").name == "central bank"
    for bad in ("", " lead", "a\x1b]2;x\x07", "two\nlines", "a\u202eb", "x" * 65):
        with pytest.raises(ValueError):
            desk.add_watch(bad, "q")
    for bad in ("two words", "ana\n", ""):
        with pytest.raises(ValueError):
            desk.hand("a1", bad)
    for bad_minutes in (0, -5, float("nan"), 1e12):
        with pytest.raises(ValueError):
            desk.take("a1", minutes=bad_minutes)
    assert [a.kind for a in desk.acts()] == ["watch"]


def test_a_member_file_removed_since_it_was_read_is_said(db: Path) -> None:
    writer = open_desk(db)
    writer.take("a1", minutes=5)
    reader = open_desk(db)
    (desk_folder(db) / f"{writer.user}.jsonl").unlink()  # as the folder's owner may
    assert reader.refresh() is True and reader.takes() == []
    assert "removed since it was read" in reader.damage


def test_the_history_keeps_the_order_the_lock_let_the_acts_in(db: Path) -> None:
    """A line stamped a little ahead (a clock of coarser grain, a process whose offset was measured a
    moment earlier) does not put the next act before it: each act is stamped after every act read."""
    from triage.store.deskfolder import iso_ns
    from triage.store.deskstate import make_uid

    first = open_desk(db)
    first.take("a1", minutes=5)
    soon = iso_ns(time.time_ns() + 400_000_000)
    ahead = {"v": 1, "kind": "handoff", "uid": make_uid(first.user), "at": soon, "user": first.user,
             "host": "h", "article_id": "a1", "to": DESK}
    with open(desk_folder(db) / f"{first.user}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(ahead) + "\n")
    second = open_desk(db)
    second.release("a1")
    # a stamp hours ahead (a clock set right since): believed, not followed
    far = dict(ahead, uid=make_uid(first.user), at=iso_ns(time.time_ns() + 2 * 3600 * 10**9))
    with open(desk_folder(db) / f"{first.user}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(far) + "\n")
    second.hand("a1", DESK)
    assert [a.kind for a in second.acts()] == ["take", "handoff", "release", "handoff", "handoff"]
    assert second.acts()[3].at < far["at"] == second.acts()[4].at


def test_of_a_member_file_too_large_to_read_its_latest_lines_are_read(db: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A file larger than a reader takes in at once (a member who writes gigabytes) costs its older
    lines, said once; what is in force now (its latest lines) and what comes after are read."""
    import triage.store.deskfiles as deskfiles

    monkeypatch.setattr(deskfiles, "MAX_DESK_FILE", 4096)
    writer = open_desk(db)
    for i in range(40):
        writer.take(f"old-{i}", minutes=30)
    writer.take("latest", minutes=30)
    reader = open_desk(db)
    held = {t.article_id for t in reader.takes()}
    assert "latest" in held and "old-0" not in held and 0 < len(held) < 41
    assert "to read; only its last" in reader.damage
    writer.take("after", minutes=30)
    assert reader.refresh() and "after" in {t.article_id for t in reader.takes()}


def test_a_reader_thread_never_waits_for_a_write_waiting_on_the_lock(db: Path) -> None:
    FileDesk(desk_folder(db)).take("a0", minutes=5)
    desk = FileDesk(desk_folder(db), lock_timeout=3)
    with open(desk_folder(db) / "desk.lock", "r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's write, in effect
        waited: list[object] = []

        def write() -> None:
            began = time.monotonic()
            try:
                desk.take("a1", minutes=5)
                waited.append("taken")
            except StoreError:
                waited.append(time.monotonic() - began)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert [t.article_id for t in desk.takes()] == ["a0"] and desk.refresh() is False
        assert time.monotonic() - started < 1.5  # not the 3 s the writer waits
        writer.join(10)
    # the writer waited out its lock timeout and was refused, all the while the reader read
    assert len(waited) == 1 and isinstance(waited[0], float) and waited[0] >= 2.5, waited


def test_a_write_that_fails_before_its_line_keeps_every_earlier_line(db: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    kept = mine.read_bytes()
    os.chmod(mine, 0o644)  # a mode to set back: the write fails there (a read-only remount, EIO)

    def refused(fd: int, mode: int) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "fchmod", refused)
    with pytest.raises(StoreError):
        desk.take("a1", minutes=5)
    assert mine.read_bytes() == kept  # not cut to nothing
    monkeypatch.undo()
    assert [t.article_id for t in open_desk(db).takes()] == ["a0"]


def test_a_line_read_then_cut_back_by_its_failed_write_is_not_believed_after_the_next(db: Path) -> None:
    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    before = mine.stat().st_size
    reader = open_desk(db)
    desk.take("a1", minutes=5)  # whole in the file, then its fdatasync fails: the writer cuts it off
    assert reader.refresh() and sorted(t.article_id for t in reader.takes()) == ["a0", "a1"]
    time.sleep(0.05)
    os.truncate(mine, before)
    open_desk(db).take("a2", minutes=5)  # the retry: a line of the same length where a1 was
    reader.refresh()
    assert sorted(t.article_id for t in reader.takes()) == ["a0", "a2"]


def test_a_take_dated_far_ahead_or_longer_than_a_week_written_by_hand_is_not_believed(db: Path) -> None:
    from triage.store.deskstate import make_uid

    desk = open_desk(db)
    desk.take("a0", minutes=5)
    mine = desk_folder(db) / f"{desk.user}.jsonl"
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())

    def line(article: str, at: str, until: str) -> bytes:
        doc = {"v": 1, "kind": "take", "uid": make_uid(desk.user), "at": at, "user": desk.user, "host": "h",
               "article_id": article, "until": until}
        return json.dumps(doc).encode() + b"\n"

    with open(mine, "ab") as fh:  # a member holding every story for ever, or always the latest claim
        fh.write(line("ahead", "2098-01-01T10:00:00.000000Z", "2098-01-01T11:00:00.000000Z"))
        fh.write(line("forever", now, "2099-01-01T10:00:00.000000Z"))
    ahead = time.mktime((2098, 1, 1, 12, 0, 0, 0, 0, 0))
    os.utime(mine, (ahead, ahead))  # and the file's time set to match: its owner may set it
    reader = open_desk(db)
    assert [t.article_id for t in reader.takes()] == ["a0"]
    assert "not believed" in reader.damage and "1 more" in reader.damage


def test_refresh_when_nothing_changed_looks_no_more_at_files_not_believed(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import triage.store.deskfiles as deskfiles

    writer = open_desk(db)
    writer.take("a1", minutes=5)
    folder = desk_folder(db)
    for n in range(200):  # a member's heap of files named after nobody they are
        (folder / f"someone{n}.jsonl").write_bytes(b"{}\n")
    os.utime(folder, (time.time() - 10, time.time() - 10))  # listed once, then quiet
    reader = open_desk(db)
    assert [t.article_id for t in reader.takes()] == ["a1"]
    looked: list[str] = []
    real = os.lstat
    monkeypatch.setattr(deskfiles.os, "lstat", lambda path, *a, **k: looked.append(str(path))
                        or real(path, *a, **k))
    assert reader.refresh() is False
    assert looked == [str(folder / f"{writer.user}.jsonl")]  # the one file believed


def test_of_a_heap_of_files_of_one_member_only_a_few_are_read(db: Path) -> None:
    from triage.store.deskfiles import MAX_FILES
    from triage.store.deskstate import make_uid

    writer = open_desk(db)
    writer.take("a0", minutes=5)
    folder = desk_folder(db)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    for n in range(MAX_FILES + 3):
        doc = {"v": 1, "kind": "handoff", "uid": make_uid(writer.user), "at": now, "user": writer.user,
               "host": "h", "article_id": f"h{n}", "to": DESK}
        (folder / f"{writer.user}.{n:016x}.jsonl").write_text(json.dumps(doc) + "\n")
    reader = open_desk(db)
    assert len(reader.handoffs()) + len(reader.takes()) == MAX_FILES
    assert f"more than {MAX_FILES} files" in reader.damage


def test_a_new_desk_folder_never_replaces_an_empty_one_another_member_just_made(tmp_path: Path) -> None:
    """rename(2) replaces an empty folder: the second of two members making a desk at once took the first
    one's folder away from under its lock file. Moving a folder into place never replaces one."""
    from triage.store.deskfolder import _rename_noreplace

    made, theirs = tmp_path / "made", tmp_path / "theirs"
    made.mkdir()
    theirs.mkdir()
    with pytest.raises(FileExistsError):
        _rename_noreplace(made, theirs)
    assert made.is_dir() and theirs.is_dir()
    _rename_noreplace(made, tmp_path / "free")
    assert (tmp_path / "free").is_dir() and not made.exists()
