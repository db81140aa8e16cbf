"""Answers for the key facts of the knowledge brief, from the real file.

These tests are the firm's safety net: if an edit to the knowledge file
makes the assistant say something the brief corrected, a test fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb import (
    Knowledge,
    answer_crime_area,
    answer_member_count,
    answer_membership,
    answer_non_members,
    answer_notice,
    answer_source,
    answer_topic,
    load_knowledge,
    pick_topic,
)
from kb.loader import DEFAULT_PATH, PROJECT_ROOT

VOCABULARY = PROJECT_ROOT / "docs" / "vocabulary.md"

# Join dates given by the knowledge brief, and only those.
BRIEF_JOIN_YEARS = {
    "Vatican City State": "2008",
    "South Sudan": "2011",
    "Curaçao": "2011",
    "Sint Maarten": "2011",
    "State of Palestine": "2017",
    "Solomon Islands": "2017",
    "Kiribati": "2018",
    "Vanuatu": "2018",
    "Micronesia": "2021",
    "Palau": "2023",
}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge(DEFAULT_PATH)


# ---- membership -----------------------------------------------------------------------

def test_south_sudan_is_a_member_since_2011(kb: Knowledge) -> None:
    answer = answer_membership(kb, "South Sudan", None)
    assert answer.text.startswith("Yes — South Sudan is one of INTERPOL's 196 member countries.")
    assert "It joined in 2011" in answer.text
    assert "November 2011" in answer.text and "Hanoi" in answer.text
    assert answer.topic_ref == "country:South Sudan"


def test_palestine_is_a_full_member_since_27_september_2017(kb: Knowledge) -> None:
    answer = answer_membership(kb, "Palestine", None)
    assert answer.text.startswith("Yes — the State of Palestine is one of INTERPOL's 196")
    assert "It joined in 2017" in answer.text
    assert "27 September 2017" in answer.text
    assert "limited" not in answer.text


def test_member_without_known_join_date_gets_no_date(kb: Knowledge) -> None:
    answer = answer_membership(kb, "France", None)
    assert answer.text == "Yes — France is one of INTERPOL's 196 member countries."


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        ("North Korea", ["Tuvalu", "only two UN member states"]),
        ("Tuvalu", ["North Korea", "only two UN member states"]),
        ("Kosovo", ["2015", "2017", "20 November 2018", "68", "51", "16 abstentions", "UNMIK", "2002"]),
        ("Taiwan", ["1984", "People's Republic of China"]),
        ("Western Sahara", ["Sahrawi Arab Democratic Republic"]),
    ],
)
def test_non_members_with_reasons_and_no_safe_haven(kb: Knowledge, name: str, facts: list[str]) -> None:
    answer = answer_membership(kb, name, None)
    assert answer.text.startswith(f"No — {name} is not a member of INTERPOL.")
    for fact in facts:
        assert fact in answer.text
    assert "no safe haven" in answer.text
    assert answer.sources, "a non-member answer must cite its sources"


def test_north_korea_by_its_acronym(kb: Knowledge) -> None:
    assert answer_membership(kb, "DPRK", None).text.startswith("No — North Korea is not a member")


def test_hong_kong_takes_part_through_chinas_ncb(kb: Knowledge) -> None:
    answer = answer_membership(kb, "Hong Kong", None)
    assert answer.text == ("Not separately — Hong Kong takes part through a sub-bureau of "
                           "China's National Central Bureau.")


@pytest.mark.parametrize(
    ("name", "via"),
    [("Bermuda", "the United Kingdom's"), ("Puerto Rico", "the United States'"), ("Macau", "China's")],
)
def test_territories_take_part_through_a_sub_bureau(kb: Knowledge, name: str, via: str) -> None:
    assert f"sub-bureau of {via} National Central Bureau" in answer_membership(kb, name, None).text


def test_membership_found_in_a_whole_sentence(kb: Knowledge) -> None:
    answer = answer_membership(kb, None, "Is the UK part of Interpol?")
    assert answer.text.startswith("Yes — the United Kingdom is one of")


def test_unknown_country_gets_suggestions_not_a_guess(kb: Knowledge) -> None:
    answer = answer_membership(kb, "Frence", None)
    assert answer.text.startswith("I couldn't find “Frence” in my list of countries.")
    assert "Did you mean:" in answer.text
    assert "France" in answer.suggestions
    assert not answer.text.startswith("Yes")


def test_misspelt_country_in_a_sentence(kb: Knowledge) -> None:
    answer = answer_membership(kb, None, "is frence a member of interpol?")
    assert "I couldn't find “frence”" in answer.text
    assert answer.suggestions[0] == "France"


def test_unknown_country_without_close_match(kb: Knowledge) -> None:
    answer = answer_membership(kb, "Xyzzyland", None)
    assert answer.text.startswith("I couldn't find “Xyzzyland” in my list of countries.")
    assert answer.suggestions == []
    assert "Did you mean" not in answer.text


def test_ambiguous_name_asks_which_country(kb: Knowledge) -> None:
    answer = answer_membership(kb, "Congo", None)
    assert "could mean more than one country" in answer.text
    assert set(answer.suggestions) == {"Republic of the Congo", "Democratic Republic of the Congo"}


def test_no_country_at_all_asks_for_one(kb: Knowledge) -> None:
    answer = answer_membership(kb, None, "is it a member?")
    assert "196 member countries" in answer.text
    assert "which country" in answer.text


def test_member_count_and_how_it_adds_up(kb: Knowledge) -> None:
    text = answer_member_count(kb).text
    assert text.startswith("INTERPOL has 196 member countries.")
    assert "the 193 UN member states, less North Korea and Tuvalu (191)" in text
    assert ("plus the State of Palestine, Vatican City State, Aruba, Curaçao and "
            "Sint Maarten = 196") in text
    assert "Palau" in text and "29 November 2023" in text


def test_non_members_answer_lists_all_with_reasons(kb: Knowledge) -> None:
    answer = answer_non_members(kb)
    for name in ("North Korea", "Tuvalu", "Kosovo", "Taiwan", "Western Sahara"):
        assert f"- {name}: " in answer.text
    assert "no safe haven" in answer.text
    assert {"ga_2018_kosovo", "press_1984_taiwan"} <= {s.id for s in answer.sources}


# ---- the member list itself -------------------------------------------------------------

def test_member_list_is_built_as_the_brief_says(kb: Knowledge) -> None:
    assert len(kb.members) == kb.member_count == 196
    assert sum(1 for c in kb.members if c.un_member) == 191
    assert {c.name for c in kb.members if not c.un_member} == {
        "State of Palestine", "Vatican City State", "Aruba", "Curaçao", "Sint Maarten"}
    assert {c.name for c in kb.non_members} == {
        "North Korea", "Tuvalu", "Kosovo", "Taiwan", "Western Sahara"}
    assert {c.name for c in kb.non_members if c.un_member} == {"North Korea", "Tuvalu"}


def test_only_the_briefs_join_dates_appear(kb: Knowledge) -> None:
    joined = {c.name: c.joined for c in kb.countries if c.joined}
    assert set(joined) == set(BRIEF_JOIN_YEARS)
    assert {name: value[:4] for name, value in joined.items()} == BRIEF_JOIN_YEARS
    assert joined["State of Palestine"] == "2017-09-27"
    assert joined["Palau"] == "2023-11-29"


def test_territories_and_their_bureaus(kb: Knowledge) -> None:
    via = {c.name: c.via for c in kb.territories}
    assert via == {
        "Hong Kong": "China", "Macao": "China",
        "Anguilla": "United Kingdom", "Bermuda": "United Kingdom",
        "British Virgin Islands": "United Kingdom", "Cayman Islands": "United Kingdom",
        "Gibraltar": "United Kingdom", "Montserrat": "United Kingdom",
        "Turks and Caicos Islands": "United Kingdom",
        "American Samoa": "United States", "Puerto Rico": "United States",
        "Guam": "United States", "U.S. Virgin Islands": "United States",
        "Northern Mariana Islands": "United States",
    }


# ---- notices ---------------------------------------------------------------------------

def test_red_notice_is_not_an_arrest_warrant(kb: Knowledge) -> None:
    answer = answer_notice(kb, "red")
    assert "not an international arrest warrant" in answer.text
    assert answer.topic_ref == "notice_red"
    assert answer.offer_consultation is True


def test_red_notice_effect_depends_on_national_law(kb: Knowledge) -> None:
    text = answer_topic(kb, "red_notice_effect", detail=True).text
    assert "depends on the national law of the country where the person is" in text
    assert "never arrest" not in text.lower()


def test_red_notice_minimum_criteria(kb: Knowledge) -> None:
    text = answer_topic(kb, "red_notice_criteria", detail=True).text
    for fact in ("Article 83", "serious ordinary-law crime", "two years", "six months",
                 "behavioural or cultural norms", "family or private matters",
                 "unless they are linked to organised crime"):
        assert fact in text


def test_silver_notice_pilot(kb: Knowledge) -> None:
    text = answer_notice(kb, "Silver Notice").text
    assert "January 2025" in text and "Italy" in text and "about 50 countries" in text


def test_un_special_notice_since_2005(kb: Knowledge) -> None:
    text = answer_notice(kb, "UN special notice").text
    assert "UN Security Council sanctions" in text and "2005" in text


def test_diffusions_can_be_challenged_the_same_way(kb: Knowledge) -> None:
    answer = answer_notice(kb, "diffusions", detail=True)
    assert "challenged" in answer.text and answer.offer_consultation


def test_notice_overview_lists_every_type(kb: Knowledge) -> None:
    answer = answer_notice(kb, None)
    assert answer.topic_ref == "notices"
    for notice in kb.notice_types:
        assert kb.topic(notice.topic).short in answer.text


# ---- CCF, Constitution, the firm --------------------------------------------------------

def test_ccf_request_details_and_address(kb: Knowledge) -> None:
    answer = answer_topic(kb, "ccf", detail=True)
    for fact in ("200 quai Charles de Gaulle, 69006 Lyon, France", "free of charge",
                 "in writing", "Arabic, English, French or Spanish", "identity document",
                 "power of attorney", "access to, correction of or deletion of",
                 "nobody can guarantee an outcome"):
        assert fact in answer.text
    assert answer.offer_consultation


def test_article_3_is_quoted_exactly(kb: Knowledge) -> None:
    quote = ('"It is strictly forbidden for the Organization to undertake any intervention '
             'or activities of a political, military, religious or racial character."')
    assert quote in answer_topic(kb, "constitution", detail=True).text
    assert quote in answer_topic(kb, "article_3").text


def test_interpol_facts(kb: Knowledge) -> None:
    text = answer_topic(kb, "interpol_overview", detail=True).text
    for fact in ("7 September 1923", "Vienna", "1956", "Lyon", "1989",
                 "Arabic, English, French and Spanish", "196 member countries"):
        assert fact in text
    structure = answer_topic(kb, "interpol_structure", detail=True).text
    assert "National Central Bureau" in structure and "I-24/7" in structure and "2002" in structure


def test_firm_services_never_promise_an_outcome(kb: Knowledge) -> None:
    text = answer_topic(kb, "firm_services", detail=True).text
    assert "nobody can guarantee an outcome" in text
    assert "free first consultation" in text
    for topic in kb.topics.values():
        assert "ensure the removal" not in f"{topic.short} {topic.details}".lower()


def test_nonmember_cooperation_is_never_a_guaranteed_route(kb: Knowledge) -> None:
    text = answer_topic(kb, "nonmember_cooperation", detail=True).text
    assert "In practice, cooperation can run through" in text
    assert "UNMIK" in text and "no safe haven" in text


def test_consultation_is_offered_on_notice_extradition_and_ccf_topics(kb: Knowledge) -> None:
    for topic_id in ("notice_red", "notice_diffusion", "extradition", "ccf", "red_notice_effect"):
        assert kb.topic(topic_id).offer_consultation, topic_id
    assert not kb.topic("notice_black").offer_consultation


def test_seed_errors_are_not_repeated(kb: Knowledge) -> None:
    every_text = " ".join(f"{t.short} {t.details}" for t in kb.topics.values())
    assert "195 participating" not in every_text
    assert "54 countries" not in every_text
    assert "is officially a member" not in every_text


# ---- crime areas -------------------------------------------------------------------------

def test_crime_area_by_alias(kb: Knowledge) -> None:
    answer = answer_crime_area(kb, "mafia")
    assert answer.topic_ref == "organised_crime"
    assert "Palermo" in answer_crime_area(kb, "organised_crime", detail=True).text


def test_crime_area_overview_lists_every_area(kb: Knowledge) -> None:
    answer = answer_crime_area(kb, None)
    assert answer.topic_ref == "crime_areas"
    for area in kb.crime_areas:
        assert f"- {area.name}" in answer.text
    assert "political, military, religious or racial" in answer.text


@pytest.mark.parametrize(
    ("area", "anchor"),
    [("terrorism", "Resolution 1373"), ("cybercrime", "Budapest Convention"),
     ("environmental_crime", "CITES"), ("cultural_heritage", "1970 UNESCO Convention"),
     ("war_crimes", "Rome Statute"), ("human_trafficking", "Trafficking in Persons Protocol")],
)
def test_legal_anchors_of_the_crime_areas(kb: Knowledge, area: str, anchor: str) -> None:
    assert anchor in answer_crime_area(kb, area, detail=True).text


# ---- sources ---------------------------------------------------------------------------------

def test_source_answer_for_a_topic(kb: Knowledge) -> None:
    answer = answer_source(kb, "territories")
    source = kb.sources["interpol_member_countries"]
    assert answer.text == (f"That answer comes from: {source.title} ({source.url}), "
                           f"as of {source.as_of}.")


def test_source_answer_for_a_country(kb: Knowledge) -> None:
    answer = answer_source(kb, "country:South Sudan")
    assert answer.text.startswith("That answer comes from: INTERPOL: Member countries")
    assert "80th INTERPOL General Assembly" in answer.text and "as of 2011-11" in answer.text


def test_source_answer_for_an_unknown_ref(kb: Knowledge) -> None:
    assert answer_source(kb, "nope").sources == []


def test_every_answer_carries_sources_and_a_date(kb: Knowledge) -> None:
    for topic_id in kb.topics:
        answer = answer_topic(kb, topic_id)
        assert answer.sources and answer.as_of and len(answer.related) <= 3


# ---- pick_topic ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("default", "text", "expected"),
    [
        ("notice_red", "Can I be arrested at the airport because of a red notice?", "red_notice_effect"),
        ("notice_red", "What are the criteria for issuing a red notice?", "red_notice_criteria"),
        ("notice_red", "What is a red notice?", "notice_red"),
        ("notice_red", "Is a red notice an arrest warrant?", "notice_red"),
        ("notice_red", "I am a recognised refugee and there is a red notice", "refugee_policy"),
        ("notice_red", "How do I get a red notice deleted by the CCF?", "ccf"),
        ("membership", "What are the benefits of membership?", "member_benefits"),
        ("membership", "Which countries are not members?", "non_members"),
        ("membership", "", "membership"),
        ("crime_areas", "Does interpol deal with cybercrime?", "cybercrime"),
        ("crime_areas", "What about poaching and illegal logging?", "environmental_crime"),
        ("ccf", "tell me more", "ccf"),
    ],
)
def test_pick_topic(kb: Knowledge, default: str, text: str, expected: str) -> None:
    assert pick_topic(kb, default, text) == expected


# ---- contracts -----------------------------------------------------------------------------

def test_no_fact_numbers_typed_in_python() -> None:
    """196/193/191 must come from the knowledge file, never from kb code."""
    for path in (PROJECT_ROOT / "kb").glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for number in ("196", "195", "193", "191"):
            assert not re.search(rf"\b{number}\b", code), f"{number} typed in {path.name}"


def _vocabulary_ids(section: str) -> set[str]:
    text = VOCABULARY.read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    if section == "notice_type":
        return set(re.findall(r"`([a-z_]+)`", body.split("Canonical ids:", 1)[1].split(".", 1)[0]))
    return set(re.findall(r"^- `([a-z_]+)`:", body, flags=re.MULTILINE))


@pytest.mark.skipif(not VOCABULARY.exists(), reason="docs/vocabulary.md not present")
def test_canonical_ids_match_the_vocabulary(kb: Knowledge) -> None:
    assert {n.id for n in kb.notice_types} == _vocabulary_ids("notice_type")
    assert {a.id for a in kb.crime_areas} == _vocabulary_ids("crime_area")
    for notice in kb.notice_types:
        assert notice.topic == f"notice_{notice.id}"
    for area in kb.crime_areas:
        assert area.topic == area.id


def test_canonical_crime_phrases_resolve(kb: Knowledge) -> None:
    if not VOCABULARY.exists():
        pytest.skip("docs/vocabulary.md not present")
    body = VOCABULARY.read_text(encoding="utf-8").split("## crime_area", 1)[1].split("\n## ", 1)[0]
    for area_id, phrases in re.findall(r"^- `([a-z_]+)`: (.+)$", body, flags=re.MULTILINE):
        for phrase in phrases.split(","):
            area = kb.crime_area(phrase.strip())
            assert area is not None and area.id == area_id, phrase


def test_knowledge_file_lives_in_the_project() -> None:
    assert Path(DEFAULT_PATH).is_file()
