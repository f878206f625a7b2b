"""Agency copy read as agencies send it (issue 28): each test on a fixture in tests/sources/data/wire/agencies
that keeps one agency's real layout with text of our own (see NOTICE.md there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.sources import read_file
from triage.sources.providers import provider_name
from triage.sources.readers.mail import decode_header_text
from triage.sources.readers.textlanguage import checked_language
from triage.sources.readers.urgency import URGENCY_WORDS, urgency_of

AGENCIES = Path(__file__).parent / "data" / "wire" / "agencies"


def read(name: str):
    articles, problems = read_file(AGENCIES / name)
    assert articles and not problems, problems
    return articles


def one(name: str):
    articles = read(name)
    assert len(articles) == 1
    return articles[0]


# 2. ninjs as Superdesk, the BBC and AP's Media API send it ---------------------------------------------
def test_superdesk_ninjs_with_a_guid_reads_embargo_dates_language_urgency_version():
    a = one("superdesk-ninjs-embargoed.json")
    assert a.embargoed == "2024-03-05T05:00:00Z"
    assert a.published == "2024-03-04T09:58:12Z"  # "+0000" offsets read
    assert (a.language, a.urgency, a.version, a.pubstatus) == ("de", 2, "3", "usable")
    assert a.provider == "dpa" and a.slugline == "Hafen-Plan" and a.dateline == "Hamburg"
    assert a.guid.startswith("urn:newsml:example.org:")


def test_bbc_ninjs_envelope_is_read_item_by_item():
    story, advisory = read("bbc-ninjs.json")
    assert story.title == "Council approves plan for new cycle lanes" and story.provider == "BBC"
    assert story.language == "en-GB" and story.urgency == 3 and story.published == "2024-05-02T09:40:00"
    assert advisory.title.startswith("Advisory:")


def test_ap_media_api_json_is_read():
    a = one("ap-media-text.json")
    assert a.title == "Bridge closed after barge strikes support"
    assert a.guid == "0c5f2a8e1b3d4c7e9f0a1b2c3d4e5f60"  # the item id, not a session's URI
    assert (a.urgency, a.version, a.provider, a.language) == (3, "2", "AP", "en")
    kill = one("ap-media-feed-kill.json")
    assert kill.id == a.id and kill.pubstatus == "canceled" and kill.killed


# 3. AFP's NewsML 1.x -------------------------------------------------------------------------------------
def test_afp_newsml1_text_in_its_nitf_format_is_read_without_sign_off():
    a = one("afp-newsml1.xml")
    assert len(a.paragraphs) == 3 and a.paragraphs[0].startswith("Dock workers at a large European port")
    assert "ab/cd/ef" not in a.text  # the editors' initials
    assert a.provider == "AFP" and a.dateline == "ROTTERDAM, May 10, 2024 (AFP)"
    ana = one("ana-newsml1.xml")
    assert ana.provider == "ANA" and "ΑΠΕ-ΜΠΕ" not in ana.text and len(ana.paragraphs) == 2


# 4. AP ANPA: the title is the headline -------------------------------------------------------------------
def test_anpa_title_is_the_headline_never_the_keyword_line():
    a = one("ap-anpa-keyword.tst")
    assert a.title == "Old lighthouse keeps its lamp lit for one last winter"
    assert a.slugline == "LT--Harbor-Lights" and a.urgency == 1 and a.author == "Jane Example"
    assert "BC-" not in a.text and "Harbor Lights,412" not in a.text
    assert "APTN contributor" not in a.text and "___" not in a.text
    assert a.dateline == "PORTO, Portugal (AP)" and a.paragraphs[0].startswith("The old lighthouse")
    alert = one("ap-anpa-newsalert.tst")  # no headline line: the alert's sentence is the title
    assert alert.title == "City council votes to rename main square after local teacher."
    assert alert.urgency == 2


# 5. E-mail ------------------------------------------------------------------------------------------------
def test_mail_with_leading_white_space_and_mislabelled_charset():
    a = one("mail-leading-blank.eml")
    assert a.title == "TravTalk’s Special for the convention"
    assert a.author == "Ben Example" and "Delivered-To" not in a.text
    latin = one("mail-latin1-subject.eml")
    assert latin.title == "Reunião do conselho adiada" and latin.author == "João Exemplo"


@pytest.mark.parametrize(
    "raw, text",
    [
        ("=?utf-8?Q?Google=20Apps=20News?=", "Google Apps News"),
        ("=?iso-8859-1?q?Reuni=E3o?= =?iso-8859-1?q?_adiada?=", "Reunião adiada"),
        ("=?windows-1252?Q?caf=E9?=", "café"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("plain subject", "plain subject"),
    ],
)
def test_header_charsets(raw, text):
    assert decode_header_text(raw) == text


# 6. Ritzau -------------------------------------------------------------------------------------------------
def test_ritzau_story_and_queue_response_are_read():
    a = one("ritzau-rbnews.xml")
    assert a.title == "Færgeruter indstillet på grund af storm"
    assert (a.provider, a.language, a.urgency, a.dateline) == ("Ritzau", "da", 2, "Aarhus")
    assert a.marks == ("FLASH",) and a.ednote == "Opdateres senere."
    assert a.published == "2024-01-30T16:32:18Z"  # Copenhagen time to UTC
    assert a.subjects == (("subj:17000000", ""),)
    sport, killed = read("ritzau-queue.xml")
    assert sport.title == "Kort om sport" and not sport.killed
    assert killed.id == a.id and killed.pubstatus == "canceled"


# 7. Languages ---------------------------------------------------------------------------------------------
def test_ntb_baselang_and_ansa_english_declared_italian():
    assert one("ntb-nitf.xml").language == "nb-NO"
    ansa = one("ansa-g2-english.xml")
    assert ansa.language == "en"  # the file says it-IT; the text is English
    assert not ansa.text.startswith("<p>") and "</p>" not in ansa.text
    assert ansa.dateline == "(ANSA) - Rome, October 11"
    assert ansa.paragraphs[0].startswith("The transport minister")


def test_declared_language_checked_against_text():
    english = "The minister said on Wednesday that the new line will open to passengers next year. " * 3
    german = "Der Minister sagte am Mittwoch, dass die neue Strecke im nächsten Jahr öffnet. " * 3
    assert checked_language("it-IT", english) == "en"
    assert checked_language("en-GB", english) == "en-GB"  # agreeing: the file's tag is kept
    assert checked_language("", german) == "de"
    assert checked_language("de", "Kurz.") == "de"  # too short to overrule
    norwegian = ("Det har vært innstillinger siden tirsdag kveld, og mange reisende har måttet vente i "
                 "flere timer på kaia, sier selskapet som vil sette inn ekstra avganger for å få unna køene.")
    assert checked_language("nb-NO", norwegian) == "nb-NO"


# 8. dpa 7901: take keys, bylines, the Impressum -----------------------------------------------------------
def test_dpa_7901_take_designators_become_marks_and_bylines_the_byline():
    a = one("dpa-7901-refile-lead.txt")
    assert a.title == "City joins list of councils resisting new parking rules"
    assert a.marks == ("REFILE", "1ST LEAD")
    assert a.author == "Jan Beispiel"
    assert a.ednote == "adds reaction from the ministry in grafs 5-6"  # the note, not the notebook
    assert a.published == "2018-11-21T23:22:00Z"  # "212322 GMT Nov 18"
    extra = one("dpa-7901-extra.txt")
    assert extra.title.startswith("Talks on the harbour dispute") and extra.marks == ("EXTRA",)


def test_dpa_impressum_filler_is_not_a_story():
    articles, problems = read_file(AGENCIES / "dpa-7901-impressum.txt")
    assert not articles and "copyright filler" in problems[0].reason


# 9. Junk in text ------------------------------------------------------------------------------------------
def test_dpa_7901_text_ends_with_the_story():
    a = one("dpa-7901-refile-lead.txt")
    for junk in ("# Notebook", "* * * *", "dpaq.de", "Editorial contacts", "+49", "Geneva (dpa) -"):
        assert junk not in a.text, junk
    assert a.dateline == "Geneva (dpa)"


def test_dpa_g2_text_without_header_keywords_headline_or_markdown():
    a = one("dpa-g2.xml")
    assert a.paragraphs[0].startswith("Der Verein hat am Dienstagabend")
    assert "Fußball" not in a.text and "11.10.2024" not in a.text
    assert a.paragraphs[-1] == "Mehr dazu im Bericht des Vereins auf der Website."
    assert a.ednote == "Zu diesem Text gibt es zwei Bilder im Bildangebot."
    assert a.provider == "dpa" and a.dateline == "Hamburg (dpa)"


def test_stt_pseudo_markup_and_inline_elements():
    a = one("stt-g2.xml")
    assert "35–40 prosenttia" in a.text and "endash" not in a.text
    assert "Esimerkkiyhtiön tietomurrosta" in a.text


def test_reuters_advisory_and_dateline_leave_the_text():
    a = one("reuters-g2-update.xml")
    assert a.paragraphs[0].startswith("Gold prices edged up") and "(Adds" not in a.text
    assert a.ednote == "Adds comments, detail"
    assert a.dateline == "BENGALURU, Jan 31 (Reuters)"
    assert a.title == "Gold edges up as investors wait for central bank" and a.marks == ("UPDATE 1",)


def test_efe_dateline_in_the_text_is_the_dateline():
    a = one("efe-nitf.xml")
    assert a.dateline == "Tegucigalpa, Jan 2 (EFE)" and a.paragraphs[0].startswith("The main Caribbean port")


# 10. One name per provider ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stated, name",
    [("reuters.com", "Reuters"), ("REUTERS", "Reuters"), ("dpa", "dpa"),
     ("Deutsche Presse-Agentur GmbH", "dpa"),
     ("Automated Insights", "AP"), ("The Associated Press", "AP"), ("afp.com", "AFP"), ("ana-mpe.gr", "ANA"),
     ("Agencia EFE", "EFE"), ("/ritzau/", "Ritzau"), ("Some Local Paper", "Some Local Paper")],
)
def test_provider_names(stated, name):
    assert provider_name(stated) == name


def test_provider_from_the_guid_when_the_item_names_none():
    assert provider_name("", "tag:reuters.com,2016:newsml_L1N14N0FF") == "Reuters"
    assert provider_name("", "AAP.115314987.5417374") == "AAP"
    assert one("ap-g2-earnings.xml").provider == "AP"  # filed as "Automated Insights"


# 11. Urgency ------------------------------------------------------------------------------------------------
def test_ap_bulletin_is_2_and_urgent_is_3():
    assert urgency_of("b", "anpa") == 2 == urgency_of("bulletin", "word")
    assert urgency_of("u", "anpa") == 3 == urgency_of("URGENT", "word")
    assert set(URGENCY_WORDS.values()) <= set(range(1, 10))


# Kills in every format ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["superdesk-ninjs-killed.json", "ap-media-feed-kill.json", "afp-newsml1-canceled.xml", "pa-nitf-kill.xml",
     "reuters-g2-kill.xml", "dpa-7901-kill.txt"],
)
def test_a_kill_is_read_as_canceled(name):
    killed = [a for a in read(name) if a.killed]
    assert killed and all(a.pubstatus == "canceled" for a in killed)


def test_a_kill_keeps_the_story_identity():
    pairs = [("superdesk-ninjs-embargoed.json", "superdesk-ninjs-killed.json"),
             ("afp-newsml1.xml", "afp-newsml1-canceled.xml"),
             ("reuters-g2-update.xml", "reuters-g2-kill.xml")]
    for story, kill in pairs:
        assert one(story).id == one(kill).id, (story, kill)
    assert one("reuters-g2-kill.xml").marks == ("KILL",)


def test_dpa_7901_kill_with_no_dateline_lands_on_the_story_it_kills() -> None:
    """The kill names no "(dpa)" in a dateline (its source id "eca" is all) and is sent the next day:
    it is still the same story, so it lands on the one the desk followed up."""
    kills = Path(__file__).resolve().parents[1] / "core" / "data" / "kills"
    [story], _ = read_file(kills / "dpa-7901-story.txt")
    [kill], _ = read_file(kills / "dpa-7901-kill.txt")
    assert kill.provider == story.provider == "dpa"
    assert kill.id == story.id and kill.killed and not story.killed
