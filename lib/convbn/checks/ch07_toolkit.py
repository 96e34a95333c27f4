"""Chapter 7, the convolutional layer's toolkit: the checkers of ``im2col`` (the
patch matrix that turns a convolution into one matrix product), of a depthwise
convolution with a channel multiplier, and of the costs a student predicts for a
depthwise-separable block (MobileNet, Howard et al. 2017) against a standard
convolution.

The references are :func:`convbn.convolution.im2col`,
:func:`convbn.convolution.depthwise_conv2d`, :func:`convbn.convolution.conv2d` and
:func:`convbn.convolution.output_size`; the helpers here compute the wrong versions
the usual mistakes give. Re-exported by :mod:`convbn.checks.ch07`; no graded value
appears in the chapter's lesson pages (``tests/checks/test_ch07.py`` searches
them)."""

from __future__ import annotations

import decimal
import itertools
import math
import numbers
import operator

import numpy as np

from .. import convolution
from ._core import (
    Mistake,
    as_array,
    as_float,
    as_int,
    as_predictions,
    call,
    close,
    first_mistake,
    fresh_rng,
    wrong_predictions,
)
from ._numpy_only import library, refusing, tensorflow
from ._precision import dtype_of, explain

#: The checkers of these exercises that say "numpy only": the student's function may
#: not use ``convbn`` (the grader enforces it, see ``convbn.checks.NUMPY_ONLY``; the
#: checkers refuse the library's and TensorFlow's convolutions while they call it).
NUMPY_ONLY = (
    "check_im2col",
    "check_depthwise_conv2d",
)

__all__ = [
    "check_im2col",
    "check_depthwise_conv2d",
    "check_separable_cost",
]


def _windows(x, kh: int, kw: int) -> np.ndarray:
    """Every "valid", stride-1 window of ``x`` (N, H, W, C), as (N, H_out, W_out,
    kh, kw, C): ``[n, i, j, m, q, c] = x[n, i + m, j + q, c]`` (the patch matrix
    of :func:`convbn.convolution.im2col` with its axes unfolded)."""
    n, h, w, c = x.shape
    return convolution.im2col(x, kh, kw).reshape(n, h - kh + 1, w - kw + 1, kh, kw, c)


def _flat(windows) -> np.ndarray:
    """Windows (N, H_out, W_out, a, b, c) as the matrix (N H_out W_out, a b c)."""
    n, h_out, w_out = windows.shape[:3]
    return windows.reshape(n * h_out * w_out, -1)


def _random_shapes(rng, count: int, multiplier: bool = False) -> list[tuple]:
    """``count`` random (N, H, W, C, kh, kw[, M]) with a valid output."""
    shapes = []
    for _ in range(count):
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        shape = (
            int(rng.integers(1, 4)),
            kh + int(rng.integers(0, 5)),
            kw + int(rng.integers(0, 5)),
            int(rng.integers(1, 5)),
            kh,
            kw,
        )
        shapes.append((*shape, int(rng.integers(1, 4))) if multiplier else shape)
    return shapes


# --- im2col ------------------------------------------------------------------------

#: (N, H, W, C, kh, kw): the first case tells every known mistake apart (N, H_out,
#: W_out, C, kh and kw all above 1 and different); then one image of one channel,
#: a kernel as large as the image, a 1 x 1 kernel, a square image with a
#: non-square kernel (kh and kw swapped keeps the matrix's shape) and a square case.
_IM2COL_CASES = [
    (2, 5, 7, 3, 2, 3),
    (1, 4, 4, 1, 2, 2),
    (2, 3, 5, 2, 3, 5),
    (3, 4, 3, 2, 1, 1),
    (2, 5, 5, 3, 3, 2),
    (1, 6, 6, 2, 3, 3),
]

_ORDER = (
    "row (n, i, j) holds the window whose corner is x[n, i, j], the image's "
    "windows in row-major order, image after image; column m * kw * C + q * C + c "
    "holds x[n, i + m, j + q, c] (kernel row m, kernel column q, channel c: the "
    "channel changes fastest, as in tf.image.extract_patches)"
)


