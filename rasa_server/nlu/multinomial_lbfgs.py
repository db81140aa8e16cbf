"""scikit-learn's multinomial logistic regression (lbfgs), fitted faster on sparse + dense columns.

Why: the intent classifier's matrix is ~29,000 sparse n-gram columns plus the 384 dense
columns of the sentence embedding. As one scipy sparse matrix, the dense block is 83% of the
stored entries, and every gradient multiplies it entry by entry through the slow sparse
kernels: fitting took ~24 s of the ~65 s training. Here the two blocks are kept apart, the
dense one multiplied by BLAS, and everything else is scikit-learn's own code: its loss and
gradient (`LinearModelLoss`), the same scipy L-BFGS-B call with the same options, start and
sample weights. So the iterations are the same and the model is the same, to rounding
(tests/unit/test_multinomial_lbfgs.py compares both fits), in ~18 s.

Knows nothing of Rasa. Only the settings the project uses are reproduced (lbfgs, L2, an
intercept, more than two classes); `supports` says whether an estimator is one of them, and
the caller fits anything else with scikit-learn itself.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
from scipy import optimize
from scipy.sparse import csr_matrix
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.utils.class_weight import compute_class_weight


class SparseDenseColumns:
    """The matrix [sparse | dense] for the two products the loss needs, `X @ W` and
    `G @ X`, without ever being stacked. `__array_ufunc__ = None` makes numpy hand `G @ X`
    to `__rmatmul__` instead of trying to turn this object into an array."""

    __array_ufunc__ = None

    def __init__(self, sparse: csr_matrix, dense: np.ndarray) -> None:
        if sparse.shape[0] != dense.shape[0]:
            raise ValueError(f"{sparse.shape[0]} sparse rows but {dense.shape[0]} dense rows")
        self.sparse = csr_matrix(sparse, dtype=np.float64)
        self.sparse_t = self.sparse.T.tocsr()  # G @ X multiplies by the transpose
        self.dense = np.ascontiguousarray(dense, dtype=np.float64)
        self.split = sparse.shape[1]
        self.shape = (sparse.shape[0], sparse.shape[1] + dense.shape[1])

    def __matmul__(self, weights: np.ndarray) -> np.ndarray:
        return self.sparse @ weights[: self.split] + self.dense @ weights[self.split :]

    def __rmatmul__(self, left: np.ndarray) -> np.ndarray:
        return np.hstack([(self.sparse_t @ left.T).T, left @ self.dense])


def supports(clf: LogisticRegression, n_classes: int) -> bool:
    """Whether `fit` reproduces this estimator's own `fit`."""
    return (
        clf.solver == "lbfgs"
        and clf.penalty == "l2"
        and clf.fit_intercept
        and clf.multi_class in ("auto", "multinomial")
        and clf.class_weight in (None, "balanced")
        and not clf.warm_start
        and n_classes > 2
    )


def fit(
    clf: LogisticRegression, sparse: csr_matrix, dense: np.ndarray, y: Sequence[Any]
) -> LogisticRegression:
    """Fits `clf` on the columns [sparse | dense] as `clf.fit(hstack(...), y)` would, and
    returns it fitted (`classes_`, `coef_`, `intercept_`, `n_iter_`, `n_features_in_`)."""
    X = SparseDenseColumns(sparse, dense)
    labels = np.asarray(y)
    classes, encoded = np.unique(labels, return_inverse=True)
    if not supports(clf, classes.size):
        raise ValueError("only lbfgs, L2, with intercept, multinomial over 3+ classes")
    sample_weight = np.ones(labels.shape[0], dtype=np.float64)
    if clf.class_weight == "balanced":
        sample_weight *= compute_class_weight("balanced", classes=classes, y=labels)[encoded]
    start = np.zeros(classes.size * (X.shape[1] + 1))
    loss = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=classes.size),
                           fit_intercept=True)
    result = optimize.minimize(
        loss.loss_gradient, start, method="L-BFGS-B", jac=True,
        args=(X, encoded.astype(np.float64), sample_weight, 1.0 / clf.C, 1),
        options={"iprint": -1, "gtol": clf.tol, "maxiter": clf.max_iter},
    )
    if result.status != 0:
        warnings.warn(f"lbfgs stopped after {result.nit} iterations: {result.message}",
                      ConvergenceWarning)
    parameters = result.x.reshape(classes.size, -1, order="F")  # as scikit-learn reshapes
    clf.classes_ = classes
    clf.coef_ = parameters[:, :-1]
    clf.intercept_ = parameters[:, -1]
    clf.n_iter_ = np.asarray([min(result.nit, clf.max_iter)], dtype=np.int32)
    clf.n_features_in_ = X.shape[1]
    return clf
