"""The language a story's text is written in, from its commonest words, to check what the file declares.

A wire file may declare the wrong language (ANSA sends English copy declared Italian) or none; the
analysis then runs the wrong model. Function words are the cheapest robust signal: each language's
short list below covers a large share of any running text in it and little of the others'. No model and
no dependency: a few hundred words are counted once per story.
"""

from __future__ import annotations

import re

__all__ = ["STOPWORDS", "checked_language", "text_language"]

# The commonest function words of each language (lower case); a word in two lists counts for both.
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the of and to in a is that for on was with as by at from it he said his are be has have "
              "were which this an not but they will their its who been after would had also",
        "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an "
              "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über so zum war",
        "fr": "le la les de des du et un une en à est que qui dans pour pas sur au par il a avec ce ont "
              "été plus ne se sont aux son sa elle cette mais ou leur",
        "it": "il di che la e è un a per in una sono del della le si non con da al i gli ha dei nel alla "
              "anche ma più come questo delle degli nella ai lo",
        "es": "el la de que y en los del se las por un para con no una su al lo como más pero sus le ha "
              "me sin sobre este ya entre cuando también fue han",
        "pt": "o a de que e do da em um para é com não uma os no se na por mais as dos como mas foi ao "
              "ele das tem à seu sua ou ser quando muito há nos já está",
        "nl": "de het een van en in is dat op te zijn voor met die niet aan er om ook als bij door maar "
              "werd nog wordt heeft naar uit hij dan zo",
        "sv": "och i att det som en på är av för med till den har de inte om ett han men var jag sig från "
              "vi så kan när efter under också",
        "da": "og i at det er en til på de af for med den som har ikke et han var sig fra men vi så kan "
              "efter også der ved skal blev om",
        "nb": "og i det er til en på som at for med av den har ikke et de han var seg fra men vi så kan "
              "etter også skal ble om eller sier",
        "fi": "ja on ei että se oli hän ovat mukaan myös kun tai mutta joka kuin vain nyt sen ole ovat "
              "sekä jo tämä niin jos hänen voi",
        "pl": "i w nie na się z do że to jest o jak a po przez dla od tak już jego ale są czy tym",
        "el": "και το η του της τα να σε με την στο για από ο οι που των τη είναι θα στην δεν ως",
    }.items()
}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_MIN_WORDS = 25  # fewer words than this say too little to overrule a file


def text_language(text: str) -> tuple[str, float]:
    """(language, share of the words that are its function words) for the best match; ("", 0) when the
    text is too short to tell."""
    words = [w.casefold() for w in _WORD.findall(text[:6000])][:600]
    if len(words) < _MIN_WORDS:
        return "", 0.0
    scores = {lang: sum(w in stop for w in words) / len(words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best, scores[best]


def checked_language(declared: str, text: str) -> str:
    """The declared BCP 47 tag, unless the text plainly is in another language: then that language's
    code. A story that declares nothing gets its text's language when the text is plain about it."""
    primary = declared.split("-", 1)[0].lower()
    if primary in ("no", "nn"):
        primary = "nb"  # spoken of as one here: their function words are the same
    found, share = text_language(text)
    if not found or share < 0.12:
        return declared
    if not declared:
        return found
    if primary == found or primary not in STOPWORDS:
        return declared
    words = [w.casefold() for w in _WORD.findall(text[:6000])][:600]
    own = sum(w in STOPWORDS[primary] for w in words) / len(words)
    # The text wins only by a wide margin: related languages (da/nb/sv, es/pt) share many words.
    return found if share >= 2 * own + 0.05 else declared
