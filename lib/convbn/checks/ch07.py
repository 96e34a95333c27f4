"""Chapter 7, the convolutional layer in full: the checkers of the backward pass of a
strided convolution (input, kernel and bias gradients), of the backward pass of
overlapping max pooling, and of the numbers a student predicts for an encoder's
``Conv2D`` and a decoder's ``Conv2DTranspose`` before running them.

The references are :func:`convbn.convolution.conv2d_backward`,
:func:`convbn.pooling.pool2d_backward`, :func:`convbn.convolution.conv2d` and
:func:`convbn.convolution.conv2d_transpose`; the helpers here compute the wrong
versions the usual mistakes give. None of the graded answers appears in the lesson
(``tests/checks/test_ch07.py`` searches it). The checkers of the toolkit's exercises
(``im2col``, a depthwise convolution, the cost of a depthwise-separable block) are in
:mod:`convbn.checks.ch07_toolkit`, re-exported here."""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution, pooling
from ._core import Mistake, as_array, as_int, call, close, first_mistake, wrong_at
from .ch07_toolkit import (
    check_depthwise_conv2d,
    check_im2col,
    check_separable_cost,
)

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_conv2d_backward",
    "check_max_pool2d_backward",
)

__all__ = [
    "check_conv2d_backward",
    "check_max_pool2d_backward",
    "check_layer_predictions",
    # re-exported from ch07_toolkit
    "check_im2col",
    "check_depthwise_conv2d",
    "check_separable_cost",
]

# --- exercise 7.1: the backward pass of a strided layer ------------------------------

# (N, H, W, C_in, C_out, kh, kw, stride): stride 1 first (the lesson's case), then
# strides that divide H - kh and strides that leave the last rows or columns unread,
# square and non-square, C_in == C_out (where swapped channels still fit) and not, a
# 1 x 1 kernel with stride 2 (every other row unread), a kernel smaller than the stride.
_CONV_CASES = [
    (1, 5, 5, 1, 1, 3, 3, 1),
    (2, 7, 7, 2, 2, 3, 3, 2),
    (2, 8, 7, 2, 3, 3, 3, 2),
    (1, 9, 8, 2, 2, 2, 3, 3),
    (2, 6, 7, 3, 2, 1, 1, 2),
    (1, 7, 9, 2, 2, 4, 2, 3),
    (3, 5, 6, 2, 2, 2, 2, 2),
    (1, 3, 9, 1, 2, 3, 4, 1),
]


def _fit(dx, shape):
    """``dx`` with zero rows and columns appended up to ``shape`` (N, H, W, C)."""
    grow = [
        max(want - have, 0)
        for want, have in zip(shape[1:3], dx.shape[1:3], strict=True)
    ]
    return np.pad(dx, ((0, 0), (0, grow[0]), (0, grow[1]), (0, 0)))


def _full(dout, kernel, stride, shape=None):
    """dout with s - 1 zeros between its entries, padded with kh - 1 (kw - 1) zeros
    on each side and cross-correlated with ``kernel`` (layout (kh, kw, C_in, C_out),
    rotated or not by the caller); with ``shape``, zero rows appended up to it."""
    n, h_out, w_out, c_out = dout.shape
    spread = np.zeros((n, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1, c_out))
    spread[:, ::stride, ::stride] = dout
    kh, kw = kernel.shape[:2]
    padded = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = convolution.conv2d(padded, kernel.transpose(0, 1, 3, 2))
    return dx if shape is None else _fit(dx, shape)


