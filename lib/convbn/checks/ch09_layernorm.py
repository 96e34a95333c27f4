"""Chapter 9, layer normalization's backward pass: the checker of ``(dx, dgamma,
dbeta)`` for an ``(N, D)`` input normalised over its D features, one example at a
time (as in cs231n's assignment).

The reference is :func:`convbn.batchnorm.layernorm_backward` after
:func:`convbn.batchnorm.layernorm_forward`; the wrong versions reuse chapter 8's
term-by-term formulas of the paper's backward pass (:mod:`convbn.checks.ch08`),
taken over the features (axis 1) instead of the batch. Re-exported by
:mod:`convbn.checks.ch09`."""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import batchnorm
from ._core import Mistake, call, check_gradients, fresh_rng
from ._numpy_only import library, refusing
from ._precision import dtype_of, explain
from .ch08 import MODIFIED, _data, _paper_backward, _scale_shift_mistakes

#: The checkers of this exercise that say "numpy only" (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``; the checker refuses ``convbn.batchnorm``'s functions
#: while it calls the student's).
NUMPY_ONLY = ("check_layernorm_backward",)

_RULE = "exercise 9.8 is numpy only: write the backward pass yourself"
_UNBIASED = (
    "you used the unbiased variance (ddof=1); layer normalization uses the biased "
    "one, dividing by D, as in the forward pass"
)

__all__ = ["check_layernorm_backward"]


def _random_case(rng) -> tuple:
    """``(N, D, eps)`` of a small random case."""
    n, d = int(rng.integers(1, 12)), int(rng.integers(2, 12))
    return n, d, float(rng.choice([1e-5, 1e-3, 0.1, 0.5, 2.0]))


def _cases(rng):
    """``(N, D, eps)``: a general case (tells every known mistake apart), one example
    alone, D = 2, N = D (sums over the wrong axis keep their shape), D = 1 (x_hat and
    dx are 0), random shapes."""
    cases = [(6, 4, 0.5), (1, 5, 1e-3), (4, 2, 0.1), (5, 5, 0.3), (3, 1, 0.2)]
    return cases + [_random_case(rng) for _ in range(5)]


#: A layer of a realistic width (64 examples of 32,768 features): the derived
#: gradients take a fraction of a second, while probing a forward pass with finite
#: differences takes one forward pass of the batch per feature at the least (a
#: feature's differences give its derivative in every example at once, but no
#: fewer passes give them all), 32,768 of them, several minutes: more than the
#: grader's time limit.
_REALISTIC = (64, 32768, 1e-5)


