"""Chapter 4, sparse interactions and parameter sharing: the checkers of the
parameter counts of dense, sparse and shared layers (a function, and a prediction
for an image), the receptive field of a stack of convolutions (equal layers, and
layers that differ), the layer with sparse interactions but no sharing, and the
difference image (a kernel slid along the rows)."""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution
from ..datasets import sample_image
from ._core import (
    Mistake,
    as_array,
    as_float,
    as_int,
    as_numbers,
    as_predictions,
    call,
    close,
    diagnose,
    first_mistake,
    wrong_at,
    wrong_predictions,
)

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_receptive_field_stack",
    "check_locally_connected1d",
)

__all__ = [
    "check_parameter_counts",
    "check_layer_counts",
    "check_receptive_field",
    "check_receptive_field_stack",
    "check_locally_connected1d",
    "check_difference_image",
]

#: The layer of :func:`check_layer_counts`: a COUNT_IMAGE x COUNT_IMAGE image, a
#: COUNT_KERNEL x COUNT_KERNEL kernel in valid mode, and COUNT_DEPTH such layers
#: stacked for the receptive field.
COUNT_IMAGE, COUNT_KERNEL, COUNT_DEPTH = 28, 5, 3


def check_parameter_counts(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(m, n, k)`` must return ``(dense, sparse, shared)`` parameters.

    A layer with ``m`` inputs and ``n`` outputs needs ``m * n`` weights fully
    connected, ``k * n`` when each output sees only ``k`` inputs (sparse interactions,
    one private kernel per output) and ``k`` when every output uses the same kernel
    (parameter sharing). Checked on random sizes with k <= m, including k = 1, k = m
    and m != n.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(7, 5, 3), (5, 9, 2), (6, 6, 1), (4, 3, 4)]
    for _ in range(12):
        m = int(rng.integers(2, 3000))
        cases.append((m, int(rng.integers(2, 3000)), int(rng.integers(1, min(m, 12)))))
    for m, n, k in cases:
        result = call(fn, m, n, k, what=what)
        got = as_numbers(result, ("dense", "sparse", "shared"), what)
        expected = (m * n, k * n, k)
        if got == expected:
            continue
        dense, sparse, shared = got
        where = f"(m={m}, n={n}, k={k})"
        if sorted(got) == sorted(expected):
            raise AssertionError(
                f"the right numbers in the wrong order {where}: return (dense, sparse, "
                f"shared) = ({m * n}, {k * n}, {k}), got {got}"
            )
        if dense != m * n:
            if dense in (m + n, m * m, n * n):
                raise AssertionError(
                    f"dense count wrong {where}: every one of the n outputs has a "
                    f"weight for every one of the m inputs, m * n = {m * n}; got "
                    f"{dense}"
                )
            raise AssertionError(
                f"dense count wrong {where}: expected m * n = {m * n}, got {dense}"
            )
        if sparse != k * n:
            if sparse == k * m and m != n:
                raise AssertionError(
                    f"sparse count wrong {where}: there is one kernel of k weights per "
                    f"OUTPUT, so k * n = {k * n}, not k * m = {k * m}"
                )
            if sparse == k:
                raise AssertionError(
                    f"sparse count wrong {where}: without sharing each of the n "
                    f"outputs has its own k weights, k * n = {k * n}; k alone is the "
                    "shared count"
                )
            raise AssertionError(
                f"sparse count wrong {where}: expected k * n = {k * n}, got {sparse}"
            )
        if shared == k * n:
            raise AssertionError(
                f"shared count wrong {where}: with parameter sharing all outputs use "
                f"the SAME kernel, so only k = {k} parameters remain, not k * n"
            )
        if shared == 1:
            raise AssertionError(
                f"shared count wrong {where}: the one shared kernel still has k = {k} "
                "weights"
            )
        raise AssertionError(
            f"shared count wrong {where}: expected k = {k}, got {shared}"
        )
    return True


def _receptive_field(k, depth, stride=1):
    return 1 + (k - 1) * sum(stride**i for i in range(depth))


