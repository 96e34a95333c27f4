"""Loss functions: a numpy reference of every Keras loss of the course (chapter 11).

One function per loss of the lecture slides, named as in Keras 3 (the slides'
Keras 2 names ``logcosh``, ``kullback_leibler_divergence`` and ``cosine_proximity``
became ``log_cosh``, ``kl_divergence`` and ``cosine_similarity``). Each function takes
``y_true`` and ``y_pred`` and returns the **per-sample** loss, exactly as the
``keras.losses`` function of the same name does: the values are reduced over the
last axis only, so inputs of shape ``(batch, d)`` give a result of shape ``(batch,)``
and ``(batch, t, d)`` gives ``(batch, t)``. Averaging those values over the batch
(what ``model.compile(loss=...)`` does by default) is left to the caller.

Keras's numerical details are reproduced, so the results agree with ``keras.losses``
to float32 precision (tested in ``tests/test_losses.py``):

* ``EPSILON = 1e-7`` (``keras.backend.epsilon()``) clips probabilities to
  ``[1e-7, 1 - 1e-7]`` before a logarithm, bounds denominators away from 0 and
  bounds the inverse norm in :func:`cosine_similarity`;
* the hinge losses turn labels in {0, 1} into {-1, 1} (only when *every* label is 0 or
  1);
* :func:`categorical_crossentropy` rescales each row of ``y_pred`` to sum to 1 before
  clipping, while :func:`sparse_categorical_crossentropy` clips first and then
  rescales (they differ only for rows that do not sum to 1);
* the crossentropies accept ``from_logits=True`` (scores before softmax/sigmoid).

The clipping is what Keras does to an *array* of probabilities, on every backend, and
to any prediction on the JAX and PyTorch backends. On the TensorFlow backend Keras's
softmax and sigmoid remember their input, and the crossentropy of their output is
computed from those logits, unclipped: :func:`keras_confident_mistake` shows both
routes, and runs Keras on another backend in a second Python.

Regression losses: :func:`mean_squared_error`, :func:`mean_absolute_error`,
:func:`mean_absolute_percentage_error`, :func:`mean_squared_logarithmic_error`,
:func:`log_cosh`, :func:`poisson`. Margin losses: :func:`hinge`,
:func:`squared_hinge`, :func:`categorical_hinge`. Probabilistic losses:
:func:`binary_crossentropy`, :func:`categorical_crossentropy`,
:func:`sparse_categorical_crossentropy`, :func:`kl_divergence`. Direction only:
:func:`cosine_similarity`. :func:`curve` gives the one-dimensional slice of each loss
that chapter 11 plots against the prediction.

Inputs are array-likes of real numbers (bool and int are converted to float); the
computation is in float64 and the result is float64. Bad input (non-numeric, NaN or
infinite values, shapes that do not match, out-of-range class indices) raises a
``TypeError`` or ``ValueError`` that names the argument.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import _describe, as_choice, as_float_array, as_number

__all__ = [
    "EPSILON",
    "LOSSES",
    "REGRESSION_LOSSES",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "squared_hinge",
    "hinge",
    "categorical_hinge",
    "log_cosh",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "kl_divergence",
    "poisson",
    "cosine_similarity",
    "get",
    "Curve",
    "curve",
    "BACKENDS",
    "keras_confident_mistake",
]

#: Keras's fuzz factor, ``keras.backend.epsilon()``.
EPSILON = 1e-7

#: The losses of the lecture slides, by their Keras 3 names, in the slides' order.
LOSSES = (
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "squared_hinge",
    "hinge",
    "categorical_hinge",
    "log_cosh",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "kl_divergence",
    "poisson",
    "cosine_similarity",
)

#: The losses that compare a real-valued prediction with a real-valued target.
REGRESSION_LOSSES = (
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "log_cosh",
    "poisson",
)


# --- argument checks -----------------------------------------------------------------


def _array(value, name: str) -> np.ndarray:
    array = as_float_array(value, name).astype(np.float64)
    if array.ndim == 0:
        raise ValueError(
            f"{name} must have at least one axis (the last axis is reduced), got a "
            "scalar"
        )
    return array


def _pair(y_true, y_pred, *, same_rank: bool = False):
    """Both inputs as float64 arrays of one shape.

    With ``same_rank`` (the losses that call Keras's ``squeeze_or_expand_to_same_rank``)
    a trailing axis of length 1 on one side is dropped, or added to a 1-D other side,
    as Keras does, so ``(batch,)`` against ``(batch, 1)`` works.
    """
    y_true = _array(y_true, "y_true")
    y_pred = _array(y_pred, "y_pred")
    if same_rank and y_true.ndim != y_pred.ndim:
        y_true, y_pred = _squeeze_or_expand(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "y_true and y_pred must have the same shape, got y_true of shape "
            f"{y_true.shape} and y_pred of shape {y_pred.shape}"
        )
    return y_true, y_pred


def _squeeze_or_expand(a, b):
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1:
            b = b[..., None]
        else:
            a = a[..., 0]
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1:
            a = a[..., None]
        else:
            b = b[..., 0]
    return a, b


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def _axis(axis, ndim: int, name: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {_describe(axis)}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name} must be in [-{ndim}, {ndim - 1}] for {ndim}-D inputs, got {axis}"
        )
    return int(axis) % ndim


def _smoothing(value) -> float:
    return as_number(value, "label_smoothing", minimum=0.0, maximum=1.0)


def _clip_probabilities(p):
    return np.clip(p, EPSILON, 1.0 - EPSILON)


def _log_softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _to_hinge_labels(y_true):
    # Keras converts only when every label is 0 or 1 (one decision for the tensor).
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


# --- regression losses ---------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """Mean squared error, per sample (chapter 11).

    ``loss = mean((y_true - y_pred) ** 2, axis=-1)``

    Shapes: ``y_true`` and ``y_pred`` ``(batch, ..., d)`` (a trailing axis of 1 on one
    side is matched as in Keras); returns ``(batch, ...)``.

    When to use it: regression with roughly Gaussian noise; it is the negative
    log-likelihood of a Gaussian up to constants. Large errors count quadratically, so
    a few outliers dominate it. The slides' first compile call uses it. Equals
    ``keras.losses.mean_squared_error``.

    >>> mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 3.0]])
    array([0.5, 2. ])
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error, per sample (chapter 11).

    ``loss = mean(|y_true - y_pred|, axis=-1)``

    Shapes: as :func:`mean_squared_error`; returns ``(batch, ...)``.

    When to use it: regression with outliers in the targets; errors count linearly and
    the best constant prediction is the median rather than the mean. Its gradient has
    the same size (the sign of the error, divided by d) however close the prediction
    is. Equals ``keras.losses.mean_absolute_error``.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute percentage error, per sample (chapter 11).

    ``loss = 100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)``

    Shapes: as :func:`mean_squared_error`; returns ``(batch, ...)``.

    When to use it: positive targets of very different sizes where a relative error
    is what matters (10 % off is as bad for 2 as for 2000). It explodes for targets
    near 0 (the denominator is bounded by 1e-7 only), and for a target y an
    over-prediction can cost any amount while an under-prediction (down to 0) costs
    at most 100. Equals ``keras.losses.mean_absolute_percentage_error``.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    diff = np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)
    return 100.0 * np.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared logarithmic error, per sample (chapter 11).

    ``loss = mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2,
    axis=-1)``; negative values are replaced by 1e-7 before the logarithm.

    Shapes: as :func:`mean_squared_error`; returns ``(batch, ...)``.

    When to use it: non-negative targets spanning orders of magnitude (counts, prices)
    where relative errors matter; it punishes under-prediction more than
    over-prediction by the same amount. Equals
    ``keras.losses.mean_squared_logarithmic_error``.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    first = np.log(np.maximum(y_pred, EPSILON) + 1.0)
    second = np.log(np.maximum(y_true, EPSILON) + 1.0)
    return np.mean(np.square(first - second), axis=-1)


