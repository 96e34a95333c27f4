"""Chapter 10, Keras models: the checkers of the slides' network in the paper's
arrangement (784 -> [Dense(512, no bias), BatchNormalization, relu, Dropout(0.2)] ->
[the same with 128] -> Dense(10, softmax)), the trainable and non-trainable
parameters of any such stack, the conversion of a Sequential stack to the
functional API, and inverted dropout.

A model's output is recomputed in numpy with its own weights (batch normalization
with its moving statistics, as at inference), :func:`convbn.activations.activation`
and :func:`convbn.batchnorm.batchnorm_inference`."""

from __future__ import annotations

import operator

import numpy as np

from .. import activations, batchnorm
from ._core import Mistake, as_array, as_numbers, call, close, first_mistake

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_mlp_parameters",
    "check_inverted_dropout",
)

__all__ = [
    "check_batchnorm_mlp",
    "check_mlp_parameters",
    "check_to_functional",
    "check_inverted_dropout",
]

# The probe on which _activation_name recognises an activation function.
_PROBE = np.array([[-3.0, -1.0, -0.25, 0.0, 0.5, 1.5, 4.0]], dtype=np.float32)
# Exercise 10.1: the widths after 784 inputs, and the dropout rate of the hidden layers.
_WIDTHS, _RATE = (512, 128, 10), 0.2
# Its stages: Dense (no bias) -> BatchNormalization -> relu -> Dropout, twice, then
# Dense(10, softmax) with a bias.
_BLOCK = ("dense", "bn", "relu", "dropout")


def _keras():
    from .._tf import import_keras

    return import_keras()


def _activation_name(fn) -> str:
    """Name the activation ``fn`` computes (relu, sigmoid, ...) from its values."""
    z = _PROBE
    try:
        out = np.asarray(fn(z), dtype=np.float64)
    except Exception:  # a layer or function that cannot take the probe
        return "an unrecognised activation"
    for name in activations.ACTIVATIONS:
        reference = activations.activation(name, z.astype(np.float64))
        if close(out, reference, rtol=1e-4, atol=1e-5):
            return name
    return "an unrecognised activation"


def _stages(model):
    """The model's layers as (kind, layer, detail) in order, without the input.

    kind is "dense" (detail: its activation's name), "bn", "dropout" (detail: the
    rate) or the name of an activation ("relu", "softmax", "linear", ...) for an
    activation layer. Raises AssertionError for any other layer.
    """
    keras = _keras()
    activation_layers = (
        keras.layers.Activation,
        keras.layers.ReLU,
        keras.layers.Softmax,
        keras.layers.LeakyReLU,
        keras.layers.ELU,
        keras.layers.PReLU,
    )
    stages = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            stages.append(("dense", layer, _activation_name(layer.activation)))
        elif isinstance(layer, keras.layers.BatchNormalization):
            stages.append(("bn", layer, None))
        elif isinstance(layer, keras.layers.Dropout):
            stages.append(("dropout", layer, float(layer.rate)))
        elif isinstance(layer, activation_layers):
            stages.append((_activation_name(layer), layer, None))
        else:
            raise AssertionError(
                f"extra layer {layer.name} ({type(layer).__name__}): the model "
                "consists of Dense, BatchNormalization, relu and Dropout layers only"
            )
    return stages


def _forward(stages, x):
    """Numpy forward pass at inference: BN with its moving statistics, no dropout."""
    for kind, layer, detail in stages:
        if kind == "dense":
            x = x @ np.asarray(layer.kernel, dtype=np.float64)
            if layer.use_bias:
                x = x + np.asarray(layer.bias, dtype=np.float64)
            x = activations.activation(detail, x)
        elif kind == "bn":
            x = batchnorm.batchnorm_inference(
                x,
                *(
                    np.asarray(v, dtype=np.float64)
                    for v in (
                        layer.gamma,
                        layer.beta,
                        layer.moving_mean,
                        layer.moving_variance,
                    )
                ),
                eps=float(layer.epsilon),
            )
        elif kind != "dropout":
            x = activations.activation(kind, x)
    return x


