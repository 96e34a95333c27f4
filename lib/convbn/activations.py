"""Activation functions and their slopes, in numpy (chapters 6 and 10).

One source for the activations the course draws, checks and recomputes:

* :func:`activation` -- ``linear``, ``relu``, ``sigmoid``, ``tanh`` and ``softmax``,
  equal to ``keras.activations`` of the same name.
* :func:`activation_slope` -- the derivative of an element-wise activation, the
  factor the backward pass multiplies by.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_choice, as_float_array

__all__ = ["ACTIVATIONS", "ELEMENTWISE", "activation", "activation_slope"]

#: Every activation :func:`activation` knows.
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")
#: The element-wise ones (softmax mixes the entries along an axis).
ELEMENTWISE = ("linear", "relu", "sigmoid", "tanh")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only: no overflow warning for large |z|.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation(name: str, z, axis: int = -1) -> np.ndarray:
    """Apply the activation ``name`` to ``z`` (chapter 10).

    ``linear``: z; ``relu``: max(z, 0); ``sigmoid``: 1 / (1 + exp(-z));
    ``tanh``: tanh(z); ``softmax``: exp(z_i) / sum_j exp(z_j) along ``axis``
    (computed as exp(z_i - max z) to avoid overflow). Any shape in, the same shape
    out. Equals ``keras.activations.<name>``.

    >>> activation("relu", [-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    >>> activation("softmax", [0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    name = as_choice(name, "name", ACTIVATIONS)
    z = as_float_array(z, "z")
    if name == "linear":
        return z.copy()
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def activation_slope(name: str, z) -> np.ndarray:
    """The derivative of the element-wise activation ``name`` at ``z`` (chapter 10).

    ``linear``: 1; ``relu``: 1 where z > 0, else 0 (the slope Keras and TensorFlow
    use at 0); ``sigmoid``: s (1 - s) with s the sigmoid; ``tanh``: 1 - tanh(z)^2.
    Same shape as ``z``. Equals the gradient ``tf.GradientTape`` computes.

    >>> activation_slope("sigmoid", [0.0])
    array([0.25])
    """
    name = as_choice(name, "name", ELEMENTWISE)
    z = as_float_array(z, "z")
    if name == "linear":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    return 1.0 - np.tanh(z) ** 2
