"""Speed of convbn.pooling against Keras's pooling layers.

    python benchmarks/pooling.py   # prints the table; exit 1 if a target is missed

Target (issue 4): pool2d max 2 x 2 on (64, 28, 28, 32) float32 at most 2x
keras.layers.MaxPooling2D in the same run. Average pooling and the "same" padding are
reported too. Target (issue 12): pool2d_backward max 2 x 2 at most 2x TensorFlow's
gradient of tf.nn.max_pool2d (tf.function + GradientTape) on the same input.
"""

from __future__ import annotations

import sys

import numpy as np
from _harness import main, paired_medians

import convbn
from convbn import pooling


def rows(repeats: int):
    rng = np.random.default_rng(0)
    keras = convbn.import_keras()
    import tensorflow as tf

    x = rng.normal(size=(64, 28, 28, 32)).astype(np.float32)
    x_tf = tf.constant(x)
    cases = [
        ("max", keras.layers.MaxPooling2D, 2, None, "valid", 2.0),
        ("average", keras.layers.AveragePooling2D, 2, None, "valid", None),
        ("max", keras.layers.MaxPooling2D, 3, 2, "same", None),
        ("average", keras.layers.AveragePooling2D, 3, 2, "same", None),
    ]
    dout = rng.normal(size=(64, 14, 14, 32)).astype(np.float32)
    dout_tf = tf.constant(dout)

    @tf.function
    def tf_backward(x_tf, dout_tf):
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            out = tf.nn.max_pool2d(x_tf, 2, 2, "VALID")
        return tape.gradient(out, x_tf, output_gradients=dout_tf)

    assert np.allclose(tf_backward(x_tf, dout_tf), pooling.pool2d_backward(dout, x))
    ref, ours = paired_medians(
        lambda: tf_backward(x_tf, dout_tf).numpy(),
        lambda: pooling.pool2d_backward(dout, x),
        repeats,
    )
    yield (
        "pool2d_backward max 2x2/2 valid (64,28,28,32)",
        "tf.function + GradientTape",
        ref,
        ours,
        2.0,
    )
    for kind, layer_class, size, stride, padding, target in cases:
        layer = layer_class(pool_size=size, strides=stride, padding=padding)
        assert np.allclose(
            layer(x_tf), pooling.pool2d(x, size, stride, kind, padding), atol=1e-5
        )
        ref, ours = paired_medians(
            lambda layer=layer: layer(x_tf).numpy(),
            lambda kind=kind, size=size, stride=stride, padding=padding: pooling.pool2d(
                x, size, stride, kind, padding
            ),
            repeats,
        )
        step = stride or size
        yield (
            f"pool2d {kind} {size}x{size}/{step} {padding} (64,28,28,32)",
            f"keras {layer_class.__name__}",
            ref,
            ours,
            target,
        )


if __name__ == "__main__":
    sys.exit(main(rows, __doc__))
