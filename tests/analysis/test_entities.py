"""Entities grouped by kind with variants merged, junk dropped; key terms."""

from __future__ import annotations

from triage.analysis.analyzer import doc_input
from triage.analysis.entities import entity_mentions, group_entities, key_terms
from triage.analysis.sentences import split_sentences
from triage.model import ENTITY_KINDS


def test_variants_merge_into_one_person_with_all_mentions():
    mentions = [("Putin", "people"), ("Vladimir Putin", "people"), ("Vladimir Putin", "people"),
                ("Putin", "organisations"), ("Putin", "people"), ("Moscow", "places")]
    groups = group_entities(mentions)
    people = groups["people"]
    assert [(e.text, e.count) for e in people] == [("Vladimir Putin", 5)]
    assert "Putin" in people[0].variants
    assert "organisations" not in groups  # the kind is chosen by majority across mentions


def test_junk_is_dropped():
    groups = group_entities([("A", "people"), ("42", "people"), ("  ", "places"), ("the", "organisations"),
                             ("Kyiv", "places")])
    assert [e.text for es in groups.values() for e in es] == ["Kyiv"]


def test_acronym_joins_its_long_form():
    groups = group_entities([("United Nations", "organisations"), ("UN", "organisations")])
    assert [(e.text, e.count) for e in groups["organisations"]] == [("United Nations", 2)]


def test_wire_story_entities(pipe, wire):
    text, offset = doc_input(wire.title, wire.text)
    doc = pipe.nlp(text)
    groups = group_entities(entity_mentions(doc))
    assert set(groups) <= set(ENTITY_KINDS)
    people = {e.text: e for e in groups["people"]}
    putin = people["Vladimir Putin"]
    assert putin.count == 7  # headline + "President Vladimir Putin", "Putin", "Putin’s", ...
    assert "Putin" in putin.variants and "Putin" not in people
    assert "Antony Blinken" in people and "Blinken" not in people
    places = {e.text for e in groups["places"]}
    assert {"Russia", "Moscow", "Ukraine"} <= places
    for es in groups.values():
        counts = [e.count for e in es]
        assert counts == sorted(counts, reverse=True)
        for e in es:
            assert len(e.text) > 1 and e.text == e.text.strip()
    terms = key_terms(split_sentences(doc, offset), wire.title, [m for m, _ in entity_mentions(doc)])
    assert 3 <= len(terms) <= 8
    assert "war" in terms
    assert not {"said", "the", "putin"} & {t.lower() for t in terms}
