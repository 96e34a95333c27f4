"""Chapter 12, a convolutional network in Keras, end to end: the checkers of the
output shape of every layer of a small CNN, the parameters of a convolution and the
batch normalization after it, folding that batch normalization into the
convolution, and each class's precision and recall.

Shapes come from :func:`convbn.convolution.output_size`; the folded layer is
compared with :func:`convbn.convolution.conv2d` and
:func:`convbn.batchnorm.batchnorm_inference`."""

from __future__ import annotations

import operator

import numpy as np

from .. import batchnorm, convolution
from ._core import Mistake, as_array, as_numbers, call, close, first_mistake, wrong_at

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_cnn_shapes",
    "check_conv_bn_params",
    "check_fold_batchnorm",
    "check_precision_recall",
)

__all__ = [
    "check_cnn_shapes",
    "check_conv_bn_params",
    "check_fold_batchnorm",
    "check_precision_recall",
]


def shapes(
    height,
    width,
    channels,
    filters,
    kernel_size,
    pool_size,
    padding,
    *,
    shrink=None,
    pool_round="floor",
    keep_channels=False,
    flatten_channels=True,
    transpose=False,
):
    """Layer output shapes of chapter 12's CNN, or of one of its usual wrong versions.

    The sizes are :func:`convbn.convolution.output_size`'s; a ``shrink`` makes a
    "valid" convolution lose that many rows instead of k - 1, ``pool_round="ceil"``
    rounds the pooled size up. Raises ValueError when a window does not fit.
    """
    h, w, c = height, width, channels
    pooled = "same" if pool_round == "ceil" else "valid"  # ceil(n / p) or floor
    result = []
    for f in filters:
        if padding == "valid" and shrink is not None:
            h, w = h - shrink, w - shrink
        else:
            h, w = (convolution.output_size(n, kernel_size, padding) for n in (h, w))
        c = c if keep_channels else f
        result += [(h, w, c)] * 3
        h, w = (
            convolution.output_size(n, pool_size, pooled, pool_size) for n in (h, w)
        )
        result.append((h, w, c))
    result.append((h * w * c if flatten_channels else h * w,))
    result.append((10,))
    if transpose:
        result = [s if len(s) == 1 else (s[1], s[0], s[2]) for s in result]
    return result


def _shapes_or_none(*case, **mistake):
    """:func:`shapes`, or None when a window of that network does not fit."""
    try:
        return shapes(*case, **mistake)
    except ValueError:
        return None


def _as_shapes(result, what):
    """The student's result as a list of tuples of ints (an int n counts as (n,))."""
    try:
        items = list(result)
    except TypeError as error:
        raise AssertionError(
            f"{what} must return a list of shapes (tuples), got {type(result).__name__}"
        ) from error
    found = []
    for item in items:
        if isinstance(item, int | np.integer):
            item = (item,)
        try:
            shape = tuple(None if v is None else int(v) for v in item)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return a list of shapes such as (28, 28, 8), got an "
                f"entry {item!r}"
            ) from error
        found.append(shape)
    return found


def _shape_mistakes(case) -> list[Mistake]:
    """The usual wrong networks (:func:`shapes` with a mistake switched on)."""
    h, w, c, filters, k, p, padding = case
    valid = padding == "valid"
    return [
        Mistake(
            _shapes_or_none(*case, shrink=k) if valid else None,
            "a 'valid' convolution loses kernel_size - 1 rows "
            "and columns, not kernel_size: H_out = H - k + 1",
        ),
        Mistake(
            _shapes_or_none(*case, shrink=k - 2) if valid else None,
            "a 'valid' convolution gives H - k + 1 rows, not H - k + 3 (off by two)",
        ),
        Mistake(
            _shapes_or_none(*case, shrink=0) if valid else None,
            "a 'valid' convolution shrinks the image: H_out = H - "
            "k + 1 (only padding='same' keeps H)",
        ),
        Mistake(
            _shapes_or_none(*case, pool_round="ceil"),
            "MaxPooling2D's default padding is 'valid': it "
            "rounds DOWN, H_out = floor(H / pool_size), dropping the leftover rows",
        ),
        Mistake(
            _shapes_or_none(*case, keep_channels=True),
            "a Conv2D layer outputs one channel per filter: "
            "its last axis is f, not the number of channels that came in",
        ),
        Mistake(
            _shapes_or_none(*case, flatten_channels=False),
            "Flatten keeps every value: H * W * C, not H * W",
        ),
        Mistake(
            _shapes_or_none(*case, transpose=True),
            "shapes are (height, width, channels), rows first: "
            "height and width are swapped",
        ),
        Mistake(
            _shapes_or_none(h, w, c, filters, k, p, "valid") if not valid else None,
            "padding='same' keeps the height and width: the convolution pads "
            "its input so that H_out = H",
        ),
    ]


