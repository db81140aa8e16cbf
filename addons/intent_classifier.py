"""Rasa's LogisticRegressionClassifier, safe for messages without a single word, and
without two needless costs per message.

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
featurizer's matrices one by one (another quarter of the NLU's time). `_create_X` here
stacks the sentence features once, in the same order: the same matrix
(tests/unit/test_fast_prediction.py).
"""
from __future__ import annotations

from typing import List

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def is_blank(message: Message) -> bool:
    return not (message.get(TEXT) or "").strip()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BlankSafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """Rasa's matrix: each message's sparse sentence features side by side in
        featurizer order, then its dense ones (concatenated, as Rasa combines them)."""
        rows = []
        for message in messages:
            sentence = [f for f in message.features
                        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            blocks = [f.features for f in sentence if f.is_sparse()]
            dense = [f.features for f in sentence if f.is_dense()]
            if dense:
                blocks.append(csr_matrix(np.concatenate(dense, axis=-1)))
            rows.append(hstack(blocks) if blocks else csr_matrix([]))
        return vstack(rows)

    def process(self, messages: List[Message]) -> List[Message]:
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        worded = [message for message in messages if not is_blank(message)]
        if worded:
            super().process(worded)
        for message in messages:
            if is_blank(message):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages
