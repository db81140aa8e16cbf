"""A message the classifier is unsure of, whose close guess is that someone is detained now,
is answered as urgent instead of "could you say it another way?" (rasa_server/nlu/urgent_first.py),
with the thresholds of config.yml and behind Rasa's own FallbackClassifier."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from rasa_server.nlu.urgent_first import UrgentFirstClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"


def component_config(name: str) -> Dict[str, Any]:
    for component in yaml.safe_load(CONFIG.read_text())["pipeline"]:
        if component["name"] == name:
            return {k: v for k, v in component.items() if k != "name"}
    raise AssertionError(f"{name} is not in config.yml")


def classify(ranking: List[Tuple[str, float]]) -> Message:
    """The message as Rasa's classifier, then FallbackClassifier, then this component leave it."""
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message(data={TEXT: "a message", INTENT: dict(entries[0]),
                            INTENT_RANKING_KEY: entries})
    fallback = FallbackClassifier({**FallbackClassifier.get_default_config(),
                                   **component_config("FallbackClassifier")})
    urgent = UrgentFirstClassifier({**UrgentFirstClassifier.get_default_config(),
                                    **component_config("rasa_server.nlu.urgent_first.UrgentFirstClassifier")})
    return urgent.process(fallback.process([message]))[0]


def test_config_puts_it_after_the_fallback() -> None:
    names = [c["name"] for c in yaml.safe_load(CONFIG.read_text())["pipeline"]]
    assert names.index("rasa_server.nlu.urgent_first.UrgentFirstClassifier") > names.index(
        "FallbackClassifier")


@pytest.mark.parametrize("ranking", [
    # "my brother was arrested in Spain because of a red notice from Turkey, what do we do?"
    [("describe_own_case", 0.50), ("urgent_detained", 0.49), ("ask_firm_services", 0.01)],
    # unsure, and the urgent guess is the best one
    [("urgent_detained", 0.36), ("describe_own_case", 0.31), ("inform", 0.23)],
])
def test_an_unsure_message_that_may_be_urgent_is_answered_as_urgent(ranking) -> None:
    message = classify(ranking)
    assert message.get(INTENT)["name"] == "urgent_detained"
    assert message.get(INTENT)["confidence"] == pytest.approx(
        dict(ranking)["urgent_detained"])
    assert "nlu_fallback" not in [g["name"] for g in message.get(INTENT_RANKING_KEY)]


@pytest.mark.parametrize("ranking, expected", [
    # understood: never changed, even with a strong urgent runner-up
    ([("describe_own_case", 0.54), ("urgent_detained", 0.44), ("inform", 0.02)],
     "describe_own_case"),
    # not understood, the urgent guess too weak
    ([("out_of_scope", 0.40), ("urgent_detained", 0.20), ("greet", 0.15)], "nlu_fallback"),
    # not understood, the urgent guess only third
    ([("ask_crimes", 0.35), ("ask_notice", 0.34), ("urgent_detained", 0.31)], "nlu_fallback"),
    # not understood, nothing urgent about it
    ([("greet", 0.45), ("thanks", 0.44), ("goodbye", 0.11)], "nlu_fallback"),
])
def test_other_messages_keep_their_intent(ranking, expected) -> None:
    assert classify(ranking).get(INTENT)["name"] == expected