def _dx_mistakes(dy, x, gamma, eps) -> list[Mistake]:
    """What the usual mistakes give for dx, with their diagnoses."""
    t1, t2, t3, dvar, dmu, _ = _paper_backward(dy, x, gamma, eps, axis=1)
    plain = sum(_paper_backward(dy, x, np.ones_like(gamma), eps, axis=1)[:3])
    d = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    mistakes = [
        Mistake(
            t1,
            "you treated the mean and the variance as constants: dx = dy * gamma / "
            "sqrt(var + eps) alone misses the two paths through the example's mean "
            "and variance, which depend on every feature of the example",
        ),
        Mistake(
            t1 + t2,
            "the path through the mean is missing: each x_j also moves its "
            "example's mean mu, which every x_hat_k of the example subtracts; add "
            "dl/dmu * dmu/dx_j = dl/dmu / D",
        ),
        Mistake(
            t1 + t3,
            "the path through the variance is missing: each x_j also moves its "
            "example's variance, which divides every x_hat_k of the example; add "
            "dl/dvar * dvar/dx_j = dl/dvar * 2 (x_j - mu) / D",
        ),
        Mistake(
            t2 + t3,
            "the direct term is missing: dy * gamma / sqrt(var + eps), the path from "
            "x_j to x_hat_j itself",
        ),
        Mistake(
            sum(_paper_backward(dy, x, gamma, eps, axis=0)[:3])
            if x.shape[0] > 1
            else None,
            "that is batch normalization's backward pass: the statistics and the "
            "sums run over the batch (axis 0); layer normalization's run over each "
            "example's features (axis 1, keepdims=True)",
        ),
        Mistake(
            plain,
            "gamma is left out of dx: the chain rule through y = gamma * x_hat + "
            "beta gives dl/dx_hat = dy * gamma",
        ),
        Mistake(
            plain * gamma,
            "gamma multiplies dx at the end: it belongs inside, g = dy * gamma "
            "before the means over the features (each feature has its own gamma_j, "
            "so it does not factor out of those means as it does in batch norm)",
        ),
        Mistake(
            t1 - t2 + t3,
            "the variance term has the wrong sign: dl/dvar = sum_j g_j (x_j - mu) "
            "(-1/2) (var + eps)^(-3/2)",
        ),
        Mistake(
            t1 + t2 + dmu,
            "the mean term is dl/dmu * dmu/dx_j with dmu/dx_j = 1 / D: divide by D",
        ),
        Mistake(
            t1 + dvar * 2.0 * centred + t3,
            "the variance term is dl/dvar * dvar/dx_j with dvar/dx_j = 2 (x_j - mu) "
            "/ D: divide by D",
        ),
    ]
    if d > 1:
        var = x.var(axis=1, keepdims=True)
        unbiased = x.var(axis=1, ddof=1, keepdims=True)
        mistakes += [
            Mistake(_std_dx(dy, x, gamma, np.sqrt(unbiased + eps)), _UNBIASED),
            Mistake(_std_dx(dy, x, gamma, np.sqrt(unbiased + eps), d - 1), _UNBIASED),
            Mistake(_std_dx(dy, x, gamma, np.sqrt(var)), _NO_EPS),
            Mistake(_std_dx(dy, x, gamma, np.sqrt(var) + eps), _EPS_OUTSIDE),
        ]
    return mistakes


_NO_EPS = (
    "eps is missing: x_hat = (x - mu) / sqrt(var + eps), as in the forward pass, "
    "and every 1 / sqrt(var + eps) of the backward pass keeps it"
)
_EPS_OUTSIDE = (
    "eps is outside the square root: the forward pass divides by sqrt(var + eps), "
    "not by sqrt(var) + eps"
)


def _x_hat(x, std) -> np.ndarray:
    """x normalised per example with the standard deviation ``std`` (N, 1)."""
    return (x - x.mean(axis=1, keepdims=True)) / std


def _std_dx(dy, x, gamma, std, count=None) -> np.ndarray:
    """dx as a derivation gives it with another standard deviation ``std`` (N, 1)
    (the unbiased variance, eps left out or outside the square root), and ``count``
    (default D) dividing the path through the variance."""
    x_hat, g = _x_hat(x, std), dy * gamma
    count = x.shape[1] if count is None else count
    through_var = x_hat * (g * x_hat).sum(axis=1, keepdims=True) / count
    return (g - g.mean(axis=1, keepdims=True) - through_var) / std


def _grad_mistakes(dy, x, gamma, eps, x_hat) -> tuple[list, list]:
    """The usual wrong dgamma and dbeta, with their diagnoses."""
    n, d = x.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        batch_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    axis = (
        "summed over the wrong axis: gamma_j and beta_j are shared by every example, "
        "so their gradients add up over the batch (axis 0), one value per feature, "
        "shape (D,)"
    )
    shared_dgamma, shared_dbeta = _scale_shift_mistakes(
        dy,
        x,
        gamma,
        x_hat,
        "dl/dgamma_j = sum over examples of dy * x_hat",
        "examples",
        "sum of dy over the examples",
    )
    dgamma = [
        Mistake(
            (dy * batch_hat).sum(axis=0) if n > 1 else None,
            "x_hat is normalised over the batch axis (axis 0): that is batch "
            "normalization's x_hat; layer normalization normalises each example "
            "over its own D features (axis 1)",
        ),
        Mistake((dy * x_hat).sum(axis=1) if n == d else None, f"dgamma is {axis}"),
        *shared_dgamma,
    ]
    if d > 1:  # x_hat with other statistics (with D = 1, x_hat is 0 or undefined)
        var = x.var(axis=1, keepdims=True)
        unbiased = x.var(axis=1, ddof=1, keepdims=True)
        dgamma += [
            Mistake((dy * _x_hat(x, np.sqrt(unbiased + eps))).sum(axis=0), _UNBIASED),
            Mistake((dy * _x_hat(x, np.sqrt(var))).sum(axis=0), _NO_EPS),
            Mistake((dy * _x_hat(x, np.sqrt(var) + eps)).sum(axis=0), _EPS_OUTSIDE),
        ]
    dbeta = [
        Mistake(dy.sum(axis=1) if n == d else None, f"dbeta is {axis}"),
        *shared_dbeta,
    ]
    return dgamma, dbeta