def check_cnn_shapes(fn, seed: int = 0) -> bool:
    """Chapter 12: the output shape of every layer of a small CNN.

    ``fn(height, width, channels, filters, kernel_size, pool_size, padding)`` must
    return the list of output shapes, without the batch axis, of the network made of
    one block per entry of the list ``filters`` -- ``Conv2D(f, kernel_size,
    padding=padding)`` -> ``BatchNormalization()`` -> ``ReLU()`` ->
    ``MaxPooling2D(pool_size)`` -- then ``Flatten()`` and ``Dense(10)``: ``4 *
    len(filters) + 2`` tuples such as ``(28, 28, 8)``, ``(784,)``, ``(10,)``. Checked
    on random sizes, square and not, odd sizes that pooling rounds down, both
    paddings, one to three blocks.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [
        (28, 28, 1, [8, 16], 3, 2, "same"),
        (28, 28, 1, [8, 16], 3, 2, "valid"),
        (32, 24, 3, [4], 5, 2, "valid"),
        (15, 21, 2, [6, 5], 3, 3, "same"),
    ]
    while len(cases) < 24:
        filters = [int(v) for v in rng.integers(1, 40, size=int(rng.integers(1, 4)))]
        k, p = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        padding = ("valid", "same")[int(rng.integers(2))]
        h, w = (int(v) for v in rng.integers(8, 70, size=2))
        if _shapes_or_none(h, w, 1, filters, k, p, padding) is not None:
            cases.append((h, w, int(rng.integers(1, 5)), filters, k, p, padding))
    for case in cases:
        h, w, c, filters, k, p, padding = case
        shown = (
            f"(height={h}, width={w}, channels={c}, filters={filters}, "
            f"kernel_size={k}, pool_size={p}, padding={padding!r})"
        )
        got = _as_shapes(call(fn, *case, what=what), what)
        expected = shapes(*case)
        if got == expected:
            continue
        if len(got) != len(expected):
            raise AssertionError(
                f"{what} returned {len(got)} shapes for {shown}, expected "
                f"{len(expected)}: four layers per block (Conv2D, BatchNormalization, "
                "ReLU, MaxPooling2D), then Flatten and Dense"
            )
        if any(len(s) > 0 and s[0] is None for s in got):
            raise AssertionError(
                "leave out the batch axis: return (H, W, C) shapes, not (None, H, W, "
                f"C) as Keras prints them ({shown})"
            )
        message = first_mistake(got, expected, _shape_mistakes(case), same=operator.eq)
        if message:
            raise AssertionError(f"{message} {shown}")
        pairs = enumerate(zip(got, expected, strict=True))
        first = next(i for i, (a, b) in pairs if a != b)
        layers = [
            f"{kind} {b + 1}"
            for b in range(len(filters))
            for kind in ("Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D")
        ] + ["Flatten", "Dense"]
        layer = layers[first]
        if layer.startswith(("BatchNormalization", "ReLU")):
            raise AssertionError(
                f"{layer} does not change the shape (it works value by value); "
                f"expected {expected[first]}, got {got[first]} {shown}"
            )
        if layer == "Dense":
            raise AssertionError(f"Dense(10) outputs (10,), got {got[first]} {shown}")
        raise AssertionError(
            f"wrong shape after layer {first} ({layer}): expected {expected[first]}, "
            f"got {got[first]} {shown}"
        )
    return True


def check_conv_bn_params(fn, seed: int = 0) -> bool:
    """Chapter 12: the parameters of a Conv2D layer and of the BatchNormalization
    after it.

    ``fn(kernel_size, in_channels, filters, use_bias)`` with ``kernel_size = (kh,
    kw)`` must return ``(conv, bn_trainable, bn_non_trainable)``: ``kh * kw *
    in_channels * filters`` weights plus ``filters`` biases if ``use_bias``; the BN
    layer after it has ``2 * filters`` trainable parameters (gamma, beta) and
    ``2 * filters`` non-trainable ones (moving mean and moving variance). Checked on
    random sizes, non-square kernels, with and without bias.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [((3, 3), 8, 16, True), ((3, 3), 1, 8, False), ((5, 1), 3, 4, True)]
    for _ in range(20):
        kh, kw = (int(v) for v in rng.integers(1, 8, size=2))
        cases.append(
            (
                (kh, kw),
                int(rng.integers(1, 65)),
                int(rng.integers(1, 129)),
                bool(rng.integers(2)),
            )
        )
    for (kh, kw), c_in, f, use_bias in cases:
        shown = (
            f"(kernel_size={(kh, kw)}, in_channels={c_in}, filters={f}, "
            f"use_bias={use_bias})"
        )
        result = call(fn, (kh, kw), c_in, f, use_bias, what=what)
        got = as_numbers(result, ("conv", "bn_trainable", "bn_non_trainable"), what)
        conv, trainable, frozen = got
        weights = kh * kw * c_in * f
        expected = (weights + (f if use_bias else 0), 2 * f, 2 * f)
        if got == expected:
            continue
        if conv != expected[0]:
            bias = f if use_bias else 0
            every_channel = (
                "each filter spans every input channel: kh * kw * in_channels "
                "weights per filter"
            )
            not_square = "the kernel is kh x kw, not square: use both sizes"
            per_filter = "there is one kernel per filter: multiply by filters"
            message = first_mistake(
                conv,
                expected[0],
                [
                    Mistake(
                        weights + f if not use_bias else None,
                        "use_bias=False: the convolution has no bias to count",
                    ),
                    Mistake(
                        weights if use_bias else None,
                        "use_bias=True adds one bias per filter: + filters",
                    ),
                    Mistake(kh * kw * f + bias, every_channel),
                    Mistake(kh * kw * f, every_channel),
                    Mistake(
                        kh * kh * c_in * f + bias if kh != kw else None, not_square
                    ),
                    Mistake(
                        kw * kw * c_in * f + bias if kh != kw else None, not_square
                    ),
                    Mistake(kh * kw * c_in + bias, per_filter),
                    Mistake(kh * kw * c_in + 1, per_filter),
                    Mistake(
                        (kh + kw) * c_in * f + bias,
                        "a kh x kw kernel has kh * kw weights, not kh + kw",
                    ),
                ],
                same=operator.eq,
            )
            raise AssertionError(
                f"Conv2D count wrong {shown}: {message or f'expected {expected[0]}'}; "
                f"got {conv}"
            )
        if trainable == 4 * f and frozen == 0:
            raise AssertionError(
                f"BatchNormalization {shown}: only gamma and beta are trained; the "
                "moving mean and variance are updated by averaging, not by the "
                "optimizer, so they are non-trainable (2 * filters each)"
            )
        if (trainable, frozen) == (2 * c_in, 2 * c_in) and f != c_in > 1:
            raise AssertionError(
                f"BatchNormalization {shown}: it normalises the convolution's OUTPUT, "
                "which has `filters` channels, not in_channels"
            )
        if trainable in (2, 1) or frozen in (2, 1):
            raise AssertionError(
                f"BatchNormalization {shown}: there is one gamma, beta, mean and "
                "variance PER CHANNEL (2 * filters trainable, 2 * filters "
                f"non-trainable); got {(trainable, frozen)}"
            )
        raise AssertionError(
            f"BatchNormalization count wrong {shown}: expected (trainable, "
            f"non-trainable) = {expected[1:]}, got {(trainable, frozen)}"
        )
    return True


