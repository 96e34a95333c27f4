"""Exercise checkers: they diagnose the mistake, not only say "wrong".

Every checker takes the student's function (or value), tries it on random shapes
and edge cases against a reference, returns ``True`` when it is right, and otherwise
raises ``AssertionError`` with a message that names the most likely mistake.
The exercises notebooks call them from their otter-grader test cells.
"""

from __future__ import annotations

import numpy as np

from . import convolution

__all__ = [
    "check_exponential_kernel",
    "check_causal_convolution",
    "check_gaussian_convolution",
]


def _call(fn, *args, what: str):
    """Call the student's function; turn its crash into a readable failure."""
    if not callable(fn):
        raise AssertionError(f"expected a function for {what}, got {type(fn).__name__}")
    try:
        return fn(*args)
    except Exception as error:  # the student's bug, reported with its inputs
        shown = ", ".join(_short(a) for a in args)
        raise AssertionError(
            f"{what} raised {type(error).__name__}: {error} (called with {shown})"
        ) from error


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return repr(value)


def _as_result(value, shape, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return numbers, got {type(value).__name__}"
        ) from error
    if array.shape != tuple(shape):
        raise AssertionError(
            f"{what} returned shape {array.shape}, expected {tuple(shape)}"
        )
    return array


def _close(a, b, rtol=1e-6, atol=1e-9) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


# --- chapter 1 -------------------------------------------------------------------


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
        got = _as_result(_call(fn, a.copy(), tau, what=what), a.shape, what)
        if _close(got, expected):
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
        past = ~future & (a > 0)
        if _close(got[past], expected[past] * tau):
            raise AssertionError(
                "the weights integrate to tau, not 1: divide by tau so that w is a "
                "probability density (a weighted average needs total weight 1)"
            )
        if _close(got[past], np.exp(-a[past] * tau) * tau) or _close(
            got[past], np.exp(-a[past] * tau) / tau
        ):
            raise AssertionError(
                "tau is a time scale: the exponent is -a / tau, not -a * tau"
            )
        if _close(got[past], expected[past]) and got.flat[0] != expected.flat[0]:
            raise AssertionError(
                "w(0) is wrong: the newest measurement (age a = 0) gets weight "
                "1 / tau; use a >= 0, not a > 0"
            )
        index = np.unravel_index(np.argmax(np.abs(got - expected)), a.shape)
        raise AssertionError(
            f"wrong value for tau={tau:.3g} at a={a[index]:.4g}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


def _causal_reference(x, w, dt):
    return dt * np.convolve(x, w)[: len(x)]


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
        x_in, w_in = x.copy(), w.copy()
        raw = _call(fn, x_in, w_in, dt, what=what)
        if not (np.array_equal(x_in, x) and np.array_equal(w_in, w)):
            raise AssertionError(
                "your function modified its input arrays; work on copies"
            )
        expected = _causal_reference(x, w, dt)
        got = np.asarray(raw, dtype=np.float64)
        if got.shape == (n + m - 1,) and n + m - 1 != n:
            if _close(got[:n], expected):
                raise AssertionError(
                    f"you returned the full convolution ({n + m - 1} values); keep one "
                    f"estimate per measurement: the first len(x) = {n} values"
                )
        got = _as_result(got, (n,), what)
        if _close(got, expected):
            continue
        if _close(got * dt, expected):
            raise AssertionError(
                "you forgot the step dt: the Riemann sum is dt * sum_k x[k] w[n - k]"
            )
        if _close(got, dt * np.convolve(x, w[::-1])[m - 1 : m - 1 + n]) and m > 1:
            raise AssertionError(
                "the kernel is not flipped: s[n] pairs x[k] with w[n - k] (the newest "
                "measurement x[n] with w[0]), not with w[k - n]; that is "
                "cross-correlation (chapter 3)"
            )
        if n > 1 and _close(got[1:], expected[:-1]):
            raise AssertionError(
                "off by one: s[n] must include the present measurement x[n] (weight "
                "w[0]); your result is shifted one sample late"
            )
        if n > 1 and _close(got[:-1], expected[1:]):
            raise AssertionError(
                "off by one: your result is one sample early, so s[n] uses x[n + 1], "
                "a measurement from the future"
            )
        index = int(np.argmax(np.abs(got - expected)))
        raise AssertionError(
            f"wrong value at n={index} (len(x)={n}, len(w)={m}): expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
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
        result = _call(fn, float(m1), float(s1), float(m2), float(s2), what=what)
        try:
            mean, std = (float(v) for v in result)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return two numbers (mean, std), got {result!r}"
            ) from error
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
