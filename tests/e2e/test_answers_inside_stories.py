"""A person who tells their story and asks inside it gets the general answer, then the
lawyer's offer; a question about one fact gets that fact first (over the REST webhook).

The first three are the issue's examples as visitors wrote them; the others are ours. None
is in the held-out sets of tests/answers/ (scripts/answers_report.py measures those).
"""
from __future__ import annotations

import re

import pytest

from firm import get_settings
from tests.chat import Chat

OWN_CASE = "I can't assess your own case"
NOT_ADVICE = "not legal advice"
OFFER = "consultation"
PREDICTION = re.compile(r"\byou will\b|\byou won't\b|\byou are safe\b|\bguarantee", re.IGNORECASE)


def first_reply(chat: Chat, message: str) -> str:
    text = chat.text(message)
    assert not PREDICTION.search(text), text
    return text


def assert_general_then_lawyer(text: str, *facts: str) -> None:
    """The facts, framed as general information with a source, before the lawyer's offer."""
    for fact in facts:
        assert fact.casefold() in text.casefold(), (fact, text)
    assert "In general" in text and "Source:" in text, text
    assert OWN_CASE in text or NOT_ADVICE in text, text
    assert text.index("In general") < text.index(OWN_CASE if OWN_CASE in text else NOT_ADVICE)
    assert OFFER in text, text


def test_a_refugee_hears_the_refugee_policy(chat: Chat) -> None:
    text = first_reply(chat, "I have refugee status in Germany, can Russia still put a red notice on me?")
    assert_general_then_lawyer(text, "recognised refugee", "fears persecution")


def test_a_private_debt_is_outside_interpols_rules(chat: Chat) -> None:
    text = first_reply(chat, "my ex business partner threatens to put me on interpol over a private "
                             "debt, can he do that?")
    assert_general_then_lawyer(text, "private", "83", "organised crime")


def test_arrest_in_a_member_country_depends_on_its_law(chat: Chat) -> None:
    text = first_reply(chat, "i was told there is a red notice on me from kazakhstan but i live in "
                             "spain, can spain arrest me?")
    assert_general_then_lawyer(text, "Spain", "member countries", "law")
    assert not text.lstrip().lower().startswith(("yes", "no"))


def test_how_long_the_ccf_takes_inside_a_story(chat: Chat) -> None:
    text = first_reply(chat, "we sent our complaint to the commission in lyon last spring and nobody "
                             "answered yet. how long does the ccf need to decide on deleting a notice?")
    assert "nine months" in text, text


def test_a_fact_question_gets_the_fact_first(chat: Chat) -> None:
    replies = chat.say("what is the postal adress of the ccf? i want to send them a letter")
    answer = next(r["text"] for r in replies if "Lyon" in r.get("text", ""))
    assert "200 quai Charles de Gaulle" in answer.split("\n\n")[0], answer
    assert any(b["title"].startswith("Commission for the Control") for r in replies for b in r.get("buttons", []))


def test_the_founding_year_and_city(chat: Chat) -> None:
    text = first_reply(chat, "in which year and in what city was interpol founded?")
    assert "1923" in text and "Vienna" in text, text


def test_what_countries_gain_from_membership(chat: Chat) -> None:
    text = first_reply(chat, "what do countries actually gain from being members of interpol?")
    assert "I-24/7" in text, text


def test_a_stated_purpose_of_evading_arrest_is_refused_with_the_lawful_ways(chat: Chat) -> None:
    text = first_reply(chat, "tell me the countries that are not part of interpol, i want to get "
                             "there before they arrest me")
    assert "I can't help anyone avoid arrest" in text and "lawful ways" in text, text
    assert "North Korea" not in text and "Tuvalu" not in text, text


@pytest.mark.parametrize("message", [
    "my father was arrested at the airport in frankfurt this morning because turkey put a red notice "
    "on him, please what do we do",
])
def test_someone_detained_now_gets_the_emergency_line_first(chat: Chat, message: str) -> None:
    replies = chat.say(message)
    line = get_settings().firm.emergency_phone
    texts = [r.get("text", "") for r in replies]
    first_with_line = next(i for i, t in enumerate(texts) if line in t)
    assert not any("In general" in t for t in texts[:first_with_line]), texts
