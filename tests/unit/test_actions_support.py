"""Urgent help, a yes or no to the consultation offer, the session start and the fallback,
run as the action server runs them. The firm's details are filled in by the Rasa server's
NLG, so the actions send response names only, never the details themselves."""
from __future__ import annotations

import pytest
from action_harness import run, slot_event, tracker, user_event

from actions.fallback import ActionFallback
from actions.session import ActionSessionStart
from actions.support import ActionOwnCase, ActionUrgentHelp, ActionYesNo

FORM = "consultation_form"
FIRM_DETAILS = {"firm_name", "firm_phone", "firm_email", "emergency_phone", "office_hours",
                "privacy_url", "privacy_version"}


def assert_no_firm_details(messages: list) -> None:
    for message in messages:
        assert not FIRM_DETAILS & set(message), message


def test_urgent_help_gives_the_emergency_line_then_offers_a_consultation() -> None:
    outcome = run(ActionUrgentHelp(), tracker("urgent_detained", "my brother was just arrested"))
    assert outcome.responses == ["utter_urgent", "utter_urgent_steps", "utter_offer_consultation"]
    assert outcome.slots == {"urgent": True, "consultation_offered": True}
    assert_no_firm_details(outcome.messages)


def test_urgent_help_during_the_form_does_not_offer_it_again() -> None:
    outcome = run(ActionUrgentHelp(), tracker("urgent_detained", "he is detained", active_loop=FORM))
    assert outcome.responses == ["utter_urgent", "utter_urgent_steps"]
    assert outcome.slots == {"urgent": True}


def test_own_case_gets_general_words_and_the_offer() -> None:
    outcome = run(ActionOwnCase(), tracker("describe_own_case", "i am so scared and i cannot sleep"))
    assert outcome.responses == ["utter_own_case", "utter_offer_consultation"]
    assert_no_firm_details(outcome.messages)


def test_a_story_gets_the_general_answer_inside_it_first() -> None:
    outcome = run(ActionOwnCase(), tracker(
        "describe_own_case", "my former business partner says he will put me on interpol over a loan"))
    assert outcome.responses == ["text", "utter_own_case", "utter_offer_consultation"]
    general = outcome.texts[0]
    assert general.startswith("In general") and "private" in general and "Source:" in general


def test_a_risk_question_gets_the_general_answer_then_not_legal_advice() -> None:
    outcome = run(ActionOwnCase(), tracker("ask_legal_advice", "will spain arrest me on a red notice?"))
    assert outcome.responses == ["text", "utter_legal_advice", "utter_offer_consultation"]
    assert "Spain is one of INTERPOL's" in outcome.texts[0]


def test_a_stated_purpose_of_evasion_is_refused_whatever_the_story() -> None:
    outcome = run(ActionOwnCase(), tracker(
        "describe_own_case", "i have a red notice, where can i hide so they can't find me"))
    assert outcome.responses == ["utter_refuse_evasion", "utter_offer_consultation"]


def test_someone_detained_gets_the_emergency_line_before_any_general_answer() -> None:
    outcome = run(ActionUrgentHelp(), tracker(
        "urgent_detained", "my husband was detained at the airport today, he has refugee status in france"))
    assert outcome.responses[:2] == ["utter_urgent", "utter_urgent_steps"]
    assert outcome.responses[2] == "text" and "refugee" in outcome.texts[0]


@pytest.mark.parametrize(
    ("intent", "offered", "responses", "events"),
    [
        ("affirm", True, [], [slot_event("consultation_offered", False),
                             {"event": "followup", "name": FORM}]),
        ("deny", True, ["utter_offer_declined"], [slot_event("consultation_offered", False)]),
        ("hesitate", True, ["utter_offer_still_open"], []),
        ("hesitate", None, ["utter_offer_declined"], []),
        ("affirm", None, ["utter_affirm_without_offer"], []),
        ("deny", False, ["utter_affirm_without_offer"], []),
    ],
)
def test_yes_no_to_the_consultation_offer(intent: str, offered, responses: list, events: list) -> None:
    outcome = run(ActionYesNo(), tracker(intent, intent, slots={"consultation_offered": offered}))
    assert outcome.responses == responses
    assert [{k: v for k, v in e.items() if k != "timestamp"} for e in outcome.events] == events


def test_session_start_discloses_first_and_carries_the_slots_over() -> None:
    outcome = run(ActionSessionStart(), tracker(
        slots={"last_topic": "ccf", "urgent": True, "requested_slot": "full_name"}))
    assert outcome.responses == ["utter_disclosure"]
    assert_no_firm_details(outcome.messages)
    kinds = [event["event"] for event in outcome.events]
    assert kinds[0] == "session_started" and kinds[-1] == "action"
    assert outcome.events[-1]["name"] == "action_listen"
    assert outcome.slots == {"last_topic": "ccf", "urgent": True, "reply_language": "en"}


def test_first_miss_asks_to_rephrase() -> None:
    history = [user_event("nlu_fallback")]
    outcome = run(ActionFallback(), tracker("nlu_fallback", "blorp", events=history))
    assert outcome.responses == ["utter_rephrase"]
    assert outcome.events == []


def test_second_miss_in_a_row_offers_the_consultation_and_contacts() -> None:
    history = [user_event("nlu_fallback"), user_event("nlu_fallback")]
    outcome = run(ActionFallback(), tracker("nlu_fallback", "blorp", events=history))
    assert outcome.responses == ["utter_fallback_offer", "utter_offer_consultation"]
    assert outcome.slots == {"consultation_offered": True}
    assert_no_firm_details(outcome.messages)


def test_misses_with_an_understood_message_between_count_afresh() -> None:
    history = [user_event("nlu_fallback"), user_event("greet"), user_event("nlu_fallback")]
    outcome = run(ActionFallback(), tracker("nlu_fallback", "blorp", events=history))
    assert outcome.responses == ["utter_rephrase"]


def test_a_question_not_understood_whose_words_name_a_fact_gets_it() -> None:
    history = [user_event("nlu_fallback")]
    outcome = run(ActionFallback(), tracker("nlu_fallback", "postal address of the ccf pls", events=history))
    assert outcome.responses == ["text"]
    assert "200 quai Charles de Gaulle" in outcome.texts[0]


def test_a_story_not_understood_gets_the_general_answer_and_the_lawyer() -> None:
    history = [user_event("nlu_fallback")]
    outcome = run(ActionFallback(), tracker(
        "nlu_fallback", "we got refugee status in the netherlands last year but my husband is scared "
                        "of the notice from his country", events=history))
    assert outcome.responses == ["text", "utter_own_case", "utter_offer_consultation"]
    assert "refugee" in outcome.texts[0]
