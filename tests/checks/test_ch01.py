"""The checkers of chapter 1: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, convolution


def kernel_ok(a, tau):
    return np.where(np.asarray(a) >= 0, np.exp(-np.maximum(a, 0) / tau) / tau, 0.0)


def kernel_loop(a, tau):  # a correct solution written differently
    a = np.asarray(a, dtype=float)
    out = np.zeros_like(a)
    for index, value in np.ndenumerate(a):
        if value >= 0:
            out[index] = np.exp(-value / tau) / tau
    return out


def causal_ok(x, w, dt):
    return dt * np.convolve(x, w)[: len(x)]


def causal_loop(x, w, dt):
    s = np.zeros(len(x))
    for n in range(len(x)):
        for k in range(n + 1):
            if n - k < len(w):
                s[n] += x[k] * w[n - k]
    return dt * s


def gauss_ok(m1, s1, m2, s2):
    return m1 + m2, np.hypot(s1, s2)


@pytest.mark.parametrize(
    ("checker", "solution"),
    [
        (checks.check_exponential_kernel, kernel_ok),
        (checks.check_exponential_kernel, kernel_loop),
        (
            checks.check_exponential_kernel,
            lambda a, tau: convolution.kernel(a, "exponential", tau),
        ),
        (checks.check_causal_convolution, causal_ok),
        (checks.check_causal_convolution, causal_loop),
        (checks.check_gaussian_convolution, gauss_ok),
        (
            checks.check_gaussian_convolution,
            lambda m1, s1, m2, s2: [m1 + m2, (s1**2 + s2**2) ** 0.5],
        ),
    ],
)
def test_checker_accepts_correct_solutions(checker, solution):
    assert checker(solution) is True


def _in_place(x, w, dt):
    x *= dt
    return np.convolve(x, w)[: len(x)]


WRONG = [
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.exp(-np.abs(a) / tau) / tau,
        "not causal",
    ),
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.where(a >= 0, np.exp(-a / tau), 0),
        "integrate to tau, not 1",
    ),
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.where(a >= 0, np.exp(-a * tau) * tau, 0),
        "-a / tau, not -a \\* tau",
    ),
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.where(a > 0, np.exp(-a / tau) / tau, 0),
        "a >= 0, not a > 0",
    ),
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.where(a >= 0, -np.exp(-a / tau), 0),
        "non-negative",
    ),
    (
        checks.check_exponential_kernel,
        lambda a, tau: np.where(a >= 0, np.exp(-a / tau) / tau, 0)[..., :1],
        "returned shape",
    ),
    (checks.check_exponential_kernel, lambda a, tau: None, "returned shape \\(\\)"),
    (checks.check_exponential_kernel, lambda a: a, "raised TypeError"),
    (checks.check_exponential_kernel, "not a function", "expected a function"),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: np.convolve(x, w)[: len(x)],
        "forgot the step dt",
    ),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: dt * np.convolve(x, w),
        "full convolution",
    ),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: dt * np.convolve(x, w[::-1])[len(w) - 1 : len(w) - 1 + len(x)],
        "not flipped",
    ),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: dt * np.concatenate([[0.0], np.convolve(x, w)[: len(x) - 1]]),
        "shifted one sample late",
    ),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: dt * np.convolve(x, w)[1 : len(x) + 1],
        "one sample early",
    ),
    (checks.check_causal_convolution, _in_place, "modified its input"),
    (
        checks.check_causal_convolution,
        lambda x, w, dt: dt * np.convolve(x, w)[: len(x)] + 1,
        "wrong value at n=",
    ),
    (
        checks.check_gaussian_convolution,
        lambda m1, s1, m2, s2: (m1 + m2, s1 + s2),
        "added the standard deviations",
    ),
    (
        checks.check_gaussian_convolution,
        lambda m1, s1, m2, s2: (m1 + m2, s1**2 + s2**2),
        "returned the variance",
    ),
    (
        checks.check_gaussian_convolution,
        lambda m1, s1, m2, s2: ((m1 + m2) / 2, s1),
        "means add; they are not averaged",
    ),
    (
        checks.check_gaussian_convolution,
        lambda m1, s1, m2, s2: m1 + m2,
        "must return two numbers",
    ),
]


@pytest.mark.parametrize(("checker", "solution", "message"), WRONG)
def test_checker_names_the_mistake(checker, solution, message):
    with pytest.raises(AssertionError, match=message):
        checker(solution)
