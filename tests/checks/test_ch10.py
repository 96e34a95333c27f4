"""The checkers of chapter 10: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

import convbn
from convbn import checks
from convbn.checks import ch10

# --- check_batchnorm_mlp -------------------------------------------------------------


def bn_block(units, order=("bn", "relu", "dropout"), use_bias=False, activation=None):
    """Dense(units) and the layers after it, in ``order``."""
    keras = convbn.import_keras()
    layers = keras.layers
    make = {
        "bn": layers.BatchNormalization,
        "relu": lambda: layers.Activation("relu"),
        "ReLU": layers.ReLU,
        "dropout": lambda: layers.Dropout(0.2),
        "dropout 0.5": lambda: layers.Dropout(0.5),
        "tanh": lambda: layers.Activation("tanh"),
    }
    dense = layers.Dense(units, use_bias=use_bias, activation=activation)
    return [dense, *(make[kind]() for kind in order)]


def bn_mlp(blocks=None, head=None, shape=(784,)):
    keras = convbn.import_keras()
    layers = keras.layers
    blocks = blocks or [bn_block(512), bn_block(128)]
    head = head or [layers.Dense(10, activation="softmax")]
    return keras.Sequential(
        [keras.Input(shape=shape), *(x for b in blocks for x in b), *head]
    )


def bn_functional():
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    x = inputs
    for units in (512, 128):
        x = layers.Dense(units, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, layers.Softmax()(layers.Dense(10)(x)))


def bn_built_later():
    keras = convbn.import_keras()
    model = keras.Sequential(
        [*bn_block(512, ("bn", "ReLU", "dropout")), *bn_block(128)]
        + [keras.layers.Dense(10, activation="softmax")]
    )
    model.build((None, 784))
    return model


@pytest.mark.parametrize("build", [bn_mlp, bn_functional, bn_built_later])
def test_check_batchnorm_mlp_accepts_correct_models(build):
    assert checks.check_batchnorm_mlp(build()) is True


def test_check_batchnorm_mlp_accepts_a_trained_model():
    """After fit the moving statistics are not 0 and 1: the numpy forward pass uses
    them, as the model does at inference."""
    model = bn_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = 3.0 + 2.0 * rng.random((64, 784))
    model.fit(x, rng.integers(0, 10, 64), epochs=2, verbose=0)
    assert np.abs(model.layers[1].moving_mean.numpy()).max() > 0.01
    assert checks.check_batchnorm_mlp(model)


def test_the_exercise_model_has_the_counts_the_checker_expects():
    model = bn_mlp()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert (model.count_params(), trainable) == (470_794, 469_514)
    assert ch10._mlp_parameters([784, 512, 128, 10], True) == (469_514, 1_280)


def bn_not_built():
    keras = convbn.import_keras()
    return keras.Sequential([*bn_block(512), keras.layers.Dense(10)])


def bn_skip():
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    h = inputs
    for units in (512, 128):
        h = layers.Dropout(0.2)(
            layers.ReLU()(
                layers.BatchNormalization()(layers.Dense(units, use_bias=False)(h))
            )
        )
    return keras.Model(
        inputs, layers.Dense(10, activation="softmax")(h + inputs[:, :128])
    )


def bn_frozen():
    model = bn_mlp()
    model.layers[0].trainable = False
    return model


def _layers():
    return convbn.import_keras().layers


WRONG_BN_MODELS = [
    (
        lambda: bn_mlp(
            [bn_block(512, ("bn", "dropout"), activation="relu"), bn_block(128)]
        ),
        "the relu comes before BatchNormalization",
    ),
    (
        lambda: bn_mlp([bn_block(512, use_bias=True), bn_block(128)]),
        "has a bias, which BatchNormalization cancels",
    ),
    (
        lambda: bn_mlp([bn_block(512), bn_block(128, ("relu", "bn", "dropout"))]),
        "BatchNormalization comes after the relu",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("bn", "dropout", "relu")), bn_block(128)]),
        "Dropout comes before the relu",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("bn", "relu")), bn_block(128)]),
        r"has no Dropout\(0.2\)",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("relu", "dropout")), bn_block(128)]),
        "has no BatchNormalization",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("bn", "dropout")), bn_block(128)]),
        "has no relu",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("bn", "tanh", "dropout")), bn_block(128)]),
        "wrong activation in hidden layer 1.*tanh",
    ),
    (
        lambda: bn_mlp([bn_block(512), bn_block(128, ("bn", "relu", "dropout 0.5"))]),
        "rate 0.5, expected 0.2",
    ),
    (
        lambda: bn_mlp(head=[_layers().Dense(10)]),
        "missing softmax",
    ),
    (
        lambda: bn_mlp(head=[_layers().Dense(10, activation="sigmoid")]),
        "wrong activation on the output layer: sigmoid",
    ),
    (
        lambda: bn_mlp(
            head=[_layers().Dense(10, use_bias=False, activation="softmax")]
        ),
        "the output layer has no bias",
    ),
    (
        lambda: bn_mlp(
            head=[
                _layers().Dense(10),
                _layers().BatchNormalization(),
                _layers().Softmax(),
            ]
        ),
        "no BatchNormalization or Dropout after the output layer",
    ),
    (
        lambda: bn_mlp([bn_block(512), bn_block(64)]),
        r"wrong width: the Dense layers have \[512, 64, 10\]",
    ),
    (
        lambda: bn_mlp([bn_block(512)]),
        "missing layer: expected 3 Dense layers",
    ),
    (
        lambda: bn_mlp([bn_block(512), bn_block(128), bn_block(64)]),
        "extra layer: expected 3 Dense layers",
    ),
    (
        lambda: bn_mlp([bn_block(512, ("bn", "relu", "dropout", "bn")), bn_block(128)]),
        "extra layer in hidden layer 1",
    ),
    (
        lambda: bn_mlp([[_layers().Flatten(), *bn_block(512)], bn_block(128)]),
        "extra layer .*Flatten",
    ),
    (lambda: bn_mlp(shape=(28, 28)), r"wrong input shape.*\(None, 28, 28\)"),
    (bn_not_built, "not built"),
    (bn_frozen, "469,514"),
    (bn_skip, "output differs"),
]


@pytest.mark.parametrize(("build", "match"), WRONG_BN_MODELS)
def test_check_batchnorm_mlp_names_the_mistake(build, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_batchnorm_mlp(build())


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (lambda: bn_mlp, "got a function"),
        (lambda: convbn.import_keras().Sequential, "got the class Sequential"),
        (lambda: "model", "must be a Keras model"),
        (lambda: None, "must be a Keras model"),
    ],
)
def test_check_batchnorm_mlp_rejects_non_models(value, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_batchnorm_mlp(value())


# --- check_mlp_parameters -------------------------------------------------------------


def count_zip(sizes, use_bias=True):
    return sum(
        a * b + (b if use_bias else 0) for a, b in zip(sizes, sizes[1:], strict=False)
    )


def mlp_ok(sizes, batch_norm=False):
    if not batch_norm:
        return count_zip(sizes), 0
    hidden = sum(sizes[1:-1])
    return count_zip(sizes, use_bias=False) + 2 * hidden + sizes[-1], 2 * hidden


def mlp_loop(sizes, batch_norm=False):
    trainable = non_trainable = 0
    for i in range(1, len(sizes)):
        trainable += sizes[i - 1] * sizes[i]
        if batch_norm and i < len(sizes) - 1:
            trainable += 2 * sizes[i]
            non_trainable += 2 * sizes[i]
        else:
            trainable += sizes[i]
    return [np.int64(trainable), np.int64(non_trainable)]


@pytest.mark.parametrize("fn", [mlp_ok, mlp_loop])
def test_check_mlp_parameters_accepts_correct_counts(fn):
    assert checks.check_mlp_parameters(fn)
    assert checks.check_mlp_parameters(fn, seed=3)


@pytest.mark.parametrize(
    "sizes", [[784, 512, 128, 10], [14, 64], [3, 1], [20, 7, 7, 2, 9], [20, 32, 1]]
)
@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_reference_count_is_what_keras_counts(sizes, batch_norm):
    keras = convbn.import_keras()
    layers = keras.layers
    stack = [keras.Input(shape=(sizes[0],))]
    for n in sizes[1:-1]:
        stack.append(layers.Dense(n, use_bias=not batch_norm))
        if batch_norm:
            stack += [layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.2)]
    model = keras.Sequential([*stack, layers.Dense(sizes[-1])])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert ch10._mlp_parameters(sizes, batch_norm) == (trainable, frozen)
    assert mlp_ok(sizes, batch_norm) == (trainable, frozen)


def _bn_variant(kind):
    def count(sizes, batch_norm=False):
        trainable, frozen = mlp_ok(sizes, batch_norm)
        if not batch_norm:
            if kind == "no biases":
                return count_zip(sizes, False), 0
            if kind == "bias per input":
                return sum(a * b + a for a, b in zip(sizes, sizes[1:], strict=False)), 0
            if kind == "input":
                return trainable + sizes[0], 0
            return trainable, frozen
        hidden, last = sum(sizes[1:-1]), sizes[-1]
        return {
            "hidden biases": (trainable + hidden, frozen),
            "all trainable": (trainable + frozen, 0),
            "all frozen": (trainable - frozen, 2 * frozen),
            "no moving": (trainable, 0),
            "bn on output": (trainable + 2 * last, frozen + 2 * last),
            "output no bias": (trainable - last, frozen),
            "ignored": mlp_ok(sizes, False),
        }.get(kind, (trainable, frozen))

    return count


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (_bn_variant("no biases"), "you forgot the biases"),
        (_bn_variant("bias per input"), "one bias per input"),
        (_bn_variant("input"), "the input has no parameters"),
        (_bn_variant("hidden biases"), "the hidden Dense layers have no bias"),
        (_bn_variant("all trainable"), "but not trainable"),
        (_bn_variant("all frozen"), "gamma and beta are trainable"),
        (_bn_variant("no moving"), "moving mean and moving variance are missing"),
        (_bn_variant("bn on output"), "no BatchNormalization after it"),
        (_bn_variant("output no bias"), "the output layer keeps its bias"),
        (_bn_variant("ignored"), "batch_norm=True is ignored"),
        (lambda s, batch_norm=False: (mlp_ok(s, batch_norm)[0] + 1, 0), "wrong count"),
        (lambda s, batch_norm=False: sum(mlp_ok(s, batch_norm)), "must return two"),
        (lambda s, batch_norm=False: (0.5, 0), "whole numbers"),
        (lambda s: mlp_ok(s), "raised TypeError"),
    ],
)
def test_check_mlp_parameters_names_the_mistake(fn, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_mlp_parameters(fn)


# --- check_to_functional --------------------------------------------------------------


def reuse_layers(model):
    keras = convbn.import_keras()
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in model.layers:
        x = layer(x)
    return keras.Model(inputs=inputs, outputs=x)


def copy_weights(model):
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(model.input_shape[-1],))
    x = inputs
    for layer in model.layers:
        new = layers.Dense(
            layer.units, activation=layer.activation, use_bias=layer.use_bias
        )
        x = new(x)
        new.set_weights(layer.get_weights())
    return keras.Model(inputs, x)


def fresh_weights(model):
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in model.layers:
        x = layers.Dense.from_config(layer.get_config())(x)
    return keras.Model(inputs, x)


def hard_coded(model):
    keras = convbn.import_keras()
    inputs = keras.Input(shape=(784,))
    x = inputs
    for layer in model.layers:
        x = layer(x)
    return keras.Model(inputs, x)


def no_activations(model):
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in model.layers:
        new = layers.Dense(layer.units, use_bias=layer.use_bias)
        x = new(x)
        new.set_weights(layer.get_weights())
    return keras.Model(inputs, x)


def drops_last_layer(model):
    keras = convbn.import_keras()
    inputs = keras.Input(shape=model.input_shape[1:])
    x = inputs
    for layer in model.layers[:-1]:
        x = layer(x)
    return keras.Model(inputs, x)


def changes_the_model(model):
    model.layers[0].set_weights([w * 0 for w in model.layers[0].get_weights()])
    return reuse_layers(model)


@pytest.mark.parametrize("fn", [reuse_layers, copy_weights])
def test_check_to_functional_accepts_correct_conversions(fn):
    assert checks.check_to_functional(fn)


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda model: model, "returned a Sequential model"),
        (
            lambda model: convbn.import_keras().Sequential(model.layers),
            "returned a Sequential model",
        ),
        (lambda model: None, "must return a keras.Model"),
        (fresh_weights, "same architecture but different weights"),
        (hard_coded, "did you hard-code"),
        (no_activations, "check each layer's activation"),
        (drops_last_layer, "parameters"),
        (changes_the_model, "changed the weights of the Sequential model"),
    ],
)
def test_check_to_functional_names_the_mistake(fn, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_to_functional(fn)


# --- check_inverted_dropout -----------------------------------------------------------


def dropout_where(x, rate, rng):
    return np.where(rng.random(np.shape(x)) < rate, 0.0, np.asarray(x) / (1 - rate))


def dropout_mask(x, rate, rng):
    keep = rng.binomial(1, 1 - rate, size=np.shape(x))
    return x * keep / (1 - rate)


def dropout_in_place(x, rate, rng):
    x *= (rng.random(x.shape) >= rate) / (1 - rate)
    return x


@pytest.mark.parametrize("fn", [dropout_where, dropout_mask])
def test_check_inverted_dropout_accepts_correct_dropout(fn):
    assert checks.check_inverted_dropout(fn)


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda x, r, rng: x * (rng.random(x.shape) >= r), "are not scaled"),
        (
            lambda x, r, rng: x * (rng.random(x.shape) >= r) * (1 - r),
            r"multiplied the kept entries by \(1 - rate\)",
        ),
        (lambda x, r, rng: x * (rng.random(x.shape) >= r) / r, "divided the kept"),
        (
            lambda x, r, rng: x * (rng.random(x.shape) < r) / (1 - r),
            "rate is the fraction dropped",
        ),
        (
            lambda x, r, rng: x * (np.random.random(x.shape) >= r) / (1 - r),  # noqa: NPY002
            "from the rng argument",
        ),
        (
            lambda x, r, rng: (
                x * (np.random.default_rng(0).random(x.shape) >= r) / (1 - r)
            ),
            "different seeds gave the same mask",
        ),
        (lambda x, r, rng: x * (rng.random(x.shape) >= 0.5) * 2, "entries are 0"),
        (lambda x, r, rng: np.ravel(x), "returned shape"),
        (dropout_in_place, "modified its input"),
        (lambda x, r, rng: rng.dropout(x), "raised AttributeError"),
    ],
)
def test_check_inverted_dropout_names_the_mistake(fn, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_inverted_dropout(fn)
