"""Chapter 7, the convolutional layer in full: the checkers of the backward pass of a
convolution (input, kernel and bias gradients) and of max pooling.

The references are :func:`convbn.convolution.conv2d_backward` and
:func:`convbn.pooling.pool2d_backward`; the helpers here compute the wrong versions
the usual mistakes give."""

from __future__ import annotations

import numpy as np

from .. import convolution, pooling
from ._core import Mistake, as_array, call, close, first_mistake, wrong_at

__all__ = ["check_conv2d_backward", "check_max_pool2d_backward"]

# (N, H, W, C_in, C_out, kh, kw): square and non-square, one channel and several,
# C_in == C_out (where swapped channels still fit) and not, a 1 x 1 kernel.
_CONV_CASES = [
    (1, 5, 5, 1, 1, 3, 3),
    (2, 6, 6, 2, 2, 3, 3),
    (2, 7, 5, 3, 2, 2, 3),
    (1, 6, 8, 2, 3, 3, 2),
    (3, 4, 4, 2, 2, 1, 1),
    (2, 5, 6, 4, 4, 4, 2),
    (1, 3, 9, 1, 2, 3, 4),
]


def _gradients(dout, x, w):
    return convolution.conv2d_backward(dout, x, w)


def _full(dout, kernel):
    """The transposed convolution of dout with ``kernel`` of layout
    (kh, kw, C_in, C_out): dout padded with kh - 1 zero rows (kw - 1 columns) on each
    side, cross-correlated with the given kernel (rotated or not by the caller)."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(dout, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return convolution.conv2d(padded, kernel.transpose(0, 1, 3, 2))


def _dx_mistakes(dout, x, w) -> list[Mistake]:
    c_in, c_out = w.shape[2:]
    rotated = w[::-1, ::-1]
    mistakes = [
        Mistake(
            _full(dout, w),
            "dx: the kernel is not flipped. dout must be padded by kh - 1 and "
            "cross-correlated with the kernel rotated by 180° (w[::-1, ::-1]): the "
            "input pixel at offset (m, q) of a window meets w[m, q], so seen from "
            "the input the kernel runs backwards",
        ),
        Mistake(
            convolution.conv2d(dout, rotated.transpose(0, 1, 3, 2), padding="same"),
            "dx has the wrong padding: pad dout with kh - 1 zero rows and kw - 1 "
            "zero columns on each side (a 'full' correlation), so that dx gets x's "
            "shape, not dout's",
        ),
    ]
    if c_in == c_out:
        mistakes.append(
            Mistake(
                _full(dout, rotated.transpose(0, 1, 3, 2)),
                "dx: the channels are transposed. Each output position sends "
                "dout[n, i, j, :] @ w[m, q].T back (C_out -> C_in); you used w[m, q] "
                "without the transpose",
            )
        )
    return mistakes


def _dw_mistakes(dout, x, w, dw) -> list[Mistake]:
    mistakes = [
        Mistake(
            dw[::-1, ::-1],
            "dw is rotated by 180°: dw[m, q] pairs x[n, i + m, j + q] with "
            "dout[n, i, j] (cross-correlate x with dout); correlating dout with x "
            "(the operands swapped), or convolving, turns it around",
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
                "C_out): dw[m, q, d, c] = sum x[n, i + m, j + q, d] dout[n, i, j, c]",
            )
        )
    return mistakes


def _check_conv_case(fn, dout, x, w, what: str, label: str) -> None:
    raw = call(fn, dout, x, w, what=what, inputs=("dout", "x", "w"))
    if not isinstance(raw, tuple | list) or len(raw) != 3:
        count = f" of {len(raw)} items" if isinstance(raw, tuple | list) else ""
        raise AssertionError(
            f"{what} must return three arrays (dx, dw, db), got "
            f"{type(raw).__name__}{count}"
        )
    dx_want, dw_want, db_want = _gradients(dout, x, w)
    got = {}
    for name, value in zip(("dx", "dw", "db"), raw, strict=True):
        got[name] = as_array(value, None, f"{what}'s {name}")
    # db first: the simplest of the three
    db = got["db"]
    if not close(db, db_want):
        message = first_mistake(
            db,
            db_want,
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
        if message is None and db.shape != db_want.shape:
            message = (
                f"db has shape {db.shape}, expected (C_out,) = {db_want.shape}: sum "
                "dout over the batch and both spatial axes"
            )
        raise AssertionError(
            f"{message or wrong_at(db, db_want, noun='db value')} {label}"
        )
    dw = got["dw"]
    if not close(dw, dw_want):
        message = first_mistake(dw, dw_want, _dw_mistakes(dout, x, w, dw_want))
        if message is None and dw.shape != dw_want.shape:
            message = (
                f"dw has shape {dw.shape}, expected w's shape (kh, kw, C_in, C_out) "
                f"= {dw_want.shape}"
            )
        raise AssertionError(
            f"{message or wrong_at(dw, dw_want, noun='dw value')} {label}"
        )
    dx = got["dx"]
    if not close(dx, dx_want):
        message = first_mistake(dx, dx_want, _dx_mistakes(dout, x, w))
        if message is None and dx.shape != dx_want.shape:
            message = (
                f"dx has shape {dx.shape}, expected x's shape {dx_want.shape}: pad "
                "dout with kh - 1 rows and kw - 1 columns of zeros on each side "
                "before correlating"
            )
        raise AssertionError(
            f"{message or wrong_at(dx, dx_want, noun='dx value')} {label}"
        )


def check_conv2d_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dout, x, w)`` must return the gradients ``(dx, dw, db)`` of a
    stride-1, "valid" convolutional layer.

    For ``out = conv2d(x, w, b)`` with ``x`` ``(N, H, W, C_in)``, ``w``
    ``(kh, kw, C_in, C_out)`` and ``dout`` ``(N, H - kh + 1, W - kw + 1, C_out)`` the
    gradient of a loss with respect to ``out``:

    - ``dx`` ``(N, H, W, C_in)``: dout padded with kh - 1 (kw - 1) zeros on each
      side, cross-correlated with the kernel rotated by 180° and its channel axes
      swapped (the transposed convolution);
    - ``dw[m, q, d, c] = sum_{n, i, j} x[n, i + m, j + q, d] dout[n, i, j, c]``;
    - ``db[c] = sum_{n, i, j} dout[n, i, j, c]``.

    Equal to :func:`convbn.convolution.conv2d_backward` and to TensorFlow's
    ``GradientTape`` gradients. Checked on one and several channels, non-square
    images and kernels, a 1 x 1 kernel and random cases; the inputs must not be
    modified. Names the usual mistakes: the kernel not flipped in dx, dx with the
    wrong padding, dw from the wrong operand order, db not summed over the batch and
    both spatial axes, channels transposed.
    """
    rng = np.random.default_rng(seed)
    what = "your conv2d_backward"
    cases = list(_CONV_CASES)
    for _ in range(4):
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        cases.append(
            (
                int(rng.integers(1, 4)),
                kh + int(rng.integers(0, 5)),
                kw + int(rng.integers(0, 5)),
                int(rng.integers(1, 4)),
                int(rng.integers(1, 4)),
                kh,
                kw,
            )
        )
    for n, h, w_, c_in, c_out, kh, kw in cases:
        x = rng.normal(size=(n, h, w_, c_in))
        w = rng.normal(size=(kh, kw, c_in, c_out))
        dout = rng.normal(size=(n, h - kh + 1, w_ - kw + 1, c_out))
        label = f"(x {x.shape}, w {w.shape}, dout {dout.shape})"
        _check_conv_case(fn, dout, x, w, what, label)
    return True


