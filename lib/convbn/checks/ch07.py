"""Chapter 7, the convolutional layer in full: the checkers of the backward pass of a
strided convolution (input, kernel and bias gradients) and of the backward pass of
overlapping max pooling (a debugging exercise).

The references are :func:`convbn.convolution.conv2d_backward` and
:func:`convbn.pooling.pool2d_backward`; the helpers here compute the wrong versions
the usual mistakes give. Every checker runs its seeded cases first, then cases drawn
from a fresh, unpredictable seed: the grader runs the test code
as written, so with seeded cases alone a student could record the inputs once and
pass with a lookup table. The checker of the layer predictions (exercise 7.3) is in
:mod:`convbn.checks.ch07_layers`, those of the toolkit's exercises (``im2col``, a
depthwise convolution, the cost of a depthwise-separable block) in
:mod:`convbn.checks.ch07_toolkit`; both are re-exported here. None of the graded
answers appears in the lesson or on the exercises page outside the solutions
(``tests/checks/test_ch07.py`` searches them)."""

from __future__ import annotations

import numpy as np

from .. import convolution, pooling
from ._core import (
    Mistake,
    as_array,
    call,
    close,
    first_mistake,
    fresh_rng,
    wrong_at,
)
from ._numpy_only import library, refusing, tensorflow
from .ch07_layers import check_layer_predictions
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
    "check_layer_predictions",
)

