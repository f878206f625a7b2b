"""Entities grouped by kind with variants merged, junk dropped; key terms."""

from __future__ import annotations

from triage.analysis.analyzer import doc_input
from triage.analysis.entities import entity_mentions, group_entities, key_terms
from triage.analysis.mentions import Mention
from triage.analysis.sentences import split_sentences
from triage.model import ENTITY_KINDS


def test_variants_merge_into_one_person_with_all_mentions():
    mentions = [
        ("Putin", "people"),
        ("Vladimir Putin", "people"),
        ("Vladimir Putin", "people"),
        ("Putin", "organisations"),
        ("Putin", "people"),
        ("Moscow", "places"),
    ]
    groups = group_entities(mentions)
    people = groups["people"]
    assert [(e.text, e.count) for e in people] == [("Vladimir Putin", 5)]
    assert "Putin" in people[0].variants
    assert "organisations" not in groups  # the kind is chosen by majority across mentions


def test_junk_is_dropped():
    groups = group_entities(
        [("A", "people"), ("42", "people"), ("  ", "places"), ("the", "organisations"), ("Kyiv", "places")]
    )
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
    terms = key_terms(split_sentences(doc, offset), wire.title, [m.text for m in entity_mentions(doc)])
    assert 3 <= len(terms) <= 8
    assert "war" in terms
    assert not {"said", "the", "putin"} & {t.lower() for t in terms}


# -- names tied together, kinds corrected, junk dropped (synthetic mentions, then real stories)


def _people(groups):
    return {e.text: e for e in groups.get("people", ())}


def test_a_first_name_joins_the_only_full_name_that_starts_with_it():
    groups = group_entities(
        [
            Mention("Brigid Kosgei", "people"),
            Mention("Kosgei", "people"),
            Mention("Kosgei", "people"),
            Mention("Brigid", "people"),
        ]
    )
    assert [(e.text, e.count) for e in groups["people"]] == [("Brigid Kosgei", 4)]


def test_a_first_name_shared_by_two_full_names_joins_neither():
    groups = group_entities(
        [
            Mention("John Smith", "people"),
            Mention("John Brown", "people"),
            Mention("John", "people"),
            Mention("John", "people"),
        ]
    )
    assert {(e.text, e.count) for e in groups["people"]} == {("John Smith", 1), ("John Brown", 1)}


def test_someone_known_by_a_given_name_only_is_not_merged_into_a_namesake():
    """ "Sergei, 44," is not Sergei Lavrov; "a man named Dmitri" is nobody a reader can look up."""
    groups = group_entities(
        [
            Mention("Sergei Lavrov", "people"),
            Mention("Lavrov", "people"),
            Mention("Sergei", "people", frozenset({"anon"})),
            Mention("Dmitri", "people", frozenset({"anon"})),
        ]
    )
    assert [(e.text, e.count) for e in groups["people"]] == [("Sergei Lavrov", 2)]


def test_a_middle_name_joins_and_the_group_is_a_person_whatever_the_short_form_was_tagged():
    groups = group_entities(
        [Mention("Ricardo Rosselló Nevares", "organisations")]
        + [Mention("Rosselló", "people")] * 3
        + [Mention("Rosselló", "organisations")] * 2
    )
    assert [(e.text, e.count) for e in groups["people"]] == [("Ricardo Rosselló Nevares", 6)]
    assert "organisations" not in groups


def test_a_company_short_name_joins_the_company():
    groups = group_entities([Mention("Mahan Air", "organisations")] + [Mention("Mahan", "people")] * 3)
    assert [(e.text, e.count) for e in groups["organisations"]] == [("Mahan Air", 4)]
    assert "people" not in groups


def test_a_known_place_tagged_as_a_person_is_a_place():
    groups = group_entities(
        [
            Mention("Kherson", "people"),
            Mention("Kherson", "people"),
            Mention("Yerevan", "people", frozenset({"initial"})),
        ]
    )
    assert {e.text for e in groups["places"]} == {"Kherson", "Yerevan"}
    assert "people" not in groups


def test_a_place_never_disappears_into_an_organisation_named_after_it():
    groups = group_entities(
        [
            Mention("Puerto Rico", "places"),
            Mention("Puerto Rico", "places"),
            Mention("Puerto Rico Senate", "organisations"),
            Mention("Zimbabwe", "places"),
            Mention("Youth Forum Zimbabwe", "organisations"),
        ]
    )
    assert {e.text for e in groups["places"]} == {"Puerto Rico", "Zimbabwe"}
    assert {e.text for e in groups["organisations"]} == {"Puerto Rico Senate", "Youth Forum Zimbabwe"}


