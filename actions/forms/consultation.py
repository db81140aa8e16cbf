"""The consultation form: its one validator, the questions that need the firm's settings,
going back a step and cancelling.

Validation rules themselves live in `intake.validation` and `kb` (countries); this module
only turns their results into slots and kind messages.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import form_slots, is_clear_yes, knowledge_for, latest_intent, reply_language
from firm import get_settings
from i18n import get_catalog
from intake import validation
from kb import Knowledge

MAX_MISSES = 3
LANGUAGE_BUTTONS = 6
UNKNOWN_COUNTRY = "Not sure"  # stored for the lawyers (English); shown in the person's language
UNSURE_WORDS = {"not sure", "unsure", "don't know", "dont know", "i don't know", "unknown", "no idea"}

# Slots the form fills besides its questions; all are cleared when a request is cancelled.
DERIVED_SLOTS = ["email", "phone", "consent_version", "consent_at", "field_misses"]


def clear_form_events(domain: Dict[str, Any]) -> List[EventType]:
    """Forget every answer of the form (cancel, consent refused, after submission)."""
    names = form_slots(domain) + DERIVED_SLOTS + ["requested_slot"]
    return [SlotSet(name, None) for name in names]


def resolve_country(text: str, allow_unsure: bool, kb: Knowledge) -> validation.Validated:
    """A country from the knowledge file (named in the knowledge base's language or in
    English), or a message naming the closest matches. The value is the file's English name."""
    cleaned = text.strip()
    if allow_unsure and cleaned.casefold().strip(".!") in unsure_words(kb.language):
        return validation.Validated(UNKNOWN_COUNTRY, None)
    match = kb.find_country_in_text(cleaned) or kb.match_country(cleaned)
    if match.country is not None:
        return validation.Validated(match.country.name, None)
    query = match.query or cleaned
    if match.suggestions:
        names = [_shown_country(kb, name) for name in match.suggestions]
        message = kb.say("answers.unknown_country_suggest", query=query,
                         suggestions=", ".join(names[:-1]) + (f" {kb.say('answers.or')} " if len(names) > 1 else "")
                         + names[-1])
    else:
        message = kb.say("answers.unknown_country", query=query)
    return validation.Validated(None, message)


def unsure_words(language: str) -> set[str]:
    """"Not sure" as a person may type it: the English words, the form's own "Not sure" in the
    language, and what the language says for the "other" problem type ("не знаю", "emin değilim")."""
    other = get_settings().problem_type("other")
    return {*UNSURE_WORDS, say(language, "form.not_sure").casefold(),
            *(validation.problem_aliases(other, language) if other else ())}


def say(language: str, key: str, /, **params: Any) -> str:
    return get_catalog().say(language, key.removeprefix("messages."), **params)


def _shown_country(kb: Knowledge, name: Optional[str]) -> str:
    """A stored country (English name) as the person reads it."""
    if name == UNKNOWN_COUNTRY:
        return say(kb.language, "form.not_sure")
    country = kb.country(name) if name else None
    return (country.label or country.name) if country is not None else (name or "")


def summary_text(tracker: Tracker) -> str:
    """What the person is about to send, in their language, so they can check it before confirming."""
    slot = tracker.get_slot
    kb = knowledge_for(tracker)
    language = kb.language
    contact = ", ".join(value for value in (slot("email"), slot("phone")) if value)
    problem = get_settings().problem_type(slot("problem_type") or "")
    values = {
        "full_name": slot("full_name"),
        "contact": contact,
        "current_country": _shown_country(kb, slot("current_country")),
        "issuing_country": _shown_country(kb, slot("issuing_country")),
        "problem_type": validation.problem_label(problem, language) if problem else slot("problem_type"),
        "language": slot("language"),
        "description": slot("description") or say(language, "form.no_description"),
    }
    lines = [say(language, "form.check_request")]
    lines += [f"- {field_title(name, language)}: {value}" for name, value in values.items()]
    return "\n".join(lines)


