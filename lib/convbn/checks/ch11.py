"""Chapter 11, compiling: losses and optimizers: the checkers of a custom loss
written with ``keras.ops`` (the per-sample log-cosh, finite for any error), the
categorical
crossentropy in numpy from probabilities (clipped, as Keras computes it for an array)
and from logits (exact), one step of Keras's Adam, and the inverse time decay
schedule.

The loss references are :mod:`convbn.losses`'; Adam is recomputed here as Keras's
``update_step`` (the library has no optimizer), checked against Keras in the tests."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .. import losses
from ._core import Mistake, as_array, call, close, first_mistake, wrong_at

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_categorical_crossentropy",
    "check_adam_step",
    "check_inverse_time_decay",
)

__all__ = [
    "check_custom_loss",
    "check_categorical_crossentropy",
    "check_adam_step",
    "check_inverse_time_decay",
]


def _errstate():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _loss_diagnosis(got, y_true, y_pred) -> str:
    """Name the mistake of a per-sample log-cosh that gave ``got`` (float64)."""
    diff = y_pred.astype(np.float64) - y_true.astype(np.float64)
    each = losses.log_cosh(np.zeros(diff.shape + (1,)), diff[..., None])  # per value
    expected = each.mean(axis=-1)
    shape = diff.shape
    if not np.all(np.isfinite(got)):
        return (
            "the loss is infinite or NaN for errors above 89: cosh(x), like exp(x), "
            "overflows float32 there, although log cosh x is only about |x| - log 2. "
            "Write log cosh x = |x| + log(1 + exp(-2 |x|)) - log 2, which never "
            "exponentiates a large number (ops.abs, ops.exp, ops.log1p)"
        )

    def named(mistakes):
        return first_mistake(got, expected, mistakes, rtol=1e-4, atol=1e-6)

    one_per_sample = (
        "Keras wants one loss per sample: average over the last axis only, "
        "ops.mean(..., axis=-1)"
    )
    if got.shape == ():
        return named(
            [
                Mistake(
                    each.mean(),
                    "the loss is reduced to a scalar, like the "
                    f"slides' T.mean(...). {one_per_sample}",
                ),
                Mistake(
                    each.sum(),
                    "the loss is reduced to a scalar (a sum over "
                    f"everything). {one_per_sample}",
                ),
            ]
        ) or (
            f"the loss returned a single number for inputs of shape {shape}; it "
            f"must return one value per sample, shape {expected.shape}"
        )
    mistakes = [
        Mistake(
            each,
            "nothing is averaged: the result has one value per element; "
            "average over the last axis, ops.mean(..., axis=-1)",
        )
    ]
    ndim = len(shape)
    for size in range(1, ndim + 1):
        for axes in combinations(range(ndim), size):
            if axes != (ndim - 1,):
                mistakes.append(
                    Mistake(
                        each.mean(axis=axes),
                        f"the loss averages over axis {axes if size > 1 else axes[0]}"
                        f" instead of the last axis only (result shape "
                        f"{expected.shape}): use axis=-1",
                    )
                )
    mistakes += [
        Mistake(
            each.sum(axis=-1),
            "sum instead of mean over the last axis: "
            "ops.mean(..., axis=-1), as keras.losses.log_cosh",
        ),
        Mistake(
            expected + np.log(2.0),
            "the result is log cosh + log 2: "
            "log(e^x + e^-x) is log(2 cosh x), and log cosh 0 must be 0; "
            "subtract log 2",
        ),
        Mistake(
            (np.abs(diff) - np.log(2.0)).mean(axis=-1),
            "|x| - log 2 is "
            "log cosh x only for large errors; the term log(1 + exp(-2 |x|)) "
            "is missing",
        ),
        Mistake(
            np.abs(diff).mean(axis=-1),
            "this is the mean absolute error; "
            "log cosh x = |x| + log(1 + exp(-2 |x|)) - log 2",
        ),
        Mistake(
            (0.5 * diff**2).mean(axis=-1),
            "x^2 / 2 is log cosh x only for small errors (half the mean squared error)",
        ),
        Mistake(
            (diff**2).mean(axis=-1), "this is the mean squared error, not log cosh"
        ),
        Mistake(
            -expected, "the sign is wrong: a loss is minimised, so it must be >= 0"
        ),
    ]
    message = named(mistakes)
    if message:
        return message
    if got.shape == shape[:-1] + (1,):
        return (
            f"the result has shape {got.shape}: do not keep the reduced axis "
            f"(keepdims=False), Keras expects shape {expected.shape}"
        )
    if got.shape != expected.shape:
        return (
            f"the loss returned shape {got.shape} for inputs of shape {shape}; the "
            f"per-sample loss has shape {expected.shape} (reduce the last axis only)"
        )
    return f"{wrong_at(got, expected)} for inputs of shape {shape}"


def _in_graph(fn):
    """``fn`` traced by ``tf.function``, where ``fn`` lives.

    A student's function graded in a sandbox (``convbn_tools.wire.Remote``) is
    traced there, as it cannot be traced across processes.
    """
    if hasattr(fn, "in_graph"):
        return fn.in_graph()
    import tensorflow as tf

    return tf.function(lambda a, b: fn(a, b), reduce_retracing=True)


def _gradient_of_sum(fn, y_true, y_pred):
    """The gradient of ``sum(fn(y_true, y_pred))`` with respect to ``y_pred``, or
    None when no gradient flows (computed where ``fn`` lives, as :func:`_in_graph`).
    """
    if hasattr(fn, "gradient_of_sum"):
        return fn.gradient_of_sum(y_true, y_pred)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        total = tf.reduce_sum(fn(y_true, y_pred))
    return tape.gradient(total, y_pred)


def check_custom_loss(fn, seed: int = 0) -> bool:
    """Chapter 11: ``fn(y_true, y_pred)`` must be the per-sample log-cosh loss.

    The loss is written with ``keras.ops`` and returns a tensor of one value per
    sample, the mean of ``log cosh(y_pred - y_true)`` over the **last** axis, like
    ``keras.losses.log_cosh``: inputs of shape ``(batch, d)`` give shape
    ``(batch,)``, ``(batch, t, d)`` gives ``(batch, t)``. Checked on random float32
    tensors of many shapes, on errors of 100 to 300 (where cosh overflows float32;
    the loss must stay finite), then inside a ``tf.function`` (graph mode, as
    ``model.fit`` runs a loss) and for its gradient with respect to ``y_pred``,
    which must be ``tanh(y_pred - y_true) / d``.

    Decision on numpy: the result must be a backend tensor (what ``keras.ops``
    returns). A numpy result (``np.mean(...)`` or ``.numpy()``) is rejected: it
    works on the eager tensors of a quick test but not on the symbolic tensors of
    ``model.fit``, and no gradient flows through it.
    """
    from .._tf import import_keras

    keras = import_keras()
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    what = "your loss function"
    shapes = [(8, 3), (6, 1), (4, 5, 3), (1, 7), (5, 10), (3, 4, 2, 6), (2, 9, 1)]
    shapes += [tuple(int(n) for n in rng.integers(1, 9, size=2)) for _ in range(3)]
    cases = []
    for shape in shapes:
        y_true = rng.normal(size=shape).astype(np.float32)
        error = rng.normal(scale=1.5, size=shape)
        cases.append((y_true, (y_true + error).astype(np.float32)))
    y_true = rng.normal(size=(4, 3)).astype(np.float32)
    large = rng.choice([-1.0, 1.0], size=(4, 3)) * rng.uniform(100, 300, size=(4, 3))
    cases.append((y_true, (y_true + large).astype(np.float32)))
    for y_true, y_pred in cases:
        result = call(fn, tf.constant(y_true), tf.constant(y_pred), what=what)
        if isinstance(result, np.ndarray | np.generic | float | int):
            raise AssertionError(
                f"{what} returned a numpy value ({type(result).__name__}), not a "
                "tensor: compute it with keras.ops so that it also works on the "
                "symbolic tensors of model.fit and can be differentiated"
            )
        if not keras.ops.is_tensor(result):
            raise AssertionError(
                f"{what} must return a tensor (from keras.ops), got "
                f"{type(result).__name__}"
            )
        got = np.asarray(keras.ops.convert_to_numpy(result), dtype=np.float64)
        expected = losses.log_cosh(y_true, y_pred)
        if close(got, expected, rtol=1e-5, atol=1e-5):
            continue
        raise AssertionError(_loss_diagnosis(got, y_true, y_pred))

    shape = (6, 4)
    y_true = tf.constant(rng.normal(size=shape).astype(np.float32))
    y_pred = tf.constant(rng.normal(scale=2.0, size=shape).astype(np.float32))
    graph_fn = _in_graph(fn)
    try:
        graph_result = graph_fn(y_true, y_pred)
    except Exception as error:
        raise AssertionError(
            f"{what} fails in graph mode, where model.fit runs it "
            f"({type(error).__name__}: {str(error)[:160]}): use keras.ops functions "
            "only, no numpy calls and no .numpy()"
        ) from error
    if not np.allclose(
        keras.ops.convert_to_numpy(graph_result),
        losses.log_cosh(y_true.numpy(), y_pred.numpy()),
        rtol=1e-5,
        atol=1e-5,
    ):
        raise AssertionError(f"{what} gives different values in graph mode")

    gradient = _gradient_of_sum(fn, y_true, y_pred)
    if gradient is None:
        raise AssertionError(
            "no gradient flows from your loss back to y_pred: do not leave the "
            "keras.ops world (no numpy, no .numpy(), no ops.stop_gradient)"
        )
    expected_gradient = np.tanh(y_pred.numpy() - y_true.numpy()) / shape[-1]
    if not np.allclose(gradient, expected_gradient, rtol=1e-4, atol=1e-6):
        raise AssertionError(
            "the gradient of your loss with respect to y_pred is not "
            "tanh(y_pred - y_true) / d; does it use an operation with a wrong "
            "derivative (ops.stop_gradient, rounding)?"
        )
    return True


def check_categorical_crossentropy(fn, seed: int = 0) -> bool:
    """Chapter 11: ``fn(y_true, y_pred, from_logits=False)`` must be the categorical
    crossentropy by both of Keras's routes.

    numpy only. ``y_true`` holds one-hot labels (or a probability vector per sample)
    and ``y_pred`` predictions, both of shape ``(batch, ..., C)``; the result is one
    value per sample, shape ``(batch, ...)``.

    * ``from_logits=False`` (the default): ``y_pred`` holds probabilities; rescale
      each row to sum to 1, clip it to ``[1e-7, 1 - 1e-7]``, then
      ``-sum(y_true * log(p), axis=-1)``, as Keras does for an array of
      probabilities. Checked on random shapes, a prediction of exactly 0 for the
      true class (-log(1e-7) = 16.12), rows that do not sum to 1, soft labels.
    * ``from_logits=True`` (passed as the third argument): ``y_pred`` holds logits
      and the loss is ``-sum(y_true * log_softmax(z), axis=-1)`` exactly, unclipped.
      Checked on random logits, the confident mistake (0, 40) with the first class
      true (40, not 16.12), logits of +-1000 (the loss must stay finite) and
      logits shifted by 10,000.

    Reference: :func:`convbn.losses.categorical_crossentropy`.
    """
    rng = np.random.default_rng(seed)
    what = "your crossentropy function"
    for y_true, y_pred in _probability_cases(rng):
        expected = losses.categorical_crossentropy(y_true, y_pred)
        with _errstate():
            raw = call(fn, y_true.copy(), y_pred.copy(), what=what)
        got = _per_sample(raw, expected, what)
        if close(got, expected, rtol=1e-5, atol=1e-7):
            continue
        raise AssertionError(_cce_diagnosis(got, y_true, y_pred, expected))
    what = "your crossentropy function with from_logits=True"
    for y_true, z in _logit_cases(rng):
        expected = losses.categorical_crossentropy(y_true, z, from_logits=True)
        with _errstate():
            raw = call(fn, y_true.copy(), z.copy(), True, what=what)
        got = _per_sample(raw, expected, what)
        if close(got, expected, rtol=1e-6, atol=1e-6):
            continue
        raise AssertionError(_logits_diagnosis(got, y_true, z, expected))
    return True


def _per_sample(raw, expected, what):
    if np.ndim(raw) == 0 and expected.size > 1:
        raise AssertionError(
            "the loss is reduced to a scalar; return one value per sample (sum "
            "over the class axis only, axis=-1)"
        )
    return as_array(raw, expected.shape, what)


def _probability_cases(rng):
    cases = []
    for shape in [(6, 4), (1, 3), (5, 10), (3, 4, 5), (8, 2)]:
        labels = rng.integers(0, shape[-1], size=shape[:-1])
        y_true = np.eye(shape[-1])[labels]
        y_pred = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        cases.append((y_true, y_pred))
    y_true = np.eye(4)[[0, 1, 2, 3, 0]]
    y_pred = rng.dirichlet(np.ones(4), size=5)
    y_pred[0] = [0.0, 0.5, 0.25, 0.25]  # the true class gets probability 0
    y_pred[1] = [0.0, 1.0, 0.0, 0.0]  # a certain, right prediction
    cases.append((y_true, y_pred))
    y_true = np.eye(3)[[2, 0, 1, 1]]
    cases.append((y_true, rng.uniform(0.1, 1.0, size=(4, 3))))  # rows not summing to 1
    cases.append((rng.dirichlet(np.ones(5), size=4), rng.dirichlet(np.ones(5), size=4)))
    return cases


def _logit_cases(rng):
    cases = []
    for shape in [(6, 4), (1, 3), (3, 4, 5)]:
        labels = rng.integers(0, shape[-1], size=shape[:-1])
        cases.append((np.eye(shape[-1])[labels], rng.normal(scale=3.0, size=shape)))
    mistake = np.array([[0.0, 40.0], [1.0, -0.5]])  # chapter 11's confident mistake
    cases.append((np.eye(2)[[0, 0]], mistake))
    huge = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    cases.append((np.eye(3)[[1, 1]], huge))
    z = rng.normal(size=(4, 5))
    cases.append((rng.dirichlet(np.ones(5), size=4), z + 10_000.0))  # soft, shifted
    return cases


def _logits_diagnosis(got, y_true, z, expected) -> str:
    if not np.all(np.isfinite(got)):
        return (
            "from_logits=True: the loss is infinite or NaN for logits of +-1000: "
            "exp(1000) overflows, and a softmax of e^(-2000) is 0, whose log is "
            "-inf. Compute log softmax(z) = (z - max z) - log sum_j exp(z_j - max z) "
            "directly, without forming softmax(z) first"
        )
    with _errstate():
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        softmax = e / e.sum(axis=-1, keepdims=True)
        clipped = np.clip(softmax, 1e-7, 1 - 1e-7)
        as_probabilities = np.clip(z / z.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
        mistakes = [
            Mistake(
                -np.sum(y_true * np.log(clipped), axis=-1),
                "from_logits=True: you formed the softmax and clipped it, which is "
                "the probability route (16.12 for the confident mistake (0, 40)); "
                "with logits Keras computes the log-softmax exactly, unclipped: 40",
            ),
            Mistake(
                -np.sum(y_true * np.log(as_probabilities), axis=-1),
                "from_logits=True is ignored: the logits were treated as "
                "probabilities. Take the log-softmax of the logits",
            ),
            Mistake(
                -np.sum(y_true * z, axis=-1),
                "from_logits=True: log softmax(z)_k is z_k - log sum_j exp(z_j); the "
                "log of the sum is missing",
            ),
            Mistake(
                -np.sum(y_true * (z - z.max(axis=-1, keepdims=True)), axis=-1),
                "from_logits=True: subtracting the largest logit is not enough; "
                "log softmax(z)_k = (z_k - max z) - log sum_j exp(z_j - max z)",
            ),
            Mistake(-expected, "the sign is wrong: the loss is -sum(y_true * log p)"),
            Mistake(expected / z.shape[-1], "mean instead of sum over the classes"),
        ]
    message = first_mistake(got, expected, mistakes, rtol=1e-6, atol=1e-6)
    return message or "from_logits=True: " + wrong_at(
        got,
        expected,
        at=lambda i: (
            f"for sample {i} (y_true {np.round(y_true[i], 3).tolist()}, logits "
            f"{np.round(z[i], 3).tolist()})"
        ),
    )


def _cce_diagnosis(got, y_true, y_pred, expected) -> str:
    if not np.all(np.isfinite(got)):
        return (
            "the loss is infinite or NaN when the true class gets probability 0: "
            "log(0) = -inf. Clip the probabilities to [1e-7, 1 - 1e-7] first, as "
            "Keras does (np.clip(p, 1e-7, 1 - 1e-7))"
        )
    eps = 1e-7
    normalised = y_pred / y_pred.sum(axis=-1, keepdims=True)
    clipped = np.clip(normalised, eps, 1 - eps)
    n_classes = y_true.shape[-1]
    hard = np.eye(n_classes)[np.argmax(y_true, axis=-1)]
    with _errstate():
        mistakes = [
            Mistake(
                -np.sum(y_true * np.log(normalised), axis=-1),
                "the probabilities are not clipped to [1e-7, 1 - 1e-7] before the log",
            )
        ]
        mistakes += [
            Mistake(
                -np.sum(y_true * np.log(np.clip(normalised, e, 1 - e)), axis=-1),
                f"the probabilities are clipped with epsilon {e:g}; Keras uses "
                "1e-7 (keras.backend.epsilon())",
            )
            for e in (1e-15, 1e-12, 1e-10, 1e-8, 1e-6, 1e-5)
        ]
        mistakes += [
            Mistake(
                -np.sum(y_true * np.log(np.clip(y_pred, eps, 1 - eps)), axis=-1),
                "rows of y_pred that do not sum to 1 are not rescaled: divide each "
                "row by its sum before clipping, as Keras does",
            ),
            Mistake(-expected, "the sign is wrong: the loss is -sum(y_true * log(p))"),
            Mistake(expected / n_classes, "mean instead of sum over the classes"),
            Mistake(
                expected / np.log(10), "log base 10 instead of the natural log (np.log)"
            ),
            Mistake(
                expected / np.log(2), "log base 2 instead of the natural log (np.log)"
            ),
            Mistake(
                -np.sum(
                    y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped),
                    axis=-1,
                ),
                "this is the binary crossentropy summed over the classes; the "
                "categorical crossentropy has no (1 - y) log(1 - p) terms",
            ),
            Mistake(
                -np.sum(hard * np.log(clipped), axis=-1)
                if not np.array_equal(hard, y_true)
                else None,
                "only the most likely class of y_true is used; y_true may hold soft "
                "labels (probabilities): sum y_true * log(p) over every class",
            ),
        ]
    message = first_mistake(got, expected, mistakes, rtol=1e-5, atol=1e-7)
    return message or wrong_at(
        got,
        expected,
        at=lambda i: (
            f"for sample {i} (y_true {np.round(y_true[i], 3).tolist()}, y_pred "
            f"{np.round(y_pred[i], 3).tolist()})"
        ),
    )


def adam_reference(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    """One step of Keras's Adam (keras.optimizers.Adam.update_step), in numpy."""
    m_new = m + (g - m) * (1 - beta_1)
    v_new = v + (np.square(g) - v) * (1 - beta_2)
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - m_new * alpha / (np.sqrt(v_new) + epsilon), m_new, v_new