def _mistakes(dy, x, gamma, eps, x_hat) -> tuple[list, list, list]:
    """The usual wrong dx, dgamma and dbeta, with their diagnoses."""
    dgamma, dbeta = _grad_mistakes(dy, x, gamma, eps, x_hat)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _dx_mistakes(dy, x, gamma, eps), dgamma, dbeta


def _explain(got, expected, value) -> str:
    """The message of a gradient that matched no known mistake: right only to the
    precision of the student's dtype, or where it is wrong."""
    return explain(got, expected, dtype_of(value))


def check_layernorm_backward(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(dy, x, gamma, eps)`` must return layer norm's ``(dx, dgamma,
    dbeta)``.

    ``x`` and ``dy`` = dl/dy are ``(N, D)``, ``gamma`` ``(D,)``; y = gamma * x_hat +
    beta with x_hat = (x - mu) / sqrt(var + eps), mu and the biased var per example,
    over its D features. The three gradients (of the loss with respect to x, gamma
    and beta) have the shapes of x, gamma and gamma. The reference is
    :func:`convbn.batchnorm.layernorm_backward` (equal to TensorFlow's
    ``GradientTape`` through ``keras.layers.LayerNormalization``). Checked on random
    shapes (one example, N = D and D = 1 included) whose examples have different
    means and scales, then one layer of a realistic width (64 examples of 32,768
    features: finite differences of a forward pass take minutes on it, the derived
    gradients a fraction of a second), then four random cases from a fresh seed that
    nobody knows in advance (with seeded cases alone, a table of recorded answers
    would pass). The inputs must not be modified, and while ``fn`` runs, nothing of
    ``convbn``, scipy or TensorFlow may be called (the exercise is numpy only).
    Names the usual mistakes: the statistics treated as constants, the path through
    the mean or the variance missing, batch normalization's axis, gamma left out of
    dx or applied after the sums, dgamma or dbeta summed over the wrong axis or
    averaged, a wrong factor in dgamma, the unbiased variance, eps left out or
    outside the square root, an answer right only to float32's precision.
    """
    rng = np.random.default_rng(seed)
    what = "your layer-norm backward function"
    refused = library(batchnorm)
    options = {"what": what, "inputs": ("dy", "x", "gamma"), "modified": MODIFIED}
    fresh = fresh_rng()
    cases = [(case, rng) for case in [*_cases(rng), _REALISTIC]]
    cases += [(_random_case(fresh), fresh) for _ in range(4)]
    for (n, d, eps), draw in cases:
        x, gamma, _, dy = _data(draw, n, d)
        # each example its own offset and scale, so that the axes tell apart
        x = draw.uniform(-4.0, 4.0, (n, 1)) + draw.uniform(0.5, 2.5, (n, 1)) * x
        _, cache = batchnorm.layernorm_forward(x, gamma, 0.0, eps)
        expected = batchnorm.layernorm_backward(dy, cache)
        with refusing(_RULE, refused, fn):
            raw = call(fn, dy, x, gamma, eps, **options)
        check_gradients(
            raw,
            expected,
            partial(_mistakes, dy, x, gamma, eps, cache.x_hat),
            what=what,
            context=f"x of shape {(n, d)}, eps={eps:g}",
            per_example="gamma and beta are shared by every example, so sum over "
            "the examples (axis 0), one value per feature",
            explain=_explain,
        )
    return True
