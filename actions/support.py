"""Replies that offer a consultation: urgent help, a person describing their own case, and
answers to a pending offer."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge_for, latest_intent, latest_message
from actions.replies import (offer_consultation, own_case_reply, refuse_evasion, send_answer, story_reply,
                             urgent_lines)
from kb import answer_story, get_boundaries


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
        events = urgent_lines(dispatcher)
        message = latest_message(tracker)
        general = answer_story(knowledge_for(tracker), message) if message.tells_own_situation else None
        if general is not None:  # after the emergency line, what their words ask about
            events += send_answer(dispatcher, tracker, general)
        return [*events, *offer_consultation(dispatcher, tracker)]


class ActionOwnCase(Action):
    """A person who tells their own situation, or asks what will happen to them: the general
    information their words are about, if the knowledge file has any ("In general, ...",
    with its source), then that a lawyer can assess their case, and the consultation offer.
    Never an assessment or a prediction of the case."""

    def name(self) -> Text:
        return "action_own_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = latest_message(tracker)
        if get_boundaries().states_evasion(message.text):
            return refuse_evasion(dispatcher, tracker)
        return story_reply(dispatcher, tracker, message) or own_case_reply(dispatcher, tracker, message)


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