def _tied(rng, shape):
    """A map with many ties: small integers."""
    return rng.integers(0, 4, size=shape).astype(float)


def _every_max(dout, x, size):
    """The gradient sent to every entry equal to its window's maximum."""
    h_out, w_out = dout.shape
    dx = np.zeros_like(x)
    for i in range(h_out):
        for j in range(w_out):
            window = x[i * size : (i + 1) * size, j * size : (j + 1) * size]
            dx[i * size : (i + 1) * size, j * size : (j + 1) * size] += dout[i, j] * (
                window == window.max()
            )
    return dx


def _shifted(a, rows, cols):
    out = np.zeros_like(a)
    h, w = a.shape
    out[max(rows, 0) : h + min(rows, 0), max(cols, 0) : w + min(cols, 0)] = a[
        max(-rows, 0) : h + min(-rows, 0), max(-cols, 0) : w + min(-cols, 0)
    ]
    return out


def _pool_mistakes(dout, x, size, expected) -> list[Mistake]:
    last = pooling.pool2d_backward(dout[::-1, ::-1], x[::-1, ::-1], size)[::-1, ::-1]
    return [
        Mistake(
            pooling.pool2d_backward(np.ones_like(dout), x, size),
            "dout is not used: each window's arg-max must receive that window's "
            "gradient dout[i, j], not 1",
        ),
        Mistake(
            pooling.pool2d_backward(dout, x, size, kind="average"),
            "the gradient is spread over the window (that is average pooling's "
            "backward pass): max pooling sends all of dout[i, j] to the entry that "
            "won the max, and 0 to the others",
        ),
        Mistake(
            _every_max(dout, x, size),
            "the gradient goes to every tied maximum: when a window's maximum "
            "occurs several times, only the first in row-major order (as np.argmax "
            "finds it, and TensorFlow does) receives dout[i, j]",
        ),
        Mistake(
            last,
            "with ties the gradient goes to the last maximum: send it to the first "
            "one in row-major order (np.argmax of the flattened window)",
        ),
        *(
            Mistake(
                _shifted(expected, r, c),
                "the window position is off by one: window (i, j) covers rows "
                "i * size to i * size + size - 1 and columns j * size to "
                "j * size + size - 1",
            )
            for r, c in ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1))
        ),
    ]


