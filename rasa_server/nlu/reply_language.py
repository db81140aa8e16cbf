"""Which language to answer a message in, given to the dialogue as the `reply_language` entity.

Placed last in the pipeline, it sees the intent and entities: a person who asks for a language
(`change_language`, "in English please", "по-английски"; i18n.detect.named_language) gets it; otherwise the one
the message metadata names (`{"language": "ar"}` from a REST caller, or the channel's reading
of the text, rasa_server/channels/language.py); else the language the message is written in
(i18n/detect.py). A message too short to tell ("ok")
adds nothing, so the `reply_language` slot (domain.yml, from_entity) keeps the conversation's
language. The enabled languages are firm.yml's `conversation.languages`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from firm import get_settings
from i18n.detect import named_language, reply_language

ENTITY = "reply_language"
ASK_INTENT = "change_language"
LANGUAGE_ENTITY = "language"


def _asked_for(message: Message, enabled: tuple[str, ...]) -> Optional[str]:
    """The language a `change_language` message asks for: its `language` entity, else the
    language it names ("по-английски", "auf Deutsch")."""
    if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != ASK_INTENT:
        return None
    for entity in message.get(ENTITIES) or []:
        if entity.get("entity") == LANGUAGE_ENTITY:
            return str(entity.get("value") or "")
    return named_language(message.get(TEXT) or "", enabled)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ReplyLanguageExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `reply_language` (a language code) when the message settles one."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        settings = get_settings().conversation
        self.enabled = settings.languages
        self.min_letters = settings.min_letters_to_switch

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ReplyLanguageExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            metadata = message.get("metadata") or {}
            given = metadata.get("language") if isinstance(metadata, dict) else None
            language = reply_language(message.get(TEXT) or "", self.enabled, asked_for=_asked_for(message, self.enabled),
                                      given=given if isinstance(given, str) else None,
                                      min_letters=self.min_letters)
            if language:
                entity = {"entity": ENTITY, "value": language, "start": 0, "end": 0,
                          "extractor": self.__class__.__name__}
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
