"""Chapter 2, discrete convolution: the checkers of the valid 2-D convolution, the
number of outputs along one axis (padding and stride), the predicted output shapes
of padding and stride combinations, and the convolution matrix.

:func:`run_valid2d` also checks chapter 3's cross-correlation: the two differ by
the flip only, and so do their mistakes."""

from __future__ import annotations

import math
import operator

import numpy as np

from .. import convolution
from ._core import (
    Mistake,
    as_array,
    as_int,
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
    "check_convolve2d",
    "check_toeplitz_matrix",
)

__all__ = [
    "check_convolve2d",
    "check_output_size",
    "check_output_shapes",
    "check_toeplitz_matrix",
]

# The (image shape, kernel shape) pairs check_convolve2d and check_correlate2d try,
# square ones first: a solution that passes those and fails a later group is told
# that it mixes up rows and columns.
_VALID2D_GROUPS = [
    ([((6, 6), (3, 3)), ((7, 7), (2, 2)), ((5, 5), (4, 4))], None),
    ([((5, 8), (3, 3)), ((9, 4), (2, 2))], "square images"),
    ([((7, 7), (2, 4)), ((6, 6), (3, 1))], "square kernels"),
    (
        [
            ((6, 9), (4, 2)),
            ((8, 5), (1, 3)),
            ((4, 6), (1, 1)),
            ((3, 5), (3, 5)),
            ((1, 7), (1, 3)),
        ],
        "square images and kernels",
    ),
]


def _valid2d_mistakes(image, kernel, flip: bool) -> list[Mistake]:
    """The usual wrong versions of a valid 2-D convolution (``flip=True``, chapter 2)
    or cross-correlation (``flip=False``, chapter 3)."""
    kh, kw = kernel.shape
    op = convolution.convolve2d if flip else convolution.correlate2d
    if flip:
        rule = "convolution flips it in both axes, K[::-1, ::-1] (a rotation by 180°)"
        mistakes = [
            Mistake(
                convolution.correlate2d(image, kernel),
                "the kernel is not flipped: that is cross-correlation (chapter 3). "
                "Convolution pairs I[i + m, j + q] with K[kh - 1 - m, kw - 1 - q]: "
                "the window's top-left pixel meets the kernel's bottom-right entry",
            )
        ]
    else:
        rule = "cross-correlation does not flip it at all"
        mistakes = [
            Mistake(
                convolution.convolve2d(image, kernel),
                "the kernel is flipped: that is convolution (chapter 2). "
                "Cross-correlation pairs I[i + m, j + q] with K[m, q], not with "
                "K[kh - 1 - m, kw - 1 - q]",
            )
        ]
    for flipped, axis in ((kernel[::-1, :], "rows"), (kernel[:, ::-1], "columns")):
        mistakes.append(
            Mistake(
                convolution.correlate2d(image, flipped),
                f"the kernel is flipped along the {axis} only: {rule}",
            )
        )
    if kh == kw:
        mistakes.append(
            Mistake(
                op(image, kernel.T),
                "the kernel's indices are swapped (K[q, m] instead of K[m, q]): the "
                "row offset m goes with the kernel's row index",
            )
        )
    for skip_row, skip_col, part in (
        (True, False, "row"),
        (False, True, "column"),
        (True, True, "row and column"),
    ):
        if (skip_row and kh == 1) or (skip_col and kw == 1):
            continue
        for end, side in ((0, "first"), (-1, "last")):
            shorter = kernel.copy()
            if skip_row:
                shorter[end, :] = 0.0
            if skip_col:
                shorter[:, end] = 0.0
            mistakes.append(
                Mistake(
                    op(image, shorter),
                    f"off by one: your sum skips the kernel's {side} {part}; every "
                    f"output adds kh * kw = {kh * kw} products (loop over "
                    "range(kh) and range(kw))",
                )
            )
    return mistakes


def _check_valid2d_case(fn, image, kernel, flip: bool, what: str) -> None:
    """Check one (image, kernel) pair; raise AssertionError naming the mistake."""
    H, W = image.shape
    kh, kw = kernel.shape
    raw = call(
        fn,
        image,
        kernel,
        what=what,
        inputs=("image", "kernel"),
        modified="{what} modified its input {name}; work on copies",
    )
    ops = [
        ("convolution", convolution.convolve2d),
        ("cross-correlation", convolution.correlate2d),
    ]
    if not flip:
        ops.reverse()
    expected = ops[0][1](image, kernel)
    got = as_array(raw, what=what)
    sizes = f"(image {image.shape}, kernel {kernel.shape})"
    transposed = (
        f"your result is transposed {sizes}: S[i, j] must have i running over rows "
        "(the first axis) and j over columns"
    )
    if got.shape != expected.shape:
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    op(image, kernel, mode),
                    f"you returned the {mode!r} {name} {sizes}, shape {got.shape}; "
                    "'valid' keeps only the positions where the kernel lies entirely "
                    "inside the image: shape (H - kh + 1, W - kw + 1) = "
                    f"{expected.shape}",
                )
                for mode in ("full", "same")
                for name, op in ops
            ]
            + [Mistake(expected.T, transposed)],
        )
        if message:
            raise AssertionError(message)
        if got.ndim == 2:
            excess = {got.shape[0] - (H - kh + 1), got.shape[1] - (W - kw + 1)}
            if excess <= {-1, 0}:
                raise AssertionError(
                    f"off by one {sizes}: your output is one too small, shape "
                    f"{got.shape}; there are H - kh + 1 = {H - kh + 1} valid rows "
                    f"and W - kw + 1 = {W - kw + 1} valid columns: loop over "
                    "range(H - kh + 1), not range(H - kh)"
                )
            if excess <= {0, 1}:
                raise AssertionError(
                    f"off by one {sizes}: your output is one too large, shape "
                    f"{got.shape}; the last valid window starts at row H - kh and "
                    f"column W - kw, so the shape is {expected.shape}"
                )
        raise AssertionError(
            f"{what} returned shape {got.shape} {sizes}, expected (H - kh + 1, "
            f"W - kw + 1) = {expected.shape}"
        )
    mistakes = [Mistake(expected.T, transposed.replace(f" {sizes}", ""))]
    diagnose(got, expected, mistakes + _valid2d_mistakes(image, kernel, flip), sizes)


def run_valid2d(fn, seed: int, flip: bool, what: str) -> bool:
    """Check a valid 2-D convolution (``flip``) or cross-correlation on the pairs of
    ``_VALID2D_GROUPS``; a solution right for the square ones only is told so."""
    rng = np.random.default_rng(seed)
    passed_square = False
    for cases, only in _VALID2D_GROUPS:
        for image_shape, kernel_shape in cases:
            image = rng.normal(size=image_shape)
            kernel = rng.normal(size=kernel_shape)
            try:
                _check_valid2d_case(fn, image, kernel, flip, what)
            except AssertionError as error:
                if passed_square and only is not None:
                    raise AssertionError(
                        f"your function works only for {only}: it fails for an "
                        f"image of shape {image_shape} and a kernel of shape "
                        f"{kernel_shape}. Use the number of rows (shape[0]) for the "
                        "row indices i and m and the number of columns (shape[1]) "
                        f"for j and n. Details: {error}"
                    ) from error
                raise
        if only is None:
            passed_square = True
    return True