def fold(w, b, gamma, beta, mean, var, eps, *, mistake=None):
    """Folded ``(w, b)``: BN(conv(x, w, b)) == conv(x, w', b'); or the wrong version
    one of :data:`FOLD_MISTAKES` gives."""
    if mistake == "no_eps":
        scale = gamma / np.sqrt(var)
    elif mistake == "eps_outside":
        scale = gamma / (np.sqrt(var) + eps)
    elif mistake == "no_sqrt":
        scale = gamma / (var + eps)
    elif mistake == "inverse":
        scale = np.sqrt(var + eps) / gamma
    else:
        scale = gamma / np.sqrt(var + eps)
    w2 = w * scale
    if mistake == "input_axis":
        w2 = w * scale[:, None]
    elif mistake == "no_w_scale":
        w2 = w
    elif mistake == "gamma_only":
        w2 = w * gamma
    if mistake == "no_mean":
        b2 = b * scale + beta
    elif mistake == "no_b":
        b2 = beta - mean * scale
    elif mistake == "b_unscaled":
        b2 = b - mean * scale + beta
    elif mistake == "all_unscaled":
        b2 = b - mean + beta
    elif mistake == "no_beta":
        b2 = (b - mean) * scale
    elif mistake == "mean_plus":
        b2 = (b + mean) * scale + beta
    else:
        b2 = (b - mean) * scale + beta
    return w2, b2


