"""Convolution, continuous and discrete.

Chapters 2 to 5 (discrete convolution, cross-correlation, sparse interactions,
equivariance) use:

* :func:`convolve1d`, :func:`correlate1d` -- 1-D sums, equal to ``np.convolve`` and
  ``np.correlate`` in the modes "full", "same" and "valid".
* :func:`convolve2d`, :func:`correlate2d` -- 2-D sums with a stride, equal to
  ``scipy.signal.convolve2d`` / ``correlate2d`` for stride 1, and to that result
  subsampled ``[::s, ::s]`` for stride s.
* :func:`correlate2d_loops` -- the same sum with explicit loops, to be read.
* :func:`output_size`, :func:`same_padding` -- how many outputs a mode and a stride
  give, and the zeros TensorFlow's "same" adds.
* :func:`pad_same` -- pad an image so that a valid sum keeps its size, with zeros or
  wrapping around (the circular boundary of chapter 5).
* :data:`SOBEL_X`, :data:`SOBEL_Y`, :data:`LAPLACIAN`, :data:`SHARPEN` -- the course's
  named 3 x 3 kernels, in cross-correlation form (one source for every chapter).
* :func:`convolution_matrix` -- convolution as multiplication by a (doubly block)
  Toeplitz matrix.

Chapters 6 and 7 (the convolutional layer) use:

* :func:`conv2d` -- the batched multi-channel layer form with stride, padding,
  dilation and groups, equal to ``tf.nn.conv2d`` and ``keras.layers.Conv2D``
  (TensorFlow's "same" padding, which with a stride is *not*
  ``correlate2d(..., "same", stride)``: see :func:`conv2d`), computed as one matrix
  product with the patch matrix :func:`im2col` (``tf.image.extract_patches``);
  :func:`conv2d_backward` its gradients, and :func:`conv2d_transpose` the transposed
  convolution (``Conv2DTranspose``, with ``output_padding``), whose output length
  :func:`transpose_output_size` gives.
* :func:`depthwise_conv2d` -- each channel filtered on its own
  (``DepthwiseConv2D``; with a 1 x 1 :func:`conv2d` after it, ``SeparableConv2D``),
  and its gradients :func:`depthwise_conv2d_backward`.

Chapter 1 (continuous convolution) uses, from ``convbn.continuous`` and re-exported
here:

* :func:`kernel` -- the weighting functions w(a) of the spaceship story, each a
  probability density: exponential, box, half-Gaussian (causal) and Gaussian (not).
* :func:`gaussian_pdf` -- the normal density, for "Gaussian * Gaussian = Gaussian".
* :func:`convolve_continuous` -- s(t) = (x * w)(t) = integral of x(a) w(t - a) da,
  approximated by a Riemann sum with step h.
* :func:`smooth` -- the same weighted average applied to sampled measurements.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _shapes, continuous
from ._layer import (
    conv2d,
    conv2d_backward,
    conv2d_transpose,
    depthwise_conv2d,
    depthwise_conv2d_backward,
    im2col,
    transpose_output_size,
)
from ._shapes import as_stride, output_size, result_dtype, same_padding
from ._validation import as_choice, as_float_array, as_number
from .continuous import convolve_continuous, gaussian_pdf, kernel, smooth

__all__ = [
    "KERNELS",
    "CAUSAL_KERNELS",
    "kernel",
    "gaussian_pdf",
    "convolve_continuous",
    "smooth",
    "MODES",
    "convolve1d",
    "correlate1d",
    "convolve2d",
    "correlate2d",
    "correlate2d_loops",
    "output_size",
    "same_padding",
    "BOUNDARIES",
    "pad_same",
    "SOBEL_X",
    "SOBEL_Y",
    "LAPLACIAN",
    "SHARPEN",
    "convolution_matrix",
    "im2col",
    "conv2d",
    "depthwise_conv2d",
    "conv2d_backward",
    "depthwise_conv2d_backward",
    "transpose_output_size",
    "conv2d_transpose",
]

#: The kernel shapes :func:`kernel` knows.
KERNELS = continuous.KERNELS
#: The kernels that are zero for negative arguments (they never weight the future).
CAUSAL_KERNELS = continuous.CAUSAL_KERNELS

# The named kernels. All are in *cross-correlation* form: apply them with
# correlate2d / conv2d / keras Conv2D as written. To get the same response with
# convolve2d, flip them first (K[::-1, ::-1], chapter 3).

#: Sobel kernel for vertical edges (changes along a row), cross-correlation form:
#: positive where intensity increases from left to right, negative where it falls.
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
#: Sobel kernel for horizontal edges (changes down a column), cross-correlation form:
#: positive where intensity increases from top to bottom. Equals ``SOBEL_X.T``.
SOBEL_Y = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])
#: The discrete Laplacian (symmetric, so convolution and cross-correlation agree):
#: zero on constant and linear regions, large at spots and thin lines.
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
#: A sharpening kernel, identity minus the Laplacian (symmetric; weights sum to 1).
SHARPEN = np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
for _named in (SOBEL_X, SOBEL_Y, LAPLACIAN, SHARPEN):
    _named.setflags(write=False)
del _named


# --- chapters 2 to 5: discrete convolution --------------------------------------------

#: The padding modes of the 1-D and 2-D functions (numpy's and scipy's names).
MODES = _shapes.MODES


def _crop(n: int, k: int, mode: str, flipped: bool, ndim: int = 1) -> tuple[int, int]:
    """Start and length, inside the full result (length n + k - 1), of a mode's output.

    1-D follows numpy: "valid" keeps the max(n, k) - min(n, k) + 1 positions where the
    shorter array lies inside the longer; "same" keeps max(n, k) positions, starting at
    (min(n, k) - 1) // 2 for convolution and, for correlation, at (k - 1) // 2 when
    k <= n, else n // 2 (numpy swaps the arrays then). 2-D follows scipy.signal, per
    axis: "valid" keeps n - k + 1 positions from k - 1; "same" keeps n positions from
    (k - 1) // 2 for convolution and k // 2 for correlation.
    """
    if mode == "full":
        return 0, n + k - 1
    if ndim == 2:
        if mode == "valid":
            return k - 1, n - k + 1
        return ((k - 1) // 2 if flipped else k // 2), n
    if mode == "valid":
        return min(n, k) - 1, abs(n - k) + 1
    if flipped:
        return (min(n, k) - 1) // 2, max(n, k)
    return ((k - 1) // 2 if k <= n else n // 2), max(n, k)


def convolve1d(x, w, mode: str = "full") -> np.ndarray:
    """1-D discrete convolution s[t] = sum_a x[a] w[t - a] (chapter 2).

    ``x`` has length n and ``w`` length k (either may be the longer). Modes, as in
    ``np.convolve``: "full" gives all n + k - 1 outputs where the arrays overlap,
    "same" the max(n, k) central ones, "valid" the max(n, k) - min(n, k) + 1 where they
    overlap completely. Equals ``np.convolve(x, w, mode)``.

    >>> convolve1d([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> convolve1d([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "same")
    array([1. , 2.5, 4. ])
    """
    x = as_float_array(x, "x", ndim=1)
    w = as_float_array(w, "w", ndim=1)
    mode = as_choice(mode, "mode", MODES)
    full = _correlate1d_full(x, w[::-1])
    start, length = _crop(len(x), len(w), mode, flipped=True)
    return full[start : start + length].astype(result_dtype(x, w), copy=False)


def correlate1d(x, w, mode: str = "valid") -> np.ndarray:
    """1-D cross-correlation s[t] = sum_a x[t + a] w[a] (chapter 3).

    The kernel slides over ``x`` without being flipped. Same modes as
    :func:`convolve1d`; the default is "valid", as in ``np.correlate``, which it equals
    (for real input): ``correlate1d(x, w, mode) == np.correlate(x, w, mode)``.

    >>> correlate1d([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([3.5])
    >>> correlate1d([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "full")  # convolve1d's, reversed
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    x = as_float_array(x, "x", ndim=1)
    w = as_float_array(w, "w", ndim=1)
    mode = as_choice(mode, "mode", MODES)
    full = _correlate1d_full(x, w)
    start, length = _crop(len(x), len(w), mode, flipped=False)
    return full[start : start + length].astype(result_dtype(x, w), copy=False)


def _correlate1d_full(x, w):
    # c[t] = sum_a xp[t + a] w[a] over x zero-padded by k - 1 on both sides.
    k = len(w)
    padded = np.pad(x.astype(np.float64), k - 1)
    return sliding_window_view(padded, k) @ w.astype(np.float64)


def _check_2d(image, kernel, mode, stride):
    image = as_float_array(image, "image", ndim=2)
    kernel = as_float_array(kernel, "kernel", ndim=2)
    mode = as_choice(mode, "mode", MODES)
    stride = as_stride(stride)
    if mode == "valid" and (
        kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]
    ):
        raise ValueError(
            f"kernel of shape {kernel.shape} is larger than image of shape "
            f"{image.shape}: valid mode needs the kernel to fit inside the image; use "
            "mode='same' or 'full', or a smaller kernel"
        )
    return image, kernel, mode, stride


def _correlate2d(image, kernel, mode, stride, flipped):
    """Shift and add: one vectorised multiply-add per kernel entry."""
    dtype = result_dtype(image, kernel)
    kh, kw = kernel.shape
    if flipped:
        kernel = kernel[::-1, ::-1]
    (top, height), (left, width) = (
        _crop(image.shape[0], kh, mode, flipped, 2),
        _crop(image.shape[1], kw, mode, flipped, 2),
    )
    # A full correlation is a valid one over the image padded by k - 1 on each side;
    # keep the padding the requested crop needs.
    padded = np.pad(image, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    padded = padded[top : top + height + kh - 1, left : left + width + kw - 1]
    rows, cols = range(0, height, stride), range(0, width, stride)
    out = np.zeros((len(rows), len(cols)), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            if kernel[i, j] != 0:
                out += (
                    kernel[i, j]
                    * padded[i : i + height : stride, j : j + width : stride]
                )
    return out


def correlate2d(image, kernel, mode: str = "valid", stride: int = 1) -> np.ndarray:
    """2-D cross-correlation S[i, j] = sum_m sum_q I[i + m, j + q] K[m, q] (chapter 3).

    ``image`` is ``(H, W)``, ``kernel`` ``(kh, kw)``. For ``stride=1`` the result
    equals ``scipy.signal.correlate2d(image, kernel, mode)`` in each mode ("valid":
    ``(H - kh + 1, W - kw + 1)``, "same": ``(H, W)``, "full":
    ``(H + kh - 1, W + kw - 1)``); a stride s keeps every s-th row and column of it,
    ``[::s, ::s]``, so each side has :func:`output_size` outputs.

    At stride 1, "valid" and "same" are what deep-learning libraries call
    "convolution": they equal :func:`conv2d` (``tf.nn.conv2d``) with one channel. With
    a stride, "valid" still does, but "same" does not in general: TensorFlow places
    its strided windows by :func:`same_padding`, which gives the stride-1 "same"
    result subsampled from row p = (kh - 1) // 2 - same_padding(H, kh, s)[0] (and
    the column given by the same formula with W and kw), not from 0 (chapter 2): for
    H = W = 8, kh = kw = 3 and s = 2, ``[1::2, 1::2]``.

    >>> image = np.arange(9.0).reshape(3, 3)
    >>> correlate2d(image, [[1.0, 0.0], [0.0, -1.0]])  # I[i, j] - I[i + 1, j + 1]
    array([[-4., -4.],
           [-4., -4.]])
    >>> correlate2d(np.arange(16.0).reshape(4, 4), [[1.0]], stride=2)
    array([[ 0.,  2.],
           [ 8., 10.]])
    """
    image, kernel, mode, stride = _check_2d(image, kernel, mode, stride)
    return _correlate2d(image, kernel, mode, stride, flipped=False)


def convolve2d(image, kernel, mode: str = "valid", stride: int = 1) -> np.ndarray:
    """2-D convolution S[i, j] = sum_m sum_q I[m, q] K[i - m, j - q] (chapter 2).

    Cross-correlation with the kernel flipped in both axes. Shapes and modes as in
    :func:`correlate2d`; for ``stride=1`` it equals
    ``scipy.signal.convolve2d(image, kernel, mode)``, and a stride s gives the stride-1
    result subsampled ``[::s, ::s]`` (Goodfellow et al., Fig. 9.12). In "same" mode
    with a stride this is not where TensorFlow puts its windows (see
    :func:`correlate2d`).

    >>> image = np.arange(9.0).reshape(3, 3)
    >>> convolve2d(image, [[1.0, 0.0], [0.0, -1.0]])  # kernel flipped: sign flipped
    array([[4., 4.],
           [4., 4.]])
    >>> convolve2d(np.ones((4, 4)), np.ones((3, 3)), "full", stride=2).shape
    (3, 3)
    """
    image, kernel, mode, stride = _check_2d(image, kernel, mode, stride)
    return _correlate2d(image, kernel, mode, stride, flipped=True)


def correlate2d_loops(image, kernel) -> np.ndarray:
    """Valid cross-correlation with explicit loops: to be read, not used (chapter 3).

    S[i, j] = sum_m sum_q I[i + m, j + q] K[m, q] for 0 <= i <= H - kh and
    0 <= j <= W - kw, one multiplication at a time. Equals
    ``correlate2d(image, kernel)``, many times more slowly (chapter 3 measures it).
    """
    image, kernel, _, _ = _check_2d(image, kernel, "valid", 1)
    kh, kw = kernel.shape
    out = np.zeros(
        (image.shape[0] - kh + 1, image.shape[1] - kw + 1),
        dtype=result_dtype(image, kernel),
    )
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = 0.0
            for m in range(kh):
                for q in range(kw):
                    total += image[i + m, j + q] * kernel[m, q]
            out[i, j] = total
    return out


#: The boundaries :func:`pad_same` knows: zeros, or wrapping around (circular).
BOUNDARIES = ("zero", "wrap")


def pad_same(image, kernel_shape, boundary: str = "zero") -> np.ndarray:
    """Pad a 2-D ``image`` so that a valid sum with a ``kernel_shape`` kernel keeps
    its size (stride 1; chapter 5's figure).

    Each axis of length n gets :func:`same_padding` ``(n, k)`` positions: ``k - 1``
    in all, ``(k - 1) // 2`` before. ``boundary="zero"`` fills them with zeros
    (then ``correlate2d(pad_same(I, K.shape), K)`` equals :func:`conv2d` with
    ``padding="same"`` and ``correlate2d(I, K, "same")``);
    ``"wrap"`` copies the opposite side of the image, so that the image behaves
    as if drawn on a torus (circular cross-correlation, chapter 5). Shapes:
    ``(H, W)`` in, ``(H + kh - 1, W + kw - 1)`` out.

    >>> pad_same(np.arange(4.0).reshape(2, 2), (3, 3), "wrap")
    array([[3., 2., 3., 2.],
           [1., 0., 1., 0.],
           [3., 2., 3., 2.],
           [1., 0., 1., 0.]])
    """
    image = as_float_array(image, "image", ndim=2)
    boundary = as_choice(boundary, "boundary", BOUNDARIES)
    if not isinstance(kernel_shape, tuple | list) or len(kernel_shape) != 2:
        raise TypeError(
            f"kernel_shape must be a pair (kh, kw) of positive ints, "
            f"got {kernel_shape!r}"
        )
    kh, kw = (
        as_number(k, "kernel_shape", integer=True, minimum=1) for k in kernel_shape
    )
    pads = (same_padding(image.shape[0], kh), same_padding(image.shape[1], kw))
    return np.pad(image, pads, mode="constant" if boundary == "zero" else "wrap")


def convolution_matrix(kernel, input_shape, mode: str = "full") -> np.ndarray:
    """The matrix M with ``M @ x.ravel() == convolve(x, kernel, mode).ravel()``.

    Introduced in chapter 2. For a 1-D kernel of length k and inputs of length n
    (``input_shape=n``) M is Toeplitz (constant along each diagonal) and equals
    ``scipy.linalg.convolution_matrix(kernel, n, mode)``, with the modes of
    :func:`convolve1d`. For a 2-D kernel and inputs of shape ``(H, W)`` M is doubly
    block Toeplitz: a Toeplitz arrangement of Toeplitz blocks, one block per pair of
    kernel row and input row, with the modes of :func:`convolve2d`. M has one row per
    output and one column per input; most entries are zero.

    >>> M = convolution_matrix([1.0, 2.0], 3)
    >>> M
    array([[1., 0., 0.],
           [2., 1., 0.],
           [0., 2., 1.],
           [0., 0., 2.]])
    >>> M @ [1.0, 1.0, 1.0]  # equals convolve1d([1.0, 1.0, 1.0], [1.0, 2.0])
    array([1., 3., 3., 2.])
    """
    kernel = as_float_array(kernel, "kernel", ndim=(1, 2))
    mode = as_choice(mode, "mode", MODES)
    shape = (input_shape,) if np.isscalar(input_shape) else tuple(input_shape)
    if len(shape) != kernel.ndim:
        raise ValueError(
            f"input_shape must have {kernel.ndim} "
            f"entr{'y' if kernel.ndim == 1 else 'ies'} for a {kernel.ndim}-D kernel, "
            f"got {input_shape!r}"
        )
    shape = tuple(as_number(s, "input_shape", integer=True, minimum=1) for s in shape)
    if (
        kernel.ndim == 2
        and mode == "valid"
        and any(k > s for k, s in zip(kernel.shape, shape, strict=True))
    ):
        raise ValueError(
            f"kernel of shape {kernel.shape} is larger than the input "
            f"shape {shape}: valid mode needs the kernel to fit inside"
        )
    full_shape = tuple(s + k - 1 for s, k in zip(shape, kernel.shape, strict=True))
    matrix = np.zeros((math.prod(full_shape), math.prod(shape)), dtype=np.float64)
    inputs = np.indices(shape).reshape(len(shape), -1)  # coordinates of each column
    columns = np.arange(inputs.shape[1])
    for offset in np.ndindex(kernel.shape):  # out[m + p] += x[m] * K[p]
        rows = np.ravel_multi_index(
            tuple(c + o for c, o in zip(inputs, offset, strict=True)), full_shape
        )
        matrix[rows, columns] = kernel[offset]
    crops = [
        _crop(s, k, mode, True, kernel.ndim)
        for s, k in zip(shape, kernel.shape, strict=True)
    ]
    keep = np.zeros(full_shape, dtype=bool)
    keep[tuple(slice(start, start + length) for start, length in crops)] = True
    return matrix[keep.ravel()]


# The layer (convbn._layer) and the shape arithmetic (convbn._shapes) live in
# modules of their own and are documented here; doctest finds their examples
# through this table (python -m doctest, tests/unit/test_doctests.py).
__test__ = {
    name: globals()[name]
    for name in __all__
    if getattr(globals()[name], "__module__", "") in ("convbn._layer", "convbn._shapes")
}
