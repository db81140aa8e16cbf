"""The start of a conversation: the disclosure every new session begins with."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LANGUAGE_SLOT
from firm import get_settings
from i18n.detect import language_code

LANGUAGE_METADATA = "language"  # the caller's choice, or the channel's reading of the first message
PAGE_LANGUAGE_METADATA = "page_language"  # the widget page's language: only where nothing else tells


class ActionSessionStart(Action):
    """Says, before anything else, that this is an automated assistant giving general
    information, not legal advice (EU AI Act Art. 50), whatever the first message is, in the
    language of that message (its metadata, rasa_server/channels/language.py), else of the
    conversation so far, else of the page it was sent from."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        metadata = tracker.get_slot("session_started_metadata") or {}
        language = (language_code(str(metadata.get(LANGUAGE_METADATA) or "")) or tracker.get_slot(LANGUAGE_SLOT)
                    or language_code(str(metadata.get(PAGE_LANGUAGE_METADATA) or "")))
        if language not in get_settings().conversation.languages:
            language = get_settings().conversation.default_language
        # The slot is set only by the events below, after this reply is rendered: name the language.
        dispatcher.utter_message(response="utter_disclosure", **{LANGUAGE_SLOT: language})
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name not in ("requested_slot", LANGUAGE_SLOT)
        ]
        return [SessionStarted(), *carried, SlotSet(LANGUAGE_SLOT, language), ActionExecuted("action_listen")]

