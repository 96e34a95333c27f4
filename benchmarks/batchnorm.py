"""Speed of convbn.batchnorm's forward + backward passes against TensorFlow's.

    python benchmarks/batchnorm.py   # prints the table; exit 1 if a target is missed

Targets: batchnorm_forward + batchnorm_backward (issue 5) at most 1.5x a compiled
TensorFlow step (``tf.function`` around ``keras.layers.BatchNormalization(x,
training=True)`` and its ``GradientTape`` gradients with respect to x, gamma and beta)
on (256, 1024) and (64, 28, 28, 32), float32, in the same run; likewise (issue 13)
layernorm_forward + layernorm_backward against ``keras.layers.LayerNormalization``
(over the last axis) and groupnorm_forward + groupnorm_backward against
``keras.layers.GroupNormalization(groups=8)``, on (64, 28, 28, 32).
"""

from __future__ import annotations

import sys

import numpy as np
from _harness import main, paired_medians

import convbn
from convbn import batchnorm

# name -> (Keras layer, our forward, our backward, extra forward arguments)
KINDS = {
    "batchnorm": (
        lambda keras: keras.layers.BatchNormalization(epsilon=1e-3),
        batchnorm.batchnorm_forward,
        batchnorm.batchnorm_backward,
        (),
    ),
    "layernorm": (
        lambda keras: keras.layers.LayerNormalization(epsilon=1e-3),
        batchnorm.layernorm_forward,
        batchnorm.layernorm_backward,
        (),
    ),
    "groupnorm G8": (
        lambda keras: keras.layers.GroupNormalization(groups=8, epsilon=1e-3),
        batchnorm.groupnorm_forward,
        batchnorm.groupnorm_backward,
        (8,),
    ),
}


def one_shape(shape, repeats, rng, keras, tf, kind="batchnorm"):
    """One row: forward + backward of ``kind`` on ``shape``."""
    make_layer, forward, backward, extra = KINDS[kind]
    depth = shape[-1]
    x = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
    dy = rng.normal(size=shape).astype(np.float32)
    gamma = rng.normal(size=depth).astype(np.float32)
    beta = rng.normal(size=depth).astype(np.float32)
    layer = make_layer(keras)
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
        y, cache = forward(x, gamma, beta, *extra)
        return y, backward(dy, cache)

    y_tf, (dx_tf, _, _) = tf_step(x_tf, dy_tf)
    y, (dx, _, _) = ours()
    assert np.allclose(y, y_tf, atol=1e-4) and np.allclose(dx, dx_tf, atol=1e-4)
    ref, mine = paired_medians(
        lambda: [t.numpy() for t in tf.nest.flatten(tf_step(x_tf, dy_tf))],
        ours,
        repeats,
    )
    return (
        f"{kind} fwd+bwd {shape} float32",
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
    for kind in ("layernorm", "groupnorm G8"):
        yield one_shape((64, 28, 28, 32), repeats, rng, keras, tf, kind)


if __name__ == "__main__":
    sys.exit(main(rows, __doc__))
