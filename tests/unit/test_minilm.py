"""The all-MiniLM-L6-v2 encoder (numpy + ONNX Runtime) gives sentence-transformers' embeddings.

tests/unit/fixtures/minilm_reference.json holds, for 24 varied texts (typos, Turkish, Russian,
Spanish, Chinese, emoji, blanks, the empty string, BERT's special tokens, a word longer than
WordPiece's 100-character limit, a text longer than the 256-token limit), the input ids and the
embedding that sentence-transformers computed with torch (its "generated_with" says which
versions). The encoder must give the same ids and an embedding with cosine >= 0.9999 in
float32, and >= 0.95 (0.985 on average) with the layer weights in int8.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

from addons.minilm import MiniLMEncoder, shared_encoder

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.json"
CASES: List[Dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return shared_encoder()


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


def test_int8_weights_stay_close_to_sentence_transformers(encoder: MiniLMEncoder) -> None:
    int8 = shared_encoder(encoder.model_dir, precision="int8")
    ours = int8.encode([case["text"] for case in CASES])
    reference = np.array([case["embedding"] for case in CASES], dtype=np.float32)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.95, dict(zip((case["text"][:30] for case in CASES), cosines.round(4)))
    assert cosines.mean() >= 0.985


def test_a_long_text_is_truncated_to_256_tokens(encoder: MiniLMEncoder) -> None:
    longest = max(CASES, key=lambda case: len(case["text"]))
    assert len(encoder.tokenizer.tokenize_ids(longest["text"])) > 256
    assert len(encoder.token_ids(longest["text"])) == 256


def test_batching_does_not_change_embeddings(encoder: MiniLMEncoder, embeddings: np.ndarray) -> None:
    one_by_one = np.stack([encoder.encode_one(case["text"]) for case in CASES])
    assert np.abs(one_by_one - embeddings).max() < 1e-5


def test_float16_word_embeddings_cost_no_accuracy(encoder: MiniLMEncoder) -> None:
    texts = [case["text"] for case in CASES]
    full = MiniLMEncoder(encoder.model_dir, embedding_dtype="float32").encode(texts)
    half = MiniLMEncoder(encoder.model_dir, embedding_dtype="float16").encode(texts)
    assert np.min(np.sum(full * half, axis=1)) >= 0.99999


def test_featurizer_sets_scaled_sentence_features_and_survives_blank_messages(
    encoder: MiniLMEncoder,
) -> None:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.graph import GraphSchema
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from addons.sentence_featurizer import MiniLMSentenceFeaturizer

    config = {**MiniLMSentenceFeaturizer.get_default_config(), "scale": 3.0}
    featurizer = MiniLMSentenceFeaturizer.create(
        config, None, None, ExecutionContext(GraphSchema({}), node_name="minilm")  # type: ignore[arg-type]
    )
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


def test_featurizer_refuses_a_useless_scale() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    from addons.sentence_featurizer import MiniLMSentenceFeaturizer

    with pytest.raises(InvalidConfigException):
        MiniLMSentenceFeaturizer.validate_config({"scale": 0})