def check_max_pool2d_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dout, x, size)`` must return dx, the gradient of valid max
    pooling with ``stride = size``.

    ``x`` is ``(H, W)``, ``dout`` is ``(H // size, W // size)``; ``dx`` has x's shape
    and is 0 everywhere except at each window's maximum, which receives
    ``dout[i, j]`` (with ties: the first maximum in row-major order). Rows and
    columns no window covers (when size does not divide H or W) get 0. Equal to
    :func:`convbn.pooling.pool2d_backward` and to TensorFlow's gradient of
    ``tf.nn.max_pool2d``. Checked with distinct values, with many ties, and with
    sizes that do not divide the input; the inputs must not be modified. Names the
    usual mistakes: the gradient spread over the window, sent to every tied maximum
    (or the last), a window position off by one, dout not used.
    """
    rng = np.random.default_rng(seed)
    what = "your max_pool2d_backward"
    cases = [
        ((4, 4), 2, False),
        ((6, 6), 3, False),
        ((4, 6), 2, True),
        ((6, 6), 2, True),
    ]
    cases += [
        ((5, 7), 2, False),
        ((9, 6), 3, True),
        ((3, 3), 1, False),
        ((4, 4), 4, True),
    ]
    for _ in range(4):
        size = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(size, 3 * size + 3, size=2))
        cases.append((shape, size, bool(rng.integers(0, 2))))
    for shape, size, ties in cases:
        x = _tied(rng, shape) if ties else rng.normal(size=shape)
        dout = rng.normal(size=(shape[0] // size, shape[1] // size))
        label = f"(x of shape {shape}, size {size}{', with ties' if ties else ''})"
        raw = call(fn, dout, x, size, what=what, inputs=("dout", "x"))
        expected = pooling.pool2d_backward(dout, x, size)
        got = as_array(raw, None, what, single=True)
        if close(got, expected):
            continue
        message = first_mistake(got, expected, _pool_mistakes(dout, x, size, expected))
        if message is None and got.shape != expected.shape:
            message = (
                f"{what} returned shape {got.shape}: dx must have x's shape "
                f"{expected.shape}; rows and columns no window covers get 0"
            )
        raise AssertionError(f"{message or wrong_at(got, expected)} {label}")
    return True
