"""Chapter 9, batch normalization in practice: the numpy checkers, of Keras's moving
average of the batch statistics (one update, and n updates in closed form) and of
the parameter counts of a convolution with and without batch normalization.

The reference is :func:`convbn.batchnorm.update_moving`. The chapter's other
checkers are in :mod:`convbn.checks.ch09_keras` (Algorithm 2 on a Keras model,
inference on single images, PyTorch's BatchNorm settings in Keras),
:mod:`convbn.checks.ch09_claims` (a claim re-run with several seeds) and
:mod:`convbn.checks.ch09_layernorm` (layer normalization's backward pass); they are
re-exported here, so ``from convbn.checks.ch09 import ...`` finds every checker of
the chapter."""

from __future__ import annotations

import operator

import numpy as np

from .. import batchnorm
from ._core import (
    InputModified,
    Mistake,
    as_array,
    as_numbers,
    call,
    close,
    first_mistake,
    wrong_at,
)
from .ch09_claims import check_claim_decision
from .ch09_keras import TORCH_DEFAULTS as TORCH_DEFAULTS
from .ch09_keras import (
    check_classify,
    check_keras_batchnorm_kwargs,
    check_set_population_statistics,
)
from .ch09_layernorm import check_layernorm_backward

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_moving_average",
    "check_moving_after",
    "check_bn_parameter_counts",
)

__all__ = [
    "check_moving_average",
    "check_moving_after",
    "check_bn_parameter_counts",
    # re-exported from ch09_keras, ch09_claims and ch09_layernorm
    "check_set_population_statistics",
    "check_claim_decision",
    "check_classify",
    "check_keras_batchnorm_kwargs",
    "check_layernorm_backward",
]


def _wrong(got, expected, context: str) -> str:
    return wrong_at(got, expected, at=lambda i: f"{context} at {i}" if i else context)


def _moving_mistakes(moving, batch, momentum) -> list[Mistake]:
    """The classic wrong moving-average updates."""
    keras_rule = "Keras's rule is moving * momentum + batch_stat * (1 - momentum)"
    return [
        Mistake(
            moving * (1 - momentum) + batch * momentum,
            "you used PyTorch's convention, moving * (1 - momentum) + batch_stat * "
            "momentum, where momentum is the weight of the NEW value; in Keras "
            "momentum (0.99) is the weight of the OLD moving value: " + keras_rule,
        ),
        Mistake(
            moving * momentum + batch,
            "the batch statistic is added with weight 1: it must be weighted by "
            "(1 - momentum), so that the two weights add up to 1; " + keras_rule,
        ),
        Mistake(
            moving + batch * (1 - momentum),
            "the old moving value is kept with weight 1: it must be multiplied by "
            "momentum; " + keras_rule,
        ),
        Mistake(
            (moving + batch) * momentum,
            "momentum multiplies both terms: the batch statistic's weight is "
            "(1 - momentum); " + keras_rule,
        ),
        Mistake(
            moving * (1 - momentum) + batch,
            "momentum is applied to the wrong term (moving * (1 - momentum) + "
            "batch_stat * ... ): " + keras_rule,
        ),
        Mistake(
            batch,
            "you return batch_stat itself: a moving average must remember the old "
            "value (with weight momentum) and move only a little towards the new one",
        ),
        Mistake(
            moving,
            "you return the old moving value unchanged: the moving average must move "
            "towards batch_stat by a fraction (1 - momentum)",
        ),
        Mistake(
            (moving + batch) / 2,
            "you average the two values equally; momentum sets the weights: "
            + keras_rule,
        ),
        Mistake(
            moving * momentum - batch * (1 - momentum),
            "the sign of the batch term is wrong: " + keras_rule,
        ),
    ]