def _im2col_mistakes(x, kh: int, kw: int) -> list[Mistake]:
    """What the usual mistakes of im2col return, with their diagnoses."""
    windows = _windows(x, kh, kw)
    right = _flat(windows)
    names = ("m", "q", "c")
    mistakes = []
    for order in itertools.permutations(range(3)):
        if order == (0, 1, 2):
            continue
        said = ", ".join(names[a] for a in order)
        hint = (
            " (sliding_window_view puts the window's axes after the channel axis: "
            "move the channel axis last before flattening)"
            if order == (2, 0, 1)
            else ""
        )
        mistakes.append(
            Mistake(
                _flat(windows.transpose(0, 1, 2, *(3 + a for a in order))),
                f"the columns are in ({said}) order{hint}; {_ORDER}",
            )
        )
    for order in itertools.permutations(range(3)):
        if order == (0, 1, 2):
            continue
        said = ", ".join(("n", "i", "j")[a] for a in order)
        moved = windows.transpose(*order, 3, 4, 5)
        mistakes.append(
            Mistake(
                moved.reshape(-1, kh * kw * x.shape[3]),
                f"the rows are in ({said}) order; {_ORDER}",
            )
        )
    mistakes += [
        Mistake(
            right.T,
            "the matrix is transposed: one ROW per output position (n, i, j), "
            "N * H_out * W_out of them, and one column per kernel entry (m, q, c), "
            "kh * kw * C of them",
        ),
        Mistake(
            _flat(_windows(x, kw, kh))
            if kh != kw and kw <= x.shape[1] and kh <= x.shape[2]
            else None,
            "kh and kw are swapped: the windows have kh rows (the kernel's first "
            "axis) and kw columns",
        ),
        Mistake(
            _flat(windows[:, :, :, ::-1, ::-1]) if kh * kw > 1 else None,
            "each window is rotated by 180° (kernel row and column counted from the "
            "end): im2col copies the window as it is, x[n, i + m, j + q, c] in "
            "column (m * kw + q) * C + c; flipping the kernel is convolution's "
            "business, not the patch matrix's",
        ),
        Mistake(
            _flat(windows[:, :-1, :-1]),
            "off by one: the last window of each row and column is missing. The "
            "windows start at 0, 1, ..., H - kh: H_out = H - kh + 1 of them (and "
            "W_out = W - kw + 1)",
        ),
    ]
    return mistakes


def _im2col_shape_message(got, x, kh: int, kw: int) -> str | None:
    """A diagnosis from the shape alone, when no known mistake matched."""
    n, h, w, c = x.shape
    rows, columns = n * (h - kh + 1) * (w - kw + 1), kh * kw * c
    if got.ndim != 2:
        flat = (
            " (its values are right: only the reshape is missing)"
            if got.size == rows * columns
            and close(got.reshape(rows, columns), _flat(_windows(x, kh, kw)))
            else ""
        )
        return (
            f"your im2col returned a {got.ndim}-D array of shape {got.shape}: flatten "
            f"it to the 2-D patch matrix, one row per window and one column per "
            f"kernel entry, shape (N * H_out * W_out, kh * kw * C){flat}"
        )
    got_rows, got_columns = got.shape
    if got_columns == columns and got_rows != rows:
        sizes = {
            n * (h - kh) * (w - kw): "one window too few per axis",
            n * (h - kh + 2) * (w - kw + 2): "one window too many per axis",
            n * h * w: "one row per input pixel, as with 'same' padding",
            (h - kh + 1) * (w - kw + 1): "the rows of one image only",
        }
        if got_rows in sizes:
            return (
                f"your im2col returned {got_rows} rows: {sizes[got_rows]}. With "
                "'valid' padding and stride 1 each image has H_out * W_out windows, "
                "H_out = H - kh + 1 and W_out = W - kw + 1, and the matrix has one "
                "row per window of every image"
            )
    if got_rows == rows and got_columns == kh * kw:
        return (
            "your im2col has kh * kw columns: the channels are missing. Each window "
            "holds kh * kw * C numbers, one column for each"
        )
    if got.shape != (rows, columns):
        return (
            f"your im2col returned shape {got.shape}, expected (N * H_out * W_out, "
            f"kh * kw * C) = {(rows, columns)}"
        )
    return None


