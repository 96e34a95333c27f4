"""convbn.pooling's backward pass and global pooling against TensorFlow and Keras."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convbn
from convbn import pooling


def _tf_gradient(x, dout, size, stride, kind, padding):
    convbn.import_keras()
    import tensorflow as tf

    xv = tf.Variable(x)
    pool = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    with tf.GradientTape() as tape:
        out = pool(xv, size, stride, padding.upper())
        loss = tf.reduce_sum(out * dout)
    return out.numpy(), tape.gradient(loss, xv).numpy()


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 3),
    st.tuples(st.integers(1, 4), st.integers(1, 4)),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.sampled_from(["max", "average"]),
    st.sampled_from(["valid", "same"]),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_pool2d_backward_equals_tensorflow(
    n, h, w, c, size, stride, kind, padding, ties, seed
):
    assume(padding == "same" or (size[0] <= h and size[1] <= w))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c))
    if ties:  # few distinct values: many windows with tied maxima
        x = np.round(x)
    dout = rng.normal(size=pooling.pool2d(x, size, stride, kind, padding).shape)
    out, want = _tf_gradient(x, dout, size, stride, kind, padding)
    assert np.allclose(pooling.pool2d(x, size, stride, kind, padding), out)
    got = pooling.pool2d_backward(dout, x, size, stride, kind, padding)
    assert got.shape == x.shape
    assert np.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("kind", pooling.KINDS)
@pytest.mark.parametrize("padding", pooling.PADDINGS)
def test_pool2d_backward_passes_a_numeric_gradient_check(kind, padding):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 5, 6, 2))  # distinct values: max is differentiable
    dout = rng.normal(size=pooling.pool2d(x, 3, 2, kind, padding).shape)
    got = pooling.pool2d_backward(dout, x, 3, 2, kind, padding)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        numeric[index] = (
            np.sum(
                (
                    pooling.pool2d(up, 3, 2, kind, padding)
                    - pooling.pool2d(down, 3, 2, kind, padding)
                )
                * dout
            )
            / 2e-6
        )
    assert np.allclose(got, numeric, atol=1e-6)


def test_max_routes_to_the_arg_max_and_average_spreads():
    x = np.array([[1.0, 5.0, 2.0, 2.0], [0.0, 3.0, 2.0, 2.0]])
    dout = np.array([[1.0, 1.0]])
    assert np.array_equal(
        pooling.pool2d_backward(dout, x, 2, kind="max"),
        [[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]],  # ties: the first maximum
    )
    assert np.allclose(pooling.pool2d_backward(dout, x, 2, kind="average"), 0.25)


@pytest.mark.parametrize("kind", pooling.GLOBAL_KINDS)
def test_global_pool2d_equals_keras_and_ignores_circular_shifts(kind):
    keras = convbn.import_keras()
    x = np.random.default_rng(6).normal(size=(3, 7, 5, 4)).astype(np.float32)
    layer = (
        keras.layers.GlobalMaxPooling2D()
        if kind == "max"
        else keras.layers.GlobalAveragePooling2D()
    )
    got = pooling.global_pool2d(x, kind)
    assert got.shape == (3, 4) and got.dtype == np.float32
    assert np.allclose(got, keras.ops.convert_to_numpy(layer(x)), atol=1e-6)
    x64 = x.astype(np.float64)
    for shift in [(1, 0), (3, 4), (-2, 11)]:
        rolled = pooling.global_pool2d(np.roll(x64, shift, axis=(1, 2)), kind)
        if kind == "max":  # the same numbers: exactly equal
            assert np.array_equal(rolled, pooling.global_pool2d(x64, kind))
        else:  # the same sum in another order: equal up to rounding
            assert np.allclose(rolled, pooling.global_pool2d(x64, kind), rtol=1e-14)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: pooling.pool2d_backward(np.ones((1, 2)), np.ones((4, 4))),
            ValueError,
            r"dout must have the shape of pool2d's output, \(2, 2\)",
        ),
        (
            lambda: pooling.pool2d_backward(np.ones((2, 2)), np.ones((1, 4, 4, 1))),
            ValueError,
            "dout must be a 4-D",
        ),
        (
            lambda: pooling.pool2d_backward(
                np.ones((2, 2)), np.ones((4, 4)), kind="min"
            ),
            ValueError,
            "kind must be one of",
        ),
        (
            lambda: pooling.pool2d_backward(np.ones((2, 2)), np.ones((4, 4)), stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (lambda: pooling.global_pool2d(np.ones((4, 4))), ValueError, "x must be a 4-D"),
        (
            lambda: pooling.global_pool2d(np.ones((1, 4, 4, 1)), "l2"),
            ValueError,
            "kind must be one of 'max', 'average'",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
