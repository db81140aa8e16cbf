"""Answers to knowledge questions, and where they come from."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entities, latest_intent
from kb import Answer, Message, answer, answer_source, get_knowledge, get_routes


def related_buttons(answer: Answer) -> List[Dict[str, str]]:
    """"Tell me more" buttons for the answer's related topics."""
    return [
        {"title": title, "payload": f'/choose_topic{{"topic":"{topic_id}"}}'}
        for topic_id, title in answer.related
    ]


class ActionAnswer(Action):
    """Answers a question from the knowledge file and, after a topic that usually means a
    personal problem (Red Notice, extradition, CCF), offers a consultation."""

    def name(self) -> Text:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = Message(
            intent=latest_intent(tracker),
            entities=latest_entities(tracker),
            text=tracker.latest_message.get("text") or "",
            last_topic=tracker.get_slot("last_topic"),
        )
        reply = answer(get_knowledge(), get_routes(), message)
        if reply is None:
            dispatcher.utter_message(response="utter_menu")
            return []
        dispatcher.utter_message(text=reply.text, buttons=related_buttons(reply))
        events: List[EventType] = [SlotSet("last_topic", reply.topic_ref)]
        offer = reply.offer_consultation and tracker.active_loop_name is None
        if offer:
            dispatcher.utter_message(response="utter_offer_consultation")
        events.append(SlotSet("consultation_offered", offer))
        return events


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
        dispatcher.utter_message(text=answer_source(get_knowledge(), last_topic).text)
        return []
