"""`triage summarize`: the JSON lines contract and the readable output, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from triage.cli.summarize import summarize

from .conftest import DEMO, demo_article


def _norm(s: str) -> str:
    return " ".join(s.split())


def test_jsonl_contract(pipe, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    arts = [demo_article(i) for i in (1, 2, 3)]
    lines = [
        json.dumps({"id": arts[0].id, "title": arts[0].title, "text": arts[0].text}),
        json.dumps({"id": arts[1].id, "title": arts[1].title, "text": arts[1].text, "k": 2}),
        "this is not json",
        json.dumps({"id": "no-text", "title": "x"}),
        json.dumps({"id": "bad-k", "text": "A sentence.", "k": "three"}),
        json.dumps({"id": arts[2].id, "title": arts[2].title, "text": arts[2].text, "k": 1}),
    ]
    result = CliRunner().invoke(summarize, ["--jsonl", "--sentences", "3"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["id"] for r in rows] == [arts[0].id, arts[1].id, None, "no-text", "bad-k", arts[2].id]
    assert [len(r["summary"]) for r in rows] == [3, 2, 0, 0, 0, 1]
    for r, a in ((rows[0], arts[0]), (rows[1], arts[1]), (rows[5], arts[2])):
        assert all(_norm(s) in _norm(a.text) for s in r["summary"])
        assert isinstance(r["entities"], dict)
        for ents in r["entities"].values():
            assert all(set(e) == {"text", "count"} for e in ents)
    assert rows[2]["entities"] == {} and rows[3]["summary"] == []
    assert result.stderr.count("triage: stdin line") == 3
    assert (tmp_path / "analysis-cache.sqlite").exists()


def test_files_are_printed_readably(pipe, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    path = min(DEMO.glob("01-*"))
    result = CliRunner().invoke(summarize, [str(path), "--sentences", "2", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "•" in result.stdout and "places:" in result.stdout
    title = path.read_text(encoding="utf-8").splitlines()[0].strip()
    assert title in result.stdout


def test_no_input_is_a_usage_error():
    result = CliRunner().invoke(summarize, [])
    assert result.exit_code == 2


def test_jsonl_lines_name_their_language(pipe, tmp_path, monkeypatch):
    """A German line goes through a German pipeline: German sentences, no English entities; a language
    that is not a string is one bad line."""
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    german = ("Die Regierung in Berlin hat am Dienstag neue Regeln beschlossen. Sie sollen ab dem 3. März "
              "gelten, z. B. für Busse. Die Opposition kritisierte den Plan scharf.")
    lines = [json.dumps({"id": "de", "title": "Regeln", "text": german, "language": "de", "k": 2}),
             json.dumps({"id": "bad", "text": "x", "language": 5})]
    result = CliRunner().invoke(summarize, ["--jsonl", "--no-cache"], input="\n".join(lines) + "\n")
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [r["id"] for r in rows] == ["de", "bad"]
    assert rows[0]["summary"] and all(s in german for s in rows[0]["summary"])
    assert not any(s.rstrip().endswith(("dem 3.", "z. B.")) for s in rows[0]["summary"])  # German rules
    assert rows[0]["entities"] == {}
    assert rows[1]["summary"] == []
    assert '"language" is not a string' in result.stderr
