"""What the Keras migration appendix and chapter 11 say about Keras 2, run against
``tf_keras``, the Keras 2 package (``pip install tf-keras``). The course does not
need it, so these tests are skipped where it is not installed."""

import os
import subprocess
import sys

import numpy as np
import pytest

import convbn

tf_keras = pytest.importorskip("tf_keras")


def test_keras_2_installs_next_to_keras_3():
    """The appendix: Keras 2 survives as tf_keras, imported next to Keras 3."""
    keras = convbn.import_keras()
    assert keras.__version__.startswith("3.")
    assert tf_keras.__version__.startswith("2.")
    x = np.ones((2, 3), dtype="float32")
    for library in (keras, tf_keras):
        dense = library.layers.Dense(4, kernel_initializer="ones")
        assert np.allclose(np.asarray(dense(x)), 3.0)


def test_tf_keras_stores_the_bessel_corrected_variance_of_images():
    """The appendix: tf.keras's fused kernel stores m / (m - 1) times the biased
    batch variance of images; for dense inputs tf.keras, and Keras 3 always, store
    the biased one."""
    keras = convbn.import_keras()
    maps = np.random.default_rng(1).normal(2.0, 3.0, size=(2, 2, 2, 3))
    maps = maps.astype("float32")
    biased, m = maps.var(axis=(0, 1, 2)), 8
    keras2 = tf_keras.layers.BatchNormalization(momentum=0.0)
    keras2(maps, training=True)
    keras3 = keras.layers.BatchNormalization(momentum=0.0)
    keras3(maps, training=True)
    np.testing.assert_allclose(
        keras2.moving_variance.numpy(), biased * m / (m - 1), rtol=1e-5
    )
    np.testing.assert_allclose(keras3.moving_variance.numpy(), biased, rtol=1e-5)
    dense = maps.reshape(8, 3)
    keras2_dense = tf_keras.layers.BatchNormalization(momentum=0.0)
    keras2_dense(dense, training=True)
    np.testing.assert_allclose(
        keras2_dense.moving_variance.numpy(), dense.var(axis=0), rtol=1e-5
    )


def test_tf_keras_divides_the_activity_penalty_by_the_batch_size():
    """The appendix: tf.keras divided an activity regularizer by the batch size, as
    Keras 3.14 does; standalone Keras 2 added the plain sum."""
    h_batch = np.random.default_rng(2).normal(size=(32, 3)).astype("float32")
    layer = tf_keras.layers.Dense(
        4, activity_regularizer=tf_keras.regularizers.L1(0.01)
    )
    out = layer(h_batch).numpy()
    assert np.isclose(float(layer.losses[0]), 0.01 * np.abs(out).sum() / 32, rtol=1e-5)


def _tf_keras_is_keras_3(legacy: bool) -> list[str]:
    code = (
        "import keras, tensorflow as tf\n"
        "adam = tf.keras.optimizers.Adam\n"
        "print(adam.__module__.split('.')[0], adam is keras.optimizers.Adam)"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


@pytest.mark.slow
def test_tf_keras_is_keras_3_unless_legacy_keras_is_asked_for():
    """Chapter 11, section 11.7: tf.keras.optimizers.Adam is keras.optimizers.Adam
    from TensorFlow 2.16 on, unless TF_USE_LEGACY_KERAS=1 makes tf.keras the
    tf_keras package."""
    assert _tf_keras_is_keras_3(legacy=False) == ["keras", "True"]
    assert _tf_keras_is_keras_3(legacy=True) == ["tf_keras", "False"]