def check_receptive_field(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(k, depth, stride=1)`` must return the receptive field size.

    One unit of layer ``depth`` in a stack of convolutions with kernel width ``k``
    (and stride ``stride`` in every layer) depends on d (k - 1) + 1 inputs for
    stride 1, and on 1 + (k - 1) (1 + s + ... + s^(d - 1)) for stride s. Checked first
    with ``fn(k, depth)`` (stride 1), including k = 1 and depth = 1, then with strides.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(3, 2), (5, 3), (3, 1), (1, 4), (2, 5)]
    cases += [(int(rng.integers(2, 12)), int(rng.integers(1, 10))) for _ in range(10)]
    for k, depth in cases:
        got = call(fn, k, depth, what=what)
        expected = _receptive_field(k, depth)
        where = f"k={k}, depth={depth}"
        if not np.isscalar(got) and np.ndim(got) != 0:
            raise AssertionError(f"{what} must return one number, got {got!r}")
        if got == expected:
            continue
        off_by_one = f"off by one for {where}: expected {expected}, got {got}"
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    k * depth,
                    f"for {where} you returned k * depth = {got}: neighbouring units "
                    "of a layer share k - 1 of their inputs, so each layer adds only "
                    f"k - 1 new inputs: depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(
                    depth * (k - 1),
                    f"off by one for {where}: depth * (k - 1) forgets the unit's own "
                    f"position; the answer is depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(
                    k**depth,
                    f"for {where} you returned k ** depth = {got}: the inputs seen by "
                    f"neighbouring units overlap, so the field grows linearly, "
                    f"depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(expected + 1, off_by_one),
                Mistake(expected - 1, off_by_one),
            ],
            same=operator.eq,
        )
        raise AssertionError(
            message or f"wrong size for {where}: expected {expected}, got {got}"
        )
    stride_cases = [(3, 3, 2), (2, 4, 3), (3, 1, 3), (1, 3, 2)]
    stride_cases += [
        (int(rng.integers(2, 8)), int(rng.integers(1, 6)), int(rng.integers(2, 4)))
        for _ in range(8)
    ]
    for k, depth, stride in stride_cases:
        try:
            got = call(fn, k, depth, stride, what=what)
        except AssertionError as error:
            if "positional argument" not in str(error):
                raise
            raise AssertionError(
                f"{error}; give your function a third parameter, stride=1"
            ) from error
        expected = _receptive_field(k, depth, stride)
        where = f"k={k}, depth={depth}, stride={stride}"
        if got == expected:
            continue
        compounds = (
            f"for {where} you returned {got}: the stride compounds, layer l adds "
            f"(k - 1) * s**(l - 1) inputs (not (k - 1) * s); expected {expected}"
        )
        power = (
            f"off by one power for {where}: the first layer adds k - 1 inputs "
            f"(s**0), the last (k - 1) * s**(depth - 1); expected {expected}"
        )
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    _receptive_field(k, depth),
                    f"for {where} you returned {got}, the stride-1 answer: a stride s "
                    "spreads the units of the layer below s inputs apart, so layer l "
                    f"adds (k - 1) * s**(l - 1) inputs; expected {expected}",
                ),
                Mistake(1 + (k - 1) * depth * stride, compounds),
                Mistake(stride * (depth * (k - 1) + 1), compounds),
                Mistake(1 + (k - 1) * stride**depth, power),
                Mistake(
                    1 + (k - 1) * sum(stride**i for i in range(1, depth + 1)), power
                ),
            ],
            same=operator.eq,
        )
        raise AssertionError(
            message or f"wrong size for {where}: expected {expected}, got {got}"
        )
    return True