def _adam_mistakes(g, m, v, t, lr, b1, b2, eps):
    """The classic mistakes in one Adam step, as the update ``w_new - w`` each gives.

    Keras's own form comes first (epsilon added to sqrt(v)), then the paper's
    Algorithm 1 (epsilon added to sqrt(v_hat)) and its classic slips; on most
    inputs the two forms agree, and a slip is named whichever form it was made in.
    """
    m_ok = b1 * m + (1 - b1) * g
    v_ok = b2 * v + (1 - b2) * g**2
    rate = lr * np.sqrt(1 - b2**t) / (1 - b1**t)

    def step(m_, v_, t_m=t, t_v=t, sqrt=True, sign=-1.0):
        m_hat = m_ / (1 - b1**t_m) if t_m is not None else m_
        v_hat = v_ / (1 - b2**t_v) if t_v is not None else v_
        root = np.sqrt(v_hat) if sqrt else v_hat
        return sign * lr * m_hat / (root + eps)

    return [
        Mistake(
            step(m_ok, v_ok),
            "this is the paper's Algorithm 1, epsilon added to sqrt(v_hat); Keras "
            "adds epsilon to sqrt(v_new): w - eta_t * m_new / (sqrt(v_new) + epsilon) "
            "with eta_t = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t). The "
            "two differ when sqrt(v_hat) is small next to epsilon / sqrt(1 - "
            "beta_2**t), as for these tiny gradients",
        ),
        Mistake(
            -rate * m_ok / np.sqrt(v_ok + eps),
            "epsilon is inside the square root: Keras adds it to sqrt(v_new), "
            "w - eta_t * m_new / (sqrt(v_new) + epsilon)",
        ),
        Mistake(
            -lr * m_ok / np.sqrt(v_ok / (1 - b2**t) + eps) / (1 - b1**t),
            "epsilon is inside the square root, and the correction is the paper's: "
            "Keras computes w - eta_t * m_new / (sqrt(v_new) + epsilon)",
        ),
        Mistake(
            -lr * m_ok / (np.sqrt(v_ok) + eps),
            "no bias correction: eta_t = learning_rate * sqrt(1 - beta_2**t) / "
            "(1 - beta_1**t)",
        ),
        Mistake(
            step(m_ok, v_ok, None, None),
            "no bias correction: divide m by (1 - beta_1**t) and v by (1 - beta_2**t)",
        ),
        Mistake(
            step(m_ok, v_ok, None, t),
            "m is not bias-corrected: m_hat = m / (1 - beta_1**t)",
        ),
        Mistake(
            step(m_ok, v_ok, t, None),
            "v is not bias-corrected: v_hat = v / (1 - beta_2**t)",
        ),
        Mistake(
            step(m_ok, v_ok, t - 1 if t > 1 else None, t - 1 if t > 1 else None),
            "the bias correction uses t - 1: t counts the steps from 1, so the "
            "first step divides by (1 - beta_1), not by (1 - beta_1**0)",
        ),
        Mistake(
            step(m_ok, v_ok, t + 1, t + 1),
            "the bias correction uses t + 1: t is "
            "already the number of this step (1 for the first)",
        ),
        Mistake(
            step(m_ok, v_ok, sign=1.0),
            "the step goes uphill: subtract the update, "
            "w - eta_t * m_new / (sqrt(v_new) + epsilon)",
        ),
        Mistake(step(m_ok, v_ok, sqrt=False), "the square root of v_hat is missing"),
        Mistake(
            step(m, v),
            "the step uses the old moments m and v; update them first, "
            "then use the new ones",
        ),
        Mistake(-lr * g, "this is a plain gradient descent step, not Adam"),
    ]