def test_offices_and_words_capitalised_by_position_are_dropped():
    groups = group_entities(
        [
            Mention("State", "organisations", frozenset({"office"})),
            Mention("Photographs", "people", frozenset({"initial"})),
            Mention("Measles", "people", frozenset({"initial", "common"})),
            Mention("Measles", "people", frozenset({"initial", "common"})),
            Mention("Majesty", "people", frozenset({"pronoun"})),
            Mention("UTC", "organisations"),
            Mention("a.m.", "places"),
        ]
    )
    assert groups == {}


def test_a_parenthesised_acronym_joins_its_name():
    groups = group_entities(
        [
            Mention("Federal Security Service", "organisations", acronym="FSB"),
            Mention("FSB", "organisations"),
            Mention("FSB", "organisations"),
        ]
    )
    assert [(e.text, e.count) for e in groups["organisations"]] == [("Federal Security Service", 3)]


def test_wire_story_places_are_not_people_and_namesakes_stay_apart(pipe, wire):
    text, offset = doc_input(wire.title, wire.text)
    groups = group_entities(entity_mentions(pipe.nlp(text), offset), limit=100)
    people = _people(groups)
    places = {e.text for e in groups["places"]}
    for town in ("Kherson", "Kiev", "Luhansk", "Yerevan"):
        assert town not in people
        assert town in places
    assert "Dmitri" not in people and "Sergei" not in people
    assert people["Sergei Lavrov"].count == 2  # the 44-year-old Sergei at the airport is someone else
    assert "Dmitry Medvedev" in people
    assert not {"State", "state"} & {e.text for e in groups.get("organisations", ())}


def _demo(prefix: str):
    from importlib import resources

    from triage.model import Article

    folder = resources.files("triage.demo").joinpath("demo")
    path = next(p for p in folder.iterdir() if p.name.startswith(prefix))
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Article(id=prefix, title=title.strip(), text=body.strip())


def test_rossello_resignation_story_names_pierluisi_as_a_person(pipe):
    article = _demo("12-")
    text, offset = doc_input(article.title, article.text)
    groups = group_entities(entity_mentions(pipe.nlp(text), offset))
    people = _people(groups)
    orgs = {e.text.lower() for e in groups.get("organisations", ())}
    assert people["Pedro Pierluisi"].count == 8
    assert "Ricardo Rosselló Nevares" in people and "Rosselló" not in people
    assert not {"pedro pierluisi", "pierluisi", "state", "ricardo rosselló nevares"} & orgs


def test_regions_and_admin_areas_are_places_not_organisations():
    regional = Mention("Chelyabinsk", "organisations", frozenset({"placenoun"}))  # "Chelyabinsk regional ..."
    groups = group_entities(
        [
            regional,
            ("Chelyabinsk", "organisations"),
            ("Sverdlovsk Oblast", "organisations"),
            ("Davao del Sur", "organisations"),
            ("Republic of Karelia", "organisations"),
            ("Kremlin", "organisations"),
        ]
    )
    assert {e.text for e in groups["places"]} == {
        "Chelyabinsk",
        "Sverdlovsk Oblast",
        "Davao del Sur",
        "Republic of Karelia",
    }
    assert [e.text for e in groups["organisations"]] == ["Kremlin"]
    assert "places" not in group_entities([("Princeton", "organisations")])  # a town's name for a university


def test_place_cues_after_a_name(pipe):
    doc = pipe.nlp(
        "Police arrested a 36-year-old Cheltenham man. Terra Engineering (Gardena, CA) won. "
        "Chelyabinsk's governor promised help."
    )
    cues = {m.text: m.cues for m in entity_mentions(doc)}
    assert all("placenoun" in cues[n] for n in ("Cheltenham", "Gardena", "Chelyabinsk") if n in cues)
    assert sum(n in cues for n in ("Cheltenham", "Gardena", "Chelyabinsk")) >= 2


def test_magnitogorsk_story_lists_chelyabinsk_as_a_place(pipe):
    from tests.analysis.conftest import demo_article

    article = demo_article(1)
    text, offset = doc_input(article.title, article.text)
    groups = group_entities(entity_mentions(pipe.nlp(text), offset))
    assert "Chelyabinsk" in {e.text for e in groups["places"]}
    assert "Chelyabinsk" not in {e.text for e in groups.get("organisations", ())}


def test_a_body_named_alone_or_twice_is_one_chip():
    groups = group_entities(
        [
            ("Puerto Rico Senate", "organisations"),
            ("Senate", "organisations"),
            ("U.S. Embassy", "organisations"),
            ("United States Embassy", "organisations"),
            ("Council", "organisations"),
            ("Defence Forces", "organisations"),
            ("Defence Force", "organisations"),
        ]
    )
    orgs = {e.text: e.count for e in groups["organisations"]}
    assert orgs["Puerto Rico Senate"] == 2 and orgs["Defence Forces"] == 2
    assert sum(1 for t in orgs if "Embassy" in t) == 1
    assert not {"Council", "Senate"} & set(orgs)
    assert "organisations" not in group_entities([("Senates", "organisations"), ("Order", "organisations")])


