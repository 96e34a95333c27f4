"""convbn.convolution's layer (chapter 7): im2col, grouped conv2d and its backward
pass, depthwise_conv2d and its backward pass, against TensorFlow and Keras."""

import threading

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convbn
from convbn import convolution


@pytest.fixture(scope="module")
def tf():
    convbn.import_keras()
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def keras(tf):
    return convbn.import_keras()


paddings = st.sampled_from(["valid", "same"])
seeds = st.integers(0, 2**31 - 1)
# N, H, W; kh, kw; stride, dilation
images = st.tuples(st.integers(1, 3), st.integers(1, 10), st.integers(1, 10))
kernels = st.tuples(st.integers(1, 4), st.integers(1, 4))
steps = st.tuples(st.integers(1, 3), st.integers(1, 3))


def _fits(h, w, kh, kw, padding, dilation):
    return padding == "same" or (
        (kh - 1) * dilation + 1 <= h and (kw - 1) * dilation + 1 <= w
    )


# --- im2col ---------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(images, st.integers(1, 4), kernels, steps, paddings, seeds)
def test_im2col_equals_tf_image_extract_patches(tf, nhw, c, k, sd, padding, seed):
    (n, h, w), (kh, kw), (stride, dilation) = nhw, k, sd
    assume(_fits(h, w, kh, kw, padding, dilation))
    x = np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(np.float32)
    sizes, strides = [1, kh, kw, 1], [1, stride, stride, 1]
    rates = [1, dilation, dilation, 1]
    want = tf.image.extract_patches(x, sizes, strides, rates, padding.upper())
    want = want.numpy()
    got = convolution.im2col(x, kh, kw, stride, padding, dilation)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    assert got.shape == (want.shape[0] * want.shape[1] * want.shape[2], kh * kw * c)
    assert np.array_equal(got, want.reshape(got.shape))
    span = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    assert want.shape[1:3] == tuple(
        convolution.output_size(m, s, padding, stride)
        for m, s in zip((h, w), span, strict=True)
    )


@settings(max_examples=60, deadline=None)
@given(images, st.integers(1, 3), st.integers(1, 3), kernels, steps, paddings, seeds)
def test_im2col_times_the_kernel_is_conv2d(nhw, c_in, c_out, k, sd, padding, seed):
    (n, h, w), (kh, kw), (stride, dilation) = nhw, k, sd
    assume(_fits(h, w, kh, kw, padding, dilation))
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(n, h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out))
    out = convolution.conv2d(x, kernel, None, stride, padding, dilation)
    cols = convolution.im2col(x, kh, kw, stride, padding, dilation)
    assert np.allclose(cols @ kernel.reshape(-1, c_out), out.reshape(-1, c_out))
    # row (n, i, j), column (m, q, c): x padded as "same" pads, read by hand
    i, j = rng.integers(out.shape[1]), rng.integers(out.shape[2])
    m, q, ch = rng.integers(kh), rng.integers(kw), rng.integers(c_in)
    top, left = (
        convolution.same_padding(size, (k - 1) * dilation + 1, stride)[0]
        if padding == "same"
        else 0
        for size, k in ((h, kh), (w, kw))
    )
    row, col = i * stride + m * dilation - top, j * stride + q * dilation - left
    inside = 0 <= row < h and 0 <= col < w
    value = x[n - 1, row, col, ch] if inside else 0.0
    index = ((n - 1) * out.shape[1] + i) * out.shape[2] + j
    assert cols[index, (m * kw + q) * c_in + ch] == value


def test_im2col_is_a_new_array_even_for_a_1x1_kernel():
    x = np.arange(12.0).reshape(1, 2, 3, 2)
    cols = convolution.im2col(x, 1, 1)
    assert np.array_equal(cols, x.reshape(6, 2)) and not np.shares_memory(cols, x)
    cols[0, 0] = 99.0
    assert x[0, 0, 0, 0] == 0.0


# --- grouped conv2d and its backward pass ---------------------------------------------


def _keras_conv(keras, x, kernel, bias, stride, padding, dilation, groups):
    layer = keras.layers.Conv2D(
        kernel.shape[3],
        kernel.shape[:2],
        strides=stride,
        padding=padding,
        dilation_rate=dilation,
        groups=groups,
    )
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    return layer