class ValidateConsultationForm(FormValidationAction):
    """Checks each answer; a wrong one gets a specific message and the question again, and
    after three misses on one question the firm's direct contacts are offered."""

    def name(self) -> Text:
        return "validate_consultation_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        # Without consent the form ends at once and no personal question is asked.
        if tracker.get_slot("privacy_consent") is False:
            return []
        return domain_slots

    def _result(
        self,
        slot: str,
        result: validation.Validated,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        extra: Optional[Dict[str, Any]] = None,
    ) -> Dict[Text, Any]:
        misses = dict(tracker.get_slot("field_misses") or {})
        if result.error is None:
            misses.pop(slot, None)
            return {slot: result.value, "field_misses": misses, **(extra or {})}
        misses[slot] = misses.get(slot, 0) + 1
        dispatcher.utter_message(text=result.error)
        if misses[slot] >= MAX_MISSES:
            dispatcher.utter_message(response="utter_too_many_misses")
        return {slot: None, "field_misses": misses}

    @staticmethod
    def _clear_yes(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Consent and "send it" only on a clear yes; otherwise the question is asked again."""
        if is_clear_yes(tracker.latest_message, get_settings().intake.clear_yes_confidence):
            return True
        dispatcher.utter_message(response="utter_need_clear_answer")
        return False

    def validate_privacy_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is not True:
            return {"privacy_consent": False}
        if not self._clear_yes(dispatcher, tracker):
            return {"privacy_consent": None}
        return {
            "privacy_consent": True,
            "consent_version": get_settings().privacy_notice.version,
            "consent_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "consultation_offered": False,
        }

    def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return self._result(
            "full_name", validation.validate_full_name(str(value), reply_language(tracker)), dispatcher, tracker
        )

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        checked = validation.validate_contact(str(value), language=reply_language(tracker))
        shown = ", ".join(part for part in (checked.email, checked.phone) if part) or None
        result = validation.Validated(shown, checked.error)
        if checked.error is None and checked.notice:
            dispatcher.utter_message(text=checked.notice)
        extra = {"email": checked.email, "phone": checked.phone}
        return self._result("contact", result, dispatcher, tracker, extra)

    def validate_current_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        result = resolve_country(str(value), allow_unsure=False, kb=knowledge_for(tracker))
        return self._result("current_country", result, dispatcher, tracker)

    def validate_issuing_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        result = resolve_country(str(value), allow_unsure=True, kb=knowledge_for(tracker))
        return self._result("issuing_country", result, dispatcher, tracker)

    def validate_problem_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        result = validation.validate_problem_type(str(value), language=reply_language(tracker))
        return self._result("problem_type", result, dispatcher, tracker)

    def validate_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return self._result(
            "language", validation.validate_language(str(value), language=reply_language(tracker)), dispatcher,
            tracker
        )

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return self._result(
            "description", validation.validate_description(str(value), language=reply_language(tracker)),
            dispatcher, tracker
        )

    def validate_submission_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        choice = str(value)
        if choice == "submit":
            if not self._clear_yes(dispatcher, tracker):
                return {"submission_confirmed": None}
            return {"submission_confirmed": "submit"}
        field = choice.split(":", 1)[1] if choice.startswith("change:") else None
        if field in CHANGEABLE_FIELDS:
            return {"submission_confirmed": None, field: None}
        # "Change an answer": the question is asked again as a choice of fields.
        return {"submission_confirmed": None}


# The answers a person can change before sending (titles: locales/en.yml form.field_<name>).
CHANGEABLE_FIELDS = ("full_name", "contact", "current_country", "issuing_country", "problem_type", "language",
                     "description")


def field_title(name: str, language: str) -> str:
    return say(language, f"form.field_{name}")


def change_buttons(domain: Dict[str, Any], language: str) -> List[Dict[str, str]]:
    return [
        {"title": field_title(name, language), "payload": f'/inform{{"topic":"change:{name}"}}'}
        for name in form_slots(domain)
        if name in CHANGEABLE_FIELDS
    ]


class ActionAskPrivacyConsent(Action):
    """The first question: consent to the privacy notice, with its link and version."""

    def name(self) -> Text:
        return "action_ask_privacy_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_privacy_consent_question")
        return [SlotSet("consultation_offered", False)]


class ActionAskProblemType(Action):
    def name(self) -> Text:
        return "action_ask_problem_type"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = reply_language(tracker)
        buttons = [
            {"title": validation.problem_label(kind, language), "payload": f'/inform{{"problem_type":"{kind.id}"}}'}
            for kind in validation.problem_types()
        ]
        dispatcher.utter_message(response="utter_ask_problem_type", buttons=buttons)
        return []


class ActionAskLanguage(Action):
    def name(self) -> Text:
        return "action_ask_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        # The most asked-for languages as buttons; any other can be typed.
        buttons = [
            {"title": language.name, "payload": f'/inform{{"language":"{language.name}"}}'}
            for language in get_settings().intake.languages[:LANGUAGE_BUTTONS]
        ]
        dispatcher.utter_message(response="utter_ask_language", buttons=buttons)
        return []


class ActionAskSubmissionConfirmed(Action):
    """Shows the whole request and asks to submit, change an answer or cancel; after
    "change an answer", asks which one."""

    def name(self) -> Text:
        return "action_ask_submission_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if latest_intent(tracker) == "deny":
            dispatcher.utter_message(
                response="utter_which_field_to_change", buttons=change_buttons(domain, reply_language(tracker))
            )
            return []
        language = reply_language(tracker)
        dispatcher.utter_message(
            text=summary_text(tracker),
            buttons=[
                {"title": say(language, "form.submit"), "payload": "/affirm"},
                {"title": say(language, "form.change"), "payload": "/deny"},
                {"title": say(language, "form.cancel"), "payload": "/cancel"},
            ],
        )
        return []


class ActionFormGoBack(Action):
    """"Go back": clear the previous answer so the form asks it again."""

    def name(self) -> Text:
        return "action_form_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        order = form_slots(domain)
        requested = tracker.get_slot("requested_slot")
        position = order.index(requested) if requested in order else len(order)
        answered = [name for name in order[:position] if tracker.get_slot(name) is not None]
        dispatcher.utter_message(response="utter_go_back_form")
        # Consent is never undone by "go back": withdrawing it is "cancel".
        if not answered or answered[-1] == "privacy_consent":
            return []
        return [SlotSet(answered[-1], None)]


class ActionCancelConsultation(Action):
    def name(self) -> Text:
        return "action_cancel_consultation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_consultation_cancelled")
        return [ActiveLoop(None), *clear_form_events(domain)]
