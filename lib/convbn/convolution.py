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

* :func:`conv2d` -- the batched multi-channel layer form with stride, padding and
  dilation, equal to ``tf.nn.conv2d`` (TensorFlow's "same" padding, which with a
  stride is *not* ``correlate2d(..., "same", stride)``: see :func:`conv2d`);
  :func:`conv2d_backward` its gradients, and :func:`conv2d_transpose` the transposed
  convolution (``Conv2DTranspose``, with ``output_padding``), whose output length
  :func:`transpose_output_size` gives.

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

from . import continuous
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
    "conv2d",
    "conv2d_backward",
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
MODES = ("full", "same", "valid")


def _result_dtype(*arrays):
    return np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64


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


def _as_stride(stride) -> int:
    return as_number(stride, "stride", integer=True, minimum=1)


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
    return full[start : start + length].astype(_result_dtype(x, w), copy=False)


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
    return full[start : start + length].astype(_result_dtype(x, w), copy=False)


def _correlate1d_full(x, w):
    # c[t] = sum_a xp[t + a] w[a] over x zero-padded by k - 1 on both sides.
    k = len(w)
    padded = np.pad(x.astype(np.float64), k - 1)
    return sliding_window_view(padded, k) @ w.astype(np.float64)


def _check_2d(image, kernel, mode, stride):
    image = as_float_array(image, "image", ndim=2)
    kernel = as_float_array(kernel, "kernel", ndim=2)
    mode = as_choice(mode, "mode", MODES)
    stride = _as_stride(stride)
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
    dtype = _result_dtype(image, kernel)
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
        dtype=_result_dtype(image, kernel),
    )
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = 0.0
            for m in range(kh):
                for q in range(kw):
                    total += image[i + m, j + q] * kernel[m, q]
            out[i, j] = total
    return out


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
    stride = _as_stride(stride)
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


def _layer_inputs(x, w, stride, padding, dilation, x_name="x"):
    """Checked conv2d arguments, and the padding and output size of each axis."""
    x = as_float_array(x, x_name, ndim=4)
    w = as_float_array(w, "w", ndim=4)
    stride = _as_stride(stride)
    padding = as_choice(padding, "padding", ("valid", "same"))
    dilation = as_number(dilation, "dilation", integer=True, minimum=1)
    kh, kw, c_in, _ = w.shape
    if x.shape[3] != c_in:
        raise ValueError(
            f"channel mismatch: {x_name} has {x.shape[3]} channels "
            f"({x_name}.shape[3]) but w expects C_in={c_in} (w.shape[2]); "
            f"{x_name} is (N, H, W, C_in), w is (kh, kw, C_in, C_out)"
        )
    # A dilated kernel covers (k - 1) d + 1 positions: its "effective" size.
    span = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    height, width = x.shape[1:3]
    if padding == "valid" and (span[0] > height or span[1] > width):
        raise ValueError(
            f"kernel of spatial size {(kh, kw)} (dilation {dilation}: it spans "
            f"{span}) is larger than the input's {(height, width)}: valid padding "
            "needs it to fit; use padding='same' or a smaller kernel"
        )
    pads = [
        same_padding(n, k, stride) if padding == "same" else (0, 0)
        for n, k in ((height, span[0]), (width, span[1]))
    ]
    out_shape = tuple(
        output_size(n, k, padding, stride)
        for n, k in ((height, span[0]), (width, span[1]))
    )
    return x, w, stride, padding, dilation, pads, out_shape


def _patches(xp, kh, kw, stride, dilation):
    """(N, H_out, W_out, kh, kw, C_in): the input entries each output position sees."""
    span = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    view = sliding_window_view(xp, span, axis=(1, 2))[:, ::stride, ::stride]
    # view: (N, H_out, W_out, C_in, span_h, span_w); keep every d-th tap
    return view[..., ::dilation, ::dilation].transpose(0, 1, 2, 4, 5, 3)


