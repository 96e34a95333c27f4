"""Chapter 9, batch normalization in practice: the Keras checkers, of Algorithm 2 on
a Keras model (population statistics in place of the moving averages), of inference
on single images (the training=True bug) and of PyTorch's BatchNorm settings
translated to Keras.

The references are :func:`convbn.experiments.set_population_statistics` and Keras
itself (a model in inference mode, a BatchNormalization layer's moving mean). The
chapter's numpy checkers are in :mod:`convbn.checks.ch09`, which re-exports these."""

from __future__ import annotations

import numpy as np

from .. import batchnorm
from ._core import (
    InputModified,
    Mistake,
    as_array,
    as_int,
    call,
    close,
    first_mistake,
    wrong_at,
)

#: None of these exercises says "numpy only" (they are about Keras models).
NUMPY_ONLY = ()

__all__ = [
    "check_set_population_statistics",
    "check_classify",
    "check_keras_batchnorm_kwargs",
]


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
