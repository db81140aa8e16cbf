"""A message the assistant did not understand is never met with silence."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from firm import response_variables




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
    """First miss: ask to rephrase and show the menu. Second miss in a row: offer the
    consultation and the firm's contact details instead of asking again."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if consecutive_misses(tracker.events) < 2:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        dispatcher.utter_message(response="utter_fallback_offer", **response_variables())
        dispatcher.utter_message(response="utter_offer_consultation")
        return [SlotSet("consultation_offered", True)]