def check_difference_image(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(image)`` must return ``image[:, 1:] - image[:, :-1]``.

    Each output pixel is a pixel minus its left neighbour (the kernel [-1, 1] slid
    along each row), so an ``(H, W)`` image gives ``(H, W - 1)``: large values at
    vertical edges. Checked on random non-square images (including W = 2 and H = 1)
    and a photograph crop; the input must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    images = [
        rng.normal(size=(int(rng.integers(2, 30)), int(rng.integers(2, 30))))
        for _ in range(8)
    ]
    images += [
        rng.normal(size=(5, 8)),
        rng.normal(size=(9, 4)),
        rng.normal(size=(3, 2)),
        rng.normal(size=(1, 6)),
        sample_image("chelsea")[50:90, 100:160],
    ]
    for image in images:
        raw = call(
            fn,
            image,
            what=what,
            inputs=("image",),
            modified="{what} modified the image; work on a copy",
        )
        h, w = image.shape
        expected = convolution.correlate2d(image, np.array([[-1.0, 1.0]]))
        got = as_array(raw, what=what, single=True)
        vertical = image[1:, :] - image[:-1, :]
        if h > 1 and close(np.abs(got), np.abs(vertical)):
            raise AssertionError(
                "you took differences down the columns (pixel minus the pixel above, "
                "axis 0): that finds horizontal edges. Subtract the LEFT neighbour, "
                "along axis 1: image[:, 1:] - image[:, :-1]"
            )
        if got.shape == (w - 1, h) and close(np.abs(got), np.abs(expected.T)):
            raise AssertionError(
                f"your result is transposed: shape {got.shape}, expected (H, W - 1) = "
                f"{expected.shape}"
            )
        if got.shape == (h, w):
            raise AssertionError(
                f"your result has shape {got.shape}, the input's: the kernel [-1, 1] "
                "fits in W - 1 positions per row (valid mode), so return shape "
                f"(H, W - 1) = {expected.shape}, without padding"
            )
        got = as_array(got, expected.shape, what)
        if close(got, expected):
            continue
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    -expected,
                    "wrong sign: each output is the pixel minus its LEFT neighbour, "
                    "image[:, j + 1] - image[:, j], not the other way round",
                ),
                Mistake(
                    np.abs(expected),
                    "you returned absolute values; keep the sign: dark-to-bright "
                    "edges are positive, bright-to-dark negative",
                ),
            ],
        )
        raise AssertionError(
            message or f"{wrong_at(got, expected)} for an image of shape {image.shape}"
        )
    return True


def layer_counts() -> dict:
    """The answers of :func:`check_layer_counts`, measured with ``convbn``.

    The output size is :func:`convbn.convolution.output_size`; the receptive field
    is the number of input pixels an impulse reaches through COUNT_DEPTH layers
    (:func:`convbn.convolution.convolve2d`, "full", a kernel of ones), which by
    the same count is the number of inputs one unit depends on.
    """
    m = COUNT_IMAGE**2
    n = convolution.output_size(COUNT_IMAGE, COUNT_KERNEL) ** 2
    taps = COUNT_KERNEL**2
    spread = np.ones((1, 1))
    for _ in range(COUNT_DEPTH):
        spread = convolution.convolve2d(spread, np.ones((COUNT_KERNEL,) * 2), "full")
    return {
        "dense": m * n,
        "sparse": taps * n,
        "shared": taps,
        "field": int(np.count_nonzero(spread)),
    }


