"""Chapter 8, internal covariate shift and the batch-normalizing transform: the
checkers of Algorithm 1 (the training forward pass), its backward pass (the paper's
section 3) and the inference transform with fixed statistics.

The references are :mod:`convbn.batchnorm`'s functions; the helpers here compute
what the classic mistakes give, term by term where the paper's formulas help."""

from __future__ import annotations

import numpy as np

from .. import batchnorm
from ._core import Mistake, as_array, call, close, diagnose

__all__ = [
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_batchnorm_inference",
]

MODIFIED = (
    "{what} modified its input {name}; work on new arrays (x - mu makes a new array, "
    "x -= mu changes x in place)"
)


def _cases(rng):
    """``(N, D, eps)`` for the chapter 8 checkers: a general case, then edge cases.

    The first case (several examples and features, a large eps) tells every classic
    mistake apart; then a batch of two, a single feature, both, and random shapes.
    """
    cases = [(7, 3, 0.5), (2, 4, 1e-3), (9, 1, 0.2), (2, 1, 0.1)]
    for _ in range(6):
        n, d = int(rng.integers(2, 40)), int(rng.integers(1, 9))
        cases.append((n, d, float(rng.choice([1e-5, 1e-3, 0.1, 0.5, 2.0]))))
    return cases


def _data(rng, n: int, d: int):
    """x (N, D) with nonzero mean and non-unit variance per feature; gamma, beta, dy.

    gamma is away from 0 and 1 (either sign) and beta away from 0, so that leaving
    either out, or swapping them, changes the result.
    """
    loc = rng.uniform(2.0, 6.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    scale = rng.uniform(0.4, 3.0, size=d)
    x = loc + scale * rng.normal(size=(n, d))
    gamma = rng.uniform(1.5, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    beta = rng.uniform(0.5, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    dy = rng.normal(size=(n, d))
    return x, gamma, beta, dy


def _forward_mistakes(x, gamma, beta, eps):
    """What the classic mistakes of Algorithm 1 return, with their diagnoses."""
    mu, var = x.mean(axis=0), x.var(axis=0)

    def scaled(x_hat):
        return gamma * x_hat + beta

    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat = (x - mu) / np.sqrt(var + eps)
        return [
            Mistake(
                scaled((x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps)),
                "you used the unbiased variance (dividing by m - 1, ddof=1); "
                "Algorithm 1 uses the biased mini-batch variance sigma_B^2 = (1/m) "
                "sum_i (x_i - mu_B)^2 (np.var's default, ddof=0)",
            ),
            Mistake(
                scaled((x - mu) / (np.sqrt(var) + eps)),
                "eps is outside the square root: normalise by sqrt(var + eps), not "
                "by sqrt(var) + eps",
            ),
            Mistake(
                scaled((x - mu) / np.sqrt(var) + eps),
                "eps is outside the square root: x_hat = (x - mu) / sqrt(var + eps)",
            ),
            Mistake(
                scaled((x - mu) / np.sqrt(var)),
                "eps is missing: x_hat = (x - mu) / sqrt(var + eps); eps keeps the "
                "division finite when a feature is constant over the batch",
            ),
            Mistake(
                scaled((x - mu) / (var + eps)),
                "the square root is missing: divide by the standard deviation "
                "sqrt(var + eps), not by the variance",
            ),
            Mistake(
                scaled((x - mu) / np.sqrt(x.std(axis=0) + eps)),
                "you put the standard deviation where the variance goes: x_hat = "
                "(x - mu) / sqrt(var + eps) with var = std**2",
            ),
            Mistake(
                scaled(
                    (x - x.mean(axis=1, keepdims=True))
                    / np.sqrt(x.var(axis=1, keepdims=True) + eps)
                ),
                "statistics over the wrong axis: you normalised each example (a row, "
                "axis=1); batch normalization takes each feature's mean and variance "
                "over the mini-batch, axis=0",
            ),
            Mistake(
                scaled((x - x.mean()) / np.sqrt(x.var() + eps)),
                "statistics over all values: you used one mean and one variance for "
                "the whole array; every feature (column) needs its own, over axis=0",
            ),
            Mistake(
                beta * x_hat + gamma,
                "gamma and beta are swapped: y = gamma * x_hat + beta (gamma scales, "
                "beta shifts)",
            ),
            Mistake(
                x_hat,
                "the scale and shift are missing: return y = gamma * x_hat + beta",
            ),
            Mistake(gamma * x_hat, "beta is missing: y = gamma * x_hat + beta"),
            Mistake(x_hat + beta, "gamma is missing: y = gamma * x_hat + beta"),
            Mistake(
                scaled(x / np.sqrt(var + eps)),
                "the mean is not subtracted: x_hat = (x - mu_B) / sqrt(var + eps)",
            ),
            Mistake(
                scaled((x - mu) / np.sqrt((x**2).mean(axis=0) + eps)),
                "the variance is not centred: sigma_B^2 = mean((x - mu_B)^2), not "
                "mean(x^2)",
            ),
        ]


def check_batchnorm_forward(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(x, gamma, beta, eps)`` must return Algorithm 1's y (training).

    ``x`` is ``(N, D)``; ``gamma`` and ``beta`` are ``(D,)``. Over the mini-batch
    (axis 0), per feature: ``mu = mean(x)``, the biased ``var = mean((x - mu)^2)``,
    ``x_hat = (x - mu) / sqrt(var + eps)`` and ``y = gamma * x_hat + beta``, shape
    ``(N, D)``; the reference is :func:`convbn.batchnorm.batchnorm_forward`. Checked on
    random shapes (N = 2 and D = 1 included) and features with nonzero mean and
    non-unit variance; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your batch-norm forward function"
    for n, d, eps in _cases(rng):
        x, gamma, beta, _ = _data(rng, n, d)
        raw = call(
            fn,
            x,
            gamma,
            beta,
            eps,
            what=what,
            inputs=("x", "gamma", "beta"),
            modified=MODIFIED,
        )
        got = as_array(raw, (n, d), what, single=True)
        expected = batchnorm.batchnorm_forward(x, gamma, beta, eps)[0]
        mistakes = _forward_mistakes(x, gamma, beta, eps)
        diagnose(got, expected, mistakes, f"(x of shape {(n, d)}, eps={eps:g})")
    return True


def _paper_backward(dy, x, gamma, eps, ddof: int = 0, axis: int = 0):
    """The paper's backward formulas, term by term: ``(T1, T2, T3, dvar, dmu, x_hat)``.

    ``dx = T1 + T2 + T3`` with ``T1 = g / sqrt(var + eps)`` (direct), ``T2 = dvar * 2
    (x - mu) / m`` (through the variance) and ``T3 = dmu / m`` (through the mean),
    ``g = dy * gamma``. ``ddof=1`` and ``axis=1`` give what the same formulas return
    with the unbiased variance or with statistics over the wrong axis.
    """
    m = x.shape[axis]
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    centred = x - mu
    g = dy * gamma
    dvar = (g * centred).sum(axis=axis, keepdims=True) * -0.5 * inv_std**3
    dmu = (-g * inv_std).sum(axis=axis, keepdims=True) + dvar * (-2.0 * centred).sum(
        axis=axis, keepdims=True
    ) / m
    return g * inv_std, dvar * 2.0 * centred / m, dmu / m, dvar, dmu, centred * inv_std


def _dx_mistakes(dy, x, gamma, eps):
    t1, t2, t3, dvar, dmu, _ = _paper_backward(dy, x, gamma, eps)
    m = x.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        mistakes = [
            Mistake(
                t1,
                "you treated mu_B and sigma_B^2 as constants: dx = dl/dx_hat / "
                "sqrt(var + eps) alone misses the two paths through the mean and the "
                "variance, which depend on every x_i",
            ),
            Mistake(
                t2 + t3,
                "a term of dx is missing: the direct term dl/dx_hat_i / "
                "sqrt(var + eps)",
            ),
            Mistake(
                t1 + t3,
                "a term of dx is missing: the path through the variance, dl/dvar * "
                "2 (x_i - mu) / m",
            ),
            Mistake(
                t1 + t2,
                "a term of dx is missing: the path through the mean, dl/dmu / m",
            ),
            Mistake(
                t1 - t2 + t3,
                "the variance term has the wrong sign: dl/dvar = sum_i dl/dx_hat_i "
                "(x_i - mu) * (-1/2) (var + eps)^(-3/2)",
            ),
            Mistake(t1 + t2 + dmu, "the mean term is dl/dmu / m: divide dl/dmu by m"),
            Mistake(
                t1 + dvar * 2.0 * (x - x.mean(axis=0)) + t3,
                "the variance term is dl/dvar * 2 (x_i - mu) / m: divide by m",
            ),
            Mistake(
                (t1 + t2 + t3) / gamma,
                "gamma is missing: dl/dx_hat = dl/dy * gamma (chain rule through y = "
                "gamma * x_hat + beta)",
            ),
            Mistake(
                sum(_paper_backward(dy, x, gamma, eps, ddof=1)[:3]),
                "you used the unbiased variance (ddof=1); Algorithm 1 uses the biased "
                "mini-batch variance, dividing by m",
            ),
        ]
        if m > 1 and x.shape[1] > 1:
            transposed = _paper_backward(dy, x, gamma, eps, axis=1)
            mistakes.append(
                Mistake(
                    sum(transposed[:3]),
                    "statistics and sums over the wrong axis: the mean and variance "
                    "(and the sums in dvar and dmu) run over the mini-batch, axis=0",
                )
            )
    return mistakes


def check_batchnorm_backward(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(dy, x, gamma, eps)`` must return ``(dx, dgamma, dbeta)``.

    The gradients of l through Algorithm 1 (training mode, statistics over axis 0 of
    the ``(N, D)`` input ``x``; ``dy = dl/dy``, ``gamma`` of shape ``(D,)``): ``dx`` of
    shape ``(N, D)`` with all three terms of the paper's section 3 (direct, through
    the variance, through the mean), ``dgamma = sum_i dy_i x_hat_i`` and ``dbeta =
    sum_i dy_i``, both ``(D,)``; the reference is
    :func:`convbn.batchnorm.batchnorm_backward`. Checked on random shapes (N = 2 and
    D = 1 included); the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your batch-norm backward function"
    for n, d, eps in _cases(rng):
        x, gamma, _, dy = _data(rng, n, d)
        context = f"x of shape {(n, d)}, eps={eps:g}"
        raw = call(
            fn,
            dy,
            x,
            gamma,
            eps,
            what=what,
            inputs=("dy", "x", "gamma"),
            modified=MODIFIED,
        )
        if not isinstance(raw, tuple | list) or len(raw) != 3:
            raise AssertionError(
                f"{what} must return three arrays (dx, dgamma, dbeta), got "
                f"{type(raw).__name__}"
                + (f" of length {len(raw)}" if isinstance(raw, tuple | list) else "")
            )
        _, cache = batchnorm.batchnorm_forward(x, gamma, 0.0, eps)
        want_dx, want_dgamma, want_dbeta = batchnorm.batchnorm_backward(dy, cache)
        x_hat = cache.x_hat
        for value, name in zip(raw[1:], ("dgamma", "dbeta"), strict=True):
            if np.shape(value) == (n,) and n != d:
                raise AssertionError(
                    f"{name} has shape ({n},), one value per example: sum over the "
                    f"mini-batch (axis=0) to get one value per feature, shape ({d},)"
                )
        dx = as_array(raw[0], (n, d), f"{what} (dx)")
        dgamma = as_array(raw[1], (d,), f"{what} (dgamma)")
        dbeta = as_array(raw[2], (d,), f"{what} (dbeta)")
        if (
            not close(dgamma, want_dgamma)
            and close(dgamma, want_dbeta)
            and close(dbeta, want_dgamma)
        ):
            raise AssertionError(
                "dgamma and dbeta are swapped: return (dx, dgamma, dbeta)"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            x_hat_unbiased = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
        diagnose(
            dbeta,
            want_dbeta,
            [
                Mistake(
                    dy.mean(axis=0),
                    "dbeta is the sum of dy over the batch, not the mean",
                ),
                Mistake(
                    (dy * gamma).sum(axis=0),
                    "dbeta = sum_i dy_i: beta is added, so gamma does not enter",
                ),
                Mistake(dy.sum(axis=1) if n == d else None, "dbeta: sum over axis=0"),
            ],
            f"(dbeta, {context})",
        )
        diagnose(
            dgamma,
            want_dgamma,
            [
                Mistake(
                    dy.sum(axis=0),
                    "dgamma without x_hat: dl/dgamma = sum_i dy_i * x_hat_i (y = "
                    "gamma * x_hat + beta)",
                ),
                Mistake(
                    (dy * x).sum(axis=0),
                    "dgamma uses x instead of x_hat: dl/dgamma = sum_i dy_i * x_hat_i",
                ),
                Mistake(
                    (dy * x_hat * gamma).sum(axis=0),
                    "dgamma has an extra factor gamma: dl/dgamma = sum_i dy_i * "
                    "x_hat_i",
                ),
                Mistake(
                    (dy * x_hat).mean(axis=0),
                    "dgamma is a sum over the batch, not a mean",
                ),
                Mistake(
                    (dy * x_hat_unbiased).sum(axis=0),
                    "dgamma: x_hat must use the biased variance (ddof=0), as in the "
                    "forward pass",
                ),
            ],
            f"(dgamma, {context})",
        )
        diagnose(dx, want_dx, _dx_mistakes(dy, x, gamma, eps), f"(dx, {context})")
    return True


def check_batchnorm_inference(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(x, gamma, beta, mean, var, eps)`` must return the inference y.

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the given ``mean`` and
    ``var`` (population statistics, shape ``(D,)``), never the batch's own: each
    example's output must not depend on the rest of its batch. ``x`` is ``(N, D)``
    with N = 1 allowed; the reference is :func:`convbn.batchnorm.batchnorm_inference`.
    Checked on random shapes with statistics that differ from the batch's; the inputs
    must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your batch-norm inference function"
    cases = _cases(rng)
    cases[3:3] = [(1, 3, 0.5), (1, 1, 1e-3)]
    for n, d, eps in cases:
        x, gamma, beta, _ = _data(rng, n, d)
        # Population statistics that this batch does not have.
        mean = x.mean(axis=0) + rng.uniform(1.0, 2.0, size=d) * rng.choice([-1, 1], d)
        var = rng.uniform(0.3, 4.0, size=d)
        names = ("x", "gamma", "beta", "mean", "var")
        raw = call(
            fn,
            x,
            gamma,
            beta,
            mean,
            var,
            eps,
            what=what,
            inputs=names,
            modified=MODIFIED,
        )
        got = as_array(raw, (n, d), what, single=True)
        expected = batchnorm.batchnorm_inference(x, gamma, beta, mean, var, eps)

        def scaled(x_hat, gamma=gamma, beta=beta):
            return gamma * x_hat + beta

        x_hat = (x - mean) / np.sqrt(var + eps)
        mistakes = [
            Mistake(
                scaled((x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)),
                "you normalised with the batch's own mean and variance; at inference "
                "use the given mean and var (population statistics), so that an "
                "example's output does not depend on the rest of its batch",
            ),
            Mistake(
                scaled((x - mean) / (var + eps)),
                "the square root is missing: divide by sqrt(var + eps), not by the "
                "variance",
            ),
            Mistake(
                scaled((x - mean) / (np.sqrt(var) + eps)),
                "eps is outside the square root: (x - mean) / sqrt(var + eps)",
            ),
            Mistake(
                scaled((x - mean) / np.sqrt(var) + eps),
                "eps is outside the square root: (x - mean) / sqrt(var + eps)",
            ),
            Mistake(
                scaled((x - mean) / np.sqrt(var)), "eps is missing: sqrt(var + eps)"
            ),
            Mistake(
                scaled((x - mean) / np.sqrt(var**2 + eps)),
                "var is already the variance: do not square it",
            ),
            Mistake(
                scaled(x / np.sqrt(var + eps)),
                "the mean is not subtracted: (x - mean) / sqrt(var + eps)",
            ),
            Mistake(
                beta * x_hat + gamma,
                "gamma and beta are swapped: y = gamma * x_hat + beta",
            ),
            Mistake(x_hat, "the scale and shift are missing: y = gamma * x_hat + beta"),
            Mistake(gamma * x_hat, "beta is missing: y = gamma * x_hat + beta"),
            Mistake(x_hat + beta, "gamma is missing: y = gamma * x_hat + beta"),
        ]
        if n > 1:
            mistakes.append(
                Mistake(
                    scaled((x - mean) / np.sqrt(var * n / (n - 1) + eps)),
                    "do not rescale var by m / (m - 1): the given var is already the "
                    "population estimate to use",
                )
            )
        diagnose(got, expected, mistakes, f"(x of shape {(n, d)}, eps={eps:g})")
    return True
