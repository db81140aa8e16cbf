"""The speed-ups of the prediction path give the trained model's exact results: the
sequential graph runner (intents, confidences, entities and predicted actions, as Rasa's dask
runner gives them) and the classifier's feature matrix (as Rasa's `_create_X` builds it)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Tuple

import pytest

from rasa_server.engine.graph_runner import SequentialGraphRunner
from rasa_server.nlu.intent_classifier import BlankSafeLogisticRegressionClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.core.channels.channel import UserMessage
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.exceptions import GraphRunError
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

MODEL = Path(__file__).resolve().parents[2] / "models" / "assistant.tar.gz"
MESSAGES = ["hi", "is south sudan a member of interpol?", "and Serbia?", "  ",
            "my son was arrested at the airport in Dubai", "I want to book a consultation",
            "asdkjh qwe", "what is a yellow notice?"]


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Any, Any, Any]:
    if not MODEL.exists():
        pytest.skip("no trained model (scripts/test.sh trains it before pytest)")
    metadata, dask_runner = load_predict_graph_runner(
        tmp_path_factory.mktemp("dask"), MODEL, LocalModelStorage, DaskGraphRunner)
    _, sequential = load_predict_graph_runner(
        tmp_path_factory.mktemp("seq"), MODEL, LocalModelStorage, SequentialGraphRunner)
    return metadata, dask_runner, sequential


@pytest.mark.parametrize("text", MESSAGES)
def test_same_understanding_and_next_action(runners: Tuple[Any, Any, Any], text: str) -> None:
    metadata, dask_runner, sequential = runners
    tracker = DialogueStateTracker("t", None)
    inputs = {"__message__": [UserMessage(text)], "__tracker__": tracker}
    parsed = [runner.run(inputs=inputs, targets=[metadata.nlu_target])[metadata.nlu_target][0]
              for runner in (dask_runner, sequential)]
    assert parsed[0].as_dict() == parsed[1].as_dict()
    assert parsed[1].get(TEXT) == text.strip()

    data = parsed[1].as_dict(only_output_properties=True)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    tracker.update(UserUttered(text, data.get("intent"), data.get("entities", [])))
    predicted = [runner.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])[metadata.core_target]
                 for runner in (dask_runner, sequential)]
    assert predicted[0].probabilities == predicted[1].probabilities
    assert predicted[0].policy_name == predicted[1].policy_name


def test_an_input_named_like_a_node_is_refused(runners: Tuple[Any, Any, Any]) -> None:
    metadata, _, sequential = runners
    with pytest.raises(GraphRunError):
        sequential.run(inputs={"__tracker__": metadata.core_target}, targets=[metadata.core_target])


def test_the_classifier_sees_the_matrix_rasa_would_build(runners: Tuple[Any, Any, Any]) -> None:
    metadata, _, sequential = runners
    messages = [
        sequential.run(inputs={"__message__": [UserMessage(text)], "__tracker__": DialogueStateTracker("t", None)},
                       targets=[metadata.nlu_target])[metadata.nlu_target][0]
        for text in MESSAGES if text.strip()
    ]
    ours = BlankSafeLogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    rasas = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    assert ours.shape == rasas.shape and ours.shape[1] > 1000
    assert (ours.tocsr() != rasas.tocsr()).nnz == 0
