"""The checkers of chapter 5: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, convolution
from convbn.checks import ch05

# --- check_shift ---------------------------------------------------------------------


def shift_ok(x, k):
    x = np.asarray(x)
    out = np.zeros_like(x)
    n = len(x)
    if 0 <= k < n:
        out[k:] = x[: n - k]
    elif -n < k < 0:
        out[: n + k] = x[-k:]
    return out


def shift_loop(x, k):  # written differently: index by index
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for i in range(len(x)):
        if 0 <= i - k < len(x):
            out[i] = x[i - k]
    return out


def shift_pad(x, k):  # written differently: pad, then crop
    x = np.asarray(x, dtype=float)
    n = len(x)
    k = max(-n, min(n, k))
    widths = [(max(k, 0), max(-k, 0))] + [(0, 0)] * (x.ndim - 1)
    padded = np.pad(x, widths)
    return padded[max(-k, 0) : max(-k, 0) + n]


def _shift_wrong_direction(x, k):
    return shift_ok(x, -k)


def _shift_roll(x, k):
    return np.roll(x, k, axis=0)


def _shift_no_crop(x, k):
    x = np.asarray(x, dtype=float)
    return np.concatenate([np.zeros((k,) + x.shape[1:]), x]) if k > 0 else x


def _shift_minus_zero(x, k):
    out = np.zeros_like(x)
    out[k:] = x[:-k]
    return out


def _shift_columns(x, k):
    return shift_ok(x.T, k).T if x.ndim == 2 else shift_ok(x, k)


def _shift_positive_only(x, k):
    out = np.zeros_like(x)
    k = abs(k)
    out[k:] = x[: len(x) - k] if k < len(x) else 0
    return out


def _shift_negative_zeros(x, k):
    return shift_ok(x, k) if k >= 0 else np.zeros_like(x)


def _shift_in_place(x, k):
    x[:] = shift_ok(x, k)
    return x


def _shift_big_k(x, k):
    if abs(k) >= len(x):
        return x.copy()
    return shift_ok(x, k)


@pytest.mark.parametrize("solution", [shift_ok, shift_loop, shift_pad])
def test_check_shift_accepts_correct_solutions(solution):
    assert checks.check_shift(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_shift_wrong_direction, "wrong direction"),
        (_shift_roll, "wraps around"),
        (_shift_no_crop, "did not cut the array back"),
        (_shift_minus_zero, "x\\[:-0\\]"),
        (_shift_columns, "wrong axis"),
        (_shift_positive_only, "wrong direction"),
        (_shift_negative_zeros, "a negative k is wrong"),
        (_shift_in_place, "modified its input"),
        (_shift_big_k, "all zeros"),
        (lambda x, k: None, "returned None"),
        (lambda x, k: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_shift_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_shift(wrong)


# --- check_circular_correlate2d ---------------------------------------------------


def circular_ok(image, kernel):
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
    return convolution.correlate2d(padded, kernel, mode="valid")


def circular_loops(image, kernel):  # written differently: the formula with %
    h, w = image.shape
    kh, kw = kernel.shape
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += (
                        image[(i + m - kh // 2) % h, (j + n - kw // 2) % w]
                        * kernel[m, n]
                    )
    return out


def circular_fft(image, kernel):  # written differently: with FFTs
    h, w = image.shape
    kh, kw = kernel.shape
    big = np.zeros((h, w))
    big[:kh, :kw] = kernel
    big = np.roll(big, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.real(np.fft.ifft2(np.fft.fft2(image) * np.conj(np.fft.fft2(big))))


def _circ_roll(dy, dx):
    def wrong(image, kernel):
        return np.roll(circular_ok(image, kernel), (dy, dx), axis=(0, 1))

    return wrong


def _circ_uncentred(image, kernel):  # pads everything after: window starts at (i, j)
    kh, kw = kernel.shape
    padded = np.pad(image, ((0, kh - 1), (0, kw - 1)), mode="wrap")
    return convolution.correlate2d(padded, kernel, mode="valid")


@pytest.mark.parametrize("solution", [circular_ok, circular_loops, circular_fft])
def test_check_circular_correlate2d_accepts_correct_solutions(solution):
    assert checks.check_circular_correlate2d(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda i, k: convolution.correlate2d(i, k, mode="same"), "padded with zeros"),
        (lambda i, k: circular_ok(i, k[::-1, ::-1]), "kernel is flipped"),
        (
            lambda i, k: (
                circular_ok(i, k.T) if k.shape[0] == k.shape[1] else circular_ok(i, k)
            ),
            "transposed",
        ),
        (_circ_uncentred, "off by the kernel centre"),
        (_circ_roll(2, 1), "wrong value"),
        (_circ_roll(-1, 0), "off by the kernel centre"),
        (lambda i, k: convolution.correlate2d(i, k, mode="valid"), "valid part"),
        (lambda i, k: convolution.correlate2d(i, k, mode="full"), "full correlation"),
        (lambda i, k: np.zeros((2, 2)), "returned shape"),
    ],
)
def test_check_circular_correlate2d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_circular_correlate2d(wrong)


# --- check_is_equivariant ------------------------------------------------------------


def equivariant_ok(f, x, shift):
    return np.allclose(f(np.roll(x, shift, axis=0)), np.roll(f(x), shift, axis=0))


def equivariant_loop(f, x, shift):  # written differently: own shift, own tolerance
    moved = np.concatenate([x[len(x) - shift % len(x) :], x[: len(x) - shift % len(x)]])
    left, right = f(moved), f(x)
    right = np.concatenate(
        [right[len(x) - shift % len(x) :], right[: len(x) - shift % len(x)]]
    )
    return bool(np.max(np.abs(left - right)) < 1e-9 * (1 + np.max(np.abs(right))))


def test_equivariance_cases_cover_both_answers():
    cases = ch05.equivariance_cases(np.random.default_rng(0))
    for _, f, x, s, intended in cases:
        assert equivariant_ok(f, x, s) == intended
    assert {c[-1] for c in cases} == {True, False}


@pytest.mark.parametrize("solution", [equivariant_ok, equivariant_loop])
def test_check_is_equivariant_accepts_correct_solutions(solution):
    assert checks.check_is_equivariant(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda f, x, s: True, "always returns True"),
        (lambda f, x, s: False, "always returns False"),
        (lambda f, x, s: np.allclose(f(np.roll(x, s, 0)), f(x)), "invariance"),
        (lambda f, x, s: np.allclose(np.roll(f(x), s, 0), f(x)), "invariance"),
        (
            lambda f, x, s: np.allclose(f(np.roll(x, s, 0)), np.roll(f(x), -s, 0)),
            "opposite directions",
        ),
        (
            lambda f, x, s: np.array_equal(f(np.roll(x, s, 0)), np.roll(f(x), s, 0)),
            "rounding errors",
        ),
        (lambda f, x, s: np.allclose(f(np.roll(x, s)), np.roll(f(x), s)), "axis=0"),
        (lambda f, x, s: f(np.roll(x, s, 0)) == np.roll(f(x), s, 0), "not =="),
        (lambda f, x, s: "yes", "must return True or False"),
        (lambda f, x, s: x.shape[0] > 10, "wrong answer for"),
    ],
)
def test_check_is_equivariant_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_is_equivariant(wrong)
