"""The consultation form's validator, run as the action server runs it after Rasa extracted an
answer (a slot event at the end of the tracker): what the person is told, and which answers
are kept. No database is involved until the request is submitted."""
from __future__ import annotations

from typing import Any, Dict, Optional

from action_harness import run, slot_event, tracker

from actions.forms.consultation import ActionAskPrivacyConsent, ValidateConsultationForm
from firm import get_settings

FORM = "consultation_form"


def answer(slot: str, value: Any, slots: Optional[Dict[str, Any]] = None, intent: str = "inform",
           confidence: float = 1.0):
    """The form asked ``slot``; the person's reply filled it with ``value``."""
    known = {"privacy_consent": True, "requested_slot": slot, **(slots or {})}
    return run(ValidateConsultationForm(), tracker(
        intent, str(value), slots={**known, slot: value}, active_loop=FORM,
        events=[slot_event(slot, value)], confidence=confidence))


def test_a_valid_name_is_kept_and_its_misses_forgotten() -> None:
    outcome = answer("full_name", "Maria Ivanova", {"field_misses": {"full_name": 1}})
    assert outcome.messages == []
    assert outcome.slots["full_name"] == "Maria Ivanova"
    assert outcome.slots["field_misses"] == {}


def test_an_email_given_as_name_is_asked_again_with_a_reason() -> None:
    outcome = answer("full_name", "maria@example.com")
    assert outcome.slots["full_name"] is None
    assert outcome.slots["field_misses"] == {"full_name": 1}
    assert outcome.texts[0].startswith("That looks like an email address.")


def test_third_miss_offers_the_firms_contacts() -> None:
    outcome = answer("full_name", "12345", {"field_misses": {"full_name": 2}})
    assert outcome.responses == ["text", "utter_too_many_misses"]
    assert outcome.slots["field_misses"] == {"full_name": 3}
    assert set(outcome.messages[1]) & {"firm_phone", "firm_email"} == set()


def test_a_misspelt_country_gets_suggestions() -> None:
    outcome = answer("current_country", "Germny")
    assert outcome.slots["current_country"] is None
    assert outcome.texts == ["I couldn't find “Germny” in my list of countries. Did you mean: Germany?"]


def test_a_country_alias_is_stored_under_its_name() -> None:
    outcome = answer("current_country", "Deutschland")
    assert outcome.slots["current_country"] == "Germany"


def test_not_sure_is_accepted_only_for_the_issuing_country() -> None:
    assert answer("issuing_country", "not sure").slots["issuing_country"] == "Not sure"
    assert answer("current_country", "not sure").slots["current_country"] is None


def test_contact_keeps_email_and_phone_apart() -> None:
    outcome = answer("contact", "maria@example.com")
    assert outcome.slots["contact"] == "maria@example.com"
    assert outcome.slots["email"] == "maria@example.com"
    assert outcome.slots["phone"] is None


def test_consent_on_a_clear_yes_records_the_notice_version() -> None:
    outcome = answer("privacy_consent", True, intent="affirm")
    assert outcome.slots["privacy_consent"] is True
    assert outcome.slots["consent_version"] == get_settings().privacy_notice.version
    assert outcome.slots["consent_at"]
    assert outcome.slots["consultation_offered"] is False


def test_an_unsure_yes_to_consent_is_asked_again() -> None:
    outcome = answer("privacy_consent", True, intent="affirm", confidence=0.5)
    assert outcome.responses == ["utter_need_clear_answer"]
    assert outcome.slots["privacy_consent"] is None


def test_refused_consent_ends_the_form_before_any_personal_question() -> None:
    outcome = answer("privacy_consent", False, intent="deny")
    assert outcome.messages == []
    assert outcome.slots == {"requested_slot": None}  # no question left: Rasa ends the form


def test_submit_needs_a_clear_yes() -> None:
    confirmed = answer("submission_confirmed", "submit", intent="affirm")
    assert confirmed.slots["submission_confirmed"] == "submit"
    unsure = answer("submission_confirmed", "submit", intent="affirm", confidence=0.5)
    assert unsure.slots["submission_confirmed"] is None
    assert unsure.responses == ["utter_need_clear_answer"]


def test_changing_one_answer_clears_it_so_the_form_asks_it_again() -> None:
    outcome = answer("submission_confirmed", "change:language", {"language": "French"})
    assert outcome.slots["submission_confirmed"] is None
    assert outcome.slots["language"] is None


def test_consent_question_carries_no_firm_details_itself() -> None:
    outcome = run(ActionAskPrivacyConsent(), tracker("affirm", "yes"))
    assert outcome.responses == ["utter_privacy_consent_question"]
    assert set(outcome.messages[0]) & {"privacy_url", "privacy_version"} == set()
    assert outcome.slots == {"consultation_offered": False}
