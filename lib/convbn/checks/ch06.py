"""Chapter 6, pooling and the convolutional layer: the checkers of valid max
pooling (with loops, and with a reshape into blocks), Keras's "same" average
pooling, the weights of distance-weighted pooling, and the three stages of a
convolutional layer (affine, detector, pooling).

The references are :func:`convbn.pooling.pool2d`, :func:`~convbn.pooling.pool1d`,
:func:`~convbn.pooling.pooling_weights` and :func:`convbn.convolution.conv2d`; the
helpers here compute the wrong versions the mistakes give."""

from __future__ import annotations

import numpy as np

from .. import activations, convolution, pooling
from ._core import (
    InputModified,
    Mistake,
    as_array,
    call,
    close,
    diagnose,
    first_mistake,
    wrong_at,
)

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_max_pool2d",
    "check_block_max_pool",
    "check_average_pool1d_same",
    "check_conv_layer",
)

__all__ = [
    "check_max_pool2d",
    "check_block_max_pool",
    "check_average_pool1d_same",
    "check_pooling_weights",
    "check_conv_layer",
]

# The (input shape, size, stride) cases check_max_pool2d tries, square inputs first:
# a solution that passes those and fails later is told it only handles square inputs.
_SQUARE_CASES = [
    ((6, 6), 2, 2),
    ((8, 8), 3, 2),
    ((7, 7), 2, 3),
    ((5, 5), 1, 1),
    ((4, 4), 4, 1),
    ((9, 9), 3, 3),
    ((6, 6), 3, 1),
]
_OTHER_CASES = [
    ((6, 9), 2, 2),
    ((10, 7), 3, 2),
    ((5, 8), 2, 3),
    ((7, 4), 4, 2),
    ((3, 11), 3, 1),
    ((8, 5), 1, 2),
    ((5, 9), 5, 2),
    ((1, 6), 1, 1),
    ((9, 6), 2, 4),
]


class _Named(AssertionError):
    """A failure whose message names the mistake (not wrapped by later hints)."""


def _max_pool_mistakes(x, size, stride, expected) -> list[Mistake]:
    """What the usual mistakes of max pooling give on ``x``."""
    H, W = x.shape
    rows, cols = expected.shape
    mistakes = [
        Mistake(
            pooling.pool2d(x, size, stride, "average"),
            "you computed the average of each window (average pooling); max pooling "
            "takes the largest value: window.max()",
        ),
        Mistake(
            -pooling.pool2d(-x, size, stride),
            "you took the smallest value of each window (min); max pooling takes the "
            "largest: window.max()",
        ),
        Mistake(
            pooling.pool2d(np.abs(x), size, stride),
            "you took the largest absolute value, max |x|; max pooling keeps the sign: "
            "window.max()",
        ),
        Mistake(
            expected.T,
            "your result is transposed: out[i, j] must have i running over the rows "
            "(the first axis) and j over the columns",
        ),
        Mistake(
            pooling.pool2d(x, size, 1) if stride != 1 else None,
            f"the stride is ignored: you moved the window by 1 instead of stride = "
            f"{stride}; window (i, j) starts at row i * stride and column j * stride",
        ),
        Mistake(
            pooling.pool2d(x, size, size) if stride != size else None,
            f"you moved the window by size = {size} instead of stride = {stride} "
            "(the stride is a separate argument; it equals size only by default "
            "in Keras)",
        ),
        Mistake(
            pooling.pool2d(x, stride, size)
            if stride != size and stride <= min(H, W)
            else None,
            "size and stride are swapped: windows are size x size entries "
            "and start every stride entries; the function is called as "
            "fn(x, size, stride)",
        ),
    ]
    if size > 1:
        # Windows one entry short, on the grid of the right ones.
        short = pooling.pool2d(x, size - 1, stride)[:rows, :cols]
        mistakes.append(
            Mistake(
                short,
                f"off by one inside the window: your windows are {size - 1} x "
                f"{size - 1} entries, not size x size = {size} x {size}; the window "
                "is x[i * stride : i * stride + size, j * stride : j * stride + size]",
            )
        )
    return mistakes


