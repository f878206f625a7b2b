"""The summariser: k exact sentences in article order, paragraph breaks respected, no furniture."""

from __future__ import annotations

import re

from triage.analysis import summarize_text
from triage.analysis.sentences import is_furniture, split_sentences

from .conftest import demo_article


def test_summary_is_k_exact_sentences_in_article_order(pipe):
    a = demo_article(1)
    for k in (1, 3, 5):
        summary = summarize_text(a.title, a.text, k, nlp=pipe.nlp)
        assert len(summary) == k
        positions = [a.text.index(s) for s in summary]
        assert positions == sorted(positions)
        assert all(s == s.strip() and s for s in summary)


def test_paragraph_breaks_are_sentence_boundaries(pipe):
    text = "First paragraph has no final stop\n\nsecond paragraph continues the thought here. Another one follows."
    sents = split_sentences(pipe.nlp(text))
    assert sents[0].text == "First paragraph has no final stop"
    assert all("\n" not in s.text for s in sents)
    assert [s.para for s in sents][:2] == [0, 1]


def test_short_texts_and_empty_text(pipe):
    assert summarize_text("T", "", 3, nlp=pipe.nlp) == []
    one = summarize_text("T", "Only one sentence is here.", 3, nlp=pipe.nlp)
    assert one == ["Only one sentence is here."]


def test_wire_story_headline_crossheads_and_disclaimer_stay_out(pipe, wire):
    summary = summarize_text(wire.title, wire.text, 5, nlp=pipe.nlp)
    assert len(summary) == 5
    assert not summary[0].startswith("Russia begins mobilizing")
    assert wire.title not in " ".join(summary)
    for s in summary:
        assert not is_furniture(s)
        assert "adding “vote”" not in s and "Everyone would like to leave” –" not in s
        assert "has not been edited by NDTV" not in s
    # the lead matters in news: the first story sentence is kept for a short summary of a long story
    assert summary[0].startswith("According to the Russian military")


def test_furniture_lines_are_recognised():
    assert is_furniture("– adding “vote” –")
    assert is_furniture("– “Everyone would like to leave” –")
    assert is_furniture("(Except for the headline, this story has not been edited by NDTV staff and is "
                        "published on a syndicated channel.)")
    assert not is_furniture("Moscow began a mandatory call-up of troops on Thursday.")


def test_summary_never_picks_furniture_even_when_k_is_large(pipe, wire):
    summary = summarize_text(wire.title, wire.text, 40, nlp=pipe.nlp)
    assert summary and not any(re.match(r"^[–-] .* [–-]$", s) for s in summary)
    assert not any("syndicated channel" in s for s in summary)


def test_short_summary_of_a_long_story_stays_in_the_lead(pipe, wire):
    """Inverted pyramid: 3 sentences of a 35-sentence story come from its first 6, the first kept."""
    sents = [s for s in split_sentences(pipe.nlp(wire.text)) if not s.furniture]
    summary = summarize_text(wire.title, wire.text, 3, nlp=pipe.nlp)
    first_six = [s.text for s in sents[:6]]
    assert summary[0] == first_six[0]
    assert all(s in first_six for s in summary)


def test_newspaper_bylines_are_furniture():
    assert is_furniture("By . Daily Mail Reporter . PUBLISHED: . 12:06 EST, 3 October 2013 . | . UPDATED: .")
    assert not is_furniture("The report was published on Monday by the ministry.")