def _block_mistake(i, units, block) -> str | None:
    """What is wrong in hidden block ``i`` (the stages after its Dense layer)."""
    dense, rest = block[0], [kind for kind, _, _ in block[1:]]
    where = f"hidden layer {i} (Dense({units}))"
    if dense[2] not in ("linear", "relu"):
        return f"wrong activation in {where}: {dense[2]}, expected relu"
    if dense[2] == "relu":
        return (
            f"in {where} the relu comes before BatchNormalization: Dense({units}, "
            "activation='relu') applies it inside the Dense layer. Batch "
            "normalization goes between the affine part and the nonlinearity: "
            f"Dense({units}, use_bias=False), BatchNormalization(), "
            "Activation('relu')"
        )
    if "bn" not in rest:
        return f"{where} has no BatchNormalization after its Dense layer"
    if "relu" not in rest:
        others = [k for k in rest if k not in ("bn", "dropout")]
        if others:
            return f"wrong activation in {where}: {others[0]}, expected relu"
        return f"{where} has no relu: Dense -> BatchNormalization -> relu"
    if "dropout" not in rest:
        return (
            f"{where} has no Dropout({_RATE}): it comes after the relu, "
            "Dense -> BatchNormalization -> relu -> Dropout"
        )
    if rest.count("bn") > 1 or rest.count("relu") > 1 or rest.count("dropout") > 1:
        return f"extra layer in {where}: one each of BatchNormalization, relu, Dropout"
    order = tuple(rest)
    if order.index("bn") > order.index("relu"):
        return (
            f"in {where} BatchNormalization comes after the relu; the paper (and this "
            "exercise) normalises the affine output xW before the nonlinearity: "
            "Dense -> BatchNormalization -> relu"
        )
    if order.index("dropout") < order.index("relu"):
        return (
            f"in {where} Dropout comes before the relu; it acts on the layer's "
            "output: Dense -> BatchNormalization -> relu -> Dropout"
        )
    rate = next(detail for kind, _, detail in block if kind == "dropout")
    if not np.isclose(rate, _RATE):
        return f"the Dropout of {where} has rate {rate:g}, expected {_RATE}"
    if dense[1].use_bias:
        return (
            f"the Dense layer of {where} has a bias, which BatchNormalization "
            "cancels (it subtracts the batch mean, and beta takes the bias's role): "
            f"Dense({units}, use_bias=False)"
        )
    return None


def _structure_mistake(stages) -> str | None:
    """The first thing wrong in the order and settings of the model's layers."""
    dense = [i for i, (kind, _, _) in enumerate(stages) if kind == "dense"]
    widths = [stages[i][1].units for i in dense]
    if len(dense) != 3:
        word = "missing" if len(dense) < 3 else "extra"
        return (
            f"{word} layer: expected 3 Dense layers with {list(_WIDTHS)} units, got "
            f"{len(dense)} with {widths}"
        )
    if widths != list(_WIDTHS):
        return (
            f"wrong width: the Dense layers have {widths} units, expected "
            f"{list(_WIDTHS)}"
        )
    if dense[0] != 0:
        return "the 784 inputs go straight into Dense(512): no layer before it"
    head, tail = stages[dense[2]], stages[dense[2] + 1 :]
    kinds = [kind for kind, _, _ in tail]
    if "bn" in kinds or "dropout" in kinds:
        return (
            "no BatchNormalization or Dropout after the output layer: its 10 outputs "
            "are the softmax probabilities"
        )
    output = [k for k in [head[2], *kinds] if k != "linear"] or ["linear"]
    if output != ["softmax"]:
        name = " then ".join(output)
        if name == "linear":
            return (
                "missing softmax: the output layer has no activation, so its 10 "
                "outputs are not probabilities; use Dense(10, activation='softmax')"
            )
        return f"wrong activation on the output layer: {name}, expected softmax"
    if not head[1].use_bias:
        return (
            "the output layer has no bias (use_bias=False); only a Dense layer "
            "followed by BatchNormalization drops its bias"
        )
    for i, units in enumerate(_WIDTHS[:2], start=1):
        block = stages[dense[i - 1] : dense[i]]
        message = _block_mistake(i, units, block)
        if message:
            return message
    return None


def _as_model(model, what):
    keras = _keras()
    if isinstance(model, type) and issubclass(model, keras.Model):
        raise AssertionError(
            f"{what} must be a model instance, got the class {model.__name__}: "
            "call it, e.g. keras.Sequential([...])"
        )
    if callable(model) and not isinstance(model, keras.Model):
        raise AssertionError(
            f"{what} must be a Keras model, got a function "
            f"({getattr(model, '__name__', type(model).__name__)}): call it and pass "
            "the model it returns"
        )
    if not isinstance(model, keras.Model):
        raise AssertionError(
            f"{what} must be a Keras model (keras.Sequential or keras.Model), got "
            f"{type(model).__name__}"
        )
    return model


