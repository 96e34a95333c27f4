"""Pooling: a summary statistic of each neighbourhood (chapters 6 and 7).

The pooling stage of a convolutional layer replaces the detector output at each
location by a statistic of the rectangular window around it (Goodfellow, Bengio &
Courville 2016, section 9.3). Chapter 6 teaches four statistics, all in :func:`pool2d`
and :func:`pool1d`:

* ``"max"`` -- the largest value in the window (``keras.layers.MaxPooling2D``);
* ``"average"`` -- the mean (``keras.layers.AveragePooling2D``);
* ``"l2"`` -- the L2 norm, sqrt(sum of squares);
* ``"weighted"`` -- a weighted average whose weights fall off with the distance from
  the window's centre (a Gaussian with standard deviation ``sigma`` pixels, weights
  normalised to sum to 1; see :func:`pooling_weights`).

Layouts follow Keras: ``(N, H, W, C)`` for :func:`pool2d` and ``(N, L, C)`` for
:func:`pool1d`; a single ``(H, W)`` image or ``(L,)`` signal is accepted too, for
teaching. Windows of ``size`` move by ``stride`` (``None``: ``stride = size``, the
Keras default). Padding "valid" uses only windows that fit; "same" gives
``ceil(n / stride)`` outputs per axis and pads as Keras does: ``max((out - 1) *
stride + size - n, 0)`` positions in total, the odd one at the end. Padded positions
never win a max and are left out of the averages and sums (Keras's "same" average
also divides by the number of real inputs in the window).

Chapter 7 adds the backward pass, :func:`pool2d_backward`, and global pooling,
:func:`global_pool2d`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_choice, as_float_array, as_number
from .convolution import output_size, same_padding

__all__ = [
    "KINDS",
    "PADDINGS",
    "GLOBAL_KINDS",
    "pooling_weights",
    "pool2d",
    "pool1d",
    "pool2d_backward",
    "global_pool2d",
]

#: The pooling statistics :func:`pool2d` and :func:`pool1d` compute.
KINDS = ("max", "average", "l2", "weighted")
#: The padding modes (Keras's names).
PADDINGS = ("valid", "same")
#: The statistics :func:`global_pool2d` computes.
GLOBAL_KINDS = ("max", "average")


def _as_pair(value, name: str, allow_none: bool = False):
    """An int or a pair of ints, each >= 1, as a tuple (rows, columns)."""
    if value is None and allow_none:
        return None
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a pair of ints (rows, columns), got "
                f"{value!r}"
            )
        return tuple(as_number(v, name, integer=True, minimum=1) for v in value)
    size = as_number(value, name, integer=True, minimum=1)
    return size, size


def pooling_weights(size, sigma: float = 1.0) -> np.ndarray:
    """The weights of distance-weighted pooling over a window of ``size`` (chapter 6).

    ``w[m, q]`` is proportional to ``exp(-((m - cm)^2 + (q - cq)^2) / (2 sigma^2))``
    where ``(cm, cq) = ((kh - 1) / 2, (kw - 1) / 2)`` is the window's centre, and the
    weights sum to 1. ``size`` is an int or a pair ``(kh, kw)``; the result has shape
    ``(kh, kw)``. A large ``sigma`` tends to the plain average, a small one to the
    central pixel alone.

    >>> pooling_weights(2)  # four pixels at the same distance from the centre
    array([[0.25, 0.25],
           [0.25, 0.25]])
    >>> pooling_weights((1, 3), sigma=0.01)
    array([[0., 1., 0.]])
    """
    kh, kw = _as_pair(size, "size")
    sigma = as_number(sigma, "sigma", positive=True)
    rows = np.arange(kh) - (kh - 1) / 2
    cols = np.arange(kw) - (kw - 1) / 2
    squared = rows[:, None] ** 2 + cols[None, :] ** 2
    weights = np.exp(-(squared - squared.min()) / (2 * sigma**2))
    return weights / weights.sum()


def _pads(n: int, k: int, stride: int, padding: str, axis: str):
    """(before, after, outputs) along one axis."""
    if padding == "valid" and k > n:
        raise ValueError(
            f"size {k} is larger than the input's {axis} {n}: padding='valid' "
            "needs the window to fit; use padding='same' or a smaller size"
        )
    before, after = same_padding(n, k, stride) if padding == "same" else (0, 0)
    return before, after, output_size(n, k, padding, stride)


def _options(kind, padding, sigma):
    """``kind``, ``padding`` and ``sigma`` checked (sigma only matters if weighted)."""
    kind = as_choice(kind, "kind", KINDS)
    padding = as_choice(padding, "padding", PADDINGS)
    if kind == "weighted":
        sigma = as_number(sigma, "sigma", positive=True)
    return kind, padding, sigma


def _pool(x, size, stride, kind, padding, sigma, axes=("height", "width")):
    """Pool a float array of shape (N, H, W, C) over axes 1 and 2."""
    kh, kw = size
    sh, sw = stride
    n_rows, n_cols = x.shape[1:3]
    top, bottom, h_out = _pads(n_rows, kh, sh, padding, axes[0])
    left, right, w_out = _pads(n_cols, kw, sw, padding, axes[1])
    padded = any((top, bottom, left, right))
    if padded:
        fill = -np.inf if kind == "max" else 0.0
        x = np.pad(
            x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill
        )
    if kind == "l2":
        x = x * x
    weights = pooling_weights((kh, kw), sigma) if kind == "weighted" else None
    # Shift and reduce: one vectorised operation per window offset (m, q) on
    # the strided view of every window's (m, q) entry.
    out = None
    for m in range(kh):
        for q in range(kw):
            part = x[
                :,
                m : m + (h_out - 1) * sh + 1 : sh,
                q : q + (w_out - 1) * sw + 1 : sw,
                :,
            ]
            if kind == "max":
                out = part.copy() if out is None else np.maximum(out, part, out=out)
            else:
                term = part * weights[m, q] if weights is not None else part
                out = term.copy() if out is None else np.add(out, term, out=out)
    if kind == "max":
        return out
    if padded:
        # What each window sums over: 1 for real inputs, 0 for padding.
        real = np.pad(
            np.ones((n_rows, n_cols), dtype=x.dtype), ((top, bottom), (left, right))
        )
        share = np.zeros((h_out, w_out), dtype=x.dtype)
        for m in range(kh):
            for q in range(kw):
                weight = 1.0 if weights is None else weights[m, q]
                share += (
                    weight
                    * real[
                        m : m + (h_out - 1) * sh + 1 : sh,
                        q : q + (w_out - 1) * sw + 1 : sw,
                    ]
                )
        share = share[None, :, :, None]
    else:
        share = 1.0 if weights is not None else float(kh * kw)
    if kind == "l2":
        return np.sqrt(out)
    return out / share


def pool2d(
    x,
    size=2,
    stride=None,
    kind: str = "max",
    padding: str = "valid",
    sigma: float = 1.0,
) -> np.ndarray:
    """2-D pooling of ``x`` of shape ``(N, H, W, C)`` or ``(H, W)`` (chapter 6).

    ``out[n, i, j, c] = f(xp[n, i sh : i sh + kh, j sw : j sw + kw, c])`` with ``f``
    the max, the mean, the L2 norm ``sqrt(sum of squares)`` or the
    :func:`pooling_weights`-weighted mean (``kind``), ``(kh, kw) = size`` and
    ``(sh, sw) = stride`` (``None`` means ``stride = size``); ``size`` and ``stride``
    are ints or pairs. The output is ``(N, H_out, W_out, C)`` (``(H_out, W_out)`` for a
    2-D input) with ``H_out = floor((H - kh) / sh) + 1`` for ``padding="valid"`` and
    ``ceil(H / sh)`` for ``"same"``; see the module docstring for the padding. Max
    and average equal ``keras.layers.MaxPooling2D`` and ``AveragePooling2D`` with the
    same ``pool_size``, ``strides`` and ``padding``. float32 stays float32.

    >>> x = np.arange(16.0).reshape(4, 4)
    >>> pool2d(x)
    array([[ 5.,  7.],
           [13., 15.]])
    >>> pool2d(x, kind="average")
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> pool2d(np.ones((8, 6, 6, 3)), size=3, stride=2, padding="same").shape
    (8, 3, 3, 3)
    """
    x = as_float_array(x, "x", ndim=(2, 4))
    kind, padding, sigma = _options(kind, padding, sigma)
    size = _as_pair(size, "size")
    stride = _as_pair(stride, "stride", allow_none=True) or size
    if x.ndim == 2:
        return _pool(x[None, :, :, None], size, stride, kind, padding, sigma)[0, ..., 0]
    return _pool(x, size, stride, kind, padding, sigma)


def pool1d(
    x,
    size=2,
    stride=None,
    kind: str = "max",
    padding: str = "valid",
    sigma: float = 1.0,
) -> np.ndarray:
    """1-D pooling of ``x`` of shape ``(N, L, C)`` or ``(L,)`` (chapter 6).

    ``out[n, i, c] = f(xp[n, i s : i s + k, c])`` with ``f`` as in :func:`pool2d`,
    ``k = size``, ``s = stride`` (``None``: ``s = k``); the output is ``(N, L_out, C)``
    (``(L_out,)`` for a 1-D input) with ``L_out = floor((L - k) / s) + 1`` ("valid") or
    ``ceil(L / s)`` ("same"). Max and average equal ``keras.layers.MaxPooling1D`` and
    ``AveragePooling1D``. float32 stays float32.

    >>> pool1d([1.0, 3.0, 2.0, 5.0, 4.0])
    array([3., 5.])
    >>> pool1d([1.0, 3.0, 2.0, 5.0, 4.0], padding="same")  # last window: 4 alone
    array([3., 5., 4.])
    >>> pool1d([1.0, 3.0, 2.0, 5.0, 4.0], size=3, stride=1, kind="average")
    array([2.        , 3.33333333, 3.66666667])
    """
    x = as_float_array(x, "x", ndim=(1, 3))
    kind, padding, sigma = _options(kind, padding, sigma)
    k = as_number(size, "size", integer=True, minimum=1)
    s = k if stride is None else as_number(stride, "stride", integer=True, minimum=1)
    batch = x[None, :, None] if x.ndim == 1 else x
    out = _pool(
        batch[:, None], (1, k), (1, s), kind, padding, sigma, ("height", "length")
    )[:, 0]
    return out[0, :, 0] if x.ndim == 1 else out


def _windows(n_rows, n_cols, size, stride, padding):
    """Padding and output size of both axes, and the strided slice of every offset."""
    (kh, kw), (sh, sw) = size, stride
    top, bottom, h_out = _pads(n_rows, kh, sh, padding, "height")
    left, right, w_out = _pads(n_cols, kw, sw, padding, "width")

    def at(m, q):
        return (
            slice(m, m + (h_out - 1) * sh + 1, sh),
            slice(q, q + (w_out - 1) * sw + 1, sw),
        )

    return (top, bottom, left, right), (h_out, w_out), at


def _max_backward_disjoint(dout, x, size, stride, out_hw, dtype, single):
    """Max pooling's gradient when the windows do not overlap (stride >= size, no
    padding): every input entry is in at most one window, so each offset (m, q) of
    the windows writes its own entries of dx once. Offsets go in row-major order,
    and a window whose maximum is claimed is marked, so that a tied later entry
    cannot claim it again: the first maximum wins, as in TensorFlow."""
    (kh, kw), (sh, sw), (h_out, w_out) = size, stride, out_hw
    parts = {
        (m, q): (
            slice(m, m + (h_out - 1) * sh + 1, sh),
            slice(q, q + (w_out - 1) * sw + 1, sw),
        )
        for m in range(kh)
        for q in range(kw)
    }
    largest = None
    for rows, cols in parts.values():
        part = x[:, rows, cols, :]
        if largest is None:
            largest = part.copy()
        else:
            np.maximum(largest, part, out=largest)
    dx = np.zeros(x.shape, dtype=dtype)
    hit = np.empty(largest.shape, dtype=bool)
    open_ = np.ones(largest.shape, dtype=bool)  # windows whose maximum is unclaimed
    for rows, cols in parts.values():
        np.equal(x[:, rows, cols, :], largest, out=hit)
        np.logical_and(hit, open_, out=hit)
        np.multiply(dout, hit, out=dx[:, rows, cols, :])
        np.logical_xor(open_, hit, out=open_)  # hit is a subset of open_
    return dx[0, :, :, 0] if single else dx


def pool2d_backward(
    dout,
    x,
    size=2,
    stride=None,
    kind: str = "max",
    padding: str = "valid",
    sigma: float = 1.0,
) -> np.ndarray:
    """The gradient of :func:`pool2d` with respect to its input (chapter 7).

    Inputs:

    - dout: ``(N, H_out, W_out, C)`` (or ``(H_out, W_out)``), the gradient of a loss
      with respect to ``pool2d(x, size, stride, kind, padding, sigma)``
    - x: the forward pass's input, ``(N, H, W, C)`` or ``(H, W)``, and its options

    Returns dx, shaped like ``x``. Each window passes its ``dout`` back:

    - "max": all of it to the window's largest entry; with ties (a ReLU map's
      zeros), to the *first* maximum in row-major order, as TensorFlow's CPU kernel
      of ``tf.nn.max_pool2d``, and so ``keras.layers.MaxPooling2D``, does;
    - "average": spread evenly, ``dout / (number of real entries in the window)``;
    - "weighted": in proportion to the :func:`pooling_weights` of the real entries;
    - "l2": ``dout * x / out`` (0 where the window is all zeros).

    Overlapping windows add their contributions. "max" and "average" equal
    TensorFlow's gradient (``tf.GradientTape``, on CPU) of ``tf.nn.max_pool2d`` /
    ``avg_pool2d``, that is of ``keras.layers.MaxPooling2D`` / ``AveragePooling2D``.
    Global max pooling follows another rule: see :func:`global_pool2d`.

    >>> x = np.array([[1.0, 3.0], [3.0, 0.0]])
    >>> pool2d_backward(np.array([[10.0]]), x, kind="max")  # first of the tied 3s
    array([[ 0., 10.],
           [ 0.,  0.]])
    >>> pool2d_backward(np.array([[10.0]]), x, kind="average")
    array([[2.5, 2.5],
           [2.5, 2.5]])
    """
    x = as_float_array(x, "x", ndim=(2, 4))
    kind, padding, sigma = _options(kind, padding, sigma)
    size = _as_pair(size, "size")
    stride = _as_pair(stride, "stride", allow_none=True) or size
    single = x.ndim == 2
    batch = x[None, :, :, None] if single else x
    (top, bottom, left, right), out_hw, at = _windows(
        *batch.shape[1:3], size, stride, padding
    )
    expected = out_hw if single else (batch.shape[0], *out_hw, batch.shape[3])
    dout = as_float_array(dout, "dout", ndim=2 if single else 4)
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the shape of pool2d's output, {expected}, got {dout.shape}"
        )
    dout = dout[None, :, :, None] if single else dout
    dtype = np.result_type(batch.dtype, dout.dtype)
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    kh, kw = size
    if (
        kind == "max"
        and not any(pads[1] + pads[2])
        and all(s >= k for s, k in zip(stride, size, strict=True))
    ):
        return _max_backward_disjoint(dout, batch, size, stride, out_hw, dtype, single)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(batch, pads, constant_values=fill)
    real = np.pad(np.ones(batch.shape[1:3], dtype=dtype), pads[1:3])
    dxp = np.zeros(xp.shape, dtype=dtype)
    weights = pooling_weights(size, sigma) if kind == "weighted" else np.ones(size)
    if kind == "max":
        out = _pool(batch, size, stride, "max", padding, sigma)
        taken = np.zeros(out.shape, dtype=bool)
        for m in range(kh):
            for q in range(kw):
                rows, cols = at(m, q)
                hit = (xp[:, rows, cols, :] == out) & ~taken
                dxp[:, rows, cols, :] += np.where(hit, dout, 0.0)
                taken |= hit
    elif kind == "l2":
        out = _pool(batch, size, stride, "l2", padding, sigma)
        scale = np.divide(
            dout, out, out=np.zeros_like(dout, dtype=dtype), where=out > 0
        )
        for m in range(kh):
            for q in range(kw):
                rows, cols = at(m, q)
                dxp[:, rows, cols, :] += scale * xp[:, rows, cols, :]
    else:  # average and weighted: a fixed share per real entry
        share = sum(
            weights[m, q] * real[at(m, q)] for m in range(kh) for q in range(kw)
        )[None, :, :, None]
        spread = dout / share
        for m in range(kh):
            for q in range(kw):
                rows, cols = at(m, q)
                dxp[:, rows, cols, :] += weights[m, q] * spread
    dx = dxp[:, top : top + batch.shape[1], left : left + batch.shape[2], :]
    return dx[0, :, :, 0] if single else dx


def global_pool2d(x, kind: str = "max") -> np.ndarray:
    """Global pooling: one number per channel, from the whole feature map (chapter 7).

    ``out[n, c] = f(x[n, :, :, c])`` with ``f`` the max or the mean (``kind``); ``x``
    is ``(N, H, W, C)``, the result ``(N, C)``. It ignores *where* a feature was
    found, so it is invariant to every circular shift of the map (exactly for the
    max; the mean adds the same numbers in another order, equal up to rounding), and
    the result no longer depends on the image size. Under a real translation (content
    shifted in, zeros or other content shifted out) it is only approximately
    invariant. Equals ``keras.layers.GlobalMaxPooling2D`` /
    ``GlobalAveragePooling2D``.

    convbn has no backward pass for it. Keras's ``GlobalMaxPooling2D`` is a
    ``reduce_max``, whose gradient TensorFlow *splits equally* among tied maxima
    (``dout / t`` to each of ``t`` ties), unlike ``MaxPooling2D`` and
    :func:`pool2d_backward`, which send it all to the first maximum.

    >>> global_pool2d(np.arange(8.0).reshape(1, 2, 2, 2), "average")
    array([[3., 4.]])
    """
    x = as_float_array(x, "x", ndim=4)
    kind = as_choice(kind, "kind", GLOBAL_KINDS)
    return x.max(axis=(1, 2)) if kind == "max" else x.mean(axis=(1, 2))