def _max_pool_shape(got, expected, label) -> None:
    """Raise the failure a result of the wrong shape deserves."""
    rows, cols = expected.shape
    if got.ndim == 2 and rows != cols and got.shape in ((rows, rows), (cols, cols)):
        raise _Named(
            f"your function works only for square inputs {label}: your output "
            f"has shape {got.shape}, expected {expected.shape}; use x.shape[0] "
            "(H) for the number of window rows and x.shape[1] (W) for the "
            "columns"
        )
    extra = (got.shape[0] - rows, got.shape[1] - cols) if got.ndim == 2 else None
    if extra is not None and set(extra) <= {-1, 0}:
        raise _Named(
            f"the last window is dropped {label}: your output has shape "
            f"{got.shape}, expected {expected.shape}. Off by one in the output "
            f"size: there are (H - size) // stride + 1 = {rows} window rows and "
            f"(W - size) // stride + 1 = {cols} window columns; loop over "
            "range((H - size) // stride + 1)"
        )
    if extra is not None and set(extra) <= {0, 1}:
        raise _Named(
            f"one window too many {label}: your output has shape {got.shape}, "
            f"expected {expected.shape}; a valid window must fit: the last one "
            "starts at row ((H - size) // stride) * stride"
        )
    raise AssertionError(
        f"your max pooling returned shape {got.shape} {label}, expected "
        f"((H - size) // stride + 1, (W - size) // stride + 1) = {expected.shape}"
    )


def _max_pool_case(fn, x, size, stride, what) -> None:
    raw = call(
        fn,
        x,
        size,
        stride,
        what=what,
        inputs=("x",),
        modified="{what} modified its input {name}; pooling must leave the "
        "detector output as it is (work on a copy)",
    )
    label = f"(x of shape {x.shape}, size {size}, stride {stride})"
    got = as_array(raw, what=what, single=True)
    expected = pooling.pool2d(x, size, stride)
    if close(got, expected):
        return
    message = first_mistake(
        got, expected, _max_pool_mistakes(x, size, stride, expected)
    )
    if message:
        raise _Named(f"{message} {label}")
    if got.shape != expected.shape:
        _max_pool_shape(got, expected, label)
    diagnose(got, expected, label=label)