FOLD_MISTAKES = {
    "no_eps": "epsilon is missing: divide by sqrt(var + eps), not sqrt(var)",
    "eps_outside": "epsilon belongs inside the square root: sqrt(var + eps), not "
    "sqrt(var) + eps",
    "no_sqrt": "divide by the standard deviation sqrt(var + eps), not by the "
    "variance var + eps",
    "inverse": "the scale is gamma / sqrt(var + eps), not its inverse",
    "input_axis": "the scale has one entry per OUTPUT channel: multiply w along its "
    "last axis (w * scale), not along C_in",
    "no_w_scale": "the weights must be scaled too: w' = w * gamma / sqrt(var + eps)",
    "gamma_only": "the weights are multiplied by gamma / sqrt(var + eps), not by "
    "gamma alone",
    "no_mean": "the bias forgets the moving mean: b' = (b - mean) * scale + beta",
    "no_b": "the convolution's own bias b is lost: b' = (b - mean) * scale + beta",
    "b_unscaled": "b is scaled along with the mean: b' = (b - mean) * scale + beta",
    "all_unscaled": "b - mean must be multiplied by gamma / sqrt(var + eps)",
    "no_beta": "beta is missing: b' = (b - mean) * scale + beta",
    "mean_plus": "the mean is subtracted, not added: (b - mean) * scale",
}