def _input_shape(model, what):
    """The model's input shape; AssertionError when it is not built."""
    if not model.built:
        raise AssertionError(
            f"{what} is not built: it does not know its input shape yet, so it has no "
            "weights. Start it with keras.Input(shape=(784,)) (or call "
            "model.build((None, 784)))"
        )
    try:
        return tuple(model.input_shape)
    except (AttributeError, ValueError) as error:
        raise AssertionError(
            f"{what} is not built ({error}); start it with keras.Input(shape=(784,))"
        ) from error


def check_batchnorm_mlp(model, seed: int = 0) -> bool:
    """Chapter 10: ``model`` must be the slides' network in the paper's arrangement.

    784 inputs; ``Dense(512, use_bias=False)``, ``BatchNormalization()``, relu,
    ``Dropout(0.2)``; the same with 128 units; ``Dense(10, activation="softmax")``
    with its bias. Any correct construction passes: ``keras.Sequential`` or the
    functional API, the relu as ``Activation("relu")`` or ``ReLU()``. Checks that it
    is built with the input shape ``(None, 784)``, the order and settings of the
    layers, the parameter counts (none frozen), and that its output on
    random inputs equals the numpy forward pass with its own weights at inference
    (moving statistics, no dropout). Names the mistake otherwise: the relu inside
    the Dense layer (before BN), a bias before BN, BN after the relu, dropout before
    the relu or with another rate, a layer missing or extra, BN or dropout after the
    output, no softmax, no output bias, not built.
    """
    what = "the model"
    model = _as_model(model, what)
    shape = _input_shape(model, what)
    if shape != (None, 784):
        hint = ""
        if shape[1:] in ((28, 28), (28, 28, 1)):
            hint = (
                ": flatten the images to vectors first (x.reshape(-1, 784)) and use "
                "keras.Input(shape=(784,))"
            )
        raise AssertionError(
            f"wrong input shape: expected (None, 784), got {shape}{hint}"
        )
    stages = _stages(model)
    message = _structure_mistake(stages)
    if message:
        raise AssertionError(message)
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    total = model.count_params()
    if (total, trainable) != (470_794, 469_514):
        raise AssertionError(
            f"the model has {total:,} parameters, {trainable:,} of them trainable; "
            "expected 470,794 and 469,514 (is a layer frozen with trainable=False?)"
        )
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(7, 784)).astype(np.float32)
    try:
        got = np.asarray(model(x, training=False), dtype=np.float64)
    except Exception as error:
        raise AssertionError(
            f"calling the model on a batch of shape (7, 784) raised "
            f"{type(error).__name__}: {error}"
        ) from error
    expected = _forward(stages, x.astype(np.float64))
    if got.shape != expected.shape:
        raise AssertionError(
            f"the model's output has shape {got.shape} for 7 inputs, expected (7, 10)"
        )
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            "the model's output differs from its layers applied one after the other "
            f"with its own weights (largest difference "
            f"{np.abs(got - expected).max():.3g}): is each layer called on the "
            "previous layer's output?"
        )
    return True


def _count(sizes, use_bias=True) -> int:
    return sum(
        a * b + (b if use_bias else 0)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    )


def _mlp_parameters(sizes, batch_norm=False) -> tuple[int, int]:
    """(trainable, non-trainable) parameters of Exercise 10.1's kind of stack.

    ``sizes = [n_0, ..., n_L]``; every layer is Dense. Without batch normalization
    every layer has its bias; with it, each hidden layer l < L drops its bias and is
    followed by BatchNormalization (gamma and beta trainable, the moving mean and
    variance not: 2 n_l each), and the output layer keeps its bias.
    """
    if not batch_norm:
        return _count(sizes), 0
    hidden = list(sizes[1:-1])
    trainable = _count(sizes, use_bias=False) + 2 * sum(hidden) + sizes[-1]
    return trainable, 2 * sum(hidden)


