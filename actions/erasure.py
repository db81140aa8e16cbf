""""Delete my data": the person's requests and this conversation are erased."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import get_store


class ActionEraseMyData(Action):
    """Erases the stored requests now; the conversation itself is erased by the tracker store
    when it sees `erasure_requested` (rasa_server/stores/tracker_store.py), after this reply is sent."""

    def name(self) -> Text:
        return "action_erase_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        count = await asyncio.to_thread(
            get_store().erase, conversation_id=tracker.sender_id, source="chat"
        )
        if count:
            dispatcher.utter_message(response="utter_data_erased", count=count)
        else:
            dispatcher.utter_message(response="utter_nothing_to_erase")
        return [ActiveLoop(None), SlotSet("erasure_requested", True)]
