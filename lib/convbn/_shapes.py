"""Shape arithmetic shared by the 2-D sums and the layer (one source for both).

Public through :mod:`convbn.convolution`, which re-exports :func:`output_size` and
:func:`same_padding`; :mod:`convbn.pooling` uses them too.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_choice, as_number

# The padding modes of the 1-D and 2-D functions (numpy's and scipy's names);
# documented where convbn.convolution re-exports it.
MODES = ("full", "same", "valid")


def result_dtype(*arrays):
    """float32 when every array is float32, else float64."""
    return np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64


def as_stride(stride) -> int:
    return as_number(stride, "stride", integer=True, minimum=1)


def output_size(n: int, k: int, padding: str = "valid", stride: int = 1) -> int:
    """Number of outputs along one axis of length ``n`` with a kernel of length ``k``.

    Introduced in chapter 2. With s the stride: "valid": floor((n - k) / s) + 1,
    "same": ceil(n / s), "full": ceil((n + k - 1) / s). Matches the shapes of
    :func:`convolve2d`, :func:`correlate2d` and, for "valid" and "same",
    :func:`conv2d`, :func:`convbn.pooling.pool2d` and Keras.

    >>> output_size(5, 3), output_size(5, 3, "same", 2), output_size(5, 3, "full")
    (3, 3, 7)
    """
    n = as_number(n, "n", integer=True, minimum=1)
    k = as_number(k, "k", integer=True, minimum=1)
    padding = as_choice(padding, "padding", MODES)
    stride = as_stride(stride)
    if padding == "valid":
        if k > n:
            raise ValueError(f"k={k} is larger than n={n}: no valid position")
        return (n - k) // stride + 1
    if padding == "same":
        return math.ceil(n / stride)
    return math.ceil((n + k - 1) / stride)


def same_padding(n: int, k: int, stride: int = 1) -> tuple[int, int]:
    """Zeros before and after an axis of length ``n`` for TensorFlow's "same".

    Used by :func:`conv2d` and :func:`convbn.pooling.pool2d` (chapters 2 and 6):
    with s the stride, ``max((ceil(n / s) - 1) s + k - n, 0)`` positions in all, so
    that the output has ``ceil(n / s)`` entries; when the total is odd the extra one
    goes at the end.

    >>> same_padding(5, 3), same_padding(4, 3, stride=2), same_padding(4, 1)
    ((1, 1), (0, 1), (0, 0))
    """
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return total // 2, total - total // 2
