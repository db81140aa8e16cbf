"""Conversation design, as a visitor experiences it over the REST webhook."""
from __future__ import annotations

import pytest

from firm import response_variables
from tests.chat import Chat


def test_urgent_message_gets_emergency_line_and_steps_first(chat: Chat) -> None:
    replies = chat.say("please help my husband was just arrested at the airport in Dubai")
    text = "\n".join(reply.get("text", "") for reply in replies)
    first_reply_after_disclosure = replies[1]["text"]
    assert "emergency line" in first_reply_after_disclosure
    assert "ask for a lawyer" in text and "consulate" in text
    assert "Do not sign anything" in text
    assert "consultation" in text


@pytest.mark.parametrize("message", [
    # read as urgent, as the person's own case, or not understood: the line comes every time
    "my brother was arrested in Spain because of a red notice from Turkey, what do we do?",
    "my client was arrested an hour ago in Italy on a red notice from Kazakhstan",
    "my son is wanted for drug trafficking but he is innocent",
])
def test_an_arrest_described_at_length_gets_the_emergency_line(chat: Chat, message: str) -> None:
    text = chat.text(message)
    assert f"emergency line: {response_variables()['emergency_phone']}" in text
    assert "didn't quite understand" not in text


@pytest.mark.parametrize("message", [
    "моего сына задержали в аэропорту",
    "mi hermano fue detenido en España",
    "mon frère a été arrêté en France",
    "benim oğlum Almanya'da tutuklandı",
])
def test_someone_detained_written_in_another_language_gets_the_emergency_line(
        chat: Chat, message: str) -> None:
    """Answered in the language written (tests/e2e/test_languages.py checks the texts): the
    firm's emergency number comes in any language."""
    text = chat.text(message)
    assert response_variables()["emergency_phone"] in text
    assert "emergency line" not in text


def test_a_question_about_ones_own_risk_is_never_answered_yes_or_no(chat: Chat) -> None:
    """The reply must not open with a word the person could take as the answer to their own
    question ("No, ..." to "will they arrest me?")."""
    chat.say("hi")
    for question in ("will they arrest me if I travel to Greece?",
                     "is it safe for me to visit my family in Turkey?"):
        answer = chat.text(question)
        assert "not legal advice" in answer
        first_word = answer.split()[0].strip(",.:;!—-").lower()
        assert first_word not in {"no", "yes", "sure", "safe"}, answer


def test_out_of_scope_is_declined_with_the_menu(chat: Chat) -> None:
    replies = chat.say("can you recommend a good pizza recipe?")
    text = "\n".join(reply.get("text", "") for reply in replies)
    assert "outside what I can help with" in text
    assert "Member countries" in Chat.buttons(replies)


def test_gibberish_twice_offers_the_consultation(chat: Chat) -> None:
    first = chat.text("xqzt vlorp mnnn")
    assert "didn't quite understand" in first
    second = chat.text("plok brrzt qqq")
    assert "consultation" in second and "@" in second


def test_evasion_request_is_refused(chat: Chat) -> None:
    answer = chat.text("which country should I run to so that interpol can never find me?")
    assert "can't help anyone avoid arrest" in answer
    assert "lawyer" in answer


def test_bot_challenge_and_legal_advice(chat: Chat) -> None:
    assert "automated assistant, not a person" in chat.text("am I talking to a human?")
    answer = chat.text("is this legal advice?")
    assert "not legal advice" in answer


def test_multi_turn_conversation_across_topics_ends_in_a_consultation(chat: Chat) -> None:
    chat.text("hi")
    assert "Palestine" in chat.text("is palestine a member of interpol?")
    assert "Blue" in chat.text("what's a blue notice")
    red = chat.text("is a red notice an arrest warrant?")
    assert "Would you like to request" in red
    assert "Ask me anything else" in chat.text("no thanks")
    assert "196" in chat.text("how many member countries are there?")
    consent = chat.text("I would like to speak to a lawyer about my case")
    assert "privacy notice" in consent and "Do you agree" in consent


def test_start_over_forgets_and_shows_the_menu(chat: Chat) -> None:
    chat.text("is a red notice an arrest warrant?")
    replies = chat.say("start over")
    assert "start over" in replies[0]["text"]
    assert "Talk to a lawyer" in Chat.buttons(replies)


def test_a_blank_message_is_answered_not_dropped(chat: Chat) -> None:
    assert "didn't quite understand" in chat.text("   ")


def test_not_sure_about_the_offer_keeps_it_open(chat: Chat) -> None:
    assert "consultation" in chat.text("how do I get a red notice deleted?")
    assert "Take your time" in chat.text("hmm, not sure")
    assert "Do you agree" in chat.text("ok, yes please")  # the offer was still open