__all__ = [
    "check_conv2d_backward",
    "check_max_pool2d_backward",
    # re-exported from ch07_layers and ch07_toolkit
    "check_layer_predictions",
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
#: A layer of a realistic size (4 images of 96 x 96 x 8 -> 16 channels, k = 3,
#: stride 2, one row and one column unread): the intended solution takes tens of
#: milliseconds, while probing a forward pass with finite differences, one input
#: entry at a time (2 x 294,912 forward passes of the batch, as exact as the
#: derivation since the loss is linear), takes many minutes, more than the grader's
#: time limit.
_REALISTIC = (4, 96, 96, 8, 16, 3, 3, 2)


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
    mistakes += [
        Mistake(
            wrong,
            "dx: contributions are overwritten instead of added. An input entry that "
            "several windows read (through different taps) receives the sum of all "
            "their contributions: write dx with +=, not =",
        )
        for wrong in _dx_assigned(dout, x, w, stride)
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


def _dx_assigned(dout, x, w, stride):
    """dx written with ``=`` instead of ``+=``: looping over the taps (each tap's
    contribution replaces the last one's) and looping over the output positions
    (each window's contribution replaces the windows before it)."""
    kh, kw = w.shape[:2]
    h_out, w_out = dout.shape[1:3]
    by_tap, by_position = np.zeros(x.shape), np.zeros(x.shape)
    for m in range(kh):
        for q in range(kw):
            rows = slice(m, m + (h_out - 1) * stride + 1, stride)
            cols = slice(q, q + (w_out - 1) * stride + 1, stride)
            by_tap[:, rows, cols, :] = dout @ w[m, q].T
    for i in range(h_out):
        for j in range(w_out):
            window = np.einsum("nc,mqdc->nmqd", dout[:, i, j], w)
            by_position[
                :, i * stride : i * stride + kh, j * stride : j * stride + kw
            ] = window
    return by_tap, by_position


def _dw_assigned(dout, x, w, stride):
    """dw written with ``=`` in a loop over the output positions: only the last
    position's contribution is left."""
    kh, kw = w.shape[:2]
    i, j = dout.shape[1] - 1, dout.shape[2] - 1
    seen = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
    return np.einsum("nmqd,nc->mqdc", seen, dout[:, i, j])


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
        Mistake(
            _dw_assigned(dout, x, w, stride),
            "dw: contributions are overwritten instead of added. dw[m, q] sums "
            "x[n, i s + m, j s + q] dout[n, i, j] over every output position (i, "
            "j); with = only the last position is left: use +=",
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


_CONV_RULE = "exercise 7.1 is numpy only: write the backward pass yourself"
_POOL_RULE = "exercise 7.2 is numpy only: fix the backward pass yourself"


def _refused(*modules):
    """The library's functions of ``modules`` and TensorFlow's convolutions and
    pooling, refused while the student's function runs."""
    found = [f for module in modules for f in library(module)]
    return found + tensorflow(
        "nn.conv2d", "nn.conv2d_transpose", "nn.max_pool2d", "nn.convolution"
    )


def _check_conv_case(fn, dout, x, w, stride, what: str, label: str) -> None:
    with refusing(_CONV_RULE, _refused(convolution), fn):
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


def _random_conv_case(rng) -> tuple:
    """(N, H, W, C_in, C_out, kh, kw, stride) of a small random layer."""
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    return (
        int(rng.integers(1, 3)),
        kh + int(rng.integers(0, 7)),
        kw + int(rng.integers(0, 7)),
        int(rng.integers(1, 3)),
        int(rng.integers(1, 4)),
        kh,
        kw,
        int(rng.integers(1, 4)),
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
    kernels, a 1 x 1 kernel, random cases from ``seed``, one layer of a realistic
    size (4 images of 96 x 96 x 8, 16 filters, k = 3, stride 2), then four more
    random cases from a fresh seed that nobody knows in advance: the grader runs
    this test as written, so with seeded cases alone a lookup table of recorded
    inputs would pass. The realistic layer is there for those who would probe a
    forward pass instead of deriving: finite differences take many minutes on it,
    the derived gradients milliseconds. Every case has an exact answer, so a right
    solution always passes. The inputs must not be modified; complex results are
    refused; while ``fn`` runs, nothing of ``convbn``, scipy or TensorFlow may be
    called (the exercise is numpy only). Names the usual mistakes: the stride
    ignored (in dx or dw), the unread rows left out of dx, the kernel not flipped
    in dx, contributions overwritten
    (``=`` instead of ``+=``) in dx or dw, dw from the wrong operand order, db not
    summed over the batch and both spatial axes, channels transposed.
    """
    rng = np.random.default_rng(seed)
    what = "your conv2d_backward"
    seeded = [*_CONV_CASES, *(_random_conv_case(rng) for _ in range(4)), _REALISTIC]
    fresh = fresh_rng()
    cases = [(case, rng) for case in seeded]
    cases += [(_random_conv_case(fresh), fresh) for _ in range(4)]
    for (n, h, w_, c_in, c_out, kh, kw, stride), draw in cases:
        x = draw.normal(size=(n, h, w_, c_in))
        w = draw.normal(size=(kh, kw, c_in, c_out))
        out_shape = convolution.conv2d(x, w, stride=stride).shape
        dout = draw.normal(size=out_shape)
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
    """``a`` moved by (rows, cols), or None where that moves a nonzero entry off the
    edge (then it is no longer the same gradient, one place off)."""
    out = np.zeros_like(a)
    h, w = a.shape
    out[max(rows, 0) : h + min(rows, 0), max(cols, 0) : w + min(cols, 0)] = a[
        max(-rows, 0) : h + min(-rows, 0), max(-cols, 0) : w + min(-cols, 0)
    ]
    return out if np.count_nonzero(out) == np.count_nonzero(a) else None


def _routed(dout, x, size, read, write, add):
    """Each window's gradient sent to its first maximum, with the window read from
    rows ``i * read`` on and its gradient written at row ``i * write + m`` (and the
    same for columns), added (``+=``) or assigned (``=``): the classmate's code has
    ``read = write = size`` and assigns. None where that code raises (an empty
    window, or an index past the end of x)."""
    dx = np.zeros_like(x)
    for i, j in np.ndindex(dout.shape):
        window = x[i * read : i * read + size, j * read : j * read + size]
        if window.size == 0:
            return None
        m, q = np.unravel_index(np.argmax(window), window.shape)
        r, c = i * write + m, j * write + q
        if r >= x.shape[0] or c >= x.shape[1]:
            return None
        dx[r, c] = dx[r, c] + dout[i, j] if add else dout[i, j]
    return dx


def _planted(dout, x, size, stride) -> list:
    """What the exercise's code returns with both of its bugs, or one of them left:
    windows at ``i * size`` (read and written), gradients assigned instead of
    added. The checker does not name these: finding them is the exercise."""
    return [
        _routed(dout, x, size, size, size, add=False),
        _routed(dout, x, size, size, size, add=True),
        _routed(dout, x, size, stride, stride, add=False),
    ]


def _disagreeing(dout, x, size, stride) -> list:
    """Half of the first bug fixed: windows read at ``i * stride`` but written at
    ``i * size``, or the reverse."""
    return [
        _routed(dout, x, size, read, write, add)
        for read, write in ((stride, size), (size, stride))
        for add in (True, False)
    ]


_DISAGREE = (
    "the window whose maximum you find and the entry you send its gradient to "
    "disagree: the rows (and columns) you read a window from and the index you "
    "write its gradient at must start at the same place"
)


def _pool_mistakes(dout, x, size, stride) -> list[Mistake]:
    return [
        *(Mistake(wrong, _DISAGREE) for wrong in _disagreeing(dout, x, size, stride)),
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
            "finds it, and MaxPooling2D does on CPU) receives dout[i, j]",
        ),
        Mistake(
            _loops(dout, x, size, stride, _last),
            "with ties the gradient goes to the last maximum: send it to the first "
            "one in row-major order (np.argmax of the flattened window)",
        ),
        *(
            Mistake(
                _shifted(pooling.pool2d_backward(dout, x, size, stride), r, c),
                "the window positions are off by one: each window's gradient lands "
                "one row or column away from the entry that won its maximum; check "
                "where your slices start and end",
            )
            for r, c in ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1))
        ),
    ]


#: What the values of a case look like, for the messages.
_KINDS = {
    "distinct": "",
    "ties": ", with ties",
    "near": ", with near ties (values 1e-10 apart)",
    "large": ", values near 1e8",
}
#: Why a numeric gradient cannot settle a case of that kind.
_NUMERIC = {
    "near": (
        ". Here values differ by as little as 1e-10: the maximum is still the "
        "largest value, however close the next one, and a numeric gradient with "
        "h = 1e-6 cannot tell them apart"
    ),
    "large": (
        ". Here the values are near 1e8, where a step of h = 1e-6 is mostly lost to "
        "rounding: a numeric gradient cannot settle this case, the maximum can"
    ),
}


def _pool_values(rng, shape, kind):
    """x for a case: normal values, small integers (ties), small integers plus
    distinct multiples of 1e-10 (near ties), or normal values around 1e8."""
    if kind == "ties":
        return rng.integers(0, 3, size=shape).astype(float)
    if kind == "near":
        order = rng.permutation(shape[0] * shape[1]).reshape(shape)
        return rng.integers(0, 3, size=shape) + 1e-10 * order
    if kind == "large":
        return 1e8 + rng.normal(size=shape)
    return rng.normal(size=shape)


def _where(got, expected, size, stride, kind) -> str:
    """Where dx is wrong (the entry furthest off and the windows that contain it),
    without saying why: for the exercise's own bugs, finding why is the work."""
    index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    r, c = (int(v) for v in index)
    counts = [(n - size) // stride + 1 for n in expected.shape]

    def covering(p, count):
        return [i for i in range(count) if i * stride <= p < i * stride + size]

    windows = [(i, j) for i in covering(r, counts[0]) for j in covering(c, counts[1])]
    text = (
        f"wrong dx[{r}, {c}]: expected {expected[r, c]:.6g}, got {got[r, c]:.6g}; "
        + (
            f"x[{r}, {c}] is in the window(s) {', '.join(map(str, windows))}"
            if windows
            else f"no window covers x[{r}, {c}]"
        )
    )
    return text + _NUMERIC.get(
        kind,
        ". Compare your dx with numeric_gradient(dout, x, size, stride) at that "
        "entry, on a case like this one",
    )


def _random_pool_case(rng, kinds) -> tuple:
    size = int(rng.integers(1, 5))
    stride = int(rng.integers(1, size + 2))
    shape = tuple(int(v) for v in rng.integers(size, 3 * size + 4, size=2))
    return shape, size, stride, str(rng.choice(kinds))


# (shape, size, stride, kind): disjoint windows (the classmate's test), overlapping,
# gapped (stride > size), sizes that do not fit evenly, ties, a 1 x 1 window.
_POOL_CASES = [
    ((4, 4), 2, 2, "distinct"),
    ((7, 7), 3, 2, "distinct"),
    ((6, 6), 2, 1, "ties"),
    ((7, 9), 3, 2, "ties"),
    ((5, 8), 2, 3, "distinct"),
    ((8, 7), 3, 3, "ties"),
    ((5, 5), 1, 1, "distinct"),
    ((9, 6), 4, 2, "ties"),
]
#: Cases that numeric probing gets wrong: near ties (a step h moves the maximum, and
#: breaking ties by a small ramp picks the wrong one), values near 1e8 (h is lost
#: to rounding), and a map of 240 x 240 with near ties: the intended loops take a
#: fraction of a second, the exercise's numeric_gradient about an hour.
_PROBING_CASES = [
    ((7, 9), 3, 2, "near"),
    ((8, 8), 2, 1, "near"),
    ((9, 7), 3, 2, "large"),
    ((240, 240), 3, 2, "near"),
]


def _check_pool_case(fn, dout, x, size, stride, kind, what) -> None:
    label = f"(x of shape {x.shape}, size {size}, stride {stride}{_KINDS[kind]})"
    try:
        with refusing(_POOL_RULE, _refused(convolution, pooling), fn):
            raw = call(fn, dout, x, size, stride, what=what, inputs=("dout", "x"))
    except AssertionError as error:
        crash = error.__cause__
        if (
            isinstance(crash, IndexError | ValueError)
            and all(v is not None for v in _planted(dout, x, size, stride))
            and any(v is None for v in _disagreeing(dout, x, size, stride))
        ):
            raise AssertionError(
                f"{_DISAGREE} ({what} raised {type(crash).__name__}: {crash}) {label}"
            ) from error
        raise
    expected = pooling.pool2d_backward(dout, x, size, stride)
    got = as_array(raw, None, what, single=True)
    if close(got, expected):
        return
    if got.shape == expected.shape and any(
        v is not None and close(got, v) for v in _planted(dout, x, size, stride)
    ):
        raise AssertionError(f"{_where(got, expected, size, stride, kind)} {label}")
    message = first_mistake(got, expected, _pool_mistakes(dout, x, size, stride))
    if message is None and got.shape != expected.shape:
        message = (
            f"{what} returned shape {got.shape}: dx must have x's shape "
            f"{expected.shape}; rows and columns no window covers get 0"
        )
    raise AssertionError(
        f"{message or _where(got, expected, size, stride, kind)} {label}"
    )


def check_max_pool2d_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dout, x, size, stride)`` must return dx, the gradient of valid
    max pooling with ``size`` x ``size`` windows that move by ``stride``.

    ``x`` is ``(H, W)``, ``dout`` is ``((H - size) // stride + 1, (W - size) //
    stride + 1)``; window (i, j) covers rows ``i * stride`` to ``i * stride + size -
    1``. Its maximum receives ``dout[i, j]`` (with ties: the first maximum in
    row-major order); where windows overlap, an entry that wins several of them
    receives the sum of their gradients; entries no window covers get 0. Equal to
    :func:`convbn.pooling.pool2d_backward` and to TensorFlow's gradient of
    ``tf.nn.max_pool2d`` (on CPU).

    Checked with disjoint, overlapping and gapped windows, distinct values, many
    ties, sizes that do not fit evenly and random cases from ``seed``; then with
    cases a numeric gradient gets wrong, so that probing the forward pass is no way
    round the exercise: near ties (distinct values 1e-10 apart), values near 1e8,
    and a 240 x 240 map; then four random cases from a fresh seed that nobody knows
    in advance (the grader runs this test as written: with seeded cases alone, a
    lookup table of recorded inputs would pass). Every case has an exact answer, so
    a right solution always passes. The inputs must not be modified, and while
    ``fn`` runs, nothing of ``convbn``, scipy or TensorFlow may be called (the
    exercise is numpy only).

    This is a debugging exercise: for the two bugs planted in the exercise's code
    (windows at ``i * size``, ``=`` instead of ``+=``), alone or together, the
    message says only where dx is wrong (the entry, the windows that contain it).
    Other mistakes are named: the window read and the gradient written at different
    places (half of the first fix), the gradient spread over the window or sent to
    every tied maximum (or the last), a window position off by one, dout not used.
    """
    rng = np.random.default_rng(seed)
    what = "your max_pool2d_backward"
    seeded = [*_POOL_CASES]
    seeded += [_random_pool_case(rng, ["distinct", "ties"]) for _ in range(4)]
    seeded += _PROBING_CASES
    fresh = fresh_rng()
    cases = [(case, rng) for case in seeded]
    cases += [(_random_pool_case(fresh, list(_KINDS)), fresh) for _ in range(4)]
    for (shape, size, stride, kind), draw in cases:
        x = _pool_values(draw, shape, kind)
        dout = draw.normal(size=tuple((n - size) // stride + 1 for n in shape))
        _check_pool_case(fn, dout, x, size, stride, kind, what)
    return True
