"""Finding countries in what users type: aliases, sentences, misspellings.

The assistant must recognise the names people actually use, must never take
the pronoun "us" for the United States, and must suggest rather than guess
when a name is misspelt.
"""

from __future__ import annotations

import pytest

from kb import Knowledge, load_knowledge
from kb.loader import DEFAULT_PATH
from kb.text import COMMON_WORDS, normalize


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge(DEFAULT_PATH)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("USA", "United States"), ("the usa", "United States"), ("U.S.", "United States"),
        ("US", "United States"), ("United States of America", "United States"),
        ("America", "United States"), ("U.S.A.", "United States"),
        ("UK", "United Kingdom"), ("the U.K.", "United Kingdom"), ("Britain", "United Kingdom"),
        ("Great Britain", "United Kingdom"),
        ("United Kingdom of Great Britain and Northern Ireland", "United Kingdom"),
        ("DPRK", "North Korea"), ("Democratic People's Republic of Korea", "North Korea"),
        ("Türkiye", "Türkiye"), ("Turkey", "Türkiye"), ("turkiye", "Türkiye"),
        ("Czechia", "Czechia"), ("Czech Republic", "Czechia"),
        ("Ivory Coast", "Côte d'Ivoire"), ("cote d'ivoire", "Côte d'Ivoire"),
        ("Côte d’Ivoire", "Côte d'Ivoire"), ("COTE D IVOIRE", "Côte d'Ivoire"),
        ("UAE", "United Arab Emirates"), ("Emirates", "United Arab Emirates"),
        ("Holy See", "Vatican City State"), ("the Vatican", "Vatican City State"),
        ("DRC", "Democratic Republic of the Congo"),
        ("Congo-Kinshasa", "Democratic Republic of the Congo"),
        ("Congo-Brazzaville", "Republic of the Congo"),
        ("Palestine", "State of Palestine"), ("Swaziland", "Eswatini"), ("Burma", "Myanmar"),
        ("Cape Verde", "Cabo Verde"), ("East Timor", "Timor-Leste"),
        ("Macedonia", "North Macedonia"), ("Russian Federation", "Russia"),
        ("Islamic Republic of Iran", "Iran"), ("Syrian Arab Republic", "Syria"),
        ("Lao PDR", "Laos"), ("Republic of Moldova", "Moldova"), ("Bolivia", "Bolivia"),
        ("Venezuela", "Venezuela"), ("Tanzania", "Tanzania"),
        ("Federated States of Micronesia", "Micronesia"),
        ("South Korea", "South Korea"), ("Republic of Korea", "South Korea"), ("Korea", "South Korea"),
        ("Curacao", "Curaçao"), ("Sao Tome and Principe", "São Tomé and Príncipe"),
        ("St. Lucia", "Saint Lucia"), ("Hong Kong", "Hong Kong"), ("Macau", "Macao"),
        ("Kosovo", "Kosovo"), ("Taiwan", "Taiwan"), ("SADR", "Western Sahara"),
    ],
)
def test_alias_resolution(kb: Knowledge, text: str, name: str) -> None:
    country = kb.country(text)
    assert country is not None, text
    assert country.name == name


def test_every_name_and_alias_resolves_to_its_own_country(kb: Knowledge) -> None:
    for country in kb.countries:
        for label in (country.name, *country.aliases):
            assert kb.country(label) is country, label


def test_the_pronoun_us_is_never_a_country(kb: Knowledge) -> None:
    assert kb.country("us") is None
    assert kb.country("Us") is None
    assert kb.match_country("us").country is None
    assert kb.find_country_in_text("can you help us?") is None
    assert kb.find_country_in_text("Tell us about notices") is None


def test_no_alias_is_a_common_word(kb: Knowledge) -> None:
    for country in kb.countries:
        for alias in country.aliases:
            assert alias.lower() not in COMMON_WORDS, (country.name, alias)


def test_normalize_ignores_case_accents_and_punctuation() -> None:
    assert normalize("Côte d’Ivoire") == normalize("cote d'ivoire") == "cote divoire"
    assert normalize("the U.S.A.") == "usa"
    assert normalize("Antigua & Barbuda") == "antigua and barbuda"
    assert normalize("the UK's") == "uk"


