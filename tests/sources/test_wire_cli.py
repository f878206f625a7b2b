"""`triage ingest --json` carries the wire fields (a real process, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WIRE = Path(__file__).parent / "data" / "wire"
KEYS = [
    "id",
    "title",
    "source",
    "url",
    "published",
    "text",
    "path",
    "urgency",
    "slugline",
    "version",
    "pubstatus",
    "embargoed",
    "ednote",
    "author",
    "dateline",
    "language",
    "guid",
    "provider",
    "subjects",
]


def test_ingest_json_carries_the_wire_fields(tmp_path):
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "PATH": "/usr/bin:/bin",
    }
    files = [
        WIRE / "newsml-g2" / "examples" / "LISTING_1_A_NewsML-G2_News_Item.xml",
        WIRE / "own" / "ap-kill.tst",
    ]
    out = subprocess.run(
        [sys.executable, "-m", "triage", "ingest", "--no-cache", "--json", *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert all(k in row for k in KEYS), set(KEYS) - set(row)
    g2, kill = rows
    assert g2["guid"] == "urn:newsml:acmenews.com:20161018:US-FINANCE-FED" and g2["version"] == "11"
    assert (
        g2["embargoed"] == "2018-10-23T12:00:00Z"
        and g2["language"] == "en-GB"
        and g2["provider"] == "Reuters"  # REUTERS in the file: one name per provider
    )
    assert g2["subjects"][0] == {"code": "medtop:04000000", "name": "economy, business and finance"}
    assert kill["pubstatus"] == "canceled" and kill["urgency"] == 2 and kill["slugline"] == "Budget-Vote"
    assert kill["version"] == "Kill" and kill["provider"] == "AP"


def test_a_spooled_wire_article_keeps_its_wire_fields(tmp_path):
    import dataclasses

    from triage.sources import read_file

    (a,), _ = read_file(WIRE / "newsml-g2" / "examples" / "LISTING_1_A_NewsML-G2_News_Item.xml")
    row = {k: v for k, v in dataclasses.asdict(a).items() if k not in ("updated", "duplicates_of")}
    (tmp_path / "desk.spool.jsonl").write_text(json.dumps(row) + "\n")  # as fetch.py writes it
    (b,), problems = read_file(tmp_path / "desk.spool.jsonl")
    assert not problems and b == a