def check_max_pool2d(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, size, stride)`` must return the valid max pooling of ``x``.

    For a 2-D array ``x`` of shape ``(H, W)``, windows of ``size x size`` entries
    start every ``stride`` rows and columns (the window step):
    ``out[i, j] = max(x[i s : i s + size, j s : j s + size])``, shape
    ``((H - size) // s + 1, (W - size) // s + 1)``; equal to
    ``convbn.pooling.pool2d(x, size, stride)`` and ``keras.layers.MaxPooling2D(size,
    stride)``. Checked against :func:`convbn.pooling.pool2d` on square inputs first,
    then non-square ones, with size 1, size != stride (both ways), stride > size and a
    window as large as the input; ``x`` must not be modified. Names the usual
    mistakes: average or min instead of max, the stride ignored (or taken equal to
    the size), size and stride swapped, the last window dropped, a window one entry
    too small, a transposed result, code that only works for square inputs.
    """
    rng = np.random.default_rng(seed)
    what = "your max pooling"
    other = list(_OTHER_CASES)
    for _ in range(6):
        H, W = (int(v) for v in rng.integers(2, 13, size=2))
        size = int(rng.integers(1, min(H, W) + 1))
        other.append(((H, W), size, int(rng.integers(1, 5))))
    for group, square in ((_SQUARE_CASES, True), (other, False)):
        for shape, size, stride in group:
            x = rng.normal(size=shape)
            try:
                _max_pool_case(fn, x, size, stride, what)
            except (_Named, InputModified):
                raise
            except AssertionError as error:
                if square or shape[0] == shape[1]:
                    raise
                raise AssertionError(
                    f"your function works only for square inputs: it is right for "
                    f"every square x but fails for x of shape {shape}. Use x.shape[0] "
                    f"(H) for the rows and x.shape[1] (W) for the columns. Details: "
                    f"{error}"
                ) from error
    return True


def _blocks(x, size):
    """``x`` cropped to whole windows and reshaped to (rows, size, cols, size)."""
    rows, cols = x.shape[0] // size, x.shape[1] // size
    return x[: rows * size, : cols * size].reshape(rows, size, cols, size)


def check_block_max_pool(fn, seed: int = 0) -> bool:
    """Chapter 6 (debug): ``fn(x, size)`` must return the max pooling of the 2-D
    array ``x`` with ``size x size`` windows that do not overlap (stride = size),
    "valid": the rows and columns that do not fill a window are dropped.

    Equals ``convbn.pooling.pool2d(x, size)``: shape ``(H // size, W // size)``.
    Checked on shapes that are multiples of ``size`` first, then on others, with
    size 1, one row or one column of windows, and a window as large as ``x``; ``x``
    must not be modified. Names the windows mixed up by ``reshape(rows, cols, size,
    size)`` (the planted bug of the exercise, invisible with a single column of
    windows), the maximum over the wrong axes, the leftover rows and columns not
    dropped, the mean or minimum instead of the maximum, a transposed result.
    """
    rng = np.random.default_rng(seed)
    what = "your block_max_pool"
    whole = [((4, 6), 2), ((6, 6), 3), ((8, 4), 2), ((6, 9), 3), ((5, 5), 1)]
    whole += [((4, 2), 2), ((2, 8), 2), ((3, 3), 3)]
    ragged = [((5, 7), 2), ((7, 8), 3), ((9, 5), 4), ((3, 7), 3)]
    for _ in range(4):
        size = int(rng.integers(1, 5))
        ragged.append(
            ((int(rng.integers(size, 13)), int(rng.integers(size, 13))), size)
        )
    for shape, size in whole + ragged:
        x = rng.normal(size=shape)
        label = f"(x of shape {shape}, size {size})"
        fits = shape[0] % size == 0 and shape[1] % size == 0
        try:
            raw = call(fn, x, size, what=what, inputs=("x",))
        except InputModified:
            raise
        except AssertionError as error:
            if not fits and "reshape" in str(error):
                raise AssertionError(
                    f"the leftover rows and columns are not dropped {label}: "
                    f"{shape[0] % size} rows and {shape[1] % size} columns fill no "
                    "window; crop x to x[: rows * size, : cols * size] before the "
                    f"reshape. Details: {error}"
                ) from error
            raise
        expected = pooling.pool2d(x, size)
        got = as_array(raw, what=what, single=True)
        rows, cols = expected.shape
        crop = x[: rows * size, : cols * size]
        mistakes = [
            Mistake(
                crop.reshape(rows, cols, size, size).max(axis=(2, 3)),
                "the windows are mixed up: reshape(rows, cols, size, size) cuts the "
                "row-major data into runs of size * size consecutive numbers, which "
                "are windows only when there is one column of windows. Keep each "
                "window's rows and columns apart: reshape(rows, size, cols, size), "
                "then swap axes 1 and 2 (or take the maximum over axes 1 and 3)",
            ),
            Mistake(
                _blocks(x, size).max(axis=(1, 2)),
                "the maximum is over the wrong axes: in (rows, size, cols, size) the "
                "window's own axes are 1 and 3",
            ),
            Mistake(
                _blocks(x, size).max(axis=(0, 2)),
                "the maximum is over the wrong axes: axes 0 and 2 count the windows; "
                "the window's own axes are 1 and 3",
            ),
            Mistake(
                _blocks(x, size).mean(axis=(1, 3)),
                "you averaged each window; max pooling takes the largest value",
            ),
            Mistake(
                _blocks(x, size).min(axis=(1, 3)),
                "you took the smallest value of each window; max pooling takes the "
                "largest",
            ),
            Mistake(expected.T, "your result is transposed: rows first"),
        ]
        diagnose(got, expected, mistakes, label, what=what)
    return True


def average_same(x, size, stride, before=None, divide_by_size=False):
    """ "Same" average pooling of a 1-D ``x`` with one of the usual mistakes: the
    windows start ``before`` positions early (default: Keras's half of the padding,
    the right one) and ``divide_by_size`` counts padded positions as zeros."""
    n = len(x)
    before = convolution.same_padding(n, size, stride)[0] if before is None else before
    count = convolution.output_size(n, size, "same", stride)
    starts = [i * stride - before for i in range(count)]
    windows = [(max(s, 0), min(s + size, n)) for s in starts]
    sums = np.array([x[a:b].sum() for a, b in windows])
    counts = np.array([b - a for a, b in windows])
    return sums / (size if divide_by_size else counts)


def check_average_pool1d_same(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, size, stride)`` must return Keras's "same" average pooling.

    For a 1-D array ``x`` of length ``n``: ``ceil(n / stride)`` outputs, as
    ``keras.layers.AveragePooling1D(size, stride, padding="same")``. Output ``i``
    averages the window that starts at ``i * stride - before``, where ``before =
    total // 2`` of ``total = max((ceil(n / stride) - 1) * stride + size - n, 0)``
    padded positions (the odd one goes at the end); the average is over the real
    inputs in the window only (padding is not counted), so the windows at the ends
    can be smaller, as in Goodfellow et al.'s Fig. 9.10. Equal to
    ``convbn.pooling.pool1d(x, size, stride, "average", "same")``. Checked on random
    lengths (1 to 16), sizes (1 to 5, also larger than ``n``) and strides (1 to 4);
    ``x`` must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your 'same' average pooling"
    cases = [(5, 3, 2), (6, 3, 2), (7, 2, 2), (8, 4, 3), (1, 1, 1), (4, 1, 2)]
    cases += [(9, 4, 2), (3, 5, 1), (10, 2, 3), (6, 3, 1), (11, 5, 4), (2, 3, 2)]
    for _ in range(12):
        cases.append(
            (int(rng.integers(1, 17)), int(rng.integers(1, 6)), int(rng.integers(1, 5)))
        )
    for n, size, stride in cases:
        x = rng.normal(size=n)
        raw = call(fn, x, size, stride, what=what, inputs=("x",))
        label = f"(n = {n}, size {size}, stride {stride})"
        expected = pooling.pool1d(x, size, stride, "average", "same")
        got = as_array(raw, what=what, single=True)
        if close(got, expected):
            continue
        count = len(expected)
        if got.ndim == 1 and size <= n and len(got) == (n - size) // stride + 1:
            if len(got) != count and close(
                got, pooling.pool1d(x, size, stride, "average", "valid")
            ):
                raise AssertionError(
                    f"you dropped the smaller windows at the end {label}: that is "
                    f"'valid' pooling, {len(got)} outputs; 'same' keeps ceil(n / "
                    f"stride) = {count} outputs so that no input is ignored, even if "
                    "the last window is cut short"
                )
        if got.ndim == 1 and len(got) == n // stride and n % stride:
            raise AssertionError(
                f"you returned n // stride = {len(got)} outputs {label}; 'same' "
                f"pooling gives ceil(n / stride) = {count}"
            )
        if got.ndim == 1 and len(got) == n and stride > 1:
            raise AssertionError(
                f"the stride is ignored {label}: you returned {n} outputs, one per "
                f"input; output i starts at i * stride, and there are ceil(n / "
                f"stride) = {count} of them"
            )
        got = as_array(got, expected.shape, what)
        total = sum(convolution.same_padding(n, size, stride))
        mistakes = [
            Mistake(
                average_same(x, size, stride, divide_by_size=True),
                "you divided every sum by size, counting the padded positions as "
                "zeros; Keras averages over the real inputs in each window only, so "
                "a window cut short by the border divides by fewer",
            ),
            Mistake(
                average_same(x, size, stride, before=0),
                f"you put all {total} padded positions at the end; Keras puts half "
                "of them, total // 2, before the first input and the rest after",
            ),
            Mistake(
                average_same(x, size, stride, before=total - total // 2),
                "the odd padded position is on the wrong side: Keras pads total // 2 "
                "before and total - total // 2 (the larger half) after",
            ),
            Mistake(
                average_same(x, size, stride, before=total),
                f"you put all {total} padded positions before the first input; "
                "Keras puts total // 2 before and the rest at the end",
            ),
            Mistake(
                pooling.pool1d(x, size, stride, "max", "same"),
                "you took the maximum of each window; average pooling takes the mean",
            ),
        ]
        diagnose(got, expected, mistakes, label)
    return True


def gaussian(
    size,
    sigma,
    centre=None,
    sq=True,
    two=True,
    sign=-1.0,
    sigma_power=2,
    rows_only=False,
    normalise=True,
):
    """Distance-weighted pooling weights with one of the usual mistakes switched on
    (with the defaults, :func:`convbn.pooling.pooling_weights`)."""
    c = (size - 1) / 2 if centre is None else centre
    m = np.arange(size) - c
    d2 = m[:, None] ** 2 + (0 * m[None, :] if rows_only else m[None, :] ** 2)
    d = d2 if sq else np.sqrt(d2)
    w = np.exp(sign * d / ((2 if two else 1) * sigma**sigma_power))
    return w / w.sum() if normalise else w


def check_pooling_weights(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(size, sigma)`` must return the weights of distance-weighted
    pooling over a ``size x size`` window.

    ``w[m, q]`` is proportional to ``exp(-((m - c)^2 + (q - c)^2) / (2 sigma^2))`` with
    ``c = (size - 1) / 2``, the window's centre (between two pixels for an even
    size), and the weights sum to 1; shape ``(size, size)``. Equal to
    ``convbn.pooling.pooling_weights(size, sigma)``. Checked on odd sizes first, then
    even ones, with random ``sigma`` from 0.4 to 3. Names the usual mistakes: not
    normalised, sigma not squared, the factor 2 missing, the distance not squared,
    the wrong sign, the centre at ``size // 2``, equal weights, one axis only.
    """
    rng = np.random.default_rng(seed)
    what = "your pooling weights"
    groups = [([1, 3, 5, 3, 7], None), ([2, 4, 6, 4], "odd sizes")]
    passed_odd = False
    for sizes, only in groups:
        for size in sizes:
            sigma = float(np.round(rng.uniform(0.4, 3.0), 2))
            label = f"(size {size}, sigma {sigma})"
            raw = call(fn, size, sigma, what=what)
            expected = pooling.pooling_weights(size, sigma)
            got = as_array(raw, what=what)
            if got.shape == (size,):
                raise AssertionError(
                    f"you returned shape {got.shape} {label}: the window is 2-D, so "
                    f"return one weight per pixel, shape ({size}, {size})"
                )
            got = as_array(got, (size, size), what)
            if close(got, expected):
                continue
            total = got.sum()
            if (
                not np.isclose(total, 1.0)
                and total > 0
                and close(got / total, expected)
            ):
                raise AssertionError(
                    f"the weights sum to {total:.4g}, not 1 {label}: divide by their "
                    "sum, so that pooling a constant map returns that constant (a "
                    "weighted average)"
                )
            mistakes = [
                Mistake(
                    np.full((size, size), 1 / size**2),
                    "all weights are equal: that is average pooling; the weights "
                    "must fall off with the distance from the centre",
                ),
                Mistake(
                    gaussian(size, sigma, sign=1.0),
                    "the weights grow with the distance from the centre: the "
                    "exponent is minus the squared distance, exp(-d^2 / (2 sigma^2))",
                ),
                Mistake(
                    gaussian(size, sigma, sigma_power=1),
                    "sigma is not squared: exp(-d^2 / (2 sigma^2)), not "
                    "exp(-d^2 / (2 sigma))",
                ),
                Mistake(
                    gaussian(size, sigma, two=False),
                    "the factor 2 is missing: exp(-d^2 / (2 sigma^2)), not "
                    "exp(-d^2 / sigma^2)",
                ),
                Mistake(
                    gaussian(size, sigma, sq=False),
                    "the distance is not squared: the exponent is -d^2 / (2 sigma^2) "
                    "with d^2 = (m - c)^2 + (q - c)^2",
                ),
                Mistake(
                    gaussian(size, sigma, rows_only=True),
                    "the weights depend on the row only: the distance from the "
                    "centre is d^2 = (m - c)^2 + (q - c)^2, rows and columns",
                ),
                Mistake(
                    gaussian(size, sigma, centre=size // 2),
                    f"the centre is at size // 2 = {size // 2}; for an even size "
                    f"the centre of the window lies between two pixels, at (size - "
                    f"1) / 2 = {(size - 1) / 2}, so that the weights are symmetric",
                ),
                Mistake(
                    gaussian(size, sigma, centre=size / 2),
                    f"the centre is at size / 2 = {size / 2}; indices run from 0 to "
                    f"size - 1, so the centre is at (size - 1) / 2 = {(size - 1) / 2}",
                ),
            ]
            message = first_mistake(got, expected, mistakes)
            if message:
                raise AssertionError(f"{message} {label}")
            if passed_odd and only is not None:
                raise AssertionError(
                    f"your weights are right for odd sizes only {label}: "
                    f"{wrong_at(got, expected)}"
                )
            diagnose(got, expected, label=label)
        passed_odd = True
    return True


def layer(x, w, b, pool, flip=False, relu=True, stat="max", stride=None):
    """The three-stage layer of check_conv_layer on one ``(H, W)`` image, or one of
    its usual wrong versions: a flipped kernel, another detector (``relu`` False for
    none, or a function), average pooling (``stat``), another pooling stride."""
    kernel = w[::-1, ::-1] if flip else w
    z = convolution.conv2d(x[None, :, :, None], kernel[:, :, None, :], b)[0]
    if relu is True:
        h = activations.activation("relu", z)
    else:
        h = relu(z) if relu else z
    return pooling.pool2d(h[None], pool, stride or pool, stat)[0]


def check_conv_layer(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, w, b, pool)`` must run the three stages of a convolutional
    layer on one image.

    ``x`` is ``(H, W)``, ``w`` is ``(kh, kw, C)`` (C filters), ``b`` is ``(C,)``, and
    ``pool`` an int. Stage 1 (affine): ``z[i, j, c] = b[c] + sum_{m, q} x[i + m, j +
    q] w[m, q, c]``, the valid cross-correlation, shape ``(H - kh + 1, W - kw + 1,
    C)``; stage 2 (detector): ``h = max(z, 0)``; stage 3: max pooling of each channel
    with windows of ``pool x pool`` and stride ``pool`` ("valid"). The result has
    shape ``((H - kh + 1) // pool, (W - kw + 1) // pool, C)``, as ``Conv2D(C, (kh,
    kw))`` + ``ReLU()`` + ``MaxPooling2D(pool)`` in Keras. Checked on random
    non-square images, kernels (1 x 1 to 4 x 4, not square), 1 to 3 channels and
    pool sizes 1 to 3. Names the usual mistakes: a flipped kernel, the bias missing or
    added after the ReLU, no ReLU, average pooling, no pooling, pooling with stride
    1, channels first, one filter used for every channel.
    """
    rng = np.random.default_rng(seed)
    what = "your convolutional layer"
    cases = [((8, 8), (3, 3), 2, 2), ((9, 7), (2, 3), 3, 2), ((10, 12), (3, 2), 2, 3)]
    cases += [((6, 5), (1, 1), 1, 1), ((7, 9), (4, 2), 2, 2), ((5, 6), (3, 3), 3, 1)]
    cases += [((11, 8), (2, 2), 1, 3), ((8, 10), (3, 4), 2, 2)]
    for image_shape, kernel_shape, channels, pool in cases:
        x = rng.normal(size=image_shape)
        w = rng.normal(size=(*kernel_shape, channels))
        b = rng.uniform(-3.0, 1.0, size=channels)
        b[0] = -abs(b[0]) - 1.0  # some pooled pre-activations negative: ReLU matters
        raw = call(
            fn,
            x,
            w,
            b,
            pool,
            what=what,
            inputs=("x", "w", "b"),
            modified="{what} modified its inputs ({name}); work on copies",
        )
        label = (
            f"(x {image_shape}, w {w.shape}, {channels} channel"
            f"{'s' if channels > 1 else ''}, pool {pool})"
        )
        expected = layer(x, w, b, pool)
        got = as_array(raw, what=what, single=True)
        if close(got, expected):
            continue
        zero = np.zeros_like(b)
        mistakes = [
            Mistake(
                np.moveaxis(expected, -1, 0),
                "channels come first in your result; Keras's layout puts them last: "
                "shape (H_out, W_out, C)",
            ),
            Mistake(
                layer(x, w, b, 1),
                "there is no pooling stage: after the ReLU, take the max over pool x "
                "pool windows with stride pool",
            ),
            Mistake(
                layer(x, w, b, pool, stride=1),
                "your pooling moves by 1, not by pool: the windows must not overlap "
                "(stride = pool)",
            ),
            Mistake(
                layer(x, w, b, pool, flip=True),
                "the kernel is flipped: a convolutional layer computes the "
                "cross-correlation sum x[i + m, j + q] w[m, q, c] (chapter 3), "
                "without flipping w",
            ),
            Mistake(
                layer(x, w, zero, pool),
                "the bias is missing: z = (x cross-correlated with w[:, :, c]) + b[c] "
                "before the ReLU",
            ),
            Mistake(
                layer(x, w, zero, pool) + b,
                "the bias is added after the ReLU (or after pooling): it belongs to "
                "the affine stage, z = correlation + b[c], and the ReLU comes after it",
            ),
            Mistake(
                layer(x, w, -b, pool),
                "the bias is subtracted: z = correlation + b[c]",
            ),
            Mistake(
                layer(x, w, b, pool, relu=False),
                "there is no detector stage: apply the ReLU, max(z, 0), before "
                "pooling (negative pooled values are impossible after a ReLU)",
            ),
            Mistake(
                layer(x, w, b, pool, relu=np.abs),
                "you took |z| as the detector; the ReLU is max(z, 0)",
            ),
            Mistake(
                layer(x, w, b, pool, stat="average"),
                "you averaged each window: that is average pooling; this layer uses "
                "max pooling",
            ),
            Mistake(
                layer(x, np.repeat(w[:, :, :1], channels, axis=2), b, pool),
                "every channel uses the first filter w[:, :, 0]; channel c uses its "
                "own filter w[:, :, c] and bias b[c]",
            ),
        ]
        message = first_mistake(got, expected, mistakes)
        if message:
            raise AssertionError(f"{message} {label}")
        if got.shape != expected.shape:
            kh, kw = kernel_shape
            H, W = image_shape
            if got.ndim == 3 and got.shape[:2] == (H // pool, W // pool):
                raise AssertionError(
                    f"your result has shape {got.shape} {label}, as if the "
                    f"correlation kept the image's size ('same'); this layer uses "
                    f"the valid correlation, (H - kh + 1, W - kw + 1) = "
                    f"{(H - kh + 1, W - kw + 1)} before pooling, {expected.shape} "
                    "after"
                )
            raise AssertionError(
                f"{what} returned shape {got.shape} {label}, expected ((H - kh + 1) "
                f"// pool, (W - kw + 1) // pool, C) = {expected.shape}"
            )
        diagnose(got, expected, label=label)
    return True
