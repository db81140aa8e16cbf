"""The multilingual sentence encoder and its featurizer (rasa_server/nlu/muse.py, muse_featurizer.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

from rasa_server.nlu.muse import DIMENSION, shared_encoder


def test_a_question_lies_near_its_translations_and_far_from_another_subject() -> None:
    encoder = shared_encoder(1)
    question, translations, other = ("is serbia a member of interpol?",
                                     ["Входит ли Сербия в Интерпол?", "¿Serbia es miembro de Interpol?",
                                      "هل صربيا عضو في الإنتربول؟", "Ist Serbien Mitglied von Interpol?"],
                                     "how much does a consultation with your lawyers cost?")
    vectors = encoder.encode([question, *translations, other])
    assert vectors.shape == (6, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors[1:] @ vectors[0]
    assert all(similarity[:-1] > similarity[-1] + 0.1), similarity


def test_featurizer_sets_scaled_sentence_features_and_survives_blank_messages(tmp_path: Path) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_server.nlu.muse_featurizer import MultilingualSentenceFeaturizer

    config = {**MultilingualSentenceFeaturizer.get_default_config(), "scale": 3.0}
    featurizer = MultilingualSentenceFeaturizer.create(
        config, LocalModelStorage(tmp_path), Resource("muse"), ExecutionContext(GraphSchema({}), node_name="muse"))
    messages = [Message({TEXT: t}) for t in ("", " ", "\x00", "?", "yes please")]
    messages.append(Message({"intent": "greet"}))  # no text: left alone
    featurizer.process(messages)
    for message in messages[:-1]:
        sequence, sentence = message.get_dense_features(TEXT)
        assert sequence is None
        assert sentence.features.shape == (1, DIMENSION)
        assert np.linalg.norm(sentence.features) == pytest.approx(3.0, rel=1e-5)
    assert messages[-1].get_dense_features(TEXT) == (None, None)
    assert np.allclose(messages[4].get_dense_features(TEXT)[1].features[0],
                       3.0 * shared_encoder(1).encode(["yes please"])[0], atol=1e-5)
    training = TrainingData([Message({TEXT: "yes please", "intent": "affirm"})])
    featurizer.process_training_data(training)  # all cores, the same vectors
    assert np.allclose(training.training_examples[0].get_dense_features(TEXT)[1].features,
                       messages[4].get_dense_features(TEXT)[1].features, atol=1e-5)


@pytest.mark.parametrize("config", [{"scale": 0}, {"training_threads": -1}, {"training_threads": "all"}])
def test_featurizer_refuses_a_useless_setting(config: Dict[str, Any]) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from rasa_server.nlu.muse_featurizer import MultilingualSentenceFeaturizer

    with pytest.raises(InvalidConfigException):
        MultilingualSentenceFeaturizer.validate_config(config)
