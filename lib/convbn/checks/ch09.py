"""Chapter 9, batch normalization in practice: the checkers of Keras's moving
average of the batch statistics (one update, and n updates in closed form), of the
parameter counts of a convolution with and without batch normalization, of
Algorithm 2 on a Keras model, of inference on single images (the training=True
bug), of PyTorch's BatchNorm settings translated to Keras, and of a claim re-run
with several seeds and the verdict its numbers support.

The references are :func:`convbn.batchnorm.update_moving`,
:func:`convbn.experiments.set_population_statistics`, Keras itself (a model in
inference mode, a BatchNormalization layer's moving mean) and
:func:`convbn.experiments.verdict`."""

from __future__ import annotations

import inspect
import itertools
import operator

import numpy as np

from .. import batchnorm
from ._core import (
    InputModified,
    Mistake,
    as_array,
    as_float,
    as_int,
    as_numbers,
    call,
    close,
    first_mistake,
    wrong_at,
)

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
    "check_set_population_statistics",
    "check_claim_decision",
    "check_classify",
    "check_keras_batchnorm_kwargs",
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


# --- Algorithm 2 on a Keras model -----------------------------------------------------


def _keras():
    from .._tf import import_keras

    return import_keras()


def _population_model(kind: str):
    """One of the two small networks of :func:`check_set_population_statistics`,
    with two BatchNormalization layers each (weights still Keras's initial ones).

    Functional models (``keras.Model(inputs, outputs)``), like those of
    :mod:`convbn.experiments`: their ``model.input`` is defined."""
    keras = _keras()
    layers = keras.layers
    if kind == "dense":
        x = inputs = keras.Input((7,))
        x = layers.Dense(6, use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.Dense(5, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
    else:
        x = inputs = keras.Input((6, 6, 2))
        x = layers.Conv2D(4, 3, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.Conv2D(3, 3, use_bias=False)(x)
        x = layers.GlobalAveragePooling2D()(layers.BatchNormalization()(x))
    outputs = layers.Dense(3)(x)
    return keras.Model(inputs, outputs, name=f"{kind}_network")


def _random_weights(model, rng) -> list[np.ndarray]:
    """Weights for ``model``: random kernels, gammas, betas and moving statistics
    far from the data's, so that each wrong recipe gives different numbers."""
    weights = []
    for variable in model.weights:
        name, shape = variable.path.rsplit("/", 1)[-1], tuple(variable.shape)
        if name in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 2.5, shape)
        elif name in ("beta", "moving_mean"):
            value = rng.normal(0.0, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.6, shape)
        weights.append(value.astype(np.float32))
    return weights


def _bn_layers(model) -> list:
    keras = _keras()
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def _bn_values(model, x, *, training: bool, output=False) -> list[np.ndarray]:
    """The input (or output) of every BN layer of ``model`` for ``x``, float64."""
    keras = _keras()
    tensors = [layer.output if output else layer.input for layer in _bn_layers(model)]
    probe = keras.Model(model.input, tensors)
    values = probe(x, training=training)
    if not isinstance(values, list | tuple):  # one output comes back unwrapped
        values = [values]
    return [np.asarray(v, dtype=np.float64) for v in values]


def _stored(model) -> list[np.ndarray]:
    """Each BN layer's (moving_mean, moving_variance) as one float64 vector."""
    return [
        np.concatenate(
            [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
        ).astype(np.float64)
        for layer in _bn_layers(model)
    ]


def _statistics(value, *, unbiased=True, count=None) -> np.ndarray:
    """(mean, variance) over every axis but the last of one BN layer's input, as one
    vector; the variance times ``count / (count - 1)`` (default: every value per
    channel) when ``unbiased``."""
    mean, var = batchnorm.batch_statistics(value)
    if unbiased:
        count = count or value.size // value.shape[-1]
        _, var = batchnorm.population_statistics(mean[None], var[None], count)
    return np.concatenate([mean, var])


def _population_mistakes(model, x, reference) -> list[list[Mistake]]:
    """Per BN layer of ``model`` (its initial weights, not yet updated), the
    statistics each wrong recipe stores. ``reference`` is the same network after the
    right update (its inference-mode inputs are those of a layer-by-layer update)."""
    initial = _stored(model)
    # Inference mode first: a call in training mode moves the moving statistics.
    inference = _bn_values(model, x, training=False)
    inputs = _bn_values(model, x, training=True)
    outputs = _bn_values(model, x, training=True, output=True)
    in_turn = _bn_values(reference, x, training=False)
    momentum = float(_bn_layers(model)[0].momentum)
    layers = _bn_layers(model)
    per_layer = []
    for i, (layer, value) in enumerate(zip(layers, inputs, strict=True)):
        name = f"BatchNormalization layer {i + 1} of {len(layers)} ({layer.name})"
        mean, var = batchnorm.batch_statistics(value)
        per_image = value.shape[0]
        conv = value.ndim == 4
        moving = np.concatenate(
            [
                batchnorm.update_moving(initial[i][: mean.size], mean, momentum),
                batchnorm.update_moving(initial[i][mean.size :], var, momentum),
            ]
        )
        per_layer.append(
            [
                Mistake(
                    initial[i],
                    f"{name} still has its old moving statistics: update every "
                    "BatchNormalization layer of the model, "
                    + ("the first included" if i == 0 else "not only the first"),
                ),
                Mistake(
                    moving,
                    f"{name} moved only {1 - momentum:.0%} of the way to the batch "
                    "statistics: it was never set, only touched by the "
                    "moving-average update of a call in training mode (momentum "
                    f"{momentum:g}); Algorithm 2 sets every BN layer's moving_mean "
                    "and moving_variance to the statistics themselves (.assign)",
                ),
                Mistake(
                    _statistics(value, unbiased=False),
                    f"{name}: the variance is the biased one (divided by m); "
                    "Algorithm 2 stores the unbiased m / (m - 1) times it",
                ),
                Mistake(
                    _statistics(value, count=per_image) if conv else None,
                    f"{name}: m / (m - 1) uses the number of values per channel, m = "
                    "N * H * W for a convolution's output, not the number of images N",
                ),
                Mistake(
                    _statistics(outputs[i]),
                    f"{name}: these are the statistics of the layer's OUTPUT "
                    "(already normalised, then scaled by gamma and shifted by beta); "
                    "Algorithm 2 needs those of its INPUT (layer.input)",
                ),
                Mistake(
                    _statistics(outputs[i], unbiased=False),
                    f"{name}: these are the statistics of the layer's OUTPUT; "
                    "Algorithm 2 needs those of its INPUT (layer.input), with the "
                    "unbiased variance",
                ),
                Mistake(
                    _statistics(inference[i]),
                    f"{name}: its input was computed in inference mode "
                    "(training=False, the default of model(x) and predict), so the BN "
                    "layers before it normalised with their OLD moving statistics; "
                    "run the network with training=True, so that every BN layer "
                    "normalises with the statistics of x",
                ),
                Mistake(
                    _statistics(in_turn[i]),
                    f"{name}: its input was computed in inference mode after the "
                    "layers before it were updated; Algorithm 2 runs the network in "
                    "training mode (training=True), where every BN layer normalises "
                    "with the batch's own (biased) variance",
                ),
                Mistake(
                    _statistics(inference[i], unbiased=False),
                    f"{name}: its input was computed in inference mode (training="
                    "False: the BN layers before it used their old moving statistics) "
                    "and the variance is biased (no m / (m - 1))",
                ),
                Mistake(
                    np.concatenate([mean, np.sqrt(_statistics(value)[mean.size :])]),
                    f"{name}: moving_variance holds a variance, not a standard "
                    "deviation (do not take the square root)",
                ),
            ]
        )
    return per_layer


def _stored_wrong(got, expected, model, i) -> str:
    """Where BN layer ``i``'s stored statistics are wrong, when no mistake matches."""
    half = expected.size // 2
    mean_ok = close(got[:half], expected[:half], rtol=1e-4, atol=1e-5)
    part, part_slice = (
        ("moving_variance", slice(half, None))
        if mean_ok
        else (
            "moving_mean",
            slice(None, half),
        )
    )
    layer = _bn_layers(model)[i]
    return f"{layer.name} of {model.name}: " + wrong_at(
        got[part_slice],
        expected[part_slice],
        at=lambda j: f"{part} at channel {j[0]}",
    )


def _count_message(count, expected, model) -> str:
    if count == len(model.layers):
        return (
            f"your function returned {count}, the number of all layers; return the "
            f"number of BatchNormalization layers ({expected})"
        )
    return (
        f"your function returned {count}; it must return the number of "
        f"BatchNormalization layers it updated ({expected} in {model.name})"
    )


def check_set_population_statistics(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(model, x)`` must apply Algorithm 2 to a Keras ``model``.

    For each ``BatchNormalization`` layer, ``moving_mean`` must become the mean and
    ``moving_variance`` the unbiased variance (``m / (m - 1)`` times the biased one,
    ``m`` values per channel) of the layer's INPUT over every axis but the last,
    computed with the network in training mode on the batch ``x`` (so every BN layer
    before it normalises with the statistics of ``x``); ``fn`` returns the number of
    BN layers. Tried on a Dense network and a convolutional one, each with two BN
    layers and random weights and moving statistics, against
    :func:`convbn.experiments.set_population_statistics` on an identical copy; the
    trainable weights and ``x`` must come back unchanged.
    """
    from ..experiments import set_population_statistics

    rng = np.random.default_rng(seed)
    what = "your function"
    passed = []
    for kind, shape in (("dense", (16, 7)), ("conv", (8, 6, 6, 2))):
        theirs, reference = _population_model(kind), _population_model(kind)
        weights = _random_weights(theirs, rng)
        theirs.set_weights(weights)
        reference.set_weights(weights)
        x = (rng.normal(0.0, 1.0, shape) * rng.uniform(0.5, 2.0, shape[-1])).astype(
            np.float32
        ) + rng.normal(0.0, 1.0, shape[-1]).astype(np.float32)
        trainable = [np.array(v.numpy()) for v in theirs.trainable_weights]
        expected_count = set_population_statistics(reference, x)
        expected = _stored(reference)
        try:
            raw = call(fn, theirs, x, what=what, inputs=("model", "x"))
        except InputModified:
            raise
        except AssertionError as error:
            crash = error.__cause__
            if kind == "conv" and passed and "shape" in str(crash):
                raise AssertionError(
                    f"{what} works on the Dense network but raised "
                    f"{type(crash).__name__} on the convolutional one, whose BN "
                    "inputs are (N, H, W, C): the statistics are per CHANNEL, over "
                    "every axis but the last (axis=(0, 1, 2)), not per position "
                    f"(axis=0). The error: {crash}"
                ) from crash
            raise
        for before, variable in zip(trainable, theirs.trainable_weights, strict=True):
            if not np.array_equal(before, variable.numpy()):
                raise AssertionError(
                    f"{what} changed the trainable weight {variable.path}: Algorithm "
                    "2 only sets the moving statistics (no fit, no optimizer step)"
                )
        got = _stored(theirs)
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            if close(g, e, rtol=1e-4, atol=1e-5):
                continue
            pristine = _population_model(kind)
            pristine.set_weights(weights)
            mistakes = _population_mistakes(pristine, x, reference)[i]
            message = first_mistake(g, e, mistakes, rtol=1e-4, atol=1e-5)
            raise AssertionError(message or _stored_wrong(g, e, theirs, i))
        if raw is None:
            raise AssertionError(
                f"{what} returned None: return the number of BatchNormalization "
                "layers it updated"
            )
        count = as_int(raw, what, noun="count (the number of BN layers)")
        if count != expected_count:
            raise AssertionError(_count_message(count, expected_count, theirs))
        passed.append(kind)
    return True


# --- a claim re-run with several seeds, and its verdict -------------------------------


def _terms(attribute: str, first: str, second: str):
    """``result -> (result.attribute[first], result.attribute[second])``."""

    def terms(result):
        values = getattr(result, attribute)
        return values[first], values[second]

    return terms


def _claim_kinds() -> dict:
    """For each experiment result a claim can be tested on: the function that runs
    it, the claimed difference's two terms, look-alike quantities (each with the
    mistake it reveals) and how the difference is described."""
    from .. import experiments

    other = "these are differences of another quantity; the claim is about the "
    return {
        experiments.Figure1Result: dict(
            run=experiments.mnist_experiment,
            terms=lambda r: (r.accuracy["bn"][-1], r.accuracy["plain"][-1]),
            others=[
                (
                    lambda r: (r.accuracy["bn"][0], r.accuracy["plain"][0]),
                    "you took the test accuracy at the FIRST evaluation (step 0, "
                    "before any training: index 0); the claim is about the accuracy "
                    "after the last step (index -1)",
                ),
                (
                    lambda r: (r.accuracy["bn"].mean(), r.accuracy["plain"].mean()),
                    "you averaged the test accuracy over the evaluations; the claim "
                    "is about the accuracy after the last step (index -1)",
                ),
            ],
            claimed="test accuracy with BN minus without, after the last step",
            reversed="plain minus BN",
            metric="test accuracy",
        ),
        experiments.DropoutResult: dict(
            run=experiments.dropout_experiment,
            terms=_terms("val_accuracy", "no dropout", "dropout"),
            others=[
                (
                    _terms("train_accuracy", "no dropout", "dropout"),
                    other + "validation accuracy, not the training accuracy",
                )
            ],
            claimed="validation accuracy without dropout minus with dropout",
            reversed="with dropout minus without",
            metric="validation accuracy",
        ),
        experiments.RegularizerResult: dict(
            run=experiments.regularizer_experiment,
            terms=_terms("gap", "plain", "bn"),
            others=[
                (
                    _terms("val_accuracy", "bn", "plain"),
                    other + "train - validation gap, not the validation accuracy",
                )
            ],
            claimed="train - validation gap without BN minus with BN",
            reversed="with BN minus without (BN - plain)",
            metric="train - validation gap",
        ),
    }


def _as_results(results, kinds) -> tuple:
    names = " or ".join(k.__name__ for k in kinds)
    if isinstance(results, tuple(kinds)):
        raise AssertionError(
            "results must be the list of your runs, one result per seed; got one "
            f"{type(results).__name__}"
        )
    if isinstance(results, str | bytes | dict) or not hasattr(results, "__len__"):
        raise AssertionError(
            f"results must be a list of {names} (one per seed), got "
            f"{type(results).__name__}"
        )
    results = tuple(results)
    wrong = [type(r).__name__ for r in results if not isinstance(r, tuple(kinds))]
    if wrong:
        raise AssertionError(
            f"results must hold what the experiment returned ({names}), got "
            f"{', '.join(wrong)}"
        )
    if len({type(r) for r in results}) > 1:
        raise AssertionError("results mixes two experiments: use one claim's runs")
    if len(results) < 3:
        raise AssertionError(
            f"only {len(results)} run(s): fewer than 3 seeds. One seed cannot tell an "
            "effect from luck; run the experiment with seeds 0, 1 and 2"
        )
    seeds = [r.config.get("seed") for r in results]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise AssertionError(
            f"seed {repeated[0]} was run more than once: runs with the same seed are "
            "identical, not independent evidence; use a different seed for each run"
        )
    settings = [{k: v for k, v in r.config.items() if k != "seed"} for r in results]
    for other, setting in zip(seeds[1:], settings[1:], strict=True):
        changed = sorted(k for k in setting if setting[k] != settings[0].get(k))
        if changed:
            raise AssertionError(
                f"the run with seed {other} differs from the first in {changed[0]} "
                f"({settings[0].get(changed[0])} vs {setting[changed[0]]}): only the "
                "seed may change between runs, or they do not measure the same thing"
            )
    return results


def _differences_mistakes(results, kind, n) -> list[Mistake]:
    a, b = (np.array(v) for v in zip(*map(kind["terms"], results), strict=True))
    mistakes = [
        Mistake(
            np.sort(b - a),
            f"your differences have the wrong orientation ({kind['reversed']}); the "
            f"claim predicts a positive {kind['claimed']}, so the verdict's rule "
            "needs them that way round",
        ),
        Mistake(
            np.sort(100 * (a - b)),
            "your differences are in percentage points (times 100) while the margin "
            "is a fraction of 1: keep the accuracies as fractions",
        ),
        Mistake(
            np.sort(np.subtract.outer(a, b).ravel()) if n > 1 else None,
            "you took a difference for every pair of runs (i, j); pair each seed's two "
            "runs only: one difference per seed",
        ),
    ]
    for terms, message in kind["others"]:
        first, second = (np.array(v) for v in zip(*map(terms, results), strict=True))
        mistakes.append(Mistake(np.sort(first - second), message))
    for order in itertools.permutations(range(n)):
        if list(order) != list(range(n)):
            mistakes.append(
                Mistake(
                    np.sort(a - b[list(order)]),
                    "your differences pair runs of different seeds; each difference "
                    "must compare the two runs of the SAME seed (same initial weights "
                    "and batches): that pairing is what removes the seed-to-seed "
                    "spread",
                )
            )
    return mistakes


def _check_differences(differences, results, kind) -> np.ndarray:
    """The paired differences of ``results``; AssertionError if the student's
    ``differences`` are not those (in any order)."""
    n = len(results)
    a, b = (np.array(v) for v in zip(*map(kind["terms"], results), strict=True))
    expected = a - b
    if differences is None:
        raise AssertionError("differences is None: compute one difference per seed")
    got = as_array(differences, what="differences")
    if got.ndim == 0 or got.size == 1:
        if close(got.ravel()[:1], [expected.mean()], rtol=1e-6, atol=1e-9):
            raise AssertionError(
                "differences holds one number, the mean of each setting over the "
                "seeds, differenced: keep one paired difference per seed (the spread "
                "of the differences is what the interval needs)"
            )
        raise AssertionError(
            f"differences must hold one number per seed ({n}), got {got.size}"
        )
    if got.ndim != 1:
        raise AssertionError(
            f"differences must be a 1-D list of {n} numbers, got shape {got.shape}"
        )
    if got.size == n and close(np.sort(got), np.sort(expected), 1e-6, 1e-9):
        return expected
    message = first_mistake(
        np.sort(got), np.sort(expected), _differences_mistakes(results, kind, n)
    )
    if message:
        raise AssertionError(message)
    if got.size < 3:
        raise AssertionError(
            f"differences holds {got.size} number(s): fewer than 3 seeds; one "
            "difference per run"
        )
    if got.size != n:
        raise AssertionError(
            f"differences holds {got.size} numbers for {n} runs: one paired "
            "difference per seed"
        )
    shown = ", ".join(f"{v:.4f}" for v in expected)
    raise AssertionError(
        f"your differences are not those of your runs: the {kind['claimed']} of "
        f"each seed is {shown}; got {', '.join(f'{v:.4f}' for v in got)}"
    )


def _verdict_message(decision, expected, summary, margin) -> str:
    numbers = (
        f"mean {summary.mean:.4f}, 95% interval [{summary.low:.4f}, "
        f"{summary.high:.4f}], margin {margin:g}"
    )
    if decision == "holds":
        if summary.low <= 0:
            why = (
                "the interval includes 0 (or lies below it): the seeds disagree too "
                "much to say the effect is positive"
            )
        else:
            why = "the mean difference is not above the margin"
        return f"'holds' does not follow from your numbers ({numbers}): {why}"
    if decision == "does not hold":
        return (
            f"'does not hold' does not follow from your numbers ({numbers}): the "
            "interval reaches the margin, so an effect that large is not ruled out "
            "('does not hold' needs the upper end below the margin; a negative or "
            "small mean is not enough)"
        )
    rule = (
        "the interval is above 0 and the mean above the margin"
        if expected == "holds"
        else "the whole interval is below the margin"
    )
    return (
        f"your numbers are not inconclusive ({numbers}): {rule}, so the rule says "
        f"{expected!r}"
    )


def _rerun(result, kind) -> None:
    """Re-run ``result``'s experiment with its own settings; AssertionError if the
    numbers differ (one flipped validation image allowed)."""
    run = kind["run"]
    accepted = inspect.signature(run).parameters
    settings = {k: v for k, v in result.config.items() if k in accepted}
    if "rate" in accepted and hasattr(result, "rate"):
        settings["rate"] = result.rate
    again = run(**settings)
    n = result.config.get("n_val", result.config.get("n_test", 1000))
    tolerance = 1.5 / max(int(n), 1)
    for given, fresh in zip(kind["terms"](result), kind["terms"](again), strict=True):
        if abs(given - fresh) > tolerance:
            shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
            raise AssertionError(
                f"re-running {run.__name__}({shown}) gives {kind['metric']} "
                f"{fresh:.4f}, your result says {given:.4f}: hand in the results of "
                "your own runs, unchanged"
            )


def check_claim_decision(
    results, differences, decision, margin: float, seed: int = 0, rerun: bool = True
) -> bool:
    """Chapter 9: a claim re-run with several seeds, and the verdict its numbers give.

    ``results``: the list of what one experiment of :mod:`convbn.experiments`
    returned, one run per seed, at least 3 seeds, all other settings equal:
    :func:`~convbn.experiments.mnist_experiment`,
    :func:`~convbn.experiments.dropout_experiment` or
    :func:`~convbn.experiments.regularizer_experiment`. ``differences``: the paired
    differences, one per seed, in any order, oriented so that the claim predicts a
    positive value: the final test accuracy with BN minus without (Figure 1(a), "BN
    trains faster"); validation accuracy without dropout minus with dropout; the
    train - validation gap without BN minus with BN.
    ``decision``: "holds", "does not hold" or "inconclusive at this scale".

    Everything is judged on the student's own runs: the differences are recomputed
    from ``results``, the verdict from those differences by
    :func:`convbn.experiments.verdict` with ``margin`` (95% Student-t interval
    ``[lo, hi]``: holds if ``lo > 0`` and the mean > ``margin``; does not hold if
    ``hi < margin``; inconclusive otherwise); with ``rerun`` one run, picked with
    ``seed``, is run again to confirm that its numbers are real.
    """
    from .. import experiments

    margin = as_float(margin, "margin")
    kinds = _claim_kinds()
    results = _as_results(results, kinds)
    kind = kinds[type(results[0])]
    paired = _check_differences(differences, results, kind)
    if not isinstance(decision, str):
        raise AssertionError(
            f"decision must be one of {', '.join(map(repr, experiments.VERDICTS))}, "
            f"got {type(decision).__name__} {decision!r}"
        )
    said = " ".join(decision.strip().lower().rstrip(".").split())
    said = {"inconclusive": experiments.VERDICTS[2]}.get(said, said)
    if said not in experiments.VERDICTS:
        raise AssertionError(
            f"decision must be one of {', '.join(map(repr, experiments.VERDICTS))}, "
            f"got {decision!r}"
        )
    expected = experiments.verdict(paired, margin)
    if said != expected:
        summary = experiments.summarize(paired)
        raise AssertionError(_verdict_message(said, expected, summary, margin))
    if rerun:
        rng = np.random.default_rng(seed)
        _rerun(results[int(rng.integers(len(results)))], kind)
    return True


# --- debugging: training=True on single images ----------------------------------------


def _classifier(kind: str, rng):
    """A small classifier with one BN layer and random weights and statistics."""
    keras = _keras()
    layers = keras.layers
    if kind == "dense":
        x = inputs = keras.Input((12,))
        x = layers.Dense(16, use_bias=False)(x)
    else:
        x = inputs = keras.Input((5, 5, 1))
        x = layers.Conv2D(8, 3, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    if kind != "dense":
        x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(10)(x), name=f"{kind}_classifier")
    model.set_weights(_random_weights(model, rng))
    return model


def _labels(got, n, what) -> np.ndarray:
    """The student's labels, as an int array of shape (n,)."""
    if got is not None and np.ndim(got) == 2 and np.shape(got)[0] == n:
        raise AssertionError(
            f"{what} returned an array of shape {np.shape(got)} (the logits?); return "
            "the predicted class of each image, np.argmax(..., axis=-1), shape "
            f"({n},)"
        )
    labels = as_array(got, (n,), what, single=True)
    if not np.all(labels == np.round(labels)):
        raise AssertionError(f"{what} must return class numbers (integers)")
    return labels.astype(int)


def check_classify(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(model, images)`` must return the class Keras's ``model``
    predicts for each image, ``(N,)`` ints, in inference mode.

    Equals ``np.argmax(model(images, training=False), axis=-1)``: with
    ``training=False`` each BatchNormalization layer uses its moving statistics, so
    an image's prediction depends on that image only -- the same alone, in any batch
    and in any order. Tried on a Dense and a convolutional classifier with one BN
    layer each (random weights and moving statistics), on a batch, on single images
    and on the batch shuffled; the model's weights, moving statistics included, must
    come back unchanged.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    for kind, shape in (("dense", (12, 12)), ("conv", (10, 5, 5, 1))):
        model = _classifier(kind, rng)
        images = rng.normal(0.0, 1.0, shape).astype(np.float32)
        before = [v.numpy().copy() for v in model.weights]
        expected = np.argmax(np.asarray(model(images, training=False)), axis=-1)
        n = len(images)
        got = _labels(
            call(fn, model, images, what=what, inputs=("model", "images")), n, what
        )
        if not np.array_equal(got, expected):
            alone = np.array(
                [
                    np.argmax(np.asarray(model(image[None], training=True)))
                    for image in images
                ]
            )
            together = np.argmax(np.asarray(model(images, training=True)), axis=-1)
            for weight, value in zip(model.weights, before, strict=True):
                weight.assign(value)
            message = first_mistake(
                got,
                expected,
                [
                    Mistake(
                        alone,
                        "training=True is still there: in training mode a "
                        "BatchNormalization layer normalises with the statistics of "
                        "the batch it is given, and a batch of ONE image has its "
                        "mean equal to the image and variance 0, so every feature "
                        "becomes beta and every image gets the same prediction; call "
                        "the model with training=False (or model.predict)",
                    ),
                    Mistake(
                        together,
                        "the whole batch goes through the model in training mode "
                        "(training=True): each image is normalised with the "
                        "statistics of the other images in its batch, so its "
                        "prediction depends on them; use training=False, which uses "
                        "the moving statistics",
                    ),
                ],
                same=lambda a, b: np.array_equal(a, b),
            )
            wrong = int(np.sum(got != expected))
            raise AssertionError(
                message
                or f"{wrong} of {n} predictions differ from np.argmax(model(images, "
                f"training=False), axis=-1) ({model.name})"
            )
        for weight, value in zip(model.weights, before, strict=True):
            if not np.array_equal(weight.numpy(), value):
                raise AssertionError(
                    f"{what} changed the model's {weight.path}: a call with "
                    "training=True updates the BN layer's moving statistics (and "
                    "fitting changes the weights); predicting must leave the model "
                    "as it was"
                )
        order = rng.permutation(n)
        for images_part, expected_part, how in (
            (images[order], expected[order], "shuffled"),
            (images[:1], expected[:1], "a batch of one image"),
            (images[n // 2 :], expected[n // 2 :], "half of the batch"),
        ):
            got = _labels(
                call(fn, model, images_part, what=what, inputs=("model", "images")),
                len(images_part),
                what,
            )
            if not np.array_equal(got, expected_part):
                raise AssertionError(
                    f"{what} gives other predictions for the same images in {how}: a "
                    "prediction must depend on its image only (training=False)"
                )
    return True


# --- PyTorch's BatchNorm settings in Keras --------------------------------------------

#: PyTorch's defaults for ``torch.nn.BatchNorm2d`` (momentum, eps, affine).
TORCH_DEFAULTS = {"momentum": 0.1, "eps": 1e-5, "affine": True}


def _torch_running_mean(batches, momentum) -> np.ndarray:
    """PyTorch's running mean after ``batches``: ``(1 - momentum) * running +
    momentum * batch_mean``, from 0 (written out: no PyTorch here)."""
    running = np.zeros(batches[0].shape[-1])
    for batch in batches:
        running = (1 - momentum) * running + momentum * batch.mean(axis=0)
    return running


def check_keras_batchnorm_kwargs(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(torch_kwargs)`` must translate the settings of PyTorch's
    ``BatchNorm2d`` into keyword arguments of ``keras.layers.BatchNormalization``.

    ``torch_kwargs`` is a dict with any of ``momentum``, ``eps`` and ``affine``
    (PyTorch's defaults 0.1, 1e-5 and True when absent). PyTorch updates ``running =
    (1 - momentum) * running + momentum * batch``: its momentum is the weight of the
    NEW value; Keras's ``momentum`` is the weight of the OLD one, so Keras's momentum
    is ``1 - momentum``. ``eps`` is Keras's ``epsilon``; ``affine=False`` is
    ``center=False, scale=False``. PyTorch's ``momentum=None`` (a cumulative average)
    has no Keras equivalent: ``fn`` must raise ValueError. The returned dict must
    build a layer (``BatchNormalization(**kwargs)``) whose moving mean follows
    PyTorch's rule over a few training batches. (The moving variance cannot: PyTorch
    averages the unbiased batch variance, Keras 3 the biased one.)
    """
    keras = _keras()
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [
        {"momentum": 0.1, "eps": 1e-5},
        {},
        {"momentum": 0.01},
        {"momentum": 0.3, "eps": 1e-3, "affine": True},
        {"eps": 1e-4, "affine": False},
        {
            "momentum": float(rng.uniform(0.02, 0.5)),
            "eps": float(rng.uniform(1e-6, 1e-2)),
        },
    ]
    for torch_kwargs in cases:
        given = dict(torch_kwargs)
        got = call(fn, given, what=what)
        if given != torch_kwargs:
            raise AssertionError(f"{what} modified torch_kwargs; leave it unchanged")
        settings = {**TORCH_DEFAULTS, **torch_kwargs}
        shown = f"for torch_kwargs={torch_kwargs}"
        if not isinstance(got, dict):
            raise AssertionError(
                f"{what} must return a dict of keyword arguments for "
                f"keras.layers.BatchNormalization, got {type(got).__name__} {shown}"
            )
        if "eps" in got:
            raise AssertionError(
                f"Keras calls PyTorch's eps `epsilon`; {what} returned the key 'eps' "
                f"{shown}"
            )
        try:
            layer = keras.layers.BatchNormalization(**got)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"keras.layers.BatchNormalization(**{got!r}) fails ({error}) {shown}"
            ) from error
        m, eps = settings["momentum"], settings["eps"]
        momentum_mistakes = [
            Mistake(
                m,
                "the momentum is the same number: PyTorch's momentum is the weight of "
                "the NEW batch statistic, running = (1 - momentum) * running + "
                "momentum * batch, while Keras's is the weight of the OLD moving "
                "value, moving = momentum * moving + (1 - momentum) * batch; Keras's "
                "momentum is 1 - PyTorch's",
            ),
            Mistake(
                1 / m,
                "the momenta are not reciprocals: Keras's momentum is 1 - PyTorch's",
            ),
            Mistake(
                0.99 if "momentum" not in torch_kwargs else None,
                "PyTorch's default momentum is 0.1 (the weight of the new batch), "
                "which is Keras's 0.9, not Keras's own default 0.99: translate the "
                "default too",
            ),
        ]
        if "momentum" not in got and not np.isclose(layer.momentum, 1 - m):
            raise AssertionError(
                f"the dict has no momentum, so Keras uses its default "
                f"{layer.momentum:g}; PyTorch's momentum={m:g} (its default is 0.1) "
                f"is Keras's momentum={1 - m:g}: pass it {shown}"
            )
        if "epsilon" not in got and not np.isclose(layer.epsilon, eps):
            raise AssertionError(
                f"the dict has no epsilon, so Keras uses its default "
                f"{layer.epsilon:g}; PyTorch's default eps is 1e-5: pass epsilon="
                f"{eps:g} {shown}"
            )
        if not np.isclose(layer.momentum, 1 - m, rtol=1e-9, atol=1e-12):
            message = first_mistake(
                layer.momentum, 1 - m, momentum_mistakes, rtol=1e-9, atol=1e-12
            )
            raise AssertionError(
                f"{message or f'Keras momentum {layer.momentum!r}, expected {1 - m!r}'}"
                f" {shown}"
            )
        if not np.isclose(layer.epsilon, eps, rtol=1e-9, atol=0.0):
            if "eps" not in torch_kwargs and np.isclose(layer.epsilon, 1e-3):
                message = (
                    "PyTorch's default eps is 1e-5 and Keras's default epsilon 1e-3: "
                    "pass epsilon=1e-5 when torch_kwargs has no eps"
                )
            else:
                message = (
                    f"epsilon is {layer.epsilon!r}, expected PyTorch's eps {eps!r}"
                )
            raise AssertionError(f"{message} {shown}")
        if (layer.center, layer.scale) != (settings["affine"],) * 2:
            raise AssertionError(
                f"affine={settings['affine']} in PyTorch means "
                f"{'' if settings['affine'] else 'no '}learned gamma and beta: Keras's "
                f"center={settings['affine']}, scale={settings['affine']} {shown}"
            )
        batches = [
            rng.normal(rng.normal(0, 2, 3), 1.0, (16, 3)).astype(np.float32)
            for _ in range(3)
        ]
        for batch in batches:
            layer(batch, training=True)
        expected = _torch_running_mean(batches, m)
        if not close(layer.moving_mean.numpy(), expected, rtol=1e-4, atol=1e-5):
            raise AssertionError(
                f"a Keras layer built with {got!r} does not update its moving mean "
                f"as PyTorch's running mean with momentum={m} {shown}"
            )
    try:
        got = fn({"momentum": None})
    except ValueError as error:
        if "momentum" not in str(error):
            raise AssertionError(
                f"{what} raised ValueError for momentum=None, but its message "
                f"({error}) does not name momentum"
            ) from error
        return True
    except Exception as error:
        raise AssertionError(
            f"{what} raised {type(error).__name__} for momentum=None; raise a "
            "ValueError that names momentum (a cumulative average has no Keras "
            "equivalent)"
        ) from error
    raise AssertionError(
        f"{what} returned {got!r} for momentum=None: in PyTorch that means a "
        "cumulative average over all batches, which Keras's BatchNormalization "
        "cannot do; raise a ValueError that names momentum"
    )
