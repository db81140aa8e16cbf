"""Answers to knowledge questions, and where they come from."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_entities, latest_intent
from actions.routing import answer_message
from kb import Answer, answers, get_knowledge


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
        answer = answer_message(
            get_knowledge(),
            latest_intent(tracker),
            latest_entities(tracker),
            tracker.latest_message.get("text") or "",
            tracker.get_slot("last_topic"),
        )
        if answer is None:
            dispatcher.utter_message(response="utter_menu")
            return []
        dispatcher.utter_message(text=answer.text, buttons=related_buttons(answer))
        events: List[EventType] = [SlotSet("last_topic", answer.topic_ref)]
        offer = answer.offer_consultation and tracker.active_loop_name is None
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
        dispatcher.utter_message(text=answers.answer_source(get_knowledge(), last_topic).text)
        return []
