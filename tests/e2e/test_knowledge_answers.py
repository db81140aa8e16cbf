"""Every fact in the knowledge brief, asked the way people ask, answered correctly over REST."""
from __future__ import annotations

import pytest

from tests.chat import Chat


@pytest.mark.parametrize(
    "question, expected, absent",
    [
        ("is south sudan a member of interpol?", ["Yes", "South Sudan", "2011"], ["not a member"]),
        ("Is Palestine in Interpol?", ["Yes", "Palestine", "2017"], ["not a member"]),
        ("is north korea a member?", ["No", "North Korea"], ["Yes —"]),
        ("kosovo interpol member?", ["No", "Kosovo", "2018", "UNMIK"], ["Yes —"]),
        ("is taiwan a member of interpol", ["No", "Taiwan", "1984"], ["Yes —"]),
        ("Is Tuvalu part of INTERPOL?", ["No", "Tuvalu"], ["Yes —"]),
        ("is hong kong a member of interpol?", ["Hong Kong", "sub-bureau", "China"], ["Yes —"]),
        ("is the usa a member of interpol?", ["Yes", "United States"], []),
        ("is Türkiye a member?", ["Yes"], ["couldn't find"]),
    ],
)
def test_membership_of_a_country(chat: Chat, question: str, expected: list, absent: list) -> None:
    answer = chat.text(question)
    for fragment in expected:
        assert fragment in answer, answer
    for fragment in absent:
        assert fragment not in answer, answer


def test_member_count_and_how_it_adds_up(chat: Chat) -> None:
    answer = chat.text("how many countries are members of interpol?")
    assert "196" in answer and "193" in answer and "Palau" in answer


def test_non_members_are_listed_with_reasons(chat: Chat) -> None:
    answer = chat.text("which countries are not part of interpol?")
    for country in ("North Korea", "Tuvalu", "Kosovo", "Taiwan", "Western Sahara"):
        assert country in answer
    assert "South Sudan" not in answer and "Palestine" not in answer
    assert "no safe haven" in answer


def test_red_notice_is_not_an_arrest_warrant(chat: Chat) -> None:
    answer = chat.text("is a red notice an international arrest warrant?")
    assert "not an international arrest warrant" in answer
    assert "consultation" in answer  # offered after a Red Notice answer


def test_crime_areas_cover_the_seven_and_more(chat: Chat) -> None:
    answer = chat.text("what crimes does interpol deal with?").lower()
    for area in ("terrorism", "organised crime", "cybercrime", "trafficking", "environmental",
                 "cultural", "war crimes", "financial crime"):
        assert area in answer, area


def test_political_cases_and_article_3(chat: Chat) -> None:
    answer = chat.text("does interpol handle political cases?")
    assert "Art" in answer and "3" in answer and "political" in answer


def test_silver_notice_is_a_pilot(chat: Chat) -> None:
    answer = chat.text("what is a silver notice?")
    assert "pilot" in answer and "2025" in answer


def test_ccf_address_and_free_request(chat: Chat) -> None:
    answer = chat.text("how can I get my red notice deleted? who do I write to?")
    assert "Commission for the Control of INTERPOL's Files" in answer or "CCF" in answer


def test_interpol_does_not_arrest(chat: Chat) -> None:
    answer = chat.text("can interpol arrest me?").lower()
    assert "does not arrest" in answer or "no police powers" in answer or "cannot arrest" in answer


def test_follow_up_keeps_the_context(chat: Chat) -> None:
    assert "South Sudan" in chat.text("is south sudan a member?")
    assert "Serbia" in chat.text("and serbia?")
    chat.text("what is a yellow notice?")
    assert "Blue" in chat.text("and the blue one?")


def test_source_of_the_last_answer(chat: Chat) -> None:
    chat.text("is north korea a member of interpol?")
    answer = chat.text("where is this from?")
    assert "as of" in answer and "http" in answer


def test_misspelt_country_gets_closest_matches_not_a_guess(chat: Chat) -> None:
    answer = chat.text("is frence a member of interpol?")
    assert "couldn't find" in answer and "France" in answer
    assert "Yes —" not in answer