def _tape(tf, layer, x, dout):
    """Keras's output and the gradients of sum(out * dout) for x and the weights."""
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = layer(xv)
        loss = tf.reduce_sum(out * dout)
    grads = tape.gradient(loss, [xv, *layer.trainable_variables])
    return out.numpy(), *(g.numpy() for g in grads)


def _assert_matches(ours, keras):
    """(out, dx, dw, db) against Keras's: float32 results, shapes and values."""
    for got, want, atol in zip(ours, keras, (1e-4, 1e-4, 1e-3, 1e-3), strict=True):
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.allclose(got, want, atol=atol)


grouped_cases = st.tuples(
    images,
    st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)),  # g, C_in/g..
    kernels,
    steps,
    paddings,
    seeds,
)


@settings(max_examples=40, deadline=None)
@given(grouped_cases)
def test_grouped_conv2d_and_backward_equal_keras(tf, keras, case):
    (n, h, w), (groups, per_in, per_out), (kh, kw), (s, d), padding, seed = case
    assume(_fits(h, w, kh, kw, padding, d) and (s == 1 or d == 1))  # Keras: not both
    c_in, c_out = groups * per_in, groups * per_out
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c_in)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, per_in, c_out)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    layer = _keras_conv(keras, x, kernel, bias, s, padding, d, groups)
    ours = convolution.conv2d(x, kernel, bias, s, padding, d, groups)
    dout = rng.normal(size=ours.shape).astype(np.float32)
    grads = convolution.conv2d_backward(dout, x, kernel, s, padding, d, groups)
    _assert_matches((ours, *grads), _tape(tf, layer, x, dout))


@settings(max_examples=40, deadline=None)
@given(grouped_cases)
def test_grouped_conv2d_is_one_layer_per_group_and_a_block_diagonal_kernel(case):
    (n, h, w), (groups, per_in, per_out), (kh, kw), (s, d), padding, seed = case
    assume(_fits(h, w, kh, kw, padding, d))
    c_in, c_out = groups * per_in, groups * per_out
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c_in))
    kernel = rng.normal(size=(kh, kw, per_in, c_out))
    got = convolution.conv2d(x, kernel, None, s, padding, d, groups)
    dense = np.zeros((kh, kw, c_in, c_out))
    parts = []
    for g in range(groups):
        ins, outs = (
            slice(g * per_in, (g + 1) * per_in),
            slice(g * per_out, (g + 1) * per_out),
        )
        dense[:, :, ins, outs] = kernel[..., outs]
        part = convolution.conv2d(x[..., ins], kernel[..., outs], None, s, padding, d)
        parts.append(part)
    assert np.allclose(got, np.concatenate(parts, axis=3))
    assert np.allclose(got, convolution.conv2d(x, dense, None, s, padding, d))
    # the gradients are the dense layer's, restricted to the blocks
    dout = rng.normal(size=got.shape)
    dx, dw, db = convolution.conv2d_backward(dout, x, kernel, s, padding, d, groups)
    dx_dense, dw_dense, db_dense = convolution.conv2d_backward(
        dout, x, dense, s, padding, d
    )
    assert np.allclose(dx, dx_dense) and np.allclose(db, db_dense)
    for g in range(groups):
        ins, outs = (
            slice(g * per_in, (g + 1) * per_in),
            slice(g * per_out, (g + 1) * per_out),
        )
        assert np.allclose(dw[..., outs], dw_dense[:, :, ins, outs])


# --- depthwise_conv2d -----------------------------------------------------------------


channels_and_multipliers = st.tuples(st.integers(1, 4), st.integers(1, 3))
depthwise_cases = st.tuples(
    images, channels_and_multipliers, kernels, steps, paddings, seeds
)


@settings(max_examples=40, deadline=None)
@given(depthwise_cases)
def test_depthwise_conv2d_and_backward_equal_keras(tf, keras, case):
    (n, h, w), (c, m), (kh, kw), (s, d), padding, seed = case
    assume(_fits(h, w, kh, kw, padding, d) and (s == 1 or d == 1))  # Keras: not both
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h, w, c)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, c, m)).astype(np.float32)
    bias = rng.normal(size=c * m).astype(np.float32)
    layer = keras.layers.DepthwiseConv2D(
        (kh, kw), s, padding, depth_multiplier=m, dilation_rate=d
    )
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    ours = convolution.depthwise_conv2d(x, kernel, bias, s, padding, d)
    dout = rng.normal(size=ours.shape).astype(np.float32)
    grads = convolution.depthwise_conv2d_backward(dout, x, kernel, s, padding, d)
    _assert_matches((ours, *grads), _tape(tf, layer, x, dout))


