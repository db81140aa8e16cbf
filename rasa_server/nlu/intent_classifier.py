"""Rasa's LogisticRegressionClassifier, safe for messages without a single word, and
without needless costs per message and in training.

A message of blanks (" ") gets no features from some featurizers (the regex features), so
Rasa's classifier fails on the shape of its matrix and the person gets no reply at all. Such a
message is given no intent here (confidence 0), which the FallbackClassifier then turns into
`nlu_fallback`, so the person is asked to rephrase like for any message not understood.

The copy: scikit-learn scores a message as `X @ coef_.T`, and scipy's sparse product copies a
transposed weight matrix that is not C-ordered, intents x features, at every message (about
a third of the NLU's time here). Keeping `coef_` in Fortran order makes `coef_.T` C-ordered:
same numbers, no copy.

The features: the classifier reads only the sentence features, but Rasa's `_create_X` asks
the message for sequence and sentence features combined, deep-copying and stacking each
featurizer's matrices one by one (another quarter of the NLU's time). `sentence_blocks` here
collects the sentence features once, in the same order: the same matrix
(tests/unit/test_fast_prediction.py).

The fit: the sparse and the dense columns are handed to rasa_server/nlu/multinomial_lbfgs.py apart,
which fits the same model as scikit-learn in three quarters of the time.

The file: Rasa stores the classifier with skops, whose import alone takes 3-6 s here (it imports
every scikit-learn estimator to list the trusted types), paid at every training and every
server start. A fitted logistic regression is four arrays, so they are stored as such, in a
numpy .npz file read without pickle: nothing in it can run code.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, hstack

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_server.nlu import multinomial_lbfgs

FITTED_FILE = "logistic_regression.npz"


def is_blank(message: Message) -> bool:
    return not (message.get(TEXT) or "").strip()


def sentence_blocks(messages: List[Message]) -> Tuple[csr_matrix, np.ndarray]:
    """The two halves of Rasa's matrix: each message's sparse sentence features side by side
    in featurizer order (one row each), and its dense ones concatenated."""
    rows: List[np.ndarray] = []
    columns: List[np.ndarray] = []
    values: List[np.ndarray] = []
    dense_rows: List[np.ndarray] = []
    widths = None
    for index, message in enumerate(messages):
        offset = 0
        dense: List[np.ndarray] = []
        for feature in message.features:
            if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
                continue
            if feature.is_sparse():
                block = feature.features.tocoo()
                rows.append(np.full(block.nnz, index))
                columns.append(block.col + offset)
                values.append(block.data)
                offset += block.shape[1]
            else:
                dense.append(np.asarray(feature.features).reshape(-1))
        dense_row = np.concatenate(dense) if dense else np.zeros(0)
        if widths is None:
            widths = (offset, dense_row.size)
        elif widths != (offset, dense_row.size):
            raise ValueError(f"message {index} has {offset}+{dense_row.size} sentence "
                             f"features, the first one {widths[0]}+{widths[1]}")
        dense_rows.append(dense_row)
    sparse_width, dense_width = widths or (0, 0)
    sparse = coo_matrix(
        (np.concatenate(values) if values else np.zeros(0),
         (np.concatenate(rows) if rows else np.zeros(0, dtype=int),
          np.concatenate(columns) if columns else np.zeros(0, dtype=int))),
        shape=(len(messages), sparse_width),
    ).tocsr()
    dense = np.vstack(dense_rows) if dense_rows else np.zeros((0, dense_width))
    return sparse, dense


def side_by_side(sparse: csr_matrix, dense: np.ndarray) -> csr_matrix:
    """[sparse | dense] as one sparse matrix, the layout the classifier was fitted on."""
    if dense.shape[1] == 0:
        return sparse
    return hstack([sparse, csr_matrix(dense)], format="csr")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BlankSafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Part of Rasa's cache key: a classifier cached in another file format (a model
        trained before `persist` wrote FITTED_FILE) is trained again, not reused."""
        return FITTED_FILE

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """Rasa's matrix: each message's sparse sentence features side by side in
        featurizer order, then its dense ones (concatenated, as Rasa combines them)."""
        return side_by_side(*sentence_blocks(messages))

    def train(self, training_data: TrainingData) -> Resource:
        """Rasa's training (the examples with an intent and a text), fitted by
        rasa_server/nlu/multinomial_lbfgs.py when it reproduces the configured estimator."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return super().train(training_data)  # Rasa logs that there is nothing to learn
        sparse, dense = sentence_blocks(examples)
        intents = [e.get(INTENT) for e in examples]
        if multinomial_lbfgs.supports(self.clf, len(set(intents))):
            multinomial_lbfgs.fit(self.clf, sparse, dense, intents)
        else:
            self.clf.fit(side_by_side(sparse, dense), intents)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """The fitted arrays, in one .npz file (the module's docstring says why not skops)."""
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / FITTED_FILE, classes=np.asarray(self.clf.classes_, dtype=str),
                     coef=self.clf.coef_, intercept=self.clf.intercept_,
                     n_iter=self.clf.n_iter_)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "BlankSafeLogisticRegressionClassifier":
        """The classifier `persist` stored; an untrained one if training had no examples
        (as Rasa's own `load` does)."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        stored = None
        try:
            with model_storage.read_from(resource) as folder:
                stored = folder / FITTED_FILE
                with np.load(stored, allow_pickle=False) as fitted:
                    component.clf.classes_ = fitted["classes"]
                    component.clf.coef_ = np.asfortranarray(fitted["coef"])
                    component.clf.intercept_ = fitted["intercept"]
                    component.clf.n_iter_ = fitted["n_iter"]
        except ValueError:
            if stored is None:  # no folder at all: training had no examples to persist
                return component
            raise
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{error}: a model of an older version of the project, "
                                    "train it again (`rasa train`)") from error
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        worded = [message for message in messages if not is_blank(message)]
        if worded:
            super().process(worded)
        for message in messages:
            if is_blank(message):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages
