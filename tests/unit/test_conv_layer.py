"""convbn.convolution's layer functions against TensorFlow and Keras: conv2d with
stride, padding and dilation, conv2d_backward (GradientTape) and conv2d_transpose
(keras.layers.Conv2DTranspose)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convbn
from convbn import convolution


def tf():
    convbn.import_keras()
    import tensorflow

    return tensorflow


layer_cases = st.tuples(
    st.integers(1, 3),  # N
    st.integers(3, 11),  # H
    st.integers(3, 11),  # W
    st.integers(1, 3),  # C_in
    st.integers(1, 4),  # C_out
    st.integers(1, 4),  # kh
    st.integers(1, 4),  # kw
    st.integers(1, 3),  # stride
    st.sampled_from(["valid", "same"]),
    st.integers(1, 3),  # dilation
    st.integers(0, 2**31 - 1),
)


def _fits(h, w, kh, kw, padding, dilation):
    return padding == "same" or (
        (kh - 1) * dilation + 1 <= h and (kw - 1) * dilation + 1 <= w
    )


def _tf_forward_and_grads(x, w, b, stride, padding, dilation, dout):
    """TensorFlow's output and gradients. TF's CPU kernel has no gradient for a
    dilated tf.nn.conv2d; tf.nn.convolution computes the same function by
    space-to-batch, which has one."""
    t = tf()
    xv, wv, bv = (t.Variable(a) for a in (x, w, b))
    with t.GradientTape() as tape:
        out = (
            t.nn.convolution(
                xv, wv, strides=stride, padding=padding.upper(), dilations=dilation
            )
            + bv
        )
        loss = t.reduce_sum(out * dout)
    dx, dw, db = tape.gradient(loss, [xv, wv, bv])
    return out.numpy(), dx.numpy(), dw.numpy(), db.numpy()


@settings(max_examples=60, deadline=None)
@given(layer_cases)
def test_conv2d_and_its_backward_equal_tensorflow(case):
    n, h, w_, c_in, c_out, kh, kw, stride, padding, dilation, seed = case
    assume(_fits(h, w_, kh, kw, padding, dilation))
    assume(dilation == 1 or stride == 1)  # TensorFlow refuses both at once
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w_, c_in))
    w = rng.normal(size=(kh, kw, c_in, c_out))
    b = rng.normal(size=c_out)
    out = convolution.conv2d(x, w, b, stride, padding, dilation)
    dout = rng.normal(size=out.shape)
    want_out, want_dx, want_dw, want_db = _tf_forward_and_grads(
        x, w, b, stride, padding, dilation, dout
    )
    assert out.shape == want_out.shape
    assert np.allclose(out, want_out, atol=1e-10)
    dx, dw, db = convolution.conv2d_backward(dout, x, w, stride, padding, dilation)
    assert np.allclose(dx, want_dx, atol=1e-10)
    assert np.allclose(dw, want_dw, atol=1e-10)
    assert np.allclose(db, want_db, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(layer_cases)
def test_conv2d_with_dilation_and_stride_is_the_dilated_kernel_subsampled(case):
    n, h, w_, c_in, c_out, kh, kw, stride, padding, dilation, seed = case
    assume(_fits(h, w_, kh, kw, padding, dilation))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w_, c_in))
    w = rng.normal(size=(kh, kw, c_in, c_out))
    dilated = np.zeros(((kh - 1) * dilation + 1, (kw - 1) * dilation + 1, c_in, c_out))
    dilated[::dilation, ::dilation] = w
    got = convolution.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    want = convolution.conv2d(x, dilated, stride=stride, padding=padding)
    assert np.allclose(got, want)
    # and the backward pass agrees with the zero-filled kernel's, tap by tap
    dout = rng.normal(size=got.shape)
    dx, dw, _ = convolution.conv2d_backward(dout, x, w, stride, padding, dilation)
    dx_full, dw_full, _ = convolution.conv2d_backward(dout, x, dilated, stride, padding)
    assert np.allclose(dx, dx_full) and np.allclose(dw, dw_full[::dilation, ::dilation])


def test_conv2d_backward_passes_a_numeric_gradient_check():
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.normal(size=(2, 6, 5, 2)),
        rng.normal(size=(3, 2, 2, 3)),
        rng.normal(size=3),
    )
    dout = rng.normal(size=convolution.conv2d(x, w, b, 2, "same").shape)
    dx, dw, db = convolution.conv2d_backward(dout, x, w, 2, "same")

    def loss(x_, w_, b_):
        return np.sum(convolution.conv2d(x_, w_, b_, 2, "same") * dout)

    for array, grad, which in ((x, dx, 0), (w, dw, 1), (b, db, 2)):
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            args = [x.copy(), w.copy(), b.copy()]
            args[which][index] += 1e-6
            up = loss(*args)
            args[which][index] -= 2e-6
            numeric[index] = (up - loss(*args)) / 2e-6
        assert np.abs(numeric - grad).max() / np.abs(grad).max() < 1e-7


def test_input_gradient_is_the_transposed_convolution_matrix():
    rng = np.random.default_rng(4)
    image, kernel = rng.normal(size=(5, 6)), rng.normal(size=(3, 2))
    matrix = convolution.convolution_matrix(kernel[::-1, ::-1], (5, 6), "valid")
    x = image[None, :, :, None]
    w = kernel[:, :, None, None]
    assert np.allclose(matrix @ image.ravel(), convolution.conv2d(x, w).ravel())
    g = rng.normal(size=(3, 5))
    dx = convolution.conv2d_backward(g[None, :, :, None], x, w)[0]
    assert np.allclose(dx.ravel(), matrix.T @ g.ravel())


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from(["valid", "same"]),
    st.integers(0, 2**31 - 1),
)
def test_conv2d_transpose_equals_keras(n, h, w_, c_in, c_out, kh, kw, s, padding, seed):
    keras = convbn.import_keras()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w_, c_in)).astype(np.float32)
    w = rng.normal(size=(kh, kw, c_out, c_in)).astype(np.float32)
    layer = keras.layers.Conv2DTranspose(
        c_out, (kh, kw), strides=s, padding=padding, use_bias=False
    )
    layer.build(x.shape)
    layer.set_weights([w])
    want = keras.ops.convert_to_numpy(layer(x))
    got = convolution.conv2d_transpose(x, w, s, padding)
    assert got.shape == want.shape
    assert got.dtype == np.float32
    assert np.allclose(got, want, atol=1e-4)
    # the transpose is conv2d's input gradient for an input of the size it produces
    forward_x = rng.normal(size=got.shape)
    dx = convolution.conv2d_backward(x, forward_x, w, s, padding)[0]
    assert np.allclose(dx, got, atol=1e-4)


def test_conv2d_transpose_checkerboard_and_zero_rows():
    ones = np.ones((1, 4, 4, 1))
    even = convolution.conv2d_transpose(ones, np.ones((4, 4, 1, 1)), 2)[
        0, 2:-2, 2:-2, 0
    ]
    odd = convolution.conv2d_transpose(ones, np.ones((3, 3, 1, 1)), 2)[0, 2:-2, 2:-2, 0]
    assert np.ptp(even) == 0  # the stride divides the kernel: an even coverage
    assert set(np.unique(odd)) == {1.0, 2.0, 4.0}  # it does not: a checkerboard
    wide = convolution.conv2d_transpose(ones, np.ones((2, 2, 1, 1)), 3)
    assert wide.shape == (1, 12, 12, 1) and not wide[0, 2::3].any()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: convolution.conv2d(np.ones((1, 5, 5, 2)), np.ones((3, 3, 3, 1))),
            ValueError,
            "channel mismatch",
        ),
        (
            lambda: convolution.conv2d(
                np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), dilation=0
            ),
            ValueError,
            "dilation must be >= 1",
        ),
        (
            lambda: convolution.conv2d(
                np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), dilation=3
            ),
            ValueError,
            "spans",
        ),
        (
            lambda: convolution.conv2d(
                np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), stride=0
            ),
            ValueError,
            "stride must be >= 1",
        ),
        (
            lambda: convolution.conv2d_backward(
                np.ones((1, 2, 2, 1)), np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))
            ),
            ValueError,
            r"dout must have the shape .* \(1, 3, 3, 1\)",
        ),
        (
            lambda: convolution.conv2d_backward(
                np.ones((1, 3, 3)), np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))
            ),
            ValueError,
            "dout must be a 4-D",
        ),
        (
            lambda: convolution.conv2d_transpose(
                np.ones((1, 2, 2, 2)), np.ones((3, 3, 1, 3))
            ),
            ValueError,
            r"w expects C_in=3 \(w.shape\[3\]\)",
        ),
        (
            lambda: convolution.conv2d_transpose(
                np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), padding="full"
            ),
            ValueError,
            "padding must be",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