def test_glued_spans_are_split(pipe):
    doc = pipe.nlp(
        "Shoppers in Poznan saw Tesco — Netto Poland signs. The Speaker of the House Nancy Pelosi "
        "spoke. Ships sailed between Crete and Cyprus on Monday."
    )
    texts = {m.text for m in entity_mentions(doc)}
    assert "Tesco — Netto Poland" not in texts and "House Nancy Pelosi" not in texts
    assert "Nancy Pelosi" in texts


# -- businesses are not people, airports and cities are places (issue 29: what a new user saw on the
# demo's screens, here on stories written for these tests)

_SHOPS = """Supermarkets limit flour sales as home baking booms

British supermarket chains {a} and {b} limited flour to two bags a customer on Friday, after shelves \
emptied in many stores. {a} said the limit would stay until suppliers caught up, and {b} asked shoppers \
to buy only what they needed.

Lidl and Asda said they had no plans to follow. {b}, in a statement on its website, said deliveries \
were arriving every day. {a} also ordered extra stock from mills in Yorkshire.

Andrew Opie of the British Retail Consortium said demand had doubled since March."""

_AIRPORTS = """Cargo plane overshoots runway near Shiraz

The aircraft came down in a field between Lar Airport, where it was trying to land, and {a} \
International Airport. Lar Airport is run by the air force.

The Aviation Herald reported that the landing at Lar, which has a much shorter runway than {a}, was a \
mistake and that the jet was meant to land at {a}. It said the airline Qeshm Air owned the plane."""

_QUAKE = """Strong earthquake shakes central Chile

A magnitude 6.4 earthquake struck central Chile on Tuesday, the national emergency office said. The \
quake was centred near Talca in the Maule region, about 250 kilometres south of Santiago, at a depth of \
30 kilometres.

Buildings swayed in Santiago, where residents ran into the streets. The emergency office said there \
were no immediate reports of serious damage, and the navy ruled out a tsunami. Power was cut to parts \
of the Maule region for several hours.

President Gabriel Boric said on Twitter that the government was assessing the damage. Chile is one of \
the most seismically active countries in the world; in 2010 a magnitude 8.8 quake off the Maule region \
killed more than 500 people."""


def _story_entities(pipe, story: str) -> dict[str, set[str]]:
    title, _, body = story.partition("\n\n")
    text, offset = doc_input(title, body)
    groups = group_entities(entity_mentions(pipe.nlp(text), offset))
    return {kind: {e.text for e in es} for kind, es in groups.items()}


def test_retailers_named_after_their_founders_are_organisations_not_people(pipe):
    for a, b in (("Fosters", "Whitfields"), ("Hendry", "Walsh")):
        kinds = _story_entities(pipe, _SHOPS.format(a=a, b=b))
        assert {a, b} <= kinds["organisations"], (a, b, kinds)
        assert kinds["people"] == {"Andrew Opie"}, (a, b, kinds)


def test_two_names_joined_by_and_are_two_when_each_also_stands_alone():
    groups = group_entities(
        [
            ("Coles and Woolworths", "organisations"),
            ("Coles", "organisations"),
            ("Woolworths", "organisations"),
            ("Marks and Spencer", "organisations"),
            ("Marks", "organisations"),
        ]
    )
    assert {(e.text, e.count) for e in groups["organisations"]} == {
        ("Coles", 2), ("Woolworths", 2), ("Marks and Spencer", 1), ("Marks", 1)
    }


def test_an_airport_named_by_its_first_word_is_one_place(pipe):
    for a in ("Mehran", "Dastgheib"):
        kinds = _story_entities(pipe, _AIRPORTS.format(a=a))
        assert f"{a} International Airport" in kinds["places"], kinds
        assert a not in kinds["places"] and a not in kinds.get("organisations", ()), kinds
        assert "Qeshm Air" in kinds["organisations"], kinds  # "the airline Qeshm Air"


def test_a_city_and_a_region_are_places(pipe):
    kinds = _story_entities(pipe, _QUAKE)
    assert {"Santiago", "Maule", "Talca", "Chile"} <= kinds["places"], kinds
    assert "Santiago" not in kinds.get("organisations", ())


def test_a_business_noun_before_a_name_is_kept_with_the_mention(pipe):
    doc = pipe.nlp("Shoppers queued at the retailer Ocado and the state news agency Xinhua reported it.")
    cues = {m.text: m.cues for m in entity_mentions(doc)}
    assert "business" in cues.get("Ocado", ()) and "business" in cues.get("Xinhua", ())
