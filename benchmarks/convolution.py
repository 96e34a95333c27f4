"""Speed of convbn.convolution against the libraries it is tested against.

    python benchmarks/convolution.py   # prints the table; exit 1 if a target is missed

Each row times convbn and its reference in the same run, interleaved (reference,
ours, reference, ours, ...) so that both see the same machine load, and reports the
ratio of the medians. Targets (issue 3): conv2d at most 1.5x tf.nn.conv2d on
(64, 28, 28, 16) * (3, 3, 16, 32); correlate2d at most 1.5x scipy.signal.correlate2d
on 512 x 512 * 5 x 5. The loop version's slowdown is reported, not targeted.
Targets (issue 12), on the same (64, 28, 28, 16) * (3, 3, 16, 32): conv2d_backward at
most 2x TensorFlow's gradients of tf.nn.conv2d (tf.function + GradientTape, the input
and kernel gradients); conv2d_transpose at most 2x keras.layers.Conv2DTranspose.
Targets (issue 22): conv2d at most 1.3x tf.nn.conv2d; im2col at most 2x
tf.image.extract_patches on the same input; on (64, 28, 28, 32) with 3 x 3 kernels,
grouped conv2d (32 -> 64 channels, groups 4) at most 1.5x keras.layers.Conv2D(...,
groups=4), which on the CPU runs through XLA (Keras avoids TensorFlow's grouped CPU
kernel, which it calls broken; that kernel, tf.nn.conv2d with a grouped kernel, is
timed too, for information), and depthwise_conv2d at most 1.5x
tf.nn.depthwise_conv2d (what keras.layers.DepthwiseConv2D calls).
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.signal
from _harness import main, paired_medians

import convbn
from convbn import convolution


def _compared(name, reference, functions, target, repeats):
    """A row: the reference's and convbn's results agree, then their times."""
    theirs, ours = functions
    assert np.allclose(theirs(), ours(), atol=1e-3), name
    ref, mine = paired_medians(theirs, ours, repeats)
    return name, reference, ref, mine, target


def rows(repeats: int):
    rng = np.random.default_rng(0)
    keras = convbn.import_keras()  # loads TensorFlow quietly
    import tensorflow as tf

    x = rng.normal(size=(64, 28, 28, 16)).astype(np.float32)
    w = rng.normal(size=(3, 3, 16, 32)).astype(np.float32)
    x_tf, w_tf = tf.constant(x), tf.constant(w)
    assert np.allclose(
        convolution.conv2d(x, w), tf.nn.conv2d(x_tf, w_tf, 1, "VALID"), atol=1e-3
    )
    ref, ours = paired_medians(
        lambda: tf.nn.conv2d(x_tf, w_tf, 1, "VALID").numpy(),
        lambda: convolution.conv2d(x, w),
        repeats,
    )
    yield ("conv2d (64,28,28,16) * (3,3,16,32) float32", "tf.nn.conv2d", ref, ours, 1.3)

    def extract_patches():
        patches = tf.image.extract_patches(
            x_tf, [1, 3, 3, 1], [1] * 4, [1] * 4, "VALID"
        )
        return patches.numpy().reshape(-1, 144)

    yield _compared(
        "im2col (64,28,28,16) 3x3",
        "tf.image.extract_patches",
        (extract_patches, lambda: convolution.im2col(x, 3, 3)),
        2.0,
        repeats,
    )

    wide = rng.normal(size=(64, 28, 28, 32)).astype(np.float32)
    grouped = rng.normal(size=(3, 3, 8, 64)).astype(np.float32)  # 4 groups of 8
    wide_tf, grouped_tf = tf.constant(wide), tf.constant(grouped)
    layer = keras.layers.Conv2D(64, 3, groups=4, use_bias=False)
    layer.build(wide.shape)
    layer.set_weights([grouped])

    def ours():
        return convolution.conv2d(wide, grouped, groups=4)

    yield _compared(
        "conv2d groups=4 (64,28,28,32) * (3,3,8,64)",
        "keras Conv2D (XLA on CPU)",
        (lambda: layer(wide_tf).numpy(), ours),
        1.5,
        repeats,
    )
    yield _compared(
        "conv2d groups=4, the same sizes",
        "tf.nn.conv2d (grouped)",
        (lambda: tf.nn.conv2d(wide_tf, grouped_tf, 1, "VALID").numpy(), ours),
        None,
        repeats,
    )

    depthwise = rng.normal(size=(3, 3, 32, 1)).astype(np.float32)
    depthwise_tf = tf.constant(depthwise)
    yield _compared(
        "depthwise_conv2d (64,28,28,32) * (3,3,32,1)",
        "tf.nn.depthwise_conv2d",
        (
            lambda: tf.nn.depthwise_conv2d(
                wide_tf, depthwise_tf, [1] * 4, "VALID"
            ).numpy(),
            lambda: convolution.depthwise_conv2d(wide, depthwise),
        ),
        1.5,
        repeats,
    )

    dout = rng.normal(size=(64, 26, 26, 32)).astype(np.float32)
    dout_tf = tf.constant(dout)

    @tf.function
    def tf_backward(x_tf, w_tf, dout_tf):
        with tf.GradientTape() as tape:
            tape.watch([x_tf, w_tf])
            out = tf.nn.conv2d(x_tf, w_tf, 1, "VALID")
        return tape.gradient(out, [x_tf, w_tf], output_gradients=dout_tf)

    dx_tf, dw_tf = tf_backward(x_tf, w_tf, dout_tf)
    dx, dw, _ = convolution.conv2d_backward(dout, x, w)
    assert np.allclose(dx, dx_tf, atol=1e-2) and np.allclose(
        dw, dw_tf, rtol=1e-3, atol=1
    )
    ref, ours = paired_medians(
        lambda: [g.numpy() for g in tf_backward(x_tf, w_tf, dout_tf)],
        lambda: convolution.conv2d_backward(dout, x, w),
        repeats,
    )
    yield (
        "conv2d_backward (64,28,28,16) * (3,3,16,32)",
        "tf.function + GradientTape",
        ref,
        ours,
        2.0,
    )

    # Conv2DTranspose's kernel is (kh, kw, C_out, C_in): 26 x 26 x 32 -> 28 x 28 x 16
    layer = keras.layers.Conv2DTranspose(16, 3, use_bias=False)
    layer.build(dout.shape)
    layer.set_weights([w])
    assert np.allclose(layer(dout_tf), convolution.conv2d_transpose(dout, w), atol=1e-2)
    ref, ours = paired_medians(
        lambda: layer(dout_tf).numpy(),
        lambda: convolution.conv2d_transpose(dout, w),
        repeats,
    )
    yield (
        "conv2d_transpose (64,26,26,32) * (3,3,16,32)",
        "keras Conv2DTranspose",
        ref,
        ours,
        2.0,
    )

    image, kernel = rng.normal(size=(512, 512)), rng.normal(size=(5, 5))
    ref, ours = paired_medians(
        lambda: scipy.signal.correlate2d(image, kernel, "valid"),
        lambda: convolution.correlate2d(image, kernel),
        repeats,
    )
    yield (
        "correlate2d 512x512 * 5x5 float64",
        "scipy.signal.correlate2d",
        ref,
        ours,
        1.5,
    )

    small, k3 = rng.normal(size=(64, 64)), rng.normal(size=(3, 3))
    ref, ours = paired_medians(
        lambda: convolution.correlate2d(small, k3),
        lambda: convolution.correlate2d_loops(small, k3),
        max(3, repeats // 5),
    )
    yield ("correlate2d_loops 64x64 * 3x3", "convbn correlate2d", ref, ours, None)


if __name__ == "__main__":
    sys.exit(main(rows, __doc__))
