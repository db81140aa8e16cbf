"""Submitting the consultation request: stored before it is confirmed, exactly once."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import reply_language
from actions.services import get_store
from actions.forms.consultation import clear_form_events
from intake import validation
from intake.records import ConsultationRequest

logger = logging.getLogger(__name__)


def request_from_tracker(tracker: Tracker) -> ConsultationRequest:
    """The stored record: the form's answers, the channel and the consent given."""
    slot = tracker.get_slot
    problem_type = slot("problem_type") or "other"
    return ConsultationRequest(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        full_name=slot("full_name"),
        email=slot("email"),
        phone=slot("phone"),
        current_country=slot("current_country"),
        issuing_country=slot("issuing_country"),
        problem_type=problem_type,
        language=slot("language"),
        description=slot("description") or "",
        consent_version=slot("consent_version"),
        consent_at=datetime.fromisoformat(slot("consent_at")),
        urgent=bool(slot("urgent")) or validation.is_urgent_problem(problem_type),
        chat_language=reply_language(tracker),
    )


class ActionSubmitConsultation(Action):
    def name(self) -> Text:
        return "action_submit_consultation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if tracker.get_slot("privacy_consent") is not True:
            dispatcher.utter_message(response="utter_consent_refused")
            return clear_form_events(domain)
        request = request_from_tracker(tracker)
        try:
            result = await asyncio.to_thread(get_store().submit, request)
        except Exception:  # the person must hear about any failure, whatever its kind
            logger.exception("Could not store consultation request of %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_request_failed")
            return [SlotSet("submission_confirmed", None)]
        if result.created:
            dispatcher.utter_message(
                response="utter_request_submitted_urgent" if request.urgent else "utter_request_submitted",
                full_name=request.full_name,
                reference=result.reference,
            )
        else:
            dispatcher.utter_message(
                response="utter_request_already_submitted", reference=result.reference
            )
        return [SlotSet("request_reference", result.reference), *clear_form_events(domain)]