def check_fold_batchnorm(fn, seed: int = 0) -> bool:
    """Chapter 12: fold an inference-mode BatchNormalization into the convolution.

    ``fn(w, b, gamma, beta, mean, var, eps)`` with ``w`` ``(kh, kw, C_in, C_out)``
    and ``b``, ``gamma``, ``beta``, ``mean``, ``var`` ``(C_out,)`` must return ``(w2,
    b2)`` such that ``conv(x, w2) + b2`` equals ``gamma * (conv(x, w) + b - mean) /
    sqrt(var + eps) + beta`` for every x: ``w2 = w * s`` (along the output-channel
    axis) and ``b2 = (b - mean) * s + beta`` with ``s = gamma / sqrt(var + eps)``.
    The inputs must not be modified. Checked on random shapes (C_in = C_out and not),
    random statistics and several epsilons, and on the layer's output with
    :func:`convbn.convolution.conv2d` and :func:`convbn.batchnorm.batchnorm_inference`.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    shapes = [(3, 3, 4, 4), (3, 3, 1, 8), (1, 1, 5, 3), (2, 5, 3, 6)]
    for _ in range(8):
        kh, kw, c_in, c_out = (int(v) for v in rng.integers(1, 7, size=4))
        shapes.append((kh, kw, c_in, c_out))
    for case, shape in enumerate(shapes):
        c_out = shape[3]
        w = rng.normal(size=shape)
        b = rng.normal(size=c_out)
        gamma = rng.uniform(0.3, 3.0, size=c_out) * rng.choice([-1, 1], size=c_out)
        beta = rng.normal(size=c_out)
        mean = rng.normal(size=c_out) * 2
        var = rng.uniform(0.01, 4.0, size=c_out)
        eps = (1e-3, 0.1, 0.5)[case % 3]
        result = call(
            fn,
            w,
            b,
            gamma,
            beta,
            mean,
            var,
            eps,
            what=what,
            inputs=("w", "b", "gamma", "beta", "mean", "var"),
            modified="{what} modified its argument {name} in place; return new arrays",
        )
        try:
            w2, b2 = result
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return a pair (w2, b2), got {type(result).__name__}"
            ) from error
        shown = f"(w of shape {shape}, eps={eps})"
        w2 = as_array(w2, shape, "the folded weights w2")
        b2 = as_array(b2, (c_out,), "the folded bias b2")
        w_ok, b_ok = fold(w, b, gamma, beta, mean, var, eps)
        if close(w2, w_ok) and close(b2, b_ok):
            # the point of folding: the layers agree on real inputs
            x = rng.normal(size=(2, shape[0] + 3, shape[1] + 2, shape[2]))
            before = batchnorm.batchnorm_inference(
                convolution.conv2d(x, w, b), gamma, beta, mean, var, eps
            )
            after = convolution.conv2d(x, w2, b2)
            assert np.allclose(before, after, rtol=1e-6, atol=1e-8)
            continue
        folds = [
            (*fold(w, b, gamma, beta, mean, var, eps, mistake=mistake), message)
            for mistake, message in FOLD_MISTAKES.items()
            if mistake != "input_axis" or shape[2] == shape[3]
        ]
        if close(w2, w_ok):
            mistakes = [Mistake(b_bad, message) for _, b_bad, message in folds]
            message = first_mistake(b2, b_ok, mistakes)
            where = f"folded bias b2 {shown}: {wrong_at(b2, b_ok)}"
        else:
            # A mistake in the weights: the bias must match it too, unless the bias
            # is wrong anyway.
            bias_wrong = not close(b2, b_ok)
            mistakes = [
                Mistake(w_bad, message)
                for w_bad, b_bad, message in folds
                if bias_wrong or close(b2, b_bad)
            ]
            message = first_mistake(w2, w_ok, mistakes)
            where = f"folded weights w2 {shown}: {wrong_at(w2, w_ok)}"
        raise AssertionError(f"{message} {shown}" if message else where)
    return True


def _precision_recall(matrix):
    """Per-class precision (diagonal / column sums) and recall (/ row sums), nan
    where the sum is 0."""
    matrix = np.asarray(matrix, dtype=float)
    hits = np.diag(matrix)
    with np.errstate(divide="ignore", invalid="ignore"):
        return hits / matrix.sum(axis=0), hits / matrix.sum(axis=1)


def _same(a, b) -> bool:
    """Equal pairs of arrays, nan where nan."""
    return all(
        np.shape(x) == np.shape(y)
        and np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
        for x, y in zip(a, b, strict=True)
    )


def _pr_mistakes(counts, shown) -> list[Mistake]:
    precision, recall = _precision_recall(counts)
    once = _precision_recall(counts > 0)
    total = counts.sum()
    hits = np.diag(counts).astype(float)
    return [
        Mistake(
            (recall, precision),
            f"precision and recall are swapped {shown}: precision divides by how "
            "often the class was PREDICTED (a column of the confusion matrix), "
            "recall by how often it OCCURS (a row)",
        ),
        Mistake(
            (np.nan_to_num(precision), np.nan_to_num(recall)),
            f"a class that is never predicted has no precision, and a class that "
            f"never occurs no recall {shown}: return nan (0 / 0) for them, not 0",
        ),
        Mistake(
            (np.nan_to_num(precision), recall),
            f"a class that is never predicted has no precision {shown}: return "
            "nan (0 / 0), not 0",
        ),
        Mistake(
            (precision, np.nan_to_num(recall)),
            f"a class that never occurs has no recall {shown}: return nan (0 / 0), "
            "not 0",
        ),
        Mistake(
            once,
            f"repeated pairs counted once {shown}: `cm[y_true, y_pred] += 1` "
            "writes each (true, predicted) cell once even when the pair occurs many "
            "times; count with np.add.at(cm, (y_true, y_pred), 1) or a loop",
        ),
        Mistake(
            (hits / total, hits / total),
            f"divided by the number of examples N {shown}: precision divides each "
            "class's correct predictions by how often it was predicted, recall by "
            "how often it occurs",
        ),
    ]


def check_precision_recall(fn, seed: int = 0) -> bool:
    """Chapter 12: each class's precision and recall, in numpy.

    ``fn(y_true, y_pred, num_classes)`` with two ``(N,)`` integer label arrays must
    return the pair ``(precision, recall)`` of ``(num_classes,)`` arrays: the
    precision of class j is the fraction of the examples predicted as j that are j,
    the recall of class i the fraction of the examples of i predicted as i, and
    either is nan where it is 0 / 0 (a class never predicted, a class that never
    occurs). Checked on random labels, with repeated pairs, classes that never occur
    or are never predicted (also the last one) and a single example; names swapped
    precision and recall, 0 instead of nan, pairs counted once, division by N, a
    size taken from the labels.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [
        (np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 0]), 3),
        (np.array([1]), np.array([1]), 2),
        (np.array([0, 0, 0, 1]), np.array([1, 1, 1, 1]), 4),
    ]
    for _ in range(15):
        k = int(rng.integers(2, 12))
        n = int(rng.integers(5, 300))
        y_true = rng.integers(0, max(k - 1, 1), size=n)  # the last class never occurs
        y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, k, size=n))
        cases.append((y_true, y_pred, k))
    for y_true, y_pred, k in cases:
        shown = f"(N={len(y_true)}, num_classes={k})"
        with np.errstate(divide="ignore", invalid="ignore"):
            result = call(
                fn,
                y_true,
                y_pred,
                k,
                what=what,
                inputs=("y_true", "y_pred"),
                modified="{what} modified y_true or y_pred in place ({name} changed)",
            )
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise AssertionError(
                f"{what} must return the pair (precision, recall), got "
                f"{type(result).__name__} {shown}"
            )
        for name, part in zip(("precision", "recall"), result, strict=True):
            size = np.shape(part)
            if len(size) == 1 and size[0] < k:
                raise AssertionError(
                    f"{what} returned {name} of shape {size} {shown}: use num_classes "
                    "for the size, a class may never occur in the labels"
                )
        got = tuple(
            as_array(part, (k,), f"{what} ({name})")
            for name, part in zip(("precision", "recall"), result, strict=True)
        )
        counts = np.zeros((k, k))
        np.add.at(counts, (y_true, y_pred), 1)
        expected = _precision_recall(counts)
        if _same(got, expected):
            continue
        message = first_mistake(got, expected, _pr_mistakes(counts, shown), same=_same)
        if message:
            raise AssertionError(message)
        for name, mine, right in zip(
            ("precision", "recall"), got, expected, strict=True
        ):
            wrong = ~np.isclose(mine, right, rtol=1e-9, atol=1e-12, equal_nan=True)
            if np.any(wrong):
                i = int(np.argmax(wrong))
                raise AssertionError(
                    f"wrong {name} of class {i} {shown}: expected {right[i]:.6g}, got "
                    f"{mine[i]:.6g}"
                )
    return True
