"""Chapter 5, equivariance: the checkers of the shift with zero fill, the circular
cross-correlation (an image on a torus), the test of translation equivariance, the
predicted equivariance of nine maps, and the search for a counterexample."""

from __future__ import annotations

import operator

import numpy as np

from .. import activations, convolution
from ._core import (
    InputModified,
    Mistake,
    as_array,
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
    "check_shift",
    "check_find_counterexample",
)

__all__ = [
    "check_shift",
    "check_circular_correlate2d",
    "check_is_equivariant",
    "check_equivariance_predictions",
    "check_find_counterexample",
]


def _shift(x, d: int, axis: int = 0) -> np.ndarray:
    """g(x)[i] = x[i - d] along ``axis``, zeros where i - d falls outside."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    out = np.zeros_like(x)
    n = x.shape[0]
    if 0 <= d < n:
        out[d:] = x[: n - d]
    elif -n < d < 0:
        out[: n + d] = x[-d:]
    return np.moveaxis(out, 0, axis)


def check_shift(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(x, d)`` must shift ``x`` by ``d`` along axis 0, with zero fill.

    g(x)[i] = x[i - d]: for a 1-D array the content moves ``d`` places to the right,
    for a 2-D array (an image) ``d`` rows down; a negative ``d`` moves it left / up.
    Places with no source (i - d outside the array) get 0, nothing wraps around, the
    shape stays the same and ``x`` is not modified. Checked on 1-D and 2-D arrays with
    d = 0, positive, negative and ``|d| >= len(x)``.
    """
    rng = np.random.default_rng(seed)
    what = "your shift function"
    cases = []
    for ndim in (1, 2):
        for d in (1, 3, 0, -1, -2, "n", "n+2"):
            n = int(rng.integers(5, 12))
            shape = (n,) if ndim == 1 else (n, int(rng.integers(3, 9)))
            amount = n if d == "n" else n + 2 if d == "n+2" else d
            cases.append((rng.normal(size=shape), amount))
    cases.append((np.arange(1, 8), 2))  # integers work too
    for x, d in cases:
        n = x.shape[0]
        try:
            raw = call(fn, x, d, what=what, inputs=("x",))
        except InputModified:
            raise
        except AssertionError as error:
            if d == 0:
                raise AssertionError(
                    f"{error}; d = 0 must return x unchanged -- careful, x[:-0] is "
                    "x[:0], the empty array"
                ) from error
            raise
        expected = _shift(x, d)
        got = as_array(raw, what=what, single=True)
        if got.shape != x.shape:
            if d == 0 and got.shape[:1] == (0,):
                raise AssertionError(
                    "d = 0 must return x unchanged; careful, x[:-0] is x[:0], the "
                    "empty array"
                )
            if got.ndim == x.ndim and got.shape[0] == n + abs(d) and d:
                raise AssertionError(
                    f"you added {abs(d)} zeros but did not cut the array back to its "
                    f"length {n}: the shape must not change"
                )
            if got.ndim == x.ndim and got.shape[0] == n - abs(d) and d:
                raise AssertionError(
                    f"you dropped {abs(d)} elements but did not put zeros in their "
                    f"place: the shape must stay {x.shape}"
                )
        got = as_array(got, x.shape, what)
        if close(got, expected):
            continue
        label = f"(shape {x.shape}, d={d})"
        if abs(d) >= n:
            raise AssertionError(
                f"a shift by |d| >= len(x) pushes everything out: the result is all "
                f"zeros {label}"
            )
        mistakes = [
            Mistake(
                _shift(x, -d),
                f"wrong direction {label}: g(x)[i] = x[i - d] moves the content to "
                "larger indices (right, or down for an image) when d > 0",
            ),
            Mistake(
                np.roll(x, d, axis=0),
                f"your shift wraps around {label}: the elements pushed off one end "
                "reappear at the other (that is np.roll); fill with zeros instead",
            ),
            Mistake(
                np.roll(x, -d, axis=0),
                f"your shift wraps around and goes the wrong way {label}: use zeros "
                "and g(x)[i] = x[i - d]",
            ),
            Mistake(
                _shift(x, d, axis=1) if x.ndim == 2 and abs(d) < x.shape[1] else None,
                f"you shifted along the wrong axis {label}: an image moves d "
                "rows down (axis 0), not d columns right",
            ),
        ]
        message = first_mistake(got, expected, mistakes)
        if message is None and d < 0:
            message = (
                f"a negative d is wrong {label}: it moves the content |d| places "
                "left (up), g(x)[i] = x[i + |d|], zeros at the end"
            )
        raise AssertionError(message or f"{wrong_at(got, expected)} {label}")
    return True