def _parameter_mistakes(sizes, batch_norm):
    """The classic mistakes as (trainable, non-trainable) pairs."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    weights = sum(a * b for a, b in pairs)
    hidden, last = sum(sizes[1:-1]), sizes[-1]
    plain = _count(sizes)
    if not batch_norm:
        return [
            Mistake(
                (weights, 0),
                "you forgot the biases: each Dense layer has one "
                "bias per unit (n_l of them) besides its n_(l-1) x n_l kernel",
            ),
            Mistake(
                (weights + sum(a for a, _ in pairs), 0),
                "you counted one bias "
                "per input; a Dense layer has one bias per unit, n_l, not n_(l-1)",
            ),
            Mistake(
                (plain + sizes[0], 0),
                "the input has no parameters: count "
                "n_(l-1) x n_l + n_l for each Dense layer only",
            ),
            Mistake(
                (_count(sizes[:-1]), 0) if len(sizes) > 2 else None,
                "you left "
                "out the last layer: sizes has L + 1 entries for L Dense layers",
            ),
            Mistake(
                _mlp_parameters(sizes, True),
                "batch_norm=False: no batch "
                "normalization, every Dense layer keeps its bias",
            ),
        ]
    trainable, frozen = _mlp_parameters(sizes, True)
    return [
        Mistake(
            (trainable + hidden, frozen),
            "the hidden Dense layers have no bias "
            "with batch normalization (use_bias=False): BN subtracts the batch "
            "mean, and beta takes the bias's role",
        ),
        Mistake(
            (trainable + frozen, 0),
            "the moving mean and variance are "
            "parameters too, but not trainable: BN has 2 n trainable (gamma, "
            "beta) and 2 n non-trainable numbers",
        ),
        Mistake(
            (trainable - frozen, 2 * frozen),
            "gamma and beta are trainable; only the moving mean and variance are not",
        ),
        Mistake(
            (trainable, 0),
            "the moving mean and moving variance are missing: "
            "2 n non-trainable numbers per BatchNormalization layer",
        ),
        Mistake(
            (trainable + hidden, 0),
            "the moving statistics are missing, and the "
            "hidden layers keep a bias they do not have with BN",
        ),
        Mistake(
            (trainable + 2 * last - last, frozen + 2 * last),
            "batch "
            "normalization is on the hidden layers only; the output layer keeps "
            "its bias and has no BN after it",
        ),
        Mistake(
            (trainable + 2 * last, frozen + 2 * last),
            "the output layer has no BatchNormalization after it",
        ),
        Mistake(
            (trainable - last, frozen),
            "the output layer keeps its bias: only "
            "a Dense layer followed by BN drops it",
        ),
        Mistake(
            (plain, 0),
            "batch_norm=True is ignored: add the parameters of BN "
            "and drop the hidden biases",
        ),
    ]


def check_mlp_parameters(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(sizes, batch_norm=False)`` must return the pair
    ``(trainable, non_trainable)`` of a stack of Dense layers.

    numpy only (plain Python will do). ``sizes = [n_0, ..., n_L]`` lists the input
    width and the widths of the L Dense layers; ``batch_norm=True`` means Exercise
    10.1's arrangement of every hidden layer. The counts are Keras's
    (``model.trainable_weights`` and ``model.non_trainable_weights``), tried on the
    chapter's widths, small and random stacks. Names the classic mistakes: biases
    forgotten, or counted per input, or kept where BN cancels them; BN's moving
    statistics counted as trainable, or left out; BN after the output layer; the
    input or the last layer miscounted.
    """
    rng = np.random.default_rng(seed)
    cases = [[784, 512, 128, 10], [14, 64], [3, 1], [1, 1, 1], [20, 32, 1]]
    for _ in range(12):
        length = int(rng.integers(2, 7))
        cases.append([int(n) for n in rng.integers(1, 1025, size=length)])
    for sizes in cases:
        for batch_norm in (False, True):
            label = f"for sizes={sizes}, batch_norm={batch_norm}"
            what = f"your function {label}"
            raw = call(fn, list(sizes), batch_norm, what=what)
            got = as_numbers(raw, ("trainable", "non_trainable"), what, whole=True)
            expected = _mlp_parameters(sizes, batch_norm)
            if got == expected:
                continue
            mistakes = _parameter_mistakes(sizes, batch_norm)
            message = first_mistake(got, expected, mistakes, same=operator.eq)
            if message:
                raise AssertionError(
                    f"{message} ({label}: expected {expected}, got {got})"
                )
            raise AssertionError(
                f"wrong count {label}: expected (trainable, non-trainable) = "
                f"{expected}, got {got}"
            )
    return True