def check_layer_counts(counts, seed: int = 0) -> bool:
    """Chapter 4 (predict, then check): ``counts`` holds the predicted
    ``"dense"``, ``"sparse"`` and ``"shared"`` parameter counts of a layer from a
    28 x 28 image to the valid 24 x 24 output of a 5 x 5 kernel (no bias), and the
    ``"field"``: how many input pixels one unit of the third of three such layers
    depends on.

    In 2-D the chapter's m, n and k count pixels: m = 28 * 28 inputs, n = 24 * 24
    outputs, k = 5 * 5 taps, so m n, k n and k; the field is (d (k - 1) + 1)^2 =
    13 * 13 pixels, the 1-D rule along each axis. The truth comes from
    ``layer_counts``; each wrong count is explained. ``seed`` is unused: the
    question has one answer.
    """
    del seed
    names = ("dense", "sparse", "shared", "field")
    got = as_predictions(counts, names, "counts")
    truth = layer_counts()
    m, n = COUNT_IMAGE**2, truth["dense"] // COUNT_IMAGE**2
    side_in, side_out, k, d = COUNT_IMAGE, int(round(n**0.5)), COUNT_KERNEL, COUNT_DEPTH
    side = d * (k - 1) + 1
    taps = k * k
    explain = {
        "dense": f"every one of the n = {side_out} * {side_out} = {n} outputs has a "
        f"weight for every one of the m = {side_in} * {side_in} = {m} inputs: m n",
        "sparse": f"each of the n = {n} outputs has its own {k} x {k} = {taps} "
        "weights: k n",
        "shared": f"all outputs share one {k} x {k} kernel: k = {taps}",
        "field": f"along each axis d (k - 1) + 1 = {d} * {k - 1} + 1 = {side} "
        f"inputs, so {side} x {side} = {side * side} pixels",
    }
    mistakes = {
        "dense": [
            Mistake(m * m, "that is m * m: the outputs are fewer than the inputs"),
            Mistake(n * n, "that is n * n: the inputs are more than the outputs"),
            Mistake(side_in * side_out, "a 2-D layer counts pixels, not rows"),
            Mistake(m + n, "weights multiply: one per (input, output) pair"),
        ],
        "sparse": [
            Mistake(taps * m, "one kernel per OUTPUT, not per input"),
            Mistake(k * n, f"a {k} x {k} window has {taps} weights, not {k}"),
            Mistake(
                taps,
                "that is the shared count: without sharing each output "
                "has weights of its own",
            ),
            Mistake(taps * m * n, "each output sees only its window, not all m inputs"),
        ],
        "shared": [
            Mistake(k, f"a {k} x {k} kernel has {taps} weights"),
            Mistake(taps * n, "that is the sparse count: sharing leaves one kernel"),
            Mistake(1, "the shared kernel still has one weight per tap"),
        ],
        "field": [
            Mistake(side, f"{side} is the side; the unit sees {side} x {side} pixels"),
            Mistake(
                d * (taps - 1) + 1,
                "d (k - 1) + 1 with k = 25 taps treats the image as a line; the rule "
                "holds along each axis, with k = 5",
            ),
            Mistake(k**d, "the field grows linearly along each axis, not as k^d"),
            Mistake(taps**d, "the field grows linearly along each axis, not as k^d"),
            Mistake(
                (d * k) ** 2,
                "neighbouring windows overlap: each layer adds k - "
                "1 rows and columns, not k",
            ),
            Mistake((side - 1) ** 2, "off by one along each axis: d (k - 1) + 1"),
            Mistake(taps * d, "the field is not a sum of windows; it is a square"),
        ],
    }
    wrong = []
    for name in names:
        value = as_float(got[name], f"counts[{name!r}]")
        expected = truth[name]
        if value == expected:
            continue
        found = first_mistake(value, expected, mistakes[name], same=lambda a, b: a == b)
        because = f"{found[0].upper()}{found[1:]}. " if found else ""
        wrong.append(
            (
                f"counts[{name!r}]",
                f"{expected:,}, not {value:,g}. {because}The count: {explain[name]}",
            )
        )
    wrong_predictions(
        wrong,
        len(names),
        "The rule: in 2-D the chapter's m, n and k count pixels (inputs, outputs, "
        "kernel taps), and receptive fields grow by the 1-D rule along each axis.",
    )
    return True


