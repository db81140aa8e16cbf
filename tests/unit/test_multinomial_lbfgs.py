"""The fast fit of rasa_server/nlu/multinomial_lbfgs.py gives scikit-learn's model: the same weights,
the same confidences, for the classifier's kind of matrix (sparse n-gram counts beside a
dense embedding), also when stopped before convergence as the project's max_iter stops it."""
from __future__ import annotations

import warnings
from typing import Tuple

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack, random as sparse_random
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from rasa_server.nlu import multinomial_lbfgs


def problem(seed: int = 3) -> Tuple[csr_matrix, np.ndarray, np.ndarray]:
    """300 'messages' of 6 unbalanced intents: 500 sparse 0/1 columns, 24 dense ones."""
    rng = np.random.default_rng(seed)
    intents = rng.choice(["affirm", "deny", "greet", "ask_notice", "ask_member", "bye"],
                         size=300, p=[0.3, 0.25, 0.15, 0.12, 0.1, 0.08])
    sparse = sparse_random(300, 500, density=0.02, random_state=seed, format="csr")
    sparse.data[:] = 1.0
    centres = {name: rng.normal(size=24) for name in set(intents)}
    dense = np.stack([centres[name] + rng.normal(scale=2.0, size=24) for name in intents])
    return sparse, dense, intents


def estimator(max_iter: int) -> LogisticRegression:
    return LogisticRegression(solver="lbfgs", max_iter=max_iter, tol=1e-4,
                              class_weight="balanced", random_state=42)


@pytest.mark.parametrize("max_iter", [15, 200])
def test_same_model_as_scikit_learn(max_iter: int) -> None:
    sparse, dense, intents = problem()
    stacked = hstack([sparse, csr_matrix(dense)], format="csr")
    with warnings.catch_warnings():  # a stop before convergence warns in both
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = estimator(max_iter).fit(stacked, intents)
        fast = multinomial_lbfgs.fit(estimator(max_iter), sparse, dense, intents)
    assert list(fast.classes_) == list(reference.classes_)
    assert fast.coef_.shape == reference.coef_.shape
    # Equal but for rounding. Stopped early, after 15 iterations, rounding has had little to
    # grow from. Converged (~110 iterations), the stop comes where the loss stops falling, in
    # a flat valley: rounding (BLAS summing in another order under other threads or load)
    # moves that stop, and the weights with it (5.7e-4 in one CI run, 1e-9 on a quiet run).
    # A different model differs by far more: without the class weights the weights move by
    # 0.06, with twice the L2 strength by 0.17.
    weights, confidences = (1e-4, 1e-5) if max_iter == 15 else (2e-3, 1e-3)
    np.testing.assert_allclose(fast.coef_, reference.coef_, atol=weights)
    np.testing.assert_allclose(fast.intercept_, reference.intercept_, atol=weights)
    np.testing.assert_allclose(fast.predict_proba(stacked), reference.predict_proba(stacked),
                               atol=confidences)
    if max_iter == 15:  # stopped by max_iter: both made exactly that many iterations
        assert int(fast.n_iter_[0]) == int(reference.n_iter_[0]) == 15
    assert np.abs(reference.coef_).max() > 0.1  # a model that learnt something


def test_a_stop_before_convergence_is_reported() -> None:
    sparse, dense, intents = problem()
    with pytest.warns(ConvergenceWarning):
        multinomial_lbfgs.fit(estimator(3), sparse, dense, intents)


@pytest.mark.parametrize("change", [
    {"solver": "saga"}, {"penalty": "l1", "solver": "saga"}, {"fit_intercept": False},
    {"multi_class": "ovr"}, {"class_weight": {"affirm": 2.0}},
])
def test_settings_it_does_not_reproduce_are_refused(change: dict) -> None:
    sparse, dense, intents = problem()
    clf = estimator(10).set_params(**change)
    assert not multinomial_lbfgs.supports(clf, 6)
    with pytest.raises(ValueError):
        multinomial_lbfgs.fit(clf, sparse, dense, intents)


def test_two_classes_are_left_to_scikit_learn() -> None:
    assert not multinomial_lbfgs.supports(estimator(10), 2)
    assert multinomial_lbfgs.supports(estimator(10), 3)