_FUNCTIONAL_CASES = [
    ([784, 512, 128, 10], ["relu", "relu", "softmax"], [True, True, True]),
    ([5, 3], ["linear"], [True]),
    ([12, 7, 4], ["tanh", "sigmoid"], [True, False]),
    ([8, 16, 16, 3], ["relu", "tanh", "softmax"], [True, True, True]),
]


def check_to_functional(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(model)`` must return a functional-API model that computes the
    same function as the ``keras.Sequential`` stack of Dense layers ``model``.

    The result must be a ``keras.Model`` built with ``keras.Input`` and
    ``keras.Model(inputs=..., outputs=...)`` (not a Sequential model), with the same
    input shape, the same parameter count and, on random inputs, the same outputs as
    ``model`` (so it uses the same weights: reuse the layers, or copy their weights).
    ``model`` itself must not change. Tried on several stacks (widths, activations,
    with and without biases) with random non-zero weights and biases.
    """
    keras = _keras()
    rng = np.random.default_rng(seed)
    for index, (sizes, names, biases) in enumerate(_FUNCTIONAL_CASES):
        sequential = keras.Sequential(
            [keras.Input(shape=(sizes[0],))]
            + [
                keras.layers.Dense(n, activation=a, use_bias=b)
                for n, a, b in zip(sizes[1:], names, biases, strict=True)
            ]
        )
        sequential.set_weights(
            [
                rng.normal(0.0, 0.5, w.shape).astype(np.float32)
                for w in sequential.get_weights()
            ]
        )
        before = [w.copy() for w in sequential.get_weights()]
        x = rng.normal(size=(6, sizes[0])).astype(np.float32)
        expected = np.asarray(sequential(x, training=False), dtype=np.float64)
        stack = " -> ".join(
            [str(sizes[0])]
            + [
                f"{n} {a}" + ("" if b else " (no bias)")
                for n, a, b in zip(sizes[1:], names, biases, strict=True)
            ]
        )
        label = f"for the Sequential model {stack}"
        hard_coded = (
            " (it works for 784 -> 512 -> 128 -> 10: did you hard-code that "
            "architecture? read the layers from model.layers)"
            if index > 0
            else ""
        )
        try:
            result = call(fn, sequential, what=f"your function {label}")
        except AssertionError as error:
            raise AssertionError(f"{error}{hard_coded}") from error
        if result is sequential or isinstance(result, keras.Sequential):
            raise AssertionError(
                f"your function returned a Sequential model {label}; build a "
                "functional one: inputs = keras.Input(shape=...), call each layer on "
                "the previous tensor, keras.Model(inputs=inputs, outputs=x)"
            )
        if not isinstance(result, keras.Model):
            raise AssertionError(
                f"your function must return a keras.Model {label}, got "
                f"{type(result).__name__}"
            )
        after = sequential.get_weights()
        if any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
            raise AssertionError(
                f"your function changed the weights of the Sequential model {label}; "
                "leave it as it is"
            )
        try:
            shape = tuple(result.input_shape)
        except (AttributeError, ValueError) as error:
            raise AssertionError(
                f"the returned model has no input {label}: start it with "
                f"keras.Input(shape=({sizes[0]},))"
            ) from error
        if shape != (None, sizes[0]):
            raise AssertionError(
                f"wrong input shape {label}: expected (None, {sizes[0]}), got "
                f"{shape}{hard_coded}"
            )
        count, want = result.count_params(), sequential.count_params()
        if count != want:
            raise AssertionError(
                f"the functional model has {count:,} parameters {label}, expected "
                f"{want:,}: a layer missing or added, a wrong width or a bias too "
                f"many or too few{hard_coded}"
            )
        try:
            got = np.asarray(result(x, training=False), dtype=np.float64)
        except Exception as error:
            raise AssertionError(
                f"calling the returned model on a batch of shape {x.shape} raised "
                f"{type(error).__name__}: {error} ({label})"
            ) from error
        if got.shape != expected.shape:
            raise AssertionError(
                f"the returned model's output has shape {got.shape} {label}, "
                f"expected {expected.shape}{hard_coded}"
            )
        if np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            continue
        mine = sorted(tuple(np.round(w, 5).ravel()) for w in result.get_weights())
        theirs = sorted(tuple(np.round(w, 5).ravel()) for w in after)
        if mine != theirs:
            raise AssertionError(
                f"same architecture but different weights {label}: new Dense layers "
                "start from fresh random weights. Reuse the Sequential model's "
                "layers (call them on your tensors) or copy each layer's weights with "
                "new_layer.set_weights(old_layer.get_weights())"
            )
        raise AssertionError(
            f"the outputs differ {label} although the weights are the same "
            f"(largest difference {np.abs(got - expected).max():.3g}): check each "
            "layer's activation and that the layers are applied in order"
        )
    return True


def check_inverted_dropout(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(x, rate, rng)`` must apply inverted dropout (training mode).

    Each entry of ``x`` (a numpy array of any shape) is set to 0 with probability
    ``rate`` (0 <= rate < 1), independently, using the numpy Generator ``rng``; the
    entries kept are multiplied by ``1 / (1 - rate)``, so the expected value of each
    output equals its input, as in ``keras.layers.Dropout`` during training. Returns
    a new array of the shape of ``x`` (``x`` is not modified); ``rate=0`` returns
    ``x`` unchanged; the same ``rng`` seed gives the same result.
    """

    def dropout(x, rate, rng_seed, what):
        generator = np.random.default_rng(rng_seed)
        return call(
            fn,
            x,
            rate,
            generator,
            what=what,
            inputs=("x",),
            modified="{what} modified its input {name}; return a new array",
        )

    base = np.random.default_rng(seed)
    for shape, rate in [
        ((400, 250), 0.5),
        ((100_000,), 0.2),
        ((50, 40, 50), 0.8),
        ((300, 300), 0.1),
    ]:
        x = 1.0 + base.random(shape)
        label = f"for x of shape {shape} and rate={rate}"
        what = f"dropout {label}"
        got = as_array(dropout(x, rate, 7, what), shape, what)
        dropped = got == 0
        kept = ~dropped
        fraction = dropped.mean()
        if abs(fraction - rate) > 0.02:
            if abs(fraction - (1 - rate)) <= 0.02:
                raise AssertionError(
                    f"you dropped {fraction:.1%} of the entries {label}: rate is the "
                    "fraction dropped, not the fraction kept (keep with probability "
                    "1 - rate)"
                )
            raise AssertionError(
                f"{fraction:.1%} of the entries are 0 {label}, expected about "
                f"{rate:.0%}: drop each entry independently with probability rate"
            )
        ratio = got[kept] / x[kept]
        right = np.full_like(ratio, 1 / (1 - rate))
        scalings = [
            (
                1.0,
                "the entries kept are not scaled: multiply them by 1 / (1 - rate) so "
                "the expected output equals the input (inverted dropout)",
            ),
            (
                1 - rate,
                "you multiplied the kept entries by (1 - rate); inverted dropout "
                "divides by (1 - rate) during training",
            ),
            (
                1 / rate,
                "you divided the kept entries by rate; divide by (1 - rate), the "
                "probability of keeping an entry",
            ),
        ]
        if not close(ratio, right, rtol=1e-6, atol=1e-8):
            mistakes = [Mistake(np.full_like(ratio, f), m) for f, m in scalings]
            message = first_mistake(ratio, right, mistakes, rtol=1e-6, atol=1e-8)
            if message:
                raise AssertionError(f"{message} ({label})")
            raise AssertionError(
                f"the entries kept must be x / (1 - rate) = x * {1 / (1 - rate):.4g} "
                f"{label}; got ratios between {ratio.min():.4g} and {ratio.max():.4g}"
            )
        again = dropout(x, rate, 7, what)
        if not np.array_equal(np.asarray(again), got):
            raise AssertionError(
                f"two calls with generators of the same seed gave different masks "
                f"{label}: draw the random numbers from the rng argument, not from "
                "np.random"
            )
        other = dropout(x, rate, 8, what)
        if np.array_equal(np.asarray(other) == 0, dropped):
            raise AssertionError(
                f"generators with different seeds gave the same mask {label}: draw "
                "the random numbers from the rng argument"
            )
    x = 1.0 + base.random((20, 30))
    what = "dropout with rate=0"
    got = as_array(dropout(x, 0.0, 1, what), x.shape, what)
    if not np.allclose(got, x, rtol=1e-12, atol=0):
        raise AssertionError("with rate=0 nothing is dropped: the output must equal x")
    return True
