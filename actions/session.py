"""The start of a conversation: the disclosure every new session begins with."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from firm import response_variables




class ActionSessionStart(Action):
    """Says, before anything else, that this is an automated assistant giving general
    information, not legal advice (EU AI Act Art. 50), whatever the first message is."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_disclosure", **response_variables())
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name != "requested_slot"
        ]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]