def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, per sample (chapter 11).

    ``loss = mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as
    ``x + softplus(-2 x) - log 2`` with ``x = y_pred - y_true``.

    Shapes: as :func:`mean_squared_error`; returns ``(batch, ...)``.

    When to use it: regression that should behave like the mean squared error for
    small errors (``log cosh x ~ x**2 / 2``) and like the absolute error for large ones
    (``~ |x| - log 2``), so outliers do not dominate; smooth everywhere, unlike the
    absolute error. The slides call it ``logcosh``. Equals ``keras.losses.log_cosh``.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    x = y_pred - y_true
    return np.mean(x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss, per sample (chapter 11).

    ``loss = mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``

    Shapes: ``y_true`` and ``y_pred`` of the same shape ``(batch, ..., d)``; returns
    ``(batch, ...)``.

    When to use it: targets that are counts (events per interval) and a positive
    prediction of the expected count (e.g. an exponential or softplus output); it is
    the negative log-likelihood of a Poisson distribution up to a term in y_true only,
    and is smallest at ``y_pred = y_true``. Equals ``keras.losses.poisson``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(y_pred - y_true * np.log(y_pred + EPSILON), axis=-1)


# --- margin losses -------------------------------------------------------------------


def hinge(y_true, y_pred):
    """Hinge loss, per sample (chapter 11).

    ``loss = mean(max(1 - y_true * y_pred, 0), axis=-1)``; labels are expected in
    {-1, 1}; if every label is 0 or 1 they are first mapped to {-1, 1} (``2 y - 1``).

    Shapes: ``y_true`` and ``y_pred`` of the same shape ``(batch, ..., d)``; returns
    ``(batch, ...)``.

    When to use it: binary classification with a real-valued score (no sigmoid), as in
    a support vector machine: a prediction on the right side with margin at least 1
    costs nothing. Equals ``keras.losses.hinge``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _to_hinge_labels(y_true)
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Squared hinge loss, per sample (chapter 11).

    ``loss = mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``, labels as in
    :func:`hinge`.

    Shapes: as :func:`hinge`; returns ``(batch, ...)``.

    When to use it: like the hinge loss, but smooth at the margin and punishing badly
    wrong scores quadratically. Equals ``keras.losses.squared_hinge``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _to_hinge_labels(y_true)
    return np.mean(np.square(np.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Categorical (multi-class) hinge loss, per sample (chapter 11).

    ``pos = sum(y_true * y_pred, axis=-1)``, ``neg = max((1 - y_true) * y_pred,
    axis=-1)``, ``loss = max(neg - pos + 1, 0)``: the true class's score must beat the
    best other score by a margin of 1.

    Shapes: ``y_true`` one-hot ``(batch, ..., C)``, ``y_pred`` scores of the same
    shape; returns ``(batch, ...)``.

    When to use it: multi-class classification with scores (no softmax), the
    multi-class SVM (Crammer-Singer form). Equals ``keras.losses.categorical_hinge``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


# --- probabilistic losses ------------------------------------------------------------


def binary_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis=-1
):
    """Binary crossentropy, averaged over ``axis`` (chapter 11).

    With probabilities p = clip(y_pred, 1e-7, 1 - 1e-7):
    ``loss = mean(-(y log p + (1 - y) log(1 - p)), axis)``. With ``from_logits=True``,
    ``y_pred`` holds scores z and p = sigmoid(z) is used exactly (the stable form
    ``max(z, 0) - z y + log(1 + exp(-|z|))``, no clipping). ``label_smoothing`` = s
    replaces y by ``y (1 - s) + s / 2``.

    Shapes: ``y_true`` (labels 0 or 1, or probabilities) and ``y_pred`` of the same
    shape ``(batch, ..., k)``; returns the shape without ``axis``.

    When to use it: binary (yes/no) classification with a sigmoid output, and
    multi-label problems (k independent yes/no outputs). Equals
    ``keras.losses.binary_crossentropy`` of an array (on TensorFlow, Keras computes
    the loss of a sigmoid's output from its logits, unclipped; see
    :func:`keras_confident_mistake`).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    from_logits = _flag(from_logits, "from_logits")
    smoothing = _smoothing(label_smoothing)
    axis = _axis(axis, y_pred.ndim)
    if smoothing:
        y_true = y_true * (1.0 - smoothing) + 0.5 * smoothing
    if from_logits:
        z = y_pred
        values = np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
    else:
        p = _clip_probabilities(y_pred)
        values = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    return np.mean(values, axis=axis)


def categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis=-1
):
    """Categorical crossentropy, per sample (chapter 11).

    Probabilities (default): each row of ``y_pred`` is first rescaled to sum to 1,
    then clipped to ``[1e-7, 1 - 1e-7]``: ``p = clip(y_pred / sum(y_pred), ...)``,
    ``loss = -sum(y_true * log p, axis)``. With ``from_logits=True``, ``y_pred``
    holds scores z and ``loss = -sum(y_true * log_softmax(z), axis)`` (exact, no
    clipping). ``label_smoothing`` = s replaces y by ``y (1 - s) + s / C``.

    Shapes: ``y_true`` one-hot (or a probability vector per sample) and ``y_pred``
    ``(batch, ..., C)``; returns the shape without ``axis``.

    When to use it: single-label classification with C classes, a softmax output and
    one-hot labels (e.g. from ``keras.utils.to_categorical``). Given probabilities,
    a confidently wrong prediction costs at most ``-log(1e-7) = 16.1`` because of the
    clipping. Equals ``keras.losses.categorical_crossentropy`` of an array of
    probabilities; on the TensorFlow backend Keras computes the loss of a softmax's
    output from its logits instead, unclipped (:func:`keras_confident_mistake`).

    >>> categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.25, 0.5, 0.25]])  # -log 0.5
    array([0.69314718])
    >>> categorical_crossentropy(
    ...     [[0.0, 1.0, 0.0]], [[0.0, np.log(2.0), 0.0]], from_logits=True
    ... )  # softmax of those scores: [0.25, 0.5, 0.25]
    array([0.69314718])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    from_logits = _flag(from_logits, "from_logits")
    smoothing = _smoothing(label_smoothing)
    axis = _axis(axis, y_pred.ndim)
    if smoothing:
        y_true = y_true * (1.0 - smoothing) + smoothing / y_true.shape[axis]
    if from_logits:
        return -np.sum(y_true * _log_softmax(y_pred, axis), axis=axis)
    total = np.sum(y_pred, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = _clip_probabilities(y_pred / total)
    return -np.sum(y_true * np.log(p), axis=axis)


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, ignore_class=None, axis=-1
):
    """Categorical crossentropy with integer class labels, per sample (chapter 11).

    For a sample whose label is k: probabilities (default) are clipped to
    ``[1e-7, 1 - 1e-7]`` and then rescaled, ``loss = -log(p_k / sum_j p_j)`` with
    ``p = clip(y_pred)``; with ``from_logits=True``, ``loss = -log_softmax(z)_k``.
    Samples whose label equals ``ignore_class`` get loss 0.

    Shapes: ``y_pred`` ``(batch, ..., C)``; ``y_true`` integer labels in ``[0, C)`` of
    shape ``(batch, ...)`` (a trailing axis of length 1 is allowed); returns
    ``(batch, ...)``. Only ``axis=-1`` is supported, as in Keras's TensorFlow backend.

    When to use it: as :func:`categorical_crossentropy`, when the labels are stored as
    integers (MNIST's ``y_train``): same values, no one-hot matrix needed. Equals
    ``keras.losses.sparse_categorical_crossentropy`` of an array of probabilities
    (a softmax's output on TensorFlow: see :func:`categorical_crossentropy`).

    >>> sparse_categorical_crossentropy([1], [[0.25, 0.5, 0.25]])  # label 1: -log 0.5
    array([0.69314718])
    """
    y_pred = _array(y_pred, "y_pred")
    from_logits = _flag(from_logits, "from_logits")
    if _axis(axis, y_pred.ndim) != y_pred.ndim - 1:
        raise ValueError(f"axis must be -1 (the class axis), got {axis}")
    labels = as_float_array(y_true, "y_true").astype(np.float64)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"y_true must hold one class index per row of y_pred, shape "
            f"{y_pred.shape[:-1]}, got shape {labels.shape}"
        )
    n_classes = y_pred.shape[-1]
    if not np.all(labels == np.round(labels)):
        raise ValueError("y_true must hold integer class indices, got fractions")
    keep = np.ones(labels.shape, dtype=bool)
    if ignore_class is not None:
        ignore = as_number(ignore_class, "ignore_class", integer=True)
        keep = labels != ignore
    bad = keep & ((labels < 0) | (labels >= n_classes))
    if np.any(bad):
        raise ValueError(
            f"y_true must hold class indices in [0, {n_classes}) for y_pred with "
            f"{n_classes} classes, got {labels[bad].flat[0]:g}"
        )
    index = np.where(keep, labels, 0).astype(np.int64)
    if from_logits:
        log_p = _log_softmax(y_pred, -1)
    else:
        p = _clip_probabilities(y_pred)
        log_p = np.log(p) - np.log(p.sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, index[..., None], axis=-1)[..., 0]
    return np.where(keep, -picked, 0.0)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence KL(y_true || y_pred), per sample (chapter 11).

    Both inputs are clipped to ``[1e-7, 1]``, then
    ``loss = sum(y_true * log(y_true / y_pred), axis=-1)``.

    Shapes: two probability vectors per sample, ``(batch, ..., C)``; returns
    ``(batch, ...)``.

    When to use it: when the targets are whole distributions (soft labels, a teacher
    network's output in distillation, a variational autoencoder); it is 0 only when
    the two distributions agree, and differs from the categorical crossentropy by the
    entropy of y_true, which does not depend on the prediction. The slides call it
    ``kullback_leibler_divergence``. Equals ``keras.losses.kl_divergence``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = np.clip(y_true, EPSILON, 1.0)
    y_pred = np.clip(y_pred, EPSILON, 1.0)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


# --- direction ----------------------------------------------------------------------


def _l2_normalize(x, axis):
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        inv_norm = np.minimum(1.0 / np.sqrt(square_sum), 1.0 / EPSILON)
    return x * inv_norm


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity, per sample (chapter 11).

    ``loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``, where
    ``l2_normalize(x) = x * min(1 / ||x||, 1e7)`` (so a zero vector stays zero and the
    loss is 0). Ranges from -1 (same direction, the best) through 0 (orthogonal) to 1
    (opposite).

    Shapes: ``y_true`` and ``y_pred`` ``(batch, ..., d)``; returns the shape without
    ``axis``.

    When to use it: when only the direction of the prediction matters, not its length
    (embeddings, word vectors); multiplying y_pred by a positive number leaves it
    unchanged. The slides call it ``cosine_proximity``. Equals
    ``keras.losses.cosine_similarity``.
    """
    y_true, y_pred = _pair(y_true, y_pred, same_rank=True)
    axis = _axis(axis, y_pred.ndim)
    return -np.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def get(name: str):
    """The function of this module called ``name`` (one of :data:`LOSSES`)."""
    return globals()[as_choice(name, "name", LOSSES)]


# --- the one-dimensional slices chapter 11 plots -------------------------------------


class Curve(NamedTuple):
    """A loss as a function of one number (see :func:`curve`)."""

    x: np.ndarray  #: the values of the varied quantity
    loss: np.ndarray  #: the loss at each x
    gradient: np.ndarray  #: d loss / d x (central differences)
    xlabel: str  #: what x is
    setup: str  #: the fixed target, in words


def _slice(name: str, target: float):
    """x grid, a function x -> (y_true, y_pred) batch, axis label and description."""
    if name in ("mean_squared_logarithmic_error", "poisson"):
        x = np.linspace(0.01, target + 3.0, 401)
        return x, lambda v: (np.full((v.size, 1), target), v[:, None]), "prediction"
    if name in REGRESSION_LOSSES:
        x = np.linspace(target - 3.0, target + 3.0, 401)
        return x, lambda v: (np.full((v.size, 1), target), v[:, None]), "prediction"
    if name in ("hinge", "squared_hinge"):
        x = np.linspace(-3.0, 3.0, 401)
        return x, lambda v: (np.ones((v.size, 1)), v[:, None]), "score y_pred"
    if name == "categorical_hinge":
        x = np.linspace(-3.0, 3.0, 401)

        def pair(v):
            return np.tile([1.0, 0.0], (v.size, 1)), np.stack([v, 0 * v], axis=1)

        return x, pair, "true-class score (other 0)"
    if name == "cosine_similarity":
        x = np.linspace(-np.pi, np.pi, 401)

        def pair(v):
            return np.tile([1.0, 0.0], (v.size, 1)), np.stack(
                [np.cos(v), np.sin(v)], axis=1
            )

        return x, pair, "angle to the target (rad)"
    x = np.linspace(0.002, 0.998, 400)
    if name == "binary_crossentropy":
        return x, lambda v: (np.ones((v.size, 1)), v[:, None]), "predicted p (label 1)"
    if name == "sparse_categorical_crossentropy":

        def pair(v):
            return np.zeros(v.size), np.stack([v, 1.0 - v], axis=1)

        return x, pair, "predicted p of the true class"

    def pair(v):
        return np.tile([1.0, 0.0], (v.size, 1)), np.stack([v, 1.0 - v], axis=1)

    return x, pair, "predicted p of the true class"


def curve(name: str, target: float = 1.0) -> Curve:
    """One loss as a function of one number, for plotting (chapter 11).

    The regression losses (:data:`REGRESSION_LOSSES`) compare one prediction with the
    true value ``target`` (> 0; x runs from ``target - 3`` to ``target + 3``, from
    0.01 for the two losses that need a positive prediction). The other losses ignore
    ``target`` and use a fixed example: the hinge losses a label of +1 and a score
    from -3 to 3; the categorical hinge two classes, the first true, with its score
    varied and the other at 0; the crossentropies and the KL divergence two classes,
    the first true, with predicted probabilities ``(p, 1 - p)``; the binary
    crossentropy a label 1 and a prediction p; the cosine similarity the target
    ``(1, 0)`` and a unit prediction at an angle x.

    Returns a :class:`Curve` with ``x``, ``loss``, the derivative ``gradient`` of the
    loss with respect to x (central differences with step 1e-6), the axis label and
    a description of the setup.
    """
    name = as_choice(name, "name", LOSSES)
    target = as_number(target, "target", positive=True)
    x, pair, xlabel = _slice(name, target)
    fn = get(name)
    loss = fn(*pair(x))
    h = 1e-6
    gradient = (fn(*pair(x + h)) - fn(*pair(x - h))) / (2 * h)
    if name in REGRESSION_LOSSES:
        setup = f"true value {target:g}"
    elif name in ("hinge", "squared_hinge"):
        setup = "label +1"
    elif name == "cosine_similarity":
        setup = "target direction (1, 0)"
    elif name == "binary_crossentropy":
        setup = "label 1"
    else:
        setup = "two classes, the first one true"
    return Curve(x, loss, gradient, xlabel, setup)


# --- what Keras computes, backend by backend (chapter 11) ----------------------------

#: Keras 3's backends, the names ``KERAS_BACKEND`` takes.
BACKENDS = ("tensorflow", "jax", "torch")

_ONE_MISTAKE = (
    "import json; from convbn.losses import keras_confident_mistake; "
    "print(json.dumps(keras_confident_mistake()))"
)


def _confident_mistake_here(logit: float) -> dict[str, float]:
    import keras

    layers = keras.layers
    z = np.array([[0.0, logit]], dtype="float32")  # the input is the logits
    one_hot, label = np.array([[1.0, 0.0]], dtype="float32"), np.array([0])

    def scores(activation=None, units=2):
        inputs = keras.Input((units,))
        logits = layers.Dense(units, use_bias=False, kernel_initializer="identity")(
            inputs
        )
        if activation == "Softmax layer":
            return keras.Model(inputs, layers.Softmax()(logits))
        return keras.Model(inputs, layers.Activation(activation or "linear")(logits))

    def evaluate(model, loss, x, y):
        model.compile(loss=loss, optimizer=keras.optimizers.SGD(0.001))
        return float(model.evaluate(x, y, verbose=0))

    def step(model, loss):
        model.compile(loss=loss, optimizer=keras.optimizers.SGD(0.001))
        before = keras.ops.convert_to_numpy(model.layers[1].kernel)
        model.train_on_batch(z, one_hot)
        after = keras.ops.convert_to_numpy(model.layers[1].kernel)
        return float(np.abs(after - before).max())

    cce = "categorical_crossentropy"
    logits_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    probabilities = scores("softmax").predict(z, verbose=0)
    return {
        "softmax": evaluate(scores("softmax"), cce, z, one_hot),
        "sparse": evaluate(scores("softmax"), f"sparse_{cce}", z, label),
        "Softmax layer": evaluate(scores("Softmax layer"), cce, z, one_hot),
        "sigmoid": evaluate(
            scores("sigmoid", units=1),
            "binary_crossentropy",
            np.array([[logit]], dtype="float32"),
            np.array([[0.0]], dtype="float32"),
        ),
        "from_logits": evaluate(scores(), logits_loss, z, one_hot),
        "numpy": float(
            keras.losses.categorical_crossentropy(one_hot, probabilities)[0]
        ),
        "step softmax": step(scores("softmax"), cce),
        "step from_logits": step(scores(), logits_loss),
    }


def keras_confident_mistake(backend=None, logit: float = 40.0) -> dict[str, float]:
    """What Keras makes of one confident mistake, route by route (chapter 11).

    Two classes, the first one true, and the logits ``(0, logit)``: the exact
    crossentropy is ``log(1 + e^logit)``, 40.0 for the default logit (in float32),
    and with the probabilities clipped to ``[1e-7, 1 - 1e-7]`` it is
    ``-log(1e-7) = 16.118``. A ``Dense`` layer with an identity kernel and no bias
    turns the input into those logits. The entries:

    * ``"softmax"``, ``"sparse"``: ``model.evaluate`` of ``Dense(2,
      activation="softmax")`` with the categorical and the sparse categorical
      crossentropy; ``"Softmax layer"``: the same with ``Dense(2)`` followed by
      ``Softmax()``;
    * ``"sigmoid"``: ``Dense(1, activation="sigmoid")`` on the logit, label 0,
      binary crossentropy;
    * ``"from_logits"``: ``Dense(2)`` without activation and
      ``CategoricalCrossentropy(from_logits=True)``;
    * ``"numpy"``: ``keras.losses.categorical_crossentropy`` of the numpy array that
      ``predict`` returns for the softmax model;
    * ``"step softmax"``, ``"step from_logits"``: the largest change of the kernel
      after one ``train_on_batch`` with ``SGD(learning_rate=0.001)``: 0.0 when no
      gradient reaches it.

    ``backend=None`` asks the Keras already imported (the backend that
    ``KERAS_BACKEND`` chose at its first import, which cannot change afterwards);
    ``"tensorflow"``, ``"jax"`` or ``"torch"`` run the same function in a new Python
    with ``KERAS_BACKEND`` set to it, on the CPU, and raise ``RuntimeError`` with the
    end of its error output if that fails (the backend's package not installed, say).
    Returns a dict of floats.
    """
    logit = as_number(logit, "logit", positive=True)
    if backend is None:
        return _confident_mistake_here(logit)
    backend = as_choice(backend, "backend", BACKENDS)
    import json
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        JAX_PLATFORMS="cpu",
        CUDA_VISIBLE_DEVICES="",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    code = _ONE_MISTAKE.replace("()", f"(logit={logit!r})")
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"Keras on the {backend} backend failed (exit status {done.returncode}): "
            + done.stderr[-1500:]
        )
    return json.loads(done.stdout.strip().splitlines()[-1])
