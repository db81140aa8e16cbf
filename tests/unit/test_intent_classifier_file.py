"""The intent classifier is stored as plain arrays (rasa_server/nlu/intent_classifier.py): it loads
back with the same confidences, and a model folder from before that format says to retrain
instead of answering nobody."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import random as sparse_random
from sklearn.linear_model import LogisticRegression

from rasa_server.nlu.intent_classifier import FITTED_FILE, BlankSafeLogisticRegressionClassifier
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

CONFIG = BlankSafeLogisticRegressionClassifier.get_default_config()


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="intent_classifier")


def test_a_stored_classifier_gives_the_same_confidences(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    X = sparse_random(120, 60, density=0.2, random_state=1, format="csr")
    intents = np.random.default_rng(1).choice(["affirm", "deny", "greet"], size=120)
    trained = BlankSafeLogisticRegressionClassifier.create(CONFIG, storage, resource, context())
    trained.clf = LogisticRegression(max_iter=200).fit(X, intents)
    trained.persist()

    loaded = BlankSafeLogisticRegressionClassifier.load(CONFIG, storage, resource, context())
    assert list(loaded.clf.classes_) == ["affirm", "deny", "greet"]
    assert loaded.clf.coef_.flags.f_contiguous  # scored without a copy per message
    np.testing.assert_array_equal(loaded.clf.predict_proba(X), trained.clf.predict_proba(X))


def test_a_model_without_the_arrays_asks_to_be_retrained(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    with storage.write_to(resource) as folder:
        (folder / "intent_classifier.skops").write_bytes(b"an older model's file")
    assert not (tmp_path / resource.name / FITTED_FILE).exists()
    with pytest.raises(FileNotFoundError, match="train it again"):
        BlankSafeLogisticRegressionClassifier.load(CONFIG, storage, resource, context())


def test_training_without_examples_loads_an_untrained_classifier(tmp_path: Path) -> None:
    loaded = BlankSafeLogisticRegressionClassifier.load(
        CONFIG, LocalModelStorage(tmp_path), Resource("never_written"), context())
    assert not hasattr(loaded.clf, "coef_")
