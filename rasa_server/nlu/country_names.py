"""Countries named in the person's language, as `country` entities with the file's English name.

RegexEntityExtractor finds the English names and aliases (lookup tables generated from the
knowledge file). This component finds them in every other enabled language as people write
them ("в Сербии", "Almanya'dan", "بألمانيا"; kb/country_names.py), so that the membership
answer, the stories and the consultation form get "Serbia" whatever language it was written
in. The names of the languages of the message's script are tried (a short Cyrillic message may
be Russian or Ukrainian; Russian and Ukrainian typed in Latin letters too), and none of their
look-alike words (Turkish "mali" is "financial", not Mali); a span another extractor already
took is left alone.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from firm import get_settings
from kb import get_knowledge
from kb.country_names import CountryFinder

ENTITY = "country"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CountryNameExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `country` entities for names written in the enabled languages other than English."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        conversation = get_settings().conversation
        self.finder = CountryFinder(get_knowledge().countries, conversation.languages)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CountryNameExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text:
                continue
            existing = message.get(ENTITIES) or []
            taken = [(e.get("start", 0), e.get("end", 0)) for e in existing if e.get("end", 0) > e.get("start", 0)]
            added = [
                {"entity": ENTITY, "value": found.name, "start": found.start, "end": found.end,
                 "confidence_entity": 1.0, "extractor": self.__class__.__name__}
                for found in self.finder.find(text)
                if not any(found.start < end and start < found.end for start, end in taken)
            ]
            if added:
                message.set(ENTITIES, sorted([*existing, *added], key=lambda e: e.get("start", 0)),
                            add_to_output=True)
        return messages
