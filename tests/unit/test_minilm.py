"""The all-MiniLM-L6-v2 encoder (numpy + ONNX Runtime) gives sentence-transformers' embeddings.

tests/unit/fixtures/minilm_reference.json holds, for 24 varied texts (typos, Turkish, Russian,
Spanish, Chinese, emoji, blanks, the empty string, BERT's special tokens, a word longer than
WordPiece's 100-character limit, a text longer than the 256-token limit), the input ids and the
embedding that sentence-transformers computed with torch (its "generated_with" says which
versions). The encoder must give the same ids and an embedding with cosine >= 0.9999.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

from rasa_server.nlu.minilm import MiniLMEncoder, export_encoder_layers, shared_encoder

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.json"
CASES: List[Dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def encoder_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The encoder layers exported as a trained model holds them."""
    return export_encoder_layers(tmp_path_factory.mktemp("minilm"))


@pytest.fixture(scope="module")
def encoder(encoder_file: Path) -> MiniLMEncoder:
    return shared_encoder(encoder_file)


@pytest.fixture(scope="module")
def embeddings(encoder: MiniLMEncoder) -> np.ndarray:
    # Batched (sorted by length, padded), as the featurizer does with training data.
    return encoder.encode([case["text"] for case in CASES], batch_size=8)


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: repr(CASES[i]["text"][:30]))
def test_same_input_ids_as_sentence_transformers(encoder: MiniLMEncoder, index: int) -> None:
    assert encoder.token_ids(CASES[index]["text"]) == CASES[index]["input_ids"]


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: repr(CASES[i]["text"][:30]))
def test_embedding_matches_sentence_transformers(embeddings: np.ndarray, index: int) -> None:
    reference = np.asarray(CASES[index]["embedding"], dtype=np.float64)
    ours = embeddings[index].astype(np.float64)
    cosine = ours @ reference / (np.linalg.norm(ours) * np.linalg.norm(reference))
    assert cosine >= 0.9999, f"cosine {cosine:.6f} for {CASES[index]['text'][:40]!r}"
    assert abs(np.linalg.norm(ours) - 1.0) < 1e-5


def test_a_long_text_is_truncated_to_256_tokens(encoder: MiniLMEncoder) -> None:
    longest = max(CASES, key=lambda case: len(case["text"]))
    assert len(encoder.tokenizer.tokenize_ids(longest["text"])) > 256
    assert len(encoder.token_ids(longest["text"])) == 256


def test_batching_does_not_change_embeddings(encoder: MiniLMEncoder, embeddings: np.ndarray) -> None:
    one_by_one = np.stack([encoder.encode_one(case["text"]) for case in CASES])
    assert np.abs(one_by_one - embeddings).max() < 1e-5


def test_the_word_embeddings_are_read_from_the_file_not_copied(encoder: MiniLMEncoder) -> None:
    assert isinstance(encoder.word_embeddings, np.memmap)
    assert encoder.word_embeddings.shape == (30522, encoder.dimension)


def test_featurizer_sets_scaled_sentence_features_and_survives_blank_messages(
    encoder: MiniLMEncoder, tmp_path: Path
) -> None:
    """Trained (the export goes into the model) and loaded as Rasa does, then used."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_server.nlu.minilm_onnx import GRAPH_FILE
    from rasa_server.nlu.sentence_featurizer import MiniLMSentenceFeaturizer

    config = {**MiniLMSentenceFeaturizer.get_default_config(), "scale": 3.0}
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    context = ExecutionContext(GraphSchema({}), node_name="minilm")
    MiniLMSentenceFeaturizer.create(config, storage, resource, context).train(TrainingData())
    with storage.read_from(resource) as folder:
        assert (folder / GRAPH_FILE).exists()
    featurizer = MiniLMSentenceFeaturizer.load(config, storage, resource, context)
    messages = [Message({TEXT: t}) for t in ("", " ", "\x00", "?", "yes please")]
    messages.append(Message({"intent": "greet"}))  # no text: left alone
    featurizer.process(messages)
    for message in messages[:-1]:
        sequence, sentence = message.get_dense_features(TEXT)
        assert sequence is None
        assert sentence.features.shape == (1, encoder.dimension)
        assert np.linalg.norm(sentence.features) == pytest.approx(3.0, rel=1e-5)
    assert messages[-1].get_dense_features(TEXT) == (None, None)
    expected = 3.0 * encoder.encode_one("yes please")
    assert np.allclose(messages[4].get_dense_features(TEXT)[1].features[0], expected, atol=1e-5)


@pytest.mark.parametrize("config", [{"scale": 0}, {"training_threads": -1},
                                    {"training_threads": "all"}])
def test_featurizer_refuses_a_useless_setting(config: Dict[str, Any]) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from rasa_server.nlu.sentence_featurizer import MiniLMSentenceFeaturizer

    with pytest.raises(InvalidConfigException):
        MiniLMSentenceFeaturizer.validate_config(config)


def test_training_threads_give_the_servers_vectors(encoder_file: Path, embeddings: np.ndarray) -> None:
    # Training featurizes on every core, the server on one: a difference would be a model
    # trained on other features than it is served.
    every_core = shared_encoder(encoder_file, threads=0)
    assert every_core is not shared_encoder(encoder_file)
    vectors = every_core.encode([case["text"] for case in CASES], batch_size=32)
    np.testing.assert_allclose(vectors, embeddings, atol=1e-5)
