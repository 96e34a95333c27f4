"""Chapter 1, continuous convolution: the checkers of the exponential kernel, the
causal discrete convolution of sampled measurements, the convolution of two
Gaussians, and the predicted lags of the four kernels behind a moving ship."""

from __future__ import annotations

import numpy as np

from .. import convolution
from ._core import (
    Mistake,
    as_array,
    as_float,
    as_numbers,
    as_predictions,
    call,
    close,
    first_mistake,
    wrong_at,
    wrong_predictions,
)

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_exponential_kernel",
    "check_causal_convolution",
)

__all__ = [
    "check_exponential_kernel",
    "check_causal_convolution",
    "check_gaussian_convolution",
    "check_kernel_lags",
]

#: The ship of :func:`check_kernel_lags`: x(t) = LAG_SPEED * t (km), and the width
#: (s) of every kernel.
LAG_SPEED, LAG_WIDTH = 3.0, 2.0


def check_exponential_kernel(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(a, tau)`` must return w(a) = exp(-a / tau) / tau, 0 for a < 0.

    Checked on random arrays of ages (1-D and 2-D, negative and positive, a = 0) and
    random time scales tau; the weights must be causal, non-negative and integrate to 1.
    """
    rng = np.random.default_rng(seed)
    what = "your kernel function"
    for trial in range(12):
        tau = float(rng.uniform(0.2, 5.0))
        shape = (
            (int(rng.integers(1, 40)),) if trial % 2 else tuple(rng.integers(1, 7, 2))
        )
        a = rng.uniform(-4 * tau, 8 * tau, size=shape)
        a.flat[0] = 0.0
        expected = convolution.kernel(a, "exponential", tau)
        got = as_array(call(fn, a.copy(), tau, what=what), a.shape, what)
        if close(got, expected):
            continue
        future = a < 0
        if np.any(got[future] != 0):
            raise AssertionError(
                "the kernel is not causal: w(a) must be 0 for a < 0, because a "
                "negative age is a measurement from the future"
            )
        if np.any(got < 0):
            raise AssertionError(
                "weights must be non-negative; check the sign of the "
                "exponent: exp(-a / tau)"
            )
        # Ages a > 0 tell the formula's mistakes apart; a = 0 is checked last.
        past = ~future & (a > 0)
        times_tau = "tau is a time scale: the exponent is -a / tau, not -a * tau"
        message = first_mistake(
            got[past],
            expected[past],
            [
                Mistake(
                    expected[past] * tau,
                    "the weights integrate to tau, not 1: divide by tau so that w is "
                    "a probability density (a weighted average needs total weight 1)",
                ),
                Mistake(np.exp(-a[past] * tau) * tau, times_tau),
                Mistake(np.exp(-a[past] * tau) / tau, times_tau),
            ],
        )
        if message:
            raise AssertionError(message)
        if close(got[past], expected[past]) and got.flat[0] != expected.flat[0]:
            raise AssertionError(
                "w(0) is wrong: the newest measurement (age a = 0) gets weight "
                "1 / tau; use a >= 0, not a > 0"
            )
        raise AssertionError(
            wrong_at(
                got,
                expected,
                at=lambda i, a=a, tau=tau: f"for tau={tau:.3g} at a={a[i]:.4g}",
            )
        )
    return True


def check_causal_convolution(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(x, w, dt)`` must return s[n] = dt * sum_{k=0..n} x[k] w[n - k].

    ``x`` holds measurements sampled every ``dt``; ``w[j]`` is the kernel at age j * dt.
    One estimate per measurement (``len(x)`` values), using only past and present
    measurements. Checked on random lengths, including a kernel longer than the signal
    and a kernel of length 1; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your convolution function"
    cases = [(int(rng.integers(2, 30)), int(rng.integers(2, 12))) for _ in range(10)]
    cases += [(5, 9), (7, 1), (1, 3)]
    for n, m in cases:
        x = rng.normal(size=n)
        w = rng.uniform(0.1, 1.0, size=m)
        dt = float(rng.uniform(0.05, 0.5))
        raw = call(fn, x, w, dt, what=what, inputs=("x", "w"))
        expected = dt * convolution.convolve1d(x, w, "full")[:n]
        got = as_array(raw, what=what)
        if got.shape == (n + m - 1,) and n + m - 1 != n and close(got[:n], expected):
            raise AssertionError(
                f"you returned the full convolution ({n + m - 1} values); keep one "
                f"estimate per measurement: the first len(x) = {n} values"
            )
        got = as_array(got, (n,), what)
        if close(got, expected):
            continue
        correlation = dt * convolution.convolve1d(x, w[::-1], "full")
        mistakes = [
            Mistake(
                expected / dt,
                "you forgot the step dt: the Riemann sum is dt * sum_k x[k] w[n - k]",
            ),
            Mistake(
                correlation[m - 1 : m - 1 + n] if m > 1 else None,
                "the kernel is not flipped: s[n] pairs x[k] with w[n - k] (the newest "
                "measurement x[n] with w[0]), not with w[k - n]; that is "
                "cross-correlation (chapter 3)",
            ),
        ]
        reach = min(n, m)
        oldest = np.zeros(n)
        oldest[:reach] = dt * x[0] * w[:reach]
        mistakes += [
            Mistake(
                expected - oldest,
                "the first reading x[0] never enters the sum: s[n] adds the terms "
                "k = 0 .. n, so the oldest reading, x[0], has age n; a loop over the "
                "ages j must run over range(min(n + 1, len(w))), not range(min(n, "
                "len(w))). Every estimate s[n] with n < len(w) misses dt * x[0] w[n]",
            ),
            Mistake(
                expected - dt * x * w[0],
                "the newest reading is left out: s[n] includes k = n, the reading "
                "x[n] of age 0 with the largest weight w[0]; start the ages at 0",
            ),
        ]
        if n > 1:
            # One sample late or early: the sample left over is compared with itself.
            mistakes += [
                Mistake(
                    np.concatenate([[got[0]], expected[:-1]]),
                    "off by one: s[n] must include the present measurement x[n] "
                    "(weight w[0]); your result is shifted one sample late",
                ),
                Mistake(
                    np.concatenate([expected[1:], [got[-1]]]),
                    "off by one: your result is one sample early, so s[n] uses "
                    "x[n + 1], a measurement from the future",
                ),
            ]
        message = first_mistake(got, expected, mistakes)
        raise AssertionError(
            message
            or wrong_at(
                got,
                expected,
                at=lambda i, n=n, m=m: f"at n={i[0]} (len(x)={n}, len(w)={m})",
            )
        )
    return True


def check_gaussian_convolution(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(mean1, std1, mean2, std2)`` must return ``(mean, std)`` of N1*N2.

    The convolution of N(mean1, std1^2) and N(mean2, std2^2) is the normal density with
    mean ``mean1 + mean2`` and standard deviation ``sqrt(std1^2 + std2^2)``.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    for _ in range(10):
        m1, m2 = rng.normal(0, 3, size=2)
        s1, s2 = rng.uniform(0.2, 3.0, size=2)
        result = call(fn, float(m1), float(s1), float(m2), float(s2), what=what)
        mean, std = as_numbers(result, ("mean", "std"), what)
        want_mean, want_std = m1 + m2, float(np.hypot(s1, s2))
        if not np.isclose(mean, want_mean, rtol=1e-6, atol=1e-9):
            if np.isclose(mean, (m1 + m2) / 2):
                raise AssertionError("the means add; they are not averaged")
            if np.isclose(abs(mean), abs(m1 - m2)):
                raise AssertionError("the means add: mean = mean1 + mean2")
            raise AssertionError(
                f"wrong mean: expected {want_mean:.6g}, got {mean:.6g}"
            )
        if np.isclose(std, want_std, rtol=1e-6):
            continue
        if np.isclose(std, s1 + s2):
            raise AssertionError(
                "you added the standard deviations; it is the "
                "variances that add: std = sqrt(std1^2 + std2^2)"
            )
        if np.isclose(std, s1**2 + s2**2):
            raise AssertionError(
                "you returned the variance; return the standard "
                "deviation sqrt(std1^2 + std2^2)"
            )
        raise AssertionError(f"wrong std: expected {want_std:.6g}, got {std:.6g}")
    return True


def kernel_lags(speed: float = LAG_SPEED, width: float = LAG_WIDTH) -> dict:
    """The lag x(t) - s(t) behind a ship at constant ``speed`` of each kernel of
    :data:`convbn.convolution.KERNELS` with ``width``, long after the start.

    Computed by :func:`convbn.convolution.convolve_continuous` (the midpoint rule
    with step 0.001 s) at t = 100 width, not from the formula.
    """
    t = 100.0 * width
    lags = {}
    for kind in convolution.KERNELS:
        s = convolution.convolve_continuous(
            lambda a: speed * a,
            lambda a, kind=kind: convolution.kernel(a, kind, width),
            np.array([t]),
            0.001,
            t - 40.0 * width,
            t + 40.0 * width,
        )
        lags[kind] = float(speed * t - s[0])
    return lags


def check_kernel_lags(lags, seed: int = 0) -> bool:
    """Chapter 1 (predict, then check): ``lags`` maps each kernel of
    :data:`convbn.convolution.KERNELS` to its predicted lag in km.

    The ship flies at v = 3 km/s, x(t) = v t, and every kernel has width tau = 2 s.
    Long after the start, s(t) = int x(t - u) w(u) du = v t - v int u w(u) du: the
    estimate trails the ship by v times the kernel's mean age, v tau for the
    exponential, v tau / 2 for the box, v tau sqrt(2 / pi) for the half-Gaussian and
    0 for the centred Gaussian. The truth comes from ``kernel_lags``; a
    prediction within 1 % (or 0.02 km) is right. Each wrong one is explained.
    ``seed`` is unused: the question has one answer.
    """
    del seed
    names = convolution.KERNELS
    got = as_predictions(lags, names, "lags")
    truth = kernel_lags()
    v, tau = LAG_SPEED, LAG_WIDTH
    mean_age = {kind: truth[kind] / v for kind in names}
    wrong = []
    for kind in names:
        value = as_float(got[kind], f"lags[{kind!r}]")
        expected = truth[kind]
        if abs(value - expected) <= max(0.01 * abs(expected), 0.02):
            continue
        ahead = "an average of positions the ship has passed cannot be ahead of it"
        mistakes = [
            Mistake(
                mean_age[kind] if kind != "gaussian" else None,
                f"{value:g} is the lag in seconds, the mean age of the readings; in "
                f"that time the ship covers v = {v:g} km/s times as many km",
            ),
            Mistake(
                v * tau * np.log(2) if kind == "exponential" else None,
                "v tau ln 2 uses the median age (half of the weight is on readings "
                "younger than tau ln 2); an average lags by the MEAN age, int u w(u) "
                "du = tau for the exponential, which its long tail of old readings "
                "pulls beyond the median",
            ),
            Mistake(
                v * tau / 2 if kind in ("exponential", "half-gaussian") else None,
                f"the {kind} kernel does not weight the last tau seconds evenly; its "
                "mean age is int u w(u) du",
            ),
            Mistake(
                v * tau if kind == "box" else None,
                "the box averages the readings of the last tau seconds equally, so "
                "their mean age is tau / 2, not tau",
            ),
            Mistake(
                v * tau if kind == "half-gaussian" else None,
                "tau is the half-Gaussian's scale, not its mean age: int_0^inf u "
                "2 N(u; 0, tau^2) du = tau sqrt(2 / pi), about 0.80 tau",
            ),
        ]
        message = first_mistake(value, expected, mistakes, rtol=0.01, atol=0.02)
        if message is None and kind == "gaussian":
            message = (
                "the centred Gaussian weights a reading from the future exactly as "
                "much as one of the same age from the past, w(-u) = w(u): its mean "
                "age is 0, so it does not lag (and, being non-causal, it cannot run "
                "in real time)"
            )
        elif message is None and value < 0:
            message = ahead
        elif message is None and value == 0:
            message = (
                "a causal kernel averages past readings only, positions the ship "
                "has already left behind, so it lags"
            )
        wrong.append(
            (
                f"lags[{kind!r}]",
                f"{message or f'the {kind} kernel lags by v times its mean age'}; "
                f"expected {expected:.3g} km, got {value:g}",
            )
        )
    wrong_predictions(
        wrong,
        len(names),
        "The rule: for x(a) = v a, s(t) = int v (t - u) w(u) du = v t - v int u w(u) "
        "du, so every kernel lags by v times its mean age int u w(u) du.",
    )
    return True
