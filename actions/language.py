"""The language button: every enabled language, each by its own name."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from babel import Locale
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LANGUAGE_SLOT, reply_language
from firm import get_settings
from i18n import get_catalog


def own_name(code: str) -> str:
    """A language by its own name, from CLDR: "Українська", "العربية", "Deutsch"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_buttons() -> List[Dict[str, str]]:
    return [{"title": own_name(code), "payload": f'/change_language{{"{LANGUAGE_SLOT}":"{code}"}}'}
            for code in get_settings().conversation.languages]


class ActionChooseLanguage(Action):
    def name(self) -> Text:
        return "action_choose_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=get_catalog().say(reply_language(tracker), "language.choose"),
                                 buttons=language_buttons())
        return []
