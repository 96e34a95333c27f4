"""Chapter 8, internal covariate shift and the batch-normalizing transform: the
checkers of Algorithm 1 (the training forward pass), its backward pass (the paper's
section 3) and the inference transform with fixed statistics; and of the
normalizations that take their statistics per example instead (taught in chapter 9,
after batch normalization): layer and group normalization.

The references are :mod:`convbn.batchnorm`'s functions; the helpers here compute
what the classic mistakes give, term by term where the paper's formulas help."""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import batchnorm
from ._core import Mistake, as_array, call, check_gradients, diagnose

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_batchnorm_inference",
)

__all__ = [
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_batchnorm_inference",
    "check_layernorm_forward",
    "check_groupnorm_forward",
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


def _check_normalization(
    fn, what, cases, rng, reference, mistakes, spread_examples=False
) -> bool:
    """Try ``fn(x, gamma, beta, eps)`` on ``(N, D)`` inputs against ``reference``
    (a ``convbn.batchnorm`` forward function), naming the first of ``mistakes(x,
    gamma, beta, eps)`` it matches. ``spread_examples`` shifts each example by its
    own constant, so that statistics over the wrong axis show."""
    for n, d, eps in cases:
        x, gamma, beta, _ = _data(rng, n, d)
        if spread_examples:
            x = x + rng.uniform(-4.0, 4.0, size=(n, 1))
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
        expected = reference(x, gamma, beta, eps)[0]
        label = f"(x of shape {(n, d)}, eps={eps:g})"
        diagnose(got, expected, mistakes(x, gamma, beta, eps), label)
    return True


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
    return _check_normalization(
        fn,
        "your batch-norm forward function",
        _cases(rng),
        rng,
        batchnorm.batchnorm_forward,
        _forward_mistakes,
    )


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


def _scale_shift_mistakes(dy, x, gamma, x_hat, rule: str, over: str, beta: str):
    """The usual wrong dgamma and dbeta (two lists) of a normalization whose x_hat is
    given: ``rule`` is the right dgamma ("dl/dgamma = sum_i dy_i * x_hat_i"),
    ``over`` what its sums run over ("batch"), ``beta`` the right dbeta."""
    dgamma = [
        Mistake(
            dy.sum(axis=0), f"dgamma without x_hat: {rule} (y = gamma * x_hat + beta)"
        ),
        Mistake((dy * x).sum(axis=0), f"dgamma uses x instead of x_hat: {rule}"),
        Mistake(
            (dy * x_hat * gamma).sum(axis=0),
            f"dgamma has an extra factor gamma: {rule}",
        ),
        Mistake(
            (dy * x_hat).mean(axis=0), f"dgamma is a sum over the {over}, not a mean"
        ),
    ]
    dbeta = [
        Mistake(
            dy.mean(axis=0), f"dbeta is the sum of dy over the {over}, not the mean"
        ),
        Mistake(
            (dy * gamma).sum(axis=0),
            f"dbeta = {beta}: beta is added, so gamma does not enter",
        ),
    ]
    return dgamma, dbeta


def _mistakes(dy, x, gamma, eps, x_hat) -> tuple[list, list, list]:
    """The usual wrong dx, dgamma and dbeta of Algorithm 1's backward pass."""
    n, d = x.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat_unbiased = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
    rule = "dl/dgamma = sum_i dy_i * x_hat_i"
    dgamma, dbeta = _scale_shift_mistakes(
        dy, x, gamma, x_hat, rule, "batch", "sum_i dy_i"
    )
    dgamma.append(
        Mistake(
            (dy * x_hat_unbiased).sum(axis=0),
            "dgamma: x_hat must use the biased variance (ddof=0), as in the "
            "forward pass",
        )
    )
    dbeta.append(Mistake(dy.sum(axis=1) if n == d else None, "dbeta: sum over axis=0"))
    return _dx_mistakes(dy, x, gamma, eps), dgamma, dbeta


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
        _, cache = batchnorm.batchnorm_forward(x, gamma, 0.0, eps)
        check_gradients(
            raw,
            batchnorm.batchnorm_backward(dy, cache),
            partial(_mistakes, dy, x, gamma, eps, cache.x_hat),
            what=what,
            context=context,
            per_example="sum over the mini-batch (axis=0) to get one value per feature",
        )
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


# --- Layer and group normalization -------------------------------------------------


def _normalised(x, axes, eps, ddof: int = 0, how: str = "right"):
    """x normalised with statistics over ``axes`` (keepdims); ``how`` names a slip:
    "eps outside" (sqrt(var) + eps), "eps added" (after dividing), "no eps", "no
    sqrt", "std" (the standard deviation where the variance goes). None if ``ddof``
    leaves no degree of freedom."""
    mu = x.mean(axis=axes, keepdims=True)
    if x.size <= ddof * mu.size:
        return None
    var = x.var(axis=axes, ddof=ddof, keepdims=True)
    centred = x - mu
    if how == "eps outside":
        return centred / (np.sqrt(var) + eps)
    if how == "eps added":
        return centred / np.sqrt(var) + eps
    if how == "no eps":
        return centred / np.sqrt(var)
    if how == "no sqrt":
        return centred / (var + eps)
    if how == "std":
        return centred / np.sqrt(np.sqrt(var) + eps)
    return centred / np.sqrt(var + eps)


def _common_mistakes(normalise, gamma, beta, rule: str, uncentred):
    """The slips that layer and group normalization share with Algorithm 1.

    ``normalise(ddof, how)`` gives x_hat over the right axes (see
    :func:`_normalised`); ``rule`` is the right formula, for the messages;
    ``uncentred`` is x_hat with the variance taken as mean(x^2)."""

    def scaled(value):
        return gamma * value + beta

    x_hat, unbiased = normalise(), normalise(ddof=1)
    return [
        Mistake(
            None if unbiased is None else scaled(unbiased),
            "you used the unbiased variance (dividing by m - 1, ddof=1); use the "
            f"biased variance, np.var's default ddof=0 ({rule})",
        ),
        Mistake(
            scaled(normalise(how="eps outside")),
            f"eps is outside the square root: divide by sqrt(var + eps), not by "
            f"sqrt(var) + eps ({rule})",
        ),
        Mistake(
            scaled(normalise(how="eps added")),
            f"eps is outside the square root: {rule}",
        ),
        Mistake(scaled(normalise(how="no eps")), f"eps is missing: {rule}"),
        Mistake(
            scaled(normalise(how="no sqrt")),
            "the square root is missing: divide by the standard deviation "
            "sqrt(var + eps), not by the variance",
        ),
        Mistake(
            scaled(normalise(how="std")),
            f"you put the standard deviation where the variance goes: {rule}",
        ),
        Mistake(
            beta * x_hat + gamma,
            "gamma and beta are swapped: y = gamma * x_hat + beta (gamma scales, "
            "beta shifts)",
        ),
        Mistake(x_hat, "the scale and shift are missing: return gamma * x_hat + beta"),
        Mistake(gamma * x_hat, "beta is missing: y = gamma * x_hat + beta"),
        Mistake(x_hat + beta, "gamma is missing: y = gamma * x_hat + beta"),
        Mistake(
            scaled(uncentred),
            "the variance is not centred: var = mean((x - mu)^2) over the same "
            "values as mu, not mean(x^2)",
        ),
    ]


def _layernorm_cases(rng):
    """``(N, D, eps)``: a general case, one example alone, D = 2, D = 1, random."""
    cases = [(6, 5, 0.5), (1, 4, 1e-3), (3, 2, 0.1), (4, 1, 0.2)]
    for _ in range(6):
        n, d = int(rng.integers(1, 30)), int(rng.integers(2, 40))
        cases.append((n, d, float(rng.choice([1e-5, 1e-3, 0.1, 0.5, 2.0]))))
    return cases


def _layernorm_mistakes(x, gamma, beta, eps):
    """What the classic mistakes of layer normalization return, with diagnoses."""
    rule = "x_hat = (x - mu) / sqrt(var + eps), mu and var per example"

    def variant(ddof=0, how="right"):
        return _normalised(x, 1, eps, ddof, how)

    with np.errstate(divide="ignore", invalid="ignore"):
        uncentred = (x - x.mean(1, keepdims=True)) / np.sqrt(
            (x**2).mean(1, keepdims=True) + eps
        )
        return [
            Mistake(
                gamma * _normalised(x, 0, eps) + beta,
                "statistics over the batch axis (axis=0): that is batch "
                "normalization; layer normalization takes each example's mean "
                "and variance over its own features, axis=-1 (keepdims=True)",
            ),
            Mistake(
                gamma * _normalised(x, None, eps) + beta,
                "statistics over all values: you used one mean and one variance "
                "for the whole batch; each example (row) needs its own, over "
                "axis=-1",
            ),
            *_common_mistakes(variant, gamma, beta, rule, uncentred),
            Mistake(
                gamma * x / np.sqrt(x.var(1, keepdims=True) + eps) + beta,
                f"the mean is not subtracted: {rule}",
            ),
        ]


def check_layernorm_forward(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(x, gamma, beta, eps)`` must return layer normalization's y.

    ``x`` is ``(N, D)``; ``gamma`` and ``beta`` are ``(D,)``. Per example (axis 1,
    over its D features, never over the batch): ``mu = mean(x)``, the biased ``var =
    mean((x - mu)^2)``, ``x_hat = (x - mu) / sqrt(var + eps)`` and ``y = gamma *
    x_hat + beta``, shape ``(N, D)``; the reference is
    :func:`convbn.batchnorm.layernorm_forward`. Checked on random shapes (a single
    example, D = 1 and D = 2 included) whose examples and features have different
    means and scales; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    return _check_normalization(
        fn,
        "your layer-norm forward function",
        _layernorm_cases(rng),
        rng,
        batchnorm.layernorm_forward,
        _layernorm_mistakes,
        spread_examples=True,
    )


def _groupnorm_cases(rng):
    """``((N, H, W, C), groups, eps)``: a general case (3 channels in each of 2
    groups), then 4 groups of 2, instance and layer normalization (groups = C, 1),
    one example alone, 1 x 1 maps, and random shapes."""
    cases = [
        ((3, 4, 5, 6), 2, 0.5),
        ((2, 3, 3, 8), 4, 1e-3),
        ((2, 2, 3, 4), 4, 0.1),
        ((2, 3, 2, 6), 1, 0.2),
        ((1, 3, 3, 4), 2, 1e-3),
        ((3, 1, 1, 6), 3, 0.1),
    ]
    for _ in range(4):
        groups, size = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        shape = tuple(int(v) for v in rng.integers(1, 6, size=3)) + (groups * size,)
        cases.append((shape, groups, float(rng.choice([1e-5, 1e-3, 0.1, 0.5]))))
    return cases


def _grouped(x, groups: int, stride: bool = False):
    """``x`` (N, H, W, C) as (N, H, W, G, C/G): contiguous groups of channels, or with
    ``stride`` every G-th channel (channel c in group c % G)."""
    n, h, w, c = x.shape
    if stride:
        return x.reshape(n, h, w, c // groups, groups).swapaxes(3, 4)
    return x.reshape(n, h, w, groups, c // groups)


def _ungrouped(grouped, stride: bool = False):
    n, h, w, groups, size = grouped.shape
    if stride:
        grouped = grouped.swapaxes(3, 4)
    return grouped.reshape(n, h, w, groups * size)


def check_groupnorm_forward(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(x, gamma, beta, groups, eps)`` must return group norm's y.

    ``x`` is ``(N, H, W, C)``, ``gamma`` and ``beta`` ``(C,)``, ``groups`` G divides
    C. The channels are split into G contiguous groups of C/G (channel c in group c
    // (C/G), as ``x.reshape(N, H, W, G, C // G)`` gives); for each example and
    group, the mean and biased variance are over H, W and the group's channels,
    ``x_hat = (x - mu) / sqrt(var + eps)``, and ``y = gamma_c * x_hat + beta_c`` per
    channel, shape ``(N, H, W, C)``; the reference is
    :func:`convbn.batchnorm.groupnorm_forward`. Checked on random shapes (groups = 1
    and groups = C, one example, 1 x 1 maps included) whose channels and examples
    have different means and scales; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your group-norm forward function"
    for shape, groups, eps in _groupnorm_cases(rng):
        n, h, w, c = shape
        loc = rng.uniform(-6.0, 6.0, size=(n, 1, 1, c))  # per example and channel
        x = loc + rng.uniform(0.4, 3.0, size=c) * rng.normal(size=shape)
        gamma = rng.uniform(1.5, 3.0, size=c) * rng.choice([-1.0, 1.0], size=c)
        beta = rng.uniform(0.5, 3.0, size=c) * rng.choice([-1.0, 1.0], size=c)
        raw = call(
            fn,
            x,
            gamma,
            beta,
            groups,
            eps,
            what=what,
            inputs=("x", "gamma", "beta"),
            modified=MODIFIED,
        )
        got = as_array(raw, shape, what, single=True)
        expected = batchnorm.groupnorm_forward(x, gamma, beta, groups, eps)[0]
        diagnose(
            got,
            expected,
            _groupnorm_mistakes(x, gamma, beta, groups, eps),
            f"(x of shape {shape}, groups={groups}, eps={eps:g})",
        )
    return True


def _groupnorm_mistakes(x, gamma, beta, groups, eps):
    """What the classic mistakes of group normalization return, with diagnoses."""
    size = x.shape[-1] // groups
    group_axes = (1, 2, 4)  # of the grouped (N, H, W, G, C/G) layout
    rule = (
        "x_hat = (x - mu) / sqrt(var + eps), mu and var per example and group, over "
        "H, W and the group's C/G channels"
    )

    def variant(axes=group_axes, stride=False, ddof=0, how="right"):
        grouped = _grouped(x, groups, stride)
        return _ungrouped(_normalised(grouped, axes, eps, ddof, how), stride)

    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat = variant()
        grouped_hat = _grouped(x_hat, groups)
        per_group = [
            Mistake(
                _ungrouped(grouped_hat * gamma[:groups, None] + beta[:groups, None]),
                "gamma and beta are applied per group: each of the C channels has "
                "its own gamma_c and beta_c, shape (C,); reshape them to (G, C/G) "
                "for the grouped x, or apply them after reshaping back to (N, H, W, "
                "C)",
            ),
            Mistake(
                _ungrouped(grouped_hat * gamma[:groups, None]) + beta,
                "gamma is applied per group: each of the C channels has its own "
                "gamma_c, shape (C,); reshape it to (G, C/G) for the grouped x, or "
                "apply it after reshaping back to (N, H, W, C)",
            ),
            Mistake(
                _ungrouped(grouped_hat * gamma[::size, None] + beta[::size, None]),
                "gamma and beta are applied per group (one value per group): each "
                "of the C channels has its own gamma_c and beta_c, shape (C,)",
            ),
        ]
        centred = _grouped(x, groups) - _grouped(x, groups).mean(
            axis=group_axes, keepdims=True
        )
        uncentred = _ungrouped(
            centred
            / np.sqrt((_grouped(x, groups) ** 2).mean(group_axes, keepdims=True) + eps)
        )
        return [
            Mistake(
                gamma * variant(stride=True) + beta
                if 1 < groups < x.shape[-1]
                else None,
                "the channels are grouped by stride (channel c in group c % G, as "
                "x.reshape(N, H, W, C // G, G) gives); the groups are contiguous: "
                "channel c is in group c // (C/G), x.reshape(N, H, W, G, C // G)",
            ),
            Mistake(
                gamma * _normalised(x, (1, 2), eps) + beta,
                "statistics per channel: that is instance normalization (groups = "
                "C); take each group's mean and variance over H, W and all C/G "
                "channels of the group together, axes (1, 2, 4) of x.reshape(N, H, "
                "W, G, C // G)",
            ),
            Mistake(
                gamma * variant(axes=(0, 1, 2, 4)) + beta,
                "the batch axis is included: group normalization takes statistics per "
                "example, over H, W and the group's channels, axes (1, 2, 4) of "
                "x.reshape(N, H, W, G, C // G), never over N",
            ),
            Mistake(
                gamma * _normalised(x, (0, 1, 2), eps) + beta,
                "statistics per channel over N, H and W: that is batch "
                "normalization; group normalization takes them per example and "
                "group, axes (1, 2, 4) of x.reshape(N, H, W, G, C // G)",
            ),
            *per_group,
            Mistake(
                gamma * _normalised(x, (1, 2, 3), eps) + beta,
                "groups is ignored: statistics over all of H, W and C is layer "
                "normalization (groups = 1); split the channels into G groups",
            ),
            Mistake(
                gamma * variant(axes=(4,)) + beta,
                "statistics over the group's channels at each pixel only: include H "
                "and W, axes (1, 2, 4) of x.reshape(N, H, W, G, C // G)",
            ),
            *_common_mistakes(variant, gamma, beta, rule, uncentred),
            Mistake(
                gamma
                * _ungrouped(
                    _grouped(x, groups)
                    / np.sqrt(_grouped(x, groups).var(group_axes, keepdims=True) + eps)
                )
                + beta,
                f"the mean is not subtracted: {rule}",
            ),
        ]
