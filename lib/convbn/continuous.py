"""Continuous convolution (chapter 1): the spaceship's smoothing kernels.

* :func:`kernel` -- the weighting functions w(a) of the spaceship story, each a
  probability density: exponential, box, half-Gaussian (causal) and Gaussian (not).
* :func:`gaussian_pdf` -- the normal density, for "Gaussian * Gaussian = Gaussian".
* :func:`convolve_continuous` -- s(t) = (x * w)(t) = integral of x(a) w(t - a) da,
  approximated by a Riemann sum with step h.
* :func:`smooth` -- the same weighted average applied to sampled measurements.

Every name is re-exported by :mod:`convbn.convolution`, which the chapters import.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_callable, as_choice, as_float_array, as_number

__all__ = [
    "KERNELS",
    "CAUSAL_KERNELS",
    "kernel",
    "gaussian_pdf",
    "convolve_continuous",
    "smooth",
]

#: The kernel shapes :func:`kernel` knows.
KERNELS = ("exponential", "box", "half-gaussian", "gaussian")
#: The kernels that are zero for negative arguments (they never weight the future).
CAUSAL_KERNELS = ("exponential", "box", "half-gaussian")

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def kernel(a, kind: str = "exponential", width: float = 1.0) -> np.ndarray:
    """The weighting function w(a) for a measurement of age ``a`` (chapter 1).

    Every kind is a probability density in ``a`` (non-negative, integral 1), so
    ``x * w`` is a weighted average of ``x``. ``width`` (> 0) sets the time scale:

    ==================  ===============================================  ==========
    kind                w(a)                                             causal
    ==================  ===============================================  ==========
    ``exponential``     exp(-a / width) / width for a >= 0, else 0       yes
    ``box``             1 / width for 0 <= a < width, else 0             yes
    ``half-gaussian``   2 N(a; 0, width^2) for a >= 0, else 0            yes
    ``gaussian``        N(a; 0, width^2) for every a                     no
    ==================  ===============================================  ==========

    A causal kernel is zero for a < 0: it gives no weight to measurements from the
    future. ``a`` is any array; the result has its shape (float64).
    """
    a = as_float_array(a, "a", min_size=0).astype(np.float64)
    kind = as_choice(kind, "kind", KERNELS)
    width = as_number(width, "width", positive=True)
    past = a >= 0
    if kind == "exponential":
        return np.where(past, np.exp(-np.where(past, a, 0.0) / width) / width, 0.0)
    if kind == "box":
        return np.where(past & (a < width), 1.0 / width, 0.0)
    density = np.exp(-0.5 * (a / width) ** 2) / (width * _SQRT_2PI)
    if kind == "half-gaussian":
        return np.where(past, 2.0 * density, 0.0)
    return density


def gaussian_pdf(a, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """The normal density N(a; mean, std^2).

    N(a; mean, std^2) = exp(-(a - mean)^2 / (2 std^2)) / (std sqrt(2 pi)).

    Introduced in chapter 1, where the convolution of two Gaussians is shown to be the
    Gaussian whose means and variances add.
    """
    a = as_float_array(a, "a", min_size=0).astype(np.float64)
    mean = as_number(mean, "mean")
    std = as_number(std, "std", positive=True)
    return np.exp(-0.5 * ((a - mean) / std) ** 2) / (std * _SQRT_2PI)


def convolve_continuous(x, w, t, step: float, lower: float, upper: float) -> np.ndarray:
    """Approximate s(t) = (x * w)(t) = integral of x(a) w(t - a) da (chapter 1).

    ``x`` and ``w`` are functions of a numpy array; ``t`` is a scalar or a 1-D array of
    times. The integral over ``[lower, upper]`` is replaced by the midpoint Riemann sum

        s(t) ~= h * sum_j x(a_j) w(t - a_j),   a_j = lower + (j + 1/2) h,

    with ``h = (upper - lower) / J`` the largest step <= ``step`` that divides the
    interval into a whole number J of steps. As h shrinks the sum converges to the
    integral. Returns an array of the shape of ``t``.
    """
    x = as_callable(x, "x")
    w = as_callable(w, "w")
    t_array = as_float_array(t, "t", ndim=(0, 1)).astype(np.float64)
    step = as_number(step, "step", positive=True)
    lower = as_number(lower, "lower")
    upper = as_number(upper, "upper")
    if upper <= lower:
        raise ValueError(f"upper must be > lower, got lower={lower}, upper={upper}")
    n_steps = int(np.ceil((upper - lower) / step - 1e-9))
    if n_steps > 50_000_000:
        raise ValueError(
            f"step={step} gives {n_steps} points on [{lower}, {upper}]; "
            "use a step at least (upper - lower) / 5e7"
        )
    h = (upper - lower) / n_steps
    a = lower + (np.arange(n_steps) + 0.5) * h
    xa = np.asarray(x(a), dtype=np.float64)
    if xa.shape != a.shape:
        raise ValueError(
            f"x must return one value per point: gave shape {xa.shape} "
            f"for an input of shape {a.shape}"
        )
    times = np.atleast_1d(t_array)
    s = np.empty(times.shape)
    chunk = max(1, 4_000_000 // n_steps)  # bound the (times x points) block in memory
    for start in range(0, len(times), chunk):
        block = times[start : start + chunk, None]
        s[start : start + chunk] = h * (np.asarray(w(block - a), dtype=np.float64) @ xa)
    return s.reshape(t_array.shape)


def smooth(
    x, dt: float, kind: str = "exponential", width: float = 1.0, normalize: bool = True
) -> np.ndarray:
    """Weighted average of evenly sampled measurements: the discrete form of x * w.

    Introduced in chapter 1. ``x`` is 1-D, sampled every ``dt``; the estimate at sample
    t is

        s[t] = sum_a x[a] w((t - a) dt) dt / Z[t]

    over the samples a that exist, with w = :func:`kernel` (``kind``, ``width``). With
    ``normalize=True``, Z[t] = sum_a w((t - a) dt) dt over those same samples, so the
    weights sum to exactly 1 -- a true average even at the start of the record, where
    fewer past samples exist. With ``normalize=False``, Z = 1: the plain Riemann sum.
    A causal kind uses x[a] for a <= t only; "gaussian" also uses later samples.
    """
    x = as_float_array(x, "x", ndim=1).astype(np.float64)
    dt = as_number(dt, "dt", positive=True)
    kind = as_choice(kind, "kind", KERNELS)
    width = as_number(width, "width", positive=True)
    reach = {"exponential": 30.0, "box": 1.0, "half-gaussian": 8.0, "gaussian": 8.0}
    half = min(int(np.ceil(reach[kind] * width / dt)), len(x) - 1)
    lags = np.arange(-half, half + 1) * dt
    weights = kernel(lags, kind, width) * dt
    full = np.convolve(x, weights)[half : half + len(x)]
    if not normalize:
        return full
    # Every kind has w(0) > 0, so the mass is positive even for width << dt (then the
    # estimate is the reading itself).
    mass = np.convolve(np.ones_like(x), weights)[half : half + len(x)]
    return full / mass