@settings(max_examples=40, deadline=None)
@given(depthwise_cases)
def test_depthwise_is_conv2d_with_one_group_per_channel(case):
    (n, h, w), (c, m), (kh, kw), (s, d), padding, seed = case
    assume(_fits(h, w, kh, kw, padding, d))
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(n, h, w, c)), rng.normal(size=(kh, kw, c, m))
    got = convolution.depthwise_conv2d(x, kernel, None, s, padding, d)
    flat = kernel.reshape(kh, kw, 1, c * m)
    assert np.allclose(got, convolution.conv2d(x, flat, None, s, padding, d, c))
    # channel c * M + m is input channel c with its m-th filter
    ch, k = rng.integers(c), rng.integers(m)
    alone = convolution.conv2d(
        x[..., ch : ch + 1], kernel[:, :, ch : ch + 1, k : k + 1], None, s, padding, d
    )
    assert np.allclose(got[..., ch * m + k], alone[..., 0])


def _depthwise_loops(x, kernel, stride, padding, dilation):
    """depthwise_conv2d one tap at a time, from the padded input (a reference)."""
    kh, kw, c, m = kernel.shape
    spans = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    pads = [
        convolution.same_padding(n, k, stride) if padding == "same" else (0, 0)
        for n, k in zip(x.shape[1:3], spans, strict=True)
    ]
    xp = np.pad(np.array(x), ((0, 0), *pads, (0, 0)))
    h_out, w_out = (
        (n - k) // stride + 1 for n, k in zip(xp.shape[1:3], spans, strict=True)
    )
    out = np.zeros((x.shape[0], h_out, w_out, c * m))
    for i, j, p, q in np.ndindex(h_out, w_out, kh, kw):
        pixel = xp[:, i * stride + p * dilation, j * stride + q * dilation]
        out[:, i, j] += (pixel[:, :, None] * kernel[p, q]).reshape(len(xp), -1)
    return out