# ---- whole sentences -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Is the US a member of Interpol?", "United States"),
        ("I live in the U.S. and want to know", "United States"),
        ("Is Papua New Guinea a member?", "Papua New Guinea"),
        ("is South Sudan a member", "South Sudan"),
        ("is sudan a member", "Sudan"),
        ("is North Korea in interpol", "North Korea"),
        ("Is the Democratic Republic of the Congo a member?", "Democratic Republic of the Congo"),
        ("I'm in South America; is Peru a member?", "Peru"),
        ("does türkiye cooperate with interpol", "Türkiye"),
        ("what about Hong Kong?", "Hong Kong"),
    ],
)
def test_find_country_in_text(kb: Knowledge, sentence: str, name: str) -> None:
    match = kb.find_country_in_text(sentence)
    assert match is not None and match.country is not None, sentence
    assert match.country.name == name


def test_misspelt_country_in_text_gives_suggestions(kb: Knowledge) -> None:
    match = kb.find_country_in_text("is frence a member of interpol?")
    assert match is not None
    assert match.country is None
    assert match.query == "frence"
    assert "France" in match.suggestions


@pytest.mark.parametrize("question", [
    "¿Cuál es el país que se unió a Interpol más recientemente?",
    "Quel est le dernier pays à avoir rejoint Interpol ?",
])
def test_a_question_word_of_another_language_is_not_a_misspelt_country(kb: Knowledge, question: str) -> None:
    """"Cuál" was offered as "Cuba or Tuvalu?" and "Quel" reported as a country not found."""
    assert kb.find_country_in_text(question) is None


def test_misspelt_multiword_country(kb: Knowledge) -> None:
    match = kb.find_country_in_text("is the untied states a member?")
    assert match is not None and match.suggestions[0] == "United States"


def test_unknown_capitalised_name_is_reported(kb: Knowledge) -> None:
    match = kb.find_country_in_text("Is Xyzzyland a member?")
    assert match is not None
    assert match.country is None and match.query == "Xyzzyland" and match.suggestions == []


@pytest.mark.parametrize("sentence", ["what is interpol?", "how does a red notice work",
                                      "what about north america", "hello"])
def test_nothing_country_like(kb: Knowledge, sentence: str) -> None:
    assert kb.find_country_in_text(sentence) is None


def test_ambiguous_name_in_text(kb: Knowledge) -> None:
    match = kb.find_country_in_text("is congo a member?")
    assert match is not None and match.ambiguous and match.country is None
    assert len(match.suggestions) == 2


# ---- one name ---------------------------------------------------------------------------

def test_match_country_suggests_up_to_three(kb: Knowledge) -> None:
    match = kb.match_country("Frence")
    assert match.country is None and match.query == "Frence"
    assert "France" in match.suggestions and len(match.suggestions) <= 3


def test_match_country_exact(kb: Knowledge) -> None:
    match = kb.match_country("the UK")
    assert match.country is not None and match.country.name == "United Kingdom"
    assert match.suggestions == []


def test_match_country_nothing_close(kb: Knowledge) -> None:
    match = kb.match_country("Qwrtzp")
    assert match.country is None and match.suggestions == []


# ---- statuses ----------------------------------------------------------------------------

def test_statuses(kb: Knowledge) -> None:
    assert kb.country("France").status == "member"
    assert kb.country("Tuvalu").status == "non_member"
    hong_kong = kb.country("Hong Kong")
    assert hong_kong.status == "territory" and hong_kong.via == "China"
    assert len(kb.territories) == 14


def test_notice_types_and_crime_areas_by_alias(kb: Knowledge) -> None:
    assert kb.notice_type("Red Notice").id == "red"
    assert kb.notice_type("red").id == "red"
    assert kb.notice_type("UN Security Council special notice").id == "un_special"
    assert kb.notice_type("un_special").id == "un_special"
    assert kb.notice_type("diffusions").id == "diffusion"
    assert kb.notice_type("pink") is None
    assert kb.crime_area("mafia").id == "organised_crime"
    assert kb.crime_area("online fraud").id == "cybercrime"
    assert kb.crime_area("fraud").id == "financial_crime"
    assert kb.crime_area("piracy").id == "maritime_crime"
    assert kb.crime_area("organised_crime").id == "organised_crime"
