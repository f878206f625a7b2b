"""Wire copy read raw: the summary never takes the slug, the take key, the editor's note, the
dateline or the byline, and the story sentence a dateline is glued to keeps its words."""

from __future__ import annotations

import pytest

from triage.analysis import summarize_text
from triage.analysis.furniture import is_furniture, leading_furniture
from triage.analysis.sentences import split_sentences

WIRE = """BC-Germany-Politics,1stLd-Writethru

Eds: UPDATES with comment from the chancellor's office. With AP Photos.

Germany's coalition survives budget vote

By JOHN DOE

Associated Press

BERLIN (AP) — Germany's governing coalition survived a tense budget vote in parliament on Tuesday, \
ending weeks of open quarrels between its three parties over spending on defence and welfare.

The budget passed by 368 votes to 312 after the Free Democrats dropped their demand for deeper cuts \
to social programmes in exchange for a tighter limit on new borrowing next year.

Chancellor Olaf Scholz told lawmakers the agreement showed that the coalition could still govern, \
though opposition leaders called the deal a truce that would not last until the next election.

Economists said the compromise left the country's largest investment questions unanswered, \
including how to pay for new rail lines and for the upgrade of the electricity grid.

The finance ministry said it expected the economy to grow by 0.3 percent next year."""


@pytest.mark.parametrize(
    "line",
    [
        "BC-Germany-Politics,1stLd-Writethru",
        "^AM-Germany-Politics,0412<",
        "AP-WF-1201",
        "Eds: UPDATES with comment from the chancellor's office.",
        "EDITOR'S NOTE: This story contains strong language.",
        "By JOHN DOE",
        "By JOHN DOE, Associated Press Writer",
        "BERLIN",
        "BERLIN, Germany",
        "BERLIN, Dec. 1 (Reuters) -",
    ],
)
def test_wire_transmission_lines_are_furniture(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Germany's governing coalition survived a tense budget vote in parliament on Tuesday.",
        "NATO said no.",
        "The U.S.-Mexico-Canada agreement took effect in July.",
        "A CNN-ORC poll found otherwise.",
    ],
)
def test_story_sentences_are_not_furniture(line):
    assert not is_furniture(line)


@pytest.mark.parametrize(
    ("text", "story"),
    [
        ("BERLIN (AP) — The vote failed.", "The vote failed."),
        ("BERLIN, Dec. 1 (Reuters) - The vote failed.", "The vote failed."),
        ("WASHINGTON — The vote failed.", "The vote failed."),
        ("WASHINGTON, Dec. 1 -- The vote failed.", "The vote failed."),
        ("Eds: UPDATES with quotes. BERLIN (AP) — The vote failed.", "The vote failed."),
    ],
)
def test_a_dateline_glued_to_the_story_is_cut_off(text, story):
    assert text[leading_furniture(text) :] == story


def test_summary_of_raw_wire_copy_takes_story_sentences_only(pipe):
    for k in (1, 3, 5):
        summary = summarize_text("", WIRE, k, nlp=pipe.nlp)
        assert len(summary) == k
        joined = " ".join(summary)
        for furniture in (
            "BC-Germany",
            "Writethru",
            "Eds:",
            "By JOHN DOE",
            "Associated Press",
            "BERLIN (AP)",
        ):
            assert furniture not in joined, (k, furniture, summary)
    lead = summarize_text("", WIRE, 1, nlp=pipe.nlp)[0]
    assert lead.startswith("Germany's governing coalition survived")


def test_wire_sentences_mark_the_furniture(pipe):
    sents = split_sentences(pipe.nlp(WIRE))
    marked = {s.text for s in sents if s.furniture}
    assert {"BC-Germany-Politics,1stLd-Writethru", "By JOHN DOE", "Associated Press"} <= marked
    assert all(s.furniture for s in sents if s.text.startswith("Eds:")) and "With AP Photos." in marked
    assert not any(s.text.startswith("BERLIN") for s in sents)