def check_adam_step(fn, seed: int = 0) -> bool:
    """Chapter 11: one step of Keras's Adam, in numpy.

    ``fn(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon)`` gets the weights
    ``w``, their gradient ``g``, the moment estimates ``m`` and ``v`` from the
    previous step (arrays of the shape of ``w``, zeros before the first step) and the
    step number ``t`` (1 for the first update). It must return the tuple ``(w_new,
    m_new, v_new)`` as ``keras.optimizers.Adam`` computes it::

        m_new = beta_1 m + (1 - beta_1) g
        v_new = beta_2 v + (1 - beta_2) g**2
        w_new = w - eta_t m_new / (sqrt(v_new) + epsilon),
        eta_t = learning_rate sqrt(1 - beta_2**t) / (1 - beta_1**t).

    The paper's Algorithm 1 adds epsilon to ``sqrt(v_hat)`` instead; the two agree
    while ``sqrt(v_hat)`` is large next to ``epsilon / sqrt(1 - beta_2**t)``, so the
    first cases (gradients of 0.1 to 2) accept either, and the last ones (gradients
    of 1e-7 to 1e-5) name the paper's form. Checked on random shapes and
    hyperparameters, on first steps from zero moments (with a zero gradient among
    them) and on later steps; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your Adam step"
    cases = []
    for trial in range(10):
        shape = (
            (int(rng.integers(1, 6)),) if trial % 2 else (2, int(rng.integers(1, 5)))
        )
        g = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
        first = trial < 4
        t = 1 if first else int(rng.integers(2, 50))
        m = np.zeros(shape) if first else rng.normal(scale=0.5, size=shape)
        v = np.zeros(shape) if first else rng.uniform(0.05, 2.0, size=shape)
        if first and trial == 0:
            g.flat[0] = 0.0  # 0 / (0 + epsilon) must give a step of 0, not NaN
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        b1 = float(rng.uniform(0.8, 0.95))
        b2 = float(rng.uniform(0.99, 0.9999))
        cases.append((rng.normal(size=shape), g, m, v, t, lr, b1, b2, 1e-7))
    for trial in range(4):  # tiny gradients: where Keras's epsilon differs
        shape = (int(rng.integers(2, 6)),)
        g = rng.choice([-1.0, 1.0], size=shape) * 10 ** rng.uniform(-7, -5, shape)
        first = trial < 2
        t = 1 if first else int(rng.integers(2, 20))
        m = np.zeros(shape) if first else rng.normal(scale=1e-6, size=shape)
        v = np.zeros(shape) if first else rng.uniform(1e-13, 1e-11, size=shape)
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        b1, b2 = float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.99, 0.9999))
        cases.append((rng.normal(size=shape), g, m, v, t, lr, b1, b2, 1e-7))
    for case in cases:
        w, g, m, v, t, lr, b1, b2, eps = case
        with _errstate():
            raw = call(
                fn,
                *case,
                what=what,
                inputs=("w", "g", "m", "v"),
                modified="{what} modified its input {name} in place; return new arrays",
            )
        if not isinstance(raw, tuple | list) or len(raw) != 3:
            raise AssertionError(
                f"{what} must return the tuple (w_new, m_new, v_new), got "
                f"{type(raw).__name__}"
                + (f" of length {len(raw)}" if isinstance(raw, tuple | list) else "")
            )
        w_ref, m_ref, v_ref = adam_reference(w, g, m, v, t, lr, b1, b2, eps)
        got_w = as_array(raw[0], w.shape, what + " (w_new)")
        got_m = as_array(raw[1], w.shape, what + " (m_new)")
        got_v = as_array(raw[2], w.shape, what + " (v_new)")
        setting = f"(t={t}, beta_1={b1:.3g}, beta_2={b2:.5g})"
        message = first_mistake(
            got_m,
            m_ref,
            [
                Mistake(b1 * m + g, "m_new misses the factor (1 - beta_1) on g"),
                Mistake(
                    (1 - b1) * m + b1 * g,
                    "beta_1 weights the old m: m_new = beta_1 m + (1 - beta_1) g",
                ),
                Mistake(
                    b2 * m + (1 - b2) * g,
                    "m_new uses beta_2; the first moment uses beta_1",
                ),
            ],
        )
        if not close(got_m, m_ref):
            raise AssertionError(
                message
                or f"m_new is wrong {setting}: expected {m_ref.ravel()[:3]}, got "
                f"{got_m.ravel()[:3]}"
            )
        message = first_mistake(
            got_v,
            v_ref,
            [
                Mistake(
                    b2 * v + (1 - b2) * g,
                    "v_new must average the squared gradient g**2",
                ),
                Mistake(
                    b2 * v + (1 - b2) * np.abs(g), "v_new must average g**2, not |g|"
                ),
                Mistake(
                    (1 - b2) * v + b2 * g**2,
                    "beta_2 weights the old v: v_new = beta_2 v + (1 - beta_2) g**2",
                ),
                Mistake(
                    b1 * v + (1 - b1) * g**2,
                    "v_new uses beta_1; the second moment uses beta_2",
                ),
            ],
        )
        if not close(got_v, v_ref):
            raise AssertionError(
                message
                or f"v_new is wrong {setting}: expected {v_ref.ravel()[:3]}, got "
                f"{got_v.ravel()[:3]}"
            )
        bad = ~np.isfinite(got_w)
        if np.any(bad):
            if np.all(g[bad] == 0) and np.all(v_ref[bad] == 0):
                raise AssertionError(
                    "w_new is NaN for a zero gradient at the first step (0 / 0): "
                    "add epsilon to sqrt(v_hat) in the denominator"
                )
            raise AssertionError(
                f"w_new has infinite or NaN values {setting}: check the bias "
                "correction, 1 - beta**t must not be 0 (t is 1 at the first step)"
            )
        # The steps are compared, not the weights: a step is small next to w.
        step_ref, step_got = w_ref - w, got_w - w
        if close(step_got, step_ref, rtol=2e-4, atol=1e-12):
            continue
        mistakes = _adam_mistakes(g, m, v, t, lr, b1, b2, eps)
        message = first_mistake(step_got, step_ref, mistakes, rtol=2e-4, atol=1e-12)
        if message:
            raise AssertionError(message)
        raise AssertionError(
            f"w_new is wrong {setting}: expected the step {step_ref.ravel()[:3]}, "
            f"got {step_got.ravel()[:3]}"
        )
    return True


def check_inverse_time_decay(fn, seed: int = 0) -> bool:
    """Chapter 11: ``fn(step, initial_learning_rate, decay_steps, decay_rate,
    staircase=False)`` must return Keras's ``InverseTimeDecay`` learning rate.

    ``lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)``, and
    with ``staircase=True`` the quotient ``step / decay_steps`` is rounded down
    (``np.floor``). ``step`` is a numpy array of step numbers; the result has its
    shape. With ``decay_steps=1`` this is Keras 2's ``decay=`` argument. Checked
    against ``keras.optimizers.schedules.InverseTimeDecay``'s formula for random
    settings, both values of ``staircase`` and step 0.
    """
    rng = np.random.default_rng(seed)
    what = "your learning-rate schedule"
    cases = [(0.01, 1, 0.0, False), (0.01, 1, 1e-3, False)]
    for trial in range(8):
        cases.append(
            (
                float(rng.choice([0.1, 0.01, 0.001])),
                int(rng.integers(2, 200)),
                float(rng.uniform(0.1, 2.0)),
                bool(trial % 2),
            )
        )
    for lr0, decay_steps, rate, staircase in cases:
        step = np.concatenate([[0], np.sort(rng.integers(1, 20 * decay_steps, 15))])
        step = step.astype(np.int64)
        p = step / decay_steps
        expected = lr0 / (1 + rate * (np.floor(p) if staircase else p))
        with _errstate():
            raw = call(fn, step.copy(), lr0, decay_steps, rate, staircase, what=what)
        got = as_array(raw, step.shape, what)
        if close(got, expected, rtol=1e-6, atol=1e-12):
            continue
        setting = (
            f"(initial_learning_rate={lr0:g}, decay_steps={decay_steps}, "
            f"decay_rate={rate:.3g}, staircase={staircase})"
        )
        smooth = lr0 / (1 + rate * p)
        stairs = lr0 / (1 + rate * np.floor(p))
        mistakes = [
            Mistake(
                lr0 * (1 + rate * p),
                "the learning rate must shrink: divide by "
                "(1 + decay_rate * step / decay_steps), do not multiply",
            ),
            Mistake(
                lr0 / (1 + rate * step),
                "decay_steps is ignored: the decay uses step / decay_steps",
            ),
            Mistake(
                lr0 / (1 + rate * decay_steps / np.maximum(step, 1)),
                "the quotient is upside down: use step / decay_steps",
            ),
            Mistake(
                lr0 * rate**p,
                "this is exponential decay (ExponentialDecay), not inverse time decay",
            ),
            Mistake(
                lr0 * np.exp(-rate * p),
                "this is exponential decay, not inverse "
                "time decay: lr0 / (1 + decay_rate * step / decay_steps)",
            ),
            Mistake(
                lr0 / (1 + rate) * p,
                "brackets: lr0 / (1 + decay_rate * step / decay_steps)",
            ),
        ]
        if staircase:
            mistakes.insert(
                0,
                Mistake(
                    smooth,
                    "staircase=True is ignored: round "
                    "step / decay_steps down with np.floor",
                ),
            )
        else:
            mistakes.insert(
                0,
                Mistake(
                    stairs, "the quotient is rounded down although staircase=False"
                ),
            )
        message = first_mistake(got, expected, mistakes, atol=1e-12)
        raise AssertionError(
            message
            or wrong_at(
                got,
                expected,
                noun="learning rate",
                at=lambda i, step=step, setting=setting: f"at step {step[i]} {setting}",
            )
        )
    return True