def conv2d(
    x, w, b=None, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> np.ndarray:
    """The convolutional layer: a batch of multi-channel cross-correlations.

    Used from chapter 6 (the three stages of a layer) to chapter 12 (a CNN's forward
    pass recomputed); chapter 7 teaches its channels, stride and dilation.

    Shapes follow Keras: ``x`` is ``(N, H, W, C_in)``, ``w`` ``(kh, kw, C_in, C_out)``,
    ``b`` ``(C_out,)`` or None; the result is ``(N, H_out, W_out, C_out)`` with

        out[n, i, j, c] = b[c]
            + sum_{m, q, d} xp[n, i s + m D, j s + q D, d] w[m, q, d, c]

    (s the stride, D the dilation) where xp is x zero-padded as TensorFlow pads: none
    for "valid"; for "same", :func:`same_padding` of the dilated kernel's span
    ``(kh - 1) D + 1``. H_out = :func:`output_size` (H, span, padding, s). Equals
    ``tf.nn.conv2d(x, w, s, padding.upper(), dilations=D) + b`` and
    ``keras.layers.Conv2D`` with the same weights. Computed as one matrix product of
    the patches ("im2col") with the kernel.

    With a stride, "same" is therefore not in general :func:`correlate2d`'s strided
    "same" (the stride-1 result subsampled from 0): for D = 1 it subsamples that
    result from p = (kh - 1) // 2 - same_padding(H, kh, s)[0], which depends on H
    (p = 1 for H = 8, kh = 3, s = 2; p = 0 for H = 7).

    >>> x, w = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
    >>> conv2d(x, w, b=[0.5])[0, :, :, 0]
    array([[4.5, 4.5],
           [4.5, 4.5]])
    >>> conv2d(x, w, padding="same")[0, :, :, 0]  # one zero row and column, at the end
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]])
    >>> x, w = np.ones((2, 5, 5, 3)), np.ones((3, 3, 3, 4))  # 3 channels in, 4 out
    >>> conv2d(x, w, stride=2, padding="same").shape
    (2, 3, 3, 4)
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d(x, np.ones((2, 2, 1, 1)), stride=2)[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    >>> conv2d(x, np.ones((2, 2, 1, 1)), dilation=3)[0, :, :, 0]  # the four corners
    array([[30.]])
    >>> x8, w3 = np.arange(8.0).reshape(1, 1, 8, 1), np.ones((1, 3, 1, 1))
    >>> conv2d(x8, w3, padding="same", stride=2)[0, 0, :, 0]  # windows on 1, 3, 5, 7
    array([ 3.,  9., 15., 13.])
    >>> correlate2d(x8[0, :, :, 0], w3[:, :, 0, 0], "same")[0]  # its [1::2], not [::2]
    array([ 1.,  3.,  6.,  9., 12., 15., 18., 13.])
    """
    x, w, stride, padding, dilation, pads, _ = _layer_inputs(
        x, w, stride, padding, dilation
    )
    kh, kw, c_in, c_out = w.shape
    if b is not None:
        b = as_float_array(b, "b", ndim=1)
        if b.shape != (c_out,):
            raise ValueError(f"b must have shape (C_out,) = ({c_out},), got {b.shape}")
    dtype = _result_dtype(x, w, *([] if b is None else [b]))
    if padding == "same":
        x = np.pad(x, ((0, 0), *pads, (0, 0)))
    patches = _patches(x, kh, kw, stride, dilation)
    n_batch, h_out, w_out = patches.shape[:3]
    columns = patches.reshape(-1, kh * kw * c_in).astype(dtype, copy=False)
    out = columns @ w.reshape(-1, c_out).astype(dtype, copy=False)
    out = out.reshape(n_batch, h_out, w_out, c_out)
    return out if b is None else out + b.astype(dtype)


def _transpose_full(y, w, stride, dilation, dtype):
    """Every output position of a forward conv2d sends ``y[n, i, j] @ w[m, q].T``
    back to input position ``(i s + m D, j s + q D)``, and what arrives adds up: the
    whole transposed convolution, ``(N, (H_out - 1) s + span, ..., C_in)``."""
    n_batch, h_out, w_out, c_out = y.shape
    kh, kw, c_in, _ = w.shape
    # taps[m, q, d] is (N, H_out, W_out): what tap (m, q) sends to input channel d.
    # Channels first, so that each tap's block is contiguous and the scatter below
    # reads memory in order; one transpose at the end restores (N, H, W, C_in).
    taps = w.reshape(-1, c_out).astype(dtype, copy=False) @ y.reshape(
        -1, c_out
    ).T.astype(dtype, copy=False)
    taps = taps.reshape(kh, kw, c_in, n_batch, h_out, w_out)
    full = np.zeros(
        (
            c_in,
            n_batch,
            (h_out - 1) * stride + (kh - 1) * dilation + 1,
            (w_out - 1) * stride + (kw - 1) * dilation + 1,
        ),
        dtype,
    )
    for m in range(kh):
        for q in range(kw):
            rows = slice(m * dilation, m * dilation + (h_out - 1) * stride + 1, stride)
            cols = slice(q * dilation, q * dilation + (w_out - 1) * stride + 1, stride)
            full[:, :, rows, cols] += taps[m, q]
    return full.transpose(1, 2, 3, 0)


def conv2d_backward(
    dout, x, w, stride: int = 1, padding: str = "valid", dilation: int = 1
):
    """The backward pass of :func:`conv2d`: gradients for input, kernel and bias.

    Introduced in chapter 7.

    Inputs:

    - dout: ``(N, H_out, W_out, C_out)``, the gradient of a loss with respect to the
      output of ``conv2d(x, w, b, stride, padding, dilation)``
    - x: ``(N, H, W, C_in)``, w: ``(kh, kw, C_in, C_out)``, and the forward pass's
      stride, padding and dilation (the bias does not matter)

    Returns a tuple of:

    - dx ``(N, H, W, C_in)``: every output position sends ``dout[n, i, j, :] @
      w[m, q].T`` back to the input entry it read through tap (m, q), and the
      contributions add up. It is the *transposed convolution* of dout with w
      (:func:`conv2d_transpose`), that is ``M.T @ dout`` with M the convolution
      matrix (chapter 2).
    - dw ``(kh, kw, C_in, C_out)``: ``dw[m, q, d, c] = sum_{n, i, j} xp[n, i s + m D,
      j s + q D, d] dout[n, i, j, c]``, a cross-correlation of the input with dout.
    - db ``(C_out,)``: ``dout`` summed over the batch and both spatial axes.

    Equals ``tf.GradientTape`` through ``tf.nn.conv2d(x, w, s, padding.upper(),
    dilations=D) + b``.

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> dx, dw, db = conv2d_backward(np.ones((1, 2, 2, 1)), x, np.ones((2, 2, 1, 1)))
    >>> dx[0, :, :, 0]  # how many windows cover each input entry
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> dw[:, :, 0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    x, w, stride, padding, dilation, pads, out_shape = _layer_inputs(
        x, w, stride, padding, dilation
    )
    kh, kw, c_in, c_out = w.shape
    dout = as_float_array(dout, "dout", ndim=4)
    expected = (x.shape[0], *out_shape, c_out)
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the shape of conv2d's output, (N, H_out, W_out, C_out) "
            f"= {expected}, got {dout.shape}"
        )
    dtype = _result_dtype(dout, x, w)
    xp = np.pad(x, ((0, 0), *pads, (0, 0))) if padding == "same" else x
    patches = _patches(xp, kh, kw, stride, dilation)
    flat = dout.reshape(-1, c_out).astype(dtype, copy=False)
    columns = patches.reshape(-1, kh * kw * c_in).astype(dtype, copy=False)
    dw = (columns.T @ flat).reshape(kh, kw, c_in, c_out)
    db = flat.sum(axis=0)
    full = _transpose_full(dout, w, stride, dilation, dtype)
    return _crop_to(full, pads, x.shape[1:3]), dw, db


def _crop_to(full, pads, shape):
    """The input gradient of a forward conv2d whose input has spatial ``shape`` and
    was padded by ``pads``: the transposed convolution ``full`` without the padded
    rows and columns, and with zeros for the last rows and columns that no window
    read (valid padding with a stride that does not divide H - kh; output_padding)."""
    (top, _), (left, _) = pads
    grow = [
        max(start + n - have, 0)
        for start, n, have in zip((top, left), shape, full.shape[1:3], strict=True)
    ]
    if any(grow):
        full = np.pad(full, ((0, 0), (0, grow[0]), (0, grow[1]), (0, 0)))
    dx = full[:, top : top + shape[0], left : left + shape[1], :]
    return np.ascontiguousarray(dx)


def _as_output_padding(output_padding, stride: int):
    """None, or a pair (rows, columns) of ints with 0 <= a < stride."""
    if output_padding is None:
        return None
    if isinstance(output_padding, tuple | list):
        if len(output_padding) != 2:
            raise ValueError(
                "output_padding must be an int or a pair (rows, columns) of ints, "
                f"got {output_padding!r}"
            )
        values = tuple(output_padding)
    else:
        values = (output_padding, output_padding)
    pair = tuple(as_number(a, "output_padding", integer=True) for a in values)
    if not all(0 <= a < stride for a in pair):
        raise ValueError(
            f"output_padding must satisfy 0 <= output_padding < stride = {stride}, "
            f"got {output_padding!r}"
        )
    return pair


def transpose_output_size(
    n: int, k: int, padding: str = "valid", stride: int = 1, output_padding=None
) -> int:
    """Rows (or columns) of a transposed convolution of ``n`` rows with a kernel of
    ``k`` (chapter 7).

    Keras's ``Conv2DTranspose`` formula. With ``output_padding=None``: "valid" gives
    ``n s + max(k - s, 0)`` and "same" ``n s``. With ``output_padding=a`` (an int,
    ``0 <= a < s``) it is Dumoulin and Visin's ``(n - 1) s + k - 2 p + a``, with
    ``p = 0`` for "valid" and ``p = k // 2`` for "same". A forward :func:`conv2d`
    with that kernel, stride and padding maps the s input sizes ``a = 0, ..., s - 1``
    to the same ``n``; ``a`` says which one to go back to. For "valid",
    ``a = (H - k) % s`` recovers ``H`` (its last ``a`` rows are those no window
    reads). With "same" and an even k, ``a = 0`` raises a ValueError: that size
    maps to ``n - 1``.

    >>> transpose_output_size(4, 3, stride=2), transpose_output_size(4, 3, "same", 2)
    (9, 8)
    >>> transpose_output_size(4, 3, stride=2, output_padding=1)  # 10 -> 4 -> 10
    10
    """
    n = as_number(n, "n", integer=True, minimum=1)
    k = as_number(k, "k", integer=True, minimum=1)
    padding = as_choice(padding, "padding", ("valid", "same"))
    stride = _as_stride(stride)
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == "valid" else n * stride
    a = as_number(output_padding, "output_padding", integer=True)
    a = _as_output_padding(a, stride)[0]
    p = k // 2 if padding == "same" else 0
    length = (n - 1) * stride + k - 2 * p + a
    if length < 1 or output_size(length, k, padding, stride) != n:
        raise ValueError(
            f"output_padding={a} with an even kernel (k={k}) and padding 'same' "
            f"gives {length} rows, which a stride-{stride} convolution does not "
            f"map to n={n}: use output_padding >= 1 or None (Keras fails here, or "
            "returns an empty array)"
        )
    return length


def conv2d_transpose(
    x, w, stride: int = 1, padding: str = "valid", output_padding=None
) -> np.ndarray:
    """Transposed convolution: upsampling by a learned kernel.

    Introduced in chapter 7.

    ``x`` is ``(N, H, W, C_in)`` and ``w`` is ``(kh, kw, C_out, C_in)``, the kernel
    layout of ``keras.layers.Conv2DTranspose``. Every input pixel stamps a copy of the
    kernel, scaled by its values, into the output, ``s`` pixels from its neighbour's
    stamp:

        full[n, i s + m, j s + q, c] += sum_d x[n, i, j, d] w[m, q, c, d]

    The output has :func:`transpose_output_size` ``(H, kh, padding, s,
    output_padding)`` rows, and as many columns from W and kw:

    - ``output_padding=None`` (Keras's default): "valid" keeps all of ``full``,
      padded with zeros to Keras's length ``H s + max(kh - s, 0)`` (a stride larger
      than the kernel leaves zero rows at the end); "same" keeps ``H s`` rows.
    - ``output_padding=a`` (an int, or a pair (rows, columns), each
      ``0 <= a < s``): ``(H - 1) s + kh - 2 p + a`` rows, p = 0 for "valid" and
      ``kh // 2`` for "same" (Dumoulin and Visin's formula); the ``a`` extra rows
      are the ones a forward stride-s convolution would leave unread.

    "same" crops ``full`` as the forward convolution's "same" padding pads an input
    of the output's length L: :func:`same_padding` ``(L, kh, s)`` rows, the odd one
    at the end. Where the stride does not divide the kernel size, the stamps overlap
    unevenly: the checkerboard pattern.

    It is the gradient of :func:`conv2d` with respect to its input: for an input x of
    H rows, ``conv2d_backward(dout, x, w, s, padding)[0] == conv2d_transpose(dout, w,
    s, padding, output_padding=a)`` with ``a = (H - kh) % s`` for "valid" (for
    "same" and odd kh, ``a = (H - 1) % s``); without output_padding only when x has
    the size the transpose produces. Equals
    ``keras.layers.Conv2DTranspose(C_out, (kh, kw), strides=s, padding=padding,
    output_padding=output_padding, use_bias=False)`` with kernel ``w``.

    >>> up = conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), stride=2)
    >>> up[0, :, :, 0]  # overlapping stamps add up: the checkerboard
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    >>> conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), 2,
    ...                  output_padding=1)[0, :, :, 0]  # one more row and column
    array([[1., 1., 2., 1., 1., 0.],
           [1., 1., 2., 1., 1., 0.],
           [2., 2., 4., 2., 2., 0.],
           [1., 1., 2., 1., 1., 0.],
           [1., 1., 2., 1., 1., 0.],
           [0., 0., 0., 0., 0., 0.]])
    """
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    stride = _as_stride(stride)
    padding = as_choice(padding, "padding", ("valid", "same"))
    extra = _as_output_padding(output_padding, stride) or (None, None)
    kh, kw, c_out, c_in = w.shape
    if x.shape[3] != c_in:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (x.shape[3]) but w "
            f"expects C_in={c_in} (w.shape[3]); x is (N, H, W, C_in), w is "
            "(kh, kw, C_out, C_in) as in keras.layers.Conv2DTranspose"
        )
    lengths = [
        transpose_output_size(n, k, padding, stride, a)
        for n, k, a in zip(x.shape[1:3], (kh, kw), extra, strict=True)
    ]
    # The transpose of the forward conv2d, kernel w in conv2d's layout, that maps an
    # input of these lengths (padded as it would pad them) to x's size.
    pads = [
        same_padding(length, k, stride) if padding == "same" else (0, 0)
        for length, k in zip(lengths, (kh, kw), strict=True)
    ]
    full = _transpose_full(x, w, stride, 1, _result_dtype(x, w))
    return _crop_to(full, pads, lengths)
