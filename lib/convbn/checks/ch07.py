"""Chapter 7, the convolutional layer in full: the checkers of the backward pass of a
convolution (input, kernel and bias gradients) and of max pooling, and of the
numbers a student predicts for two layers before running them.

The references are :func:`convbn.convolution.conv2d_backward` and
:func:`convbn.pooling.pool2d_backward`; the helpers here compute the wrong versions
the usual mistakes give."""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution, pooling
from ._core import Mistake, as_array, as_int, call, close, first_mistake, wrong_at

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
]

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


#: Exercise 7.3: the two layers whose numbers the student predicts before running
#: them, as (Keras layer, input shape without the batch axis).
PREDICTION_LAYERS = {
    "conv": ("Conv2D(32, 3, strides=2, padding='same')", (64, 64, 3)),
    "transpose": ("Conv2DTranspose(8, 2, strides=3)", (16, 16, 32)),
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
    w = np.zeros((3, 3, 3, 32))
    out = convolution.conv2d(x, w, stride=2, padding="same")
    x_t = np.zeros((1, *PREDICTION_LAYERS["transpose"][1]))
    w_t = np.zeros((2, 2, 8, 32))  # (kh, kw, C_out, C_in), as Conv2DTranspose
    up = convolution.conv2d_transpose(x_t, w_t, stride=3)
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


def _prediction_mistakes(name: str, right) -> list[Mistake]:
    """The usual wrong predictions of each number, with their diagnoses."""
    positions = right["conv_shape"][0] * right["conv_shape"][1]
    if name == "conv_params":
        return [
            Mistake(
                3 * 3 * 3 * 32, "the 32 biases are missing: one per output channel"
            ),
            Mistake(
                3 * 3 * 32 + 32,
                "the input channels are missing: each of the 32 filters has a "
                "3 x 3 kernel for every one of the 3 input channels, 3 * 3 * 3 weights",
            ),
            Mistake(
                3 * 3 * 3 + 1,
                "that is one filter: the layer has 32 of them, each with its bias",
            ),
            Mistake(
                64 * 64 * 3 * 32 + 32,
                "the parameters do not depend on the image size: the same kernel is "
                "used at every position (parameter sharing)",
            ),
        ]
    if name == "conv_shape":
        return [
            Mistake(
                (31, 31, 32),
                "that is 'valid' padding; with padding='same' the output has "
                "ceil(64 / 2) = 32 rows and columns",
            ),
            Mistake(
                (64, 64, 32),
                "the stride is ignored: stride 2 keeps every second position, "
                "ceil(64 / 2) = 32 per axis",
            ),
            Mistake(
                (32, 32, 3),
                "the output has one channel per filter: 32, not the input's 3",
            ),
            Mistake((32, 32), "give all three axes (H, W, C), with the channels"),
            Mistake(
                (1, 32, 32, 32),
                "leave out the batch axis: (H, W, C) for one image",
            ),
        ]
    if name == "conv_multiply_adds":
        per_position = 3 * 3 * 3 * 32
        return [
            Mistake(
                64 * 64 * per_position,
                "the stride is ignored: the kernel is evaluated at the 32 x 32 output "
                "positions only, not at all 64 x 64 input pixels",
            ),
            Mistake(
                31 * 31 * per_position,
                "that is 'valid' padding; 'same' gives 32 x 32 output positions",
            ),
            Mistake(
                positions * (per_position + 32),
                "the bias is left out of the count: one multiplication per kernel "
                "weight, 3 * 3 * 3 * 32 per output position",
            ),
            Mistake(
                positions * 3 * 3 * 3,
                "that is one filter: each output position computes 32 of them",
            ),
            Mistake(
                positions * 3 * 3 * 32,
                "the input channels are missing: every filter sums over all 3 of them",
            ),
        ]
    if name == "transpose_params":
        return [
            Mistake(2 * 2 * 8 * 32, "the 8 biases are missing: one per output channel"),
            Mistake(
                2 * 2 * 8 * 32 + 32,
                "one bias per OUTPUT channel: Conv2DTranspose(8, ...) has 8 of them, "
                "not one per input channel",
            ),
        ]
    return [
        Mistake(
            (47, 47, 8),
            "(n - 1) s + k = 47 is where the last stamp ends, but Keras's 'valid' "
            "output has n s + max(k - s, 0) = 48 rows: with a stride larger than "
            "the kernel, every input pixel owns s rows, the last one's ending in a "
            "row of zeros",
        ),
        Mistake(
            (5, 5, 8),
            "that is the forward convolution's size, (16 - 2) // 3 + 1: a "
            "transposed convolution goes the other way and upsamples",
        ),
        Mistake(
            (50, 50, 8),
            "n s + k = 50 adds the whole kernel: the output has n s + max(k - s, 0) "
            "rows",
        ),
        Mistake(
            (48, 48, 32),
            "the output has the layer's 8 channels, not the input's 32",
        ),
        Mistake((1, 48, 48, 8), "leave out the batch axis: (H, W, C) for one image"),
    ]


def check_layer_predictions(predictions, seed: int = 0) -> bool:
    """Chapter 7: numbers predicted for two layers before running them.

    ``predictions`` maps each name of ``PREDICTION_NAMES`` to the student's
    number or shape (without the batch axis) for ``Conv2D(32, 3, strides=2,
    padding="same")`` on a (64, 64, 3) image and ``Conv2DTranspose(8, 2,
    strides=3)`` on a (16, 16, 32) one: the parameter counts, the output shapes
    and the conv layer's multiply-adds per image (bias left out). The right answers
    come from ``layer_predictions``. Names the usual mistakes: biases or input
    channels left out, "valid" instead of "same", the stride ignored, the batch axis
    kept, and the transposed convolution's (n - 1) s + k instead of Keras's
    n s + max(k - s, 0). ``seed`` is unused (the layers are fixed).
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
            got, expected, _prediction_mistakes(name, right), same=operator.eq
        )
        shown = "shape" if name.endswith("_shape") else "count"
        raise AssertionError(
            f"{name}: {message or f'wrong {shown}'} (you predicted {got!r}; "
            "run the layer in Keras to see the right value, and find where your "
            "reasoning went wrong)"
        )
    return True
