"""Wire copy read raw: the summary never takes the slug, the take key, the editor's note, the
dateline or the byline, and the story sentence a dateline is glued to keeps its words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from triage.analysis import summarize_text
from triage.analysis.furniture import is_summary_furniture, leading_furniture
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
    assert is_summary_furniture(line)


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
    assert not is_summary_furniture(line)


@pytest.mark.parametrize(
    ("text", "story"),
    [
        ("BERLIN (AP) — The vote failed.", "The vote failed."),
        ("BERLIN, Dec. 1 (Reuters) - The vote failed.", "The vote failed."),
        ("WASHINGTON — The vote failed.", "The vote failed."),
        ("WASHINGTON, Dec. 1 -- The vote failed.", "The vote failed."),
        ("Eds: UPDATES with quotes. BERLIN (AP) — The vote failed.", "The vote failed."),
        ("WASHINGTON (AP) _ The vote failed.", "The vote failed."),  # ANPA: 7-bit, no dash
        ("BERLIN _ The vote failed.", "The vote failed."),
        ("ROTTERDAM, Dec 2 - The vote failed.", "The vote failed."),
        ("(Sports Network) - The vote failed.", "The vote failed."),
        ("Lisboa, 28 jan 2025 (NewsAgency) -- The vote failed.", "The vote failed."),
        ("(New York, NY - October 21) The vote failed.", "The vote failed."),
        ("NATO - the alliance said no.", "NATO - the alliance said no."),
        ("Obama said on Dec 2 - in a speech - that he would.",) * 2,
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


WIRE_DATA = Path(__file__).resolve().parents[1] / "sources" / "data" / "wire"
REAL_WIRE = [
    *sorted((WIRE_DATA / "own").glob("*")),  # ANPA (.tst), IPTC 7901 (dpa), a mailed story
    *sorted((WIRE_DATA / "newsml-g2" / "examples").glob("*.xml")),
    *sorted((WIRE_DATA / "nitfr" / "fixtures").glob("*.xml")),  # NITF
    *sorted((WIRE_DATA / "pynewsml" / "fixtures").glob("*.xml")),  # NewsML 1
    *sorted((WIRE_DATA / "newsinjson" / "examples").glob("*/*")),  # ninjs, NewsML
]
_TAKE_KEY = re.compile(r"\bBC-|\bWritethru\b|\b\d+(?:st|nd|rd|th)Ld\b|\^|<$")
_EDNOTE_START = re.compile(r"\s*(?:Eds?|EDS|Note to editors|Editor['’]s note)\s*:", re.IGNORECASE)


def test_summaries_of_real_wire_files_take_no_furniture(pipe):
    """Each wire fixture through the real readers and the real analysis: no summary sentence holds the
    slug, the take key, the editor's note, the dateline header or the byline the reader found."""
    from triage.analysis.engine import Engine
    from triage.sources import load

    result = load([str(p) for p in REAL_WIRE])
    articles = [a for a in result.articles if a.text.strip()]
    assert len(articles) >= 25
    engine = Engine(sentences=4)
    analyses = engine.analyze_chunk([(a, None) for a in articles])
    summaries = {Path(a.path).name: an.summary for a, an in zip(articles, analyses, strict=True)}
    checked = 0
    for article, analysis in zip(articles, analyses, strict=True):
        assert analysis.summary, article.path
        slug = article.slugline if re.search(r"[-/,]", article.slugline or "") else ""
        for sentence in analysis.summary:
            where = (Path(article.path).name, sentence)
            assert re.search(r"\w\w", sentence), where  # never a lone "_" or dash
            assert not _TAKE_KEY.search(sentence), where
            assert not _EDNOTE_START.match(sentence) and not sentence.startswith("("), where
            if slug:
                assert not re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", sentence), where
            for field in (article.ednote, article.author):
                if field and len(field) > 3:
                    assert field not in sentence, where
            if article.dateline:
                assert not sentence.lower().startswith(article.dateline.lower()), where
            checked += 1
    assert checked >= 60
    # the sentences the furniture was glued to are kept, without it
    assert summaries["ap-correction.tst"][0].startswith("The House passed a sweeping spending bill")
    assert summaries["ap-writethru.tst"][0].startswith("A strong earthquake jolted northern Japan")
    assert summaries["dpa-7901-regular.txt"][0].startswith("Germany's governing parties agreed")
    assert summaries["dpa-7901-berichtigung.txt"] == (
        "Der FC Bayern München hat das Spitzenspiel der Fußball-Bundesliga gegen Borussia Dortmund mit "
        "3:1 gewonnen.",
        "Vor 75 000 Zuschauern in der ausverkauften Arena trafen Harry Kane zweimal und Jamal Musiala.",
    )
    assert summaries["mailed-story.txt"][0].startswith("Dock workers at Europe's largest port")
    assert summaries["LISTING_22_Sports_story_in_NewsML-G2NITF.xml"][0].startswith("A pair of teams")
    # TT's item comes in three files (ninjs 2.1, 3.0 and a schema extension) with one guid and version:
    # the load keeps one of them
    [tt] = [an.summary for a, an in zip(articles, analyses, strict=True) if "tt.se/media/text" in a.guid]
    assert tt[0].startswith("Pandemin satte stopp")