def _dx_mistakes(dout, x, w, stride) -> list[Mistake]:
    c_in, c_out = w.shape[2:]
    rotated = w[::-1, ::-1]
    h, w_, kh, kw = x.shape[1], x.shape[2], w.shape[0], w.shape[1]
    unread = ((h - kh) % stride, (w_ - kw) % stride)
    mistakes = [
        Mistake(
            _full(dout, w, stride, x.shape),
            "dx: the kernel is not flipped. Written as a correlation, dx is dout "
            "(with s - 1 zeros between its entries) padded by kh - 1 and correlated "
            "with the kernel rotated by 180° (w[::-1, ::-1]): the input pixel at "
            "offset (m, q) of a window meets w[m, q], so seen from the input the "
            "kernel runs backwards",
        ),
        *(
            Mistake(
                wrong,
                "dx: the stride is ignored. Output (i, j) read the window whose "
                "corner is (i s, j s), so dout[n, i, j] goes back to rows i s to "
                "i s + kh - 1 and columns j s to j s + kw - 1: scatter it with a step "
                "of s (or put s - 1 zeros between dout's entries before the full "
                "correlation)",
            )
            for wrong in (
                _full(dout, rotated, 1),
                _fit(_full(dout, rotated, 1)[:, : x.shape[1], : x.shape[2]], x.shape),
            )
        ),
        Mistake(
            _full(dout, rotated, stride) if any(unread) else None,
            f"dx has the shape of the transposed convolution, not x's: no window "
            f"reads the last {unread[0]} row(s) and {unread[1]} column(s) of x "
            "((H - kh) % s and (W - kw) % s), but they are inputs all the same: "
            "their gradient is 0, and dx must have x's shape (this is output_padding)",
        ),
    ]
    if c_in == c_out:
        mistakes.append(
            Mistake(
                _full(dout, rotated.transpose(0, 1, 3, 2), stride, x.shape),
                "dx: the channels are transposed. Each output position sends "
                "dout[n, i, j, :] @ w[m, q].T back (C_out -> C_in); you used w[m, q] "
                "without the transpose",
            )
        )
    return mistakes


def _dw_stride_ignored(dout, x, w):
    """dw with the windows of a stride-1 layer: x[n, i + m, j + q] for i < H_out."""
    h_out, w_out = dout.shape[1:3]
    dw = np.zeros(w.shape)
    for m in range(w.shape[0]):
        for q in range(w.shape[1]):
            seen = x[:, m : m + h_out, q : q + w_out, :]
            dw[m, q] = np.einsum("nijd,nijc->dc", seen, dout)
    return dw


def _dw_mistakes(dout, x, w, dw, stride) -> list[Mistake]:
    mistakes = [
        Mistake(
            dw[::-1, ::-1],
            "dw is rotated by 180°: dw[m, q] pairs x[n, i s + m, j s + q] with "
            "dout[n, i, j] (cross-correlate x with dout); correlating dout with x "
            "(the operands swapped), or convolving, turns it around",
        ),
        Mistake(
            _dw_stride_ignored(dout, x, w) if stride > 1 else None,
            "dw: the stride is ignored. Output (i, j) read x[n, i s + m, j s + q] "
            "through tap (m, q), not x[n, i + m, j + q]",
        ),
        Mistake(
            dw / len(x),
            "dw is averaged over the batch: the loss is a sum over the batch, so "
            "its gradient adds up every example's contribution",
        ),
    ]
    if dw.shape[2] == dw.shape[3]:
        mistakes.append(
            Mistake(
                dw.transpose(0, 1, 3, 2),
                "dw: the channels are transposed. dw has w's layout (kh, kw, C_in, "
                "C_out): dw[m, q, d, c] = sum x[n, i s + m, j s + q, d] "
                "dout[n, i, j, c]",
            )
        )
    return mistakes


def _db_message(db, dout):
    message = first_mistake(
        db,
        dout.sum(axis=(0, 1, 2)),
        [
            Mistake(dout.sum(axis=0), "db is summed over the batch only"),
            Mistake(dout.sum(axis=(1, 2)), "db is summed over space only"),
            Mistake(
                dout.mean(axis=(0, 1, 2)),
                "db is a mean: the bias is added at every position of every "
                "example, so its gradient is the sum of dout",
            ),
            Mistake(dout.sum(axis=(0, 1)), "db is not summed over the columns"),
        ],
    )
    if message and "summed over" in message:
        message += (
            ": the bias b[c] is added at every position of every example, so "
            "db[c] = dout[..., c].sum() over the batch and both spatial axes "
            "(shape (C_out,))"
        )
    if message is None and db.shape != (dout.shape[3],):
        message = (
            f"db has shape {db.shape}, expected (C_out,) = ({dout.shape[3]},): sum "
            "dout over the batch and both spatial axes"
        )
    return message