@pytest.mark.parametrize("layout", ["new axis", "step on the channel", "as_strided"])
@pytest.mark.parametrize(
    ("stride", "padding", "kernel"), [(1, "valid", 3), (1, "same", 1), (2, "valid", 2)]
)
def test_depthwise_reads_one_channel_inputs_of_any_strides(
    layout, stride, padding, kernel
):
    """A C-contiguous x of one channel may carry any stride on that axis (numpy
    ignores it): x[..., None] has 0, x[..., ::k] k items. depthwise_conv2d read
    rows with it (stride 1: zeros, or memory past the array, or a crash)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 6, 1))
    if layout == "new axis":
        odd = x[..., 0][..., None]
    elif layout == "step on the channel":
        odd = x[..., ::100]  # a step over an axis of length 1
    else:
        odd = np.lib.stride_tricks.as_strided(x, x.shape, (*x.strides[:3], 10**6))
    assert odd.flags.c_contiguous and odd.strides[3] != odd.itemsize
    w = rng.normal(size=(kernel, kernel, 1, 1))
    want = _depthwise_loops(x, w, stride, padding, 1)
    assert np.allclose(
        convolution.depthwise_conv2d(odd, w, None, stride, padding), want
    )


@settings(max_examples=150, deadline=None)
@given(depthwise_cases, st.sampled_from(["C", "F", "batch reversed"]))
def test_depthwise_equals_a_loop_over_the_taps(case, layout):
    """Every window the strided view reads lies inside the padded input."""
    (n, h, w), (c, m), (kh, kw), (s, d), padding, seed = case
    assume(_fits(h, w, kh, kw, padding, d))
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(n, h, w, c)), rng.normal(size=(kh, kw, c, m))
    odd = {
        "C": x,
        "F": np.asfortranarray(x),
        "batch reversed": np.ascontiguousarray(x[::-1])[::-1],
    }[layout]
    got = convolution.depthwise_conv2d(odd, kernel, None, s, padding, d)
    assert np.allclose(got, _depthwise_loops(x, kernel, s, padding, d))


def test_depthwise_then_pointwise_equals_keras_separable_conv2d(keras):
    rng = np.random.default_rng(2)
    for padding, stride, m in (("same", 2, 1), ("valid", 1, 3), ("same", 1, 2)):
        x = rng.normal(size=(2, 9, 7, 4)).astype(np.float32)
        layer = keras.layers.SeparableConv2D(
            5, (3, 2), stride, padding, depth_multiplier=m
        )
        layer.build(x.shape)
        depthwise = rng.normal(size=(3, 2, 4, m)).astype(np.float32)
        pointwise = rng.normal(size=(1, 1, 4 * m, 5)).astype(np.float32)
        bias = rng.normal(size=5).astype(np.float32)
        layer.set_weights([depthwise, pointwise, bias])
        ours = convolution.conv2d(
            convolution.depthwise_conv2d(x, depthwise, None, stride, padding),
            pointwise,
            bias,
        )
        assert np.allclose(ours, layer(x).numpy(), atol=1e-4)


# --- bad input ------------------------------------------------------------------------


_x8, _w8 = np.ones((1, 5, 5, 8)), np.ones((3, 3, 2, 12))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: convolution.conv2d(_x8, _w8, groups=0),
            ValueError,
            "groups must be >=",
        ),
        (
            lambda: convolution.conv2d(_x8, _w8, groups=4.0),
            TypeError,
            "groups must be an",
        ),
        (
            lambda: convolution.conv2d(_x8, np.ones((3, 3, 2, 10)), groups=4),
            ValueError,
            r"groups=4 must divide the number of output channels, but w has 10",
        ),
        (
            lambda: convolution.conv2d(_x8, np.ones((3, 3, 3, 12)), groups=3),
            ValueError,
            r"groups=3 must divide the number of input channels, but x has 8",
        ),
        (
            lambda: convolution.conv2d(_x8, np.ones((3, 3, 4, 12)), groups=4),
            ValueError,
            r"groups=4, so w must have C_in // groups = 2 input channels "
            r"\(w.shape\[2\]\), got 4",
        ),
        (
            lambda: convolution.conv2d(_x8, np.ones((3, 3, 2, 12))),
            ValueError,
            r"channel mismatch: x has 8 channels .* C_in=2 \(w.shape\[2\]\)",
        ),
        (
            lambda: convolution.conv2d_backward(
                np.ones((1, 3, 3, 8)), _x8, _w8, groups=4
            ),
            ValueError,
            r"dout must have the shape .* \(1, 3, 3, 12\)",
        ),
        (
            lambda: convolution.conv2d_backward(
                np.ones((1, 3, 3, 12)), _x8, _w8, groups=3
            ),
            ValueError,
            "groups=3 must divide",
        ),
        (
            lambda: convolution.depthwise_conv2d(_x8, np.ones((3, 3, 4, 2))),
            ValueError,
            r"x has 8 channels \(x.shape\[3\]\) but w has C=4 \(w.shape\[2\]\)",
        ),
        (
            lambda: convolution.depthwise_conv2d(
                _x8, np.ones((3, 3, 8, 2)), np.ones(8)
            ),
            ValueError,
            r"b must have shape \(C \* M,\) = \(16,\)",
        ),
        (
            lambda: convolution.depthwise_conv2d(_x8, np.ones((7, 3, 8, 1))),
            ValueError,
            "larger than the input",
        ),
        (
            lambda: convolution.depthwise_conv2d_backward(
                _x8, _x8, np.ones((3, 3, 4, 1))
            ),
            ValueError,
            "but w has C=4",
        ),
        (
            lambda: convolution.depthwise_conv2d_backward(
                _x8, _x8, np.ones((3, 3, 8, 1))
            ),
            ValueError,
            "dout must have the shape",
        ),
        (
            lambda: convolution.im2col(np.ones((5, 5, 3)), 2, 2),
            ValueError,
            "x must be a 4",
        ),
        (lambda: convolution.im2col(_x8, 0, 2), ValueError, "kh must be >= 1"),
        (lambda: convolution.im2col(_x8, 2, 2.5), TypeError, "kw must be an integer"),
        (lambda: convolution.im2col(_x8, 6, 2), ValueError, "larger than the input"),
        (lambda: convolution.im2col(_x8, 2, 2, stride=0), ValueError, "stride must be"),
        (lambda: convolution.im2col(_x8, 2, 2, padding="full"), ValueError, "padding"),
        (
            lambda: convolution.im2col(_x8, 2, 2, dilation=0),
            ValueError,
            "dilation must",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- batches of several blocks: computed a few images at a time, on every core -----


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


def test_large_batches_equal_tensorflow_block_by_block(tf, keras, monkeypatch):
    """Batches whose arrays span several blocks of images (blocks made small here),
    computed on several threads, give TensorFlow's results and leave BLAS's thread
    count as it was."""
    from convbn import _blocks, _layer

    monkeypatch.setattr(_blocks, "BLOCK_BYTES", 2**18)

    counts, workers, run = [], [], _layer.run

    def counted(work, block_list):  # how many blocks, on how many threads
        counts.append(len(block_list))
        workers.append(set())

        def noted(*block):
            workers[-1].add(threading.get_ident())
            work(*block)

        run(noted, block_list)

    monkeypatch.setattr(_layer, "run", counted)
    threads = _blas_threads()
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 24, 24, 16)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 8, 6)).astype(np.float32)
    bias = rng.normal(size=6).astype(np.float32)
    layer = _keras_conv(keras, x, kernel, bias, 1, "same", 1, 2)
    ours = convolution.conv2d(x, kernel, bias, 1, "same", 1, 2)
    dout = rng.normal(size=ours.shape).astype(np.float32)
    grads = convolution.conv2d_backward(dout, x, kernel, 1, "same", 1, 2)
    _assert_matches((ours, *grads), _tape(tf, layer, x, dout))
    depthwise = rng.normal(size=(3, 3, 16, 2)).astype(np.float32)
    assert np.allclose(
        convolution.depthwise_conv2d(x, depthwise, None, 2, "same"),
        tf.nn.depthwise_conv2d(x, depthwise, [1, 2, 2, 1], "SAME"),
        atol=1e-4,
    )
    assert np.allclose(  # stride 1 (a row is one axis), any memory layout
        convolution.depthwise_conv2d(
            np.asfortranarray(x), depthwise, None, 1, "same", 2
        ),
        tf.nn.depthwise_conv2d(x, depthwise, [1] * 4, "SAME", dilations=[2, 2]),
        atol=1e-4,
    )
    up = rng.normal(size=(3, 3, 5, 16)).astype(np.float32)
    layer = keras.layers.Conv2DTranspose(5, 3, 2, "same", use_bias=False)
    layer.build(x.shape)
    layer.set_weights([up])
    assert np.allclose(
        convolution.conv2d_transpose(x, up, 2, "same"), layer(x).numpy(), atol=1e-4
    )
    assert len(counts) == 5 and min(counts) > 1  # several blocks each time
    limit = max(threads)
    assert all(
        1 <= len(ids) <= min(limit, n) for ids, n in zip(workers, counts, strict=True)
    )
    assert _blas_threads() == threads


def test_blocks_run_in_parallel_on_the_threads_blas_would_use():
    from threadpoolctl import threadpool_limits

    from convbn import _blocks

    if max(_blas_threads()) < 2:
        pytest.skip("BLAS uses one thread here")
    one_image_each = _blocks.blocks(6, 1, _blocks.BLOCK_BYTES)
    barrier, inside = threading.Barrier(2, timeout=60), []

    def work(images, rows):  # the first two blocks wait for each other
        inside.append(max(_blas_threads()))
        if images.start < 2:
            barrier.wait()

    _blocks.run(work, one_image_each)
    assert sorted(inside) == [1] * 6  # and BLAS is single-threaded meanwhile
    order = []
    with threadpool_limits(1, user_api="blas"):  # BLAS on one thread: so are we
        _blocks.run(lambda *_: order.append(threading.get_ident()), one_image_each)
    assert set(order) == {threading.get_ident()}


def test_an_error_in_any_block_reaches_the_caller():
    from convbn import _blocks

    def work(images, rows):
        if images.start == 3:
            raise FloatingPointError("block 3")

    with pytest.raises(FloatingPointError, match="block 3"):
        _blocks.run(work, _blocks.blocks(8, 1, _blocks.BLOCK_BYTES))
