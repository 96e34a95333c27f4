"""The checkers of chapter 1: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, convolution
from convbn.checks import ch01


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


def causal_ages(x, w, dt):  # the debug exercise, fixed: a loop over the ages
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    s = np.zeros(len(x))
    for n in range(len(x)):
        for j in range(min(n + 1, len(w))):
            s[n] += x[n - j] * w[j]
    return dt * s


def causal_planted_bug(x, w, dt):  # the debug exercise as given: x[0] is never used
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    s = np.zeros(len(x))
    for n in range(len(x)):
        for j in range(min(n, len(w))):
            s[n] += x[n - j] * w[j]
    return dt * s


def causal_no_present(x, w, dt):  # the ages start at 1: the newest reading is lost
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    s = np.zeros(len(x))
    for n in range(len(x)):
        for j in range(1, min(n + 1, len(w))):
            s[n] += x[n - j] * w[j]
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
        (checks.check_causal_convolution, causal_ages),
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
    (checks.check_causal_convolution, causal_planted_bug, "x\\[0\\] never enters"),
    (checks.check_causal_convolution, causal_no_present, "newest reading is left out"),
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


# --- check_kernel_lags (predict, then check) -------------------------------------

LAGS = {"exponential": 6, "box": 3.0, "half-gaussian": 4.7873, "gaussian": 0}


def test_kernel_lags_are_the_mean_ages_times_the_speed():
    lags = ch01.kernel_lags(speed=3.0, width=2.0)
    half = 6 * np.sqrt(2 / np.pi)
    expected = {"exponential": 6, "box": 3, "half-gaussian": half, "gaussian": 0}
    assert lags == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "lags",
    [
        LAGS,
        {  # written differently: expressions, numpy numbers, another order
            "gaussian": np.float64(0.0),
            "half-gaussian": 3 * 2 * np.sqrt(2 / np.pi),
            "box": np.array(3 * 2 / 2),
            "exponential": 3.0 * 2.0,
        },
        {**LAGS, "half-gaussian": 4.8},  # sqrt(2 / pi) rounded to 0.8: within 1 %
    ],
)
def test_check_kernel_lags_accepts_right_predictions(lags):
    assert checks.check_kernel_lags(lags) is True


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"exponential": 6 * np.log(2)}, "median age"),
        ({"exponential": 2.0}, "lag in seconds"),
        ({"box": 1.0}, "lag in seconds"),
        ({"exponential": 3.0}, "does not weight the last tau seconds evenly"),
        ({"box": 6.0}, "mean age is tau / 2, not tau"),
        ({"half-gaussian": 6.0}, "tau sqrt\\(2 / pi\\)"),
        ({"gaussian": 1.5}, "future exactly as"),
        ({"box": -3.0}, "cannot be ahead"),
        ({"box": 0}, "causal kernel averages past readings only"),
        ({"exponential": 7.5}, "lags by v times its mean age; expected 6 km, got 7.5"),
        ({"exponential": ...}, "predict lags\\['exponential'\\] first"),
        ({"box": "3 km"}, "must be one number"),
        ({"boxes": 3}, "unknown keys 'boxes'"),
    ],
)
def test_check_kernel_lags_explains_each_wrong_prediction(change, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_kernel_lags({**LAGS, **change})


def test_check_kernel_lags_lists_every_wrong_prediction_and_the_rule():
    with pytest.raises(AssertionError) as error:
        checks.check_kernel_lags({**LAGS, "box": 6.0, "gaussian": 1.0})
    message = str(error.value)
    assert message.startswith("2 of your 4 predictions are wrong:")
    assert "lags['box']" in message and "lags['gaussian']" in message
    assert "lags['exponential']" not in message
    assert message.endswith("lags by v times its mean age int u w(u) du.")


@pytest.mark.parametrize(
    ("lags", "match"),
    [
        ([6, 3, 4.8, 0], "must be a dict"),
        ({"exponential": 6, "box": 3}, "no entry for 'half-gaussian', 'gaussian'"),
    ],
)
def test_check_kernel_lags_reads_a_dict_of_four(lags, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_kernel_lags(lags)
