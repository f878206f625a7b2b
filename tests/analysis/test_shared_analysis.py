"""The desk's shared analysis: each story analysed once per host, whoever's TUI gets to it first.

Real services in real processes on one inbox and one decisions file; the real model; entries another
member damaged or planted; a second real uid (65534 through setpriv) in the desk's group, and an
outsider (65533)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.colleague import AS_NOBODY, NOBODY, as_user, needs_root, shared_folder
from triage.analysis import Analyzer
from triage.analysis.pool import AnalysisPool
from triage.analysis.shared import BadEntry, Claim, SharedCache, entry_bytes, entry_from_bytes, file_stem
from triage.model import Analysis, Article, Entity

# One TUI's service, headless: waits for the go file, then runs the live side (load, analysis) as
# the TUI does until every story has its summary; prints what its analysis pool did.
CHILD = r'''
import json, os, resource, sys, threading, time
from pathlib import Path

def main():
    from triage.config import load_settings
    from triage.core import events
    from triage.core.service import TriageService

    inbox, db, data, go, processes = sys.argv[1:6]
    settings = load_settings(db=Path(db), data_dir=Path(data), inbox=[inbox], use_user_config=False,
                             overrides={"analysis": {"processes": int(processes)},
                                        "store": {"poll_seconds": 0}})
    svc = TriageService(settings)
    loaded = threading.Event()
    svc.listeners.append(lambda e: loaded.set() if isinstance(e, events.LoadProgress) and e.finished
                         else None)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    svc.start()
    assert loaded.wait(300), "the inbox was not read"
    analyses = svc.analyses
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        leaders = svc.catalog.leaders()
        if leaders and all(a in analyses.known or analyses.analyzer.cached(svc.catalog.article(a))
                           for a in leaders):
            break
        time.sleep(0.05)
    pool = analyses.pool
    out = {"leaders": sorted(leaders), "computed": pool.computed, "from_desk": pool.from_desk,
           "workers": pool.worker_pids(), "spacy_here": "spacy" in sys.modules}
    svc.close()
    out["worker_cpu"] = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
    print(json.dumps(out))

if __name__ == "__main__":
    main()
'''

OUTSIDER = 65533
AS_OUTSIDER = as_user(OUTSIDER)


def _demo_inbox(dest: Path, n: int | None = None) -> Path:
    from triage.cli.common import demo_dir

    dest.mkdir(parents=True)
    for path in sorted(demo_dir().glob("*.txt"))[:n]:
        shutil.copy(path, dest / path.name)
    return dest


def _articles(n: int) -> list[Article]:
    from triage.cli.common import demo_dir

    out = []
    for path in sorted(demo_dir().glob("*.txt"))[:n]:
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        out.append(Article(id=path.stem[:24], title=title.strip(), text=body.strip()))
    return out


def _run_services(tmp_path: Path, inbox: Path, names: list[str], processes: int = 1) -> list[dict]:
    """Start one headless service per name, each in its own process and data folder, on one inbox and
    one decisions file, at the same moment; what each analysis pool did."""
    script = tmp_path / "service_child.py"
    script.write_text(CHILD, encoding="utf-8")
    go = tmp_path / f"go-{'-'.join(names)}"
    procs = [subprocess.Popen([sys.executable, str(script), str(inbox), str(tmp_path / "decisions.json"),
                               str(tmp_path / f"data-{name}"), str(go), str(processes)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
             for name in names]
    for p in procs:  # each has imported triage and waits for the go file: they start together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=1200)
        assert p.returncode == 0, err[-3000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def test_two_services_started_together_analyse_each_story_once_and_a_colleague_analyses_none(tmp_path):
    inbox = _demo_inbox(tmp_path / "inbox")
    a, b = _run_services(tmp_path, inbox, ["ana", "ben"])
    stories = a["leaders"]
    assert stories and b["leaders"] == stories
    assert a["computed"] + b["computed"] == len(stories)  # once between them, not once each
    assert a["computed"] + a["from_desk"] == len(stories) == b["computed"] + b["from_desk"]
    entries = list((tmp_path / "decisions.json.desk" / "analysis").glob("*.json"))
    assert len(entries) == len(stories)
    assert not list((tmp_path / "decisions.json.desk" / "analysis").glob("*.claim"))  # all let go

    [cy] = _run_services(tmp_path, inbox, ["cy"])  # a colleague starts later: nothing of theirs cached
    assert cy["leaders"] == stories
    assert cy["computed"] == 0 and cy["from_desk"] == len(stories)
    assert cy["workers"] == [] and not cy["spacy_here"]  # no worker process was started: no spaCy time


# -- hostile and damaged entries -----------------------------------------------------------------
@pytest.fixture(scope="module")
def analysed() -> tuple[list[Article], dict[str, Analysis]]:
    """Ten demo stories and their analyses by the real model (in this process)."""
    arts = _articles(10)
    an = Analyzer(cache_path=None)
    return arts, {aid: got for aid, got in an.analyze_many(arts)}


def _pool_run(analyzer: Analyzer, arts: list[Article]) -> AnalysisPool:
    """Every story through a pool analysing in this process (as `analysis.processes = 0`)."""
    by_id = {a.id: a for a in arts}
    delivered: set[str] = set()
    done = threading.Event()

    def on_done(ok, bad):
        delivered.update(aid for aid, _ in ok)
        delivered.update(aid for aid, _ in bad)
        if delivered >= set(by_id):
            done.set()

    pool = AnalysisPool(analyzer, article_of=by_id.get, on_done=on_done, processes=0)
    pool.start()
    try:
        pool.add(list(by_id))
        assert done.wait(300)
    finally:
        pool.stop()
    return pool


def _damage(folder: Path, shared: SharedCache, an: Analyzer, arts: list[Article]) -> dict[str, str]:
    """Damage the entries of the first eight stories, each its own way; story id -> how."""
    def path(art: Article) -> Path:
        return shared.path(an.cache_key(art))

    def rewrite(art: Article, payload: bytes) -> None:
        path(art).unlink()
        path(art).write_bytes(payload)

    entry = [json.loads(path(a).read_bytes()) for a in arts]
    how = {}
    rewrite(arts[0], b'{"schema": 1, "key": "trunc')
    how[arts[0].id] = "not JSON"
    bad = dict(entry[1])
    bad["analysis"] = dict(bad["analysis"], summary="one string", spans=[["0", "9"]])
    rewrite(arts[1], json.dumps(bad).encode())
    how[arts[1].id] = "wrong types"
    bad = dict(entry[2])
    end = len(arts[2].text)
    bad["analysis"] = dict(bad["analysis"], summary=["x"], spans=[[end, end + 40]])
    rewrite(arts[2], json.dumps(bad).encode())
    how[arts[2].id] = "a span outside the text"
    other = dict(entry[4], key=an.cache_key(arts[3]))  # another story's analysis under this key
    rewrite(arts[3], json.dumps(other).encode())
    how[arts[3].id] = "made for another text"
    path(arts[4]).unlink()
    with open(path(arts[4]), "wb") as f:
        f.truncate(64 << 20)  # 64 MB, sparse
    how[arts[4].id] = "a huge file"
    path(arts[5]).unlink()
    os.mkfifo(path(arts[5]))
    how[arts[5].id] = "a FIFO"
    path(arts[6]).unlink()
    os.symlink(path(arts[9]), path(arts[6]))
    how[arts[6].id] = "a symbolic link"
    rewrite(arts[7], b"[" * 200_000 + b"]" * 200_000)
    how[arts[7].id] = "nested beyond reason"
    return how


def test_a_damaged_or_hostile_entry_costs_its_story_one_fresh_analysis_and_one_log_line(
        tmp_path, analysed, caplog):
    arts, want = analysed
    folder = tmp_path / "decisions.json.desk" / "analysis"
    first = Analyzer(cache_path=tmp_path / "first.sqlite", shared=SharedCache(folder))
    assert _pool_run(first, arts).computed == len(arts)  # written for the desk
    shared = SharedCache(folder)
    how = _damage(folder, shared, first, arts)

    second = Analyzer(cache_path=tmp_path / "second.sqlite", shared=shared)
    caplog.set_level(logging.WARNING, logger="triage.analysis.shared")
    started = time.monotonic()
    pool = _pool_run(second, arts)
    assert time.monotonic() - started < 120  # no FIFO blocked it, no huge file was read whole
    assert pool.computed == len(how) and pool.from_desk == len(arts) - len(how)
    for art in arts:
        lines = [r.getMessage() for r in caplog.records if f"story {art.id} " in r.getMessage()]
        assert len(lines) == (1 if art.id in how else 0), (how.get(art.id), lines)
        got = second.cached(art)
        assert got is not None and got.summary == want[art.id].summary and got.spans == want[art.id].spans
    assert "a symbolic link" in caplog.text and "made for another text" in caplog.text

    # our own bad entries were replaced by the fresh analyses: a third start analyses nothing
    third = Analyzer(cache_path=tmp_path / "third.sqlite", shared=SharedCache(folder))
    assert _pool_run(third, arts).computed == 0


def test_the_checker_refuses_what_is_not_an_analysis_of_this_text():
    art = Article(id="a", title="Title", text="One sentence here. Another one there, Ann Lee said.")
    good = Analysis(summary=("Another one there, Ann Lee said.",), spans=((19, 51),),
                    entities={"people": (Entity("Ann Lee", "people", 2, ("Lee",)),)}, key_terms=("one",),
                    model="m 1", reading_minutes=0.1)
    key = "k|m 1|5|k4"
    assert entry_from_bytes(entry_bytes(key, art, good), key, art) == good

    def tamper(**changes) -> bytes:
        d = json.loads(entry_bytes(key, art, good))
        d["analysis"].update(changes)
        return json.dumps(d).encode()

    for raw, why in [
        (tamper(spans=[[18, 37]]), "not the text at its span"),
        (tamper(spans=[[19, 370]]), "in range"),
        (tamper(summary=["Another one there.", "x"]), "differ in length"),
        # a summary made of pieces of sentences, and names and terms the story does not have
        (tamper(summary=["One sentence", "Ann Lee said."], spans=[[0, 12], [38, 51]]), "whole sentence"),
        (tamper(entities={"people": [["John Doe", 1, []]]}), "a name is not in the story"),
        (tamper(entities={"people": [["Ann Lee", 1, ["Ann Bribes"]]]}), "a name is not in the story"),
        (tamper(key_terms=["bribes"]), "a key term is not in the story"),
        (tamper(entities={"weapons": []}), "kind is unknown"),
        (tamper(entities={"people": [["A", -1, []]]}), "count"),
        (tamper(entities={"people": [["A" * 5000, 1, []]]}), "too long"),
        (tamper(reading_minutes=float("nan")), "reading_minutes"),
        (tamper(entities_available="yes"), "entities_available"),
        (tamper(key_terms=[{"a": 1}]), "not a string"),
        (entry_bytes(key, art, good).replace(b'"schema":1', b'"schema":2'), "version"),
        (entry_bytes("other", art, good), "another key"),
        (entry_bytes(key, Article(id="a", title="Title", text="Other text"), good), "another text"),
        (b"\xff\xfe not utf-8", "not JSON"),
        (b"x" * (2 << 20), "too large"),
    ]:
        with pytest.raises(BadEntry, match=why):
            entry_from_bytes(raw, key, art)


# -- claims ---------------------------------------------------------------------------------------
def test_a_claim_stands_while_its_holder_lives_and_is_taken_over_when_it_dies_or_takes_too_long(tmp_path):
    folder = tmp_path / "decisions.json.desk" / "analysis"
    code = ("import os, sys, time; from pathlib import Path; from triage.analysis.shared import SharedCache; "
            "c = SharedCache(Path(sys.argv[1])).claim(sys.argv[2]); print(c.value, flush=True); "
            "time.sleep(float(sys.argv[3])); os.kill(os.getpid(), 9)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(folder), "key-1", "30"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "mine"
        mine = SharedCache(folder, claim_wait=3600)
        assert mine.claim("key-1") is Claim.THEIRS and mine.claim_stands("key-1")
        patient = SharedCache(folder, claim_wait=0.2)  # by its own clock: held too long
        assert patient.claim("key-1") is Claim.THEIRS
        time.sleep(0.3)
        assert patient.claim("key-1") is Claim.FREE and not patient.claim_stands("key-1")
    finally:
        holder.kill()
        holder.wait()
    # killed while holding it (kill -9): taken over at once, and the dead claim (ours) removed
    assert mine.claim("key-1") is Claim.MINE
    mine.release("key-1")
    assert not list(folder.glob("*.claim"))

    art = Article(id="a", title="T", text="Some text.")
    analysis = Analysis(summary=("Some text.",), spans=((0, 10),))
    mine.put("key-2", art, analysis)
    assert mine.claim("key-2") is Claim.DONE  # nothing to claim: read it


def test_a_claim_replaced_again_and_again_is_still_taken_over_after_the_wait(tmp_path):
    """A member who re-creates their claim file (a new inode each time) more often than the wait, from a
    host we cannot check, held a story for good: the wait runs from the first sight of any claim on it."""
    folder = tmp_path / "decisions.json.desk" / "analysis"
    patient = SharedCache(folder, claim_wait=0.3)
    assert patient.usable()
    claim = folder / f"{file_stem('key-1')}.claim"
    kept = []

    def replant() -> None:
        new = folder / "plant.tmp"
        new.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "start": 1}), encoding="utf-8")
        if claim.exists():
            kept.append(claim.open())  # the old inode stays alive: the new file gets another
        os.replace(new, claim)

    replant()
    assert patient.claim("key-1") is Claim.THEIRS
    got = []
    for _ in range(4):
        time.sleep(0.12)
        replant()
        got.append(patient.claim("key-1"))
    assert got[-1] is Claim.FREE and Claim.FREE in got[1:]
    for f in kept:
        f.close()


# -- another member and an outsider (real uids) ---------------------------------------------------
@pytest.fixture
def group_desk() -> Iterator[Path]:
    """A folder the desk's group (gid 65534) shares, setgid 2770, as a decisions file's folder is."""
    shared = shared_folder("triage-shared-")
    yield shared
    shutil.rmtree(shared.parent, ignore_errors=True)


MEMBER = r'''
import json, os, sys
from pathlib import Path
from triage.analysis.shared import SharedCache
from triage.model import Analysis, Article
a = json.loads(sys.stdin.read())
folder, key, entry = Path(a["folder"]), a["key"], Path(a["entry"])
art = Article(id="x", title=a["title"], text=a["text"])
out = {"read": len(entry.read_bytes()) > 0}
for name, act in [("unlink", lambda: os.unlink(entry)), ("write", lambda: open(entry, "r+b").write(b"{}")),
                  ("replace", lambda: (open(folder / "mine.tmp", "wb").close(),
                                       os.replace(folder / "mine.tmp", entry))),
                  ("chmod", lambda: os.chmod(entry, 0o666))]:
    try:
        act()
        out[name] = "done"
    except OSError as exc:
        out[name] = type(exc).__name__
try:
    os.unlink(folder / "mine.tmp")
except OSError:
    pass
fake = Analysis(summary=(art.text[:4],), spans=((0, 4),))
cache = SharedCache(folder, group=True)
cache.put(key, art, fake)  # an entry is there: kept
text2 = a["text2"]
cache.put(a["key2"], Article(id="y", title=a["title2"], text=text2),
          Analysis(summary=(text2,), spans=((0, len(text2)),)))
print(json.dumps(out))
'''


@needs_root
def test_a_member_cannot_replace_anothers_entry_and_an_outsider_cannot_read_the_folder(group_desk):
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import triage.analysis.shared"],
                           capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("uid 65534 cannot run this Python and triage")
    folder = group_desk / "decisions.json.desk" / "analysis"
    mine = SharedCache(folder, group=True)
    art = Article(id="a", title="Mine", text="The owner's story. It has two sentences.")
    analysis = Analysis(summary=("It has two sentences.",), spans=((19, 40),))
    mine.put("key-1", art, analysis)
    entry = mine.path("key-1")
    for made in (folder.parent, folder):  # made by triage: setgid, sticky, the group's
        st = os.stat(made)
        assert stat.S_IMODE(st.st_mode) == 0o3770 and st.st_gid == NOBODY
    st = os.stat(entry)
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == NOBODY
    before = entry.read_bytes()

    text2 = "A colleague's story."
    args = {"folder": str(folder), "key": "key-1", "entry": str(entry), "title": art.title, "text": art.text,
            "key2": "key-2", "title2": "Theirs", "text2": text2}
    run = subprocess.run([*AS_NOBODY, sys.executable, "-c", MEMBER], input=json.dumps(args),
                         capture_output=True, text=True, timeout=120, cwd="/")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out == {"read": True, "unlink": "PermissionError", "write": "PermissionError",
                   "replace": "PermissionError", "chmod": "PermissionError"}
    assert entry.read_bytes() == before and mine.get("key-1", art) == analysis
    theirs = mine.get("key-2", Article(id="y", title="Theirs", text=text2))  # the member's: read, checked
    assert theirs is not None and theirs.summary == (text2,)
    assert os.stat(mine.path("key-2")).st_uid == NOBODY

    outsider = subprocess.run([*AS_OUTSIDER, sys.executable, "-c",
                               "import os, sys\nfor act in (lambda: os.listdir(sys.argv[1]), "
                               "lambda: open(sys.argv[2], 'rb').read()):\n"
                               "    try:\n        act(); print('read')\n"
                               "    except PermissionError:\n        print('refused')",
                               str(folder), str(entry)], capture_output=True, text=True, timeout=60, cwd="/")
    assert outsider.stdout.split() == ["refused", "refused"], outsider.stderr


@needs_root
def test_a_shared_folder_where_members_could_remove_each_others_entries_is_not_used(group_desk, caplog):
    desk = group_desk / "decisions.json.desk"
    made = subprocess.run([*AS_NOBODY, "sh", "-c", f"mkdir -m 3770 {desk} && mkdir -m 2770 {desk}/analysis"],
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    caplog.set_level(logging.WARNING, logger="triage.analysis.shared")
    cache = SharedCache(desk / "analysis", group=True)
    art = Article(id="a", title="T", text="Some text.")
    cache.put("key", art, Analysis(summary=("Some text.",), spans=((0, 10),)))
    assert cache.get("key", art) is None and cache.claim("key") is Claim.FREE
    assert not os.listdir(desk / "analysis")
    [line] = [r.getMessage() for r in caplog.records]
    assert "no sticky bit" in line and "this editor only" in line


def test_a_story_whose_claimant_is_killed_meanwhile_is_analysed_here(tmp_path, analysed):
    arts, want = analysed
    art = arts[0]
    folder = tmp_path / "decisions.json.desk" / "analysis"
    an = Analyzer(cache_path=tmp_path / "mine.sqlite", shared=SharedCache(folder))
    code = ("import sys, time; from pathlib import Path; from triage.analysis.shared import SharedCache; "
            "print(SharedCache(Path(sys.argv[1])).claim(sys.argv[2]).value, flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(folder), an.cache_key(art)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "mine"
        delivered = threading.Event()
        pool = AnalysisPool(an, article_of={art.id: art}.get, processes=0,
                            on_done=lambda ok, bad: delivered.set() if ok or bad else None)
        pool.start()
        pool.add([art.id])
        deadline = time.monotonic() + 60
        while not pool.awaiting and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pool.awaiting == 1 and not delivered.is_set()  # another process has it
        holder.kill()  # kill -9: its claim stays behind
        holder.wait()
        assert delivered.wait(60)
        pool.stop()
    finally:
        holder.kill()
        holder.wait()
    got = an.cached(art)
    assert pool.computed == 1 and got is not None and got.summary == want[art.id].summary
    assert not list(folder.glob("*.claim"))