def _check_conv_case(fn, dout, x, w, stride, what: str, label: str) -> None:
    raw = call(fn, dout, x, w, stride, what=what, inputs=("dout", "x", "w"))
    if not isinstance(raw, tuple | list) or len(raw) != 3:
        count = f" of {len(raw)} items" if isinstance(raw, tuple | list) else ""
        raise AssertionError(
            f"{what} must return three arrays (dx, dw, db), got "
            f"{type(raw).__name__}{count}"
        )
    dx_want, dw_want, db_want = convolution.conv2d_backward(dout, x, w, stride)
    dx, dw, db = (
        as_array(value, None, f"{what}'s {name}")
        for name, value in zip(("dx", "dw", "db"), raw, strict=True)
    )
    if not close(db, db_want):  # db first: the simplest of the three
        message = _db_message(db, dout)
        raise AssertionError(
            f"{message or wrong_at(db, db_want, noun='db value')} {label}"
        )
    if not close(dw, dw_want):
        message = first_mistake(dw, dw_want, _dw_mistakes(dout, x, w, dw_want, stride))
        if message is None and dw.shape != dw_want.shape:
            message = (
                f"dw has shape {dw.shape}, expected w's shape (kh, kw, C_in, C_out) "
                f"= {dw_want.shape}"
            )
        raise AssertionError(
            f"{message or wrong_at(dw, dw_want, noun='dw value')} {label}"
        )
    if not close(dx, dx_want):
        message = first_mistake(dx, dx_want, _dx_mistakes(dout, x, w, stride))
        if message is None and dx.shape != dx_want.shape:
            message = (
                f"dx has shape {dx.shape}, expected x's shape {dx_want.shape}: "
                "every input entry has a gradient, 0 where no window read it"
            )
        raise AssertionError(
            f"{message or wrong_at(dx, dx_want, noun='dx value')} {label}"
        )


def check_conv2d_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dout, x, w, stride)`` must return the gradients
    ``(dx, dw, db)`` of a convolutional layer with that stride and "valid" padding.

    For ``out = conv2d(x, w, b, stride)`` with ``x`` ``(N, H, W, C_in)``, ``w``
    ``(kh, kw, C_in, C_out)`` and ``dout`` ``(N, H_out, W_out, C_out)``, H_out =
    (H - kh) // s + 1, the gradient of a loss with respect to ``out``:

    - ``dx`` ``(N, H, W, C_in)``: every ``dout[n, i, j] @ w[m, q].T`` added to
      ``dx[n, i s + m, j s + q]``; the last (H - kh) % s rows (and columns) that
      no window reads get 0;
    - ``dw[m, q, d, c] = sum_{n, i, j} x[n, i s + m, j s + q, d] dout[n, i, j, c]``;
    - ``db[c] = sum_{n, i, j} dout[n, i, j, c]``.

    Equal to :func:`convbn.convolution.conv2d_backward` and to TensorFlow's
    ``GradientTape`` gradients. Checked with strides 1 to 3, on sizes the stride
    divides and sizes it does not, one and several channels, non-square images and
    kernels, a 1 x 1 kernel and random cases; the inputs must not be modified. Names
    the usual mistakes: the stride ignored (in dx or dw), the unread rows left out of
    dx, the kernel not flipped in dx, dw from the wrong operand order, db not summed
    over the batch and both spatial axes, channels transposed.
    """
    rng = np.random.default_rng(seed)
    what = "your conv2d_backward"
    cases = list(_CONV_CASES)
    for _ in range(4):
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        cases.append(
            (
                int(rng.integers(1, 3)),
                kh + int(rng.integers(0, 7)),
                kw + int(rng.integers(0, 7)),
                int(rng.integers(1, 3)),
                int(rng.integers(1, 4)),
                kh,
                kw,
                int(rng.integers(1, 4)),
            )
        )
    for n, h, w_, c_in, c_out, kh, kw, stride in cases:
        x = rng.normal(size=(n, h, w_, c_in))
        w = rng.normal(size=(kh, kw, c_in, c_out))
        out_shape = convolution.conv2d(x, w, stride=stride).shape
        dout = rng.normal(size=out_shape)
        label = f"(x {x.shape}, w {w.shape}, stride {stride}, dout {dout.shape})"
        _check_conv_case(fn, dout, x, w, stride, what, label)
    return True


# --- exercise 7.2: overlapping max pooling, debugged ----------------------------------


def _loops(dout, x, size, stride, pick, add=True):
    """Max pooling's backward pass as students write it, window by window: ``pick``
    says what share of ``dout[i, j]`` each entry of the window gets; ``add=False``
    assigns it (``=``) where the share is not 0 instead of adding it (``+=``).
    None where a window is empty (``stride`` too large for x)."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[rows, cols]
            if window.size == 0:
                return None
            share = pick(window)
            if add:
                dx[rows, cols] += dout[i, j] * share
            else:
                dx[rows, cols][share != 0] = dout[i, j] * share[share != 0]
    return dx