def _moving_cases(rng):
    """(moving, batch_stat, momentum) cases: scalars first, then 1-D arrays, then
    the edge momenta 0 and 1."""
    cases = []
    for momentum in (0.9, 0.99, float(rng.uniform(0.6, 0.98))):
        cases.append((float(rng.normal(0, 2)), float(rng.normal(3, 2)), momentum))
    for size in (1, 5, int(rng.integers(2, 40)), 64):
        momentum = float(rng.choice([0.9, 0.99, 0.999, rng.uniform(0.6, 0.98)]))
        moving = rng.normal(0.0, 2.0, size)
        batch = moving + rng.choice([-1.0, 1.0], size) * rng.uniform(0.5, 4.0, size)
        cases.append((moving, batch, momentum))
    cases.append((rng.normal(size=4), rng.normal(3.0, 1.0, size=4), 0.0))
    cases.append((rng.normal(size=4), rng.normal(3.0, 1.0, size=4), 1.0))
    cases.append(
        (
            rng.normal(size=6).astype(np.float32),
            rng.normal(3.0, 1.0, size=6).astype(np.float32),
            0.99,
        )
    )
    return cases


def check_moving_average(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(moving, batch_stat, momentum)`` must return Keras's update
    ``moving * momentum + batch_stat * (1 - momentum)``.

    ``momentum`` (0.99 in Keras) is the weight of the old value. Tried on single
    numbers and on 1-D arrays (one value per feature, as Keras stores its moving
    mean and variance), with momenta 0.9, 0.99, 0.999, random ones and the edge
    cases 0 and 1; the inputs must not be modified. The reference is
    :func:`convbn.batchnorm.update_moving`.
    """
    rng = np.random.default_rng(seed)
    what = "your moving-average function"
    scalars_ok = False
    for moving, batch, momentum in _moving_cases(rng):
        is_array = isinstance(moving, np.ndarray)
        try:
            raw = call(
                fn,
                moving,
                batch,
                momentum,
                what=what,
                inputs=("moving", "batch_stat", "momentum"),
                modified="{what} modified its input {name} in place (e.g. moving "
                "*= momentum); return a new array and leave the inputs unchanged "
                "(Keras assigns the result to its variable itself)",
            )
        except InputModified:
            raise
        except AssertionError as error:
            crash = error.__cause__
            if not (is_array and scalars_ok and crash):
                raise
            raise AssertionError(
                f"{what} works for single numbers but raised "
                f"{type(crash).__name__}: {crash} on arrays of shape "
                f"{moving.shape}; Keras keeps one moving value per feature, so "
                "use numpy arithmetic that works elementwise (no float(), "
                "math.*, or `if` on the values)"
            ) from crash
        shape = np.shape(moving)
        if is_array and scalars_ok and np.ndim(raw) == 0:
            raise AssertionError(
                f"{what} returned a single number for arrays of shape {shape}; it "
                "works only for scalars: return one moving value per feature"
            )
        got = as_array(raw, shape, what, single=True)
        expected = batchnorm.update_moving(moving, batch, momentum).astype(np.float64)
        tol = 1e-5 if np.asarray(moving).dtype == np.float32 else 1e-9
        if close(got, expected, rtol=tol, atol=tol):
            scalars_ok = scalars_ok or not is_array
            continue
        context = f"with momentum={momentum}"
        if momentum in (0.0, 1.0):
            keep = "the old moving value" if momentum == 1.0 else "batch_stat"
            raise AssertionError(
                f"with momentum={momentum:g} the result must be {keep} (Keras's "
                "rule moving * momentum + batch_stat * (1 - momentum)); "
                + _wrong(got, expected, context)
            )
        mistakes = _moving_mistakes(
            np.asarray(moving, dtype=np.float64),
            np.asarray(batch, dtype=np.float64),
            momentum,
        )
        message = first_mistake(got, expected, mistakes, rtol=tol, atol=tol)
        raise AssertionError(message or _wrong(got, expected, context))
    return True


def _after(initial, batch, momentum, n):
    """The moving value after ``n`` updates towards ``batch``."""
    value = np.asarray(initial, dtype=np.float64)
    batch = np.asarray(batch, dtype=np.float64)
    for _ in range(n):
        value = batchnorm.update_moving(value, batch, momentum)
    return value


def check_moving_after(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(initial, batch_stat, momentum, n)`` must return the moving
    value after ``n`` Keras updates that all see the same ``batch_stat``.

    The closed form is ``batch_stat + (initial - batch_stat) * momentum**n``: the
    initial value's weight decays as ``momentum**n``. Tried on numbers and 1-D
    arrays, n from 0 to 2000 (a loop of n updates is also right), against n
    applications of :func:`convbn.batchnorm.update_moving`.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [  # the first one tells every classic mistake apart
        (1.0, 0.25, 0.9, 3),
        (0.0, 2.0, 0.99, 0),
        (0.0, 1.0, 0.99, 200),
        (3.0, -1.0, 0.999, 1),
    ]
    for _ in range(6):
        size = int(rng.integers(1, 9))
        cases.append(
            (
                rng.normal(0.0, 2.0, size),
                rng.normal(3.0, 2.0, size),
                float(rng.choice([0.9, 0.99, 0.999, rng.uniform(0.6, 0.98)])),
                int(rng.choice([1, 2, 5, 37, 200, 2000])),
            )
        )
    for initial, batch, momentum, n in cases:
        raw = call(
            fn,
            initial,
            batch,
            momentum,
            n,
            what=what,
            inputs=("initial", "batch_stat"),
            modified="{what} modified its inputs ({name}); leave them unchanged",
        )
        got = as_array(raw, np.shape(initial), what, single=True)
        expected = _after(initial, batch, momentum, n)
        if close(got, expected, rtol=1e-7, atol=1e-9):
            continue
        context = f"for n={n}, momentum={momentum}"
        if n == 0:
            raise AssertionError(
                "after n=0 updates the moving value is still initial; "
                + _wrong(got, expected, context)
            )
        i0 = np.asarray(initial, dtype=np.float64)
        b = np.asarray(batch, dtype=np.float64)
        m = momentum
        mistakes = [
            Mistake(
                b + (i0 - b) * m ** max(n - 1, 0),
                "off by one: after n updates the initial value's weight is "
                "momentum**n, not momentum**(n - 1)",
            ),
            Mistake(
                b + (i0 - b) * m ** (n + 1),
                "off by one: after n updates the initial value's weight is "
                "momentum**n, not momentum**(n + 1)",
            ),
            Mistake(
                b + (i0 - b) * (1 - m) ** n,
                "PyTorch's convention: in Keras momentum is the weight of the old "
                "value, so the initial value's weight is momentum**n, not "
                "(1 - momentum)**n",
            ),
            Mistake(
                i0 + (b - i0) * m**n,
                "initial and batch_stat are swapped: the value starts at initial and "
                "moves towards batch_stat",
            ),
            Mistake(
                b + (i0 - b) * m * n,
                "the weights multiply, they do not add: momentum**n, not momentum * n",
            ),
            Mistake(
                i0 * m**n,
                "the batch part is missing: the moving value tends to batch_stat, "
                "so the result is initial * momentum**n + batch_stat * (1 - "
                "momentum**n)",
            ),
            Mistake(
                i0 * m + b * (1 - m),
                "you return the value after a single update; apply it n times",
            ),
            Mistake(
                b + 0 * i0,
                "you return batch_stat: after a finite number of steps the initial "
                "value still has weight momentum**n",
            ),
        ]
        message = first_mistake(got, expected, mistakes, rtol=1e-7, atol=1e-9)
        raise AssertionError(message or _wrong(got, expected, context))
    return True


def _counts(k, c_in, filters, batch_norm):
    kernel = k * k * c_in * filters
    if batch_norm:
        return kernel + 2 * filters, 2 * filters
    return kernel + filters, 0


def check_bn_parameter_counts(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(kernel_size, in_channels, filters, batch_norm)`` must return
    ``(trainable, non_trainable)`` for ``Conv2D(filters, kernel_size,
    use_bias=not batch_norm)`` followed, if ``batch_norm``, by
    ``BatchNormalization()``.

    Conv2D has ``k * k * in_channels * filters`` weights plus one bias per filter
    when it has a bias; BatchNormalization has 2 trainable parameters per channel
    (gamma, beta) and 2 non-trainable ones (moving mean, moving variance). What
    ``model.count_params()`` and ``model.summary()`` report in Keras.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(3, 1, 8, True), (3, 1, 8, False), (5, 3, 16, True), (1, 16, 4, True)]
    for _ in range(8):
        cases.append(
            (
                int(rng.choice([1, 3, 5, 7])),
                int(rng.integers(1, 65)),
                int(rng.integers(1, 129)),
                bool(rng.integers(0, 2)),
            )
        )
    for k, c_in, f, bn in cases:
        raw = call(fn, k, c_in, f, bn, what=what)
        pair = as_numbers(raw, ("trainable", "non_trainable"), what, whole=True)
        expected = _counts(k, c_in, f, bn)
        if pair == expected:
            continue
        kernel = k * k * c_in * f
        setting = f"kernel_size={k}, in_channels={c_in}, filters={f}, batch_norm={bn}"
        mistakes = [Mistake(expected[::-1], "the order is (trainable, non_trainable)")]
        if bn:
            mistakes += [
                Mistake(
                    (kernel + 3 * f, 2 * f),
                    "with batch normalization the convolution "
                    "has no bias (use_bias=False: BN's beta does its job), so do not "
                    "count the filters' biases",
                ),
                Mistake(
                    (kernel + 4 * f, 0),
                    "the moving mean and moving variance are not "
                    "trained by the optimizer: they are non-trainable (updated as "
                    "moving averages)",
                ),
                Mistake(
                    (kernel + 5 * f, 0),
                    "the moving mean and variance are "
                    "non-trainable, and the convolution has no bias with BN",
                ),
                Mistake(
                    (kernel, 4 * f),
                    "gamma and beta are trainable (the optimizer "
                    "learns them); only the moving mean and variance are not",
                ),
                Mistake(
                    (kernel + 2 * f, 0),
                    "BatchNormalization also stores 2 "
                    "non-trainable values per channel: the moving mean and variance",
                ),
                Mistake(
                    (kernel, 2 * f),
                    "gamma and beta (one each per channel) are "
                    "trainable parameters too",
                ),
                Mistake(
                    (kernel, 0),
                    "BatchNormalization has parameters: gamma and beta "
                    "(trainable) and the moving mean and variance (non-trainable), one "
                    "of each per channel",
                ),
                Mistake(
                    (kernel + f, 2 * f),
                    "BN has 2 trainable parameters per channel "
                    "(gamma and beta) and the convolution has no bias",
                ),
            ]
        else:
            no_bn = "batch_norm=False: there is no BatchNormalization layer to count"
            mistakes += [
                Mistake(
                    (kernel, 0),
                    "without BN the convolution has a bias: one per filter",
                ),
                Mistake((kernel + 3 * f, 2 * f), no_bn),
                Mistake((kernel + 2 * f, 2 * f), no_bn),
            ]
        # A wrong kernel count shows in the trainable count, whatever else is right.
        rest = expected[0] - kernel
        kernel_mistakes = [
            Mistake(
                k * c_in * f + rest,
                "a 2-D kernel has k * k weights per input channel and filter, not k",
            ),
            Mistake(
                k * k * f + rest,
                "each filter has a k x k kernel for EVERY input channel: "
                "multiply by in_channels",
            ),
            Mistake(
                k * k * c_in + rest,
                "there is one k x k x in_channels kernel per filter: "
                "multiply by filters",
            ),
        ]
        message = first_mistake(
            pair, expected, mistakes, same=operator.eq
        ) or first_mistake(pair[0], expected[0], kernel_mistakes, same=operator.eq)
        if message:
            raise AssertionError(f"{message} ({setting})")
        raise AssertionError(
            f"wrong counts for {setting}: expected {expected}, got {pair}"
        )
    return True
