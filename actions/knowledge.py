"""Answers to knowledge questions, and where they come from."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge_for, latest_message
from actions.replies import refusal_or_story, send_answer
from kb import answer, answer_source, get_routes


class ActionAnswer(Action):
    """Answers a question from the knowledge file and, after a topic that usually means a
    personal problem (Red Notice, extradition, CCF), offers a consultation."""

    def name(self) -> Text:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = latest_message(tracker)
        before = refusal_or_story(dispatcher, tracker, message)
        if before is not None:
            return before
        reply = answer(knowledge_for(tracker), get_routes(), message)
        if reply is None:
            dispatcher.utter_message(response="utter_menu")
            return []
        events = send_answer(dispatcher, tracker, reply)
        offer = reply.offer_consultation and tracker.active_loop_name is None
        if offer:
            dispatcher.utter_message(response="utter_offer_consultation")
        return [*events, SlotSet("consultation_offered", offer)]


class ActionSource(Action):
    """"Where is this from?": the sources and as-of date of the last answer."""

    def name(self) -> Text:
        return "action_source"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        last_topic = tracker.get_slot("last_topic")
        if not last_topic:
            dispatcher.utter_message(response="utter_no_source")
            return []
        dispatcher.utter_message(text=answer_source(knowledge_for(tracker), last_topic).text)
        return []
