"""Chapter 5, equivariance: the checkers of the shift with zero fill, the circular
cross-correlation (an image on a torus), and the test of translation equivariance."""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution
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

__all__ = ["check_shift", "check_circular_correlate2d", "check_is_equivariant"]


def _shift(x, k: int, axis: int = 0) -> np.ndarray:
    """g(x)[i] = x[i - k] along ``axis``, zeros where i - k falls outside."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    out = np.zeros_like(x)
    n = x.shape[0]
    if 0 <= k < n:
        out[k:] = x[: n - k]
    elif -n < k < 0:
        out[: n + k] = x[-k:]
    return np.moveaxis(out, 0, axis)


def check_shift(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(x, k)`` must shift ``x`` by ``k`` along axis 0, with zero fill.

    g(x)[i] = x[i - k]: for a 1-D array the content moves ``k`` places to the right,
    for a 2-D array (an image) ``k`` rows down; a negative ``k`` moves it left / up.
    Places with no source (i - k outside the array) get 0, nothing wraps around, the
    shape stays the same and ``x`` is not modified. Checked on 1-D and 2-D arrays with
    k = 0, positive, negative and ``|k| >= len(x)``.
    """
    rng = np.random.default_rng(seed)
    what = "your shift function"
    cases = []
    for ndim in (1, 2):
        for k in (1, 3, 0, -1, -2, "n", "n+2"):
            n = int(rng.integers(5, 12))
            shape = (n,) if ndim == 1 else (n, int(rng.integers(3, 9)))
            kk = n if k == "n" else n + 2 if k == "n+2" else k
            cases.append((rng.normal(size=shape), kk))
    cases.append((np.arange(1, 8), 2))  # integers work too
    for x, k in cases:
        n = x.shape[0]
        try:
            raw = call(fn, x, k, what=what, inputs=("x",))
        except InputModified:
            raise
        except AssertionError as error:
            if k == 0:
                raise AssertionError(
                    f"{error}; k = 0 must return x unchanged -- careful, x[:-0] is "
                    "x[:0], the empty array"
                ) from error
            raise
        expected = _shift(x, k)
        got = as_array(raw, what=what, single=True)
        if got.shape != x.shape:
            if k == 0 and got.shape[:1] == (0,):
                raise AssertionError(
                    "k = 0 must return x unchanged; careful, x[:-0] is x[:0], the "
                    "empty array"
                )
            if got.ndim == x.ndim and got.shape[0] == n + abs(k) and k:
                raise AssertionError(
                    f"you added {abs(k)} zeros but did not cut the array back to its "
                    f"length {n}: the shape must not change"
                )
            if got.ndim == x.ndim and got.shape[0] == n - abs(k) and k:
                raise AssertionError(
                    f"you dropped {abs(k)} elements but did not put zeros in their "
                    f"place: the shape must stay {x.shape}"
                )
        got = as_array(got, x.shape, what)
        if close(got, expected):
            continue
        label = f"(shape {x.shape}, k={k})"
        if abs(k) >= n:
            raise AssertionError(
                f"a shift by |k| >= len(x) pushes everything out: the result is all "
                f"zeros {label}"
            )
        mistakes = [
            Mistake(
                _shift(x, -k),
                f"wrong direction {label}: g(x)[i] = x[i - k] moves the content to "
                "larger indices (right, or down for an image) when k > 0",
            ),
            Mistake(
                np.roll(x, k, axis=0),
                f"your shift wraps around {label}: the elements pushed off one end "
                "reappear at the other (that is np.roll); fill with zeros instead",
            ),
            Mistake(
                np.roll(x, -k, axis=0),
                f"your shift wraps around and goes the wrong way {label}: use zeros "
                "and g(x)[i] = x[i - k]",
            ),
            Mistake(
                _shift(x, k, axis=1) if x.ndim == 2 and abs(k) < x.shape[1] else None,
                f"you shifted along the wrong axis {label}: an image moves k "
                "rows down (axis 0), not k columns right",
            ),
        ]
        message = first_mistake(got, expected, mistakes)
        if message is None and k < 0:
            message = (
                f"a negative k is wrong {label}: it moves the content |k| places "
                "left (up), g(x)[i] = x[i + |k|], zeros at the end"
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
