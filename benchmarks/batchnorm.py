"""Speed of convbn.batchnorm's forward + backward pass against TensorFlow's.

    python benchmarks/batchnorm.py   # prints the table; exit 1 if a target is missed

Target (issue 5): batchnorm_forward + batchnorm_backward at most 1.5x a compiled
TensorFlow step (``tf.function`` around ``keras.layers.BatchNormalization(x,
training=True)`` and its ``GradientTape`` gradients with respect to x, gamma and beta)
on (256, 1024) and (64, 28, 28, 32), float32, in the same run.
"""

from __future__ import annotations

import sys

import numpy as np
from _harness import main, paired_medians

import convbn
from convbn import batchnorm


def one_shape(shape, repeats, rng, keras, tf):
    """One row: forward + backward on ``shape``."""
    depth = shape[-1]
    x = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
    dy = rng.normal(size=shape).astype(np.float32)
    gamma = rng.normal(size=depth).astype(np.float32)
    beta = rng.normal(size=depth).astype(np.float32)
    layer = keras.layers.BatchNormalization(epsilon=1e-3)
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    x_tf, dy_tf = tf.constant(x), tf.constant(dy)

    @tf.function
    def tf_step(x_tf, dy_tf):
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            y = layer(x_tf, training=True)
        return y, tape.gradient(y, [x_tf, layer.gamma, layer.beta], dy_tf)

    def ours():
        y, cache = batchnorm.batchnorm_forward(x, gamma, beta)
        return y, batchnorm.batchnorm_backward(dy, cache)

    y_tf, (dx_tf, _, _) = tf_step(x_tf, dy_tf)
    y, (dx, _, _) = ours()
    assert np.allclose(y, y_tf, atol=1e-4) and np.allclose(dx, dx_tf, atol=1e-4)
    ref, mine = paired_medians(
        lambda: [t.numpy() for t in tf.nest.flatten(tf_step(x_tf, dy_tf))],
        ours,
        repeats,
    )
    return (
        f"batchnorm fwd+bwd {shape} float32",
        "tf.function + GradientTape",
        ref,
        mine,
        1.5,
    )


def rows(repeats: int):
    rng = np.random.default_rng(0)
    keras = convbn.import_keras()
    import tensorflow as tf

    for shape in ((256, 1024), (64, 28, 28, 32)):
        yield one_shape(shape, repeats, rng, keras, tf)


if __name__ == "__main__":
    sys.exit(main(rows, __doc__))
