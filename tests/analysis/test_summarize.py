"""The summariser: k exact sentences in article order, paragraph breaks respected, no furniture."""

from __future__ import annotations

import re

from triage.analysis import summarize_text
from triage.analysis.features import brevity
from triage.analysis.sentences import is_summary_furniture, split_sentences
from triage.analysis.summarize import near_repeat, word_bigrams

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
    text = (
        "First paragraph has no final stop\n\n"
        "second paragraph continues the thought here. Another one follows."
    )
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
        assert not is_summary_furniture(s)
        assert "adding “vote”" not in s and "Everyone would like to leave” –" not in s
        assert "has not been edited by NDTV" not in s


def test_wire_story_says_each_thing_once(pipe, wire):
    """The seed story says twice that 10,000 volunteered within 24 hours: a summary says it once."""
    for k in (3, 4, 5, 8):
        summary = summarize_text(wire.title, wire.text, k, nlp=pipe.nlp)
        assert sum("10,000" in s for s in summary) <= 1
        grams = [word_bigrams(s) for s in summary]
        assert not any(near_repeat(a, b) for i, a in enumerate(grams) for b in grams[i + 1 :])


def test_furniture_lines_are_recognised():
    assert is_summary_furniture("– adding “vote” –")
    assert is_summary_furniture("– “Everyone would like to leave” –")
    assert is_summary_furniture(
        "(Except for the headline, this story has not been edited by NDTV staff and is "
        "published on a syndicated channel.)"
    )
    assert not is_summary_furniture("Moscow began a mandatory call-up of troops on Thursday.")


def test_summary_never_picks_furniture_even_when_k_is_large(pipe, wire):
    summary = summarize_text(wire.title, wire.text, 40, nlp=pipe.nlp)
    assert summary and not any(re.match(r"^[–-] .* [–-]$", s) for s in summary)
    assert not any("syndicated channel" in s for s in summary)


def test_brevity_separates_the_two_regimes():
    assert brevity(7, 16) == 0.0  # a long summary of a short story: the whole text competes
    assert brevity(3, 33) > 0.7  # highlights of a long story: the lead matters
    assert brevity(4, 0) == 0.0


def test_newspaper_bylines_are_furniture():
    assert is_summary_furniture(
        "By . Daily Mail Reporter . PUBLISHED: . 12:06 EST, 3 October 2013 . | . UPDATED: ."
    )
    assert not is_summary_furniture("The report was published on Monday by the ministry.")


# Texts below are written for these tests in the style of web news pages (no copyrighted text).
_BYLINE_GLUED = (
    "By . Daily Mail Reporter . This is the moment a bus driver sang to his passengers over the "
    "speakers as the traffic stood still. The driver, who works on a route through the city centre, "
    "said he wanted to cheer people up. Passengers filmed the song and shared it online. "
    "The bus company said it was proud of him."
)


def test_byline_glued_to_the_lead_is_cut_off_not_the_story(pipe):
    sents = split_sentences(pipe.nlp(_BYLINE_GLUED))
    assert sents[0].text.startswith("This is the moment a bus driver")
    assert not sents[0].furniture
    summary = summarize_text("", _BYLINE_GLUED, 3, nlp=pipe.nlp)
    assert len(summary) == 3
    assert not any("Daily Mail Reporter" in s for s in summary)


def test_time_stamps_and_datelines_are_cut_off(pipe):
    text = (
        "UPDATED: . 13:47 EST, 4 January 2012 . The fashion house unveiled its spring campaign in shop "
        "windows on Wednesday. Millions of followers watched the launch online. The company said sales rose."
    )
    sents = split_sentences(pipe.nlp(text))
    assert sents[0].text.startswith("The fashion house unveiled")
    assert summarize_text("", text, 2, nlp=pipe.nlp)
    text = "Beirut (CNN) -- The army reopened the coastal road on Saturday. Traffic returned within hours."
    assert split_sentences(pipe.nlp(text))[0].text.startswith("The army reopened")


def test_line_break_fragments_are_joined(pipe):
    text = (
        "His treatment has lowered his . voice and changed the way he walks, "
        "which . helps him feel at ease . "
        "He said he was happy."
    )
    sents = split_sentences(pipe.nlp(text))
    assert sents[0].text.startswith("His treatment") and "helps him feel at ease" in sents[0].text


def test_a_text_that_looks_all_furniture_still_gets_a_summary(pipe):
    for text in ("By Jane Doe", "– Protests –", "UPDATED: . 09:53 EST, 12 January 2012 ."):
        assert summarize_text("", text, 3, nlp=pipe.nlp), text


def test_a_repeated_caption_is_never_chosen_twice(pipe):
    lead = (
        "The council has closed the old bridge over the river after engineers found deep cracks "
        "in its arches."
    )
    text = (
        f"{lead} Drivers face a detour of twelve miles until repairs are done. "
        "Engineers found deep cracks in the arches of the old bridge over the river, "
        "and the council has closed it . "
        "Local shops say trade has already fallen. The council said repairs would start in spring. "
        f"{lead} A public meeting will be held next week."
    )
    for k in (2, 3, 4):
        summary = summarize_text("Council closes old bridge", text, k, nlp=pipe.nlp)
        grams = [word_bigrams(s) for s in summary]
        assert not any(near_repeat(a, b) for i, a in enumerate(grams) for b in grams[i + 1 :])
        assert summary.count(lead) <= 1


def test_the_brief_regime_saturates_and_marks_the_lead(pipe):
    from triage.analysis.features import regime
    from triage.analysis.summarize import lead_mask, load_weights

    assert regime(7, 16, 0.5) == 0.0 and regime(3, 33, 0.5) == 1.0  # BBC-like; highlights of a long story
    assert 0.0 < regime(3, 12, 0.5) < 1.0  # in between, the two models are blended
    body = " ".join(f"Sentence number {i} tells the story of the vote." for i in range(30))
    text = "By JOHN DOE\n\n" + body
    sents = split_sentences(pipe.nlp(text))
    mask = lead_mask(sents, 3, 0.5)
    assert sents[0].furniture and mask[0] == 0.0
    assert list(mask[1:4]) == [1.0, 1.0, 1.0] and mask[4:].sum() == 0.0
    weights = load_weights()
    assert weights.brief is not None and weights.saturate > 0  # the shipped model has both regimes
