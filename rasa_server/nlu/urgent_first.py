"""When a message is not understood but may say that someone is detained now, treat it as that.

Why: FallbackClassifier answers a message it is unsure of with "could you say it another
way?". For "my brother was arrested in Spain on a Red Notice, what do we do?" the classifier
hesitates between `urgent_detained` and `describe_own_case` (0.49 / 0.50), so the person whose
brother is in a cell would be asked to rephrase. The two mistakes do not cost the same: an
emergency line and four steps shown to someone who is not detained cost a few seconds to read;
a detained person asked to rephrase loses minutes that matter. So, placed after
FallbackClassifier, this component gives the message the urgent intent instead of the fallback
when that intent is among the classifier's best `candidates` guesses with at least
`min_confidence`. A message the classifier understood is never changed.

Settings (config.yml): intent (default urgent_detained), min_confidence, candidates.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)


def urgent_guess(
    guesses: List[Dict[Text, Any]], intent: Text, min_confidence: float, candidates: int
) -> Dict[Text, Any] | None:
    """The entry for `intent` if it is among the first `candidates` guesses (the ranking
    without the fallback's own entry) with at least `min_confidence`."""
    for guess in guesses[:candidates]:
        if (guess.get(INTENT_NAME_KEY) == intent
                and guess.get(PREDICTED_CONFIDENCE_KEY, 0.0) >= min_confidence):
            return guess
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class UrgentFirstClassifier(GraphComponent, IntentClassifier):
    """Turns a fallback into the urgent intent when that intent was a close guess."""

    @classmethod
    def required_components(cls) -> List[type]:
        """It undoes FallbackClassifier's decision, so it must come after it."""
        return [FallbackClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config."""
        return {"intent": "urgent_detained", "min_confidence": 0.3, "candidates": 2}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.intent: Text = config["intent"]
        self.min_confidence = float(config["min_confidence"])
        self.candidates = int(config["candidates"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UrgentFirstClassifier:
        """Creates the component from its config (nothing to train or load)."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Replaces the fallback intent of each message where the urgent one was close."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            guesses = [g for g in message.get(INTENT_RANKING_KEY) or []
                       if g.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME]
            guess = urgent_guess(guesses, self.intent, self.min_confidence, self.candidates)
            if guess is None:
                continue
            logger.debug(f"Not understood, but '{self.intent}' scored "
                         f"{guess[PREDICTED_CONFIDENCE_KEY]:.2f}: answered as urgent.")
            message.set(INTENT, dict(guess), add_to_output=True)
            message.set(INTENT_RANKING_KEY, guesses, add_to_output=True)
        return messages
