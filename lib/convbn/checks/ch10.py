"""Chapter 10, Keras models: the checkers of the Sequential network 784 -> 512 relu
-> 128 relu -> 10 softmax, the parameter count of a stack of Dense layers, the
conversion of a Sequential stack to the functional API, and inverted dropout.

A model's output is recomputed in numpy with its own weights and
:func:`convbn.activations.activation`."""

from __future__ import annotations

import operator

import numpy as np

from .. import activations
from ._core import Mistake, as_array, as_int, call, close, first_mistake

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_dense_parameters",
    "check_inverted_dropout",
)

__all__ = [
    "check_sequential_model",
    "check_dense_parameters",
    "check_to_functional",
    "check_inverted_dropout",
]

# The probe on which _activation_name recognises an activation function.
_PROBE = np.array([[-3.0, -1.0, -0.25, 0.0, 0.5, 1.5, 4.0]], dtype=np.float32)
# The network of chapter 10: (units, activation) of each Dense layer after 784 inputs.
_MLP = [(512, "relu"), (128, "relu"), (10, "softmax")]


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


def _dense_stages(model):
    """The model's Dense layers, each with the activations applied after it.

    Returns a list of dicts ``{"layer", "units", "use_bias", "activation"}`` where
    ``activation`` is one name ("relu", "linear", ...) or "relu then softmax" when an
    activation layer follows a Dense layer that already has one. Raises
    AssertionError for a layer that is neither Dense nor an activation layer.
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
            stages.append(
                {
                    "layer": layer,
                    "units": layer.units,
                    "use_bias": layer.use_bias,
                    "activations": [_activation_name(layer.activation)],
                }
            )
        elif isinstance(layer, activation_layers):
            if not stages:
                raise AssertionError(
                    f"extra layer {layer.name} ({type(layer).__name__}) before the "
                    "first Dense layer: the 784 inputs go straight into Dense(512)"
                )
            stages[-1]["activations"].append(_activation_name(layer))
        else:
            raise AssertionError(
                f"extra layer {layer.name} ({type(layer).__name__}): the model must "
                "consist of three Dense layers only (784 -> 512 relu -> 128 relu -> "
                "10 softmax); remove it"
            )
    for stage in stages:
        names = [a for a in stage["activations"] if a != "linear"] or ["linear"]
        stage["activation"] = " then ".join(names)
    return stages


def _dense_forward(stages, x):
    """Numpy forward pass through Dense stages with their kernels and biases."""
    for stage in stages:
        layer = stage["layer"]
        x = x @ np.asarray(layer.kernel, dtype=np.float64)
        if stage["use_bias"]:
            x = x + np.asarray(layer.bias, dtype=np.float64)
        for name in stage["activation"].split(" then "):
            x = activations.activation(name, x)
    return x


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


def check_sequential_model(model, seed: int = 0) -> bool:
    """Chapter 10: ``model`` must be the Keras network 784 -> 512 relu -> 128 relu ->
    10 softmax.

    Accepts any correct construction: ``keras.Sequential`` starting with
    ``keras.Input(shape=(784,))`` (or built with ``model.build((None, 784))``), the
    functional API (``keras.Model(inputs=..., outputs=...)``), activations given to
    ``Dense`` or as separate ``Activation`` layers. Checks that it is built, the input
    shape ``(None, 784)``, exactly three Dense layers with 512, 128 and 10 units and
    biases, relu / relu / softmax, 468,874 parameters, and that its output on random
    inputs equals the numpy forward pass with its own weights. Names the mistake
    otherwise (missing softmax, wrong width, wrong activation, wrong input shape,
    extra or missing layer, not built, no bias).
    """
    what = "the model"
    model = _as_model(model, what)
    shape = _input_shape(model, what)
    if shape != (None, 784):
        hint = ""
        if shape[1:] == (28, 28) or shape[1:] == (28, 28, 1):
            hint = (
                ": flatten the images to vectors first (x.reshape(-1, 784)) and use "
                "keras.Input(shape=(784,))"
            )
        raise AssertionError(
            f"wrong input shape: expected (None, 784), got {shape}{hint}"
        )
    stages = _dense_stages(model)
    widths = [s["units"] for s in stages]
    expected_widths = [u for u, _ in _MLP]
    if len(stages) < 3:
        raise AssertionError(
            f"missing layer: expected 3 Dense layers with {expected_widths} units, "
            f"got {len(stages)} with {widths}"
        )
    if len(stages) > 3:
        raise AssertionError(
            f"extra layer: expected 3 Dense layers with {expected_widths} units, got "
            f"{len(stages)} with {widths}"
        )
    for i, (stage, (units, _)) in enumerate(zip(stages, _MLP, strict=True), start=1):
        if stage["units"] != units:
            role = "the output layer" if i == 3 else f"hidden layer {i}"
            note = " (one unit per digit)" if i == 3 else ""
            raise AssertionError(
                f"wrong width: Dense layer {i} ({role}) has {stage['units']} units, "
                f"expected {units}{note}; widths {widths}, expected {expected_widths}"
            )
    output = stages[-1]["activation"]
    if output == "linear":
        raise AssertionError(
            "missing softmax: the output layer has no activation (linear), so its 10 "
            "outputs are not probabilities; use Dense(10, activation='softmax')"
        )
    if output != "softmax":
        raise AssertionError(
            f"wrong activation on the output layer: {output}, expected softmax (the "
            "10 outputs must be probabilities that sum to 1)"
        )
    for i, stage in enumerate(stages[:2], start=1):
        if stage["activation"] != "relu":
            name = stage["activation"]
            if name == "linear":
                name = "linear (no activation)"
            raise AssertionError(
                f"wrong activation in hidden layer {i}: {name}, expected relu"
            )
    for i, stage in enumerate(stages, start=1):
        if not stage["use_bias"]:
            raise AssertionError(
                f"no bias in Dense layer {i} (use_bias=False): every unit of this "
                "network has a bias"
            )
    count = model.count_params()
    if count != 468_874:
        raise AssertionError(
            f"the model has {count:,} parameters, expected 468,874 "
            "(784*512 + 512 + 512*128 + 128 + 128*10 + 10)"
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
    expected = _dense_forward(stages, x.astype(np.float64))
    if got.shape != expected.shape:
        raise AssertionError(
            f"the model's output has shape {got.shape} for 7 inputs, expected (7, 10)"
        )
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            "the model's output differs from 784 -> 512 relu -> 128 relu -> 10 "
            "softmax computed with its own weights (largest difference "
            f"{np.abs(got - expected).max():.3g}): are the layers connected one after "
            "the other, each on the previous layer's output?"
        )
    return True


def _count(sizes, use_bias=True) -> int:
    return sum(
        a * b + (b if use_bias else 0)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    )


def check_dense_parameters(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(sizes, use_bias=True)`` must return the number of parameters
    of a stack of Dense layers.

    ``sizes = [n_0, n_1, ..., n_L]`` lists the input width and the widths of the L
    Dense layers; layer l has an ``(n_{l-1}, n_l)`` kernel and, when ``use_bias``,
    ``n_l`` biases. The answer is an integer: sum of ``n_{l-1} * n_l + n_l``
    (``[784, 512, 128, 10]`` gives 468,874). Names the classic mistakes: forgotten
    biases, one bias per input instead of per unit, biases counted with
    ``use_bias=False``, parameters given to the input.
    """
    rng = np.random.default_rng(seed)
    cases = [[784, 512, 128, 10], [14, 64], [3, 1], [1, 1, 1]]
    for _ in range(12):
        length = int(rng.integers(2, 7))
        cases.append([int(n) for n in rng.integers(1, 1025, size=length)])
    for sizes in cases:
        for use_bias in (True, False):
            label = f"for sizes={sizes}, use_bias={use_bias}"
            got = as_int(
                call(fn, list(sizes), use_bias, what=f"your function {label}"),
                "your function",
                f" {label}",
                hint="a parameter count is a whole number",
            )
            expected = _count(sizes, use_bias)
            if got == expected:
                continue
            pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
            weights = sum(a * b for a, b in pairs)
            mistakes = [
                Mistake(
                    weights,
                    "you forgot the biases: each Dense layer has one bias per unit "
                    "(n_l of them) besides its n_(l-1) x n_l kernel",
                ),
                Mistake(
                    weights + sum(a for a, _ in pairs),
                    "you counted one bias per input; a Dense layer has one bias per "
                    "unit (per output), n_l, not n_(l-1)",
                ),
                Mistake(
                    weights + sum(b for _, b in pairs),
                    "with use_bias=False there are no biases: count the kernels only",
                ),
                Mistake(
                    expected + sizes[0],
                    "the input has no parameters: count n_(l-1) x n_l + n_l for each "
                    "Dense layer only, not a bias for the input",
                ),
                Mistake(
                    _count(sizes[:-1], use_bias) if len(sizes) > 2 else None,
                    "you left out the last layer: sizes has L + 1 entries for L Dense "
                    "layers",
                ),
                Mistake(
                    sum(
                        a * b + (b if use_bias else 0)
                        for a, b in zip(sizes, sizes, strict=True)
                    )
                    if len(sizes) > 1
                    else None,
                    "each layer connects n_(l-1) inputs to n_l units: pair each size "
                    "with the next one, zip(sizes[:-1], sizes[1:])",
                ),
            ]
            message = first_mistake(got, expected, mistakes, same=operator.eq)
            if message:
                raise AssertionError(
                    f"{message} ({label}: expected {expected}, got {got})"
                )
            raise AssertionError(
                f"wrong count {label}: expected {expected:,}, got {got:,}"
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
