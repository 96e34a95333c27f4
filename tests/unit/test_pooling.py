"""convbn.pooling, chapter 6: against Keras's pooling layers, TensorFlow and loops."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convbn
from convbn import pooling


@pytest.fixture(scope="module")
def keras():
    import convbn

    return convbn.import_keras()


def loop_pool2d(x, size, stride, kind, sigma=1.0):
    """Valid 2-D pooling of a 2-D array with explicit loops: the definition."""
    (kh, kw), (sh, sw) = size, stride
    rows, cols = (x.shape[0] - kh) // sh + 1, (x.shape[1] - kw) // sw + 1
    weights = pooling.pooling_weights((kh, kw), sigma)
    out = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = x[i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[i, j] = {
                "max": lambda w: w.max(),
                "average": lambda w: w.mean(),
                "l2": lambda w: math.sqrt((w**2).sum()),
                "weighted": lambda w: (w * weights).sum(),
            }[kind](window)
    return out


shapes = st.tuples(
    st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.integers(1, 3)
)
windows = st.tuples(st.integers(1, 4), st.integers(1, 4))


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    size=windows,
    stride=st.one_of(st.none(), windows),
    padding=st.sampled_from(pooling.PADDINGS),
    seed=st.integers(0, 2**16),
)
def test_max_and_average_equal_keras(keras, shape, size, stride, padding, seed):
    assume(
        not (padding == "valid" and (size[0] > shape[1] or size[1] > shape[2]))
    )  # the window must fit
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    for kind, layer in (
        ("max", keras.layers.MaxPooling2D),
        ("average", keras.layers.AveragePooling2D),
    ):
        expected = np.asarray(layer(size, stride, padding)(x))
        ours = pooling.pool2d(x, size, stride, kind, padding)
        assert ours.dtype == np.float32 and ours.shape == expected.shape
        assert np.allclose(ours, expected, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 3)),
    size=st.integers(1, 5),
    stride=st.one_of(st.none(), st.integers(1, 4)),
    padding=st.sampled_from(pooling.PADDINGS),
    seed=st.integers(0, 2**16),
)
def test_pool1d_equals_keras(keras, shape, size, stride, padding, seed):
    assume(not (padding == "valid" and size > shape[1]))  # the window must fit
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    for kind, layer in (
        ("max", keras.layers.MaxPooling1D),
        ("average", keras.layers.AveragePooling1D),
    ):
        expected = np.asarray(layer(size, stride, padding)(x))
        ours = pooling.pool1d(x, size, stride, kind, padding)
        assert ours.shape == expected.shape
        assert np.allclose(ours, expected, atol=1e-5)
        flat = pooling.pool1d(x[0, :, 0], size, stride, kind, padding)
        assert np.allclose(flat, expected[0, :, 0], atol=1e-5)


@settings(max_examples=80, deadline=None)
@given(
    h=st.integers(1, 8),
    w=st.integers(1, 8),
    size=windows,
    stride=windows,
    kind=st.sampled_from(pooling.KINDS),
    sigma=st.floats(0.3, 5.0),
    seed=st.integers(0, 2**16),
)
def test_every_kind_equals_the_loop_definition(h, w, size, stride, kind, sigma, seed):
    assume(not (size[0] > h or size[1] > w))  # the window must fit
    x = np.random.default_rng(seed).normal(size=(h, w))
    ours = pooling.pool2d(x, size, stride, kind, sigma=sigma)
    assert ours.dtype == np.float64
    assert np.allclose(ours, loop_pool2d(x, size, stride, kind, sigma))
    batched = pooling.pool2d(x[None, :, :, None], size, stride, kind, sigma=sigma)
    assert np.allclose(batched[0, :, :, 0], ours)


def test_same_padding_pads_like_keras_and_leaves_the_padding_out():
    """'same' turns 5 inputs with width 3, stride 2 into 3 outputs by padding one
    position at each end (Keras's alignment, not Goodfellow Fig. 9.10's, whose
    windows start at 0, 2, 4). The padding never counts: not in the max, the mean,
    the L2 norm or the weights."""
    x = np.array([-1.0, -2.0, -3.0, -4.0, -5.0])
    assert np.allclose(pooling.pool1d(x, 3, 2, "max", "same"), [-1, -2, -4])
    assert np.allclose(pooling.pool1d(x, 3, 2, "average", "same"), [-1.5, -3, -4.5])
    l2 = pooling.pool1d(x, 3, 2, "l2", "same")
    assert np.allclose(l2, [math.sqrt(5), math.sqrt(29), math.sqrt(41)])
    w = pooling.pooling_weights((1, 3), 1.0)[0]
    weighted = pooling.pool1d(-x, 3, 2, "weighted", "same", sigma=1.0)
    assert weighted[0] == pytest.approx((w[1] * 1 + w[2] * 2) / (w[1] + w[2]))
    assert weighted[1] == pytest.approx(w @ [2.0, 3.0, 4.0])
    assert weighted[2] == pytest.approx((w[0] * 4 + w[1] * 5) / (w[0] + w[1]))


def test_pooling_weights():
    w = pooling.pooling_weights(3, sigma=1.0)
    assert w.shape == (3, 3) and w.sum() == pytest.approx(1.0)
    assert w[1, 1] == w.max() and np.allclose(w, w.T) and np.allclose(w, w[::-1])
    assert w[0, 1] / w[1, 1] == pytest.approx(math.exp(-0.5))
    assert np.allclose(pooling.pooling_weights((2, 4), sigma=1e3), 1 / 8)
    even = pooling.pooling_weights(2, sigma=0.5)
    assert np.allclose(even, 0.25)  # every entry is as far from the centre


def test_stride_none_means_stride_equals_size():
    x = np.random.default_rng(1).normal(size=(7, 9))
    assert np.array_equal(pooling.pool2d(x, 3), pooling.pool2d(x, 3, 3))
    assert np.array_equal(pooling.pool2d(x, (2, 3)), pooling.pool2d(x, (2, 3), (2, 3)))
    assert pooling.pool2d(x, 3).shape == (2, 3)


def test_input_is_not_modified():
    x = np.random.default_rng(2).normal(size=(1, 6, 6, 2))
    copy = x.copy()
    for kind in pooling.KINDS:
        pooling.pool2d(x, 3, 2, kind, "same")
    assert np.array_equal(x, copy)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pooling.pool2d(np.ones((4, 4)), 0), ValueError, "size must be >= 1"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2, 0), ValueError, "stride"),
        (lambda: pooling.pool2d(np.ones((4, 4)), (2, 2, 2)), ValueError, "size"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2.5), TypeError, "size"),
        (lambda: pooling.pool2d(np.ones((3, 3)), 4), ValueError, "size 4 is larger"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2, kind="min"), ValueError, "kind"),
        (lambda: pooling.pool2d(np.ones((4, 4)), 2, padding="full"), ValueError, "pad"),
        (lambda: pooling.pool2d(np.ones((2, 4, 4)), 2), ValueError, "2-D or 4-D"),
        (lambda: pooling.pool2d(np.full((4, 4), np.nan), 2), ValueError, "NaN"),
        (lambda: pooling.pool2d("image", 2), TypeError, "x must be a numeric"),
        (
            lambda: pooling.pool2d(np.ones((4, 4)), 2, kind="weighted", sigma=0),
            ValueError,
            "sigma",
        ),
        (lambda: pooling.pool1d(np.ones(3), 4), ValueError, "input's length 3"),
        (lambda: pooling.pool1d(np.ones((2, 3)), 2), ValueError, "1-D or 3-D"),
        (lambda: pooling.pool1d(np.ones(5), 2, stride=-1), ValueError, "stride"),
        (lambda: pooling.pooling_weights(3, sigma=-1.0), ValueError, "sigma"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_same_padding_accepts_windows_larger_than_the_input(keras):
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    expected = np.asarray(keras.layers.MaxPooling2D(4, 1, "same")(x))
    assert np.allclose(pooling.pool2d(x, 4, 1, "max", "same"), expected)


# --- pool2d_backward and global_pool2d (chapter 7) -----------------------------------


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


def test_keras_max_pooling_takes_the_first_tie_and_global_max_splits_it(keras):
    import tensorflow as tf

    x = np.round(np.random.default_rng(7).normal(size=(2, 6, 5, 3)))
    x = np.maximum(x, 0.0)  # a ReLU map: windows of tied zeros
    dout = np.random.default_rng(8).normal(size=(2, 3, 2, 3))
    xv = tf.Variable(x)
    with tf.GradientTape(persistent=True) as tape:
        local = tf.reduce_sum(keras.layers.MaxPooling2D(2)(xv) * dout)
        whole = tf.reduce_sum(keras.layers.GlobalMaxPooling2D()(xv) * dout[:, 0, 0])
    got = pooling.pool2d_backward(dout, x, 2)
    assert np.allclose(tape.gradient(local, xv).numpy(), got, atol=1e-6)
    tied = x == x.max(axis=(1, 2), keepdims=True)
    split = tied * dout[:, None, None, 0, 0] / tied.sum(axis=(1, 2), keepdims=True)
    assert tied.sum(axis=(1, 2)).max() > 1  # ties, to split
    assert np.allclose(tape.gradient(whole, xv).numpy(), split, atol=1e-6)


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
def test_backward_and_global_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
