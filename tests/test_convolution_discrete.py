"""convbn.convolution, chapters 2 to 5: against numpy, scipy and TensorFlow."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from convbn import convolution as conv

sizes = st.integers(1, 9)
modes = st.sampled_from(conv.MODES)
strides = st.integers(1, 4)


def arrays(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


@settings(max_examples=150, deadline=None)
@given(n=sizes, k=sizes, mode=modes, seed=st.integers(0, 2**16))
def test_1d_functions_equal_numpy(n, k, mode, seed):
    x, w = arrays(seed, n), arrays(seed + 1, k)
    assert np.allclose(conv.convolve1d(x, w, mode), np.convolve(x, w, mode))
    assert np.allclose(conv.correlate1d(x, w, mode), np.correlate(x, w, mode))


def test_1d_defaults_follow_numpy():
    x, w = np.arange(6.0), np.array([1.0, -2.0, 0.5])
    assert np.allclose(conv.convolve1d(x, w), np.convolve(x, w))  # "full"
    assert np.allclose(conv.correlate1d(x, w), np.correlate(x, w))  # "valid"


@settings(max_examples=150, deadline=None)
@given(
    h=sizes,
    w=sizes,
    kh=sizes,
    kw=sizes,
    mode=modes,
    stride=strides,
    seed=st.integers(0, 2**16),
)
def test_2d_functions_equal_scipy_then_subsample(h, w, kh, kw, mode, stride, seed):
    if mode == "valid" and (kh > h or kw > w):
        return
    image, kernel = arrays(seed, h, w), arrays(seed + 1, kh, kw)
    ours_c = conv.correlate2d(image, kernel, mode, stride)
    ours_v = conv.convolve2d(image, kernel, mode, stride)
    ref_c = scipy.signal.correlate2d(image, kernel, mode)[::stride, ::stride]
    ref_v = scipy.signal.convolve2d(image, kernel, mode)[::stride, ::stride]
    assert ours_c.shape == ref_c.shape and np.allclose(ours_c, ref_c)
    assert ours_v.shape == ref_v.shape and np.allclose(ours_v, ref_v)
    assert ours_c.shape == (
        conv.output_size(h, kh, mode, stride),
        conv.output_size(w, kw, mode, stride),
    )


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(3, 8),
    w=st.integers(3, 8),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_loop_version_equals_vectorised(h, w, kh, kw, seed):
    image, kernel = arrays(seed, h, w), arrays(seed + 1, kh, kw)
    assert np.allclose(
        conv.correlate2d_loops(image, kernel),
        scipy.signal.correlate2d(image, kernel, "valid"),
    )


def test_float32_stays_float32_and_float64_otherwise():
    image32, kernel32 = np.ones((5, 5), np.float32), np.ones((2, 2), np.float32)
    assert conv.correlate2d(image32, kernel32).dtype == np.float32
    assert conv.convolve2d(image32, kernel32.astype(np.float64)).dtype == np.float64
    assert conv.convolve1d(np.arange(4), [1, 2]).dtype == np.float64  # ints in
    assert conv.correlate2d_loops(image32, kernel32).dtype == np.float32


@pytest.mark.parametrize(
    ("n", "k", "padding", "stride", "expected"),
    [
        (7, 3, "valid", 1, 5),
        (7, 3, "valid", 2, 3),
        (7, 3, "same", 2, 4),
        (7, 3, "full", 2, 5),
        (8, 3, "full", 3, 4),
        (5, 5, "valid", 1, 1),
        (1, 4, "same", 1, 1),
        (28, 3, "valid", 1, 26),
    ],
)
def test_output_size_formulas(n, k, padding, stride, expected):
    assert conv.output_size(n, k, padding, stride) == expected


@settings(max_examples=100, deadline=None)
@given(n=sizes, k=sizes, mode=modes)
def test_1d_matrix_equals_scipy_linalg(n, k, mode):
    kernel = arrays(n * 10 + k, k)
    assert np.allclose(
        conv.convolution_matrix(kernel, n, mode),
        scipy.linalg.convolution_matrix(kernel, n, mode),
    )


@settings(max_examples=80, deadline=None)
@given(
    h=sizes,
    w=sizes,
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    mode=modes,
    seed=st.integers(0, 2**16),
)
def test_2d_matrix_reproduces_convolve2d(h, w, kh, kw, mode, seed):
    if mode == "valid" and (kh > h or kw > w):
        return
    image, kernel = arrays(seed, h, w), arrays(seed + 1, kh, kw)
    matrix = conv.convolution_matrix(kernel, (h, w), mode)
    expected = scipy.signal.convolve2d(image, kernel, mode)
    assert matrix.shape == (expected.size, image.size)
    assert np.allclose(matrix @ image.ravel(), expected.ravel())


def test_2d_matrix_is_doubly_block_toeplitz():
    kernel = np.arange(1.0, 7.0).reshape(2, 3)
    matrix = conv.convolution_matrix(kernel, (3, 4), "full")
    # blocks of (output row) x (input row): each block is Toeplitz and equal blocks
    # repeat along block diagonals
    blocks = matrix.reshape(4, 6, 3, 4).transpose(0, 2, 1, 3)  # (out r, in r, 6, 4)
    for i in range(4):
        for j in range(3):
            block = blocks[i, j]
            assert all(
                np.allclose(np.diag(block, d), np.diag(block, d)[0])
                for d in range(-5, 4)
                if np.diag(block, d).size
            )
            if i + 1 < 4 and j + 1 < 3:
                assert np.array_equal(block, blocks[i + 1, j + 1])
    assert np.count_nonzero(matrix) == kernel.size * 12


@pytest.fixture(scope="module")
def tf():
    import convbn

    convbn.import_keras()
    import tensorflow

    return tensorflow


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    h=st.integers(3, 10),
    w=st.integers(3, 10),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same"]),
    seed=st.integers(0, 2**16),
)
def test_conv2d_equals_tf_nn_conv2d(
    tf, n, h, w, c_in, c_out, kh, kw, stride, padding, seed
):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c_in)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    expected = tf.nn.conv2d(x, kernel, stride, padding.upper()).numpy() + bias
    ours = conv.conv2d(x, kernel, bias, stride, padding)
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    assert np.allclose(ours, expected, atol=1e-4)
    assert ours.shape[1] == conv.output_size(h, kh, padding, stride)


def test_conv2d_equals_keras_conv2d(tf):
    import keras

    layer = keras.layers.Conv2D(5, (3, 2), strides=2, padding="same")
    x = np.random.default_rng(0).normal(size=(2, 9, 8, 3)).astype(np.float32)
    expected = layer(x).numpy()
    ours = conv.conv2d(x, layer.kernel.numpy(), layer.bias.numpy(), 2, "same")
    assert np.allclose(ours, expected, atol=1e-5)
    x64 = x.astype(np.float64)
    assert conv.conv2d(x64, layer.kernel.numpy().astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: conv.convolve2d(np.ones(5), np.ones((2, 2))),
            ValueError,
            "image must be a 2-D array",
        ),
        (
            lambda: conv.correlate2d(np.ones((5, 5)), np.ones(2)),
            ValueError,
            "kernel must be a 2-D array",
        ),
        (
            lambda: conv.correlate2d(np.ones((3, 4)), np.ones((5, 2))),
            ValueError,
            "kernel of shape \\(5, 2\\) is larger than image of shape \\(3, 4\\)",
        ),
        (
            lambda: conv.convolve2d(np.ones((5, 5)), np.ones((2, 2)), stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (
            lambda: conv.convolve2d(np.ones((5, 5)), np.ones((2, 2)), stride=1.5),
            TypeError,
            "stride must be an integer",
        ),
        (
            lambda: conv.convolve2d(np.ones((5, 5)), np.ones((2, 2)), mode="wrap"),
            ValueError,
            "mode must be one of 'full', 'same', 'valid'",
        ),
        (
            lambda: conv.correlate2d(np.full((3, 3), np.nan), np.ones((2, 2))),
            ValueError,
            "image must not contain NaN",
        ),
        (
            lambda: conv.correlate2d([["a", "b"]], np.ones((1, 1))),
            TypeError,
            "image must be a numeric array",
        ),
        (lambda: conv.convolve1d([1.0, 2.0], [[1.0]]), ValueError, "w must be a 1-D"),
        (
            lambda: conv.correlate1d([1.0, 2.0], [1.0], mode="circular"),
            ValueError,
            "mode must be one of",
        ),
        (lambda: conv.output_size(3, 5), ValueError, "k=5 is larger than n=3"),
        (
            lambda: conv.output_size(5, 3, "causal"),
            ValueError,
            "padding must be one of",
        ),
        (lambda: conv.output_size(5, 3, stride=0), ValueError, "stride must be >= 1"),
        (lambda: conv.output_size(5.5, 3), TypeError, "n must be an integer"),
        (
            lambda: conv.convolution_matrix(np.ones((2, 2)), 5),
            ValueError,
            "input_shape must have 2 entries",
        ),
        (
            lambda: conv.convolution_matrix(np.ones((4, 4)), (3, 3), "valid"),
            ValueError,
            "larger than the input",
        ),
        (
            lambda: conv.conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4))),
            ValueError,
            "channel mismatch: x has 3 channels",
        ),
        (
            lambda: conv.conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 3, 4))),
            ValueError,
            "x must be a 4-D array",
        ),
        (
            lambda: conv.conv2d(
                np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), b=np.ones(3)
            ),
            ValueError,
            "b must have shape \\(C_out,\\) = \\(4,\\)",
        ),
        (
            lambda: conv.conv2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))),
            ValueError,
            "larger than the input",
        ),
        (
            lambda: conv.conv2d(
                np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="full"
            ),
            ValueError,
            "padding must be one of 'valid', 'same'",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