def _first(window):
    share = np.zeros(window.shape)
    share[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return share


def _last(window):
    flat = window.ravel()
    share = np.zeros(flat.shape)
    share[len(flat) - 1 - np.argmax(flat[::-1])] = 1.0
    return share.reshape(window.shape)


def _shifted(a, rows, cols):
    out = np.zeros_like(a)
    h, w = a.shape
    out[max(rows, 0) : h + min(rows, 0), max(cols, 0) : w + min(cols, 0)] = a[
        max(-rows, 0) : h + min(-rows, 0), max(-cols, 0) : w + min(-cols, 0)
    ]
    return out


def _pool_mistakes(dout, x, size, stride, expected) -> list[Mistake]:
    return [
        Mistake(
            _loops(dout, x, size, size, _first),
            "the windows are in the wrong place: window (i, j) covers rows "
            "i * stride to i * stride + size - 1 (and the same columns), not "
            "i * size onwards",
        ),
        Mistake(
            _loops(dout, x, size, stride, _first, add=False),
            "an entry that is the maximum of two overlapping windows receives only "
            "the last window's gradient: the gradients of all the windows it won "
            "must add up",
        ),
        Mistake(
            _loops(np.ones_like(dout), x, size, stride, _first),
            "dout is not used: each window's arg-max must receive that window's "
            "gradient dout[i, j], not 1",
        ),
        Mistake(
            pooling.pool2d_backward(dout, x, size, stride, kind="average"),
            "the gradient is spread over the window (that is average pooling's "
            "backward pass): max pooling sends all of dout[i, j] to the entry that "
            "won the max, and 0 to the others",
        ),
        Mistake(
            _loops(dout, x, size, stride, lambda v: (v == v.max()).astype(float)),
            "the gradient goes to every tied maximum: when a window's maximum "
            "occurs several times, only the first in row-major order (as np.argmax "
            "finds it, and MaxPooling2D does) receives dout[i, j]",
        ),
        Mistake(
            _loops(dout, x, size, stride, _last),
            "with ties the gradient goes to the last maximum: send it to the first "
            "one in row-major order (np.argmax of the flattened window)",
        ),
        *(
            Mistake(
                _shifted(expected, r, c),
                "the window position is off by one: window (i, j) covers rows "
                "i * stride to i * stride + size - 1 and columns j * stride to "
                "j * stride + size - 1",
            )
            for r, c in ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1))
        ),
    ]