_IM2COL_RULE = "exercise 7.4 is numpy only: write im2col yourself"


def check_im2col(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(x, kh, kw)`` must return the patch matrix of ``x``.

    ``x`` is ``(N, H, W, C)``; the windows are ``kh`` x ``kw``, "valid" padding and
    stride 1, so H_out = H - kh + 1 and W_out = W - kw + 1. The result is 2-D,
    ``(N * H_out * W_out, kh * kw * C)``: row ``(n * H_out + i) * W_out + j`` holds
    the window whose corner is ``x[n, i, j]``, and its column ``(m * kw + q) * C +
    c`` holds ``x[n, i + m, j + q, c]``, the order of ``tf.image.extract_patches``
    and of ``w.reshape(kh * kw * C, C_out)``, so that ``im2col(x, kh, kw) @
    w.reshape(-1, C_out)`` is the convolution's output. Checked on one and several
    images and channels, square and non-square images and kernels, a 1 x 1 kernel,
    a kernel as large as the image and random cases, the last four from a fresh seed
    that nobody knows in advance (with seeded cases alone, a table of recorded
    answers would pass); the input must not be modified, and while ``fn`` runs,
    nothing of ``convbn``, scipy or TensorFlow may be called (the exercise is numpy
    only).
    Names the usual mistakes: the columns or the rows in another order (each order
    named), the matrix transposed, kh and kw swapped, not flattened to 2-D, one
    window too few or too many per axis, the channels missing, an answer right only
    to float32's precision.
    """
    rng = np.random.default_rng(seed)
    what = "your im2col"
    refused = library(convolution) + tensorflow("image.extract_patches")
    fresh = fresh_rng()
    cases = [(case, rng) for case in _IM2COL_CASES + _random_shapes(rng, 4)]
    cases += [(case, fresh) for case in _random_shapes(fresh, 4)]
    for (n, h, w, c, kh, kw), draw in cases:
        x = draw.normal(size=(n, h, w, c))
        expected = convolution.im2col(x, kh, kw)
        with refusing(_IM2COL_RULE, refused, fn):
            raw = call(fn, x, kh, kw, what=what, inputs=("x",))
        got = as_array(raw, None, what, single=True)
        if close(got, expected):
            continue
        label = f"(x of shape {x.shape}, kh={kh}, kw={kw})"
        message = first_mistake(got, expected, _im2col_mistakes(x, kh, kw))
        message = message or _im2col_shape_message(got, x, kh, kw)
        message = message or explain(got, expected, dtype_of(raw))
        raise AssertionError(f"{message} {label}")
    return True


# --- depthwise convolution ---------------------------------------------------------


def _by_filter(x, w) -> np.ndarray:
    """The depthwise convolution of ``x`` (N, H, W, C) with ``w`` (kh, kw, C, M) as
    (N, H_out, W_out, C, M): channel c with its filter m."""
    out = convolution.depthwise_conv2d(x, w)
    return out.reshape(*out.shape[:3], *w.shape[2:])


def _merge(out) -> np.ndarray:
    """(N, H_out, W_out, C, M) as (N, H_out, W_out, C * M): channel c * M + m."""
    return out.reshape(*out.shape[:3], -1)


def _last_tap(x, w) -> np.ndarray:
    """(N, H_out, W_out, C, M) from the kernel's last entry alone: what ``out =``
    instead of ``out +=`` in a loop over the kernel's entries leaves."""
    kh, kw = w.shape[:2]
    rows, cols = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    return x[:, kh - 1 : kh - 1 + rows, kw - 1 : kw - 1 + cols, :, None] * w[-1, -1]


_KERAS_RULE = (
    "out[n, i, j, c * M + m] = sum over (a, b) of x[n, i + a, j + b, c] * w[a, b, c, m]"
)


def _depthwise_mistakes(x, w) -> list[Mistake]:
    """What the usual mistakes of a depthwise convolution return, with diagnoses."""
    out = _by_filter(x, w)
    out_flat = _merge(out)
    kh, kw, channels = w.shape[:3]
    standard = convolution.conv2d(x, w)  # summed over the input channels
    return [
        Mistake(
            _merge(out.transpose(0, 1, 2, 4, 3)),
            "the output channels are in the order m * C + c: Keras's "
            "DepthwiseConv2D keeps the M outputs of input channel c together, "
            "channel c * M + m (reshape an (N, H_out, W_out, C, M) result to "
            "(N, H_out, W_out, C * M))",
        ),
        Mistake(
            standard,
            "you summed over the input channels: that is a standard convolution "
            "with M filters. A depthwise convolution filters each channel on its "
            f"own and adds nothing across channels: {_KERAS_RULE}",
        ),
        Mistake(
            convolution.depthwise_conv2d(x, w[::-1, ::-1]),
            "the kernel is flipped: that is a true convolution. Keras's layers "
            f"cross-correlate, without flipping: {_KERAS_RULE}",
        ),
        Mistake(
            out[..., 0],
            "the multiplier is ignored: only the first filter (m = 0) of each "
            "channel is used. w has M = w.shape[3] filters per input channel, and "
            "the output C * M channels",
        ),
        Mistake(
            convolution.depthwise_conv2d(x, w.transpose(1, 0, 2, 3))
            if kw <= x.shape[1] and kh <= x.shape[2]
            else None,
            "the kernel is transposed: w[a, b] weighs x[n, i + a, j + b], a along "
            "the rows and b along the columns",
        ),
        Mistake(
            _merge(_last_tap(x, w)) if kh * kw > 1 else None,
            "only the last kernel entry (a = kh - 1, b = kw - 1) is left: each "
            "entry's product replaced the sum so far. Add the kh * kw products "
            "(out += ..., not out = ...)",
        ),
        Mistake(
            out_flat[:, :-1, :-1] if min(out_flat.shape[1:3]) > 1 else None,
            "off by one: the last output row and column are missing. The windows "
            "start at rows 0, 1, ..., H - kh: H_out = H - kh + 1 of them (and W_out "
            "= W - kw + 1)",
        ),
        Mistake(
            convolution.depthwise_conv2d(x, w, padding="same") if kh * kw > 1 else None,
            "that is 'same' padding (the output as large as the input): with "
            "'valid' padding the output is (N, H - kh + 1, W - kw + 1, C * M)",
        ),
        Mistake(
            np.tile(standard, channels),
            "every output channel holds a sum over the input channels: a depthwise "
            f"convolution keeps the channels apart: {_KERAS_RULE}",
        ),
    ]


#: (N, H, W, C, kh, kw, M): the first case tells every known mistake apart (C, M,
#: kh, kw above 1, a non-square kernel); then a square kernel with M = 3, one
#: channel, a 1 x 1 kernel, a kernel as large as the image, M = 1.
_DEPTHWISE_CASES = [
    (2, 5, 6, 3, 3, 2, 2),
    (1, 4, 5, 2, 2, 2, 3),
    (2, 5, 5, 1, 3, 3, 2),
    (1, 4, 3, 3, 1, 1, 2),
    (2, 4, 4, 2, 4, 4, 1),
    (1, 5, 7, 4, 3, 3, 1),
]


_DEPTHWISE_RULE = "exercise 7.5 is numpy only: write the depthwise convolution yourself"


def check_depthwise_conv2d(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(x, w)`` must return the depthwise convolution of ``x``.

    ``x`` is ``(N, H, W, C)`` and ``w`` ``(kh, kw, C, M)``: M filters for each input
    channel (the depth multiplier). "Valid" padding, stride 1, cross-correlation as
    in Keras: ``out[n, i, j, c * M + m] = sum_{a, b} x[n, i + a, j + b, c] w[a, b, c,
    m]``, shape ``(N, H - kh + 1, W - kw + 1, C * M)``, the channel order of
    ``keras.layers.DepthwiseConv2D`` (its ``kernel`` has the layout of ``w``).
    Checked with one and several channels, multipliers 1 to 3, square and non-square
    kernels, a 1 x 1 kernel, a kernel as large as the image and random cases, the
    last four from a fresh seed that nobody knows in advance (with seeded cases
    alone, a table of recorded answers would pass); the inputs must not be modified,
    and while ``fn`` runs, nothing of ``convbn``, scipy or TensorFlow may be called
    (the exercise is numpy only). Names the
    usual mistakes: the output channels in the order m * C + c, a sum over the input
    channels (a standard convolution), a flipped or transposed kernel, the multiplier
    ignored (only m = 0), an answer right only to float32's precision.
    """
    rng = np.random.default_rng(seed)
    what = "your depthwise_conv2d"
    refused = library(convolution) + tensorflow(
        "nn.depthwise_conv2d", "nn.conv2d", "nn.convolution"
    )
    fresh = fresh_rng()
    cases = [(case, rng) for case in _DEPTHWISE_CASES + _random_shapes(rng, 4, True)]
    cases += [(case, fresh) for case in _random_shapes(fresh, 4, True)]
    for (n, h, w_, c, kh, kw, m), draw in cases:
        x = draw.normal(size=(n, h, w_, c))
        w = draw.normal(size=(kh, kw, c, m))
        expected = convolution.depthwise_conv2d(x, w)
        with refusing(_DEPTHWISE_RULE, refused, fn):
            raw = call(fn, x, w, what=what, inputs=("x", "w"))
        got = as_array(raw, None, what, single=True)
        if close(got, expected):
            continue
        label = f"(x of shape {x.shape}, w of shape {w.shape})"
        message = first_mistake(got, expected, _depthwise_mistakes(x, w))
        if message is None and got.shape != expected.shape:
            message = (
                f"{what} returned shape {got.shape}, expected (N, H - kh + 1, W - kw "
                f"+ 1, C * M) = {expected.shape}"
            )
        message = message or explain(got, expected, dtype_of(raw))
        raise AssertionError(f"{message} {label}")
    return True


# --- the cost of a depthwise-separable block, predicted -----------------------------

#: The block whose costs the student predicts: one image of SEPARABLE_INPUT (H, W,
#: C_in), a k x k kernel, C_out output channels, padding "same", stride 1, no biases
#: (batch normalization follows each convolution, as in MobileNet).
SEPARABLE_INPUT = (19, 19, 48)
SEPARABLE_KERNEL = 5
SEPARABLE_FILTERS = 80
#: The predictions, by name.
SEPARABLE_NAMES = (
    "standard_params",
    "standard_multiply_adds",
    "separable_params",
    "separable_multiply_adds",
    "ratio",
)


def _separable_costs(
    shape=SEPARABLE_INPUT, k: int = SEPARABLE_KERNEL, c_out: int = SEPARABLE_FILTERS
) -> dict:
    """The right answers: weights and multiply-adds for one image of ``shape`` (H, W,
    C_in) through ``Conv2D(c_out, k, padding="same", use_bias=False)`` and through
    ``DepthwiseConv2D(k, padding="same", use_bias=False)`` followed by ``Conv2D(c_out,
    1, use_bias=False)``; ``ratio`` is separable over standard multiply-adds, 1 /
    C_out + 1 / k^2."""
    h, w, c_in = shape
    positions = convolution.output_size(h, k, "same") * convolution.output_size(
        w, k, "same"
    )
    return _costs(k * k * c_in * c_out, k * k * c_in + c_in * c_out, positions)


def _costs(standard: int, separable: int, positions: int) -> dict:
    """The five predictions from the weights of the two layers and the positions."""
    return {
        "standard_params": standard,
        "standard_multiply_adds": positions * standard,
        "separable_params": separable,
        "separable_multiply_adds": positions * separable,
        "ratio": separable / standard,
    }


def _cost_variants(**changed) -> dict:
    """The costs a mistake computes: the block's sizes with ``changed`` ones, the
    depthwise and pointwise weights per position (``depthwise``, ``pointwise``,
    ``standard``), or ``positions``."""
    h, w, c_in = SEPARABLE_INPUT
    k, c_out = SEPARABLE_KERNEL, SEPARABLE_FILTERS
    area = changed.get("area", k * k)
    parts = {
        "standard": area * c_in * c_out,
        "depthwise": area * c_in,
        "pointwise": c_in * c_out,
    }
    parts.update({key: changed[key] for key in parts if key in changed})
    return _costs(
        parts["standard"],
        parts["depthwise"] + parts["pointwise"],
        changed.get("positions", h * w),
    )


def _cost_counts() -> list[tuple[dict, str]]:
    """Two other ways of counting the multiply-adds, as predictions with their
    diagnoses: without the products with the padding's zeros, and in FLOPs."""
    h, w, c_in = SEPARABLE_INPUT
    k, c_out = SEPARABLE_KERNEL, SEPARABLE_FILTERS
    plain = _cost_variants()
    # (kernel tap, output position) pairs that read the image, not its padding
    ones = np.ones((1, h, w, 1)), np.ones((k, k, 1, 1))
    inside = int(convolution.conv2d(*ones, padding="same").sum())
    real = {
        **plain,
        "standard_multiply_adds": inside * c_in * c_out,
        "separable_multiply_adds": inside * c_in + h * w * c_in * c_out,
    }
    real["ratio"] = real["separable_multiply_adds"] / real["standard_multiply_adds"]
    flops = {
        **plain,
        "standard_multiply_adds": 2 * plain["standard_multiply_adds"],
        "separable_multiply_adds": 2 * plain["separable_multiply_adds"],
    }
    return [
        (
            real,
            "you left out the products with the padding's zeros: they count, as "
            "Keras and MobileNet count them, so every weight is used at every "
            "output position",
        ),
        (
            flops,
            "that counts FLOPs, a multiplication and an addition each: count "
            "multiply-adds, one per multiplication",
        ),
    ]


def _cost_mistakes(name: str) -> list[Mistake]:
    """The usual wrong predictions of ``name``, with their diagnoses."""
    h, w, c_in = SEPARABLE_INPUT
    k, c_out = SEPARABLE_KERNEL, SEPARABLE_FILTERS
    plain = _cost_variants()
    biases = (
        "the biases are counted: the block has none (use_bias=False; batch "
        "normalization follows each convolution, as in MobileNet)"
    )
    variants = [
        (
            _cost_variants(
                standard=k * k * c_in * c_out + c_out,
                depthwise=k * k * c_in + c_in,
                pointwise=c_in * c_out + c_out,
            ),
            biases,
        ),
        (_cost_variants(pointwise=c_in * c_out + c_out), biases),
        (_cost_variants(depthwise=k * k * c_in + c_in), biases),
        (
            _cost_variants(area=k),
            "k where k^2 belongs: a k x k kernel has k * k weights per channel",
        ),
        (
            _cost_variants(pointwise=0),
            "the pointwise part is missing: after the depthwise convolution a 1 x 1 "
            "convolution mixes the C_in channels into C_out, C_in * C_out weights",
        ),
        (
            _cost_variants(depthwise=0),
            "the depthwise part is missing: before the 1 x 1 convolution each input "
            "channel is filtered by its own k x k kernel",
        ),
        (
            _cost_variants(depthwise=k * k * c_out),
            "the depthwise convolution comes first, on the C_in input channels: one "
            "k x k kernel per INPUT channel",
        ),
        (
            _cost_variants(depthwise=k * k * c_in * c_in),
            "the depthwise convolution has one k x k kernel per channel, not a full "
            "C_in x C_in convolution: it does not mix channels",
        ),
        (
            _cost_variants(depthwise=k * k * c_in * c_out),
            "the depthwise convolution has ONE k x k kernel per input channel "
            "(depth multiplier 1), not C_out of them",
        ),
        (
            _cost_variants(positions=(h - k + 1) * (w - k + 1)),
            "that is the output size of 'valid' padding: with 'same' and stride 1 "
            "the output has as many positions as the input",
        ),
        (
            _cost_variants(positions=(h + k - 1) * (w + k - 1)),
            "the positions are those of the padded input: count the output's "
            "positions, one per input pixel with 'same' and stride 1",
        ),
        (
            _cost_variants(positions=1),
            "that is the count for one output position: the kernels are applied at "
            "every position of the output",
        ),
        *_cost_counts(),
    ]
    if name.startswith("standard"):
        variants += [
            (
                _cost_variants(standard=k * k * c_out),
                "the input channels are missing: each of the C_out filters has a "
                "k x k kernel for every one of the C_in input channels",
            ),
            (
                _cost_variants(standard=k * k * c_in),
                "that is one filter: the layer has C_out of them",
            ),
        ]
    mistakes = [Mistake(v[name], message) for v, message in variants]
    if name == "ratio":
        ratio = plain["ratio"]
        mistakes[:0] = [
            Mistake(
                1 / c_in + 1 / (k * k),
                "C_in where C_out belongs: divide each part's cost by the standard "
                "layer's, k^2 C_in C_out, and simplify",
            ),
            Mistake(1 / ratio, "the ratio is upside down: separable / standard"),
            Mistake(100 * ratio, "give the ratio as a fraction, not in percent"),
            Mistake(
                1 - ratio,
                "that is the share of the work saved: give separable / standard",
            ),
        ]
    if name.endswith("_params"):
        mistakes.append(
            Mistake(
                plain[name] * h * w,
                "the parameters do not depend on the image size: each kernel is "
                "shared by every position (multiply-adds do)",
            )
        )
    if name == "separable_params":
        mistakes.append(
            Mistake(plain["standard_params"], "that is the standard convolution's")
        )
    return mistakes


def _plain_number(value):
    """A Fraction or a Decimal (any real number of the standard library) as an int
    when it is whole, else as a float; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
        return value
    if isinstance(value, numbers.Integral | np.number | float):
        return value
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return float(value)
    if value == int(value):
        return int(value)
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _same_ratio(a: float, b: float) -> bool:
    """Two ratios agree within 0.2 % (of ``b``)."""
    return abs(a - b) <= 2e-3 * abs(b)


def check_separable_cost(predictions, seed: int = 0) -> bool:
    """Chapter 7 (predict, then check): the cost of a depthwise-separable block.

    ``predictions`` maps each name of ``SEPARABLE_NAMES`` to the student's number for
    one image of shape ``SEPARABLE_INPUT`` (19, 19, 48), padding "same", stride 1,
    a 5 x 5 kernel and 80 output channels, no biases: the weights and multiply-adds
    of ``Conv2D(80, 5)``, the same of ``DepthwiseConv2D(5)`` followed by the
    pointwise ``Conv2D(80, 1)`` (the products with the padding's zeros counted, as
    Keras and MobileNet count them), and ``ratio``, separable over standard
    multiply-adds, any real number (a float, a ``fractions.Fraction``, a
    ``decimal.Decimal``, a numpy scalar) within 0.2 % (within 1 % is "rounded too
    coarsely"). Every wrong prediction is explained: biases counted, the pointwise
    or the depthwise part missing, k for k^2, the output size of "valid" padding or
    of the padded input, the products with the padding's zeros left out, FLOPs for
    multiply-adds, one position only, the input channels or the filters missing,
    the depthwise part as a full convolution or on the output channels, the ratio
    upside down, in percent, with C_in for C_out, or the share saved. ``seed`` is
    unused (the block is fixed).
    """
    del seed
    got = as_predictions(predictions, SEPARABLE_NAMES, "predictions")
    truth = _separable_costs()
    wrong = []
    for name in SEPARABLE_NAMES:
        what = f"predictions[{name!r}]"
        if name == "ratio":
            value, same = as_float(_plain_number(got[name]), what), _same_ratio
        else:
            value = as_int(_plain_number(got[name]), what, noun="count")
            same = operator.eq
        if same(value, truth[name]):
            continue
        message = first_mistake(value, truth[name], _cost_mistakes(name), same=same)
        if name == "ratio" and abs(value - truth[name]) <= 0.01 * truth[name]:
            message = (
                "close, but rounded too coarsely: give at least three significant "
                "figures, or the exact value"
            )
        noun = "ratio" if name == "ratio" else "count"
        wrong.append((name, f"{message or f'wrong {noun}'} (you predicted {value!r})"))
    wrong_predictions(
        wrong,
        len(SEPARABLE_NAMES),
        "Find where your reasoning went wrong; the cell after this question builds "
        "the layers in Keras.",
    )
    return True
