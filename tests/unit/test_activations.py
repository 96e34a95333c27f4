"""convbn.activations against keras.activations and TensorFlow's gradients."""

import numpy as np
import pytest

import convbn
from convbn import activations


@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_activation_equals_keras(name):
    keras = convbn.import_keras()
    z = np.random.default_rng(0).normal(0, 4, size=(5, 7))
    z[0, :3] = [-800.0, 0.0, 800.0]  # no overflow at the extremes
    want = keras.ops.convert_to_numpy(keras.activations.get(name)(z))
    assert np.allclose(activations.activation(name, z), want, atol=1e-7)


@pytest.mark.parametrize("name", activations.ELEMENTWISE)
def test_activation_slope_equals_gradient_tape(name):
    convbn.import_keras()
    import tensorflow as tf

    z = tf.constant(np.linspace(-5, 5, 41))  # 0 included: relu's slope there is 0
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = tf.keras.activations.get(name)(z)
    want = tape.gradient(y, z).numpy()
    assert np.allclose(activations.activation_slope(name, z.numpy()), want)


def test_softmax_along_an_axis_sums_to_one():
    z = np.random.default_rng(1).normal(size=(3, 4))
    assert np.allclose(activations.activation("softmax", z, axis=0).sum(axis=0), 1)
    assert np.allclose(activations.activation("softmax", z).sum(axis=-1), 1)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: activations.activation("gelu", [1.0]), ValueError, "name must be"),
        (lambda: activations.activation("relu", "x"), TypeError, "z must be"),
        (lambda: activations.activation_slope("softmax", [1.0]), ValueError, "name"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
