"""Replies that carry the firm's details or offer a consultation: urgent help, contacts,
privacy, a person describing their own case, and answers to a pending offer."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent
from firm import response_variables


def offer_consultation(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Offer a consultation unless the person is already filling one in."""
    if tracker.active_loop_name is not None:
        return []
    dispatcher.utter_message(response="utter_offer_consultation")
    return [SlotSet("consultation_offered", True)]


class ActionOfferConsultation(Action):
    def name(self) -> Text:
        return "action_offer_consultation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return offer_consultation(dispatcher, tracker)


class ActionUrgentHelp(Action):
    """Someone is detained now: the emergency line and what to do, before any question."""

    def name(self) -> Text:
        return "action_urgent_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_urgent", **response_variables())
        dispatcher.utter_message(response="utter_urgent_steps")
        return [SlotSet("urgent", True), *offer_consultation(dispatcher, tracker)]


class ActionContactDetails(Action):
    def name(self) -> Text:
        return "action_contact_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_contact_details", **response_variables())
        return []


class ActionPrivacy(Action):
    def name(self) -> Text:
        return "action_privacy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_privacy", **response_variables())
        return []


class ActionOwnCase(Action):
    """General words and a consultation offer, never an assessment of the case."""

    def name(self) -> Text:
        return "action_own_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_own_case", **response_variables())
        return offer_consultation(dispatcher, tracker)


class ActionYesNo(Action):
    """A yes, no or "not sure" outside the form: accepts, declines or keeps open the
    consultation just offered; with no offer open, invites the next question."""

    def name(self) -> Text:
        return "action_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        offered, intent = tracker.get_slot("consultation_offered"), latest_intent(tracker)
        if intent == "hesitate":
            dispatcher.utter_message(response="utter_offer_still_open" if offered else "utter_offer_declined")
            return []
        if not offered:
            dispatcher.utter_message(response="utter_affirm_without_offer")
            return []
        if intent == "affirm":
            return [SlotSet("consultation_offered", False), FollowupAction("consultation_form")]
        dispatcher.utter_message(response="utter_offer_declined")
        return [SlotSet("consultation_offered", False)]