def check_max_pool2d_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dout, x, size, stride)`` must return dx, the gradient of valid
    max pooling with ``size`` x ``size`` windows that move by ``stride``.

    ``x`` is ``(H, W)``, ``dout`` is ``((H - size) // stride + 1, (W - size) //
    stride + 1)``; window (i, j) covers rows ``i * stride`` to ``i * stride + size -
    1``. Its maximum receives ``dout[i, j]`` (with ties: the first maximum in
    row-major order); where windows overlap, an entry that wins several of them
    receives the sum of their gradients; entries no window covers get 0. Equal to
    :func:`convbn.pooling.pool2d_backward` and to TensorFlow's gradient of
    ``tf.nn.max_pool2d`` (on CPU). Checked with disjoint, overlapping and gapped
    windows, distinct values and many ties, sizes that do not fit evenly; the inputs
    must not be modified. Names the usual mistakes: gradients of overlapping windows
    overwritten instead of added, windows placed at ``i * size``, the gradient spread
    over the window or sent to every tied maximum (or the last), a window position
    off by one, dout not used.
    """
    rng = np.random.default_rng(seed)
    what = "your max_pool2d_backward"
    cases = [  # (shape, size, stride, ties)
        ((4, 4), 2, 2, False),
        ((7, 7), 3, 2, False),
        ((6, 6), 2, 1, True),
        ((7, 9), 3, 2, True),
        ((5, 8), 2, 3, False),
        ((8, 7), 3, 3, True),
        ((5, 5), 1, 1, False),
        ((9, 6), 4, 2, True),
    ]
    for _ in range(4):
        size = int(rng.integers(1, 5))
        stride = int(rng.integers(1, size + 2))
        shape = tuple(int(v) for v in rng.integers(size, 3 * size + 4, size=2))
        cases.append((shape, size, stride, bool(rng.integers(0, 2))))
    for shape, size, stride, ties in cases:
        x = (
            rng.integers(0, 3, size=shape).astype(float)
            if ties
            else rng.normal(size=shape)
        )
        dout = rng.normal(size=tuple((n - size) // stride + 1 for n in shape))
        label = (
            f"(x of shape {shape}, size {size}, stride {stride}"
            f"{', with ties' if ties else ''})"
        )
        raw = call(fn, dout, x, size, stride, what=what, inputs=("dout", "x"))
        expected = pooling.pool2d_backward(dout, x, size, stride)
        got = as_array(raw, None, what, single=True)
        if close(got, expected):
            continue
        message = first_mistake(
            got, expected, _pool_mistakes(dout, x, size, stride, expected)
        )
        if message is None and got.shape != expected.shape:
            message = (
                f"{what} returned shape {got.shape}: dx must have x's shape "
                f"{expected.shape}; rows and columns no window covers get 0"
            )
        raise AssertionError(f"{message or wrong_at(got, expected)} {label}")
    return True


# --- exercise 7.3: an encoder and a decoder, predicted ------------------------------

#: Exercise 7.3: the two layers whose numbers the student predicts before running
#: them, as (Keras layer, input shape without the batch axis).
PREDICTION_LAYERS = {
    "conv": ("Conv2D(24, 5, strides=2, padding='same')", (45, 45, 3)),
    "transpose": (
        "Conv2DTranspose(3, 5, strides=2, padding='same', output_padding=0)",
        (23, 23, 24),
    ),
}
#: The numbers predicted, by name.
PREDICTION_NAMES = (
    "conv_params",
    "conv_shape",
    "conv_multiply_adds",
    "transpose_params",
    "transpose_shape",
)


def layer_predictions() -> dict:
    """The right answers of exercise 7.3, from :func:`convbn.convolution.conv2d` and
    :func:`convbn.convolution.conv2d_transpose` run on zeros of the layers' shapes.

    ``conv_params`` and ``transpose_params`` count the kernel and one bias per output
    channel; shapes leave out the batch axis; ``conv_multiply_adds`` is the number of
    multiplications (each with its addition) for one image, bias left out.
    """
    x = np.zeros((1, *PREDICTION_LAYERS["conv"][1]))
    w = np.zeros((5, 5, 3, 24))
    out = convolution.conv2d(x, w, stride=2, padding="same")
    x_t = np.zeros((1, *PREDICTION_LAYERS["transpose"][1]))
    w_t = np.zeros((5, 5, 3, 24))  # (kh, kw, C_out, C_in), as Conv2DTranspose
    up = convolution.conv2d_transpose(x_t, w_t, 2, "same", output_padding=0)
    return {
        "conv_params": w.size + w.shape[3],
        "conv_shape": out.shape[1:],
        "conv_multiply_adds": out[0, :, :, 0].size * w.size,
        "transpose_params": w_t.size + w_t.shape[2],
        "transpose_shape": up.shape[1:],
    }


def _as_shape(value, name: str) -> tuple:
    try:
        if isinstance(value, str | bytes):
            raise TypeError("text")
        numbers = [float(v) for v in value]
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{name} must be a shape, a tuple of whole numbers such as (10, 10, 4); "
            f"got {value!r}"
        ) from error
    if not all(v.is_integer() for v in numbers):
        raise AssertionError(f"{name} must hold whole numbers, got {value!r}")
    return tuple(int(v) for v in numbers)


_SAME = "with padding='same' the output has ceil(45 / 2) = 23 rows and columns"


def _prediction_mistakes(name: str) -> list[Mistake]:
    """The usual wrong predictions of each number, with their diagnoses."""
    weights = 5 * 5 * 3 * 24
    if name == "conv_params":
        return [
            Mistake(weights, "the 24 biases are missing: one per output channel"),
            Mistake(
                5 * 5 * 24 + 24,
                "the input channels are missing: each of the 24 filters has a "
                "5 x 5 kernel for every one of the 3 input channels, 5 * 5 * 3 weights",
            ),
            Mistake(
                5 * 5 * 3 + 1,
                "that is one filter: the layer has 24 of them, each with its bias",
            ),
            Mistake(
                45 * 45 * 3 * 24 + 24,
                "the parameters do not depend on the image size: the same kernel is "
                "used at every position (parameter sharing)",
            ),
        ]
    if name == "conv_shape":
        return [
            Mistake(
                (21, 21, 24), f"that is 'valid' padding, (45 - 5) // 2 + 1; {_SAME}"
            ),
            Mistake((22, 22, 24), f"45 / 2 is rounded up, not down: {_SAME}"),
            Mistake(
                (45, 45, 24),
                "the stride is ignored: stride 2 keeps every second position, "
                "ceil(45 / 2) = 23 per axis",
            ),
            Mistake(
                (23, 23, 3),
                "the output has one channel per filter: 24, not the input's 3",
            ),
            Mistake((23, 23), "give all three axes (H, W, C), with the channels"),
            Mistake(
                (1, 23, 23, 24), "leave out the batch axis: (H, W, C) for one image"
            ),
        ]
    if name == "conv_multiply_adds":
        return [
            Mistake(
                45 * 45 * weights,
                "the stride is ignored: the kernel is evaluated at the 23 x 23 output "
                "positions only, not at all 45 x 45 input pixels",
            ),
            Mistake(
                21 * 21 * weights,
                "that is 'valid' padding; 'same' gives 23 x 23 output positions",
            ),
            Mistake(22 * 22 * weights, f"45 / 2 is rounded up, not down: {_SAME}"),
            Mistake(
                23 * 23 * (weights + 24),
                "the bias is left out of the count: one multiplication per kernel "
                "weight, 5 * 5 * 3 * 24 per output position",
            ),
            Mistake(
                23 * 23 * 5 * 5 * 3,
                "that is one filter: each output position computes 24 of them",
            ),
            Mistake(
                23 * 23 * 5 * 5 * 24,
                "the input channels are missing: every filter sums over all 3 of them",
            ),
        ]
    if name == "transpose_params":
        return [
            Mistake(weights, "the 3 biases are missing: one per output channel"),
            Mistake(
                weights + 24,
                "one bias per OUTPUT channel: Conv2DTranspose(3, ...) has 3 of them, "
                "not one per input channel",
            ),
        ]
    return [
        Mistake(
            (46, 46, 3),
            "n s = 46 is Keras's size WITHOUT output_padding; with output_padding=a "
            "it is (n - 1) s + k - 2 p + a, with p = k // 2 = 2 for 'same'",
        ),
        Mistake(
            (49, 49, 3),
            "(n - 1) s + k = 49 is the 'valid' size: 'same' takes off 2 p, with "
            "p = k // 2 = 2",
        ),
        Mistake(
            (47, 47, 3),
            "'same' takes off p = k // 2 = 2 rows on each side, 2 p in all: "
            "(n - 1) s + k - 2 p + a",
        ),
        Mistake(
            (12, 12, 3),
            "that is the forward convolution's size: a transposed convolution goes "
            "the other way and upsamples",
        ),
        Mistake(
            (45, 45, 24),
            "the output has the layer's 3 channels, not the input's 24",
        ),
        Mistake((1, 45, 45, 3), "leave out the batch axis: (H, W, C) for one image"),
    ]


def check_layer_predictions(predictions, seed: int = 0) -> bool:
    """Chapter 7: numbers predicted for two layers before running them.

    ``predictions`` maps each name of ``PREDICTION_NAMES`` to the student's number
    or shape (without the batch axis) for the encoder ``Conv2D(24, 5, strides=2,
    padding="same")`` on a (45, 45, 3) image and the decoder ``Conv2DTranspose(3, 5,
    strides=2, padding="same", output_padding=0)`` on a (23, 23, 24) one: the
    parameter counts, the output shapes and the encoder's multiply-adds per image
    (bias left out). The right answers come from ``layer_predictions``. Names the
    usual mistakes: biases or input channels left out, "valid" instead of "same",
    45 / 2 rounded down, the stride ignored, the batch axis kept, and Keras's size
    without output_padding (n s) or the "valid" size instead of Dumoulin and Visin's
    (n - 1) s + k - 2 p + a. ``seed`` is unused (the layers are fixed).
    """
    del seed
    if not isinstance(predictions, dict):
        raise AssertionError(
            f"predictions must be a dict of your numbers by name, got "
            f"{type(predictions).__name__}"
        )
    missing = [n for n in PREDICTION_NAMES if n not in predictions]
    if missing:
        raise AssertionError(f"predictions has no {', '.join(missing)}")
    right = layer_predictions()
    for name in PREDICTION_NAMES:
        value = predictions[name]
        if value is None or value is Ellipsis:
            raise AssertionError(
                f"{name} is still {value!r}: write your prediction, a number or a "
                "shape, before you run anything"
            )
        if name.endswith("_shape"):
            got = _as_shape(value, name)
        else:
            got = as_int(value, name, noun="count")
        expected = right[name]
        if got == expected:
            continue
        message = first_mistake(
            got, expected, _prediction_mistakes(name), same=operator.eq
        )
        shown = "shape" if name.endswith("_shape") else "count"
        raise AssertionError(
            f"{name}: {message or f'wrong {shown}'} (you predicted {got!r}; "
            "run the layer in Keras to see the right value, and find where your "
            "reasoning went wrong)"
        )
    return True
