"""Chapter 1, continuous convolution: the checkers of the exponential kernel, the
causal discrete convolution of sampled measurements, and the convolution of two
Gaussians."""

from __future__ import annotations

import numpy as np

from .. import convolution
from ._core import Mistake, as_array, as_numbers, call, close, first_mistake, wrong_at

__all__ = [
    "check_exponential_kernel",
    "check_causal_convolution",
    "check_gaussian_convolution",
]


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
