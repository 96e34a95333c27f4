"""The checkers of chapter 10: right solutions pass, each known mistake is named."""

import warnings

import numpy as np
import pytest

import convbn
from convbn import checks

# --- check_sequential_model -----------------------------------------------------------


def sequential(
    spec=((512, "relu"), (128, "relu"), (10, "softmax")),
    shape=(784,),
    use_bias=True,
    insert=None,
):
    keras = convbn.import_keras()
    layers = keras.layers
    stack = [layers.Dense(u, activation=a, use_bias=use_bias) for u, a in spec]
    if insert is not None:
        stack.insert(1, insert)
    return keras.Sequential([keras.Input(shape=shape), *stack])


def functional():
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    h1 = layers.Dense(512, activation="relu")(inputs)
    h2 = layers.Dense(128, activation="relu")(h1)
    outputs = layers.Dense(10, activation="softmax")(h2)
    return keras.Model(inputs=inputs, outputs=outputs)


def with_activation_layers():
    keras = convbn.import_keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(512),
            layers.ReLU(),
            layers.Dense(128),
            layers.Activation("relu"),
            layers.Dense(10),
            layers.Softmax(),
        ]
    )


def built_later():
    keras = convbn.import_keras()
    layers = keras.layers
    model = keras.Sequential(
        [
            layers.Dense(512, activation=keras.activations.relu),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.build((None, 784))
    return model


def keras2_style():
    keras = convbn.import_keras()
    layers = keras.layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # input_shape= is discouraged
        model = keras.Sequential()
        model.add(layers.Dense(512, activation="relu", input_shape=(784,)))
        model.add(layers.Dense(128, activation="relu"))
        model.add(layers.Dense(10, activation="softmax"))
    return model


@pytest.mark.parametrize(
    "build", [sequential, functional, with_activation_layers, built_later, keras2_style]
)
def test_check_sequential_model_accepts_correct_models(build):
    assert checks.check_sequential_model(build()) is True


def test_check_sequential_model_accepts_a_trained_model():
    model = sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((32, 784)), rng.integers(0, 10, 32), epochs=1, verbose=0)
    assert checks.check_sequential_model(model)


def not_built():
    keras = convbn.import_keras()
    layers = keras.layers
    return keras.Sequential(
        [layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")]
    )


def relu_then_softmax():
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(512, activation="relu")(inputs)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(10, activation="relu")(x)
    return keras.Model(inputs, layers.Activation("softmax")(x))


def skip_connection():
    keras = convbn.import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    h1 = layers.Dense(512, activation="relu")(inputs)
    h2 = layers.Dense(128, activation="relu")(h1)
    outputs = layers.Dense(10, activation="softmax")(h2 + h1[:, :128])  # a skip
    return keras.Model(inputs, outputs)


WRONG_MODELS = [
    (lambda: sequential(((512, "relu"), (128, "relu"), (10, None))), "missing softmax"),
    (
        lambda: sequential(((512, "relu"), (128, "relu"), (10, "sigmoid"))),
        "wrong activation on the output layer: sigmoid",
    ),
    (
        lambda: sequential(((512, "relu"), (64, "relu"), (10, "softmax"))),
        "wrong width: Dense layer 2",
    ),
    (
        lambda: sequential(((256, "relu"), (128, "relu"), (10, "softmax"))),
        "wrong width: Dense layer 1",
    ),
    (
        lambda: sequential(((512, "relu"), (128, "relu"), (1, "softmax"))),
        "wrong width: Dense layer 3 .*one unit per digit",
    ),
    (
        lambda: sequential(((512, "sigmoid"), (128, "relu"), (10, "softmax"))),
        "wrong activation in hidden layer 1: sigmoid",
    ),
    (
        lambda: sequential(((512, "relu"), (128, "softmax"), (10, "softmax"))),
        "wrong activation in hidden layer 2: softmax",
    ),
    (
        lambda: sequential(((512, "relu"), (128, None), (10, "softmax"))),
        r"wrong activation in hidden layer 2: linear \(no activation\)",
    ),
    (relu_then_softmax, "wrong activation on the output layer: relu then softmax"),
    (lambda: sequential(shape=(28, 28)), r"wrong input shape.*\(None, 28, 28\)"),
    (lambda: sequential(shape=(785,)), "wrong input shape"),
    (
        lambda: sequential(
            ((512, "relu"), (128, "relu"), (64, "relu"), (10, "softmax"))
        ),
        "extra layer: expected 3 Dense layers",
    ),
    (
        lambda: sequential(((512, "relu"), (10, "softmax"))),
        "missing layer: expected 3 Dense layers",
    ),
    (
        lambda: sequential(insert=convbn.import_keras().layers.Dropout(0.2)),
        "extra layer dropout.*Dropout",
    ),
    (
        lambda: sequential(insert=convbn.import_keras().layers.BatchNormalization()),
        "extra layer .*BatchNormalization",
    ),
    (
        lambda: sequential(use_bias=False),
        r"no bias in Dense layer 1 \(use_bias=False\)",
    ),
    (not_built, "not built"),
    (skip_connection, "output differs"),
]


@pytest.mark.parametrize(("build", "match"), WRONG_MODELS)
def test_check_sequential_model_names_the_mistake(build, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_sequential_model(build())


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (lambda: sequential, "got a function"),
        (lambda: convbn.import_keras().Sequential, "got the class Sequential"),
        (lambda: "model", "must be a Keras model"),
        (lambda: None, "must be a Keras model"),
    ],
)
def test_check_sequential_model_rejects_non_models(value, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_sequential_model(value())


# --- check_dense_parameters -----------------------------------------------------------


def count_zip(sizes, use_bias=True):
    return sum(
        a * b + (b if use_bias else 0) for a, b in zip(sizes, sizes[1:], strict=False)
    )


def count_loop(sizes, use_bias=True):
    total = 0
    for i in range(1, len(sizes)):
        total += sizes[i - 1] * sizes[i]
        if use_bias:
            total += sizes[i]
    return np.int64(total)


@pytest.mark.parametrize("fn", [count_zip, count_loop])
def test_check_dense_parameters_accepts_correct_counts(fn):
    assert checks.check_dense_parameters(fn)


@pytest.mark.parametrize(
    "sizes", [[784, 512, 128, 10], [14, 64], [3, 1], [20, 7, 7, 2, 9]]
)
@pytest.mark.parametrize("use_bias", [True, False])
def test_the_reference_count_is_what_keras_counts(sizes, use_bias):
    keras = convbn.import_keras()
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input(shape=(sizes[0],))]
        + [layers.Dense(n, use_bias=use_bias) for n in sizes[1:]]
    )
    assert count_zip(sizes, use_bias) == model.count_params()
    assert count_zip([784, 512, 128, 10]) == 468_874


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (
            lambda s, use_bias=True: sum(a * b for a, b in zip(s, s[1:], strict=False)),
            "you forgot the biases",
        ),
        (
            lambda s, use_bias=True: sum(
                a * b + b for a, b in zip(s, s[1:], strict=False)
            ),
            "with use_bias=False there are no biases",
        ),
        (
            lambda s, use_bias=True: sum(
                a * b + (a if use_bias else 0) for a, b in zip(s, s[1:], strict=False)
            ),
            "one bias per input",
        ),
        (
            lambda s, use_bias=True: count_zip(s, use_bias) + s[0],
            "the input has no parameters",
        ),
        (
            lambda s, use_bias=True: count_zip(s[:-1], use_bias),
            "you left out the last layer",
        ),
        (lambda s, use_bias=True: count_zip(s, use_bias) + 1, "wrong count"),
        (
            lambda s, use_bias=True: str(count_zip(s, use_bias)),
            "must return one integer",
        ),
        (lambda s, use_bias=True: count_zip(s, use_bias) + 0.5, "whole number"),
        (lambda s: count_zip(s), "raised TypeError"),
    ],
)
def test_check_dense_parameters_names_the_mistake(fn, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_dense_parameters(fn)


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