def check_circular_correlate2d(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(image, kernel)`` must return the circular cross-correlation.

    S[i, j] = sum_m sum_n I[(i + m - kh // 2) mod H, (j + n - kw // 2) mod W] K[m, n]
    for an ``(H, W)`` image and a ``(kh, kw)`` kernel of odd sizes: the image wraps
    around at its borders, the output has the image's shape and S[i, j] is centred on
    pixel (i, j). Checked on random non-square images and kernels (1 x 1, 3 x 1,
    1 x 5, 3 x 3, 5 x 3, ...); the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your circular correlation"
    sizes = [(3, 3), (1, 1), (3, 1), (1, 5), (5, 3), (3, 5), (5, 5), (3, 3)]
    for kh, kw in sizes:
        h, w = int(rng.integers(kh + 2, 13)), int(rng.integers(kw + 3, 14))
        image = rng.normal(size=(h, w))
        kernel = rng.normal(size=(kh, kw))
        raw = call(
            fn,
            image,
            kernel,
            what=what,
            inputs=("image", "kernel"),
            modified="{what} modified its inputs ({name}); work on copies",
        )
        wrapped = convolution.pad_same(image, kernel.shape, boundary="wrap")
        expected = convolution.correlate2d(wrapped, kernel)
        label = f"(image {h}x{w}, kernel {kh}x{kw})"
        got = as_array(raw, what=what)
        if got.shape == (h - kh + 1, w - kw + 1) and got.shape != (h, w):
            raise AssertionError(
                f"you returned the valid part {got.shape} {label}; wrap the image "
                f"around (pad it with its own opposite border) so the output keeps "
                f"the image's shape {(h, w)}"
            )
        if got.shape == (h + kh - 1, w + kw - 1) and got.shape != (h, w):
            raise AssertionError(
                f"you returned {got.shape}, the size of a full correlation {label}; "
                f"the circular correlation has the image's shape {(h, w)}"
            )
        got = as_array(got, (h, w), what)
        ph, pw = kh // 2, kw // 2
        mistakes = [
            Mistake(
                convolution.correlate2d(image, kernel, mode="same"),
                "you padded with zeros: at the borders the kernel must see "
                "the opposite side of the image (np.pad(..., mode='wrap')), not zeros",
            ),
            Mistake(
                convolution.correlate2d(wrapped, kernel[::-1, ::-1]),
                "the kernel is flipped: that is circular convolution; "
                "cross-correlation uses K[m, n] as it is",
            ),
            Mistake(
                convolution.correlate2d(wrapped, kernel.T) if kh == kw > 1 else None,
                "the kernel is transposed",
            ),
        ]
        for dy, dx in ((ph, pw), (-ph, -pw), (ph, 0), (0, pw), (-ph, 0), (0, -pw)):
            mistakes.append(
                Mistake(
                    np.roll(expected, (dy, dx), axis=(0, 1)) if dy or dx else None,
                    f"off by the kernel centre: your output is the right one "
                    f"moved by {(dy, dx)} pixels; S[i, j] must be centred on pixel "
                    "(i, j): pad kh // 2 rows before and kh - 1 - kh // 2 after (same "
                    "for columns), or start the window at i - kh // 2",
                )
            )
        diagnose(got, expected, mistakes, label)
    return True


def equivariance_cases(rng):
    """``(description, f, x, shift, equivariant)`` for check_is_equivariant: both
    kinds of f."""
    x1 = rng.normal(size=12)
    x2 = rng.normal(size=(7, 6))
    box = np.array([0.2, 0.5, 0.3])

    def circular_smooth(x):  # equivariant, computed with FFTs: rounding errors
        w = np.zeros(len(x))
        w[: len(box)] = box
        return np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(w)))

    def zero_padded_smooth(x):  # zero padding at the ends: not equivariant
        return np.convolve(x, box, mode="same")

    def circular_rows(x):  # a circular 3-tap filter along axis 0
        return 2 * x - np.roll(x, 1, axis=0) - np.roll(x, -1, axis=0)

    return [
        ("f(x) = x**2", lambda x: x**2, x1, 3, True),
        ("f(x) = x * arange(len(x))", lambda x: x * np.arange(len(x)), x1, 3, False),
        ("circular smoothing (via FFT)", circular_smooth, x1, 4, True),
        ("f(x) = cumsum(x)", np.cumsum, x1, 2, False),
        ("f(x) = tanh(x)", np.tanh, x1, -5, True),
        ("f(x) = x[::-1]", lambda x: x[::-1], x1, 1, False),
        ("np.convolve(x, w, 'same')", zero_padded_smooth, x1, 1, False),
        ("f(x) = x - mean(x)", lambda x: x - x.mean(), x1, 7, True),
        (
            "f(x) = x * arange(len(x)) with shift 0",
            lambda x: x * np.arange(len(x)),
            x1,
            0,
            True,
        ),
        ("circular filter on an image", circular_rows, x2, 2, True),
        (
            "f(x) = x * column index (shifts move rows)",
            lambda x: x * np.arange(x.shape[1]),
            x2,
            3,
            True,
        ),
        (
            "f(x) = x * row index",
            lambda x: x * np.arange(len(x))[:, None],
            x2,
            2,
            False,
        ),
    ]


def check_is_equivariant(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(f, x, shift)`` must say whether f(g(x)) == g(f(x)) (np.allclose).

    g is the circular shift ``np.roll(x, shift, axis=0)``; ``fn`` returns one bool.
    Checked with equivariant functions (x**2, tanh, circular filters, one computed with
    FFTs so that the two sides differ by rounding errors) and non-equivariant ones
    (x * arange, cumsum, reversal, zero-padded np.convolve), 1-D and 2-D x.
    """
    rng = np.random.default_rng(seed)
    what = "your is_translation_equivariant"
    cases = equivariance_cases(rng)
    answers = []
    for name, f, x, shift, _ in cases:
        result = call(fn, f, x.copy(), shift, what=what)
        if isinstance(result, np.ndarray) and result.size != 1:
            raise AssertionError(
                f"{what} returned an array of shape {result.shape} for {name}; return "
                "one True/False for the whole array: use np.allclose, not =="
            )
        if not isinstance(result, bool | np.bool_ | np.ndarray):
            raise AssertionError(
                f"{what} must return True or False, got {type(result).__name__} "
                f"{result!r} for {name}"
            )
        answers.append(bool(result))

    def g(x, s):
        return np.roll(x, s, axis=0)

    def answers_of(test):
        return [bool(test(f, x, s)) for _, f, x, s, _ in cases]

    expected = answers_of(lambda f, x, s: np.allclose(f(g(x, s)), g(f(x), s)))
    if answers == expected:
        return True
    message = first_mistake(
        answers,
        expected,
        [
            Mistake([True] * len(cases), "it always returns True"),
            Mistake([False] * len(cases), "it always returns False"),
            Mistake(
                answers_of(lambda f, x, s: np.allclose(f(g(x, s)), f(x))),
                "it compares f(g(x)) with f(x): that tests invariance (the output "
                "does not change), not equivariance (the output moves with the "
                "input)",
            ),
            Mistake(
                answers_of(lambda f, x, s: np.allclose(f(g(x, s)), g(f(x), -s))),
                "it shifts the two sides in opposite directions: use the same "
                "np.roll(..., shift, axis=0) for both",
            ),
            Mistake(
                answers_of(lambda f, x, s: np.array_equal(f(g(x, s)), g(f(x), s))),
                "it compares exactly (== or np.array_equal): two computations of the "
                "same numbers can differ by rounding errors; use np.allclose",
            ),
            Mistake(
                answers_of(
                    lambda f, x, s: np.allclose(f(np.roll(x, s)), np.roll(f(x), s))
                ),
                "np.roll without axis=0 rolls the flattened array, which is not a "
                "translation of an image; use np.roll(x, shift, axis=0)",
            ),
        ],
        same=operator.eq,
    )
    if message:
        raise AssertionError(message)
    pairs = enumerate(zip(answers, expected, strict=True))
    index = next(i for i, (a, e) in pairs if a != e)
    name, _, x, shift, _ = cases[index]
    raise AssertionError(
        f"wrong answer for {name} (x of shape {x.shape}, shift {shift}): expected "
        f"{expected[index]}, got {answers[index]}"
    )


# --- predict, then check: which maps are equivariant ---------------------------------


def softplus(x):
    """log(1 + e^x), elementwise: softplus(0) = log 2."""
    return np.logaddexp(0.0, x)


def median3(x):
    """The median of each sample and its two neighbours, wrapping around."""
    return np.median([np.roll(x, 1), x, np.roll(x, -1)], axis=0)


def centre(x):
    """x minus its mean."""
    return x - np.mean(x)


def causal_mean(x):
    """y[i] = (x[i] + x[i - 1]) / 2, with x[-1] = 0."""
    return (x + _shift(x, 1)) / 2


#: The maps of :func:`check_equivariance_predictions`: key -> (map, boundary of the
#: shifts, directions of the shifts: +1 right, -1 left).
EQUIVARIANCE_MAPS = {
    "tanh, zero fill": (lambda x: activations.activation("tanh", x), "zero", (1, -1)),
    "softplus, zero fill": (softplus, "zero", (1, -1)),
    "softplus, circular": (softplus, "circular", (1, -1)),
    "median3, circular": (median3, "circular", (1, -1)),
    "centre, circular": (centre, "circular", (1, -1)),
    "centre, zero fill": (centre, "zero", (1, -1)),
    "sort, circular": (np.sort, "circular", (1, -1)),
    "causal_mean, zero fill, right": (causal_mean, "zero", (1,)),
    "causal_mean, zero fill, left": (causal_mean, "zero", (-1,)),
}

_WHY = {
    "tanh, zero fill": "tanh applies one rule at every position and tanh(0) = 0: the "
    "zeros a zero-fill shift brings in stay zeros on both sides",
    "softplus, zero fill": "softplus(0) = log 2, not 0: the zeros a zero-fill shift "
    "brings in become log 2 in f(g(x)) but are still 0 in g(f(x)). One rule at every "
    "position is equivariant to zero-fill shifts only if f(0) = 0",
    "softplus, circular": "a circular shift brings in no zeros, only the values pushed "
    "off the other end, and a map applied sample by sample commutes with any "
    "rearrangement of the samples",
    "median3, circular": "the median is not linear, but it is the same rule at every "
    "position and the circular shift leaves no border: equivariance needs the same "
    "rule everywhere, not linearity",
    "centre, circular": "np.roll(x, d) has the same mean as x, so subtracting the mean "
    "commutes with the shift, although the map looks at the whole signal",
    "centre, zero fill": "a zero-fill shift changes the mean (values fall off one end, "
    "zeros come in at the other), so f(g(x)) subtracts another number than g(f(x)), "
    "whose new zeros are not centred at all",
    "sort, circular": "sorting forgets where the values were: sort(np.roll(x, d)) = "
    "sort(x), which is invariance, while np.roll(sort(x), d) moves the sorted values",
    "causal_mean, zero fill, right": "y[i] reads x[i] and x[i - 1] with x[-1] = 0, and "
    "a right zero-fill shift brings in exactly such zeros on the left while the values "
    "it pushes off the right end are read by no output that stays",
    "causal_mean, zero fill, left": "a left shift by d pushes x[d - 1] off the array, "
    "but f(x)[d] read it: g(f(x))[0] = (x[d] + x[d - 1]) / 2, while f(g(x))[0] = "
    "(x[d] + 0) / 2",
}


def _g(x, d, boundary):
    """The shift by ``d``: circular (np.roll) or with zero fill."""
    return np.roll(x, d) if boundary == "circular" else _shift(x, d)


def is_equivariant(f, boundary, directions, rng, n=8, trials=20) -> bool:
    """Whether f(g(x)) == g(f(x)) (np.allclose) for ``trials`` random inputs of
    length ``n`` and every shift 0 < |d| < n in ``directions``."""
    for _ in range(trials):
        x = rng.normal(size=n)
        for direction in directions:
            for d in range(1, n):
                g = _g(x, direction * d, boundary)
                if not np.allclose(f(g), _g(f(x), direction * d, boundary)):
                    return False
    return True


def check_equivariance_predictions(answers, seed: int = 0) -> bool:
    """Chapter 5 (predict, then check): ``answers`` maps each key of
    ``EQUIVARIANCE_MAPS`` to True or False: is the map equivariant, f(g(x)) =
    g(f(x)) for every input and every shift of the kind named (zero fill or
    circular; both directions, or right or left only)?

    The truth is tested (``is_equivariant``: random inputs from ``seed``, every
    shift); each wrong answer is explained: one rule at every position and f(0) = 0
    (or a circular shift) make a map equivariant; a statistic of the whole signal
    survives only a circular shift; sorting is invariant, not equivariant; a causal
    filter with zero fill commutes with right shifts only.
    """
    rng = np.random.default_rng(seed)
    names = list(EQUIVARIANCE_MAPS)
    got = as_predictions(answers, names, "answers")
    wrong = []
    for name in names:
        value = got[name]
        if not isinstance(value, bool | np.bool_):
            raise AssertionError(
                f"answers[{name!r}] must be True or False, got "
                f"{type(value).__name__} {value!r}"
            )
        f, boundary, directions = EQUIVARIANCE_MAPS[name]
        truth = is_equivariant(f, boundary, directions, rng)
        if bool(value) != truth:
            wrong.append((f"answers[{name!r}]", f"{truth}, not {value}: {_WHY[name]}"))
    wrong_predictions(
        wrong,
        len(names),
        "The rule: a map that applies one rule at every position commutes with "
        "circular shifts; with zero-fill shifts it also needs f(0) = 0 and no "
        "reading beyond the border.",
    )
    return True


# --- find a counterexample ------------------------------------------------------------


def counterexamples(
    f, inputs, boundary, *, directions=(1, -1), test=None, other=None
) -> list:
    """Every ``(i, d)`` with 0 < |d| < len(inputs[i]) in ``directions`` for which
    ``test(f(g(x)), other(x, d))`` is False: by default ``np.allclose`` and
    ``other = g(f(x))``, the definition of a counterexample to equivariance."""
    test = test or np.allclose
    found = []
    for i, x in enumerate(inputs):
        fx = f(x)
        for direction in directions:
            for d in range(1, len(x)):
                d = direction * d
                right = other(x, d) if other else _g(fx, d, boundary)
                if not test(f(_g(x, d, boundary)), right):
                    found.append((i, d))
    return found


def _searches(f, inputs, boundary) -> list[tuple[list, str]]:
    """The counterexamples the usual wrong searches find, with their diagnosis."""
    return [
        (
            counterexamples(f, inputs, boundary, directions=(1,)),
            "tries positive shifts only; some maps fail only for shifts to the "
            "left (d < 0): try both directions",
        ),
        (
            counterexamples(f, inputs[:1], boundary),
            "tries the first input only; a map may fail on some inputs only: try "
            "every input of the list",
        ),
        (
            counterexamples(f, inputs, "circular"),
            "uses np.roll whatever the boundary; with boundary='zero', g is the "
            "zero-fill shift of exercise 5.1",
        ),
        (
            counterexamples(f, inputs, "zero"),
            "uses the zero-fill shift whatever the boundary; with "
            "boundary='circular', g is np.roll",
        ),
        (
            counterexamples(f, inputs, boundary, test=np.array_equal),
            "compares exactly (== or np.array_equal): two computations of the "
            "same numbers can differ by rounding errors; use np.allclose",
        ),
        (
            counterexamples(f, inputs, boundary, other=lambda x, d: f(x)),
            "compares f(g(x)) with f(x): that tests invariance (the output does "
            "not move); equivariance compares f(g(x)) with g(f(x))",
        ),
        (
            counterexamples(
                f, inputs, boundary, other=lambda x, d: _g(f(x), -d, boundary)
            ),
            "shifts the two sides in opposite directions: use the same g, with the "
            "same d, on x and on f(x)",
        ),
    ]


def counterexample_cases(rng) -> list:
    """``(description, f, inputs, boundary)`` for check_find_counterexample."""
    box = np.array([0.2, 0.5, 0.3])

    def circular_smooth(x):  # equivariant, computed with FFTs: rounding errors
        w = np.zeros(len(x))
        w[: len(box)] = box
        return np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(w)))

    def peaky(x):  # position-dependent only for inputs with a value above 2
        return x * np.arange(len(x)) if np.max(x) > 2 else 2 * x

    calm = np.clip(rng.normal(size=7), -1.5, 1.5)
    spike = rng.normal(size=9)
    spike[4] = 3.0
    x6, x8 = rng.normal(size=6), rng.normal(size=8)
    return [
        ("softplus, zero fill", softplus, [x8], "zero"),
        ("softplus, circular", softplus, [x8, x6], "circular"),
        ("tanh, zero fill", np.tanh, [x6, x8], "zero"),
        ("causal_mean, zero fill", causal_mean, [x8], "zero"),
        ("centre, zero fill", centre, [x6], "zero"),
        ("sort, circular", np.sort, [x8], "circular"),
        ("circular smoothing by FFT", circular_smooth, [x8, x6], "circular"),
        ("x * position, only for a spike", peaky, [calm, spike], "circular"),
        ("median3, circular", median3, [x6, spike], "circular"),
        ("the mean everywhere", lambda x: np.full_like(x, x.mean()), [x8], "circular"),
    ]


def _read_counterexample(result, what, name):
    """None, or (i, d) as two ints."""
    if result is None:
        return None
    try:
        i, d = result
        if isinstance(i, bool | np.bool_) or isinstance(d, bool | np.bool_):
            raise TypeError
        if float(i) != int(i) or float(d) != int(d):
            raise ValueError
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return None or a pair (index, shift) of whole numbers, got "
            f"{result!r} for {name}"
        ) from error
    return int(i), int(d)


def check_find_counterexample(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(f, inputs, boundary)`` must search every input of the list
    ``inputs`` and every shift ``0 < |d| < len(x)``, both directions, for a
    counterexample to f(g(x)) == g(f(x)) (``np.allclose``).

    g is ``np.roll(x, d)`` for ``boundary="circular"`` and the zero-fill shift for
    ``"zero"``. ``fn`` returns a pair ``(i, d)`` for which the two differ, any one,
    or None when there is none among these inputs and shifts (which is evidence,
    not proof, of equivariance). Checked on maps with and without counterexamples:
    softplus with zero fill, a causal filter that fails for left shifts only, a map
    that fails on the second input only, a map computed with FFTs (rounding
    errors), sorting (invariant, not equivariant). A mistake is named when it
    explains the answers for every map: positive shifts only, the first input only,
    the boundary ignored, an exact comparison, a comparison with f(x) (invariance),
    opposite shifts on the two sides; otherwise the first wrong answer is shown.
    """
    rng = np.random.default_rng(seed)
    what = "your find_counterexample"
    cases = counterexample_cases(rng)
    answers = []
    for name, f, inputs, boundary in cases:
        given = [x.copy() for x in inputs]
        raw = call(fn, f, given, boundary, what=what)
        if any(not np.array_equal(a, b) for a, b in zip(given, inputs, strict=True)):
            raise AssertionError(f"{what} modified the inputs it was given ({name})")
        found = _read_counterexample(raw, what, name)
        if found is not None:
            i, d = found
            if not 0 <= i < len(inputs):
                raise AssertionError(
                    f"{what} returned index {i}, but there are {len(inputs)} inputs "
                    f"(for {name})"
                )
            if not 0 < abs(d) < len(inputs[i]):
                raise AssertionError(
                    f"{what} returned the shift d = {d}; try 0 < |d| < len(x) = "
                    f"{len(inputs[i])} (for {name})"
                )
        answers.append(found)

    def agrees(answer, found):
        return (answer is None and not found) or answer in found

    truths = [counterexamples(f, x, b) for _, f, x, b in cases]
    if all(agrees(a, t) for a, t in zip(answers, truths, strict=True)):
        return True
    index = next(
        i
        for i, (a, t) in enumerate(zip(answers, truths, strict=True))
        if not agrees(a, t)
    )
    name, f, inputs, boundary = cases[index]
    answer, truth = answers[index], truths[index]
    count = f"{len(inputs)} input{'s' if len(inputs) > 1 else ''}"
    label = f"for {name} (boundary={boundary!r}, {count})"
    searches = [_searches(f, x, b) for _, f, x, b in cases]
    for position, (_, message) in enumerate(searches[0]):
        if all(
            agrees(a, search[position][0])
            for a, search in zip(answers, searches, strict=True)
        ):
            raise AssertionError(f"{what} {message}. It fails {label}")
    if answer is None:
        i, d = truth[0]
        raise AssertionError(
            f"you found none, but inputs[{i}] with d = {d} is a counterexample {label}"
        )
    i, d = answer
    raise AssertionError(
        f"inputs[{i}] with d = {d} is no counterexample {label}: f(g(x)) and g(f(x)) "
        "agree there (np.allclose)"
    )