def check_convolve2d(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(image, kernel)`` must return the valid 2-D convolution.

    S[i, j] = sum_m sum_q I[i + m, j + q] K[kh - 1 - m, kw - 1 - q] for
    0 <= i <= H - kh, 0 <= j <= W - kw: the kernel flipped in both axes, shape
    ``(H - kh + 1, W - kw + 1)``; equal to ``scipy.signal.convolve2d(image, kernel,
    "valid")``. Checked against :func:`convbn.convolution.convolve2d` on square images
    and kernels first, then non-square ones, a 1 x 1 kernel, a kernel as large as the
    image, row and column kernels; the inputs must not be modified.
    """
    return run_valid2d(fn, seed, flip=True, what="your convolution function")


def check_output_size(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(n, k, padding, stride)`` must return the outputs along one axis.

    For an axis of ``n`` inputs and a kernel of ``k`` taps: "valid" gives
    floor((n - k) / s) + 1, "same" ceil(n / s) and "full" ceil((n + k - 1) / s),
    as :func:`convbn.convolution.output_size`. Checked on stride 1 first, then on
    strides 2 to 5, with k = 1, k = n, k > n ("same" and "full") and n = 1.
    """
    rng = np.random.default_rng(seed)
    what = "your output_size"
    cases = [(5, 3), (7, 1), (4, 4), (1, 1), (3, 5), (10, 2), (9, 4)]
    cases += [
        (int(n), int(rng.integers(1, n + 1))) for n in rng.integers(2, 40, size=12)
    ]
    for strides in ((1,), (2, 3, 4, 5)):
        for n, k in cases:
            for padding in convolution.MODES:
                if padding == "valid" and k > n:
                    continue
                for s in strides:
                    where = f"n={n}, k={k}, padding={padding!r}, stride={s}"
                    got = as_int(
                        call(fn, n, k, padding, s, what=what),
                        what,
                        f" for {where}",
                        noun="number",
                        hint="the number of outputs is a whole number; round with "
                        "// (floor) or math.ceil as the formula says",
                    )
                    expected = convolution.output_size(n, k, padding, s)
                    if got == expected:
                        continue
                    mistakes = _output_size_mistakes(n, k, padding, s, where)
                    message = first_mistake(got, expected, mistakes, same=operator.eq)
                    if message:
                        raise AssertionError(message)
                    if s > 1:
                        raise AssertionError(
                            f"right for stride 1 but wrong for {where}: expected "
                            f"{expected}, got {got}. With stride s only every s-th "
                            "of the stride-1 outputs is kept, starting with the "
                            "first: ceil(stride-1 count / s)"
                        )
                    raise AssertionError(
                        f"wrong for {where}: expected {expected}, got {got}"
                    )
    return True


#: The cases of :func:`check_output_shapes`: ``(image shape, layers)``, each layer a
#: ``(kernel shape, mode, stride)``; "f" is a stack of three layers.
SHAPE_CASES = {
    "a": ((28, 28), [((5, 5), "valid", 1)]),
    "b": ((28, 28), [((5, 5), "valid", 2)]),
    "c": ((28, 28), [((5, 5), "same", 2)]),
    "d": ((7, 10), [((3, 4), "full", 3)]),
    "e": ((4, 6), [((5, 3), "same", 2)]),
    "f": ((32, 32), [((3, 3), "valid", 1), ((3, 3), "valid", 2), ((3, 3), "same", 2)]),
}


def output_shapes(cases=None) -> dict:
    """The output shape of every case of ``cases`` (default ``SHAPE_CASES``),
    measured: the shape :func:`convbn.convolution.convolve2d` returns, layer after
    layer."""
    shapes = {}
    for key, (shape, layers) in (cases or SHAPE_CASES).items():
        out = np.zeros(shape)
        for kernel_shape, mode, stride in layers:
            out = convolution.convolve2d(out, np.zeros(kernel_shape), mode, stride)
        shapes[key] = out.shape
    return shapes


def _shape_reason(shape, layers) -> str:
    """How the shape comes out, axis by axis and layer by layer."""
    formula = {
        "valid": "floor(({n} - {k}) / {s}) + 1",
        "same": "ceil({n} / {s})",
        "full": "ceil(({n} + {k} - 1) / {s})",
    }
    steps = []
    for axis in (0, 1):
        n, parts = shape[axis], []
        for kernel_shape, mode, stride in layers:
            k = kernel_shape[axis]
            after = convolution.output_size(n, k, mode, stride)
            parts.append(f"{formula[mode].format(n=n, k=k, s=stride)} = {after}")
            n = after
        steps.append(", then ".join(parts))
    if steps[0] == steps[1]:
        return f"rows and columns alike: {steps[0]}"
    return f"rows {steps[0]}; columns {steps[1]}"


def _axis_mistakes(n, k, mode, s) -> list[Mistake]:
    """The usual wrong predictions of the outputs along one axis, with the reason."""
    count = {"valid": n - k + 1, "same": n, "full": n + k - 1}
    kept = count[mode]
    return [
        Mistake(
            kept if s > 1 else None,
            f"the stride is ignored: stride {s} keeps one in {s} of the {kept} "
            "stride-1 positions, starting with the first",
        ),
        Mistake(
            kept // s if s > 1 and mode != "valid" else None,
            f"floor where ceil is needed: positions 0, {s}, {2 * s}, ... of the "
            f"{kept} stride-1 positions are kept, ceil({kept} / {s}) of them",
        ),
        Mistake(
            math.ceil((n - k) / s) + 1 if s > 1 and mode == "valid" else None,
            f"ceil where floor is needed: a window starting after position n - k = "
            f"{n - k} would stick out of the input",
        ),
        Mistake(
            (n - k) // s if mode == "valid" else None,
            "the + 1 is missing: the windows start at 0, s, 2s, ... up to n - k, "
            "which counts the first one too",
        ),
        Mistake(
            (n - k) // s + 1 if mode != "valid" and k <= n else None,
            f"that is the 'valid' count; {mode!r} pads the input with zeros first",
        ),
        Mistake(
            math.ceil((n + k - 1) / s) if mode == "same" else None,
            "that is the 'full' count; 'same' keeps n positions before the stride",
        ),
        Mistake(
            math.ceil(n / s) if mode == "full" else None,
            "that is the 'same' count; 'full' keeps every overlap, n + k - 1 "
            "positions before the stride",
        ),
    ]


def _as_shape(value, what) -> tuple[int, int]:
    """A predicted shape: two whole numbers (rows, columns)."""
    wanted = f"{what} must be two whole numbers (rows, columns), got {value!r}"
    try:
        if isinstance(value, str | bytes | dict):
            raise TypeError
        numbers = [float(v) for v in value]
    except (TypeError, ValueError) as error:
        raise AssertionError(wanted) from error
    if len(numbers) != 2 or not all(v.is_integer() for v in numbers):
        raise AssertionError(wanted)
    return int(numbers[0]), int(numbers[1])


def check_output_shapes(shapes, seed: int = 0) -> bool:
    """Chapter 2 (predict, then check): ``shapes`` maps each key of
    ``SHAPE_CASES`` to the predicted ``(rows, columns)`` of the output.

    Along each axis of n inputs and a kernel of k taps with stride s, "valid" keeps
    floor((n - k) / s) + 1 outputs, "same" ceil(n / s) and "full"
    ceil((n + k - 1) / s); rows and columns are counted separately, and a stack of
    layers applies the rule to each layer's output in turn. The truth is measured by
    ``output_shapes``. A wrong prediction is explained by the usual mistake on
    its first wrong axis (the stride ignored, floor for ceil or the other way, the
    + 1 forgotten, another mode's count, rows and columns swapped, each layer of the
    stack applied to the input), then by the computation. ``seed`` is unused: the
    question has one answer.
    """
    del seed
    got = as_predictions(shapes, list(SHAPE_CASES), "shapes")
    truth = output_shapes()
    wrong = []
    for key, (shape, layers) in SHAPE_CASES.items():
        what = f"shapes[{key!r}]"
        value = _as_shape(got[key], what)
        expected = truth[key]
        if value == expected:
            continue
        message = None
        if value == expected[::-1]:
            message = "rows and columns are swapped: the rows come from H and kh"
        elif len(layers) == 1:
            (kernel_shape, mode, stride) = layers[0]
            for axis, name in ((0, "rows"), (1, "columns")):
                if value[axis] != expected[axis]:
                    n, k = shape[axis], kernel_shape[axis]
                    found = first_mistake(
                        value[axis],
                        expected[axis],
                        _axis_mistakes(n, k, mode, stride),
                        same=operator.eq,
                    )
                    message = found and f"{name}: {found}"
                    break
        elif (
            value
            == output_shapes({key: (shape, [(k, m, 1) for k, m, _ in layers])})[key]
        ):
            message = "the strides of the stack are ignored"
        elif value == _from_input(shape, layers):
            message = (
                "the last layer was applied to the stack's input: each layer works on "
                "the output of the layer before it"
            )
        because = f"{message[0].upper()}{message[1:]}. " if message else ""
        reason = _shape_reason(shape, layers)
        wrong.append((what, f"{expected}, not {value}. {because}Here {reason}"))
    wrong_predictions(
        wrong,
        len(SHAPE_CASES),
        "The rule, along each axis of n inputs with a kernel of k taps and stride s: "
        "valid floor((n - k) / s) + 1, same ceil(n / s), full ceil((n + k - 1) / s).",
    )
    return True


def _from_input(shape, layers):
    """The last layer's shape if it were applied to the stack's input."""
    kernel_shape, mode, stride = layers[-1]
    return tuple(
        convolution.output_size(n, k, mode, stride)
        for n, k in zip(shape, kernel_shape, strict=True)
    )


def _output_size_mistakes(n, k, padding, s, where) -> list[Mistake]:
    """The classic wrong counts of outputs, in the order they are looked for."""
    count = {"valid": n - k + 1, "same": n, "full": n + k - 1}[padding]
    full = n + k - 1
    valid, same = padding == "valid", padding == "same"
    wrong_padding = (
        f"wrong padding for {where}: 'valid' keeps only the windows that lie "
        f"inside the input, floor((n - k) / s) + 1 = {(n - k) // s + 1}"
    )
    off_by_one = f"off by one for {where}: expected {count}, got "
    return [
        Mistake(
            (n - k) // s if valid else None,
            f"off by one for {where}: you forgot the + 1. The first window starts "
            f"at 0 and the last at n - k, so with stride s there are floor((n - k) "
            f"/ s) + 1 = {(n - k) // s + 1} of them",
        ),
        Mistake(
            count if s > 1 else None,
            f"your function ignores the stride ({where}): stride {s} keeps only "
            f"every {s}-th output, so {count} stride-1 outputs become "
            f"{convolution.output_size(n, k, padding, s)}",
        ),
        Mistake(
            count // s if s > 1 and not valid else None,
            f"you used floor where ceil is needed ({where}): with stride s the "
            f"outputs 0, s, 2s, ... of the {count} stride-1 outputs are kept, which "
            f"is ceil({count} / {s}) = {math.ceil(count / s)}, not {count} // {s}",
        ),
        Mistake(
            math.ceil((n - k) / s) + 1 if s > 1 and valid else None,
            f"you used ceil where floor is needed ({where}): a window starting after "
            f"position n - k = {n - k} would stick out of the input; valid gives "
            f"floor((n - k) / s) + 1 = {(n - k) // s + 1}",
        ),
        Mistake(
            math.ceil(full / s) if k > 1 and same else None,
            f"you confused 'same' and 'full' ({where}): 'same' keeps as many outputs "
            f"as inputs before the stride (n = {n}); n + k - 1 is 'full'",
        ),
        Mistake(
            math.ceil(n / s) if k > 1 and padding == "full" else None,
            f"you confused 'full' and 'same' ({where}): 'full' gives every position "
            f"where kernel and input overlap, n + k - 1 = {full} before the "
            "stride; n is 'same'",
        ),
        Mistake(math.ceil(n / s) if k > 1 and valid else None, wrong_padding),
        Mistake(math.ceil(full / s) if k > 1 and valid else None, wrong_padding),
        Mistake(count + 1 if s == 1 else None, off_by_one + str(count + 1)),
        Mistake(count - 1 if s == 1 else None, off_by_one + str(count - 1)),
    ]


def _toeplitz_mistakes(w, n) -> list[Mistake]:
    """The classic wrong convolution matrices."""
    good = convolution.convolution_matrix(w, n, "full")
    down, up = np.zeros_like(good), np.zeros_like(good)
    down[1:], up[:-1] = good[:-1], good[1:]
    return [
        Mistake(
            convolution.convolution_matrix(w[::-1], n, "full"),
            "the kernel is not flipped: M[i, j] must be w[i - j] (output i takes "
            "input j with weight w[i - j]); you built the cross-correlation matrix, "
            "w[j - i + k - 1]",
        ),
        Mistake(
            good[::-1],
            "your rows are in reverse order: row i of M gives output s[i], so row 0 "
            "holds w[0] in column 0",
        ),
        Mistake(
            good[:, ::-1],
            "your columns are in reverse order: column j of M multiplies input "
            "x[j], so column 0 holds w[0] in row 0",
        ),
        Mistake(
            down,
            "off by one: your diagonals sit one row too low; M[i, j] = w[i - j], "
            "so the main diagonal holds w[0]",
        ),
        Mistake(
            up,
            "off by one: your diagonals sit one row too high; M[i, j] = w[i - j], "
            "so the main diagonal holds w[0]",
        ),
    ]


def check_toeplitz_matrix(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(w, n)`` must return the full 1-D convolution matrix.

    M has shape ``(n + k - 1, n)`` for a kernel ``w`` of length k and
    M[i, j] = w[i - j] (0 where i - j is outside 0..k - 1), so that
    ``M @ x == np.convolve(x, w)`` for every x of length n: a Toeplitz matrix,
    :func:`convbn.convolution.convolution_matrix` ``(w, n)``. Checked on random
    kernels and lengths, including k = 1, n = 1 and a kernel longer than the input;
    ``w`` must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your toeplitz_matrix"
    cases = [(3, 5), (2, 4), (4, 6), (1, 5), (3, 1), (5, 3), (2, 2)]
    cases += [(int(rng.integers(1, 7)), int(rng.integers(1, 12))) for _ in range(8)]
    for k, n in cases:
        w = rng.integers(1, 10, size=k).astype(float)
        w[0] += 10.0  # no palindromes: every mistake changes the matrix
        raw = call(
            fn,
            w,
            n,
            what=what,
            inputs=("w",),
            modified="{what} modified {name}; work on a copy",
        )
        where = f"(w of length k={k}, n={n})"
        expected = convolution.convolution_matrix(w, n, "full")
        got = as_array(raw, what=what)
        if got.shape != expected.shape:
            if got.shape == expected.T.shape and close(got, expected.T):
                raise AssertionError(
                    f"your matrix is transposed {where}: M has one row per output "
                    f"and one column per input, shape (n + k - 1, n) = "
                    f"{expected.shape}, so that M @ x works"
                )
            for mode in ("valid", "same"):
                other = convolution.convolution_matrix(w, n, mode)
                if other.shape != expected.shape and got.shape == other.shape:
                    raise AssertionError(
                        f"your matrix has the shape of the {mode!r} convolution "
                        f"{where}, {got.shape}; the full convolution has n + k - 1 "
                        f"outputs: shape {expected.shape}"
                    )
            raise AssertionError(
                f"{what} returned shape {got.shape} {where}, expected "
                f"(n + k - 1, n) = {expected.shape}"
            )
        if close(got, expected):
            continue
        message = first_mistake(got, expected, _toeplitz_mistakes(w, n))
        if message:
            raise AssertionError(f"{message} {where}")
        raise AssertionError(
            wrong_at(
                got,
                expected,
                noun="entry",
                at=lambda ij, where=where: f"M[{ij[0]}, {ij[1]}] {where}",
            )
            + " (M[i, j] = w[i - j])"
        )
    return True
