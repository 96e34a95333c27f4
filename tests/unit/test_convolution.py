"""convbn.convolution: continuous (chapter 1) and discrete (chapters 2 to 5)."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convbn
from convbn import convolution

widths = st.floats(0.05, 20.0)
kinds = st.sampled_from(convolution.KERNELS)


@settings(max_examples=40, deadline=None)
@given(kind=kinds, width=widths)
def test_every_kernel_is_a_density(kind, width):
    w = lambda a: float(convolution.kernel(np.array(a), kind, width))  # noqa: E731
    edges = [0.0, width] if kind == "box" else [0.0]
    total = scipy.integrate.quad(w, -60 * width, 60 * width, points=edges, limit=200)[0]
    assert total == pytest.approx(1.0, abs=1e-6)
    a = np.linspace(-10 * width, 10 * width, 2001)
    values = convolution.kernel(a, kind, width)
    assert np.all(values >= 0)
    future = values[a < 0]
    assert np.all(future == 0) == (kind in convolution.CAUSAL_KERNELS)


def test_kernels_match_scipy_densities():
    a = np.linspace(-5, 15, 401)
    assert np.allclose(
        convolution.kernel(a, "exponential", 2.0), scipy.stats.expon(scale=2.0).pdf(a)
    )
    assert np.allclose(
        convolution.kernel(a, "box", 3.0), np.where((a >= 0) & (a < 3.0), 1 / 3.0, 0.0)
    )
    assert np.allclose(
        convolution.kernel(a, "half-gaussian", 1.5),
        scipy.stats.halfnorm(scale=1.5).pdf(a),
    )
    assert np.allclose(
        convolution.kernel(a, "gaussian", 0.7), scipy.stats.norm(scale=0.7).pdf(a)
    )
    assert convolution.kernel(np.array(0.0), "exponential", 2.0) == 0.5  # w(0) = 1/tau
    assert convolution.kernel(np.zeros((2, 3)), "box", 1.0).shape == (2, 3)


@settings(max_examples=30, deadline=None)
@given(mean=st.floats(-5, 5), std=st.floats(0.1, 5))
def test_gaussian_pdf_matches_scipy(mean, std):
    a = np.linspace(-20, 20, 101)
    assert np.allclose(
        convolution.gaussian_pdf(a, mean, std),
        scipy.stats.norm(mean, std).pdf(a),
        rtol=1e-12,
        atol=1e-300,
    )


@settings(max_examples=15, deadline=None)
@given(t=st.floats(-3, 8), omega=st.floats(0.2, 3), tau=st.floats(0.2, 2))
def test_convolve_continuous_matches_adaptive_quadrature(t, omega, tau):
    x = lambda a: np.sin(omega * a)  # noqa: E731
    w = lambda a: convolution.kernel(a, "exponential", tau)  # noqa: E731
    reference = scipy.integrate.quad(
        lambda a: np.sin(omega * a) * np.exp(-(t - a) / tau) / tau,
        t - 40 * tau,
        t,
        limit=200,
    )[0]
    ours = convolution.convolve_continuous(x, w, t, 1e-3, t - 40 * tau, t)
    assert ours == pytest.approx(reference, abs=1e-5)
    assert np.ndim(ours) == 0


def test_convolve_continuous_converges_and_commutes():
    g1 = lambda a: convolution.gaussian_pdf(a, 0.5, 0.8)  # noqa: E731
    g2 = lambda a: convolution.gaussian_pdf(a, -1.0, 0.6)  # noqa: E731
    t = np.linspace(-4, 3, 15)
    exact = convolution.gaussian_pdf(t, -0.5, 1.0)
    errors = [
        np.abs(convolution.convolve_continuous(g1, g2, t, h, -10, 10) - exact).max()
        for h in (0.8, 0.4, 0.2)
    ]
    assert errors[0] > errors[1] > errors[2]
    fine = convolution.convolve_continuous(g1, g2, t, 1e-3, -10, 10)
    swapped = convolution.convolve_continuous(g2, g1, t, 1e-3, -10, 10)
    assert np.allclose(fine, exact, atol=1e-12) and np.allclose(
        swapped, exact, atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 300),
    kind=st.sampled_from(convolution.CAUSAL_KERNELS),
    width=st.floats(0.1, 5.0),
    dt=st.floats(0.01, 0.5),
    seed=st.integers(0, 10**6),
)
def test_smooth_unnormalized_is_the_causal_riemann_sum(n, kind, width, dt, seed):
    x = np.random.default_rng(seed).normal(size=n)
    weights = convolution.kernel(np.arange(n) * dt, kind, width) * dt
    reference = scipy.signal.lfilter(weights, [1.0], x)  # FIR filter: independent code
    ours = convolution.smooth(x, dt, kind, width, normalize=False)
    assert np.allclose(ours, reference, rtol=1e-9, atol=1e-9 * np.abs(x).max())


def test_smooth_gaussian_matches_explicit_loop_and_uses_the_future():
    rng = np.random.default_rng(1)
    x, dt, width = rng.normal(size=60), 0.1, 0.3
    expected = np.empty_like(x)
    for n in range(len(x)):
        weights = convolution.kernel((n - np.arange(len(x))) * dt, "gaussian", width)
        expected[n] = np.sum(weights * x) / np.sum(weights)
    assert np.allclose(convolution.smooth(x, dt, "gaussian", width), expected)
    changed = x.copy()
    changed[31:] += 1
    assert convolution.smooth(changed, dt, "gaussian", width)[30] != pytest.approx(
        convolution.smooth(x, dt, "gaussian", width)[30]
    )
    assert (
        convolution.smooth(changed, dt, "exponential", width)[30]
        == (convolution.smooth(x, dt, "exponential", width)[30])
    )


@pytest.mark.parametrize("kind", convolution.KERNELS)
def test_smooth_normalized_is_an_average(kind):
    assert np.allclose(convolution.smooth(np.full(50, 3.5), 0.1, kind, 0.7), 3.5)
    x = np.random.default_rng(0).normal(size=20)
    # a kernel much narrower than the sampling step keeps each reading as it is
    assert np.allclose(convolution.smooth(x, 0.1, kind, 0.001), x)


_c = convolution
_i5, _k2 = np.ones((5, 5)), np.ones((2, 2))
_l5, _l3 = np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: convolution.kernel([1.0], "triangle"),
            ValueError,
            "kind must be one of 'exponential', 'box'",
        ),
        (lambda: convolution.kernel([1.0], width=0), ValueError, "width must be > 0"),
        (lambda: convolution.kernel("abc"), TypeError, "a must be a numeric array"),
        (lambda: convolution.kernel([np.nan]), ValueError, "a must not contain NaN"),
        (lambda: convolution.gaussian_pdf([0.0], std=-1), ValueError, "std must be >"),
        (
            lambda: convolution.convolve_continuous(np.sin, 3, 0.0, 0.1, 0, 1),
            TypeError,
            "w must be a function",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, np.cos, 0.0, 0.1, 1, 0),
            ValueError,
            "upper must be > lower",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, np.cos, 0.0, 1e-9, 0, 1),
            ValueError,
            "step=",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, np.cos, _i5, 0.1, 0, 1),
            ValueError,
            "t must be a 0-D or 1-D",
        ),
        (
            lambda: convolution.convolve_continuous(
                lambda a: 1, np.cos, 0.0, 0.1, 0, 1
            ),
            ValueError,
            "x must return one value per point",
        ),
        (lambda: convolution.smooth(_i5, 0.1), ValueError, "x must be a 1-D array"),
        (lambda: convolution.smooth([1, np.nan], 0.1), ValueError, "must not contain"),
        (lambda: convolution.smooth(["a", "b"], 0.1), TypeError, "x must be a numeric"),
        (lambda: convolution.smooth([1.0, 2.0], -0.1), ValueError, "dt must be > 0"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


sizes = st.integers(1, 9)
modes = st.sampled_from(convolution.MODES)
strides = st.integers(1, 4)


def arrays(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


@settings(max_examples=150, deadline=None)
@given(n=sizes, k=sizes, mode=modes, seed=st.integers(0, 2**16))
def test_1d_functions_equal_numpy(n, k, mode, seed):
    x, w = arrays(seed, n), arrays(seed + 1, k)
    assert np.allclose(convolution.convolve1d(x, w, mode), np.convolve(x, w, mode))
    assert np.allclose(convolution.correlate1d(x, w, mode), np.correlate(x, w, mode))


def test_1d_defaults_follow_numpy():
    x, w = np.arange(6.0), np.array([1.0, -2.0, 0.5])
    assert np.allclose(convolution.convolve1d(x, w), np.convolve(x, w))  # "full"
    assert np.allclose(convolution.correlate1d(x, w), np.correlate(x, w))  # "valid"


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
    assume(not (mode == "valid" and (kh > h or kw > w)))  # the window must fit
    image, kernel = arrays(seed, h, w), arrays(seed + 1, kh, kw)
    ours_c = convolution.correlate2d(image, kernel, mode, stride)
    ours_v = convolution.convolve2d(image, kernel, mode, stride)
    ref_c = scipy.signal.correlate2d(image, kernel, mode)[::stride, ::stride]
    ref_v = scipy.signal.convolve2d(image, kernel, mode)[::stride, ::stride]
    assert ours_c.shape == ref_c.shape and np.allclose(ours_c, ref_c)
    assert ours_v.shape == ref_v.shape and np.allclose(ours_v, ref_v)
    assert ours_c.shape == (
        convolution.output_size(h, kh, mode, stride),
        convolution.output_size(w, kw, mode, stride),
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
        convolution.correlate2d_loops(image, kernel),
        scipy.signal.correlate2d(image, kernel, "valid"),
    )


def test_float32_stays_float32_and_float64_otherwise():
    image32, kernel32 = np.ones((5, 5), np.float32), np.ones((2, 2), np.float32)
    assert convolution.correlate2d(image32, kernel32).dtype == np.float32
    assert (
        convolution.convolve2d(image32, kernel32.astype(np.float64)).dtype == np.float64
    )
    assert convolution.convolve1d(np.arange(4), [1, 2]).dtype == np.float64  # ints in
    assert convolution.correlate2d_loops(image32, kernel32).dtype == np.float32


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
    assert convolution.output_size(n, k, padding, stride) == expected


@settings(max_examples=100, deadline=None)
@given(n=sizes, k=sizes, mode=modes)
def test_1d_matrix_equals_scipy_linalg(n, k, mode):
    kernel = arrays(n * 10 + k, k)
    assert np.allclose(
        convolution.convolution_matrix(kernel, n, mode),
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
    assume(not (mode == "valid" and (kh > h or kw > w)))  # the window must fit
    image, kernel = arrays(seed, h, w), arrays(seed + 1, kh, kw)
    matrix = convolution.convolution_matrix(kernel, (h, w), mode)
    expected = scipy.signal.convolve2d(image, kernel, mode)
    assert matrix.shape == (expected.size, image.size)
    assert np.allclose(matrix @ image.ravel(), expected.ravel())


def test_2d_matrix_is_doubly_block_toeplitz():
    kernel = np.arange(1.0, 7.0).reshape(2, 3)
    matrix = convolution.convolution_matrix(kernel, (3, 4), "full")
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
    ours = convolution.conv2d(x, kernel, bias, stride, padding)
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    assert np.allclose(ours, expected, atol=1e-4)
    assert ours.shape[1] == convolution.output_size(h, kh, padding, stride)


def test_conv2d_equals_keras_conv2d(tf):
    import keras

    layer = keras.layers.Conv2D(5, (3, 2), strides=2, padding="same")
    x = np.random.default_rng(0).normal(size=(2, 9, 8, 3)).astype(np.float32)
    expected = layer(x).numpy()
    ours = convolution.conv2d(x, layer.kernel.numpy(), layer.bias.numpy(), 2, "same")
    assert np.allclose(ours, expected, atol=1e-5)
    x64 = x.astype(np.float64)
    assert (
        convolution.conv2d(x64, layer.kernel.numpy().astype(np.float64)).dtype
        == np.float64
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: _c.convolve2d(np.ones(5), _k2), ValueError, "image must be a 2-D"),
        (lambda: _c.correlate2d(_i5, np.ones(2)), ValueError, "kernel must be a 2-D"),
        (
            lambda: _c.correlate2d(np.ones((3, 4)), np.ones((5, 2))),
            ValueError,
            "kernel of shape \\(5, 2\\) is larger than image of shape \\(3, 4\\)",
        ),
        (lambda: _c.convolve2d(_i5, _k2, stride=0), ValueError, "stride must be >= 1"),
        (lambda: _c.convolve2d(_i5, _k2, stride=1.5), TypeError, "stride must be an "),
        (
            lambda: _c.convolve2d(_i5, _k2, mode="wrap"),
            ValueError,
            "mode must be one of 'full', 'same', 'valid'",
        ),
        (
            lambda: _c.correlate2d(np.full((3, 3), np.nan), _k2),
            ValueError,
            "image must not contain NaN",
        ),
        (
            lambda: _c.correlate2d([["a", "b"]], np.ones((1, 1))),
            TypeError,
            "image must be a numeric array",
        ),
        (lambda: _c.convolve1d([1.0, 2.0], [[1.0]]), ValueError, "w must be a 1-D"),
        (
            lambda: _c.correlate1d([1.0, 2.0], [1.0], mode="circular"),
            ValueError,
            "mode must be one of",
        ),
        (lambda: _c.output_size(3, 5), ValueError, "k=5 is larger than n=3"),
        (lambda: _c.output_size(5, 3, "causal"), ValueError, "padding must be one of"),
        (lambda: _c.output_size(5, 3, stride=0), ValueError, "stride must be >= 1"),
        (lambda: _c.output_size(5.5, 3), TypeError, "n must be an integer"),
        (
            lambda: _c.convolution_matrix(_k2, 5),
            ValueError,
            "input_shape must have 2 entries",
        ),
        (
            lambda: _c.convolution_matrix(np.ones((4, 4)), (3, 3), "valid"),
            ValueError,
            "larger than the input",
        ),
        (
            lambda: _c.conv2d(_l5, np.ones((3, 3, 2, 4))),
            ValueError,
            "channel mismatch: x has 3 channels",
        ),
        (lambda: _c.conv2d(np.ones((5, 5, 3)), _l3), ValueError, "x must be a 4-D"),
        (
            lambda: _c.conv2d(_l5, _l3, b=np.ones(3)),
            ValueError,
            "b must have shape \\(C_out,\\) = \\(4,\\)",
        ),
        (
            lambda: _c.conv2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))),
            ValueError,
            "larger than the input",
        ),
        (
            lambda: _c.conv2d(_l5, _l3, padding="full"),
            ValueError,
            "padding must be one of 'valid', 'same'",
        ),
    ],
)
def test_discrete_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- pad_same and the named kernels ---------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 5), (4, 7), (1, 3)])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 4), (1, 5), (4, 1)])
def test_pad_same_zero_gives_tensorflow_same(shape, kernel_shape):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    got = convolution.correlate2d(convolution.pad_same(image, kernel_shape), kernel)
    want = tf.nn.conv2d(
        image[None, :, :, None], kernel[:, :, None, None], 1, "SAME"
    ).numpy()[0, :, :, 0]
    assert got.shape == shape and np.allclose(got, want)


@pytest.mark.parametrize("kernel_shape", [(3, 3), (5, 3), (1, 1)])
def test_pad_same_wrap_is_circular_correlation(kernel_shape):
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=kernel_shape)
    got = convolution.correlate2d(
        convolution.pad_same(image, kernel_shape, "wrap"), kernel
    )
    kh, kw = kernel_shape
    want = sum(
        kernel[m, n] * np.roll(image, (kh // 2 - m, kw // 2 - n), axis=(0, 1))
        for m in range(kh)
        for n in range(kw)
    )
    assert np.allclose(got, want)
    # and it is equivariant to every circular shift
    shifted = convolution.correlate2d(
        convolution.pad_same(np.roll(image, 2, axis=1), kernel_shape, "wrap"), kernel
    )
    assert np.allclose(shifted, np.roll(got, 2, axis=1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": np.ones(3), "kernel_shape": (3, 3)}, ValueError, "image must be"),
        ({"image": np.ones((3, 3)), "kernel_shape": 3}, TypeError, "kernel_shape"),
        ({"image": np.ones((3, 3)), "kernel_shape": (0, 3)}, ValueError, "kernel"),
        (
            {"image": np.ones((3, 3)), "kernel_shape": (3, 3), "boundary": "reflect"},
            ValueError,
            "boundary must be one of 'zero', 'wrap'",
        ),
    ],
)
def test_pad_same_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        convolution.pad_same(**kwargs)


def test_named_kernels_are_in_cross_correlation_form_and_read_only():
    ramp = np.tile(np.arange(6.0), (5, 1))  # brighter to the right
    assert (convolution.correlate2d(ramp, convolution.SOBEL_X) > 0).all()
    assert (convolution.correlate2d(ramp.T, convolution.SOBEL_Y) > 0).all()
    assert np.array_equal(convolution.SOBEL_Y, convolution.SOBEL_X.T)
    for k in (convolution.LAPLACIAN, convolution.SHARPEN):
        assert np.array_equal(k, k[::-1, ::-1])  # symmetric: both operations agree
    assert convolution.LAPLACIAN.sum() == 0 and convolution.SHARPEN.sum() == 1
    with pytest.raises(ValueError, match="read-only"):
        convolution.SOBEL_X[0, 0] = 5.0


# --- the layer: conv2d with dilation, conv2d_backward, conv2d_transpose (chapter 7) ---


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


def _tf_forward_and_grads(t, x, w, b, stride, padding, dilation, dout):
    """TensorFlow's output and gradients. TF's CPU kernel has no gradient for a
    dilated tf.nn.conv2d; tf.nn.convolution computes the same function by
    space-to-batch, which has one."""
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
def test_conv2d_and_its_backward_equal_tensorflow(tf, case):
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
        tf, x, w, b, stride, padding, dilation, dout
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


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_backward_passes_a_numeric_gradient_check(groups):
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.normal(size=(2, 6, 5, 2)),
        rng.normal(size=(3, 2, 2 // groups, 4)),
        rng.normal(size=4),
    )
    dout = rng.normal(size=(2, 3, 3, 4))
    dx, dw, db = convolution.conv2d_backward(dout, x, w, 2, "same", groups=groups)

    def loss(x_, w_, b_):
        return np.sum(convolution.conv2d(x_, w_, b_, 2, "same", groups=groups) * dout)

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


def _keras_transpose(x, w, s, padding, output_padding=None):
    keras = convbn.import_keras()
    layer = keras.layers.Conv2DTranspose(
        w.shape[2], w.shape[:2], s, padding, output_padding=output_padding
    )
    layer.build(x.shape)
    layer.set_weights([w, np.zeros(w.shape[2], w.dtype)])
    return keras.ops.convert_to_numpy(layer(x))


def _refused(padding, kh, kw, a):
    """Even kernel, "same", output_padding 0: Keras fails or returns nothing."""
    return padding == "same" and a is not None and 0 in (a[0] + kh % 2, a[1] + kw % 2)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.integers(1, 2), st.integers(1, 6), st.integers(1, 6)),  # N, H, W
    st.tuples(st.integers(1, 3), st.integers(1, 3)),  # C_in, C_out
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)),  # kh, kw, s
    st.sampled_from(["valid", "same"]),
    st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 3))),
    st.integers(0, 2**31 - 1),
)
def test_conv2d_transpose_equals_keras(nhw, channels, geometry, padding, a, seed):
    (n, h, w_), (c_in, c_out), (kh, kw, s) = nhw, channels, geometry
    assume(a is None or max(a) < s)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w_, c_in)).astype(np.float32)
    w = rng.normal(size=(kh, kw, c_out, c_in)).astype(np.float32)
    if _refused(padding, kh, kw, a):
        with pytest.raises(ValueError, match="output_padding=0 with an even kernel"):
            convolution.conv2d_transpose(x, w, s, padding, a)
        return
    got = convolution.conv2d_transpose(x, w, s, padding, output_padding=a)
    want = _keras_transpose(x, w, s, padding, a)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.allclose(got, want, atol=1e-4)
    a = (None, None) if a is None else a
    assert got.shape[1:3] == tuple(
        convolution.transpose_output_size(m, k, padding, s, extra)
        for m, k, extra in zip((h, w_), (kh, kw), a, strict=True)
    )
    # the transpose is conv2d's input gradient for an input of the size it produces
    forward_x = rng.normal(size=got.shape)
    dx = convolution.conv2d_backward(x, forward_x, w, s, padding)[0]
    assert np.allclose(dx, got, atol=1e-4)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("k", "s"), [(1, 2), (2, 2), (3, 2), (3, 3), (4, 3), (2, 4)])
def test_conv2d_transpose_every_output_padding_equals_keras(padding, k, s):
    rng = np.random.default_rng(k * 10 + s)
    x = rng.normal(size=(2, 4, 3, 2)).astype(np.float32)
    w = rng.normal(size=(k, k, 3, 2)).astype(np.float32)
    for a in range(s):
        if _refused(padding, k, k, (a, a)):
            continue
        got = convolution.conv2d_transpose(x, w, s, padding, output_padding=a)
        want = _keras_transpose(x, w, s, padding, a)
        assert got.shape == want.shape and np.allclose(got, want, atol=1e-4)
        p = k // 2 if padding == "same" else 0
        assert got.shape[1] == (4 - 1) * s + k - 2 * p + a  # Dumoulin and Visin


@settings(max_examples=150, deadline=None)
@given(
    st.tuples(st.integers(1, 15), st.integers(1, 15)),  # H, W
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)),  # kh, kw, s
    st.sampled_from(["valid", "same"]),
    st.integers(0, 2**31 - 1),
)
def test_backward_is_the_transpose_with_output_padding(hw, geometry, padding, seed):
    (h, w_), (kh, kw, s) = hw, geometry
    if padding == "valid":
        assume(kh <= h and kw <= w_)
        a = ((h - kh) % s, (w_ - kw) % s)  # the rows and columns no window reads
    else:
        assume(kh % 2 == 1 and kw % 2 == 1)  # an even kernel with "same": no a
        a = ((h - 1) % s, (w_ - 1) % s)
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(2, h, w_, 2)), rng.normal(size=(kh, kw, 2, 3))
    dout = rng.normal(size=convolution.conv2d(x, w, stride=s, padding=padding).shape)
    dx = convolution.conv2d_backward(dout, x, w, s, padding)[0]
    got = convolution.conv2d_transpose(dout, w, s, padding, output_padding=a)
    assert got.shape == x.shape and np.allclose(dx, got, atol=1e-12)
    default = convolution.conv2d_transpose(dout, w, s, padding)  # no output_padding
    implied = (max(s - kh, 0), max(s - kw, 0)) if padding == "valid" else (s - 1,) * 2
    assert (default.shape == x.shape) == (a == implied)


def test_conv2d_transpose_checkerboard_and_zero_rows():
    ones = np.ones((1, 4, 4, 1))
    even = convolution.conv2d_transpose(ones, np.ones((4, 4, 1, 1)), 2)
    odd = convolution.conv2d_transpose(ones, np.ones((3, 3, 1, 1)), 2)[0, 2:-2, 2:-2, 0]
    assert np.ptp(even[0, 2:-2, 2:-2, 0]) == 0  # the stride divides the kernel: even
    assert set(np.unique(odd)) == {1.0, 2.0, 4.0}  # it does not: a checkerboard
    wide = convolution.conv2d_transpose(ones, np.ones((2, 2, 1, 1)), 3)
    assert wide.shape == (1, 12, 12, 1) and not wide[0, 2::3].any()
    padded = convolution.conv2d_transpose(ones, np.ones((2, 2, 1, 1)), 3, "valid", 0)
    assert padded.shape == (1, 11, 11, 1) and np.array_equal(padded, wide[:, :11, :11])


_x, _w = np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))
_t = convolution.conv2d_transpose


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: convolution.conv2d(np.ones((1, 5, 5, 2)), _w), ValueError, "mismatch"),
        (lambda: convolution.conv2d(_x, _w, dilation=0), ValueError, "dilation must"),
        (lambda: convolution.conv2d(_x, _w, dilation=3), ValueError, "spans"),
        (lambda: convolution.conv2d(_x, _w, stride=0), ValueError, "stride must be >="),
        (
            lambda: convolution.conv2d_backward(np.ones((1, 2, 2, 1)), _x, _w),
            ValueError,
            r"dout must have the shape .* \(1, 3, 3, 1\)",
        ),
        (
            lambda: convolution.conv2d_backward(np.ones((1, 3, 3)), _x, _w),
            ValueError,
            "dout must be a 4-D",
        ),
        (
            lambda: _t(np.ones((1, 2, 2, 2)), np.ones((3, 3, 1, 3))),
            ValueError,
            r"w expects C_in=3 \(w.shape\[3\]\)",
        ),
        (lambda: _t(_x, _w, padding="full"), ValueError, "padding must be"),
        (lambda: _t(_x, _w, 2, output_padding=2), ValueError, r"< stride = 2, got 2"),
        (lambda: _t(_x, _w, 2, output_padding=(0, -1)), ValueError, "0 <= output_pad"),
        (lambda: _t(_x, _w, output_padding=1), ValueError, "output_padding must sat"),
        (lambda: _t(_x, _w, 3, output_padding=(1, 1, 1)), ValueError, "or a pair"),
        (lambda: _t(_x, _w, 2, output_padding=0.5), TypeError, "output_padding must "),
        (
            lambda: _t(_x, np.ones((2, 2, 1, 1)), 2, "same", 0),
            ValueError,
            "output_padding=0 with an even kernel.*use output_padding >= 1 or None",
        ),
        (  # with stride 1 there is no output_padding >= 1
            lambda: _t(_x, np.ones((2, 2, 1, 1)), 1, "same", 0),
            ValueError,
            r"stride-1 convolution does not map to n=5: use output_padding=None \(",
        ),
        (
            lambda: _t(_x, _w, 2, output_padding=np.ones((2, 2), int)),
            ValueError,
            "or a pair",
        ),
        (
            lambda: _t(_x, _w, 2, output_padding=np.array([1.0, 1.0])),
            TypeError,
            "output_padding must be an integer",
        ),
        (
            lambda: convolution.transpose_output_size(4, 3, "valid", 2, (1, 1)),
            TypeError,
            "output_padding must be an integer",
        ),
    ],
)
def test_layer_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "pair",
    [(1, 0), [1, 0], np.array([1, 0]), np.array([1, 0], np.int32), range(1, -1, -1)],
)
def test_conv2d_transpose_takes_output_padding_as_any_integer_pair(pair):
    x, w = np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1))
    want = convolution.conv2d_transpose(x, w, 2, output_padding=(1, 0))
    assert want.shape == (1, 8, 7, 1)
    assert np.array_equal(
        convolution.conv2d_transpose(x, w, 2, output_padding=pair), want
    )
    scalar = convolution.conv2d_transpose(x, w, 2, output_padding=np.array(1))
    assert np.array_equal(
        scalar, convolution.conv2d_transpose(x, w, 2, output_padding=1)
    )