def receptive_field_by_impulses(kernels, strides) -> int:
    """The receptive field of one unit of the last layer of a stack, measured.

    Layer l correlates with ``kernels[l]`` ones and keeps every ``strides[l]``-th
    output (:func:`convbn.convolution.correlate1d`, valid); an impulse at each
    input position shows whether it reaches the middle unit of the last layer. The
    field runs from the first such position to the last.
    """
    field = 1 + sum(
        (k - 1) * int(np.prod(strides[:i], dtype=np.int64))
        for i, k in enumerate(kernels)
    )
    n = 3 * field + 2 * int(np.prod(strides, dtype=np.int64)) + 10
    seen = []
    for position in range(n):
        x = np.zeros(n)
        x[position] = 1.0
        for k, s in zip(kernels, strides, strict=True):
            x = convolution.correlate1d(x, np.ones(k), "valid")[::s]
        if x[len(x) // 2] != 0:
            seen.append(position)
    return seen[-1] - seen[0] + 1


def check_receptive_field_stack(fn, seed: int = 0) -> bool:
    """Chapter 4 (derive): ``fn(kernels, strides)`` must return the receptive field
    of one unit of the last layer of a stack whose layer l has a kernel of width
    ``kernels[l]`` and stride ``strides[l]`` (lists of ints, first layer first).

    r = 1 + sum_l (k_l - 1) * s_1 s_2 ... s_(l-1): layer l reads units of the layer
    below, which lie s_1 ... s_(l-1) inputs apart (its own stride spaces its outputs,
    not its inputs). Checked against ``receptive_field_by_impulses`` on one
    layer, equal layers (the chapter's formulas), kernels of width 1, strides larger
    than the kernel and random stacks; the lists must not be modified. A mistake is
    named only when it explains the answers of every stack: each layer's own stride
    counted, the strides ignored, the layers reversed, the spacing added instead of
    multiplied, the first kernel used for every layer, kernels multiplied, off by
    one.
    """
    rng = np.random.default_rng(seed)
    what = "your receptive_field"
    cases = [
        ([3], [1]),
        ([5], [2]),
        ([3, 3, 3], [1, 1, 1]),
        ([3, 3, 3], [2, 2, 2]),
        ([5, 3, 3], [1, 2, 1]),
        ([3, 5, 2, 3], [2, 1, 3, 1]),
        ([1, 4, 2], [3, 2, 1]),
        ([2, 2], [4, 1]),
    ]
    for _ in range(8):
        depth = int(rng.integers(1, 5))
        cases.append(
            (
                [int(k) for k in rng.integers(1, 7, depth)],
                [int(s) for s in rng.integers(1, 4, depth)],
            )
        )
    answers = []
    for kernels, strides in cases:
        given_k, given_s = list(kernels), list(strides)
        raw = call(fn, given_k, given_s, what=what)
        if given_k != kernels or given_s != strides:
            raise AssertionError(f"{what} modified the lists it was given")
        where = f" for kernels={kernels}, strides={strides}"
        answers.append(as_int(raw, what, where, noun="number"))
    expected = [receptive_field_by_impulses(k, s) for k, s in cases]
    if answers == expected:
        return True
    # A mistake is named when it explains the answers of every case.
    rule = (
        "layer l adds (k_l - 1) times the spacing of the units it reads, "
        "s_1 s_2 ... s_(l-1) inputs"
    )
    mistakes = [
        Mistake(
            [_stack(k, s, own=True) for k, s in cases],
            "each layer's own stride is counted: a layer's stride spaces its "
            "OUTPUTS; its kernel reads units of the layer below, s_1 ... s_(l-1) "
            "inputs apart",
        ),
        Mistake(
            [_stack(k, [1] * len(k)) for k, _ in cases],
            f"the strides are ignored: {rule}",
        ),
        Mistake(
            [_stack(k[::-1], s[::-1]) for k, s in cases],
            "the layers are taken in reverse order: kernels[0] and strides[0] belong "
            "to the first layer, next to the input",
        ),
        Mistake(
            [_stack(k, s, add=True) for k, s in cases],
            f"the spacing multiplies, it does not add: {rule}",
        ),
        Mistake(
            [_stack([k[0]] * len(k), s) for k, s in cases],
            "every layer uses the first layer's kernel width",
        ),
        Mistake(
            [int(np.prod(k, dtype=np.int64)) for k, _ in cases],
            "fields do not multiply: neighbouring units share inputs",
        ),
        Mistake([e - 1 for e in expected], f"off by one: r = 1 + sum ..., {rule}"),
        Mistake([e + 1 for e in expected], f"off by one: r = 1 + sum ..., {rule}"),
    ]
    message = first_mistake(answers, expected, mistakes, same=operator.eq)
    index = next(
        i for i, (a, e) in enumerate(zip(answers, expected, strict=True)) if a != e
    )
    kernels, strides = cases[index]
    raise AssertionError(
        f"{message or f'wrong field: {rule}'} (kernels={kernels}, strides={strides}: "
        f"expected {expected[index]}, got {answers[index]})"
    )


def _stack(kernels, strides, own=False, add=False) -> int:
    """The field of a stack by the rule, or with one of the usual mistakes: each
    layer's ``own`` stride counted, or the spacing growing by addition (``add``)."""
    field, spacing = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        if own:
            spacing *= s
        field += (k - 1) * spacing
        if add:
            spacing += s
        elif not own:
            spacing *= s
    return field


def _locally_connected(x, weights) -> np.ndarray:
    """Output i is the valid correlation of ``x`` with row i of ``weights``, at i."""
    return np.array(
        [convolution.correlate1d(x, row, "valid")[i] for i, row in enumerate(weights)]
    )


def check_locally_connected1d(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(x, weights)`` must return the output of a 1-D layer with
    sparse interactions and no parameter sharing.

    ``x`` has length n and ``weights`` shape ``(n - k + 1, k)``: output i has its own
    k weights, ``out[i] = sum_a weights[i, a] x[i + a]`` (Keras's
    ``LocallyConnected1D`` without bias); with every row equal to w it is the valid
    cross-correlation with w. Checked against :func:`convbn.convolution.correlate1d`
    row by row on random lengths, k = 1 and k = n; the inputs must not be modified.
    Names one shared kernel for all outputs, a reversed window (convolution), the
    rows in reverse order, the window at the wrong offset, a 'same' or 'full' length.
    """
    rng = np.random.default_rng(seed)
    what = "your locally_connected1d"
    cases = [(8, 3), (10, 4), (6, 1), (5, 5), (12, 2), (7, 6)]
    cases += [(int(n), int(rng.integers(1, n + 1))) for n in rng.integers(2, 20, 6)]
    for n, k in cases:
        x = rng.normal(size=n)
        weights = rng.normal(size=(n - k + 1, k))
        raw = call(
            fn,
            x,
            weights,
            what=what,
            inputs=("x", "weights"),
            modified="{what} modified its input {name}; work on a copy",
        )
        expected = _locally_connected(x, weights)
        got = as_array(raw, what=what, single=True)
        label = f"(len(x) = {n}, weights of shape {weights.shape})"
        if got.shape != expected.shape:
            if got.shape in ((n,), (n + k - 1,)):
                raise AssertionError(
                    f"{what} returned {got.shape[0]} values {label}: the layer has "
                    f"one output per window that fits, n - k + 1 = {n - k + 1}, one "
                    "per row of weights"
                )
            diagnose(got, expected, label=label, what=what)
        shifted = (
            _locally_connected(np.concatenate([x[1:], [0.0]]), weights)
            if k < n
            else None
        )
        mistakes = [
            Mistake(
                convolution.correlate1d(x, weights[0], "valid") if n > k else None,
                "every output uses the first row of weights: without sharing, "
                "output i has weights of its own, weights[i]",
            ),
            Mistake(
                _locally_connected(x, weights[:, ::-1]) if k > 1 else None,
                "the window is reversed: output i pairs x[i + a] with weights[i, a] "
                "(no flip, as in the chapter's s_i = sum_a w_a x_(i + a))",
            ),
            Mistake(
                _locally_connected(x, weights[::-1]) if n > k else None,
                "the rows are used in reverse order: row i of weights belongs to "
                "output i",
            ),
            Mistake(
                shifted,
                "the window is one position late: output i starts at x[i], so "
                "out[i] = sum_a weights[i, a] x[i + a]",
            ),
        ]
        diagnose(got, expected, mistakes, label, what=what)
    return True
