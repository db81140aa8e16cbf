"""How near a message's meaning lies to the topics and facts of the knowledge file.

Why: the knowledge file's phrases (`keywords`, `asks`; kb/retrieve.py) find a question only in
the words they list, and only in English. The message's multilingual sentence embedding, which
the featurizer before this component has already computed (rasa_server/nlu/muse.py), lies near
the text of the topic or fact it asks about whatever the words and the language. So each topic's
and fact's text (kb.retrieve.meaning_texts, in English and in every enabled language's
translation) is embedded once when the model is loaded, and each message gets, in its parse
data (`knowledge_closeness`), the cosines of the `limit` nearest topics and facts that reach
`min_cosine`. The actions use them where the phrases find nothing (kb.Closeness). Nothing is
learnt: a change to the knowledge file counts at the next start. `min_cosine` was chosen on
the development sets (docs/answers.md): on the second, 0.35 answered 60 of 80 stories and 31 of
40 one-fact questions where 0.38 answered 59 and 31 and 0.47 answered 56 and 29 (the phrases
alone: 56 and 20), with any fact the meaning lay nearest to; with the rule that was kept (a
fact only where the phrases find no topic, kb.route.fact_meant), 61 and 26.

It is registered as an entity extractor (it adds no entity) because Rasa 3.6's recipe runs a
component that is not trained at prediction time only for that type or a classifier.

Settings (config.yml): min_cosine, limit.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from firm import get_settings
from kb import get_knowledge
from kb.localize import in_language
from kb.retrieve import Closeness, meaning_texts
from rasa_server.nlu.muse import MultilingualEncoder, shared_encoder


class KnowledgeMeanings:
    """The embedded texts of every topic and fact, and the closeness of a vector to them."""

    def __init__(self, encoder: MultilingualEncoder, languages: tuple[str, ...],
                 min_cosine: float, limit: int) -> None:
        english = get_knowledge()
        keys: list[tuple[str, str]] = []
        texts: list[str] = []
        for language in dict.fromkeys(("en", *languages)):
            for kind, item_id, text in meaning_texts(english if language == "en" else in_language(english, language)):
                keys.append((kind, item_id))
                texts.append(text)
        self.keys = keys
        # One text at a time, as a message is encoded (batches pad, which moves the vectors).
        self.vectors = encoder.encode(texts, batch_size=1)
        self.min_cosine, self.limit = min_cosine, limit

    def closeness(self, vector: np.ndarray) -> Closeness:
        """The nearest topics and facts to ``vector``'s meaning, with their cosines."""
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            return Closeness()
        cosines = self.vectors @ (vector / norm)
        best: dict[tuple[str, str], float] = {}
        # Only the texts near enough are looked at: a Python loop over all 1,100 took ~0.3 ms.
        for index in np.flatnonzero(cosines >= self.min_cosine).tolist():
            key, cosine = self.keys[index], float(cosines[index])
            if cosine > best.get(key, -1.0):
                best[key] = cosine
        found: dict[str, dict[str, float]] = {"topics": {}, "facts": {}}
        for (kind, item_id), cosine in sorted(best.items(), key=lambda item: -item[1]):
            if len(found[kind]) < self.limit:
                found[kind][item_id] = round(cosine, 4)
        return Closeness(topics=found["topics"], facts=found["facts"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeClosenessAnnotator(GraphComponent, EntityExtractorMixin):
    """Adds `knowledge_closeness` to every message's parse data."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_cosine": 0.35, "limit": 5}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if not isinstance(config.get("min_cosine"), (int, float)) or not -1 <= config["min_cosine"] <= 1:
            raise InvalidConfigException(f"min_cosine must be a number from -1 to 1, not {config.get('min_cosine')!r}")
        if not isinstance(config.get("limit"), int) or config["limit"] < 1:
            raise InvalidConfigException(f"limit must be a whole number of at least 1, not {config.get('limit')!r}")

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.validate_config(config)
        self.meanings = KnowledgeMeanings(shared_encoder(1), get_settings().conversation.languages,
                                          float(config["min_cosine"]), int(config["limit"]))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "KnowledgeClosenessAnnotator":
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            _, sentence = message.get_dense_features(TEXT)
            if sentence is not None:
                closeness = self.meanings.closeness(np.asarray(sentence.features).reshape(-1))
                message.set(Closeness.PARSE_DATA_KEY, closeness.as_parse_data(), add_to_output=True)
        return messages
