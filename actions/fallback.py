"""A message the assistant did not understand is never met with silence."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge_for, latest_message
from actions.replies import refusal_or_story, send_answer
from kb import answer_by_words


def consecutive_misses(events: List[Dict[str, Any]]) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        misses += 1
    return misses


class ActionFallback(Action):
    """Not understood by the NLU: a stated purpose of evasion is refused; a story or a
    question whose words clearly name a topic or fact of the knowledge file gets that answer.
    Otherwise, first miss: ask to rephrase and show the menu; second miss in a row: offer the
    consultation and the firm's contact details instead of asking again."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        message = latest_message(tracker)
        before = refusal_or_story(dispatcher, tracker, message)
        if before is not None:
            return before
        known = answer_by_words(knowledge_for(tracker), message)
        if known is not None:
            return send_answer(dispatcher, tracker, known)
        if consecutive_misses(tracker.events) < 2:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        dispatcher.utter_message(response="utter_fallback_offer")
        dispatcher.utter_message(response="utter_offer_consultation")
        return [SlotSet("consultation_offered", True)]
